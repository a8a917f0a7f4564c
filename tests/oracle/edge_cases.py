"""A small hand-written landing folder of the contracts' sharp edges, 2023–2024.

Its codes (`EDGE.*`, `EDGE-*`, waybills `EE…VN`) and years stay clear of the generated
sample data (2016–2020), so it can be written on top of a generated landing folder: one
warehouse then holds both, and every 2023–2024 row and every `EDGE.*` row is this folder's.
Its catalogue sits in `catalog/edge/` (catalogue files are recognised by name at any depth);
its targets in `catalog/edge/targets.csv` (before a generated `catalog/targets.csv` in path order).

`write_landing(root)` writes the files; `raw()` of tests/oracle/edge_raw.py gives the raw rows
the loader must make of them (valid rows only, values parsed, with `_source_file` and
`_source_line`), so that the oracle can be checked against hand-computed figures without a
warehouse (tests/test_oracle_unit.py).

What is in it (E… are dossiers `EDGE-E…`):
- E1 received 31 Mar 23:59:59, processed 1 Apr 00:00:00 = its due time (on time, Q1 -> Q2);
- E2 received and due 30 Jun 23:59:59 (due exactly at the end of June: not overdue then),
  result returned 1 Jul 00:00:00 without a status 9;
- E3 due 31 Dec 23:59:58, open at the year's end (overdue), processed 1 Jan 00:00:00;
- E4 withdrawn then processed (never finished; overdue at the end of February, not March);
  E5 processed then withdrawn at 31 May 23:59:59 (not overdue at the end of May);
  E5B withdrawn 1 Jun 00:00:00 (overdue at the end of May);
- E6 statuses 1 and 2 at the same second (channel, procedure from 1; agency from 2), and
  statuses 5, 9, 10 at the same second (10 is the last: not returned by post);
- E7 one event exported three times with different values: `B.jsonl` sorts before
  `a.jsonl` (byte order), and within `a.jsonl` the last line wins;
- E8 not accepted without being received; E9 two supplement requests; E9/E9B received
  either side of a fee starting on 30 Sep (last day of Q3);
- E10 received 31 Dec 23:59:59, finished in January; E11 received 1 Jan 00:00:00, open;
- E12 at `EDGE.Y1`, whose successor chain is a cycle; E13 whose due date is on its third
  event; E14 only registered (February 2024); E15 open since 30 Apr 2024;
- E16 result returned (10) on 31 Aug 23:59:59 before processed (9) on 1 Sep 00:00:00 (the
  9 decides); E17 stopped (8) after not accepted (3), never received; E18 one supplement
  request exported twice; E19 online for a procedure still at level 2; E20 registered with a
  due date, never received; E21 not accepted the day before it was received; E22 overdue at
  the end of 2023, withdrawn in 2024; E23 received at the last second of September, due one
  second earlier (overdue at the end of September);
- merger chain `EDGE.A` -> `EDGE.B` -> `EDGE.C` (A's first catalogue line says `EDGE.D`, a
  later line of the same file says `EDGE.B`), an agency code missing from the catalogue;
- procedure rows changing on the last day of a quarter, overlapping rows, a duplicated key;
- postal: final beats in transit whatever the path order, byte-order precedence, a winning
  row accepted in another year than the losing one, an empty and an unknown dossier code, a
  ghost dossier seen only in a rejected portal row, delivery before acceptance;
- mailbox: a correction that wins (`2023_dieu_chinh.csv`) and one that loses because it sorts
  first (`2023-sua.csv`), a repeated line, quarterly and stopped reporters, active > issued;
- 2024 has data in some months only (portal January, February, April; mailbox March;
  postal January and June);
- targets.csv: valid, replaced, rejected and unmatched targets, and a 2020 target that a
  generated `catalog/targets.csv` (later in path order) replaces.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

PORTAL_FIELDS = (
    "MaHoSo",
    "MaTTHC",
    "MaDonVi",
    "KenhThucHien",
    "MucDo",
    "TrangThaiHoSo",
    "ThoiDiem",
    "NgayHenTra",
    "HinhThucTra",
    "DuocThanhToanTrucTuyen",
    "LoaiDoiTuong",
)
POSTAL_HEADER = (
    "Mã bưu gửi",
    "Mã hồ sơ",
    "Loại dịch vụ",
    "Mã đơn vị",
    "Ngày chấp nhận",
    "Ngày phát",
    "Trạng thái",
    "Cước (VNĐ)",
)
MAILBOX_HEADER = (
    "Mã đơn vị",
    "Tên đơn vị",
    "Kỳ báo cáo",
    "Tổng số hộp thư đã cấp",
    "Số hộp thư đang sử dụng",
    "Cấp mới trong kỳ",
    "Thu hồi trong kỳ",
)
AGENCY_HEADER = ("MaDonVi", "TenDonVi", "Cap", "MaDonViCha", "HieuLucTu", "HieuLucDen", "MaDonViKeThua")
PROCEDURE_HEADER = (
    "MaTTHC",
    "TenTTHC",
    "MaLinhVuc",
    "TenLinhVuc",
    "CapThucHien",
    "MucDo",
    "CoPhiLePhi",
    "HieuLucTu",
    "HieuLucDen",
)
TARGET_HEADER = ("Nam", "MaChiTieu", "PhamVi", "GiaTri", "GhiChu")

RESULT, CARRY = "Chuyển trả kết quả", "Chuyển phát hồ sơ"
DONE, FAILED, RETURNED, IN_TRANSIT = "Phát thành công", "Phát không thành công", "Chuyển hoàn", "Đang vận chuyển"

A, B, C, D, X, Y1, Y2 = "EDGE.A", "EDGE.B", "EDGE.C", "EDGE.D", "EDGE.X", "EDGE.Y1", "EDGE.Y2"
P1, P2, P3, P4, P5, P6 = "EDGE.P1", "EDGE.P2", "EDGE.P3", "EDGE.P4", "EDGE.P5", "EDGE.P6"


def ev(dossier, status, at, procedure, agency, channel, due=None, returned=None, paid=None) -> dict:
    """One portal record as an export writes it (empty optional fields left out)."""
    record = {
        "MaHoSo": f"EDGE-{dossier}",
        "MaTTHC": procedure,
        "MaDonVi": agency,
        "KenhThucHien": channel,
        "TrangThaiHoSo": status,
        "ThoiDiem": at,
        "NgayHenTra": due,
        "HinhThucTra": returned,
        "DuocThanhToanTrucTuyen": paid,
    }
    return {k: v for k, v in record.items() if v is not None}


# File -> lines (a dict is a valid record, a str a line the loader must reject).
PORTAL_FILES: dict[str, list[dict | str]] = {
    "portal/edge/2023/B.jsonl": [
        # E7's status-9 copy that loses: "B.jsonl" sorts before "a.jsonl" byte-wise.
        ev("E7", 9, "20231009080000", P4, C, 2, returned=0),
        ev("E7", 2, "20231002080000", P4, C, 2, due="20231010170000", paid=2),
        ev("E4", 2, "20230201080000", P1, A, 1, due="20230210170000"),
        ev("E4", 7, "20230315080000", P1, A, 1),
        ev("E4", 9, "20230320080000", P1, A, 1, returned=1),
        ev("E6", 1, "20230705080000", P4, X, 1),
        ev("E6", 2, "20230705080000", P1, D, 2, due="20230715170000"),
        ev("E6", 10, "20230710080000", P1, D, 2, returned=0),
        ev("E6", 9, "20230710080000", P1, D, 2, returned=1),
        ev("E6", 5, "20230710080000", P1, D, 2),
        # E18's only supplement request, exported in both files: one request.
        ev("E18", 5, "20230613080000", P1, D, 2),
    ],
    "portal/edge/2023/a.jsonl": [
        ev("E0", 2, "20230105080000", P1, D, 1, due="20230115170000"),
        ev("E0", 9, "20230110100000", P1, D, 1, returned=0),
        ev("E1", 1, "20230331235958", P1, A, 2),
        ev("E1", 2, "20230331235959", P1, A, 2, due="20230401000000"),
        ev("E1", 9, "20230401000000", P1, A, 2, returned=1),
        ev("E1", 10, "20230402080000", P1, A, 2, returned=1),
        ev("E2", 2, "20230630235959", P2, B, 3, due="20230630235959", paid=0),
        ev("E2", 10, "20230701000000", P2, B, 3, returned=1),
        ev("E3", 2, "20231101090000", P3, C, 2, due="20231231235958", paid=2),
        ev("E3", 5, "20231105090000", P3, C, 2),
        ev("E5", 2, "20230502080000", P1, D, 2, due="20230503170000"),
        ev("E5", 9, "20230505080000", P1, D, 2, returned=1),
        ev("E5", 7, "20230531235959", P1, D, 2),
        ev("E5B", 2, "20230510080000", P1, D, 1, due="20230520170000"),
        ev("E5B", 7, "20230601000000", P1, D, 1),
        ev("E7", 9, "20231009080000", P4, C, 2, returned=0),
        ev("E7", 2, "20231002080000", P4, C, 2, due="20231010170000", paid=0),
        ev("E8", 1, "20230915080000", P1, C, 1),
        ev("E8", 3, "20230916080000", P1, C, 1),
        ev("E9", 2, "20230929235959", P3, B, 2, due="20231010170000"),
        ev("E9", 5, "20231001080000", P3, B, 2),
        ev("E9", 5, "20231002080000", P3, B, 2),
        ev("E9", 9, "20231005080000", P3, B, 2, returned=0),
        ev("E9B", 2, "20230930000000", P3, B, 2, due="20231010170000", paid=2),
        ev("E9B", 9, "20231003080000", P3, B, 2),
        ev("E10", 2, "20231231235959", P6, A, 2, due="20240110170000"),
        ev("E12", 2, "20231120080000", P1, Y1, 1, due="20231130170000"),
        ev("E12", 9, "20231125080000", P1, Y1, 1),
        ev("E13", 1, "20230801080000", P1, C, 1),
        ev("E13", 2, "20230802080000", P1, C, 1),
        ev("E13", 4, "20230803080000", P1, C, 1, due="20230810170000"),
        ev("E13", 6, "20230804080000", P1, C, 1, due="20230901170000"),
        ev("E13", 9, "20230815080000", P1, C, 1),
        ev("E16", 2, "20230825080000", P1, C, 1, due="20230905170000"),
        ev("E16", 10, "20230831235959", P1, C, 1, returned=1),
        ev("E16", 9, "20230901000000", P1, C, 1, returned=0),
        ev("E17", 1, "20230902080000", P1, C, 1),
        ev("E17", 8, "20230905080000", P1, C, 1),
        ev("E17", 3, "20230903080000", P1, C, 1),
        ev("E18", 2, "20230612080000", P1, D, 2, due="20230620170000"),
        ev("E18", 5, "20230613080000", P1, D, 2),
        ev("E18", 9, "20230619080000", P1, D, 2),
        ev("E19", 2, "20230210080000", P2, D, 2, due="20230220170000"),
        ev("E19", 9, "20230215080000", P2, D, 2),
        ev("E20", 1, "20230601090000", P1, D, 1, due="20230605170000"),
        ev("E21", 3, "20230720080000", P3, C, 1),
        ev("E21", 2, "20230721080000", P3, C, 1, due="20230801170000"),
        ev("E22", 2, "20231201080000", P1, D, 1, due="20231210170000"),
        ev("E23", 2, "20230930235959", P1, C, 1, due="20230930235958"),
        ev("E23", 9, "20231002080000", P1, C, 1),
        # E7's status-9 event again, later in the same file: this copy wins.
        ev("E7", 9, "20231009080000", P4, C, 2, returned=1),
        # Rejected: channel 7; the ghost dossier exists only in this row.
        json.dumps(ev("GHOST", 2, "20231019080000", P1, C, 7)),
        # Rejected: status 11 on a real dossier (counts for nothing).
        json.dumps(ev("E1", 11, "20230401000000", P1, A, 2)),
    ],
    "portal/edge/2024/x.jsonl": [
        ev("E3", 9, "20240101000000", P3, C, 2, returned=2),
        ev("E10", 4, "20240102080000", P6, A, 2),
        ev("E10", 10, "20240105080000", P6, A, 2, returned=1),
        ev("E11", 2, "20240101000000", P5, B, 2, due="20240111170000", paid=1),
        ev("E14", 1, "20240215080000", P1, D, 2),
        ev("E15", 2, "20240430235959", P4, C, 2, due="20240502170000"),
        ev("E22", 7, "20240115080000", P1, D, 1),
    ],
}

# File -> rows (None marks a row the loader must reject, followed by the row).
POSTAL_FILES: dict[str, list[tuple]] = {
    "postal/edge/2023/B.csv": [
        ("EE000000003VN", "EDGE-E2", RESULT, B, "02/07/2023 08:00", "04/07/2023 08:00", DONE, "25.000"),
        ("EE000000008VN", "EDGE-E10", RESULT, A, "01/01/2024 00:00", "03/01/2024 00:00", DONE, ""),
    ],
    "postal/edge/2023/a.csv": [
        ("EE000000001VN", "EDGE-E1", RESULT, A, "31/03/2023 23:59", "02/04/2023 10:00", DONE, "25.000"),
        ("EE000000002VN", "EDGE-E2", CARRY, B, "01/04/2023 00:00", "03/04/2023 08:00", DONE, "20000"),
        ("EE000000003VN", "EDGE-E2", RESULT, B, "02/07/2023 08:00", "10/07/2023 08:00", RETURNED, ""),
        ("EE000000004VN", "", CARRY, C, "15/09/2023 10:00", "", IN_TRANSIT, ""),
        ("EE000000005VN", "EDGE-GHOST", RESULT, C, "20/10/2023 09:00", "21/10/2023 09:00", DONE, ""),
        ("EE000000006VN", "EDGE-E7", RESULT, C, "10/10/2023 08:00", "", DONE, ""),
        ("EE000000007VN", "EDGE-E6", RESULT, D, "11/07/2023 08:00", "10/07/2023 08:00", DONE, ""),
        ("EE000000008VN", "EDGE-E10", RESULT, A, "31/12/2023 23:59", "", IN_TRANSIT, ""),
        ("EE000000011VN", "EDGE-E0", RESULT, D, "01/08/2023 08:00", "02/08/2023 08:00", DONE, ""),
        ("EE000000011VN", "EDGE-E0", RESULT, D, "01/08/2023 08:00", "03/08/2023 08:00", FAILED, ""),
        None,
        ("EE000000012VN", "EDGE-E0", RESULT, "", "02/08/2023 08:00", "", IN_TRANSIT, ""),
    ],
    "postal/edge/2023/z.csv": [
        ("EE000000002VN", "EDGE-E2", CARRY, B, "01/04/2023 00:00", "", IN_TRANSIT, ""),
    ],
    "postal/edge/2024/a.csv": [
        ("EE000000009VN", "EDGE-E11", RESULT, B, "15/06/2024 08:00", "17/06/2024 20:00", DONE, ""),
        ("EE000000010VN", "EDGE-e1", CARRY, X, "05/06/2024 08:00", "", IN_TRANSIT, ""),
    ],
}


def _monthly(agency: str, months: list[int], year: int, base: int) -> list[tuple]:
    return [(agency, "", f"{m:02d}/{year}", str(base + m), str(base - 10 + m), "1", "0") for m in months]


MAILBOX_FILES: dict[str, list[tuple | None]] = {
    # Sorts before 2023.csv ("-" < "."): a correction that loses.
    "mailbox/edge/2023-sua.csv": [(D, "", "12/2023", "999", "999", "9", "0")],
    "mailbox/edge/2023.csv": _monthly(A, [1, 2, 3, 4, 5, 6], 2023, 100)
    + _monthly(B, list(range(1, 12)), 2023, 200)
    + [(C, "", f"{m:02d}/2023", f"1.{300 + m}", f"1.{200 + m}", "2", "1") for m in range(1, 13)]
    + [
        (D, "Xã D", "03/2023", "40", "30", "3", "0"),
        (D, "Xã D", "06/2023", "45", "35", "5", "0"),
        (D, "Xã D", "09/2023", "50", "40", "5", "0"),
        (D, "Xã D", "12/2023", "60", "50", "10", "0"),
        (X, "", "6/2023", "10", "12", "10", "0"),
        None,
        (A, "", "13/2023", "1", "1", "1", "0"),
        # D's September again, later in the file: this line wins.
        (D, "Xã D", "09/2023", "55", "44", "10", "0"),
    ],
    # Sorts after 2023.csv ("_" > "."): the correction wins.
    "mailbox/edge/2023_dieu_chinh.csv": [(C, "", "12/2023", "1.350", "1.250", "22", "0")],
    "mailbox/edge/2024/03.csv": [
        (B, "", "3/2024", "230", "220", "18", "0"),
        (C, "", "3/2024", "1.400", "1.300", "50", "0"),
    ],
}

AGENCY_ROWS = [
    ("EDGE.ROOT", "Tỉnh thử", "tinh", "", "2020-01-01", "", ""),
    (A, "Huyện A", "huyen", "EDGE.ROOT", "2020-01-01", "2023-06-30", D),
    (B, "Huyện B", "huyen", "EDGE.ROOT", "2020-01-01", "2024-03-31", C),
    (C, "Huyện C", "huyen", "EDGE.ROOT", "2020-01-01", "", ""),
    (D, "Xã D", "xa", C, "2020-01-01", "", ""),
    (Y1, "Xã Y1", "xa", C, "2020-01-01", "", Y2),
    (Y2, "Xã Y2", "xa", C, "2020-01-01", "", Y1),
    # A again, later in the file: this line wins (A -> B -> C).
    (A, "Huyện A", "huyen", "EDGE.ROOT", "2020-01-01", "2023-06-30", B),
]

PROCEDURE_ROWS = [
    (P1, "Thủ tục 1", "LVE", "Thử", "huyen", "3", "0", "2020-01-01", "2023-03-31"),
    (P1, "Thủ tục 1", "LVE", "Thử", "huyen", "4", "0", "2023-04-01", ""),
    (P2, "Thủ tục 2", "LVE", "Thử", "huyen", "2", "1", "2020-01-01", "2023-06-29"),
    (P2, "Thủ tục 2", "LVE", "Thử", "huyen", "4", "1", "2023-06-30", ""),
    (P3, "Thủ tục 3", "LVE", "Thử", "huyen", "3", "0", "2020-01-01", "2023-09-29"),
    (P3, "Thủ tục 3", "LVE", "Thử", "huyen", "3", "1", "2023-09-30", ""),
    (P4, "Thủ tục 4", "LVE", "Thử", "xa", "3", "0", "2020-01-01", "2024-12-31"),
    (P4, "Thủ tục 4", "LVE", "Thử", "xa", "4", "1", "2023-10-01", ""),
    (P5, "Thủ tục 5", "LVE", "Thử", "xa", "3", "1", "2024-01-01", ""),
    (P6, "Thủ tục 6", "LVE", "Thử", "tinh", "3", "0", "2020-01-01", "2023-12-31"),
    # P6's row again (same MaTTHC and HieuLucTu), later: this line wins (level 4).
    (P6, "Thủ tục 6", "LVE", "Thử", "tinh", "4", "0", "2020-01-01", "2023-12-31"),
]

# (line content, whether it passes the contract) — see tests/oracle/targets_file.py.
TARGET_ROWS: list[tuple[tuple[str, ...], bool]] = [
    (("2023", "on_time_rate", "ALL", "50%", "KH 01/KH-UBND"), True),
    (("2023", "dossiers_received", "ALL", "1.500", ""), True),
    (("2023", "avg_processing_days", C, "7,5", ""), True),
    (("2023", "mailboxes_issued", A, "100", "merged into EDGE.B"), False),
    (("2023", "online_services_level3", C, "10", "catalogue indicator at agency scope"), False),
    (("2023", "online_submission_rate", "ALL", "101%", "above 100"), False),
    (("2023", "dossiers_finished", "ALL", "-5", "negative count"), False),
    (("2023", "so_ho_so", "ALL", "5", "not an indicator"), False),
    (("23", "on_time_rate", "ALL", "80", "not a year"), False),
    (("2023", "on_time_rate", "ALL", "abc", "rejected: replaces nothing"), False),
    (("2023", "online_services_level3", "ALL", "1.000", ""), True),
    (("2023", "dossiers_received", "ALL", "12", "replaces line 3"), True),
    (("2024", "postal_avg_delivery_days", C, "1,5", ""), True),
    (("2024", "mailboxes_issued", "EDGE.ZZ", "10", "not in the catalogue"), False),
    (("2025", "dossiers_received", "ALL", "10", "no figure for 2025"), True),
    (("2023", "postal_return_rate", C, "92,5%", ""), True),
    (("2023", "mailbox_active_rate", D, "80", ""), True),
    (("2023", "overdue_open_at_year_end", "ALL", "2", ""), True),
    (("2023", "on_time_rate", Y1, "50", "has a successor (a cycle)"), False),
    (("2023", "mailboxes_new", "ALL", "12,5%", "a percentage for a count"), False),
    (("2023", "dossiers_received", "ALL", "1.5", "not a thousands group"), False),
    (("2023", "online_payment_rate", "ALL", "0", ""), True),
    (("2023", "mailboxes_new", "ALL", "", "no value"), False),
    (("2023", "mailboxes_issued", C, "1.234.567", ""), True),
    (("2020", "on_time_rate", "ALL", "99%", "a generated catalog/targets.csv comes later"), True),
]
TARGETS_FILE = "catalog/edge/targets.csv"


# ---------------------------------------------------------------------------- writing


def _csv_text(header: tuple[str, ...], rows: list[tuple]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _valid(rows: list) -> list:
    """The rows of a file as written (the None markers dropped)."""
    return [row for row in rows if row is not None]


def write_landing(root: Path) -> Path:
    """Write every file of this folder under `root` (which may already hold other data)."""
    for relative, lines in PORTAL_FILES.items():
        _write(root, relative, "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    for relative, rows in POSTAL_FILES.items():
        _write(root, relative, "\ufeff" + _csv_text(POSTAL_HEADER, _valid(rows)))
    for relative, rows in MAILBOX_FILES.items():
        _write(root, relative, _csv_text(MAILBOX_HEADER, _valid(rows)))
    _write(root, "catalog/edge/agencies.csv", _csv_text(AGENCY_HEADER, AGENCY_ROWS))
    _write(root, "catalog/edge/procedures.csv", _csv_text(PROCEDURE_HEADER, PROCEDURE_ROWS))
    _write(root, TARGETS_FILE, _csv_text(TARGET_HEADER, [row for row, _ in TARGET_ROWS]))
    return root
