"""The raw layer's tables in the private DuckDB warehouse (layout: docs/raw-layout.md)."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from sources.contracts import LINEAGE_COLUMNS, SOURCES, Source


def quote(identifier: str) -> str:
    """Quote a SQL identifier (contract headers contain spaces and diacritics)."""
    return '"' + identifier.replace('"', '""') + '"'


def connect(
    path: Path | str,
    *,
    read_only: bool = False,
    memory_limit: str | None = None,
    lock_timeout: float = 120.0,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse. ``memory_limit`` bounds DuckDB (it spills next to the file);
    a lock held by another process is waited for with backoff up to ``lock_timeout`` s."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    config = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
        config["temp_directory"] = str(path.parent / ".duckdb_tmp")
    delay, waited = 0.2, 0.0
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=config)
            break
        except duckdb.IOException as error:
            # Another process holds DuckDB's single-writer lock: wait for it, not forever.
            if "lock" not in str(error).lower() or waited >= lock_timeout:
                raise
            time.sleep(delay)
            waited += delay
            delay = min(delay * 2, 5.0)
    con.execute("SET enable_progress_bar = false")  # Dagster and the CLI print progress
    return con


def ensure_raw_schema(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Create the source's raw schema and tables if they do not exist yet."""
    schema = quote(source.schema)
    lineage = ", ".join(f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for entity in source.entities:
        columns = ", ".join(f"{quote(f.name)} {f.sql_type}" for f in entity.fields)
        con.execute(f"CREATE TABLE IF NOT EXISTS {schema}.{quote(entity.name)} ({columns}, {lineage})")
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {schema}.rejects (
            entity VARCHAR, _source_file VARCHAR, _source_line BIGINT,
            raw_content VARCHAR, reason VARCHAR, _load_id BIGINT, _loaded_at TIMESTAMP)"""
    )
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
    if source.token == "portal":
        con.execute(f"CREATE TABLE IF NOT EXISTS {schema}.dossier_changes (_load_id BIGINT, MaHoSo VARCHAR)")


def ensure_all_raw_schemas(con: duckdb.DuckDBPyConnection) -> None:
    for source in SOURCES.values():
        ensure_raw_schema(con, source)


_held_locks: dict[str, int] = {}


@contextmanager
def writer_lock(
    warehouse: Path | str,
    *,
    on_wait: Callable[[str], None] | None = None,
    timeout: float = 6 * 3600,
    holder: str = "",
) -> Iterator[None]:
    """Only one run writes the warehouse at a time: a second one waits here (reporting once who
    it waits for), it does not fail on DuckDB's lock. An advisory lock on ``<warehouse>.lock``
    that the kernel releases when the holder dies, even by SIGKILL. Re-entrant within a process
    (the CLI holds it around a run whose steps take it again)."""
    warehouse = Path(warehouse).resolve()
    key = str(warehouse)
    if _held_locks.get(key):
        _held_locks[key] += 1
        try:
            yield
        finally:
            _held_locks[key] -= 1
        return
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    lock_path = warehouse.with_name(warehouse.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            current = os.pread(fd, 512, 0).decode("utf-8", "replace").strip() or "another process"
            if on_wait:
                on_wait(f"the warehouse is being written by {current}; waiting for it to finish")
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(
                            f"{warehouse} has been written by {current} for more than {timeout:.0f} s; "
                            "check that run, or stop it, and try again"
                        ) from None
                    time.sleep(0.5)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{holder or 'a parkpi process'} (pid {os.getpid()})".encode(), 0)
        _held_locks[key] = 1
        try:
            yield
        finally:
            _held_locks.pop(key, None)
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
