"""The private DuckDB warehouse: opening it, and the single-writer lock around runs."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


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
