"""Digests of what a run on the bundled sample produces, to prove a refactoring changed no figure.

``tests/golden/sample_outputs.json`` holds, per table, its row count and an MD5 over its rows
sorted and written out canonically (``repr`` of every value), for
- every table of the published snapshot (``kpi.duckdb``: KPI tables, dimensions, facts),
- every source's rejects (file, line, raw content, reason) and raw rows (every contract column,
  file and line).

Load bookkeeping (load ids, load times, snapshot ids) is left out: it says when, not what.
The digests do not depend on DuckDB's hash functions or storage order, so they stay valid
across DuckDB versions as long as the values are the same.

Regenerate (only when a change of figures is intended, and say so in the commit)::

    .venv/bin/python -m tests.golden_outputs WAREHOUSE.duckdb PUBLISHED_DIR > tests/golden/sample_outputs.json
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import duckdb

GOLDEN_FILE = Path(__file__).with_name("golden") / "sample_outputs.json"
# when the build that wrote a row started: the one column an incremental build and a full
# refresh write differently (macros/built_at.sql)
BUILD_TIME_COLUMN = "_built_at"
# when a row was loaded or published, not what it says
BOOKKEEPING_COLUMNS = {BUILD_TIME_COLUMN, "_load_id", "_loaded_at", "_max_load_id", "load_id", "loaded_at"}
SKIPPED_TABLES = {"_snapshot"}


def rows_as_built(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """A query of every row of ``relation`` without its build time, for comparing an incremental
    build with a full refresh (tests/dbt_helpers.py, bench/transform_baseline.py, bench/scale.py)."""
    columns = [row[0] for row in con.execute(f"DESCRIBE {relation}").fetchall()]
    exclude = f" EXCLUDE ({BUILD_TIME_COLUMN})" if BUILD_TIME_COLUMN in columns else ""
    return f"SELECT *{exclude} FROM {relation}"


def _digest(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str] | None = None) -> dict[str, object]:
    """Row count and MD5 of ``relation``, over ``columns`` (default: all but bookkeeping)."""
    if columns is None:
        columns = [
            row[0]
            for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
            if row[0] not in BOOKKEEPING_COLUMNS
        ]
    selected = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
    digest = hashlib.md5()
    rows = 0
    cursor = con.execute(f"SELECT {selected} FROM {relation} ORDER BY ALL")
    while batch := cursor.fetchmany(10_000):
        for row in batch:
            digest.update(repr(row).encode("utf-8") + b"\n")
            rows += 1
    return {"rows": rows, "columns": columns, "md5": digest.hexdigest()}


def digest_outputs(
    warehouse: Path, published_dir: Path, columns: dict[str, list[str]] | None = None
) -> dict[str, dict[str, object]]:
    """The digests of every published table and every raw table and rejects table; with
    ``columns`` ({table: columns}, e.g. from the golden file) over those columns of those tables
    only, so that tables and columns added since compare as what they were."""
    columns = columns or {}
    out: dict[str, dict[str, object]] = {}
    with duckdb.connect(str(published_dir / "kpi.duckdb"), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY 1"
            ).fetchall()
        ]
        for table in tables:
            key = f"published.{table}"
            if table not in SKIPPED_TABLES and (not columns or key in columns):
                out[key] = _digest(con, f'main."{table}"', columns.get(key))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        raw = con.execute(
            """SELECT schema_name, table_name FROM duckdb_tables()
               WHERE schema_name LIKE 'raw\\_%' ESCAPE '\\'
                 AND table_name NOT IN ('manifest', 'loads', 'dossier_changes')
               ORDER BY 1, 2"""
        ).fetchall()
        for schema, table in raw:
            key = f"{schema}.{table}"
            if not columns or key in columns:
                out[key] = _digest(con, f'"{schema}"."{table}"', columns.get(key))
    return out


if __name__ == "__main__":
    warehouse, published = Path(sys.argv[1]), Path(sys.argv[2])
    print(json.dumps(digest_outputs(warehouse, published), indent=1, ensure_ascii=False, sort_keys=True))
