"""Raw ingestion: readers and reject reasons. The validation shortcut is in
tests/test_loader_validation.py; unreadable files, idempotency and incremental loads in
tests/test_loader_files.py."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from sources.catalog import CATALOG
from sources.loading import load_source
from sources.mailbox import MAILBOX
from sources.portal import PORTAL
from sources.postal import POSTAL
from tests.conftest import (
    MAILBOX_HEADER,
    PORTAL_HEADER,
    POSTAL_HEADER,
    event,
    rows,
    snapshot,
    write_csv,
    write_jsonl,
    write_xlsx,
)

# ---------------------------------------------------------------- readers


def test_jsonl_reader_types_lineage_and_digit_strings(con, landing: Path) -> None:
    write_jsonl(
        landing / "portal/2017/03/a.jsonl",
        [
            event("D1", 2, "20170301080000", NgayHenTra="20170310170000", MucDo="3", KenhThucHien="2"),
            "",  # a blank line is no record but keeps the numbering
            event("D1", 9, "20170305080000", HinhThucTra=1, DuocThanhToanTrucTuyen=None, LoaiDoiTuong=""),
        ],
    )
    result = load_source(con, PORTAL, landing)
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    got = rows(
        con,
        "SELECT MaHoSo, KenhThucHien, MucDo, TrangThaiHoSo, ThoiDiem, NgayHenTra, HinhThucTra, "
        "DuocThanhToanTrucTuyen, LoaiDoiTuong, _source_file, _source_line FROM raw_portal.events "
        "ORDER BY _source_line",
    )
    assert got == [
        (
            "D1",
            2,
            3,
            2,
            dt.datetime(2017, 3, 1, 8),
            dt.datetime(2017, 3, 10, 17),
            None,
            None,
            None,
            "portal/2017/03/a.jsonl",
            1,
        ),
        ("D1", 2, None, 9, dt.datetime(2017, 3, 5, 8), None, 1, None, None, "portal/2017/03/a.jsonl", 3),
    ]


def test_gzip_jsonl_and_line_numbers_across_files(con, landing: Path) -> None:
    write_jsonl(landing / "portal/a.jsonl.gz", [event(f"A{i}") for i in range(5)], compress=True)
    write_jsonl(landing / "portal/b.jsonl.gz", [event(f"B{i}") for i in range(3)], compress=True)
    load_source(con, PORTAL, landing)
    got = rows(con, "SELECT _source_file, MaHoSo, _source_line FROM raw_portal.events ORDER BY ALL")
    assert got == [("portal/a.jsonl.gz", f"A{i}", i + 1) for i in range(5)] + [
        ("portal/b.jsonl.gz", f"B{i}", i + 1) for i in range(3)
    ]


def test_clean_and_unclean_jsonl_files_in_one_load_keep_true_line_numbers(con, landing: Path) -> None:
    write_jsonl(landing / "portal/a.jsonl.gz", [event(f"A{i}") for i in range(3)], compress=True)
    write_jsonl(landing / "portal/b.jsonl", [event("B0"), "oops", "", event("B3", KenhThucHien=9), event("B4")])
    (landing / "portal/c.jsonl").write_bytes(b"\xef\xbb\xbf" + json.dumps(event("C0")).encode() + b"\n")
    write_jsonl(landing / "portal/d.jsonl", [event(f"D{i}") for i in range(2)])
    result = load_source(con, PORTAL, landing)
    assert (result.rows_loaded, result.rows_rejected) == (8, 2)
    assert rows(con, "SELECT MaHoSo, _source_line FROM raw_portal.events ORDER BY 1") == [
        ("A0", 1),
        ("A1", 2),
        ("A2", 3),
        ("B0", 1),
        ("B4", 5),
        ("C0", 1),
        ("D0", 1),
        ("D1", 2),
    ]
    assert rows(con, "SELECT _source_file, _source_line, raw_content FROM raw_portal.rejects ORDER BY 2") == [
        ("portal/b.jsonl", 2, "oops"),
        ("portal/b.jsonl", 4, json.dumps(event("B3", KenhThucHien=9))),
    ]
    assert rows(con, "SELECT file_path, rows_loaded, rows_rejected FROM raw_portal.manifest ORDER BY 1") == [
        ("portal/a.jsonl.gz", 3, 0),
        ("portal/b.jsonl", 2, 2),
        ("portal/c.jsonl", 1, 0),
        ("portal/d.jsonl", 2, 0),
    ]


def test_every_event_gets_its_dossier_key_also_in_a_warehouse_of_an_earlier_version(con, landing: Path) -> None:
    """The loader stores each valid portal event's dossier key (sources/portal.py), whichever
    reader read it (JSON Lines: straight into the table; CSV: through a per-file parse); a raw
    table of an earlier version, without the column, gets it with every row's key on the next
    run, although nothing else changed."""
    write_jsonl(landing / "portal/a.jsonl", [event("D1"), event("D2", 9)])
    header = ["MaHoSo", "MaTTHC", "MaDonVi", "KenhThucHien", "TrangThaiHoSo", "ThoiDiem"]
    write_csv(landing / "portal/b.csv", header, [["D3", "1.1", "A", "1", "2", "20170102080000"]])
    load_source(con, PORTAL, landing)
    expected = f"SELECT MaHoSo, {PORTAL.entities[0].derived[0].expression()} FROM raw_portal.events ORDER BY 1"
    keys = rows(con, "SELECT MaHoSo, _dossier_key FROM raw_portal.events ORDER BY 1")
    assert [code for code, _ in keys] == ["D1", "D2", "D3"]
    assert keys == rows(con, expected) and all(key is not None for _, key in keys)

    con.execute("ALTER TABLE raw_portal.events DROP COLUMN _dossier_key")
    result = load_source(con, PORTAL, landing)
    assert result.files_unchanged == 2 and not result.changed
    assert rows(con, "SELECT MaHoSo, _dossier_key FROM raw_portal.events ORDER BY 1") == keys


def test_csv_with_bom_gzip_extra_columns_and_missing_optional(con, landing: Path) -> None:
    header = ["MaHoSo", "MaTTHC", "MaDonVi", "KenhThucHien", "TrangThaiHoSo", "ThoiDiem", "GhiChu"]
    write_csv(landing / "portal/x.csv", header, [["C1", "1.1", "A", "1", "2", "20170102080000", "x, y"]], bom=True)
    write_csv(landing / "portal/y.csv.gz", header, [["C2", "1.1", "A", "3", "2", "20170102080000", ""]], compress=True)
    result = load_source(con, PORTAL, landing)
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    assert rows(con, "SELECT MaHoSo, KenhThucHien, NgayHenTra, _source_line FROM raw_portal.events ORDER BY 1") == [
        ("C1", 1, None, 2),
        ("C2", 3, None, 2),
    ]


def test_postal_csv_and_xlsx_with_typed_cells(con, landing: Path) -> None:
    write_csv(
        landing / "postal/2017/a.csv",
        POSTAL_HEADER,
        [
            [
                "EB000000001VN",
                "D1",
                "Chuyển trả kết quả",
                "A",
                "05/01/2017 10:00",
                "06/01/2017 09:30",
                "Phát thành công",
                "25.000",
            ]
        ],
        bom=True,
    )
    write_xlsx(
        landing / "postal/2017/b.xlsx",
        POSTAL_HEADER,
        [
            [
                "EB000000002VN",
                None,
                "Chuyển phát hồ sơ",
                "A",
                dt.datetime(2017, 1, 7, 8, 15),
                None,
                "Đang vận chuyển",
                18000,
            ],
            [
                "EB000000003VN",
                "D3",
                "Chuyển trả kết quả",
                "A",
                "08/01/2017 10:00",
                "09/01/2017 11:00",
                "Chuyển hoàn",
                "1.234.000",
            ],
        ],
    )
    result = load_source(con, POSTAL, landing)
    assert (result.rows_loaded, result.rows_rejected) == (3, 0)
    got = rows(
        con,
        'SELECT "Mã bưu gửi", "Mã hồ sơ", "Ngày chấp nhận", "Cước (VNĐ)", _source_line '
        "FROM raw_postal.shipments ORDER BY 1",
    )
    assert got == [
        ("EB000000001VN", "D1", dt.datetime(2017, 1, 5, 10), 25000, 2),
        ("EB000000002VN", None, dt.datetime(2017, 1, 7, 8, 15), 18000, 2),
        ("EB000000003VN", "D3", dt.datetime(2017, 1, 8, 10), 1234000, 3),
    ]


def test_mailbox_thousands_and_month(con, landing: Path) -> None:
    write_xlsx(landing / "mailbox/2017/12.xlsx", MAILBOX_HEADER, [["A", "Sở A", "12/2017", "1.234", 1000, 12, 0]])
    write_csv(landing / "mailbox/2017/11.csv", MAILBOX_HEADER, [["A", "Sở A", "11/2017", "1.222", "990", "5", "1"]])
    load_source(con, MAILBOX, landing)
    assert rows(
        con,
        'SELECT "Kỳ báo cáo", "Tổng số hộp thư đã cấp", "Số hộp thư đang sử dụng" FROM raw_mailbox.reports ORDER BY 1',
    ) == [
        (dt.date(2017, 11, 1), 1222, 990),
        (dt.date(2017, 12, 1), 1234, 1000),
    ]


def test_catalog_recognises_files_by_name(con, landing: Path) -> None:
    write_csv(
        landing / "catalog/agencies.csv",
        ["MaDonVi", "TenDonVi", "Cap", "MaDonViCha", "HieuLucTu", "HieuLucDen", "MaDonViKeThua"],
        [["A", "Sở A", "tinh", "", "2015-01-01", "2019-06-30", "B"], ["B", "Sở B", "tinh", "", "2019-07-01", "", ""]],
    )
    write_csv(
        landing / "catalog/procedures.csv",
        [
            "MaTTHC",
            "TenTTHC",
            "MaLinhVuc",
            "TenLinhVuc",
            "CapThucHien",
            "MucDo",
            "CoPhiLePhi",
            "HieuLucTu",
            "HieuLucDen",
        ],
        [["1.1", "Cấp phép", "LV1", "Lĩnh vực", "tinh", "3", "1", "2016-01-01", "2017-12-31"]],
    )
    write_csv(landing / "catalog/notes.csv", ["x"], [["y"]])
    result = load_source(con, CATALOG, landing)
    assert result.table_rows == {"agencies": 2, "procedures": 1, "targets": 0}  # targets.csv is optional
    assert result.files_ignored == ["catalog/notes.csv (not an accepted file type for catalog)"]
    assert rows(con, "SELECT MaDonViKeThua, HieuLucDen FROM raw_catalog.agencies WHERE MaDonVi = 'A'") == [
        ("B", dt.date(2019, 6, 30))
    ]


# ---------------------------------------------------------------- one test per reject reason


def reject_of(con, schema: str = "raw_portal") -> tuple:
    return rows(con, f"SELECT _source_file, _source_line, raw_content, reason FROM {schema}.rejects")


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (event("D9", 2, "20170102080000", MaTTHC=""), "MaTTHC: required value missing"),
        ({k: v for k, v in event("D9").items() if k != "ThoiDiem"}, "ThoiDiem: required value missing"),
        (event("D9", 2, "2017-01-02 08:00"), "ThoiDiem: '2017-01-02 08:00' is not yyyyMMddHHmmss"),
        (event("D9", 2, "20171302080000"), "ThoiDiem: '20171302080000' is not yyyyMMddHHmmss"),
        (event("D9", 2, NgayHenTra="soon"), "NgayHenTra: 'soon' is not yyyyMMddHHmmss"),
        (event("D9", KenhThucHien="two"), "KenhThucHien: 'two' is not a whole number"),
        (event("D9", KenhThucHien=7), "KenhThucHien: '7' is not one of 1, 2, 3"),
        (event("D9", status=11), "TrangThaiHoSo: '11' is not one of 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"),
        (event("D9", HinhThucTra=3), "HinhThucTra: '3' is not one of 0, 1, 2"),
        (event("D9", MucDo=1), "MucDo: '1' is not one of 2, 3, 4"),
        ("{not json", "line is not a JSON object"),
        ("[1, 2]", "line is not a JSON object"),
    ],
)
def test_portal_reject_reasons(con, landing: Path, bad: object, reason: str) -> None:
    write_jsonl(landing / "portal/a.jsonl", [event("D1")])
    load_source(con, PORTAL, landing)
    before = snapshot(con, "raw_portal.events")
    write_jsonl(landing / "portal/b.jsonl", [event("D2"), bad])
    result = load_source(con, PORTAL, landing)
    assert result.rows_rejected == 1
    [(file, line, raw, got)] = reject_of(con)
    assert (file, line, got) == ("portal/b.jsonl", 2, reason)
    assert raw.startswith(("{", "[")) and ("D9" in raw or "json" in raw or "1, 2" in raw)
    assert set(before) <= set(snapshot(con, "raw_portal.events"))
    assert rows(con, "SELECT MaHoSo FROM raw_portal.events ORDER BY 1") == [("D1",), ("D2",)]


def test_several_reasons_are_all_named(con, landing: Path) -> None:
    write_jsonl(landing / "portal/a.jsonl", [event("D9", KenhThucHien=9, ThoiDiem="x")])
    load_source(con, PORTAL, landing)
    assert reject_of(con)[0][3] == "KenhThucHien: '9' is not one of 1, 2, 3; ThoiDiem: 'x' is not yyyyMMddHHmmss"


def test_csv_row_with_wrong_column_count_is_a_reject_and_lines_stay_true(con, landing: Path) -> None:
    path = landing / "portal/a.csv"
    path.write_text(
        ",".join(PORTAL_HEADER[:7]) + "\nD1,1.1,A,1,3,2,20170102080000\nD2,1.1,A,1\nD3,1.1,A,1,3,2,20170102080000\n",
        encoding="utf-8",
    )
    load_source(con, PORTAL, landing)
    assert rows(con, "SELECT MaHoSo, _source_line FROM raw_portal.events ORDER BY 1") == [("D1", 2), ("D3", 4)]
    [(file, line, raw, reason)] = reject_of(con)
    assert (file, line, raw) == ("portal/a.csv", 3, "D2,1.1,A,1")
    assert reason.startswith("not a valid CSV row: Expected Number of Columns: 7")


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            ["EB1VN", "", "Chuyển trả kết quả", "", "05/01/2017 10:00", "", "Phát thành công", ""],
            "Mã đơn vị: required value missing",
        ),
        (
            ["EB1VN", "", "Chuyển trả kết quả", "A", "2017-01-05", "", "Phát thành công", ""],
            "Ngày chấp nhận: '2017-01-05' is not dd/mm/yyyy HH:MM",
        ),
        (
            ["EB1VN", "", "Gửi thư", "A", "05/01/2017 10:00", "", "Phát thành công", ""],
            "Loại dịch vụ: 'Gửi thư' is not one of Chuyển phát hồ sơ, Chuyển trả kết quả",
        ),
        (
            ["EB1VN", "", "Chuyển trả kết quả", "A", "05/01/2017 10:00", "", "Phát thành công", "25,000"],
            "Cước (VNĐ): '25,000' is not a whole number (\".\" allowed as thousands separator)",
        ),
    ],
)
def test_postal_reject_reasons(con, landing: Path, row: list[str], reason: str) -> None:
    write_csv(landing / "postal/a.csv", POSTAL_HEADER, [row], bom=True)
    load_source(con, POSTAL, landing)
    [(file, line, raw, got)] = reject_of(con, "raw_postal")
    assert (file, line, got) == ("postal/a.csv", 2, reason)
    assert '"Mã bưu gửi":"EB1VN"' in raw


def test_mailbox_reject_reasons_in_xlsx(con, landing: Path) -> None:
    write_xlsx(
        landing / "mailbox/a.xlsx",
        MAILBOX_HEADER,
        [["A", "", "13/2017", 5, 5, 0, 0], ["B", "", "12/2017", None, 5, 0, 0]],
    )
    load_source(con, MAILBOX, landing)
    got = rows(con, "SELECT _source_line, reason FROM raw_mailbox.rejects ORDER BY 1")
    assert got == [(2, "Kỳ báo cáo: '13/2017' is not MM/yyyy"), (3, "Tổng số hộp thư đã cấp: required value missing")]
