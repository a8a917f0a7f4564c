"""The raw layer's bookkeeping tables per source (layout: docs/raw-layout.md): the raw tables
themselves, ``rejects``, ``manifest`` (every loaded file: path, size, mtime, sha256, months),
``loads`` (one row per load) and the source's change log, if it has one."""

from __future__ import annotations

import datetime as dt

import duckdb

from sources.contract import Entity, Source
from sources.loading.changes import Known
from sources.loading.discovery import FileEntry
from sources.loading.reasons import REASON_TYPE
from sources.registry import SOURCES
from sources.warehouse import quote


def ensure_raw_schema(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Create the source's raw schema and tables if they do not exist yet (and bring tables of
    earlier versions up to date)."""
    schema = quote(source.schema)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for entity in source.entities:
        columns = ", ".join(f"{quote(name)} {sql_type}" for name, sql_type in entity.raw_columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {schema}.{quote(entity.name)} ({columns})")
        add_derived_columns(con, source, entity)
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {schema}.rejects (
            entity VARCHAR, _source_file VARCHAR, _source_line BIGINT,
            raw_content VARCHAR, reason VARCHAR, _load_id BIGINT, _loaded_at TIMESTAMP,
            reasons {REASON_TYPE})"""
    )
    # warehouses of earlier versions: the structured reasons beside the English text
    con.execute(f"ALTER TABLE {schema}.rejects ADD COLUMN IF NOT EXISTS reasons {REASON_TYPE}")
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {schema}.manifest (
            file_path VARCHAR PRIMARY KEY, size_bytes BIGINT, mtime_ns BIGINT,
            sha256 VARCHAR, rows_loaded BIGINT, rows_rejected BIGINT,
            _load_id BIGINT, _loaded_at TIMESTAMP, first_period VARCHAR, last_period VARCHAR)"""
    )
    # warehouses built before month partitions: the first and last month of each file
    for column in ("first_period", "last_period"):
        con.execute(f"ALTER TABLE {schema}.manifest ADD COLUMN IF NOT EXISTS {column} VARCHAR")
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {schema}.loads (
            _load_id BIGINT PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP,
            files_added INTEGER, files_changed INTEGER, files_removed INTEGER,
            files_unchanged INTEGER, rows_loaded BIGINT, rows_rejected BIGINT)"""
    )
    if source.change_log:
        log = source.change_log
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {schema}.{quote(log.table)} (_load_id BIGINT, {quote(log.key)} VARCHAR)"
        )


def add_derived_columns(con: duckdb.DuckDBPyConnection, source: Source, entity: Entity) -> None:
    """Warehouses of earlier versions: a derived column the raw table lacks is added and
    computed for the rows it already holds, in one transaction (so that no crash leaves the
    column without its values). Called outside a transaction, like ensure_raw_schema."""
    present = {
        name
        for (name,) in con.execute(
            """SELECT column_name FROM duckdb_columns()
               WHERE database_name = current_database() AND schema_name = ? AND table_name = ?""",
            [source.schema, entity.name],
        ).fetchall()
    }
    table = f"{quote(source.schema)}.{quote(entity.name)}"
    missing = [derived for derived in entity.derived if derived.name not in present]
    if not missing:
        return
    con.begin()
    try:
        for derived in missing:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {quote(derived.name)} {derived.sql_type}")
            con.execute(f"UPDATE {table} SET {quote(derived.name)} = {derived.expression()}")
        con.commit()
    except BaseException:
        con.rollback()
        raise


def ensure_all_raw_schemas(con: duckdb.DuckDBPyConnection) -> None:
    for source in SOURCES.values():
        ensure_raw_schema(con, source)


def read_manifest(con: duckdb.DuckDBPyConnection, source: Source) -> dict[str, Known]:
    """The source's manifest ({} when the warehouse has none yet; works read-only)."""
    try:
        rows = con.execute(
            f"""SELECT file_path, size_bytes, mtime_ns, sha256, first_period, last_period
                FROM {quote(source.schema)}.manifest"""
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    return {row[0]: Known(*row[1:]) for row in rows}


def refresh_mtimes(con: duckdb.DuckDBPyConnection, source: Source, entries: list[FileEntry]) -> None:
    for entry in entries:
        con.execute(
            f"UPDATE {quote(source.schema)}.manifest SET mtime_ns = ?, size_bytes = ? WHERE file_path = ?",
            [entry.mtime_ns, entry.size_bytes, entry.relative_path],
        )


def delete_files(con: duckdb.DuckDBPyConnection, source: Source, paths: list[str], load_id: int) -> int:
    """Take the rows, rejects and manifest entries of these files out; returns the rows deleted."""
    if not paths:
        return 0
    schema = quote(source.schema)
    if source.change_log:
        log = source.change_log
        con.execute(
            f"""INSERT INTO {schema}.{quote(log.table)}
                SELECT DISTINCT ?, {quote(log.key)} FROM {schema}.{quote(log.entity)}
                WHERE _source_file IN (SELECT unnest(?))""",
            [load_id, paths],
        )
    deleted = 0
    for entity in source.entities:
        deleted += con.execute(
            f"DELETE FROM {schema}.{quote(entity.name)} WHERE _source_file IN (SELECT unnest(?))", [paths]
        ).fetchone()[0]
    con.execute(f"DELETE FROM {schema}.rejects WHERE _source_file IN (SELECT unnest(?))", [paths])
    con.execute(f"DELETE FROM {schema}.manifest WHERE file_path IN (SELECT unnest(?))", [paths])
    return deleted


def write_manifest(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    entries: list[FileEntry],
    per_file: dict[str, tuple[int, int]],
    load_id: int,
    now: dt.datetime,
) -> None:
    schema = quote(source.schema)
    periods: dict[str, tuple[str, str]] = {}
    if source.period_field and entries:
        # each file's first and last month, so that a month can be re-loaded alone later
        entity = quote(source.entities[0].name)
        column = quote(source.period_field)
        periods = {
            row[0]: row[1:]
            for row in con.execute(
                f"""SELECT _source_file, strftime(min({column}), '%Y-%m'), strftime(max({column}), '%Y-%m')
                    FROM {schema}.{entity} WHERE _load_id = ? GROUP BY ALL""",
                [load_id],
            ).fetchall()
        }
    rows = [
        (
            e.relative_path,
            e.size_bytes,
            e.mtime_ns,
            e.sha256,
            *per_file.get(e.relative_path, (0, 0)),
            load_id,
            now,
            *periods.get(e.relative_path, (None, None)),
        )
        for e in entries
    ]
    if rows:
        con.executemany(
            f"""INSERT INTO {schema}.manifest (file_path, size_bytes, mtime_ns, sha256, rows_loaded, rows_rejected,
                    _load_id, _loaded_at, first_period, last_period) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            rows,
        )
