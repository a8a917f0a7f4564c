"""The sample-data generator: reproducible bytes, accepted formats, and the two calibration
figures of docs/indicators.md, recomputed from the raw committed files with plain DuckDB and
openpyxl (no parkpi loader), so a bug in the loader cannot hide a wrong sample."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from pathlib import Path

import duckdb
import openpyxl
import pytest

from sources.generate import generate, generate_portal_events, main

SAMPLE = Path(__file__).resolve().parent.parent / "sources" / "sample"
SOURCES = ("portal", "postal", "mailbox", "catalog")
ACCEPTED = {
    "portal": (".jsonl", ".jsonl.gz", ".csv", ".csv.gz"),
    "postal": (".csv", ".xlsx"),
    "mailbox": (".csv", ".xlsx"),
    "catalog": (".csv",),
}
PORTAL_FIELDS = [
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
]
POSTAL_HEADER = [
    "Mã bưu gửi",
    "Mã hồ sơ",
    "Loại dịch vụ",
    "Mã đơn vị",
    "Ngày chấp nhận",
    "Ngày phát",
    "Trạng thái",
    "Cước (VNĐ)",
]
MAILBOX_HEADER = [
    "Mã đơn vị",
    "Tên đơn vị",
    "Kỳ báo cáo",
    "Tổng số hộp thư đã cấp",
    "Số hộp thư đang sử dụng",
    "Cấp mới trong kỳ",
    "Thu hồi trong kỳ",
]
CATALOG_HEADERS = {
    "agencies.csv": ["MaDonVi", "TenDonVi", "Cap", "MaDonViCha", "HieuLucTu", "HieuLucDen", "MaDonViKeThua"],
    "procedures.csv": [
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
    "targets.csv": ["Nam", "MaChiTieu", "PhamVi", "GiaTri", "GhiChu"],
}


def landing_files(root: Path) -> dict[str, bytes]:
    """Relative path (as the contract's path order sees it) -> bytes, for the four sources."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for source in SOURCES
        for path in sorted((root / source).rglob("*"))
        if path.is_file()
    }


def text_of(path: Path) -> str:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8-sig")


def sheet_rows(path: Path) -> list[list[object]]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def table_rows(path: Path) -> list[list[object]]:
    """Header + rows of a CSV (possibly gzipped, BOM or not) or of an xlsx first sheet."""
    if path.suffix == ".xlsx":
        return sheet_rows(path)
    return [list(row) for row in csv.reader(io.StringIO(text_of(path)))]


def test_same_seed_and_scale_give_identical_bytes(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", scale=0.05)
    second = generate(tmp_path / "b", scale=0.05)
    a, b = landing_files(tmp_path / "a"), landing_files(tmp_path / "b")
    assert list(a) == list(b)
    assert [p for p in a if a[p] != b[p]] == []
    assert first == {**second, "out_dir": first["out_dir"]}
    # The mess is there, a handful per source, and only when asked for.
    for source in ("portal", "postal", "mailbox"):
        assert 5 <= first["bad_rows"][source] <= 15
    clean = generate(tmp_path / "clean", scale=0.05, messy=False)
    assert set(clean["bad_rows"].values()) == {0}


def test_committed_sample_is_what_the_generator_writes(tmp_path: Path) -> None:
    """`python -m sources.generate --out sources/sample` must reproduce the committed
    files; if this fails after a generator change, regenerate the sample."""
    summary = generate(tmp_path / "fresh")
    fresh, committed = landing_files(tmp_path / "fresh"), landing_files(SAMPLE)
    assert sorted(committed) == sorted(fresh)
    assert [p for p in fresh if fresh[p] != committed[p]] == []
    # The sample's README lists exactly the deliberately bad rows.
    documented = re.findall(
        r"^\| (portal|postal|mailbox|catalog) \| `([^`]+)` \| (\d+) \|",
        (SAMPLE / "README.md").read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    generated = [(b["source"], b["file"], str(b["line"])) for b in summary["bad_row_details"]]
    assert sorted(documented) == sorted(generated)


def test_sample_has_154_level3_services_at_end_of_2017() -> None:
    con = duckdb.connect()
    procedures = str(SAMPLE / "catalog" / "procedures.csv")
    (level3,) = con.execute(
        """
        select count(distinct MaTTHC)
        from read_csv(?, all_varchar = true, header = true)
        where MucDo = '3'
          and HieuLucTu::date <= date '2017-12-31'
          and (coalesce(HieuLucDen, '') = '' or HieuLucDen::date >= date '2017-12-31')
        """,
        [procedures],
    ).fetchall()[0]
    assert level3 == 154
    # The boundary cases the calibration must get right are really in the catalogue.
    (ending, starting, codes) = con.execute(
        """
        select
            count(*) filter (where HieuLucDen = '2017-12-31'),
            count(*) filter (where HieuLucTu = '2017-12-31'),
            count(distinct MaTTHC)
        from read_csv(?, all_varchar = true, header = true)
        """,
        [procedures],
    ).fetchall()[0]
    assert ending > 0 and starting > 0
    assert 1500 <= codes <= 2000


def mailbox_table(root: Path) -> list[tuple[str, int, list[str]]]:
    """(file, line or row number, the seven cells as text) for every mailbox data row."""
    rows = []
    for path in sorted((root / "mailbox").rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(root).as_posix()
        header, *data = table_rows(path)
        assert header == MAILBOX_HEADER, relative
        for number, cells in enumerate(data, start=2):
            rows.append((relative, number, ["" if c is None else str(c) for c in cells]))
    return rows


def test_sample_mailboxes_issued_in_2017_is_nearly_9000() -> None:
    con = duckdb.connect()
    con.execute(
        """
        create table reports (
            file varchar, line integer, agency varchar, agency_name varchar, period varchar,
            issued varchar, active varchar, new varchar, revoked varchar
        )
        """
    )
    con.executemany(
        "insert into reports values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(f, n, *cells) for f, n, cells in mailbox_table(SAMPLE)],
    )
    number = r"'^(\d{1,3}(\.\d{3})+|\d+)$'"
    figures = con.execute(
        f"""
        with valid as (
            select
                file, line, agency,
                strptime('01/' || period, '%d/%m/%Y')::date as report_month,
                replace(issued, '.', '')::bigint as issued
            from reports
            where agency <> ''
              and regexp_matches(period, '^(0[1-9]|1[0-2])/\\d{{4}}$')
              and regexp_matches(issued, {number}) and regexp_matches(active, {number})
              and regexp_matches(new, {number}) and regexp_matches(revoked, {number})
        ),
        corrected as (  -- same agency and month: the file last in path order wins
            select * from valid
            qualify row_number() over (
                partition by agency, report_month order by file desc, line desc
            ) = 1
        ),
        last_month as (
            select agency, year(report_month) as year, arg_max(issued, report_month) as issued
            from corrected
            group by all
        )
        select year, sum(issued) from last_month group by year order by year
        """
    ).fetchall()
    issued = dict(figures)
    assert 8500 <= issued[2017] <= 8999
    assert issued[2016] < issued[2017]
    # The correction rule matters: a later file re-reports a 2017 agency-month differently.
    (changed,) = con.execute(
        """
        select count(*) from (
            select agency, period from reports
            where period = '12/2017'
            group by all
            having count(distinct file) > 1 and count(distinct replace(issued, '.', '')) > 1
        )
        """
    ).fetchall()[0]
    assert changed >= 1


def test_every_sample_file_is_an_accepted_format() -> None:
    files = sorted(p for p in SAMPLE.rglob("*") if p.is_file())
    assert files, "sources/sample is empty"
    seen = set()
    for path in files:
        relative = path.relative_to(SAMPLE)
        if len(relative.parts) == 1:
            assert relative.name in ("README.md", "landing.toml")
            continue
        source = relative.parts[0]
        assert source in ACCEPTED, relative
        assert path.name.endswith(ACCEPTED[source]), relative
        seen.add(source)
        if ".jsonl" in path.name:
            lines = text_of(path).splitlines()
            parsed = 0
            for line in lines:
                try:
                    parsed += isinstance(json.loads(line), dict)
                except json.JSONDecodeError:
                    pass
            # Readable files with at most a couple of deliberately broken lines.
            assert parsed >= len(lines) - 2, relative
            continue
        header = table_rows(path)[0]
        if source == "portal":
            assert header[: len(PORTAL_FIELDS)] == PORTAL_FIELDS, relative
        elif source == "postal":
            assert header == POSTAL_HEADER, relative
        elif source == "mailbox":
            assert header == MAILBOX_HEADER, relative
        else:
            assert header == CATALOG_HEADERS[relative.name], relative
    assert seen == set(SOURCES)
    # Every accepted portal format actually occurs.
    names = [p.name for p in files if p.relative_to(SAMPLE).parts[0] == "portal"]
    for suffix in ACCEPTED["portal"]:
        assert any(n.endswith(suffix) and not n.endswith(suffix + ".gz") for n in names), suffix
    # Small enough to commit.
    assert sum(p.stat().st_size for p in files) <= 4 * 1024 * 1024


def test_postal_waybills_follow_the_pattern_except_the_deliberate_reject() -> None:
    waybills = [
        str(row[0] or "")
        for path in sorted((SAMPLE / "postal").rglob("*"))
        if path.is_file()
        for row in table_rows(path)[1:]
    ]
    wrong = [w for w in waybills if not re.fullmatch(r"[A-Z]{2}\d{9}VN", w)]
    assert wrong == [""]  # the row whose required waybill is missing
    assert len(set(waybills)) < len(waybills)  # re-exported shipments


def count_events(root: Path) -> int:
    return sum(len(gzip.decompress(path.read_bytes()).splitlines()) for path in (root / "portal").rglob("*.jsonl.gz"))


def test_portal_events_writes_the_requested_volume(tmp_path: Path) -> None:
    summary = generate_portal_events(tmp_path, 20000)
    written = count_events(tmp_path)
    assert written == summary["events"]
    assert abs(written - 20000) <= 200
    paths = [p.relative_to(tmp_path).as_posix() for p in (tmp_path / "portal").rglob("*") if p.is_file()]
    assert paths and all(re.fullmatch(r"portal/\d{4}/\d{2}/[^/]+\.jsonl\.gz", p) for p in paths)
    assert (tmp_path / "catalog" / "procedures.csv").exists()


def month_events(root: Path) -> dict[str, int]:
    return {
        path.relative_to(root).parent.as_posix(): len(gzip.decompress(path.read_bytes()).splitlines())
        for path in sorted((root / "portal").rglob("*.jsonl.gz"))
    }


def test_portal_events_in_months_of_a_fixed_size(tmp_path: Path) -> None:
    summary = generate_portal_events(tmp_path / "a", 24000, month_events=6000, with_catalog=False)
    counts = month_events(tmp_path / "a")
    assert list(counts) == ["portal/2016/01", "portal/2016/02", "portal/2016/03", "portal/2016/04"]
    assert summary["events"] == sum(counts.values())
    # every month's file holds the month's share to within one dossier's events
    assert all(abs(n - 6000) <= 10 for n in counts.values()), counts
    assert (summary["first_month"], summary["last_month"]) == ("2016-01", "2016-04")
    # a longer history does not make the months bigger, and starts with the same months
    generate_portal_events(tmp_path / "b", 48000, month_events=6000, with_catalog=False)
    longer = month_events(tmp_path / "b")
    assert len(longer) == 8 and all(abs(n - 6000) <= 10 for n in longer.values())
    first = (tmp_path / "a" / "portal" / "2016" / "01" / "export_01.jsonl.gz").read_bytes()
    assert (tmp_path / "b" / "portal" / "2016" / "01" / "export_01.jsonl.gz").read_bytes() == first


def test_fixed_size_months_carry_open_dossiers_into_later_months(tmp_path: Path) -> None:
    generate_portal_events(tmp_path, 30000, month_events=10000, with_catalog=False)
    rows = []  # (month of the file, event)
    for path in sorted((tmp_path / "portal").rglob("*.jsonl.gz")):
        month = path.parent.relative_to(tmp_path / "portal").as_posix().replace("/", "")
        rows += [(month, json.loads(line)) for line in gzip.decompress(path.read_bytes()).splitlines()]
    # each file holds exactly the events that happened in its month
    assert {month for month, _ in rows} == {"201601", "201602", "201603"}
    assert all(event["ThoiDiem"][:6] == month for month, event in rows)
    # dossier codes are unique per dossier: one agency and one procedure per code
    facts: dict[str, set] = {}
    first_month: dict[str, str] = {}
    for month, event in rows:
        facts.setdefault(event["MaHoSo"], set()).add((event["MaDonVi"], event["MaTTHC"]))
        first_month[event["MaHoSo"]] = min(first_month.get(event["MaHoSo"], month), month)
    assert all(len(v) == 1 for v in facts.values())
    # dossiers received in one month have later events in a later month's file
    assert sum(month > first_month[event["MaHoSo"]] for month, event in rows) > 1000


def test_command_line_benchmark_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path), "--portal-events", "3000"]) == 0
    assert json.loads(capsys.readouterr().out)["events"] == count_events(tmp_path)
