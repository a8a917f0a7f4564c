"""Ingestion assets: one per source, thin wrappers around sources.loader."""

import dagster as dg

from orchestration.lib.resources import WarehouseResource
from sources.contracts import SOURCES, Source
from sources.loader import LoadError, LoadResult, load_source, summarise_reasons
from sources.settings import get_settings

GROUP = "ingest"


def raw_asset_key(source: Source, entity_name: str) -> dg.AssetKey:
    return dg.AssetKey([source.token, f"raw_{entity_name}"])


def load_metadata(result: LoadResult, entity_name: str) -> dict[str, dg.MetadataValue]:
    return {
        "rows": dg.MetadataValue.int(result.table_rows.get(entity_name, 0)),
        "rows_loaded_this_run": dg.MetadataValue.int(result.rows_loaded),
        "rows_rejected_this_run": dg.MetadataValue.int(result.rows_rejected),
        "rejects_total": dg.MetadataValue.int(result.total_rejects),
        "reject_reasons": dg.MetadataValue.json(result.reject_reasons),
        "files_added": dg.MetadataValue.int(len(result.files_added)),
        "files_changed": dg.MetadataValue.int(len(result.files_changed)),
        "files_removed": dg.MetadataValue.int(len(result.files_removed)),
        "files_unchanged": dg.MetadataValue.int(result.files_unchanged),
        "files_ignored": dg.MetadataValue.json(result.files_ignored),
        "load_id": dg.MetadataValue.int(result.load_id or 0),
        "seconds": dg.MetadataValue.float(round(result.seconds, 3)),
    }


def build_ingest_asset(source: Source) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            key=raw_asset_key(source, entity.name),
            group_name=GROUP,
            kinds={"duckdb", "python"},
            description=f"Raw {source.description} ({entity.name}) in {source.schema}.{entity.name}: "
            "every contract-valid row of every landing file, with lineage; rejects in "
            f"{source.schema}.rejects.",
        )
        for entity in source.entities
    ]

    @dg.multi_asset(name=f"{source.token}_ingest", specs=specs)
    def _ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        landing_dir = get_settings().landing_dir
        with warehouse.get_connection() as con:
            try:
                result = load_source(con, source, landing_dir, progress=context.log.info)
            except LoadError as error:
                raise dg.Failure(description=str(error)) from error
        for note in result.files_ignored:
            context.log.warning(f"{source.token}: ignored {note}")
        if result.rows_rejected:
            context.log.warning(
                f"{source.token}: {result.rows_rejected} rows rejected "
                f"({summarise_reasons(result.reject_reasons)}); see {source.schema}.rejects"
            )
        for entity in source.entities:
            yield dg.MaterializeResult(
                asset_key=raw_asset_key(source, entity.name),
                metadata=load_metadata(result, entity.name),
            )

    return _ingest


ingest_assets = [build_ingest_asset(source) for source in SOURCES.values()]

defs = dg.Definitions(assets=ingest_assets)
