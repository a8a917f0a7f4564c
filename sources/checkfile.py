"""Pre-flight one export against its contract before it goes into the landing folder, with the
real loader (one mechanism: no second validator), into a private in-memory DuckDB. The
warehouse is never opened. Used by `parkpi check-file`."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sources.contracts import SOURCES, Source
from sources.loader import LoadError, discover, load_source


@dataclass
class FileCheck:
    path: Path
    source: str
    rows_ok: int = 0
    rejects: list[tuple[int, str, str]] = field(default_factory=list)  # (line or row, reason, raw content)
    error: LoadError | None = None
    ignored: str | None = None  # not a file type of the source


def guess_source(path: Path) -> str | None:
    """The source a file belongs to: a landing sub-folder in its path, a catalogue file name, or
    its header / first record."""
    for part in reversed(path.resolve().parts[:-1]):
        if part in SOURCES:
            return part
    if path.name in ("agencies.csv", "procedures.csv"):
        return "catalog"
    try:
        head = _head(path)
    except OSError:
        return None
    for token, marker in (("portal", "MaHoSo"), ("postal", "Mã bưu gửi"), ("mailbox", "Kỳ báo cáo")):
        if marker in head:
            return token
    return None


def _head(path: Path) -> str:
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        first = next(book.worksheets[0].iter_rows(max_row=1, values_only=True), ())
        return ",".join(str(value) for value in first if value is not None)
    if path.name.endswith(".gz"):
        import gzip

        with gzip.open(path, "rb") as handle:
            return handle.read(4096).decode("utf-8", "replace")
    return path.read_bytes()[:4096].decode("utf-8", "replace")


def check_file(path: Path, source_token: str) -> FileCheck:
    source: Source = SOURCES[source_token]
    result = FileCheck(path, source_token)
    with tempfile.TemporaryDirectory(prefix="parkpi-check-") as temporary:
        landing = Path(temporary)
        target = landing / source_token / path.name
        target.parent.mkdir(parents=True)
        shutil.copyfile(path, target)  # a copy: the loader never follows links out of its landing folder
        files, ignored = discover(landing, source)
        if not files:
            result.ignored = ignored[0] if ignored else f"{path.name}: not a file type of {source_token}"
            return result
        with duckdb.connect() as con:
            try:
                loaded = load_source(con, source, landing)
            except LoadError as error:
                result.error = error
                return result
            result.rows_ok = loaded.rows_loaded
            result.rejects = con.execute(
                f"SELECT _source_line, reason, raw_content FROM raw_{source_token}.rejects ORDER BY _source_line"
            ).fetchall()
    return result
