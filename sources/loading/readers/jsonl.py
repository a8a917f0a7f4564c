"""JSON Lines (plain or gzip), straight into the raw table: the big source, held to 1.5x a bare
DuckDB read by bench/ingest.py.

1. A cheap pass over the lines counts, per file, lines, blank lines and lines that are not a
   JSON object (a file with neither is "clean").
2. Clean files go through DuckDB's fast ``read_json``, each file its own numbered scan in one
   UNION ALL (``FILES_PER_SCAN`` files a statement): a record's row number in its scan is its
   line number, and the scans run in parallel. The other files go through a line reader that
   keeps every line, malformed ones included; its line numbers are row numbers across the
   files, less each file's offset. Either way one statement parses, validates and inserts the
   valid rows.
3. Files that yielded fewer valid rows than records are read again, alone and line by line,
   for their rejects with the raw line (such files are few, and usually small).
"""

from __future__ import annotations

import datetime as dt
import json
import re

import duckdb

from sources.contract import Entity, Source
from sources.loading import reasons
from sources.loading.discovery import FileEntry, reader_path
from sources.loading.errors import LoadError, diagnose
from sources.loading.validation import insert_rejects, validated_sql
from sources.warehouse import quote

# A delimiter that cannot occur in a JSON line, so DuckDB's CSV reader hands us whole lines.
LINE_READER = (
    "read_csv($files, columns = {'line': 'VARCHAR'}, header = false, delim = '\x01', "
    "quote = '', escape = '', auto_detect = false, filename = true)"
)
# Clean files read by one statement: enough to keep every core busy, few enough to keep the
# statement small.
FILES_PER_SCAN = 64


def read_jsonl(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    entity: Entity,
    entries: list[FileEntry],
    load_id: int,
    now: dt.datetime,
) -> dict[str, tuple[int, int]]:
    """Load the files; returns {relative path: (rows loaded, rows rejected)}."""
    absolute = {str(e.absolute_path): e for e in entries}
    counts = _line_counts(con, source, entries, absolute)
    clean = [f for f in absolute if counts[f][2] == 0]  # every line a JSON object, none blank
    other = [f for f in absolute if f not in clean]
    names = [quote(f.name) for f in entity.fields]
    scans = Scans(con, entity, absolute, counts)

    table = f"{quote(source.schema)}.{quote(entity.name)}"
    batches = [(clean[i : i + FILES_PER_SCAN], scans.fast) for i in range(0, len(clean), FILES_PER_SCAN)]
    for files, scan in [*batches, (other, scans.lines)]:
        if not files:
            continue
        validated, params = scan(files)
        try:
            con.execute(
                f"""INSERT INTO {table}
                    SELECT {", ".join(names)}, _file, _line, {load_id}, $now{entity.derived_sql()}
                    FROM ({validated}) WHERE _reasons IS NULL""",
                {**params, "now": now},
            )
        except (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException):
            raise  # our SQL, not the file
        except duckdb.Error as error:
            raise which_file_failed(con, source, [absolute[f] for f in files], error) from error
    loaded = dict(
        con.execute(f"SELECT _source_file, count(*) FROM {table} WHERE _load_id = ? GROUP BY ALL", [load_id]).fetchall()
    )
    per_file = {}
    for file_path, entry in absolute.items():
        good = loaded.get(entry.relative_path, 0)
        per_file[entry.relative_path] = (good, counts[file_path][1] - good)
    with_rejects = [f for f in absolute if per_file[absolute[f].relative_path][1]]
    if with_rejects:
        validated, params = scans.lines(with_rejects)
        insert_rejects(con, source, entity, validated, load_id, now, params)
        stored = dict(
            con.execute(
                f"SELECT _source_file, count(*) FROM {quote(source.schema)}.rejects WHERE _load_id = ? GROUP BY ALL",
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
                    "internal",
                    detail=f"{counts[file_path][1]} records, {per_file[relative][0]} loaded, "
                    f"{stored.get(relative, 0)} rejected",
                )
    return per_file


def _line_counts(
    con: duckdb.DuckDBPyConnection, source: Source, entries: list[FileEntry], absolute: dict[str, FileEntry]
) -> dict[str, tuple[int, int, int]]:
    """Per file: (lines, records = lines that are not blank, lines that are not a JSON object)."""
    counts: dict[str, tuple[int, int, int]] = dict.fromkeys(absolute, (0, 0, 0))
    try:
        # trim (costly on whole lines) only runs on the few lines that do not start with "{":
        # a CASE branch is evaluated for its own rows only (a FILTER's AND is not)
        for file_path, lines, blank, other in con.execute(
            f"""SELECT filename, count(*),
                    count(*) FILTER (CASE WHEN line LIKE '{{%' THEN false ELSE coalesce(trim(line), '') = '' END),
                    count(*) FILTER (NOT coalesce(line LIKE '{{%' AND json_valid(line), false))
                FROM {LINE_READER} GROUP BY filename""",
            {"files": [reader_path(f) for f in absolute]},
        ).fetchall():
            counts[file_path] = (lines, lines - blank, other)
    except duckdb.Error as error:
        raise which_file_failed(con, source, entries, error) from error
    return counts


class Scans:
    """The two ways of reading JSON Lines files, as (validated SQL, parameters)."""

    def __init__(self, con, entity: Entity, absolute: dict[str, FileEntry], counts) -> None:
        self.con, self.entity, self.absolute, self.counts = con, entity, absolute, counts
        self.names = [quote(f.name) for f in entity.fields]

    def fast(self, files: list[str]) -> tuple[str, dict]:
        staged = " UNION ALL ".join(
            f"""SELECT {", ".join(self.names)}, $relative_{i} AS _file, ordinality AS _line,
                    NULL::VARCHAR AS _raw, NULL AS _pre_reason
                FROM read_json($file_{i}, columns = $columns, format = 'newline_delimited') WITH ORDINALITY"""
            for i in range(len(files))
        )
        params: dict = {"columns": {f.name: "VARCHAR" for f in self.entity.fields}}
        for i, file_path in enumerate(files):
            params[f"file_{i}"] = reader_path(file_path)
            params[f"relative_{i}"] = self.absolute[file_path].relative_path
        return validated_sql(self.entity, staged), params

    def lines(self, files: list[str]) -> tuple[str, dict]:
        rows, running = [], 0
        for file_path in files:
            rows.append((file_path, running, self.absolute[file_path].relative_path))
            running += self.counts[file_path][0]
        self.con.execute("CREATE OR REPLACE TEMP TABLE _offsets (_file VARCHAR, _offset BIGINT, _relative VARCHAR)")
        self.con.executemany("INSERT INTO _offsets VALUES (?, ?, ?)", rows)
        not_object = reasons.struct_sql("not_json_object", None)
        staged = f"""
            SELECT {", ".join(f"parsed.{name} AS {name}" for name in self.names)},
                _offsets._relative AS _file, ordinality - _offsets._offset AS _line,
                line AS _raw,
                CASE WHEN parsed IS NULL THEN {not_object} END AS _pre_reason
            FROM (
                SELECT filename, ordinality, line,
                    CASE WHEN object LIKE '{{%' THEN try(json_transform(object, $structure)) END AS parsed
                FROM (
                    -- a byte-order mark before the first record is tolerated
                    SELECT *, ltrim(line, chr(65279) || ' ') AS object
                    FROM {LINE_READER} WITH ORDINALITY
                )
            ) AS lines
            JOIN _offsets ON lines.filename = _offsets._file
            WHERE trim(line) <> ''"""
        structure = json.dumps({f.name: "VARCHAR" for f in self.entity.fields}, ensure_ascii=False)
        return validated_sql(self.entity, staged), {
            "files": [reader_path(f) for f in files],
            "structure": structure,
        }


def which_file_failed(
    con: duckdb.DuckDBPyConnection, source: Source, entries: list[FileEntry], error: duckdb.Error
) -> LoadError:
    """A multi-file scan does not say which file broke: find it (on a cursor of its own, as
    the failed statement aborted this transaction) and name it. DuckDB's JSON reader names
    the file itself for errors inside a record (a key twice): that file is the one."""
    named = re.search(r'in file "([^"]+)"', str(error))
    if named:
        for entry in entries:
            if named.group(1) in (str(entry.absolute_path), reader_path(entry.absolute_path)):
                return diagnose(source.token, entry.relative_path, error)
    probe = con.cursor()
    try:
        for entry in entries:
            try:
                probe.execute(f"SELECT count(*) FROM {LINE_READER}", {"files": [reader_path(entry.absolute_path)]})
            except duckdb.Error as file_error:
                return diagnose(source.token, entry.relative_path, file_error)
    finally:
        probe.close()
    return diagnose(source.token, entries[0].relative_path, error)
