"""The dbt project as Dagster sees it; paths built from this file, never hard-coded."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.compat import DBT_PYTHON_VERSION

from sources.settings import DBT_PROJECT_DIR

# dbt is installed in this environment; make it findable even when the environment is not
# activated (`.venv/bin/parkpi run`, the Makefile, Dagster's code server).
_ENV_BIN = str(Path(sys.executable).parent)
if _ENV_BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _ENV_BIN + os.pathsep + os.environ.get("PATH", "")
DBT_EXECUTABLE = str(Path(_ENV_BIN) / "dbt")


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _manifest_is_current(project: DbtProject) -> bool:
    manifest = Path(project.manifest_path)
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    ignored = {"target", "logs", "dbt_packages"}
    for path in Path(project.project_dir).rglob("*"):
        if path.is_file() and not ignored.intersection(path.relative_to(project.project_dir).parts):
            if path.stat().st_mtime > built:
                return False
    return True


def prepare_dbt(*, force: bool = False) -> None:
    """Write target/manifest.json (dbt parse) unless it is newer than every file of the dbt
    project. The CLI and tests call this before loading definitions; `dagster dev` does it
    through prepare_if_dev()."""
    project = dbt_project()
    target = Path(project.project_dir) / "target"
    target.mkdir(parents=True, exist_ok=True)
    # Runs on other warehouses from the same checkout may start at the same moment (the tests
    # do): one parses, the others wait and find the manifest current.
    with (target / ".prepare.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if force or not _manifest_is_current(project):
            project.preparer.prepare(project)


class LeanDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two things it does before every dbt command that parkpi
    never uses: running `dbt --version` in a subprocess (the version is the installed dbt-core
    package's: the executable is this environment's), and opening a dbt adapter in this process,
    which only serves `fetch_column_metadata()` and `fetch_row_counts()` on the invocation.
    Assets, asset checks, lineage and the event stream are dagster-dbt's own, unchanged; calling
    either fetch_* method would fail with this resource (bench/dbt_startup.py measures the saving).
    """

    @cached_property
    def _cli_version(self):  # noqa: ANN202 (a packaging Version, as dagster-dbt's)
        return DBT_PYTHON_VERSION  # dbt-core's version, parsed by dagster-dbt at import

    def _initialize_dbt_core_adapter(self, args):  # noqa: ANN001, ANN202 (dagster-dbt's signature)
        return None


# -- dbt's target folders ----------------------------------------------------------------------------
#
# dagster-dbt gives every dbt command a target folder of its own under dbt_project/target/
# (compiled SQL, run results, logs: ~6 MB on the sample). Two things follow:
# - dbt's partial parsing is keyed by the profile, which holds the warehouse path: a target
#   folder seeded from dbt_project/target/ (parsed for the default warehouse) re-parses the whole
#   project for any other warehouse (~4 s of CPU). Each warehouse keeps its own partial-parse file
#   (target/partial_parse/<hash of its path>.msgpack), seeded into the next command's folder;
#   dbt checks it against the project's files and re-parses whatever changed.
# - the folders pile up with every run: the newest INVOCATIONS_KEPT stay, older ones go once
#   they are an hour old (a slower dbt command of another warehouse may still be using one).

PARTIAL_PARSE_FILE = "partial_parse.msgpack"
INVOCATIONS_KEPT = 10
INVOCATION_MIN_AGE_S = 3600.0


def _target_root() -> Path:
    return Path(dbt_project().project_dir) / "target"


def _partial_parse_cache(warehouse: str) -> Path:
    key = hashlib.sha256(str(Path(warehouse).resolve()).encode()).hexdigest()[:16]
    return _target_root() / "partial_parse" / f"{key}.msgpack"


def invocation_target(step: str, run_id: str) -> Path:
    """A fresh target folder for one dbt command of ``step`` in run ``run_id``, named the way
    dagster-dbt names its own."""
    return _target_root() / f"{step}-{run_id[:7]}-{uuid.uuid4().hex[:7]}"


@contextmanager
def warehouse_target(step: str, run_id: str, warehouse: str) -> Iterator[Path]:
    """The target folder for one dbt command on ``warehouse``: seeded with that warehouse's
    partial-parse file, which is updated from it when the command succeeds."""
    target = invocation_target(step, run_id)
    cache = _partial_parse_cache(warehouse)
    target.mkdir(parents=True, exist_ok=True)
    if cache.exists():
        shutil.copy(cache, target / PARTIAL_PARSE_FILE)
    yield target
    produced = target / PARTIAL_PARSE_FILE
    if produced.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_name(f".{cache.name}.{os.getpid()}")
        shutil.copy(produced, partial)
        os.replace(partial, cache)
    prune_invocations(keep=target)


# dagster-dbt's and invocation_target's names: <step>-<7 characters of the run id>-<7 hex digits>
_INVOCATION_NAME = re.compile(r"^\w+-[0-9a-f-]{7}-[0-9a-f]{7}$")


def prune_invocations(*, keep: Path | None = None, now: float | None = None) -> list[Path]:
    """Remove dbt command folders beyond the newest INVOCATIONS_KEPT that are over an hour old
    (never ``keep``); returns what was removed."""
    now = time.time() if now is None else now
    folders = [
        path
        for path in _target_root().iterdir()
        if path != keep and path.is_dir() and _INVOCATION_NAME.match(path.name)
    ]
    folders.sort(key=lambda path: path.stat().st_mtime, reverse=True)
    removed = []
    for path in folders[INVOCATIONS_KEPT:]:
        if now - path.stat().st_mtime > INVOCATION_MIN_AGE_S:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
