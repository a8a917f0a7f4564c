"""The dbt project as Dagster sees it; paths built from this file, never hard-coded."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from sources.settings import DBT_PROJECT_DIR

# dbt is installed in this environment; make it findable even when the environment is not
# activated (`.venv/bin/parkpi run`, the Makefile, Dagster's code server).
_ENV_BIN = str(Path(sys.executable).parent)
if _ENV_BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _ENV_BIN + os.pathsep + os.environ.get("PATH", "")
DBT_EXECUTABLE = str(Path(_ENV_BIN) / "dbt")


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def prepare_dbt() -> None:
    """Write target/manifest.json (dbt parse). The CLI and tests call this before loading
    definitions; `dagster dev` does it through prepare_if_dev()."""
    project = dbt_project()
    project.preparer.prepare(project)
