"""One reader per file kind; each validates what it reads against the contract in SQL
(:mod:`sources.loading.validation`) and stores valid rows and rejects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import duckdb

from sources.contract import Source
from sources.loading.discovery import FileEntry
from sources.loading.errors import sniff_text
from sources.loading.readers.csv import read_csv
from sources.loading.readers.jsonl import read_jsonl
from sources.loading.readers.xlsx import read_xlsx
from sources.loading.validation import store

JSONL = (".jsonl", ".jsonl.gz")
CSV = (".csv", ".csv.gz")
XLSX = (".xlsx",)


def read_files(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    entries: list[FileEntry],
    load_id: int,
    now: dt.datetime,
    say: Callable[[str], None],
) -> dict[str, tuple[int, int]]:
    """Read the files into the raw tables and rejects, entity by entity in the contract's order
    (an entity's row rules may read the rows of one before it). Returns {file: (loaded, rejected)}."""
    per_file: dict[str, tuple[int, int]] = {}
    for entity in source.entities:
        mine = [e for e in entries if e.entity is entity]
        jsonl = [e for e in mine if e.relative_path.lower().endswith(JSONL)]
        csv = [e for e in mine if e.relative_path.lower().endswith(CSV)]
        xlsx = [e for e in mine if e.relative_path.lower().endswith(XLSX)]
        if mine:
            for statement in entity.prepare:
                con.execute(statement)
        for entry in jsonl + csv:
            sniff_text(source.token, entry.relative_path, entry.absolute_path)
        if jsonl:
            say(f"{source.token}: reading {len(jsonl)} JSON Lines files")
            per_file.update(read_jsonl(con, source, entity, jsonl, load_id, now))
        for number, entry in enumerate(csv, 1):
            if len(csv) > 20 and number % 20 == 0:
                say(f"{source.token}: CSV file {number}/{len(csv)}")
            read_csv(con, source, entity, entry)
            per_file.update(store(con, source, entity, load_id, now))
        for entry in xlsx:
            read_xlsx(con, source, entity, entry)
            per_file.update(store(con, source, entity, load_id, now))
    return per_file
