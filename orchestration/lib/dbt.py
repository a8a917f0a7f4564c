"""The dbt project as Dagster sees it; paths built from this file, never hard-coded."""

from __future__ import annotations

import fcntl
import os
import sys
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
