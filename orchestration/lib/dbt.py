"""The dbt project as Dagster sees it; paths built from this file, never hard-coded."""

from __future__ import annotations

import fcntl
import hashlib
import os
import pprint
import re
import shutil
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
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
def warehouse_target(step: str, run_id: str, warehouse: str, *, duckdb_profile: bool = True) -> Iterator[Path]:
    """The target folder for one dbt command on ``warehouse``: seeded with that warehouse's
    partial-parse file, which is updated from it when the command succeeds. A warehouse without
    one (its first command) adopts another DuckDB warehouse's (adopt_partial_parse) unless
    ``duckdb_profile`` is false (the Spark target)."""
    target = invocation_target(step, run_id)
    cache = _partial_parse_cache(warehouse)
    produced = target / PARTIAL_PARSE_FILE
    target.mkdir(parents=True, exist_ok=True)
    if cache.exists():
        shutil.copy(cache, produced)
    with seeded_parse(produced) if duckdb_profile else nullcontext():
        yield target
    if produced.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_name(f".{cache.name}.{os.getpid()}")
        shutil.copy(produced, partial)
        os.replace(partial, cache)
    prune_invocations(keep=target)


# -- a new warehouse's first dbt command --------------------------------------------------------------
#
# dbt re-parses the whole project (~6 s of CPU on 36 models, 35 unit tests, 600 macros) when
# the profile's connection settings differ from those of the partial-parse file: the warehouse
# path is one of them, so every new warehouse (each test's, a second province's, a benchmark's)
# paid a full parse on its first command. What dbt parses does not depend on the path (no model
# reads `target.path`), only on the database name (the file's stem) and the other settings. So a
# warehouse without a partial-parse file of its own starts from the newest one recorded for
# another DuckDB warehouse of the same file name, its profile hash rewritten for this
# warehouse's settings; dbt then checks every project file as usual and re-parses what changed.
# The hash is dbt's own (sha256 of the pprint of the sorted connection_info(), dbt/parser/
# manifest.py) recomputed here without importing dbt; a seed is recorded only after the hash
# computed here reproduced the one dbt wrote, so another dbt or dbt-duckdb version, or a profile
# with other keys, just falls back to dbt's full parse.

SEED_FILE = "seed.msgpack"
_PROFILE_HASH = re.compile(rb"\xacprofile_hash\x82\xa4name\xa6sha256\xa8checksum\xd9@([0-9a-f]{64})")


def duckdb_profile_hash(env: Mapping[str, str] | None = None) -> str:
    """dbt's profile hash for profiles.yml's DuckDB target as ``env`` renders it (the path and
    memory limit come from PARKPI_WAREHOUSE and PARKPI_DBT_MEMORY_LIMIT)."""
    env = os.environ if env is None else env
    path = env.get("PARKPI_WAREHOUSE", "../warehouse/parkpi.duckdb")
    connection_info = [
        ("attach", None),
        ("config_options", None),
        ("database", Path(path).stem),
        ("disable_transactions", False),
        ("extensions", None),
        ("external_root", "."),
        ("filesystems", None),
        ("path", path),
        ("plugins", None),
        ("remote", None),
        ("schema", "main"),
        ("settings", {"memory_limit": env.get("PARKPI_DBT_MEMORY_LIMIT", "2GB")}),
        ("use_credential_provider", None),
    ]
    return hashlib.sha256(pprint.pformat(connection_info).encode("utf-8")).hexdigest()


def _seed(folder: Path, env: Mapping[str, str]) -> Path:
    """Where the seed for warehouses named like ``env``'s PARKPI_WAREHOUSE lives."""
    stem = Path(env.get("PARKPI_WAREHOUSE", "parkpi.duckdb")).stem
    return folder / f"{hashlib.sha256(stem.encode()).hexdigest()[:16]}.{SEED_FILE}"


def record_partial_parse(produced: Path, env: Mapping[str, str] | None = None) -> bool:
    """Keep ``produced`` (the partial-parse file of a DuckDB dbt command that succeeded in
    ``env``, by default this process's) as the seed for new warehouses of the same file name, if
    the profile hash dbt wrote in it is the one computed here."""
    env = os.environ if env is None else env
    data = produced.read_bytes()
    if _PROFILE_HASH.findall(data) != [duckdb_profile_hash(env).encode()]:
        return False
    seed = _seed(_target_root() / "partial_parse", env)
    seed.parent.mkdir(parents=True, exist_ok=True)
    partial = seed.with_name(f".{seed.name}.{os.getpid()}")
    partial.write_bytes(data)
    os.replace(partial, seed)
    return True


def adopt_partial_parse(destination: Path, env: Mapping[str, str] | None = None) -> bool:
    """Write the recorded seed for ``env``'s warehouse (by default this process's), its profile
    hash rewritten for that warehouse, to ``destination``; False if there is none."""
    env = os.environ if env is None else env
    seed = _seed(_target_root() / "partial_parse", env)
    try:
        data = seed.read_bytes()
    except FileNotFoundError:
        return False
    found = _PROFILE_HASH.findall(data)
    if len(found) != 1:
        return False
    adopted = data.replace(found[0], duckdb_profile_hash(env).encode(), 1)
    destination.write_bytes(adopted)
    return True


@contextmanager
def seeded_parse(parsed: Path, env: Mapping[str, str] | None = None) -> Iterator[bool]:
    """Around one DuckDB dbt command whose partial-parse file is ``parsed``: before it, if there
    is none, adopt another warehouse's (adopt_partial_parse; yields whether it did); after it,
    record what dbt wrote as the seed for new warehouses (record_partial_parse checks it)."""
    parsed.parent.mkdir(parents=True, exist_ok=True)
    adopted = not parsed.exists() and adopt_partial_parse(parsed, env)
    yield adopted
    if parsed.exists():
        record_partial_parse(parsed, env)


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
