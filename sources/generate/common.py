"""What every part of the sample generator shares: the province's constants, the contract's
headers (from the source modules, never retyped), the working calendar and the file writers."""

import csv
import gzip
import io
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from sources.catalog import AGENCIES, PROCEDURES
from sources.mailbox import REPORTS
from sources.portal import EVENTS
from sources.postal import SHIPMENTS
from sources.registry import SOURCES as REGISTRY

SOURCES = tuple(REGISTRY)
PROVINCE = "H33"
ROOT_CODE = f"000.00.00.{PROVINCE}"
# The catalogue is part of "the province", not of the activity: keep it independent of the
# activity seed so benchmark data and the committed sample share one catalogue.
CATALOG_SEED = 20171231

# Calibration targets (docs/indicators.md, "The sample's figures"; binding for the committed sample).
CALIBRATION_DAY = date(2017, 12, 31)
LEVEL3_ON_CALIBRATION_DAY = 154
MAILBOX_CALIBRATION_YEAR = 2017
MAILBOX_TARGET_RANGE = (8860, 8960)  # strictly inside the contract's 8,500-8,999


PORTAL_FIELDS = tuple(f.name for f in EVENTS.fields)
PORTAL_INT_FIELDS = frozenset(f.name for f in EVENTS.fields if f.kind == "int")
PORTAL_REQUIRED = frozenset(EVENTS.required)
POSTAL_HEADER = tuple(f.name for f in SHIPMENTS.fields)
MAILBOX_HEADER = tuple(f.name for f in REPORTS.fields)
AGENCY_HEADER = tuple(f.name for f in AGENCIES.fields)
PROCEDURE_HEADER = tuple(f.name for f in PROCEDURES.fields)

SERVICE_SUBMISSION = "Chuyển phát hồ sơ"
SERVICE_RESULT = "Chuyển trả kết quả"
DELIVERED = "Phát thành công"
FAILED = "Phát không thành công"
RETURNED = "Chuyển hoàn"
IN_TRANSIT = "Đang vận chuyển"


# --------------------------------------------------------------------------------------
# Calendar: working days and holidays (appointments are set in working days)
# --------------------------------------------------------------------------------------

TET_HOLIDAYS = {
    2015: ("2015-02-15", "2015-02-23"),
    2016: ("2016-02-06", "2016-02-14"),
    2017: ("2017-01-26", "2017-02-01"),
    2018: ("2018-02-14", "2018-02-20"),
    2019: ("2019-02-02", "2019-02-10"),
    2020: ("2020-01-23", "2020-01-29"),
    2021: ("2021-02-10", "2021-02-16"),
    2022: ("2022-01-29", "2022-02-06"),
}
HUNG_KINGS_DAY = {
    2015: "2015-04-28",
    2016: "2016-04-18",
    2017: "2017-04-06",
    2018: "2018-04-25",
    2019: "2019-04-15",
    2020: "2020-04-02",
    2021: "2021-04-21",
    2022: "2022-04-11",
}


class Calendar:
    def __init__(self, first: date, last: date) -> None:
        holidays: set[date] = set()
        for year in range(first.year, last.year + 1):
            holidays.update(date(year, m, d) for m, d in ((1, 1), (4, 30), (5, 1), (9, 2)))
            if year in TET_HOLIDAYS:
                begin, end = (date.fromisoformat(x) for x in TET_HOLIDAYS[year])
                holidays.update(begin + timedelta(days=i) for i in range((end - begin).days + 1))
            if year in HUNG_KINGS_DAY:
                holidays.add(date.fromisoformat(HUNG_KINGS_DAY[year]))
        self.first = first
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        self.working = [d for d in days if d.weekday() < 5 and d not in holidays]
        # For every calendar day, the index of the first working day on or after it.
        self._next: list[int] = []
        j = 0
        for d in days:
            while j < len(self.working) and self.working[j] < d:
                j += 1
            self._next.append(j)

    def add_working_days(self, day: date, n: int) -> date:
        offset = min((day - self.first).days, len(self._next) - 1)
        return self.working[min(self._next[offset] + n, len(self.working) - 1)]


def office_time(rng: np.random.Generator) -> time:
    # Desks open 07:30-11:30 and 13:30-17:00.
    minute = int(rng.integers(0, 240 + 210))
    minute = 450 + minute if minute < 240 else 810 + (minute - 240)
    return time(minute // 60, minute % 60, int(rng.integers(0, 60)))


def at_office(day: date, rng: np.random.Generator) -> datetime:
    return datetime.combine(day, office_time(rng))


# --------------------------------------------------------------------------------------
# Writers (deterministic bytes)
# --------------------------------------------------------------------------------------


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]], newline: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


def _write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    bom: bool,
    newline: str = "\r\n",
    compress: bool = False,
) -> None:
    data = (("\ufeff" if bom else "") + _csv_text(header, rows, newline)).encode("utf-8")
    _write_bytes(path, _gzip(data) if compress else data)


def _write_xlsx(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], *, stamp: datetime, date_format: str | None = None
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    sheet.append(list(header))
    for row in rows:
        # Empty values are empty cells, as in the operator's Excel exports.
        sheet.append([None if v is None or v == "" else v for v in row])
        if date_format:
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, datetime):
                    cell.number_format = date_format
    workbook.properties.creator = "parkpi"
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    raw = io.BytesIO()
    # ExcelWriter directly: openpyxl's save_workbook() would stamp "modified" with now().
    ExcelWriter(workbook, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    # zipfile stamps every entry with the current time; re-pack with a fixed one.
    packed = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as source,
        zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    _write_bytes(path, packed.getvalue())


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@dataclass
class BadRow:
    source: str
    file: str
    line: int  # text line (header = 1, JSONL first record = 1) or sheet row (header = 1)
    reason: str


@dataclass
class Output:
    root: Path
    files: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    bad: list[BadRow] = field(default_factory=list)

    def record(self, source: str, relative: str, rows: int) -> None:
        self.files[source].append(relative)
        self.rows[source] += rows
