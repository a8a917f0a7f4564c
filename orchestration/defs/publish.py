"""Publishing: the read-only snapshot for BI tools (DuckDB v1.4 format + Parquet) and the
leadership report, after a successful build. Thin wrapper over serving/.

The asset depends on every table it publishes. Dagster skips it when anything upstream failed
or did not materialise in the run, and when a blocking check on an upstream asset failed
(orchestration/defs/quality.py); a dbt test that errors fails the dbt step. So a snapshot is
only ever published from a build whose blocking checks all passed.
"""

import dagster as dg

from orchestration.lib.resources import WarehouseResource
from serving.report import build_report
from serving.snapshot import PUBLISHED_TABLES, publish_snapshot
from sources.settings import get_settings

GROUP = "publish"
SNAPSHOT_KEY = dg.AssetKey(["publish", "kpi_snapshot"])


@dg.asset(
    key=SNAPSHOT_KEY,
    group_name=GROUP,
    kinds={"duckdb", "parquet", "html"},
    deps=[dg.AssetKey([schema, table]) for schema, table in PUBLISHED_TABLES],
    description=(
        "The published snapshot in $PARKPI_PUBLISH_DIR: kpi.duckdb (DuckDB 1.4+ can open it), parquet/*.parquet "
        "and the leadership report (report/). Swapped atomically; BI tools read only this, never the warehouse."
    ),
)
def kpi_snapshot(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    publish_dir = get_settings().publish_dir
    with warehouse.get_connection() as con:
        published = publish_snapshot(con, publish_dir, run_id=context.run.run_id)
    context.log.info(
        f"published snapshot {published.snapshot_id}: {sum(published.rows.values()):,} rows in "
        f"{len(published.rows)} tables -> {published.snapshot} and {published.parquet_dir}/ "
        f"in {published.seconds:.1f} s"
    )
    report = build_report(published.snapshot, publish_dir / "report")
    context.log.info(f"leadership report for {report.year}: {report.html} and {report.xlsx.name}")
    return dg.MaterializeResult(
        metadata={
            "snapshot_id": published.snapshot_id,
            "snapshot": dg.MetadataValue.path(str(published.snapshot)),
            "parquet": dg.MetadataValue.path(str(published.parquet_dir)),
            "report": dg.MetadataValue.url(report.html.as_uri()),
            "report_year": report.year,
            "rows": dg.MetadataValue.json(published.rows),
            "seconds": dg.MetadataValue.float(round(published.seconds, 3)),
        }
    )


defs = dg.Definitions(assets=[kpi_snapshot])
