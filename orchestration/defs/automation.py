"""Automation: schedules, the landing-folder sensor and freshness checks.

- ``monthly_full_build`` (06:00 on the 6th, after the month's exports arrive on the 5th): every
  source, every month, dbt with ``--full-refresh`` - the safety net that rebuilds all marts.
- ``daily_incremental_build`` (05:00 daily): the main job as `parkpi run` runs it: loaders read
  only new, changed or removed files, ``fct_dossiers`` recomputes only touched dossiers.
- ``landing_folder_sensor``: when a file under ``$PARKPI_LANDING_DIR`` is new, changed (other
  content than loaded) or gone, requests one run for just the affected sources (their ingest
  assets and everything downstream) and, for the portal, the months the files carry. It compares
  the folder with the loaders' file manifests, read from the copy each load writes next to the
  warehouse (orchestration/lib/loaded_state.py): it never opens the warehouse, since a reader
  would lock out a running writer. Its run key is a digest of the pending files' (path, size,
  mtime, sha256) and the load they follow, so the same file never triggers twice.

All are off by default; switch them on in the UI (Automation) or with ``dagster schedule start``.
Runs they request queue behind each other (one writer: dagster.yaml ``parkpi/warehouse``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from orchestration.defs.ingest import PORTAL_MONTHS, every_partition_tags, range_tags, raw_asset_key
from orchestration.defs.jobs import FULL_REFRESH_TAG, MAIN_JOB_NAME, RELOAD_MONTHS_TAG, WRITER_TAGS
from orchestration.defs.publish import kpi_snapshot
from orchestration.defs.transform import parkpi_dbt_models
from orchestration.lib import loaded_state
from orchestration.lib.resources import WarehouseResource
from quality.freshness import CHECK_NAME, check_freshness, record_freshness
from sources.contract import Source
from sources.loading import FileEntry, Known, compute_changes, discover, file_months, sha256_of
from sources.registry import SOURCES
from sources.settings import as_of, get_settings

TIMEZONE = "Asia/Ho_Chi_Minh"
MONTHLY_SCHEDULE = "monthly_full_build"
DAILY_SCHEDULE = "daily_incremental_build"
SENSOR = "landing_folder_sensor"
FRESHNESS_CHECK = CHECK_NAME


# ----------------------------------------------------------------------------- schedules


@dg.schedule(
    name=MONTHLY_SCHEDULE,
    cron_schedule="0 6 6 * *",
    execution_timezone=TIMEZONE,
    job_name=MAIN_JOB_NAME,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Full build after the month's exports arrive (by the 5th): every source, dbt --full-refresh.",
)
def monthly_full_build(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=None,
        tags={**every_partition_tags(), **WRITER_TAGS, FULL_REFRESH_TAG: "true", RELOAD_MONTHS_TAG: "false"},
    )


@dg.schedule(
    name=DAILY_SCHEDULE,
    cron_schedule="0 5 * * *",
    execution_timezone=TIMEZONE,
    job_name=MAIN_JOB_NAME,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Daily incremental build: loads what is new or changed, recomputes what it touches.",
)
def daily_incremental_build(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(run_key=None, tags={**every_partition_tags(), **WRITER_TAGS, RELOAD_MONTHS_TAG: "false"})


# -------------------------------------------------------------------------------- sensor

DOWNSTREAM_KEYS = sorted(parkpi_dbt_models.keys | kpi_snapshot.keys, key=lambda key: key.to_user_string())


def _month_range(first: str | None, last: str | None) -> set[str]:
    """Every month from first to last (YYYY-MM), as a file's manifest entry records them."""
    if not first or not last:
        return set()
    return {k[:7] for k in PORTAL_MONTHS.get_partition_keys() if first <= k[:7] <= last} | {first, last}


UNREADABLE = "unreadable"


def pending_files(landing_dir: Path, warehouse: Path, hashes: dict) -> tuple[dict, set[str] | None, dict]:
    """What a load would change (sources.loading.changes, the loader's own decision), measured
    against the loaded manifests' copies (loaded_state), not the warehouse. Returns (per source:
    {"after_load": its last load id, "files": {path: [size, mtime_ns, sha256] or None if
    removed}}, the months concerned of the partitioned sources (None: unknown), and the cache
    {source: {path: [size, mtime_ns, sha256, months]}} for the sensor's cursor).

    A file whose size or mtime differ from the manifest is hashed and, if its source is
    partitioned by month, read for its months, once per state (cached): a file waiting for its
    run is not re-read every tick. Same content as loaded (copied again, touched) is not a change."""
    pending: dict[str, dict] = {}
    months: set[str] | None = set()
    cache: dict[str, dict[str, list]] = {}
    for token, source in SOURCES.items():
        loaded = loaded_state.read(warehouse, source)
        known = {path: Known(*state) for path, state in loaded["files"].items()}
        files, _ = discover(landing_dir, source)

        def hasher(entry: FileEntry, token: str = token) -> str:
            cached = hashes.get(token, {}).get(entry.relative_path)
            if not (cached and len(cached) == 4 and cached[:2] == [entry.size_bytes, entry.mtime_ns]):
                try:
                    cached = [entry.size_bytes, entry.mtime_ns, sha256_of(entry.absolute_path), None]
                except OSError:
                    return UNREADABLE  # gone or unreadable right now: the next tick sees it again
            cache.setdefault(token, {})[entry.relative_path] = cached
            return cached[2]

        found = compute_changes(source, files, known, hasher=hasher)
        changes: dict[str, list | None] = {}
        for path in found.added + found.changed:
            entry = files[path]
            if entry.sha256 == UNREADABLE:
                continue
            changes[path] = [entry.size_bytes, entry.mtime_ns, entry.sha256]
            if source.period_field and months is not None:
                cached = cache[token][path]
                if cached[3] is None:
                    cached[3] = file_months(source, entry)
                was = known.get(path)
                # its new months, and those it had when loaded
                months = (
                    (months | set(cached[3]) | _month_range(*(was[3:5] if was else (None, None))))
                    if cached[3]
                    else None
                )
        for path in found.removed:
            changes[path] = None
            if source.period_field and months is not None:
                gone = _month_range(*known[path][3:5])
                months = months | gone if gone else None
        if changes:
            pending[token] = {"after_load": loaded.get("last_load_id", 0), "files": changes}
    return pending, months, cache


def plan_request(pending: dict, months: set[str] | None) -> dg.RunRequest | None:
    """The run that loading ``pending`` asks for: just the affected sources' ingest assets and
    everything downstream, for the portal the range of months concerned. The run key is a digest
    of what is pending (path, size, mtime, sha256 of every file, and the load it follows), so
    the same file in the same state never triggers twice."""
    if not pending:
        return None
    selection = [raw_asset_key(SOURCES[t], e.name) for t in pending for e in SOURCES[t].entities]
    tags = {**WRITER_TAGS, RELOAD_MONTHS_TAG: "false", "parkpi/sources": ",".join(sorted(pending))}
    if any(SOURCES[token].period_field for token in pending):
        keys = PORTAL_MONTHS.get_partition_keys()
        wanted = [k for k in keys if months and min(months) <= k[:7] <= max(months)]
        # months unknown (an unreadable file) or outside the partitions: every month
        tags.update(range_tags(wanted[0], wanted[-1]) if wanted else every_partition_tags())
    digest = hashlib.sha256(json.dumps(pending, sort_keys=True).encode()).hexdigest()[:24]
    return dg.RunRequest(run_key=f"landing-{digest}", asset_selection=selection + DOWNSTREAM_KEYS, tags=tags)


@dg.sensor(
    name=SENSOR,
    job_name=MAIN_JOB_NAME,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="A new, changed or removed landing file requests a run for just its source (and portal months).",
)
def landing_folder_sensor(context: dg.SensorEvaluationContext):
    settings = get_settings()
    try:
        cursor = json.loads(context.cursor) if context.cursor else {}
    except ValueError:
        cursor = {}
    hashes = cursor.get("hashes", {}) if isinstance(cursor, dict) else {}
    pending, months, hashes = pending_files(settings.landing_dir, settings.warehouse, hashes)
    request = plan_request(pending, months)
    previous_key = cursor.get("run_key") if isinstance(cursor, dict) else None
    context.update_cursor(json.dumps({"hashes": hashes, "run_key": request.run_key if request else None}))
    if request is None:
        return dg.SkipReason(f"every file under {settings.landing_dir} is loaded")
    if request.run_key == previous_key:
        # Dagster would drop it anyway (same run key); say why nothing happens
        return dg.SkipReason(f"run {request.run_key} already requested; waiting for it to load")
    return request


# ----------------------------------------------------------------------------- freshness


def build_freshness_check(source: Source) -> dg.AssetChecksDefinition:
    days = source.freshness.max_age_days

    @dg.asset_check(
        asset=raw_asset_key(source, source.freshness.entity),
        name=FRESHNESS_CHECK,
        blocking=False,
        description=f"Warning: the newest {source.token} data is at most {days} days old "
        "(as of PARKPI_AS_OF, the landing folder's landing.toml, or today).",
    )
    def _fresh(context, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as con:
            outcome = check_freshness(con, source, as_of(get_settings().landing_dir))
            record_freshness(con, context.run.run_id, outcome)
        return dg.AssetCheckResult(
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity.WARN,
            description=outcome.summary(),
            metadata={
                "newest": str(outcome.newest),
                "as_of": f"{outcome.as_of:%Y-%m-%d}",
                "age_days": round(outcome.age_days, 1) if outcome.age_days is not None else -1,
                "max_age_days": days,
            },
        )

    return _fresh


freshness_checks = [build_freshness_check(source) for source in SOURCES.values() if source.freshness]

defs = dg.Definitions(
    schedules=[monthly_full_build, daily_incremental_build],
    sensors=[landing_folder_sensor],
    asset_checks=freshness_checks,
)
