"""dbt models as Dagster assets (dagster-dbt): one lineage graph from landing file to KPI.

dbt sources carry ``meta.dagster.asset_key`` pointing at the ingest assets; dbt tests
become asset checks on the models they test.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtCliRuntimeError,
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.defs.jobs import FULL_REFRESH_TAG
from orchestration.lib.dbt import DBT_EXECUTABLE, LeanDbtCliResource, dbt_project, warehouse_target
from orchestration.lib.resources import WarehouseResource

# DuckDB's message when another process holds the file; retried after 5, 10, 20, 40, 80 s
LOCK_ERROR = "Could not set lock on file"
LOCK_RETRIES = 5
LOCK_RETRY_SECONDS = 5.0

project = dbt_project()
project.prepare_if_dev()  # only under `dagster dev`; the CLI and tests call prepare_dbt()


class ParkpiDbtTranslator(DagsterDbtTranslator):
    """Asset groups follow the layer: staging, marts, kpi."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        name = dbt_resource_props.get("name", "")
        layer = fqn[1] if len(fqn) > 2 else ""
        if layer == "staging":
            return "staging"
        if "kpi" in fqn or name.startswith(("int_kpi", "kpi_")):
            return "kpi"
        return "marts"


translator = ParkpiDbtTranslator(
    settings=DagsterDbtTranslatorSettings(
        enable_asset_checks=True,
        # raw_portal.events and raw_portal.dossier_changes both come from the portal asset
        enable_duplicate_source_asset_keys=True,
    )
)


@dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=translator)
def parkpi_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    # `warehouse` is not opened here (dbt opens the file itself): requiring it takes the
    # single-writer lock for this step too (orchestration/lib/resources.py).
    # dbt unit tests check the SQL, not the data: they run in `make test`, not in every build.
    args = ["build", "--exclude-resource-type", "unit_test"]
    if context.run.tags.get(FULL_REFRESH_TAG) == "true":  # the monthly schedule rebuilds everything
        args.append("--full-refresh")
    try:
        with warehouse_target(context.op_execution_context.op.name, context.run.run_id, warehouse.path) as target:
            yield from dbt.cli(args, context=context, target_path=target).stream()
    except DagsterDbtCliRuntimeError as error:
        # dbt opens the file itself, once, at its start: another process holding it then (a
        # DuckDB CLI, `parkpi status`) is transient. Retry with backoff instead of failing the run.
        if LOCK_ERROR not in str(error) or context.retry_number >= LOCK_RETRIES:
            raise
        wait = LOCK_RETRY_SECONDS * 2**context.retry_number
        context.log.warning(f"the warehouse is locked by another process; dbt tries again in {wait:g} s")
        raise dg.RetryRequested(max_retries=LOCK_RETRIES, seconds_to_wait=wait) from error


defs = dg.Definitions(
    assets=[parkpi_dbt_models],
    resources={
        "dbt": LeanDbtCliResource(
            project_dir=project, profiles_dir=str(project.profiles_dir), dbt_executable=DBT_EXECUTABLE
        )
    },
)
