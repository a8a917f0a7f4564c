"""Spreadsheets (.xlsx, first sheet, header in row 1) through openpyxl, read-only."""

from __future__ import annotations

import datetime as dt
import json
import zipfile

import duckdb

from sources.contract import Entity, Source
from sources.loading.discovery import FileEntry
from sources.loading.errors import LoadError, check_header
from sources.loading.readers.csv import single_file_offsets
from sources.loading.validation import parse_into
from sources.warehouse import quote


def read_xlsx(con: duckdb.DuckDBPyConnection, source: Source, entity: Entity, entry: FileEntry) -> None:
    """Stage and validate one workbook into ``_parsed`` (+ ``_offsets``)."""
    import openpyxl  # imported here: only spreadsheet sources need it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # data_only: a formula cell counts as the value Excel last computed for it.
        workbook = openpyxl.load_workbook(entry.absolute_path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise LoadError(source.token, entry.relative_path, "not_xlsx", detail=str(error)) from error
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header_row = next(rows, None) or ()
        header = [str(value).strip() if value is not None else "" for value in header_row]
        check_header(source.token, entry.relative_path, entity.required, header)
        kinds = {f.name: f.kind for f in entity.fields}
        positions = {name: index for index, name in enumerate(header) if name in kinds}
        records = []
        for number, row in enumerate(rows, 2):
            if row is None or all(value is None or str(value).strip() == "" for value in row):
                continue  # blank rows at the end of a sheet are formatting, not data
            cells = {
                name: cell_text(row[index] if index < len(row) else None, kinds[name])
                for name, index in positions.items()
            }
            raw = json.dumps(
                {h: cell_text(v, "text") for h, v in zip(header, row, strict=False) if h}, ensure_ascii=False
            )
            records.append((*[cells.get(f.name) for f in entity.fields], entry.relative_path, number, raw))
    except LoadError:
        raise
    except Exception as error:  # openpyxl raises many kinds for broken sheets
        raise LoadError(source.token, entry.relative_path, "bad_sheet", detail=str(error)) from error
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
    staged = f"SELECT {', '.join(names)}, _file, _line, _raw, NULL AS _pre_reason FROM _xlsx"
    parse_into(con, entity, staged, {})
    single_file_offsets(con, entry)


def cell_text(value: object, kind: str) -> str | None:
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
