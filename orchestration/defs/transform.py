"""dbt models as Dagster assets (dagster-dbt): one lineage graph from landing file to KPI.

dbt sources carry ``meta.dagster.asset_key`` pointing at the ingest assets; a model that reads
a source also depends on that source's lake table (what Spark reads); dbt tests become asset
checks on the models they test. The engine is the dbt resource's target (PARKPI_ENGINE): on
Spark the step declares the lake first and copies the tables Spark built into the warehouse
after (orchestration/lib/spark.py), so checks and publishing read the warehouse either way.
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

from orchestration.defs.jobs import FULL_REFRESH_TAG, UNIT_TESTS_TAG
from orchestration.defs.lake import lake_asset_key
from orchestration.lib import spark
from orchestration.lib.dbt import DBT_EXECUTABLE, LeanDbtCliResource, dbt_project, warehouse_target
from orchestration.lib.resources import WarehouseResource
from sources.settings import get_settings

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

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        """A model that reads a source reads its lake table on Spark: both are upstream of it."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        if not unique_id.startswith("model."):
            return spec
        node = manifest["nodes"][unique_id]
        lake = [
            lake_asset_key(manifest["sources"][upstream]["source_name"], manifest["sources"][upstream]["name"])
            for upstream in node.get("depends_on", {}).get("nodes", [])
            if upstream.startswith("source.")
        ]
        if not lake:
            return spec
        known = {dep.asset_key for dep in spec.deps}
        return spec.replace_attributes(deps=[*spec.deps, *(dg.AssetDep(key) for key in lake if key not in known)])


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
    args = ["build"]
    if context.run.tags.get(UNIT_TESTS_TAG) != "true":
        args += ["--exclude-resource-type", "unit_test"]
    if context.run.tags.get(FULL_REFRESH_TAG) == "true":  # the monthly schedule rebuilds everything
        args.append("--full-refresh")
    settings = get_settings()
    if settings.engine == "spark":
        yield from build_on_spark(context, dbt, warehouse, args)
        return
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


def build_on_spark(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, args):
    """dbt on Spark over the lake, then Spark's tables into the warehouse; a known Spark failure
    (no Java, a port in use, out of memory) fails the step with the one line that fixes it."""
    settings = get_settings()
    missing = spark.missing_prerequisite()
    if missing:
        raise dg.Failure(description=missing)
    spark.prepare(settings)
    context.log.info(f"dbt on Spark ({settings.spark_master}) over the lake in {settings.lake}")
    if not settings.spark_data_tests:
        context.log.warning("dbt's data tests are not run on Spark (PARKPI_SPARK_DATA_TESTS=0)")
        args = [*args, "--exclude-resource-type", "test"]
    # its own partial-parse file: the Spark target's profile is not the DuckDB one's
    step = context.op_execution_context.op.name
    with warehouse_target(step, context.run.run_id, f"{warehouse.path}#spark", duckdb_profile=False) as target:
        invocation = dbt.cli(args, context=context, target_path=target)
        try:
            yield from invocation.stream()
        except DagsterDbtCliRuntimeError as error:
            hint = spark.failure_hint(f"{error}\n{_dbt_log_tail(invocation)}", settings)
            if hint:
                raise dg.Failure(description=hint) from error
            raise
    tables = spark.built_tables(invocation.get_artifact("manifest.json"), invocation.get_artifact("run_results.json"))
    with warehouse.get_connection() as con:
        rows = spark.import_tables(con, settings, tables)
    context.log.info(f"{len(rows)} tables built on Spark copied into the warehouse ({sum(rows.values()):,} rows)")


def _dbt_log_tail(invocation, characters: int = 20000) -> str:
    """The end of the invocation's dbt.log, where Spark's own error (a JVM that did not start)
    is written; dagster-dbt's exception carries only dbt's summary."""
    try:
        log = invocation.target_path.parent / "logs" / "dbt.log"
        candidates = [invocation.target_path / "dbt.log", log]
        for path in candidates:
            if path.exists():
                return path.read_text(encoding="utf-8", errors="replace")[-characters:]
    except (AttributeError, OSError):
        pass
    return ""


defs = dg.Definitions(
    assets=[parkpi_dbt_models],
    resources={
        # the target is the engine: dbt's `dev` (DuckDB) or `spark` (dbt_project/profiles.yml)
        "dbt": LeanDbtCliResource(
            project_dir=project,
            profiles_dir=str(project.profiles_dir),
            dbt_executable=DBT_EXECUTABLE,
            target=spark.SPARK_TARGET if get_settings().engine == "spark" else None,
        )
    },
)
