"""What `parkpi run` prints at the end: per source rows loaded and rejected (and KPIs)."""

from __future__ import annotations

import re
import sys

import dagster as dg

from sources.registry import SOURCES
from sources.settings import Settings
from sources.warehouse import connect, quote


def _table(headers: list[str], rows: list[list[object]], left: tuple[int, ...] = (0,)) -> str:
    """A plain-text table: columns in ``left`` left-aligned, the rest (figures) right-aligned."""
    cells = [headers] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for number, row in enumerate(cells):
        lines.append(
            "  ".join(
                value.ljust(width) if index in left else value.rjust(width)
                for index, (value, width) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def source_rows(settings: Settings) -> list[list[object]]:
    rows = []
    with connect(settings.warehouse, read_only=True) as con:
        for source in SOURCES.values():
            schema = quote(source.schema)
            for entity in source.entities:
                loaded = con.execute(f"SELECT count(*) FROM {schema}.{quote(entity.name)}").fetchone()[0]
                rejected, files = con.execute(
                    f"""SELECT (SELECT count(*) FROM {schema}.rejects WHERE coalesce(entity, ?) = ?),
                               (SELECT count(*) FROM {schema}.manifest)""",
                    [entity.name, entity.name],
                ).fetchone()
                rows.append([f"{source.token}.{entity.name}", files, f"{loaded:,}", f"{rejected:,}"])
    return rows


def format_value(value: float | None, unit: str, *, change: bool = False) -> str:
    if value is None:
        return "–"
    sign = "+" if change and value > 0 else ""
    if unit == "ratio":
        return f"{sign}{value * 100:.1f}" + (" pp" if change else "%")
    if unit == "days":
        return f"{sign}{value:.1f}"
    return f"{sign}{value:,.0f}"


# Years shown side by side in the run summary: a long history (ten years of a province, or the
# 34 years of bench/scale.py's 100M events) would not fit a terminal. kpi.kpi_yearly has them all.
SUMMARY_YEARS = 5


def kpi_rows(settings: Settings) -> tuple[list[str], list[list[object]]]:
    """Province indicators, one row each, one column per year (the last SUMMARY_YEARS), then
    the latest change."""
    with connect(settings.warehouse, read_only=True) as con:
        years = [
            y
            for (y,) in con.execute(
                "SELECT DISTINCT year FROM kpi.kpi_yearly WHERE scope = 'province' ORDER BY year"
            ).fetchall()
        ]
        if not years:
            return [], []
        years = years[-SUMMARY_YEARS:]
        facts = con.execute(
            """SELECT i.indicator, i.unit, k.year, k.value, k.change_abs, k.trend
               FROM marts.dim_indicators AS i
               LEFT JOIN kpi.kpi_yearly AS k
                   ON k.indicator = i.indicator AND k.scope = 'province' AND k.year >= ?
               ORDER BY i.display_order, k.year""",
            [years[0]],
        ).fetchall()
    last = years[-1]
    rows: dict[str, list[object]] = {}
    for indicator, unit, year, value, change, trend in facts:
        row = rows.setdefault(indicator, [indicator] + ["–"] * len(years) + ["–", ""])
        if year is None:
            continue
        row[1 + years.index(year)] = format_value(value, unit)
        if year == last:
            row[-2] = format_value(change, unit, change=True)
            row[-1] = trend or ""
    headers = ["indicator (province)"] + [str(y) for y in years] + [f"change {last}", "trend"]
    return headers, list(rows.values())


def print_summary(settings: Settings) -> None:
    print("\nRaw data loaded (rejected rows are in raw_<source>.rejects with file, line and reason)")
    print(_table(["source", "files", "rows loaded", "rows rejected"], source_rows(settings)))
    headers, rows = kpi_rows(settings)
    if rows:
        print("\nKey indicators (kpi.kpi_yearly; ratios in %, changes of ratios in percentage points)")
        print(_table(headers, rows, left=(0, len(headers) - 1)))
    print_quality(settings)
    print_published(settings)


def print_published(settings: Settings) -> None:
    from serving.snapshot import PARQUET_LINK, SNAPSHOT_FILE

    snapshot = settings.publish_dir / SNAPSHOT_FILE
    if not snapshot.exists():
        return
    print("\nPublished for BI tools and leadership (read-only; see docs/serving.md)")
    print(f"  DuckDB snapshot  {snapshot}")
    print(f"  Parquet          {settings.publish_dir / PARQUET_LINK}/")
    reports = sorted((settings.publish_dir / "report").glob("bao-cao-report-*.html"))
    if reports:
        print(f"  report           {reports[-1]} (+ .xlsx)")


def print_quality(settings: Settings, run_id: str | None = None) -> None:
    from quality import summary_lines  # GX is slow to import; only when printing

    lines = summary_lines(settings, run_id=run_id)
    if lines:
        print("\nData quality (Great Expectations checks; history in the dq schema)")
        print("\n".join(lines))


def print_failure(result: dg.ExecuteInProcessResult) -> None:
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            data = event.step_failure_data
            message = data.error.message.strip() if data and data.error else "unknown error"
            # "dagster._core.definitions.events.Failure: [portal] ..." -> "[portal] ..."
            message = re.sub(r"^[\w.]+(Failure|Error|Exception): ", "", message)
            print(f"\nFAILED {event.step_key}: {message}", file=sys.stderr)
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
            if not evaluation.passed:
                reason = f": {evaluation.description}" if evaluation.description else ""
                print(
                    f"\nCHECK FAILED {evaluation.asset_key.to_user_string()}:{evaluation.check_name} "
                    f"({evaluation.severity.value}){reason}",
                    file=sys.stderr,
                )
