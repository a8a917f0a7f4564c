"""The Parquet lake as assets: one multi-asset per source, downstream of its loader, thin
wrappers around sources.lake (which rewrites only the partitions the loads changed).

Spark's dbt target reads the lake, so the dbt models that read a source depend on its lake
tables too (orchestration/defs/transform.py); the main job includes the lake when Spark is
the engine or PARKPI_LAKE_DIR asks for it (orchestration/defs/jobs.py).
"""

import dagster as dg

from orchestration.defs.ingest import raw_asset_key
from orchestration.lib.resources import WarehouseResource
from sources.contract import Source
from sources.lake import LakeResult, lake_tables, sync_source
from sources.registry import SOURCES
from sources.settings import get_settings

GROUP = "lake"


def lake_asset_key(source_token: str, table: str) -> dg.AssetKey:
    return dg.AssetKey([source_token, f"lake_{table}"])


def raw_entity(source: Source, table: str) -> str:
    """The raw entity a lake table follows: itself, or for a change log the entity whose loads
    write it."""
    if any(entity.name == table for entity in source.entities):
        return table
    return source.change_log.entity


def lake_metadata(result: LakeResult, lake_dir: str) -> dict[str, dg.MetadataValue]:
    return {
        "files_changed": dg.MetadataValue.int(result.changed_files),
        "partitions_written": dg.MetadataValue.int(len(result.written)),
        "partitions_removed": dg.MetadataValue.int(len(result.removed)),
        "written": dg.MetadataValue.json(result.written[:50]),
        "rows_written": dg.MetadataValue.int(result.rows_written),
        "folder": dg.MetadataValue.path(lake_dir),
        "seconds": dg.MetadataValue.float(round(result.seconds, 3)),
    }


def build_lake_asset(source: Source) -> dg.AssetsDefinition:
    tables = lake_tables(source)
    specs = [
        dg.AssetSpec(
            key=lake_asset_key(source.token, table.name),
            deps=[raw_asset_key(source, raw_entity(source, table.name))],
            group_name=GROUP,
            kinds={"parquet", "python"},
            description=(
                f"{source.schema}.{table.name} as zstd Parquet in $PARKPI_LAKE_DIR/{source.token}/{table.name}/"
                + (" (year=…/month=… partitions)" if table.period_field else "")
                + ": what Spark reads, and the open hand-off of the raw layer (sources/lake.py)."
            ),
        )
        for table in tables
    ]

    @dg.multi_asset(name=f"{source.token}_lake", specs=specs)
    def _lake(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        lake_dir = get_settings().lake
        with warehouse.get_connection() as con:
            result = sync_source(con, source, lake_dir)
        if result.unchanged:
            context.log.info(f"{source.token}: lake up to date ({lake_dir / source.token})")
        else:
            context.log.info(
                f"{source.token}: lake {len(result.written)} written, {len(result.removed)} removed "
                f"({result.rows_written:,} rows) in {result.seconds:.1f} s"
            )
        for table in tables:
            yield dg.MaterializeResult(
                asset_key=lake_asset_key(source.token, table.name),
                metadata=lake_metadata(result, str(lake_dir / source.token / table.name)),
            )

    return _lake


lake_assets = [build_lake_asset(source) for source in SOURCES.values()]

defs = dg.Definitions(assets=lake_assets)
