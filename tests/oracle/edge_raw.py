"""The raw rows the loader must make of the edge-case folder (tests/oracle/edge_cases.py) alone:
valid rows only, values parsed as the contracts say, with `_source_file` and `_source_line`, so
that the oracle can be checked against hand-computed figures without a warehouse
(tests/test_oracle_unit.py) and the loaded raw layer against what was written (tests/test_oracle.py).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from tests.oracle.edge_cases import (
    AGENCY_HEADER,
    AGENCY_ROWS,
    MAILBOX_FILES,
    MAILBOX_HEADER,
    PORTAL_FIELDS,
    PORTAL_FILES,
    POSTAL_FILES,
    POSTAL_HEADER,
    PROCEDURE_HEADER,
    PROCEDURE_ROWS,
    TARGET_ROWS,
    TARGETS_FILE,
)
from tests.oracle.raw import Raw, Row


def _empty(text: str) -> str | None:
    return text.strip() or None


def _compact(text: str | None) -> datetime | None:
    return datetime.strptime(text, "%Y%m%d%H%M%S") if text else None


def _vn_time(text: str) -> datetime | None:
    return datetime.strptime(text, "%d/%m/%Y %H:%M") if text else None


def _number(text: str) -> int | None:
    return int(text.replace(".", "")) if text else None


def _iso(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _portal_rows() -> list[Row]:
    rows = []
    for relative, lines in PORTAL_FILES.items():
        for line, record in enumerate(lines, start=1):
            if isinstance(record, str):
                continue  # a rejected line
            row = {name: record.get(name) for name in PORTAL_FIELDS}
            row["ThoiDiem"], row["NgayHenTra"] = _compact(row["ThoiDiem"]), _compact(row["NgayHenTra"])
            rows.append({**row, "_source_file": relative, "_source_line": line})
    return rows


def _csv_rows(files: dict[str, list], header: tuple[str, ...], parse) -> list[Row]:
    """Rows of CSV files as the loader stores them: header is line 1, None marks that the
    next row is rejected."""
    rows = []
    for relative, content in files.items():
        reject_next, line = False, 1
        for row in content:
            if row is None:
                reject_next = True
                continue
            line += 1
            if not reject_next:
                values = {name: _empty(value) for name, value in zip(header, row, strict=True)}
                rows.append({**parse(values), "_source_file": relative, "_source_line": line})
            reject_next = False
    return rows


def _postal(values: dict) -> dict:
    values["Ngày chấp nhận"] = _vn_time(values["Ngày chấp nhận"])
    values["Ngày phát"] = _vn_time(values["Ngày phát"])
    values["Cước (VNĐ)"] = _number(values["Cước (VNĐ)"])
    return values


def _mailbox(values: dict) -> dict:
    month, year = values["Kỳ báo cáo"].split("/")
    values["Kỳ báo cáo"] = date(int(year), int(month), 1)
    for name in MAILBOX_HEADER[3:]:
        values[name] = _number(values[name])
    return values


def _catalog(values: dict) -> dict:
    for name in ("HieuLucTu", "HieuLucDen"):
        values[name] = _iso(values[name])
    for name in ("MucDo", "CoPhiLePhi"):
        if name in values:
            values[name] = int(values[name])
    return values


def target_value(text: str) -> float:
    """The number as written, `80%` -> 80.0, `1.500` -> 1500.0, `7,5` -> 7.5."""
    return float(re.sub(r"%$", "", text).replace(".", "").replace(",", "."))


def raw() -> Raw:
    """The raw rows the loader must write for this folder alone."""
    targets = [
        {
            "Nam": int(row[0]),
            "MaChiTieu": row[1],
            "PhamVi": row[2],
            "GiaTri": target_value(row[3]),
            "GhiChu": _empty(row[4]),
            "_source_file": TARGETS_FILE,
            "_source_line": line,
        }
        for line, (row, valid) in enumerate(TARGET_ROWS, start=2)
        if valid
    ]
    return Raw(
        events=_portal_rows(),
        shipments=_csv_rows(POSTAL_FILES, POSTAL_HEADER, _postal),
        reports=_csv_rows(MAILBOX_FILES, MAILBOX_HEADER, _mailbox),
        agencies=_csv_rows({"catalog/edge/agencies.csv": AGENCY_ROWS}, AGENCY_HEADER, _catalog),
        procedures=_csv_rows({"catalog/edge/procedures.csv": PROCEDURE_ROWS}, PROCEDURE_HEADER, _catalog),
        targets=targets,
    )
