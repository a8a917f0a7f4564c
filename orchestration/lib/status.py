"""`parkpi status`: what the warehouse holds, the last run and the latest check results.

Opens the warehouse read-only for a moment (a reader locks out a writer, so it never waits
long: if a run is writing, it says so and shows what the Dagster instance knows)."""

from __future__ import annotations

import duckdb

from orchestration.lib.summary import _table
from sources.contract import Source
from sources.registry import SOURCES
from sources.settings import TIME_ZONE_LABEL, Settings, format_time
from sources.warehouse import connect, quote

MONTHS = [f"{m:02d}" for m in range(1, 13)]


def _compact(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}M"
    if count >= 10_000:
        return f"{count / 1000:.0f}k"
    return f"{count:,}"


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows of a raw table; 0 for one an older warehouse does not have yet (the next load adds it)."""
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except duckdb.CatalogException:
        return 0


GAP = "GAP"  # a month inside a source's covered range without any row


def month_counts(con: duckdb.DuckDBPyConnection, source: Source) -> dict[tuple[int, int], int]:
    """Rows per (year, month) of the source's dated column (the one its freshness is judged by)."""
    column, table = quote(source.freshness.column), f"{quote(source.schema)}.{quote(source.freshness.entity)}"
    try:
        rows = con.execute(
            f"SELECT year({column}), month({column}), count(*) FROM {table} WHERE {column} IS NOT NULL GROUP BY ALL"
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    return {(year, month): count for year, month, count in rows}


def gaps(counts: dict[tuple[int, int], int]) -> list[str]:
    """Months (YYYY-MM) between the first and the last with rows that have none."""
    if not counts:
        return []
    (first_year, first_month), (last_year, last_month) = min(counts), max(counts)
    missing = []
    for index in range(first_year * 12 + first_month - 1, last_year * 12 + last_month):
        year, month = divmod(index, 12)
        if (year, month + 1) not in counts:
            missing.append(f"{year}-{month + 1:02d}")
    return missing


def coverage_lines(con: duckdb.DuckDBPyConnection, source: Source) -> list[str]:
    """The months a source covers, one row per year: rows per month, GAP for a month inside
    the covered range without any row (a missing export is noticed before a report goes out)."""
    if source.freshness is None:
        return []
    counts = month_counts(con, source)
    if not counts:
        return []
    missing = set(gaps(counts))
    years = sorted({year for year, _ in counts})
    rows = []
    for year in years:
        cells = []
        for month in range(1, 13):
            if (year, month) in counts:
                cells.append(_compact(counts[(year, month)]))
            else:
                cells.append(GAP if f"{year}-{month:02d}" in missing else "·")
        rows.append([year, *cells, _compact(sum(c for (y, _), c in counts.items() if y == year))])
    title = f"\n{source.token}: rows per month of {source.freshness.column}"
    if missing:
        title += (
            f" — {len(missing)} month{'s' if len(missing) != 1 else ''} without any row: {', '.join(sorted(missing))}"
        )
    return [title, _table(["year", *MONTHS, "total"], rows, left=(0,))]


def warehouse_lines(con: duckdb.DuckDBPyConnection) -> tuple[list[str], int]:
    lines, failed_blocking = [], 0
    rows = []
    for token, source in SOURCES.items():
        schema = quote(source.schema)
        try:
            files, last = con.execute(f"SELECT count(*), max(_loaded_at) FROM {schema}.manifest").fetchone()
            records = sum(_count(con, f"{schema}.{quote(e.name)}") for e in source.entities)
            rejects = con.execute(f"SELECT count(*) FROM {schema}.rejects").fetchone()[0]
        except duckdb.CatalogException:
            rows.append([token, 0, 0, 0, "never loaded"])
            continue
        rows.append([token, files, f"{records:,}", f"{rejects:,}", format_time(last) if last else "never"])
    lines.append("Raw data per source")
    lines.append(_table(["source", "files", "rows", "rejects", "last load"], rows))
    for source in SOURCES.values():
        lines.extend(coverage_lines(con, source))
    try:
        latest = con.execute(
            """SELECT run_id, max(checked_at), count(*), count(*) FILTER (NOT success),
                      count(*) FILTER (NOT success AND severity = 'blocking')
               FROM dq.check_results GROUP BY run_id ORDER BY 2 DESC LIMIT 1"""
        ).fetchone()
    except duckdb.CatalogException:
        latest = None
    if latest:
        run_id, checked_at, total, failed, failed_blocking = latest
        lines.append(
            f"\nData quality (run {run_id}, {format_time(checked_at)}): {total} checks, {total - failed} passed, "
            f"{plural(failed - failed_blocking, 'warning')}, {plural(failed_blocking, 'blocking failure')}"
        )
        for asset, check, severity, summary in con.execute(
            """SELECT asset, check_name, severity, summary FROM dq.check_results
               WHERE run_id = ? AND NOT success ORDER BY severity, asset, check_name""",
            [run_id],
        ).fetchall():
            label = "BLOCKING" if severity == "blocking" else "warning"
            lines.append(f"  {label:<8} {asset}:{check} — {summary[:160]}")
    return lines, failed_blocking


def run_seconds(record) -> float | None:
    """A run's duration, as parkpi shows it everywhere: Dagster's record of the run, from its
    start to its end (not the command around it)."""
    started, ended = record.start_time, record.end_time
    return ended - started if started and ended else None


def run_lines() -> tuple[list[str], bool]:
    """The last runs recorded in DAGSTER_HOME, and whether the last one failed."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        records = instance.get_run_records(limit=3)
    if not records:
        return ["\nNo run recorded in this Dagster instance yet."], False
    lines = ["\nLast runs"]
    rows = []
    for record in records:
        run = record.dagster_run
        seconds = run_seconds(record)
        took = f"{seconds:,.1f} s" if seconds is not None else ""
        rows.append([run.run_id, run.job_name, run.status.value, format_time(record.start_time, seconds=True), took])
    lines.append(_table(["run id", "job", "status", f"started ({TIME_ZONE_LABEL})", "took"], rows, left=(0, 1, 2, 3)))
    failed = records[0].dagster_run.status == dg.DagsterRunStatus.FAILURE
    return lines, failed


def print_status(settings: Settings) -> int:
    print(f"parkpi status — warehouse {settings.warehouse} (times in {TIME_ZONE_LABEL})")
    if not settings.warehouse.exists():
        print("No warehouse yet: run `make run` (or `parkpi run`) first.", flush=True)
        return 2
    failed_blocking = 0
    try:
        with connect(settings.warehouse, read_only=True, lock_timeout=2.0) as con:
            lines, failed_blocking = warehouse_lines(con)
        print("\n".join(lines))
    except duckdb.IOException as error:
        if "lock" not in str(error).lower():
            raise
        print("A run is writing the warehouse right now; its tables can be read when it finishes.")
    lines, last_failed = run_lines()
    print("\n".join(lines))
    snapshot = settings.publish_dir / "kpi.duckdb"
    print(f"\nPublished snapshot: {snapshot if snapshot.exists() else 'none yet'}")
    return 1 if last_failed or failed_blocking else 0
