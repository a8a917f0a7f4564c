"""CSV (plain or gzip, UTF-8, BOM allowed), one file at a time, through DuckDB's reader; lines
the reader refuses (wrong number of columns, broken quoting) become rejects too."""

from __future__ import annotations

import duckdb

from sources.contract import Entity, Source
from sources.loading import reasons
from sources.loading.discovery import FileEntry, reader_path
from sources.loading.errors import LoadError, check_header, diagnose
from sources.loading.validation import parse_into
from sources.warehouse import quote

READER = (
    "read_csv($file, header = true, all_varchar = true, delim = ',', quote = '\"', "
    "escape = '\"', store_rejects = true, rejects_scan = 'csv_rejects_scan', "
    "rejects_table = 'csv_rejects')"
)


def read_csv(con: duckdb.DuckDBPyConnection, source: Source, entity: Entity, entry: FileEntry) -> None:
    """Stage and validate one file into ``_parsed`` (+ ``_offsets``)."""
    params = {"file": reader_path(entry.absolute_path)}
    if entry.size_bytes == 0:
        raise LoadError(source.token, entry.relative_path, "empty")
    try:
        header = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {READER}", params).fetchall()]
    except duckdb.Error as error:
        raise diagnose(source.token, entry.relative_path, error) from error
    check_header(source.token, entry.relative_path, entity.required, header)
    try:
        # DuckDB appends to its rejects tables on every scan (the DESCRIBE above included).
        con.execute("DROP TABLE IF EXISTS temp.csv_rejects")
        con.execute("DROP TABLE IF EXISTS temp.csv_rejects_scan")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _csv AS SELECT * FROM {READER} WITH ORDINALITY", params)
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _csv_refused AS
               SELECT line, min(error_type::VARCHAR) AS error_type, min(csv_line) AS csv_line,
                   min(error_message) AS error_message
               FROM csv_rejects GROUP BY line"""
        )
        structural = con.execute(
            "SELECT line, error_type, csv_line, error_message FROM _csv_refused ORDER BY line"
        ).fetchall()
    except duckdb.Error as error:
        raise diagnose(source.token, entry.relative_path, error) from error
    for line, error_type, _, _ in structural:
        if "ENCODING" in str(error_type).upper():
            raise LoadError(
                source.token, entry.relative_path, "not_utf8", where=f" (line {line})", where_vi=f" (dòng {line})"
            )
    # Lines DuckDB refused are rejects too; the remaining rows' line numbers are shifted back
    # past them: row o (1-based) sits on line o + 1 (header) + number of refused lines before it.
    bad_lines = sorted({line for line, *_ in structural})
    con.execute("CREATE OR REPLACE TEMP TABLE _csv_bad (good_before BIGINT, shift BIGINT)")
    if bad_lines:
        con.executemany(
            "INSERT INTO _csv_bad VALUES (?, ?)", [(line - 1 - index, index) for index, line in enumerate(bad_lines, 1)]
        )
    columns = ", ".join(
        f"{quote(f.name)}" if f.name in header else f"NULL::VARCHAR AS {quote(f.name)}" for f in entity.fields
    )
    raw = "to_json(struct_pack(" + ", ".join(f"{quote(h)} := {quote(h)}" for h in header) + "))"
    refused = reasons.struct_sql("bad_csv_row", None, detail="error_message")
    staged = f"""
        SELECT {columns},
            $relative AS _file,
            ordinality + 1 + coalesce(shift, 0) AS _line,
            {raw}::VARCHAR AS _raw,
            NULL AS _pre_reason
        FROM _csv ASOF LEFT JOIN (
            SELECT good_before, max(shift) AS shift FROM _csv_bad GROUP BY ALL
        ) AS bad ON _csv.ordinality > bad.good_before
        UNION ALL
        SELECT {", ".join(f"NULL::VARCHAR AS {quote(f.name)}" for f in entity.fields)},
            $relative, line, csv_line, {refused}
        FROM _csv_refused
    """
    parse_into(con, entity, staged, {"relative": entry.relative_path})
    single_file_offsets(con, entry)


def single_file_offsets(con: duckdb.DuckDBPyConnection, entry: FileEntry) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _offsets AS SELECT ?::VARCHAR AS _file, 0::BIGINT AS _offset, "
        "?::VARCHAR AS _relative",
        [entry.relative_path, entry.relative_path],
    )
