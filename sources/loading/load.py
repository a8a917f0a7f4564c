"""Bring one source's raw tables in line with its landing files.

1. list the landing files and compare them with the source's manifest
   (:mod:`~sources.loading.changes`): unchanged files are not read at all;
2. in ONE transaction delete the rows of changed and removed files, read new and changed files
   (:mod:`~sources.loading.readers`), validate every value against the contract in SQL, insert
   valid rows into the raw table and the others into ``rejects`` with their reasons, and update
   the manifest;
3. on any error roll back, so what was loaded before stays exactly as it was, and raise
   :class:`~sources.loading.errors.LoadError` naming the file, the problem and the fix.

File names and values are always passed to DuckDB as parameters, never pasted into SQL.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sources.contract import Source
from sources.loading.changes import ChangeSet, compute_changes
from sources.loading.discovery import discover
from sources.loading.manifest import delete_files, ensure_raw_schema, read_manifest, refresh_mtimes, write_manifest
from sources.loading.readers import read_files
from sources.settings import local_now
from sources.warehouse import quote

Progress = Callable[[str], None]
_TEMP_TABLES = ("_parsed", "_offsets", "_csv", "_csv_bad", "_csv_refused", "_xlsx")


@dataclass
class LoadResult:
    source: str
    load_id: int | None
    files_added: list[str] = field(default_factory=list)
    files_changed: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    files_reloaded: list[str] = field(default_factory=list)  # unchanged, re-read on request
    files_unchanged: int = 0
    files_ignored: list[str] = field(default_factory=list)
    rows_loaded: int = 0  # by this load
    rows_rejected: int = 0  # by this load
    rows_deleted: int = 0  # rows of changed and removed files taken out
    reject_reasons: dict[str, int] = field(default_factory=dict)
    table_rows: dict[str, int] = field(default_factory=dict)  # totals after the load
    total_rejects: int = 0
    seconds: float = 0.0

    @property
    def files_read(self) -> int:
        return len(self.files_added) + len(self.files_changed)

    @property
    def changed(self) -> bool:
        return bool(self.files_added or self.files_changed or self.files_removed)


def load_source(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    landing_dir: Path,
    *,
    progress: Progress | None = None,
    periods: tuple[str, str] | None = None,
) -> LoadResult:
    """Load what changed (see module doc). ``periods=("2017-03", "2017-05")`` also re-reads,
    from scratch, every unchanged file whose records fall in those months (the manifest knows
    each file's first and last month, for sources with a ``period_field``)."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    ensure_raw_schema(con, source)
    files, ignored = discover(landing_dir, source)
    changes = compute_changes(source, files, read_manifest(con, source), periods=periods)
    result = LoadResult(
        source=source.token,
        load_id=None,
        files_ignored=ignored,
        files_added=changes.added,
        files_changed=changes.changed,
        files_removed=changes.removed,
        files_reloaded=changes.reloaded,
        files_unchanged=changes.unchanged,
    )
    say(_describe(source, len(files), changes, periods, ignored))
    if changes.any or changes.touched:
        _load(con, source, files, changes, result, say)
    else:
        say(f"{source.token}: nothing changed, no file read")
    _count(con, source, result)
    result.seconds = time.perf_counter() - started
    return result


def _describe(source: Source, total: int, changes: ChangeSet, periods, ignored: list[str]) -> str:
    return (
        f"{source.token}: {total} files — {len(changes.added)} new, {len(changes.changed)} changed, "
        f"{len(changes.removed)} removed, {changes.unchanged} unchanged"
        + (
            f", {len(changes.reloaded)} re-read" + (f" for {periods[0]}..{periods[1]}" if periods else "")
            if changes.reloaded
            else ""
        )
        + (f", {len(ignored)} ignored" if ignored else "")
    )


def _load(con, source: Source, files, changes: ChangeSet, result: LoadResult, say: Progress) -> None:
    schema = quote(source.schema)
    now = local_now()
    load_id = con.execute(f"SELECT coalesce(max(_load_id), 0) + 1 FROM {schema}.loads").fetchone()[0]
    result.load_id = load_id
    to_read = [files[p] for p in changes.added + changes.changed]
    to_read.sort(key=lambda e: e.relative_path.encode("utf-8"))
    # outside the transaction: a failed statement aborts it, and a SET then fails too
    with unordered_inserts(con):
        con.begin()
        try:
            refresh_mtimes(con, source, [files[p] for p in changes.touched])
            if changes.any:
                result.rows_deleted = delete_files(con, source, changes.changed + changes.removed, load_id)
                per_file = read_files(con, source, to_read, load_id, now, say)
                write_manifest(con, source, to_read, per_file, load_id, now)
                result.rows_loaded = sum(loaded for loaded, _ in per_file.values())
                result.rows_rejected = sum(rejected for _, rejected in per_file.values())
                con.execute(
                    f"INSERT INTO {schema}.loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        load_id,
                        now,
                        local_now(),
                        len(changes.added),
                        len(changes.changed),
                        len(changes.removed),
                        changes.unchanged,
                        result.rows_loaded,
                        result.rows_rejected,
                    ],
                )
            con.commit()
        except BaseException:
            con.rollback()
            raise
        finally:
            for table in _TEMP_TABLES:
                con.execute(f"DROP TABLE IF EXISTS temp.{table}")


def _count(con: duckdb.DuckDBPyConnection, source: Source, result: LoadResult) -> None:
    schema = quote(source.schema)
    for entity in source.entities:
        table = f"{schema}.{quote(entity.name)}"
        result.table_rows[entity.name] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    result.total_rejects = con.execute(f"SELECT count(*) FROM {schema}.rejects").fetchone()[0]
    result.reject_reasons = dict(
        con.execute(
            f"""SELECT split_part(reason, ';', 1) AS first_reason, count(*)
                FROM {schema}.rejects GROUP BY ALL ORDER BY 2 DESC, 1 LIMIT 20"""
        ).fetchall()
    )


@contextmanager
def unordered_inserts(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Let DuckDB insert rows in any order while a load runs. Raw rows carry their file and
    line, and nothing reads a raw table in storage order (staging orders by file and line),
    so keeping the scans' order buys nothing; for the portal's many files it serialised the
    write, which then took twice as long as the scan-and-validate work itself (18 s against
    9 s for 10M events on 2 cores). The setting is restored after; the block must enclose the
    load's transaction, because a SET inside a transaction that a failed statement aborted
    fails as well and would hide the real error.
    """
    previous = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if previous else 'false'}")


def summarise_reasons(reasons: dict[str, int], limit: int = 5) -> str:
    top = Counter(reasons).most_common(limit)
    return "; ".join(f"{count}× {reason}" for reason, count in top)


def pending_changes(con: duckdb.DuckDBPyConnection, source: Source, landing_dir: Path) -> list[str]:
    """What a load would have to look at, from file sizes and modification times alone (no
    file is opened): the quick form of the change set. Works on a read-only connection."""
    files, _ = discover(landing_dir, source)
    return compute_changes(source, files, read_manifest(con, source), hashing=False).pending
