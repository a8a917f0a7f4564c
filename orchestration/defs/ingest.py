"""Ingestion assets: one per source, thin wrappers around sources.loading.

The portal event log is partitioned by month (the month of each event's ``ThoiDiem``): a run
for a range of months re-reads exactly the files that carry those months, besides any new or
changed file (sources.loading.load_source ``periods``). Backfills run as one run per range
(``BackfillPolicy.single_run``). A run over every month is a plain load. The other sources are
small and not partitioned.
"""

import hashlib
import json
import warnings

import dagster as dg

from orchestration.defs.jobs import RELOAD_MONTHS_TAG
from orchestration.lib import loaded_state
from orchestration.lib.resources import WarehouseResource
from sources.contract import Source
from sources.loading import LoadError, LoadResult, discover, load_source, summarise_reasons
from sources.registry import SOURCES
from sources.settings import get_settings

GROUP = "ingest"
# The first month of the province's portal exports; events before it still load with a full run.
PORTAL_MONTHS = dg.MonthlyPartitionsDefinition(start_date="2016-01-01", end_offset=1)


def partitions_of(source: Source) -> dg.PartitionsDefinition | None:
    return PORTAL_MONTHS if source.period_field else None


def every_partition_tags() -> dict[str, str]:
    """Run tags for one run over every month: what the main job, `parkpi run` and the monthly
    schedule use."""
    keys = PORTAL_MONTHS.get_partition_keys()
    return range_tags(keys[0], keys[-1])


def range_tags(first: str, last: str) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def requested_periods(context: dg.AssetExecutionContext) -> tuple[str, str] | None:
    """The months this run re-loads, or None for all of them (a plain load)."""
    partitioned_run = context.has_partition_key or context.has_partition_key_range
    if not partitioned_run or context.run.tags.get(RELOAD_MONTHS_TAG) == "false":
        return None  # the sensor and schedules: load what changed, nothing more
    requested = context.partition_key_range
    keys = PORTAL_MONTHS.get_partition_keys()
    if requested.start <= keys[0] and requested.end >= keys[-1]:
        return None
    return requested.start[:7], requested.end[:7]


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
        "files_reloaded": dg.MetadataValue.int(len(result.files_reloaded)),
        "files_unchanged": dg.MetadataValue.int(result.files_unchanged),
        "files_ignored": dg.MetadataValue.json(result.files_ignored),
        "load_id": dg.MetadataValue.int(result.load_id or 0),
        "seconds": dg.MetadataValue.float(round(result.seconds, 3)),
    }


def landing_asset_key(source: Source) -> dg.AssetKey:
    return dg.AssetKey([source.token, "landing_files"])


def build_landing_asset(source: Source):
    """The landing folder of a source as an observable source asset, upstream of its loader, so
    that lineage starts at the files: landing -> raw -> staging -> marts -> kpi -> publish.
    Observing it (every run does, or "Observe" in the UI) records the files, their size, the
    newest file and the newest month loaded from them; its data version changes with any file."""

    @dg.observable_source_asset(
        key=landing_asset_key(source),
        group_name=GROUP,
        description=f"Landing files of the {source.description} under $PARKPI_LANDING_DIR/{source.token}/ "
        "(docs/landing-files.md).",
    )
    def _landing() -> dg.ObserveResult:
        landing_dir = get_settings().landing_dir
        files, ignored = discover(landing_dir, source)
        newest = max(files.values(), key=lambda e: e.mtime_ns, default=None)
        state = sorted((path, e.size_bytes, e.mtime_ns) for path, e in files.items())
        loaded = loaded_state.read(get_settings().warehouse, source)["files"]
        months = [entry[4] for entry in loaded.values() if len(entry) > 4 and entry[4]]
        metadata = {
            "files": dg.MetadataValue.int(len(files)),
            "bytes": dg.MetadataValue.int(sum(e.size_bytes for e in files.values())),
            "newest_file": dg.MetadataValue.text(newest.relative_path if newest else ""),
            "ignored": dg.MetadataValue.json(ignored),
            "folder": dg.MetadataValue.path(str(landing_dir / source.token)),
        }
        if source.period_field:
            metadata["newest_month_loaded"] = dg.MetadataValue.text(max(months, default=""))
        digest = hashlib.sha256(json.dumps(state).encode()).hexdigest()[:16]
        return dg.ObserveResult(metadata=metadata, data_version=dg.DataVersion(digest))

    return _landing


def build_ingest_asset(source: Source) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            key=raw_asset_key(source, entity.name),
            deps=[landing_asset_key(source)],
            group_name=GROUP,
            partitions_def=partitions_of(source),
            kinds={"duckdb", "python"},
            description=f"Raw {source.description} ({entity.name}) in {source.schema}.{entity.name}: "
            "every contract-valid row of every landing file, with lineage; rejects in "
            f"{source.schema}.rejects.",
        )
        for entity in source.entities
    ]

    partitioned = partitions_of(source) is not None

    @dg.multi_asset(
        name=f"{source.token}_ingest",
        specs=specs,
        partitions_def=partitions_of(source),
        backfill_policy=dg.BackfillPolicy.single_run() if partitioned else None,
    )
    def _ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        landing_dir = get_settings().landing_dir
        periods = requested_periods(context) if partitioned else None
        with warehouse.get_connection() as con:
            try:
                result = load_source(con, source, landing_dir, progress=context.log.info, periods=periods)
            except LoadError as error:
                raise dg.Failure(description=str(error)) from error
            # what is loaded, for the landing-folder sensor, which never opens the warehouse
            loaded_state.export(con, source, warehouse.path)
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
with warnings.catch_warnings():
    # observable source assets are "beta" in Dagster 1.13 (used here as documented)
    warnings.simplefilter("ignore", dg.BetaWarning)
    landing_assets = [build_landing_asset(source) for source in SOURCES.values()]

defs = dg.Definitions(assets=[*landing_assets, *ingest_assets])
