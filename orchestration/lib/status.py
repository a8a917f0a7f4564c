"""`parkpi status`: what the warehouse holds, the last run and the latest check results.

Opens the warehouse read-only for a moment (a reader locks out a writer, so it never waits
long: if a run is writing, it says so and shows what the Dagster instance knows)."""

from __future__ import annotations

import duckdb

from orchestration.lib.summary import _table
from sources.registry import SOURCES
from sources.settings import Settings
from sources.warehouse import connect, quote

MONTHS = [f"{m:02d}" for m in range(1, 13)]


def _compact(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}M"
    if count >= 10_000:
        return f"{count / 1000:.0f}k"
    return f"{count:,}"


def warehouse_lines(con: duckdb.DuckDBPyConnection) -> tuple[list[str], int]:
    lines, failed_blocking = [], 0
    rows = []
    for token, source in SOURCES.items():
        schema = quote(source.schema)
        try:
            files, last = con.execute(f"SELECT count(*), max(_loaded_at) FROM {schema}.manifest").fetchone()
            records = sum(
                con.execute(f"SELECT count(*) FROM {schema}.{quote(e.name)}").fetchone()[0] for e in source.entities
            )
            rejects = con.execute(f"SELECT count(*) FROM {schema}.rejects").fetchone()[0]
        except duckdb.CatalogException:
            rows.append([token, 0, 0, 0, "never loaded"])
            continue
        rows.append([token, files, f"{records:,}", f"{rejects:,}", f"{last:%Y-%m-%d %H:%M}" if last else "never"])
    lines.append("Raw data per source")
    lines.append(_table(["source", "files", "rows", "rejects", "last load"], rows))
    try:
        per_month = con.execute(
            """SELECT year(ThoiDiem), month(ThoiDiem), count(*) FROM raw_portal.events GROUP BY ALL ORDER BY ALL"""
        ).fetchall()
    except duckdb.CatalogException:
        per_month = []
    if per_month:
        grid: dict[int, dict[int, int]] = {}
        for year, month, count in per_month:
            grid.setdefault(year, {})[month] = count
        lines.append("\nPortal events per month (month of ThoiDiem)")
        lines.append(
            _table(
                ["year", *MONTHS, "total"],
                [
                    [
                        year,
                        *(_compact(months.get(m, 0)) if m in months else "·" for m in range(1, 13)),
                        _compact(sum(months.values())),
                    ]  # fmt: skip
                    for year, months in sorted(grid.items())
                ],
                left=(0,),
            )
        )
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
            f"\nData quality (run {run_id}, {checked_at:%Y-%m-%d %H:%M}): {total} checks, {total - failed} passed, "
            f"{failed - failed_blocking} warnings, {failed_blocking} blocking failures"
        )
        for asset, check, severity, summary in con.execute(
            """SELECT asset, check_name, severity, summary FROM dq.check_results
               WHERE run_id = ? AND NOT success ORDER BY severity, asset, check_name""",
            [run_id],
        ).fetchall():
            label = "BLOCKING" if severity == "blocking" else "warning"
            lines.append(f"  {label:<8} {asset}:{check} — {summary[:160]}")
    return lines, failed_blocking


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
        started, ended = record.start_time, record.end_time
        seconds = f"{ended - started:,.1f} s" if started and ended else ""
        when = f"{__import__('datetime').datetime.fromtimestamp(started):%Y-%m-%d %H:%M:%S}" if started else ""
        rows.append([run.run_id, run.job_name, run.status.value, when, seconds])
    lines.append(_table(["run id", "job", "status", "started", "took"], rows, left=(0, 1, 2, 3)))
    failed = records[0].dagster_run.status == dg.DagsterRunStatus.FAILURE
    return lines, failed


def print_status(settings: Settings) -> int:
    print(f"parkpi status — warehouse {settings.warehouse}")
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
