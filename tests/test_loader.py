"""Raw ingestion: readers, rejects, unreadable files, idempotency and incremental loads."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from pathlib import Path

import pytest

from sources.catalog import CATALOG
from sources.loading import LoadError, changes, ensure_raw_schema, load, load_source, validation
from sources.loading.readers import jsonl
from sources.loading.reasons import REASON_TYPE
from sources.mailbox import MAILBOX
from sources.portal import PORTAL
from sources.postal import POSTAL
from tests.conftest import (
    MAILBOX_HEADER,
    PORTAL_HEADER,
    POSTAL_HEADER,
    event,
    write_csv,
    write_jsonl,
    write_xlsx,
)


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def snapshot(con, table: str) -> list[tuple]:
    return rows(con, f"SELECT * FROM {table} ORDER BY ALL")


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


# ---------------------------------------------------------------- the validation shortcut

TRICKY_VALUES = [
    None, "", " ", "0", "1", "2", "3", "4", "9", "10", "11", "01", " 1", "1 ", "+1", "-1", "1.0", "1e1", "1_0",
    "\u00a01", "1\u00a0", "\u30001", "\t1", "1\n", "١", "20170102080000", " 20170102080000", "20170102080000 ",
    "2017010208000", "201701020800000", "20171302080000", "2017-01-02", "2017-1-2", "25.000", "1.234.567", "-5",
    "01/2017", "1/2017", "13/2017", "02/01/2016 08:00", "2/1/2016 8:00", "Chuyển trả kết quả",
    " Chuyển trả kết quả", "Phát thành công", "A", "Đ", "x ", "\u3000x", "x\u3000", "a\u0301", "-", "'", "~",
    "2016-01-01", "000.00.20.H33", "80%", "92,5%", "7,5", "1.500,5", "1.5", "120%", "-0,5", "2020", "20x0",
    "on_time_rate", "mailboxes_issued", "online_services_level3", "ALL", "000.00.19.H33",
]  # fmt: skip


VALID_TEXT = {
    "text": "A",
    "int": "1",
    "int_thousands": "25.000",
    "ts_compact": "20170102080000",
    "ts_vn": "02/01/2016 08:00",
    "month_vn": "01/2017",
    "date_iso": "2016-01-01",
    "number_vn": "1.500,5",
    "year": "2020",
}


# values that pass the row rules of targets.csv (an indicator code, a scope)
VALID_BY_NAME = {"MaChiTieu": "on_time_rate", "PhamVi": "ALL", "GiaTri": "80"}


def validated(con, entity, values: list[str | None], source=None) -> list[tuple]:
    """Every field of ``entity`` given every value (one row per field and value, the other
    fields valid), through the loader's validation SQL."""
    names = [f.name for f in entity.fields]
    valid = [str(f.allowed[0]) if f.allowed else VALID_BY_NAME.get(f.name, VALID_TEXT[f.kind]) for f in entity.fields]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE staged ("
        + ", ".join(f'"{n}" VARCHAR' for n in names)
        + f", _file VARCHAR, _line BIGINT, _raw VARCHAR, _pre_reason {REASON_TYPE.removesuffix('[]')})"
    )
    staged = []
    for index in range(len(names)):
        for value in values:
            row: list[object] = list(valid)
            row[index] = value
            staged.append((*row, "f", len(staged) + 1, "raw", None))
    con.executemany(f"INSERT INTO staged VALUES ({', '.join('?' for _ in range(len(names) + 4))})", staged)
    if source is not None:
        ensure_raw_schema(con, source)  # row rules may look up other raw tables
    for statement in entity.prepare:
        con.execute(statement)
    sql = validation.validated_sql(entity, "SELECT * FROM staged")
    return con.execute(f"SELECT * FROM ({sql}) ORDER BY _line").fetchall()


@pytest.mark.parametrize("source", [PORTAL, POSTAL, MAILBOX, CATALOG], ids=lambda s: s.token)
def test_validation_shortcut_gives_exactly_the_contract_parse(con, monkeypatch, source) -> None:
    """Plainly valid values skip trim and the reason strings; for any value, the typed result
    and the reason must be exactly those of the full contract parse (shortcut switched off)."""
    for entity in source.entities:
        values = TRICKY_VALUES + [str(v) for f in entity.fields for v in f.allowed or ()]
        fast = validated(con, entity, values, source)
        with monkeypatch.context() as patched:
            patched.setattr(validation, "quick_expressions", lambda e: [("NULL", "false") for _ in e.fields])
            full = validated(con, entity, values, source)
        assert fast == full
        assert any(row[-1] is None for row in full) and any(row[-1] for row in full)  # both kinds seen


def test_valid_rows_of_generated_exports_take_the_shortcut(con, landing: Path) -> None:
    """The shortcut is what makes big loads fast: a typical event must pass it, untrimmed."""
    write_jsonl(landing / "portal/a.jsonl", [event("000.00.20.H33-170102-00001", MucDo=3, NgayHenTra="20170110170000")])
    entity = PORTAL.entities[0]
    staged = (
        "SELECT *, 'f' AS _file, 1 AS _line, NULL::VARCHAR AS _raw, NULL AS _pre_reason "
        "FROM read_json(?, columns = ?, format = 'newline_delimited')"
    )
    sql = validation.validated_sql(entity, staged).replace("SELECT _p_0 AS", "SELECT _quick, _p_0 AS", 1)
    columns = {f.name: "VARCHAR" for f in entity.fields}
    [row] = con.execute(sql, [str(landing / "portal/a.jsonl"), columns]).fetchall()
    assert row[0] is True and row[-1] is None


def test_many_clean_files_are_read_in_several_statements_with_true_lines(con, landing: Path, monkeypatch) -> None:
    monkeypatch.setattr(jsonl, "FILES_PER_SCAN", 2)
    for name in "abcde":
        write_jsonl(landing / f"portal/{name}.jsonl.gz", [event(f"{name}{i}") for i in range(3)], compress=True)
    write_jsonl(landing / "portal/f.jsonl", [event("f0"), "", event("f2", KenhThucHien=9)])
    result = load_source(con, PORTAL, landing)
    assert (result.rows_loaded, result.rows_rejected) == (16, 1)
    got = rows(con, "SELECT _source_file, _source_line, MaHoSo FROM raw_portal.events ORDER BY ALL")
    assert got == [(f"portal/{n}.jsonl.gz", i + 1, f"{n}{i}") for n in "abcde" for i in range(3)] + [
        ("portal/f.jsonl", 1, "f0")
    ]
    assert rows(con, "SELECT _source_file, _source_line FROM raw_portal.rejects") == [("portal/f.jsonl", 3)]


# ---------------------------------------------------------------- unreadable files


def load_fails(con, landing: Path, source, bad: Path, expected: str) -> None:
    """The load fails naming the file and problem, and what was loaded before survives."""
    before = {t: snapshot(con, t) for t in ("raw_portal.events", "raw_portal.manifest")} if source is PORTAL else {}
    with pytest.raises(LoadError) as raised:
        load_source(con, source, landing)
    message = str(raised.value)
    assert bad.relative_to(landing).as_posix() in message
    assert expected in message
    for table, content in before.items():
        assert snapshot(con, table) == content


@pytest.fixture
def loaded(con, landing: Path):
    write_jsonl(landing / "portal/2016/ok.jsonl", [event("OK1"), event("OK2")])
    load_source(con, PORTAL, landing)
    assert rows(con, "SELECT count(*) FROM raw_portal.events") == [(2,)]
    # a good new file next to the bad one must not be half-loaded either
    write_jsonl(landing / "portal/2017/new.jsonl", [event("NEW")])
    return con


def test_not_utf8_jsonl(loaded, landing: Path) -> None:
    bad = landing / "portal/2017/cp1258.jsonl"
    bad.write_bytes('{"MaHoSo": "Đơn"}\n'.encode("cp1258"))
    load_fails(loaded, landing, PORTAL, bad, "is not UTF-8 text")


def test_not_utf8_csv(loaded, landing: Path) -> None:
    bad = write_csv(
        landing / "portal/2017/x.csv",
        PORTAL_HEADER[:7],
        [["Hồ sơ", "1.1", "A", "1", "3", "2", "20170102080000"]],
        encoding="utf-16",
    )
    load_fails(loaded, landing, PORTAL, bad, "is not UTF-8 text (it looks like UTF-16)")


def test_broken_gzip(loaded, landing: Path) -> None:
    bad = landing / "portal/2017/cut.jsonl.gz"
    bad.write_bytes(gzip.compress(b'{"MaHoSo": "X"}\n' * 1000)[:60])
    load_fails(loaded, landing, PORTAL, bad, "gzip")


def test_portal_load_restores_the_insertion_order_setting(loaded, landing: Path) -> None:
    """The portal insert runs unordered (for speed); the connection's setting must come back
    afterwards, after a good load and after a failed one, or later writes on the same
    connection (other sources, the published snapshot) would silently lose their order."""
    setting = "SELECT current_setting('preserve_insertion_order')"
    assert rows(loaded, setting) == [(True,)]
    (landing / "portal/2017/new.jsonl").unlink()
    write_jsonl(landing / "portal/2018/more.jsonl", [event("M1")])
    load_source(loaded, PORTAL, landing)
    assert rows(loaded, setting) == [(True,)]
    # a duplicate key passes the line pre-pass and fails inside the unordered insert itself
    bad = landing / "portal/2019/twice.jsonl"
    write_jsonl(bad, [event("D1")])
    bad.write_text(bad.read_text().replace("{", '{"MaHoSo": "D0", ', 1))
    load_fails(loaded, landing, PORTAL, bad, "twice in one record")
    assert rows(loaded, setting) == [(True,)]


def test_a_key_twice_names_its_own_file_among_several(loaded, landing: Path) -> None:
    """DuckDB refuses a record with a repeated key; the message must name that file and line,
    not the first file of the multi-file statement, and tell what to do."""
    write_jsonl(landing / "portal/2017/a_fine.jsonl", [event("F1"), event("F2")])
    bad = landing / "portal/2017/b_twice.jsonl"
    write_jsonl(bad, [event("T1"), event("T2")])
    lines = bad.read_text().splitlines()
    bad.write_text(lines[0] + "\n" + lines[1].replace("{", '{"MaTTHC": "x", ', 1) + "\n")
    load_fails(loaded, landing, PORTAL, bad, 'has the key "MaTTHC" twice in one record (line 2)')
    with pytest.raises(LoadError) as raised:
        load_source(loaded, PORTAL, landing)
    assert "a_fine" not in str(raised.value) and "remove the repeated key" in str(raised.value)
    assert "lặp lại hai lần" in raised.value.render("vi")


def test_not_a_spreadsheet(con, landing: Path) -> None:
    bad = landing / "postal/fake.xlsx"
    bad.write_text("Mã bưu gửi,Mã hồ sơ\n", encoding="utf-8")
    load_fails(con, landing, POSTAL, bad, "is not a readable .xlsx workbook")


def test_missing_required_columns_csv(loaded, landing: Path) -> None:
    bad = write_csv(landing / "portal/2017/short.csv", ["MaHoSo", "mattHC"], [["X", "1"]])
    load_fails(loaded, landing, PORTAL, bad, "missing required columns: MaTTHC, MaDonVi")
    with pytest.raises(LoadError, match="'mattHC' should be 'MaTTHC'"):
        load_source(loaded, PORTAL, landing)


def test_missing_required_columns_xlsx(con, landing: Path) -> None:
    bad = write_xlsx(landing / "mailbox/a.xlsx", MAILBOX_HEADER[:3], [["A", "x", "12/2017"]])
    load_fails(con, landing, MAILBOX, bad, "missing required columns: Tổng số hộp thư đã cấp")


def test_empty_csv_file(loaded, landing: Path) -> None:
    bad = landing / "portal/2017/empty.csv"
    bad.write_bytes(b"")
    load_fails(loaded, landing, PORTAL, bad, "is empty")


# ---------------------------------------------------------------- idempotency, incremental


def test_second_run_reads_nothing_and_changes_nothing(con, landing: Path, monkeypatch) -> None:
    write_jsonl(landing / "portal/a.jsonl", [event("D1"), event("D1"), "bad"])
    write_csv(
        landing / "postal/a.csv",
        POSTAL_HEADER,
        [["EB000000001VN", "", "Chuyển trả kết quả", "A", "05/01/2017 10:00", "", "Đang vận chuyển", ""]],
    )
    for source in (PORTAL, POSTAL):
        load_source(con, source, landing)
    tables = [
        "raw_portal.events",
        "raw_portal.rejects",
        "raw_portal.manifest",
        "raw_portal.loads",
        "raw_postal.shipments",
        "raw_postal.manifest",
    ]
    before = {t: snapshot(con, t) for t in tables}

    def no_reading(*args, **kwargs):
        raise AssertionError("a file was read although nothing changed")

    monkeypatch.setattr(changes, "sha256_of", no_reading)
    monkeypatch.setattr(load, "read_files", no_reading)
    for source in (PORTAL, POSTAL):
        result = load_source(con, source, landing)
        assert result.files_read == 0 and not result.changed
    assert {t: snapshot(con, t) for t in tables} == before


def test_touched_file_is_hashed_but_not_reloaded(con, landing: Path) -> None:
    path = write_jsonl(landing / "portal/a.jsonl", [event("D1")])
    load_source(con, PORTAL, landing)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    result = load_source(con, PORTAL, landing)
    assert result.files_read == 0 and result.files_unchanged == 1
    assert rows(con, "SELECT mtime_ns FROM raw_portal.manifest") == [(path.stat().st_mtime_ns,)]


def test_add_change_remove(con, landing: Path) -> None:
    a = write_jsonl(landing / "portal/a.jsonl", [event("A1"), event("A2")])
    b = write_jsonl(landing / "portal/b.jsonl", [event("B1")])
    first = load_source(con, PORTAL, landing)
    assert first.files_added == ["portal/a.jsonl", "portal/b.jsonl"]

    write_jsonl(landing / "portal/c.jsonl", [event("C1")])
    added = load_source(con, PORTAL, landing)
    assert (added.files_added, added.files_read, added.rows_loaded) == (["portal/c.jsonl"], 1, 1)

    write_jsonl(a, [event("A1", at="20170102090000"), event("A3"), "junk"])
    os.utime(a, ns=(a.stat().st_atime_ns, a.stat().st_mtime_ns + 10**9))
    changed = load_source(con, PORTAL, landing)
    assert changed.files_changed == ["portal/a.jsonl"] and changed.rows_deleted == 2
    assert rows(
        con, "SELECT MaHoSo, ThoiDiem FROM raw_portal.events WHERE _source_file = 'portal/a.jsonl' ORDER BY 1"
    ) == [("A1", dt.datetime(2017, 1, 2, 9)), ("A3", dt.datetime(2017, 1, 2, 8))]
    assert rows(con, "SELECT count(*) FROM raw_portal.rejects") == [(1,)]

    b.unlink()
    removed = load_source(con, PORTAL, landing)
    assert removed.files_removed == ["portal/b.jsonl"]
    assert rows(con, "SELECT DISTINCT MaHoSo FROM raw_portal.events ORDER BY 1") == [("A1",), ("A3",), ("C1",)]
    assert rows(con, "SELECT file_path FROM raw_portal.manifest ORDER BY 1") == [
        ("portal/a.jsonl",),
        ("portal/c.jsonl",),
    ]
    # dossiers that lost events are recorded (their rows are gone); those that gained events
    # are found by the events' own load id
    changes = rows(con, "SELECT _load_id, MaHoSo FROM raw_portal.dossier_changes ORDER BY ALL")
    assert changes == [(changed.load_id, "A1"), (changed.load_id, "A2"), (removed.load_id, "B1")]
    assert rows(con, f"SELECT MaHoSo FROM raw_portal.events WHERE _load_id = {changed.load_id} ORDER BY 1") == [
        ("A1",),
        ("A3",),
    ]


def test_same_content_in_any_order_gives_the_same_raw_rows(tmp_path: Path, landing: Path) -> None:
    from sources.warehouse import connect

    write_jsonl(landing / "portal/a.jsonl", [event("A1"), event("A2", 9)])
    write_jsonl(landing / "portal/b.jsonl", [event("B1")])
    one = connect(tmp_path / "one.duckdb")
    load_source(one, PORTAL, landing)
    two = connect(tmp_path / "two.duckdb")
    (landing / "portal/b.jsonl").rename(tmp_path / "b.jsonl")
    load_source(two, PORTAL, landing)
    (tmp_path / "b.jsonl").rename(landing / "portal/b.jsonl")
    load_source(two, PORTAL, landing)
    columns = ", ".join(f'"{c}"' for c in PORTAL_HEADER) + ", _source_file, _source_line"
    assert snapshot(one, f"(SELECT {columns} FROM raw_portal.events)") == snapshot(
        two, f"(SELECT {columns} FROM raw_portal.events)"
    )


def test_symlink_outside_landing_is_not_read(con, landing: Path, tmp_path: Path) -> None:
    outside = write_jsonl(tmp_path / "secret.jsonl", [event("SECRET")])
    (landing / "portal/link.jsonl").symlink_to(outside)
    result = load_source(con, PORTAL, landing)
    assert result.files_ignored == ["portal/link.jsonl (link to a file outside the landing folder)"]
    assert rows(con, "SELECT count(*) FROM raw_portal.events") == [(0,)]
