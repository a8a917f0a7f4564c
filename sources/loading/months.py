"""The months (YYYY-MM) a landing file's records fall in, by its source's ``period_field``: what
the landing-folder sensor asks to re-load for a partitioned source, read without a load."""

from __future__ import annotations

import duckdb

from sources.contract import Source
from sources.loading.discovery import FileEntry, reader_path
from sources.loading.validation import parse_expression
from sources.warehouse import quote


def file_months(source: Source, entry: FileEntry) -> list[str]:
    """The months of the file's records, read in memory with DuckDB; empty if the source is not
    partitioned by month or the file cannot be read that way (the load will then say why,
    naming the file)."""
    if not source.period_field:
        return []
    name = entry.relative_path.lower()
    column = quote(source.period_field)
    params: dict = {"path": reader_path(entry.absolute_path)}
    if name.endswith((".jsonl", ".jsonl.gz")):
        reader = "read_json($path, columns = $columns, format = 'newline_delimited')"
        params["columns"] = {source.period_field: "VARCHAR"}
    elif name.endswith((".csv", ".csv.gz")):
        reader = "read_csv($path, all_varchar = true, header = true)"
    else:
        return []
    parsed = parse_expression(entry.entity.field(source.period_field), f"trim({column}::VARCHAR)")
    try:
        with duckdb.connect() as con:
            rows = con.execute(
                f"""SELECT DISTINCT strftime(month, '%Y-%m') FROM (SELECT ({parsed}) AS month FROM {reader})
                    WHERE month IS NOT NULL ORDER BY 1""",
                params,
            ).fetchall()
    except duckdb.Error:
        return []
    return [row[0] for row in rows]
