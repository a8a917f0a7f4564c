"""The dbt project as Dagster sees it; paths built from this file, never hard-coded."""

from __future__ import annotations

from dagster_dbt import DbtProject

from sources.settings import DBT_PROJECT_DIR


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def prepare_dbt() -> None:
    """Write target/manifest.json (dbt parse). The CLI and tests call this before loading
    definitions; `dagster dev` does it through prepare_if_dev()."""
    project = dbt_project()
    project.preparer.prepare(project)
