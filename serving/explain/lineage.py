"""The rows behind a figure and the landing lines they came from: a dossier its deduplicated
events' files and lines (``kpi_dossier_lineage``: ``kpi_dossier_sources`` grouped per dossier by
dbt), a catalogue procedure the catalogue lines of
its versions valid on the period's last day (``dim_procedures``), a shipment or mailbox report
its own line. The rows come back as tuples, as the items of a JSON array or as text lines, each
made by DuckDB (a province figure at scale is hundreds of thousands of rows)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import duckdb

from serving.explain.rows import PERIOD_VALUES, ROW_SPECS, members_sql, period_params

if TYPE_CHECKING:
    from serving.explain.explainer import Explanation

ORDER = "ORDER BY in_numerator, key"  # outside the numerator first, then by key
# A row's sources in (file, line) order: the list sorted once made, not an ordered aggregate
# (DuckDB sorts every group of an ordered aggregate on its own: 2 s more for a province figure
# at 10M events; list_sort of the structs orders by file, then line, the same order).
SORTED = "list_sort"


def rows_sql(explanation: Explanation, limit: int | None, *, grouped_lineage: bool = True) -> str:
    """One row per member: key, in_numerator, numerator_amount, denominator_amount, sources
    (a list of {file, line}); with `limit` the first `limit` rows in ``ORDER``. A dossier's
    sources are its row of ``kpi_dossier_lineage``; with `grouped_lineage` False (a snapshot
    published before that table existed) its rows of ``kpi_dossier_sources``, grouped here."""
    spec = ROW_SPECS[explanation.indicator.code]
    limited = f"{ORDER} LIMIT {int(limit)}" if limit is not None else ""
    own = spec.kind.sources == "own"
    members = f"SELECT * FROM ({members_sql(spec, PERIOD_VALUES, scoped=True, own_sources=own)}) {limited}"
    if spec.kind.sources == "dossier" and grouped_lineage:
        return f"""
            WITH m AS ({members})
            SELECT m.key, m.in_numerator, m.numerator_amount, m.denominator_amount, s.sources
            FROM m JOIN kpi_dossier_lineage AS s ON s.dossier_code = m.key"""
    if spec.kind.sources == "dossier":
        return f"""
            WITH m AS ({members})
            SELECT m.key, m.in_numerator, m.numerator_amount, m.denominator_amount,
                   {SORTED}(list({{'file': s.source_file, 'line': s.source_line}})) AS sources
            FROM m JOIN kpi_dossier_sources AS s ON s.dossier_code = m.key
            GROUP BY ALL"""
    if spec.kind.sources == "procedure":
        return f"""
            WITH m AS ({members})
            SELECT m.key, m.in_numerator, m.numerator_amount, m.denominator_amount,
                   {SORTED}(list({{'file': d.source_file, 'line': d.source_line}})) AS sources
            FROM m JOIN dim_procedures AS d
              ON d.procedure_code = m.key AND d.service_level IN (3, 4) AND d.valid_from <= m.period_end
             AND (d.valid_to IS NULL OR m.period_end <= d.valid_to)
            GROUP BY ALL"""
    # one landing row per member: its own file and line
    return f"""
        WITH m AS ({members})
        SELECT key, in_numerator, numerator_amount, denominator_amount,
               [{{'file': source_file, 'line': source_line}}] AS sources
        FROM m"""


def _execute(con: duckdb.DuckDBPyConnection, sql: str, explanation: Explanation) -> duckdb.DuckDBPyConnection:
    return con.execute(sql, period_params(explanation.period, explanation.scope_code))


def _rows_sql(con: duckdb.DuckDBPyConnection, explanation: Explanation, limit: int | None) -> str:
    """``rows_sql`` for this snapshot: with ``kpi_dossier_lineage`` if it has it."""
    [(grouped,)] = con.execute(
        "SELECT count(*) > 0 FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'kpi_dossier_lineage'"
    ).fetchall()
    return rows_sql(explanation, limit, grouped_lineage=grouped)


def rows(con: duckdb.DuckDBPyConnection, explanation: Explanation, limit: int | None = None) -> list[tuple]:
    """(key, in_numerator, numerator_amount, denominator_amount, [{file, line}, ...])."""
    return _execute(con, f"SELECT * FROM ({_rows_sql(con, explanation, limit)}) {ORDER}", explanation).fetchall()


def rows_json(con: duckdb.DuckDBPyConnection, explanation: Explanation, limit: int | None = None) -> Iterator[str]:
    """The rows as the items of a JSON array (without the brackets), in pieces: each row's JSON
    made by DuckDB, in ``ORDER``, fetched in batches (one string_agg of a province figure's
    rows took twice as long, and held the whole array at once)."""
    cursor = _execute(
        con,
        f"""SELECT json_object('key', key, 'in_numerator', in_numerator, 'sources', sources)::VARCHAR
            FROM ({_rows_sql(con, explanation, limit)}) {ORDER}""",
        explanation,
    )
    separator = ""
    while batch := cursor.fetchmany(20_000):
        yield separator + ", ".join(item for (item,) in batch)
        separator = ", "


def rows_text(con: duckdb.DuckDBPyConnection, explanation: Explanation, limit: int | None = None) -> Iterator[str]:
    """The rows as the text output's lines (``in``/``out``, key, the amounts a mean or a sum
    adds up, ``<- file:line, ...``), made by DuckDB and fetched in batches: each piece is a
    batch of lines joined by newlines (without the last one)."""
    spec = ROW_SPECS[explanation.indicator.code]
    extra = "''"
    if spec.numerator_amount != "1" or spec.denominator_amount != "1":
        extra = f"'  ' || {_amount_sql('numerator_amount')}"
        if spec.denominator_amount != "1":
            extra += f" || ' / ' || {_amount_sql('denominator_amount')}"
    cursor = _execute(
        con,
        f"""SELECT '    ' || CASE WHEN in_numerator THEN 'in ' ELSE 'out' END || ' ' || key || {extra}
                   || '  <- ' || array_to_string(list_transform(sources, lambda s: s.file || ':' || s.line), ', ')
            FROM ({_rows_sql(con, explanation, limit)}) {ORDER}""",
        explanation,
    )
    while batch := cursor.fetchmany(20_000):
        yield "\n".join(line for (line,) in batch)  # a batch of lines at once: one write, not 20,000


def _amount_sql(column: str) -> str:
    """A row's amount as text: whole numbers with thousands separators, days to 4 decimals."""
    return (
        f"CASE WHEN {column} = round({column}) THEN format('{{:,}}', CAST({column} AS BIGINT)) "
        f"ELSE format('{{:.4f}}', {column}) END"
    )
