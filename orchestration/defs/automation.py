"""Automation: schedules, the landing-folder sensor and freshness checks.

- ``monthly_full_build`` (06:00 on the 6th, after the month's exports arrive on the 5th): every
  source, every month, dbt with ``--full-refresh`` - the safety net that rebuilds all marts.
- ``daily_incremental_build`` (05:00 daily): the main job as `parkpi run` runs it: loaders read
  only new, changed or removed files, ``fct_dossiers`` recomputes only touched dossiers.
- ``landing_folder_sensor``: when a file under ``$PARKPI_LANDING_DIR`` is new, changed or gone,
  requests one run for just the affected sources (their ingest assets and everything
  downstream) and, for the portal, the months the new files carry. Its run key is a digest of
  the files' (path, size, mtime), so the same file never triggers twice. It never opens the
  warehouse (a reader would lock out a running writer): what it has seen lives in its cursor.

All are off by default; switch them on in the UI (Automation) or with ``dagster schedule start``.
Runs they request queue behind each other (one writer: dagster.yaml ``parkpi/warehouse``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.defs.ingest import PORTAL_MONTHS, every_partition_tags, range_tags, raw_asset_key
from orchestration.defs.jobs import FULL_REFRESH_TAG, MAIN_JOB_NAME, RELOAD_MONTHS_TAG, WRITER_TAGS
from orchestration.defs.publish import kpi_snapshot
from orchestration.defs.transform import parkpi_dbt_models
from orchestration.lib.resources import WarehouseResource
from sources.contracts import SOURCES, Source
from sources.loader import discover, reader_path
from sources.settings import as_of, get_settings
from sources.warehouse import quote

TIMEZONE = "Asia/Ho_Chi_Minh"
MONTHLY_SCHEDULE = "monthly_full_build"
DAILY_SCHEDULE = "daily_incremental_build"
SENSOR = "landing_folder_sensor"
FRESHNESS_CHECK = "data_is_fresh"


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


def file_months(path: Path) -> list[str]:
    """The months (YYYY-MM) of the events in one portal export, read in memory with DuckDB.
    Empty if it cannot be read (the load will then say why, naming the file)."""
    reader = "read_csv" if ".csv" in path.name else "read_json"
    options = "all_varchar = true, header = true" if reader == "read_csv" else "columns = {'ThoiDiem': 'VARCHAR'}"
    try:
        with duckdb.connect() as con:
            rows = con.execute(
                f"""SELECT DISTINCT substr(ThoiDiem, 1, 4) || '-' || substr(ThoiDiem, 5, 2) AS month
                    FROM {reader}(?, {options}) WHERE regexp_full_match(ThoiDiem, '\\d{{14}}') ORDER BY 1""",
                [reader_path(path)],
            ).fetchall()
    except duckdb.Error:
        return []
    return [row[0] for row in rows]


def landing_state(landing_dir: Path) -> dict[str, dict[str, list[int]]]:
    """Per source: relative path -> [size, mtime_ns], as the loader's discovery sees it."""
    state = {}
    for token, source in SOURCES.items():
        files, _ = discover(landing_dir, source)
        state[token] = {path: [entry.size_bytes, entry.mtime_ns] for path, entry in files.items()}
    return state


def plan_request(previous: dict, current: dict, landing_dir: Path) -> dg.RunRequest | None:
    """The run the difference between two landing states asks for, or None."""
    touched: dict[str, list[str]] = {}
    for token, files in current.items():
        before = previous.get(token, {})
        changed = [path for path, stat in files.items() if before.get(path) != stat]
        removed = [path for path in before if path not in files]
        if changed or removed:
            touched[token] = sorted(changed + removed)
    if not touched:
        return None
    selection = [raw_asset_key(SOURCES[t], e.name) for t in touched for e in SOURCES[t].entities]
    tags = {**WRITER_TAGS, RELOAD_MONTHS_TAG: "false", "parkpi/sources": ",".join(sorted(touched))}
    if "portal" in touched:
        months = sorted(
            {m for path in touched["portal"] if path in current["portal"] for m in file_months(landing_dir / path)}
        )
        keys = PORTAL_MONTHS.get_partition_keys()
        wanted = [k for k in keys if months and months[0] <= k[:7] <= months[-1]]
        # files whose months are unknown (removed, unreadable, outside the partitions): all months
        tags.update(range_tags(wanted[0], wanted[-1]) if wanted else every_partition_tags())
    digest = hashlib.sha256(
        json.dumps({t: {p: current[t].get(p) for p in paths} for t, paths in touched.items()}, sort_keys=True).encode()
    ).hexdigest()[:24]
    return dg.RunRequest(run_key=f"landing-{digest}", asset_selection=selection + DOWNSTREAM_KEYS, tags=tags)


@dg.sensor(
    name=SENSOR,
    job_name=MAIN_JOB_NAME,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="A new, changed or removed landing file requests a run for just its source (and portal months).",
)
def landing_folder_sensor(context: dg.SensorEvaluationContext):
    landing_dir = get_settings().landing_dir
    previous = json.loads(context.cursor) if context.cursor else {}
    current = landing_state(landing_dir)
    request = plan_request(previous, current, landing_dir)
    context.update_cursor(json.dumps(current, sort_keys=True))
    if request is None:
        return dg.SkipReason(f"no new, changed or removed file under {landing_dir}")
    return request


# ----------------------------------------------------------------------------- freshness

# source -> (entity, timestamp expression over the raw table, days after which data is stale)
FRESHNESS: dict[str, tuple[str, str, int]] = {
    "portal": ("events", "max(ThoiDiem)", 35),
    "postal": ("shipments", 'max("Ngày chấp nhận")', 35),
    # a monthly report covers its month: the newest is stale 2 months after that month began
    "mailbox": ("reports", 'max("Kỳ báo cáo")', 62),
}


def build_freshness_check(source: Source) -> dg.AssetChecksDefinition:
    entity, expression, days = FRESHNESS[source.token]
    key = raw_asset_key(source, entity)

    @dg.asset_check(
        asset=key,
        name=FRESHNESS_CHECK,
        blocking=False,
        description=f"Warning: the newest {source.token} data is at most {days} days old (PARKPI_AS_OF or today).",
    )
    def _fresh(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as con:
            newest = con.execute(f"SELECT {expression} FROM {quote(source.schema)}.{quote(entity)}").fetchone()[0]
        now = as_of()
        if newest is None:
            return dg.AssetCheckResult(
                passed=False, severity=dg.AssetCheckSeverity.WARN, description=f"no {source.token} data at all"
            )
        newest = newest if isinstance(newest, dt.datetime) else dt.datetime.combine(newest, dt.time())
        age = (now - newest).total_seconds() / 86400
        return dg.AssetCheckResult(
            passed=age <= days,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"newest {source.token} data {newest:%Y-%m-%d %H:%M}, {age:,.0f} days before "
            f"{now:%Y-%m-%d} (expected at most {days})",
            metadata={"newest": str(newest), "age_days": round(age, 1), "max_age_days": days},
        )

    return _fresh


freshness_checks = [build_freshness_check(SOURCES[token]) for token in FRESHNESS]

defs = dg.Definitions(
    schedules=[monthly_full_build, daily_incremental_build],
    sensors=[landing_folder_sensor],
    asset_checks=freshness_checks,
)

