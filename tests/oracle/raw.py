"""The raw tables the loader writes, read as plain Python rows (one dict per row).

The raw layer holds exactly the rows that passed the source contract, with `_source_file`
and `_source_line` for the contract's precedence rules; it is not deduplicated and has no
storage order (docs/raw-layout.md). Nothing here interprets the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

RAW_TABLES = {
    "events": "raw_portal.events",
    "shipments": "raw_postal.shipments",
    "reports": "raw_mailbox.reports",
    "agencies": "raw_catalog.agencies",
    "procedures": "raw_catalog.procedures",
    "targets": "raw_catalog.targets",
}

Row = dict[str, object]


@dataclass(frozen=True)
class Raw:
    events: list[Row]
    shipments: list[Row]
    reports: list[Row]
    agencies: list[Row]
    procedures: list[Row]
    targets: list[Row] | None  # None: the warehouse has no raw_catalog.targets (yet)


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[Row]:
    cursor = con.execute(f"SELECT * FROM {table}")
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".")
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def read_raw(con: duckdb.DuckDBPyConnection) -> Raw:
    """Every raw table; `targets` is None when the warehouse does not have that table."""
    tables = {
        key: _rows(con, table) if key != "targets" or table_exists(con, table) else None
        for key, table in RAW_TABLES.items()
    }
    return Raw(**tables)
