"""Raw ingestion: files the loader cannot read, idempotency and incremental loads (a second run
reads nothing, touched, added, changed and removed files, any order, symlinks). Readers and reject
reasons are in tests/test_loader.py."""

from __future__ import annotations

import datetime as dt
import gzip
import os
from pathlib import Path

import pytest

from sources.loading import LoadError, changes, load, load_source
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
