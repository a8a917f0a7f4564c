"""What `parkpi run` prints at the end: per source rows loaded and rejected (and KPIs)."""

from __future__ import annotations

import sys

import dagster as dg

from sources.contracts import SOURCES
from sources.settings import Settings
from sources.warehouse import connect, quote


def _table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [headers] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for number, row in enumerate(cells):
        lines.append("  ".join(value.rjust(w) if number and value.replace(".", "").replace(",", "").lstrip("-+").isdigit()
                               else value.ljust(w) for value, w in zip(row, widths, strict=True)))
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


def print_summary(settings: Settings) -> None:
    print("\nRaw data loaded (rejected rows are in raw_<source>.rejects with file, line and reason)")
    print(_table(["source", "files", "rows loaded", "rows rejected"], source_rows(settings)))


def print_failure(result: dg.ExecuteInProcessResult) -> None:
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            data = event.step_failure_data
            message = data.error.message.strip() if data and data.error else "unknown error"
            print(f"\nFAILED {event.step_key}: {message}", file=sys.stderr)
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
            if not evaluation.passed:
                print(f"\nCHECK FAILED {evaluation.asset_key.to_user_string()}:{evaluation.check_name} "
                      f"({evaluation.severity.value})", file=sys.stderr)
