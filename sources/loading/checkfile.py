"""Pre-flight one export against its contract before it goes into the landing folder, with the
real loader (one mechanism: no second validator), into a private in-memory DuckDB. The
warehouse is never opened. Used by `parkpi check-file`."""

from __future__ import annotations

import gzip
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sources.contract import Source
from sources.loading.discovery import discover
from sources.loading.errors import LoadError
from sources.loading.load import load_source
from sources.loading.reasons import Reason
from sources.registry import SOURCES


@dataclass
class Reject:
    line: int  # line, or row in a spreadsheet
    reasons: list[Reason]
    raw: str | None

    def text(self, language: str = "en") -> str:
        return "; ".join(r.render(language) for r in self.reasons)


@dataclass
class FileCheck:
    path: Path
    source: str
    rows_ok: int = 0
    rejects: list[Reject] = field(default_factory=list)
    error: LoadError | None = None
    ignored: str | None = None  # not a file type of the source


def guess_source(path: Path) -> str | None:
    """The source a file belongs to: a landing sub-folder in its path, a file name the source
    recognises, or an entity's marker in its header or first record."""
    for part in reversed(path.resolve().parts[:-1]):
        if part in SOURCES:
            return part
    for token, source in SOURCES.items():
        if any(entity.file_names and path.name in entity.file_names for entity in source.entities):
            return token
    try:
        head = _head(path)
    except OSError:
        return None
    except Exception:  # not a spreadsheet after all: the check itself will say so
        return None
    for token, source in SOURCES.items():
        if any(entity.marker and entity.marker in head for entity in source.entities):
            return token
    return None


def _head(path: Path) -> str:
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        first = next(book.worksheets[0].iter_rows(max_row=1, values_only=True), ())
        return ",".join(str(value) for value in first if value is not None)
    if path.name.endswith(".gz"):
        with gzip.open(path, "rb") as handle:
            return handle.read(4096).decode("utf-8", "replace")
    return path.read_bytes()[:4096].decode("utf-8", "replace")


def reference_files(path: Path, source: Source, landing_dir: Path | None) -> list[Path]:
    """The files a file's row rules read (its entity's ``depends_on``, e.g. agencies.csv for
    targets.csv): the one beside it, else the landing folder's."""
    entity = next((e for e in source.entities if e.matches(path.name)), None)
    found = []
    for name in entity.depends_on if entity else ():
        for candidate_name in source.entity(name).file_names or ():
            for folder in (path.parent, landing_dir / source.token if landing_dir else None):
                if folder is not None and (folder / candidate_name).is_file():
                    found.append(folder / candidate_name)
                    break
    return found


def check_file(path: Path, source_token: str, landing_dir: Path | None = None) -> FileCheck:
    """Load ``path`` alone (with the reference files its rules need, from beside it or from
    ``landing_dir``) into an in-memory DuckDB and say what would be loaded and rejected."""
    source = SOURCES[source_token]
    result = FileCheck(path, source_token)
    with tempfile.TemporaryDirectory(prefix="parkpi-check-") as temporary:
        landing = Path(temporary)
        target = landing / source_token / path.name
        target.parent.mkdir(parents=True)
        shutil.copyfile(path, target)  # a copy: the loader never follows links out of its landing folder
        references = reference_files(path, source, landing_dir)
        for reference in references:
            shutil.copyfile(reference, landing / source_token / reference.name)
        files, ignored = discover(landing, source)
        if not files:
            result.ignored = ignored[0] if ignored else f"{path.name}: not a file type of {source_token}"
            return result
        with duckdb.connect() as con:
            try:
                load_source(con, source, landing)
            except LoadError as error:
                result.error = error
                return result
            relative = f"{source_token}/{path.name}"
            result.rows_ok = con.execute(
                f"SELECT rows_loaded FROM raw_{source_token}.manifest WHERE file_path = ?", [relative]
            ).fetchone()[0]
            rows = con.execute(
                f"""SELECT _source_line, reasons, raw_content FROM raw_{source_token}.rejects
                    WHERE _source_file = ? ORDER BY _source_line""",
                [relative],
            ).fetchall()
    result.rejects = [Reject(line, [Reason(**r) for r in reasons], raw) for line, reasons, raw in rows]
    return result
