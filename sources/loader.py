"""Load one source's landing files into its raw DuckDB schema.

One mechanism serves all four sources; each source only supplies its contract
(:mod:`sources.contracts`). For every source the load

1. lists the landing files (``<landing>/<token>/**``) and compares them with the source's
   file manifest (path, size, mtime, sha256): unchanged files are not read at all;
2. in ONE transaction deletes the rows of changed and removed files, reads new and changed
   files with DuckDB's own readers (xlsx through openpyxl), parses every value against the
   contract in SQL, inserts valid rows into the raw table and contract-violating rows into
   ``rejects`` (file, line, raw content, reason), and updates the manifest;
3. on any error rolls back, so what was loaded before stays exactly as it was, and raises
   :class:`LoadError` naming the file and the problem.

File names and values are always passed to DuckDB as parameters, never pasted into SQL.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import re
import stat
import time
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sources.contracts import FORMAT_HINTS, Entity, Field, Source
from sources.warehouse import ensure_raw_schema, quote

Progress = Callable[[str], None]

# A delimiter that cannot occur in a JSON line, so DuckDB's CSV reader hands us whole lines.
_LINE_READER = (
    "read_csv($files, columns = {'line': 'VARCHAR'}, header = false, delim = '\x01', "
    "quote = '', escape = '', auto_detect = false, filename = true)"
)


# Clean JSON Lines files read by one statement (one scan each, in a UNION ALL): enough to keep
# every core busy, few enough to keep the statement small.
_FILES_PER_SCAN = 64


class LoadError(Exception):
    """A landing file could not be read at all; nothing of this load was kept."""

    def __init__(self, source: str, file: str, problem: str, fix: str = "") -> None:
        self.source, self.file, self.problem, self.fix = source, file, problem, fix
        message = f"[{source}] {file}: {problem}"
        if fix:
            message += f" — {fix}"
        message += " (nothing of this load was kept; earlier data is untouched)"
        super().__init__(message)


@dataclass
class FileEntry:
    relative_path: str  # "/"-separated, relative to the landing root
    absolute_path: Path
    entity: Entity
    size_bytes: int
    mtime_ns: int
    sha256: str | None = None


@dataclass
class LoadResult:
    source: str
    load_id: int | None
    files_added: list[str] = field(default_factory=list)
    files_changed: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    files_reloaded: list[str] = field(default_factory=list)  # unchanged, re-read for `periods`
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


def path_order_key(relative_path: str) -> bytes:
    """The contract's "path order": plain byte-wise sort of the relative path."""
    return relative_path.encode("utf-8")


def discover(landing_dir: Path, source: Source) -> tuple[dict[str, FileEntry], list[str]]:
    """Find the source's landing files. Returns (files by relative path, ignored notes)."""
    root = landing_dir.resolve()
    top = root / source.token
    found: dict[str, FileEntry] = {}
    ignored: list[str] = []
    if top.is_symlink():
        # os.walk would follow a linked source folder; like any linked folder it is not read
        ignored.append(f"{source.token}/ (linked folder)")
        return found, ignored
    if not top.is_dir():
        return found, ignored
    for directory, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames.sort()
        for dirname in list(dirnames):
            if (Path(directory) / dirname).is_symlink():
                ignored.append(f"{_relative(root, Path(directory) / dirname)}/ (linked folder)")
                dirnames.remove(dirname)
        for name in sorted(filenames):
            path = Path(directory) / name
            relative = _relative(root, path)
            if name.startswith(".") or name.startswith("~$"):
                continue  # hidden files and Office lock files are not exports
            entity = next((e for e in source.entities if e.matches(relative)), None)
            if entity is None:
                ignored.append(f"{relative} (not an accepted file type for {source.token})")
                continue
            if not path.resolve().is_relative_to(root):
                ignored.append(f"{relative} (link to a file outside the landing folder)")
                continue
            try:
                info = path.stat()
            except OSError:
                ignored.append(f"{relative} (broken link)")
                continue
            if not stat.S_ISREG(info.st_mode):
                ignored.append(f"{relative} (not a regular file)")  # reading a FIFO or device never ends
                continue
            found[relative] = FileEntry(relative, path, entity, info.st_size, info.st_mtime_ns)
    return found, ignored


def reader_path(path: Path | str) -> str:
    """The path for DuckDB's file readers, which take ``*``, ``?`` and ``[`` as glob patterns:
    ``x[1].csv`` would read ``x1.csv`` and ``a*.csv`` every ``a…`` file. Each such character
    becomes a one-character class, which matches only itself."""
    return re.sub(r"([*?\[])", r"[\1]", str(path))


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def load_source(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    landing_dir: Path,
    *,
    progress: Progress | None = None,
    periods: tuple[str, str] | None = None,
) -> LoadResult:
    """Bring the source's raw tables in line with its landing files (see module doc).

    ``periods=("2017-03", "2017-05")`` also re-reads, from scratch, every unchanged file whose
    records fall in those months (the manifest knows each file's first and last month, for
    sources with a ``period_field``): what re-loading a month means when a file is the unit of
    loading. New and changed files are read as always, whatever their months."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    ensure_raw_schema(con, source)
    schema = quote(source.schema)

    files, ignored = discover(landing_dir, source)
    manifest = {
        row[0]: row[1:]
        for row in con.execute(
            f"SELECT file_path, size_bytes, mtime_ns, sha256, first_period, last_period FROM {schema}.manifest"
        ).fetchall()
    }
    result = LoadResult(source=source.token, load_id=None, files_ignored=ignored)
    touched: list[FileEntry] = []  # same content, new mtime: refresh the manifest only
    to_read: list[FileEntry] = []
    for relative in sorted(files, key=path_order_key):
        entry = files[relative]
        known = manifest.get(relative)
        if periods and known and _overlaps(known[3], known[4], periods):
            entry.sha256 = sha256_of(entry.absolute_path)
            result.files_changed.append(relative)  # re-read: its rows are replaced
            result.files_reloaded.append(relative)
            to_read.append(entry)
            continue
        if known and known[0] == entry.size_bytes and known[1] == entry.mtime_ns:
            result.files_unchanged += 1
            continue
        entry.sha256 = sha256_of(entry.absolute_path)
        if known and known[2] == entry.sha256:
            result.files_unchanged += 1
            touched.append(entry)
        elif known:
            result.files_changed.append(relative)
            to_read.append(entry)
        else:
            result.files_added.append(relative)
            to_read.append(entry)
    result.files_removed = sorted(set(manifest) - set(files), key=path_order_key)
    say(
        f"{source.token}: {len(files)} files — {len(result.files_added)} new, "
        f"{len(result.files_changed)} changed, {len(result.files_removed)} removed, "
        f"{result.files_unchanged} unchanged"
        + (f", {len(result.files_reloaded)} re-read for {periods[0]}..{periods[1]}" if periods else "")
        + (f", {len(ignored)} ignored" if ignored else "")
    )

    if result.changed or touched:
        now = dt.datetime.now().replace(microsecond=0)
        load_id = con.execute(f"SELECT coalesce(max(_load_id), 0) + 1 FROM {schema}.loads").fetchone()[0]
        result.load_id = load_id
        # outside the transaction: a failed statement aborts it, and a SET then fails too
        with _unordered_inserts(con):
            con.begin()
            try:
                _refresh_mtimes(con, schema, touched)
                if result.changed:
                    stale = result.files_changed + result.files_removed
                    result.rows_deleted = _delete_files(con, source, stale, load_id)
                    per_file = _read_files(con, source, landing_dir, to_read, load_id, now, say)
                    _write_manifest(con, source, to_read, per_file, load_id, now)
                    result.rows_loaded = sum(loaded for loaded, _ in per_file.values())
                    result.rows_rejected = sum(rejected for _, rejected in per_file.values())
                    con.execute(
                        f"INSERT INTO {schema}.loads"
                        " VALUES (?, ?, current_localtimestamp()::TIMESTAMP, ?, ?, ?, ?, ?, ?)",
                        [
                            load_id,
                            now,
                            len(result.files_added),
                            len(result.files_changed),
                            len(result.files_removed),
                            result.files_unchanged,
                            result.rows_loaded,
                            result.rows_rejected,
                        ],
                    )
                con.commit()
            except BaseException:
                con.rollback()
                raise
            finally:
                for table in ("_parsed", "_offsets", "_csv", "_csv_bad", "_csv_refused", "_xlsx"):
                    con.execute(f"DROP TABLE IF EXISTS temp.{table}")
    else:
        say(f"{source.token}: nothing changed, no file read")

    for entity in source.entities:
        result.table_rows[entity.name] = con.execute(f"SELECT count(*) FROM {schema}.{quote(entity.name)}").fetchone()[
            0
        ]
    result.total_rejects = con.execute(f"SELECT count(*) FROM {schema}.rejects").fetchone()[0]
    result.reject_reasons = dict(
        con.execute(
            f"""SELECT split_part(reason, ';', 1) AS first_reason, count(*)
                FROM {schema}.rejects GROUP BY ALL ORDER BY 2 DESC, 1 LIMIT 20"""
        ).fetchall()
    )
    result.seconds = time.perf_counter() - started
    return result


def _refresh_mtimes(con: duckdb.DuckDBPyConnection, schema: str, entries: list[FileEntry]) -> None:
    for entry in entries:
        con.execute(
            f"UPDATE {schema}.manifest SET mtime_ns = ?, size_bytes = ? WHERE file_path = ?",
            [entry.mtime_ns, entry.size_bytes, entry.relative_path],
        )


def _delete_files(con: duckdb.DuckDBPyConnection, source: Source, paths: list[str], load_id: int) -> int:
    if not paths:
        return 0
    schema = quote(source.schema)
    deleted = 0
    if source.token == "portal":
        # Dossiers that lose events must be recomputed downstream, even if no new row names them.
        con.execute(
            f"""INSERT INTO {schema}.dossier_changes
                SELECT DISTINCT ?, MaHoSo FROM {schema}.events WHERE _source_file IN (SELECT unnest(?))""",
            [load_id, paths],
        )
    for entity in source.entities:
        deleted += con.execute(
            f"DELETE FROM {schema}.{quote(entity.name)} WHERE _source_file IN (SELECT unnest(?))",
            [paths],
        ).fetchone()[0]
    con.execute(f"DELETE FROM {schema}.rejects WHERE _source_file IN (SELECT unnest(?))", [paths])
    con.execute(f"DELETE FROM {schema}.manifest WHERE file_path IN (SELECT unnest(?))", [paths])
    return deleted


def _write_manifest(
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
        field = quote(source.period_field)
        periods = {
            row[0]: row[1:]
            for row in con.execute(
                f"""SELECT _source_file, strftime(min({field}), '%Y-%m'), strftime(max({field}), '%Y-%m')
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


def _overlaps(first: str | None, last: str | None, periods: tuple[str, str]) -> bool:
    return first is not None and last is not None and first <= periods[1] and last >= periods[0]


# --------------------------------------------------------------------------------------
# Reading. Every reader fills the temp table ``_parsed`` through ``_parse_into``:
# one column per contract field (typed), ``_file``, ``_line``, ``_raw`` and ``_reason``.
# --------------------------------------------------------------------------------------


def _read_files(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    landing_dir: Path,
    entries: list[FileEntry],
    load_id: int,
    now: dt.datetime,
    say: Progress,
) -> dict[str, tuple[int, int]]:
    """Read the files into the raw table and rejects. Returns {file: (loaded, rejected)}."""
    per_file: dict[str, tuple[int, int]] = {}
    for entity in source.entities:
        mine = [e for e in entries if e.entity is entity]
        jsonl = [e for e in mine if e.relative_path.lower().endswith((".jsonl", ".jsonl.gz"))]
        csv = [e for e in mine if e.relative_path.lower().endswith((".csv", ".csv.gz"))]
        xlsx = [e for e in mine if e.relative_path.lower().endswith(".xlsx")]
        for entry in jsonl + csv:
            _sniff_text(source, entry)
        if jsonl:
            say(f"{source.token}: reading {len(jsonl)} JSON Lines files")
            per_file.update(_read_jsonl(con, source, entity, jsonl, load_id, now))
        for number, entry in enumerate(csv, 1):
            if len(csv) > 20 and number % 20 == 0:
                say(f"{source.token}: CSV file {number}/{len(csv)}")
            _read_csv(con, source, entity, entry)
            per_file.update(_store(con, source, entity, load_id, now))
        for entry in xlsx:
            _read_xlsx(con, source, entity, entry)
            per_file.update(_store(con, source, entity, load_id, now))
    return per_file


def _read_jsonl(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    entity: Entity,
    entries: list[FileEntry],
    load_id: int,
    now: dt.datetime,
) -> dict[str, tuple[int, int]]:
    """Load JSON Lines files straight into the raw table, without an intermediate copy:
    this is the big source, and the benchmark holds it to 1.5x a bare DuckDB read.

    1. A cheap pass over the lines counts, per file, lines, blank lines and lines that are
       not a JSON object (a file with neither is "clean").
    2. Clean files go through DuckDB's fast ``read_json``, each file its own numbered scan
       in one UNION ALL (``_FILES_PER_SCAN`` files a statement): a record's row number in its
       scan is its line number, with no offsets to join, and the scans run in parallel. The other
       files go through a line reader that keeps every line, malformed ones included; its
       line numbers are row numbers across the files, less each file's offset. Either way
       one statement parses, validates and inserts the valid rows.
    3. Files that yielded fewer valid rows than records are read again, alone and line by
       line, for their rejects with the raw line (such files are few, and usually small).
    """
    absolute = {str(e.absolute_path): e for e in entries}
    counts: dict[str, tuple[int, int, int]] = dict.fromkeys(absolute, (0, 0, 0))  # lines, records, other
    try:
        # trim (costly on whole lines) only runs on the few lines that do not start with "{":
        # a CASE branch is evaluated for its own rows only (a FILTER's AND is not)
        for file_path, lines, blank, other in con.execute(
            f"""SELECT filename, count(*),
                    count(*) FILTER (CASE WHEN line LIKE '{{%' THEN false ELSE coalesce(trim(line), '') = '' END),
                    count(*) FILTER (NOT coalesce(line LIKE '{{%' AND json_valid(line), false))
                FROM {_LINE_READER} GROUP BY filename""",
            {"files": [reader_path(f) for f in absolute]},
        ).fetchall():
            counts[file_path] = (lines, lines - blank, other)
    except duckdb.Error as error:
        raise _which_file_failed(con, source, entries, error) from error
    clean = [f for f in absolute if counts[f][2] == 0]  # every line a JSON object, none blank
    other = [f for f in absolute if f not in clean]

    names = [quote(f.name) for f in entity.fields]
    structure = json.dumps({f.name: "VARCHAR" for f in entity.fields}, ensure_ascii=False)

    def offsets(files: list[str]) -> None:
        rows, running = [], 0
        for file_path in files:
            rows.append((file_path, running, absolute[file_path].relative_path))
            running += counts[file_path][0]
        con.execute("CREATE OR REPLACE TEMP TABLE _offsets (_file VARCHAR, _offset BIGINT, _relative VARCHAR)")
        con.executemany("INSERT INTO _offsets VALUES (?, ?, ?)", rows)

    def fast_scan(files: list[str]) -> tuple[str, dict]:
        staged = " UNION ALL ".join(
            f"""SELECT {", ".join(names)}, $relative_{i} AS _file, ordinality AS _line,
                    NULL::VARCHAR AS _raw, NULL::VARCHAR AS _pre_reason
                FROM read_json($file_{i}, columns = $columns, format = 'newline_delimited') WITH ORDINALITY"""
            for i in range(len(files))
        )
        params: dict = {"columns": {f.name: "VARCHAR" for f in entity.fields}}
        for i, file_path in enumerate(files):
            params[f"file_{i}"] = reader_path(file_path)
            params[f"relative_{i}"] = absolute[file_path].relative_path
        return _validated_sql(entity, staged), params

    def line_scan(files: list[str]) -> tuple[str, dict]:
        offsets(files)
        staged = f"""
            SELECT {", ".join(f"parsed.{name} AS {name}" for name in names)},
                _offsets._relative AS _file, ordinality - _offsets._offset AS _line,
                line AS _raw,
                CASE WHEN parsed IS NULL THEN 'line is not a JSON object' END AS _pre_reason
            FROM (
                SELECT filename, ordinality, line,
                    CASE WHEN object LIKE '{{%' THEN try(json_transform(object, $structure)) END AS parsed
                FROM (
                    -- a byte-order mark before the first record is tolerated
                    SELECT *, ltrim(line, chr(65279) || ' ') AS object
                    FROM {_LINE_READER} WITH ORDINALITY
                )
            ) AS lines
            JOIN _offsets ON lines.filename = _offsets._file
            WHERE trim(line) <> ''"""
        return _validated_sql(entity, staged), {"files": [reader_path(f) for f in files], "structure": structure}

    schema = quote(source.schema)
    table = f"{schema}.{quote(entity.name)}"
    batches = [(clean[i : i + _FILES_PER_SCAN], fast_scan) for i in range(0, len(clean), _FILES_PER_SCAN)]
    for files, scan in [*batches, (other, line_scan)]:
        if not files:
            continue
        validated, params = scan(files)
        try:
            con.execute(
                f"""INSERT INTO {table}
                    SELECT {", ".join(names)}, _file, _line, {load_id}, $now
                    FROM ({validated}) WHERE _reason IS NULL""",
                {**params, "now": now},
            )
        except duckdb.Error as error:
            raise _which_file_failed(con, source, [absolute[f] for f in files], error) from error
    loaded = dict(
        con.execute(f"SELECT _source_file, count(*) FROM {table} WHERE _load_id = ? GROUP BY ALL", [load_id]).fetchall()
    )
    per_file = {}
    for file_path, entry in absolute.items():
        good = loaded.get(entry.relative_path, 0)
        per_file[entry.relative_path] = (good, counts[file_path][1] - good)
    with_rejects = [f for f in absolute if per_file[absolute[f].relative_path][1]]
    if with_rejects:
        validated, params = line_scan(with_rejects)
        con.execute(
            f"""INSERT INTO {schema}.rejects
                SELECT $entity, _file, _line, _raw, _reason, {load_id}, $now
                FROM ({validated}) WHERE _reason IS NOT NULL""",
            {**params, "now": now, "entity": entity.name},
        )
        stored = dict(
            con.execute(
                f"SELECT _source_file, count(*) FROM {schema}.rejects WHERE _load_id = ? GROUP BY ALL",
                [load_id],
            ).fetchall()
        )
        for file_path in with_rejects:
            relative = absolute[file_path].relative_path
            if stored.get(relative, 0) != per_file[relative][1]:
                # Never both loaded and rejected, never neither: stop rather than lose a row.
                raise LoadError(
                    source.token,
                    relative,
                    f"internal check failed: {counts[file_path][1]} records, {per_file[relative][0]} "
                    f"loaded, {stored.get(relative, 0)} rejected",
                    "please report this file to the parkpi maintainers",
                )
    return per_file


def _which_file_failed(
    con: duckdb.DuckDBPyConnection, source: Source, entries: list[FileEntry], error: duckdb.Error
) -> LoadError:
    """A multi-file scan does not say which file broke: find it (on a cursor of its own, as
    the failed statement aborted this transaction) and name it. DuckDB's JSON reader names
    the file itself for errors inside a record (a key twice): that file is the one."""
    named = re.search(r'in file "([^"]+)"', str(error))
    if named:
        for entry in entries:
            if named.group(1) in (str(entry.absolute_path), reader_path(entry.absolute_path)):
                return _unreadable(source, entry, error)
    probe = con.cursor()
    try:
        for entry in entries:
            try:
                files = [reader_path(entry.absolute_path)]
                probe.execute(f"SELECT count(*) FROM {_LINE_READER}", {"files": files}).fetchone()
            except duckdb.Error as file_error:
                return _unreadable(source, entry, file_error)
    finally:
        probe.close()
    return _unreadable(source, entries[0], error)


def _sniff_text(source: Source, entry: FileEntry) -> None:
    """Cheap look at the first 64 KiB of a text export, for a clear message on the usual
    wrong encodings (UTF-16 from Excel, Windows-1258) before DuckDB reads it."""
    opener = gzip.open if entry.relative_path.lower().endswith(".gz") else open
    try:
        with opener(entry.absolute_path, "rb") as handle:
            head = handle.read(65536)
    except (OSError, EOFError, zlib.error) as error:
        raise LoadError(
            source.token,
            entry.relative_path,
            f"is not a readable gzip file ({error})",
            "copy the export again; the file is truncated or not gzip",
        ) from error
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise LoadError(
            source.token,
            entry.relative_path,
            "is not UTF-8 text (it looks like UTF-16)",
            "export it again as UTF-8 (in Excel: CSV UTF-8)",
        )
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut at the 64 KiB boundary
            raise LoadError(
                source.token,
                entry.relative_path,
                f"is not UTF-8 text (byte {error.start}: {head[error.start : error.start + 1]!r})",
                "export it again as UTF-8 (Windows-1258 and TCVN3 are not accepted)",
            ) from error


def _unreadable(source: Source, entry: FileEntry, error: Exception) -> LoadError:
    text = str(error)
    lowered = text.lower()
    if "unicode" in lowered or "utf-8" in lowered or "utf8" in lowered:
        return LoadError(
            source.token, entry.relative_path, "is not UTF-8 text", "export it again as UTF-8 (with or without BOM)"
        )
    if "gzip" in lowered or "compress" in lowered or "zlib" in lowered or "inflate" in lowered:
        return LoadError(
            source.token,
            entry.relative_path,
            f"is not a readable gzip file ({text.splitlines()[0]})",
            "copy the export again; the file is truncated or not gzip",
        )
    twice = re.search(r'in line (\d+): .*has duplicate key "([^"]*)"', text, re.S)
    if twice:
        return LoadError(
            source.token,
            entry.relative_path,
            f'has the key "{twice.group(2)}" twice in one record (line {twice.group(1)})',
            "remove the repeated key from that line, or export the file again",
        )
    too_long = re.search(r"Maximum line size of (\d+) bytes|\"maximum_object_size\" of (\d+) bytes", text)
    if too_long:
        limit = int(too_long.group(1) or too_long.group(2))
        line = re.search(r"on Line: (\d+)", text)
        return LoadError(
            source.token,
            entry.relative_path,
            f"has a line longer than {limit / 2**20:.0f} MiB{f' (line {line.group(1)})' if line else ''}, "
            "longer than any record of the contract can be",
            "check that the file is an export with one record per line (JSON Lines or CSV), not one huge line",
        )
    return LoadError(source.token, entry.relative_path, f"cannot be read: {text.splitlines()[0]}")


def _check_header(source: Source, entity: Entity, entry: FileEntry, header: Iterable[str]) -> None:
    present = set(header)
    missing = [name for name in entity.required if name not in present]
    if missing:
        lowered = {h.strip().lower(): h for h in present if isinstance(h, str)}
        hints = [f"'{lowered[m.lower()]}' should be '{m}'" for m in missing if m.lower() in lowered]
        raise LoadError(
            source.token,
            entry.relative_path,
            "missing required columns: " + ", ".join(missing),
            ("headers must match the contract exactly: " + "; ".join(hints))
            if hints
            else "the header row must name the contract's columns exactly (see docs/landing-files.md)",
        )


def _read_csv(con: duckdb.DuckDBPyConnection, source: Source, entity: Entity, entry: FileEntry) -> None:
    reader = (
        "read_csv($file, header = true, all_varchar = true, delim = ',', quote = '\"', "
        "escape = '\"', store_rejects = true, rejects_scan = 'csv_rejects_scan', "
        "rejects_table = 'csv_rejects')"
    )
    params = {"file": reader_path(entry.absolute_path)}
    if entry.size_bytes == 0:
        raise LoadError(
            source.token, entry.relative_path, "is empty (no header row)", "remove the file or export it again"
        )
    try:
        header = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {reader}", params).fetchall()]
    except duckdb.Error as error:
        raise _unreadable(source, entry, error) from error
    _check_header(source, entity, entry, header)
    try:
        # DuckDB appends to its rejects tables on every scan (the DESCRIBE above included).
        con.execute("DROP TABLE IF EXISTS temp.csv_rejects")
        con.execute("DROP TABLE IF EXISTS temp.csv_rejects_scan")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _csv AS SELECT * FROM {reader} WITH ORDINALITY", params)
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
        raise _unreadable(source, entry, error) from error
    for line, error_type, _, _ in structural:
        if "ENCODING" in str(error_type).upper():
            raise LoadError(
                source.token,
                entry.relative_path,
                f"is not UTF-8 text (line {line})",
                "export it again as UTF-8 (with or without BOM)",
            )
    # Lines DuckDB refused (wrong number of columns, broken quoting) are rejects too; the
    # remaining rows' line numbers are shifted back past them: row o (1-based) sits on line
    # o + 1 (header) + number of refused lines before it.
    bad_lines = sorted({line for line, *_ in structural})
    con.execute("CREATE OR REPLACE TEMP TABLE _csv_bad (good_before BIGINT, shift BIGINT)")
    if bad_lines:
        con.executemany(
            "INSERT INTO _csv_bad VALUES (?, ?)",
            [(line - 1 - index, index) for index, line in enumerate(bad_lines, 1)],
        )
    columns = ", ".join(
        f"{quote(f.name)}" if f.name in header else f"NULL::VARCHAR AS {quote(f.name)}" for f in entity.fields
    )
    raw = "to_json(struct_pack(" + ", ".join(f"{quote(h)} := {quote(h)}" for h in header) + "))"
    staged = f"""
        SELECT {columns},
            $relative AS _file,
            ordinality + 1 + coalesce(shift, 0) AS _line,
            {raw}::VARCHAR AS _raw,
            NULL::VARCHAR AS _pre_reason
        FROM _csv ASOF LEFT JOIN (
            SELECT good_before, max(shift) AS shift FROM _csv_bad GROUP BY ALL
        ) AS bad ON _csv.ordinality > bad.good_before
        UNION ALL
        SELECT {", ".join(f"NULL::VARCHAR AS {quote(f.name)}" for f in entity.fields)},
            $relative, line, csv_line, 'not a valid CSV row: ' || error_message
        FROM _csv_refused
    """
    _parse_into(con, entity, staged, {"relative": entry.relative_path})
    _single_file_offsets(con, entry)


def _single_file_offsets(con: duckdb.DuckDBPyConnection, entry: FileEntry) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _offsets AS SELECT ?::VARCHAR AS _file, 0::BIGINT AS _offset, "
        "?::VARCHAR AS _relative",
        [entry.relative_path, entry.relative_path],
    )


def _read_xlsx(con: duckdb.DuckDBPyConnection, source: Source, entity: Entity, entry: FileEntry) -> None:
    import openpyxl  # imported here: only spreadsheet sources need it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # data_only: a formula cell counts as the value Excel last computed for it.
        workbook = openpyxl.load_workbook(entry.absolute_path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise LoadError(
            source.token,
            entry.relative_path,
            f"is not a readable .xlsx workbook ({error})",
            "save it again from Excel as .xlsx, or export as UTF-8 CSV",
        ) from error
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header_row = next(rows, None) or ()
        header = [str(value).strip() if value is not None else "" for value in header_row]
        _check_header(source, entity, entry, header)
        kinds = {f.name: f.kind for f in entity.fields}
        positions = {name: index for index, name in enumerate(header) if name in kinds}
        records = []
        for number, row in enumerate(rows, 2):
            if row is None or all(value is None or str(value).strip() == "" for value in row):
                continue  # blank rows at the end of a sheet are formatting, not data
            cells = {
                name: _cell_text(row[index] if index < len(row) else None, kinds[name])
                for name, index in positions.items()
            }
            raw = json.dumps(
                {h: _cell_text(v, "text") for h, v in zip(header, row, strict=False) if h},
                ensure_ascii=False,
            )
            records.append((*[cells.get(f.name) for f in entity.fields], entry.relative_path, number, raw))
    except LoadError:
        raise
    except Exception as error:  # openpyxl raises many kinds for broken sheets
        raise LoadError(
            source.token,
            entry.relative_path,
            f"cannot be read as a spreadsheet ({error})",
            "save it again from Excel as .xlsx",
        ) from error
    finally:
        workbook.close()
    names = [quote(f.name) for f in entity.fields]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _xlsx ("
        + ", ".join(f"{name} VARCHAR" for name in names)
        + ", _file VARCHAR, _line BIGINT, _raw VARCHAR)"
    )
    if records:
        placeholders = ", ".join("?" for _ in range(len(names) + 3))
        con.executemany(f"INSERT INTO _xlsx VALUES ({placeholders})", records)
    staged = f"SELECT {', '.join(names)}, _file, _line, _raw, NULL::VARCHAR AS _pre_reason FROM _xlsx"
    _parse_into(con, entity, staged, {})
    _single_file_offsets(con, entry)


def _cell_text(value: object, kind: str) -> str | None:
    """Spreadsheet cells arrive typed; turn them into the text the contract describes."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if kind == "month_vn":
            return value.strftime("%m/%Y")
        if kind == "date_iso":
            return value.strftime("%Y-%m-%d")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%m/%Y") if kind == "month_vn" else value.strftime("%d/%m/%Y 00:00")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


# --------------------------------------------------------------------------------------
# Parsing against the contract, in SQL, and storing.
# --------------------------------------------------------------------------------------


def _sql_literal(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _parse_expression(f: Field, value: str) -> str:
    """SQL that turns the cleaned text ``value`` into the field's type, NULL if it cannot."""
    if f.kind == "text":
        return value
    if f.kind == "int":
        return f"CASE WHEN regexp_full_match({value}, '[0-9]{{1,9}}') THEN {value}::INTEGER END"
    if f.kind == "int_thousands":
        return (
            f"CASE WHEN regexp_full_match({value}, '-?[0-9]{{1,3}}(\\.[0-9]{{3}})+|-?[0-9]{{1,18}}') "
            f"THEN replace({value}, '.', '')::BIGINT END"
        )
    if f.kind == "ts_compact":
        return f"CASE WHEN regexp_full_match({value}, '[0-9]{{14}}') THEN try_strptime({value}, '%Y%m%d%H%M%S') END"
    if f.kind == "ts_vn":
        return (
            f"CASE WHEN regexp_full_match({value}, '[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{4}} [0-9]{{1,2}}:[0-9]{{2}}') "
            f"THEN try_strptime({value}, '%d/%m/%Y %H:%M') END"
        )
    if f.kind == "month_vn":
        return (
            f"CASE WHEN regexp_full_match({value}, '[0-9]{{1,2}}/[0-9]{{4}}') "
            f"THEN try_strptime('01/' || {value}, '%d/%m/%Y')::DATE END"
        )
    if f.kind == "date_iso":
        return (
            f"CASE WHEN regexp_full_match({value}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
            f"THEN try_strptime({value}, '%Y-%m-%d')::DATE END"
        )
    raise ValueError(f"unknown field kind {f.kind}")


def reason_expressions(entity: Entity) -> list[tuple[Field, str, str]]:
    """For each field: (field, parse SQL over the cleaned text ``_v_<i>``, reason SQL over
    ``_v_<i>`` and the parsed value ``_p_<i>``, or NULL when nothing can be wrong)."""
    out = []
    for index, f in enumerate(entity.fields):
        value, parsed_column = f"_v_{index}", f"_p_{index}"
        parsed = _parse_expression(f, value)
        name = f.name.replace("'", "''")
        checks = []
        if f.required:
            checks.append(f"WHEN {value} IS NULL THEN '{name}: required value missing'")
        if f.kind != "text":
            hint = FORMAT_HINTS[f.kind].replace("'", "''")
            checks.append(
                f"WHEN {value} IS NOT NULL AND {parsed_column} IS NULL "
                f"THEN '{name}: ''' || {value} || ''' is not {hint}'"
            )
        if f.allowed is not None:
            listed = ", ".join(_sql_literal(v) for v in f.allowed)
            shown = ", ".join(str(v) for v in f.allowed).replace("'", "''")
            checks.append(
                f"WHEN {parsed_column} NOT IN ({listed}) THEN '{name}: ''' || {value} || ''' is not one of {shown}'"
            )
        reason = f"CASE {' '.join(checks)} END" if checks else "NULL"
        out.append((f, parsed, reason))
    return out


def _quick_expressions(entity: Entity) -> list[tuple[str, str]]:
    """For each field: (SQL over the raw text ``_x_<i>`` giving the parsed value or NULL,
    SQL condition that holds only when that value is exactly what the contract's parse of the
    cleaned text gives AND the field has no reason to be rejected).

    A shortcut for the common case, so that most rows skip ``trim`` and the reason strings:
    a value whose first and last characters are printable ASCII other than space is its own
    trimmed text, and a value matching a kind's pattern has none of trim's spaces at its ends.
    When the condition does not hold (or is NULL) the row takes the full path of
    :func:`reason_expressions`, which stays the one definition of what is valid."""
    out = []
    for index, f in enumerate(entity.fields):
        raw = f"_x_{index}"
        if f.kind == "text":
            value = f"CASE WHEN ascii({raw}) BETWEEN 33 AND 126 AND ascii({raw}[-1]) BETWEEN 33 AND 126 THEN {raw} END"
        else:
            canonical = [v for v in f.allowed or () if re.fullmatch(r"[0-9]{1,9}", str(v))]
            if f.kind == "int" and f.allowed is not None and len(canonical) == len(f.allowed):
                # a coded field: its codes as written are the valid texts, matched without a regex
                cases = " ".join(f"WHEN '{v}' THEN {int(v)}" for v in canonical)
                value = f"CASE {raw} {cases} END"
            else:
                value = _parse_expression(f, raw)
        ok = f"_f_{index} IS NOT NULL"
        if f.allowed is not None and not value.startswith(f"CASE {raw} WHEN"):
            listed = ", ".join(_sql_literal(v) for v in f.allowed)
            ok = f"({ok} AND _f_{index} IN ({listed}))"
        if not f.required:
            ok = f"({raw} IS NULL OR {ok})"
        out.append((value, ok))
    return out


@contextmanager
def _unordered_inserts(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
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


def _validated_sql(entity: Entity, staged: str) -> str:
    """SQL over ``staged`` (contract fields as text, ``_file``, ``_line``, ``_raw``,
    ``_pre_reason``) giving the typed fields, lineage, ``_raw`` (kept for rejects only) and
    ``_reason`` (NULL for a valid row). Rows that pass the shortcut checks of
    :func:`_quick_expressions` are typed from the shortcut values; only the others are
    cleaned, parsed and given their reasons by :func:`reason_expressions` (CASE evaluates a
    branch only for the rows that take it)."""
    expressions = reason_expressions(entity)
    quick = _quick_expressions(entity)
    count = len(entity.fields)
    raws = ", ".join(f"{quote(f.name)} AS _x_{i}" for i, f in enumerate(entity.fields))
    fast = ", ".join(f"{value} AS _f_{i}" for i, (value, _) in enumerate(quick))
    quick_ok = " AND ".join(ok for _, ok in quick) or "true"
    cleaned = ", ".join(f"CASE WHEN _quick THEN NULL ELSE nullif(trim(_x_{i}), '') END AS _v_{i}" for i in range(count))
    parsed = ", ".join(
        f"CASE WHEN _quick THEN _f_{i} ELSE {p} END AS _p_{i}" for i, (_, p, _) in enumerate(expressions)
    )
    reasons = ", ".join(r for _, _, r in expressions)
    typed = ", ".join(f"_p_{i} AS {quote(f.name)}" for i, (f, _, _) in enumerate(expressions))
    return f"""
        SELECT {typed}, _file, _line, CASE WHEN _reason IS NOT NULL THEN _raw END AS _raw, _reason
        FROM (
            SELECT *, CASE WHEN _pre_reason IS NOT NULL THEN _pre_reason WHEN _quick THEN NULL
                ELSE nullif(concat_ws('; ', {reasons}), '') END AS _reason
            FROM (
                SELECT *, {parsed}
                FROM (
                    SELECT *, {cleaned}
                    FROM (
                        SELECT *, {quick_ok} AS _quick
                        FROM (
                            SELECT *, {fast}
                            FROM (SELECT {raws}, _file, _line, _raw, _pre_reason FROM ({staged}))
                        )
                    )
                )
            )
        )"""


def _parse_into(con: duckdb.DuckDBPyConnection, entity: Entity, staged: str, params: dict) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE _parsed AS {_validated_sql(entity, staged)}", params)


def _store(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    entity: Entity,
    load_id: int,
    now: dt.datetime,
) -> dict[str, tuple[int, int]]:
    schema = quote(source.schema)
    columns = ", ".join(quote(f.name) for f in entity.fields)
    joined = "FROM _parsed p JOIN _offsets o ON p._file = o._file"
    con.execute(
        f"""INSERT INTO {schema}.{quote(entity.name)}
            SELECT {columns}, o._relative, p._line - o._offset, ?, ?
            {joined} WHERE p._reason IS NULL""",
        [load_id, now],
    )
    con.execute(
        f"""INSERT INTO {schema}.rejects
            SELECT ?, o._relative, p._line - o._offset, p._raw, p._reason, ?, ?
            {joined} WHERE p._reason IS NOT NULL""",
        [entity.name, load_id, now],
    )
    counts = con.execute(
        f"""SELECT o._relative, count(*) FILTER (p._reason IS NULL), count(*) FILTER (p._reason IS NOT NULL)
            {joined} GROUP BY ALL"""
    ).fetchall()
    return {relative: (loaded, rejected) for relative, loaded, rejected in counts}


def summarise_reasons(reasons: dict[str, int], limit: int = 5) -> str:
    top = Counter(reasons).most_common(limit)
    return "; ".join(f"{count}× {reason}" for reason, count in top)


def pending_changes(con: duckdb.DuckDBPyConnection, source: Source, landing_dir: Path) -> list[str]:
    """What a load would have to look at, from file sizes and modification times alone (no
    file is opened): landing files that are new or whose size or mtime differ from the
    manifest, and manifest entries whose file is gone. Empty means a load would read nothing.
    Works on a read-only connection; a warehouse without the source's manifest has everything
    pending."""
    files, _ = discover(landing_dir, source)
    try:
        rows = con.execute(f"SELECT file_path, size_bytes, mtime_ns FROM {quote(source.schema)}.manifest").fetchall()
    except duckdb.CatalogException:
        return sorted(files, key=path_order_key) or [f"{source.schema}.manifest (not created yet)"]
    known = {path: (size, mtime) for path, size, mtime in rows}
    pending = [
        relative
        for relative, entry in files.items()
        if known.get(relative) != (entry.size_bytes, entry.mtime_ns)
    ]
    pending += [relative for relative in known if relative not in files]
    return sorted(pending, key=path_order_key)
