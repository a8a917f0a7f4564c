"""Every expectation of every suite: clean data passes, data breaking exactly that rule fails
exactly that check (quality, no Dagster).

Each case builds a tiny in-memory warehouse (raw tables from sources.warehouse, marts and KPI
tables by hand with the columns the checks read), breaks one rule and validates the suite."""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pytest

from quality import SUITES, DataDocs, Suite, summary_lines, validate_and_record, validate_suite
from quality import checks as names
from quality import docs as docs_module
from quality.suites import suite as suite_named
from sources.loading import ensure_all_raw_schemas
from sources.settings import get_settings
from sources.warehouse import quote

CATALOG_AGENCIES = suite_named("catalog.raw_agencies")
CATALOG_PROCEDURES = suite_named("catalog.raw_procedures")
CATALOG_TARGETS = suite_named("catalog.raw_targets")
DOSSIERS = suite_named("marts.fct_dossiers")
KPI_YEARLY = suite_named("kpi.kpi_yearly")
MAILBOX_POSITIONS = suite_named("marts.fct_mailbox_positions")
MAILBOX_REPORTS = suite_named("mailbox.raw_reports")
PORTAL_EVENTS = suite_named("portal.raw_events")
POSTAL_SHIPMENT_FACTS = suite_named("marts.fct_postal_shipments")
POSTAL_SHIPMENTS = suite_named("postal.raw_shipments")

NOW = dt.datetime(2026, 6, 15, 12, 0)  # "now" of every validation here
LINEAGE = {"_source_file": "x/file.csv", "_source_line": 2, "_load_id": 1, "_loaded_at": "2026-01-01 00:00:00"}

CLEAN_RAW = {
    ("raw_portal", "events"): [
        {
            "MaHoSo": "000.00.09.H33-170102-00001",
            "MaTTHC": "1.000001",
            "MaDonVi": "000.00.09.H33",
            "KenhThucHien": 2,
            "MucDo": 3,
            "TrangThaiHoSo": 2,
            "ThoiDiem": "2017-01-02 08:00:00",
            "NgayHenTra": "2017-01-10 17:00:00",
            "HinhThucTra": 1,
            "DuocThanhToanTrucTuyen": 0,
            "LoaiDoiTuong": 1,
        },
        {
            "MaHoSo": "000.00.09.H33-170102-00001",
            "MaTTHC": "1.000001",
            "MaDonVi": "000.00.09.H33",
            "KenhThucHien": 2,
            "MucDo": 3,
            "TrangThaiHoSo": 9,
            "ThoiDiem": "2017-01-09 10:00:00",
            "NgayHenTra": "2017-01-10 17:00:00",
            "HinhThucTra": 1,
            "DuocThanhToanTrucTuyen": 2,
            "LoaiDoiTuong": 1,
        },
    ],
    ("raw_postal", "shipments"): [
        {
            "Mã bưu gửi": "EB123456789VN",
            "Mã hồ sơ": "000.00.09.H33-170102-00001",
            "Loại dịch vụ": "Chuyển trả kết quả",
            "Mã đơn vị": "000.00.09.H33",
            "Ngày chấp nhận": "2017-01-11 08:00:00",
            "Ngày phát": "2017-01-12 09:00:00",
            "Trạng thái": "Phát thành công",
            "Cước (VNĐ)": 25000,
        },
    ],
    ("raw_mailbox", "reports"): [
        {
            "Mã đơn vị": "000.00.09.H33",
            "Tên đơn vị": "Sở Nội vụ",
            "Kỳ báo cáo": "2017-01-01",
            "Tổng số hộp thư đã cấp": 100,
            "Số hộp thư đang sử dụng": 80,
            "Cấp mới trong kỳ": 2,
            "Thu hồi trong kỳ": 1,
        },
    ],
    ("raw_catalog", "agencies"): [
        {
            "MaDonVi": "000.00.09.H33",
            "TenDonVi": "Sở Nội vụ",
            "Cap": "tinh",
            "MaDonViCha": "000.00.00.H33",
            "HieuLucTu": "2010-01-01",
            "HieuLucDen": None,
            "MaDonViKeThua": None,
        },
    ],
    ("raw_catalog", "targets"): [
        {"Nam": 2020, "MaChiTieu": "on_time_rate", "PhamVi": "ALL", "GiaTri": 90.0, "GhiChu": "Kế hoạch 05/KH-UBND"},
    ],
    ("raw_catalog", "procedures"): [
        {
            "MaTTHC": "1.000001",
            "TenTTHC": "Thủ tục",
            "MaLinhVuc": "F1",
            "TenLinhVuc": "Lĩnh vực",
            "CapThucHien": "tinh",
            "MucDo": 3,
            "CoPhiLePhi": 1,
            "HieuLucTu": "2015-01-01",
            "HieuLucDen": None,
        },
    ],
}

# The marts and KPI tables, reduced to the columns the checks read.
MART_TABLES = """
create schema marts;
create schema kpi;
create table marts.fct_dossiers as
    select 'D' || i as dossier_code,
           timestamp '2020-03-02 08:00:00' as received_at,
           timestamp '2020-03-09 08:00:00' as finished_at,
           timestamp '2020-03-12 17:00:00' as due_at,
           true as result_by_post
    from range(10) as t(i);
create table marts.fct_postal_shipments as
    select 'EB00000000' || i || 'VN' as waybill_code, 'D' || i as dossier_code,
           true as is_result_return, true as is_matched_dossier
    from range(10) as t(i)
    union all
    -- a dossier delivery matching no dossier: not a result shipment, so it does not count
    select 'EB000000010VN', 'X1', false, false;
create table marts.fct_mailbox_positions as
    select '000.00.09.H33' as agency_code, date '2020-01-01' as report_month,
           'mailbox/a.csv' as source_file, 2 as source_line,
           100 as mailboxes_issued_total, 80 as mailboxes_active, 2 as mailboxes_new, 1 as mailboxes_revoked;
create table marts.dim_indicators (indicator varchar, unit varchar, indicator_group varchar);
insert into marts.dim_indicators values
    ('dossiers_received', 'count', 'portal'), ('on_time_rate', 'ratio', 'portal'),
    ('postal_result_shipments', 'count', 'postal'), ('mailboxes_issued', 'count', 'mailbox'),
    ('mailbox_active_rate', 'ratio', 'mailbox'), ('online_services_level3', 'count', 'catalog');
create table kpi.kpi_yearly as
    select year::integer as year, 'province' as scope, 'ALL' as scope_code, indicator,
           case when unit = 'ratio' then 0.5 else 10 end::double as value
    from marts.dim_indicators, range(2018, 2021) as t(year)
    union all
    select 2020, 'agency', 'A1', indicator, case when unit = 'ratio' then 0.5 else 10 end
    from marts.dim_indicators where indicator_group = 'portal';
"""


def build_warehouse(path: str = ":memory:") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(path)
    ensure_all_raw_schemas(con)
    for (schema, table), rows in CLEAN_RAW.items():
        for row in rows:
            values = {**row, **LINEAGE}
            columns = ", ".join(quote(c) for c in values)
            con.execute(
                f"INSERT INTO {schema}.{table} ({columns}) VALUES ({', '.join('?' for _ in values)})",
                list(values.values()),
            )
    con.execute(MART_TABLES)
    return con


@pytest.fixture
def warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    con = build_warehouse()
    yield con
    con.close()


@dataclass(frozen=True)
class Case:
    suite: Suite
    check: str
    column: str | None  # which expectation of the check (None: its only one)
    breaking: str  # SQL that breaks exactly that rule

    @property
    def id(self) -> str:
        return f"{self.suite.name}:{self.check}:{self.column or ''}:{zlib.crc32(self.breaking.encode()) % 1000}"


def update(table: str, assignment: str) -> str:
    return f"UPDATE {table} SET {assignment}"


EVENTS, SHIPMENTS, REPORTS = "raw_portal.events", "raw_postal.shipments", "raw_mailbox.reports"
AGENCIES, PROCEDURES, TARGETS = "raw_catalog.agencies", "raw_catalog.procedures", "raw_catalog.targets"

CASES = [
    # portal
    Case(PORTAL_EVENTS, names.COLUMNS_PRESENT, None, f"ALTER TABLE {EVENTS} DROP COLUMN _load_id"),
    *[
        Case(
            PORTAL_EVENTS,
            names.REQUIRED_VALUES_PRESENT,
            column,
            update(EVENTS, f"{column} = NULL WHERE TrangThaiHoSo = 9"),
        )
        for column in ("MaHoSo", "MaTTHC", "MaDonVi", "KenhThucHien", "TrangThaiHoSo", "ThoiDiem")
    ],
    *[
        Case(PORTAL_EVENTS, names.CODES_IN_SETS, column, update(EVENTS, f"{column} = {bad}"))
        for column, bad in (
            ("KenhThucHien", 7),
            ("MucDo", 1),
            ("TrangThaiHoSo", 11),
            ("HinhThucTra", 3),
            ("DuocThanhToanTrucTuyen", 5),
            ("LoaiDoiTuong", 5),
        )
    ],
    Case(PORTAL_EVENTS, names.DOSSIER_CODE_PATTERN, "MaHoSo", update(EVENTS, "MaHoSo = 'HS-0001'")),
    Case(PORTAL_EVENTS, names.DATES_PLAUSIBLE, "ThoiDiem", update(EVENTS, "ThoiDiem = '2009-12-31 23:00:00'")),
    Case(PORTAL_EVENTS, names.DATES_PLAUSIBLE, "ThoiDiem", update(EVENTS, "ThoiDiem = '2026-06-15 12:00:01'")),
    Case(PORTAL_EVENTS, names.DATES_PLAUSIBLE, "NgayHenTra", update(EVENTS, "NgayHenTra = '2027-07-01 17:00:00'")),
    # an event in March 2017 after January's, and none in February
    Case(
        PORTAL_EVENTS,
        names.NO_MONTH_WITHOUT_EVENTS,
        None,
        update(EVENTS, "ThoiDiem = '2017-03-09 10:00:00', NgayHenTra = NULL WHERE TrangThaiHoSo = 9"),
    ),
    # postal
    Case(POSTAL_SHIPMENTS, names.COLUMNS_PRESENT, None, f"ALTER TABLE {SHIPMENTS} DROP COLUMN _load_id"),
    *[
        Case(POSTAL_SHIPMENTS, names.REQUIRED_VALUES_PRESENT, column, update(SHIPMENTS, f"{quote(column)} = NULL"))
        for column in ("Mã bưu gửi", "Loại dịch vụ", "Mã đơn vị", "Ngày chấp nhận", "Trạng thái")
    ],
    Case(
        POSTAL_SHIPMENTS,
        names.CODES_IN_SETS,
        "Loại dịch vụ",
        update(SHIPMENTS, "\"Loại dịch vụ\" = 'Chuyển phát nhanh'"),
    ),
    Case(POSTAL_SHIPMENTS, names.CODES_IN_SETS, "Trạng thái", update(SHIPMENTS, "\"Trạng thái\" = 'Không rõ'")),
    Case(POSTAL_SHIPMENTS, names.WAYBILL_PATTERN, "Mã bưu gửi", update(SHIPMENTS, "\"Mã bưu gửi\" = 'EB12345VN'")),
    Case(POSTAL_SHIPMENTS, names.DOSSIER_CODE_PATTERN, "Mã hồ sơ", update(SHIPMENTS, "\"Mã hồ sơ\" = 'HS 1'")),
    Case(
        POSTAL_SHIPMENTS,
        names.DATES_PLAUSIBLE,
        "Ngày chấp nhận",
        update(SHIPMENTS, "\"Ngày chấp nhận\" = '2009-01-11 08:00'"),
    ),
    Case(POSTAL_SHIPMENTS, names.DATES_PLAUSIBLE, "Ngày phát", update(SHIPMENTS, "\"Ngày phát\" = '2026-07-01 08:00'")),
    Case(
        POSTAL_SHIPMENTS,
        names.DELIVERED_NOT_BEFORE_ACCEPTED,
        None,
        update(SHIPMENTS, "\"Ngày phát\" = '2017-01-10 08:00'"),
    ),
    Case(POSTAL_SHIPMENTS, names.POSTAGE_NOT_NEGATIVE, None, update(SHIPMENTS, '"Cước (VNĐ)" = -1')),
    # mailbox
    Case(MAILBOX_REPORTS, names.COLUMNS_PRESENT, None, f"ALTER TABLE {REPORTS} DROP COLUMN _load_id"),
    *[
        Case(MAILBOX_REPORTS, names.REQUIRED_VALUES_PRESENT, column, update(REPORTS, f"{quote(column)} = NULL"))
        for column in (
            "Mã đơn vị",
            "Kỳ báo cáo",
            "Tổng số hộp thư đã cấp",
            "Số hộp thư đang sử dụng",
            "Cấp mới trong kỳ",
            "Thu hồi trong kỳ",
        )
    ],
    # a negative issued count drags the active count along (active <= issued is another rule)
    Case(
        MAILBOX_REPORTS,
        names.COUNTS_NOT_NEGATIVE,
        "Tổng số hộp thư đã cấp",
        update(REPORTS, '"Tổng số hộp thư đã cấp" = -1, "Số hộp thư đang sử dụng" = -1'),
    ),
    *[
        Case(MAILBOX_REPORTS, names.COUNTS_NOT_NEGATIVE, column, update(REPORTS, f"{quote(column)} = -1"))
        for column in ("Số hộp thư đang sử dụng", "Cấp mới trong kỳ", "Thu hồi trong kỳ")
    ],
    Case(MAILBOX_REPORTS, names.ACTIVE_NOT_ABOVE_ISSUED, None, update(REPORTS, '"Số hộp thư đang sử dụng" = 101')),
    Case(MAILBOX_REPORTS, names.DATES_PLAUSIBLE, "Kỳ báo cáo", update(REPORTS, "\"Kỳ báo cáo\" = '2026-07-01'")),
    Case(MAILBOX_REPORTS, names.DATES_PLAUSIBLE, "Kỳ báo cáo", update(REPORTS, "\"Kỳ báo cáo\" = '2009-12-01'")),
    # catalog
    *[
        case
        for suite, table in ((CATALOG_AGENCIES, AGENCIES), (CATALOG_PROCEDURES, PROCEDURES))
        for case in (
            Case(suite, names.COLUMNS_PRESENT, None, f"ALTER TABLE {table} DROP COLUMN _load_id"),
            Case(suite, names.DATES_PLAUSIBLE, "HieuLucTu", update(table, "HieuLucTu = '1975-12-31'")),
            Case(suite, names.DATES_PLAUSIBLE, "HieuLucDen", update(table, "HieuLucDen = '2027-07-01'")),
            Case(suite, names.VALIDITY_PERIOD_ORDERED, None, update(table, "HieuLucDen = HieuLucTu - 1")),
        )
    ],
    *[
        Case(CATALOG_AGENCIES, names.REQUIRED_VALUES_PRESENT, column, update(AGENCIES, f"{column} = NULL"))
        for column in ("MaDonVi", "HieuLucTu")
    ],
    Case(CATALOG_AGENCIES, names.CODES_IN_SETS, "Cap", update(AGENCIES, "Cap = 'thon'")),
    Case(CATALOG_TARGETS, names.COLUMNS_PRESENT, None, f"ALTER TABLE {TARGETS} DROP COLUMN _load_id"),
    *[
        Case(CATALOG_TARGETS, names.REQUIRED_VALUES_PRESENT, column, update(TARGETS, f"{column} = NULL"))
        for column in ("Nam", "MaChiTieu", "PhamVi", "GiaTri")
    ],
    Case(CATALOG_TARGETS, names.DATES_PLAUSIBLE, "Nam", update(TARGETS, "Nam = 2009")),
    *[
        Case(CATALOG_PROCEDURES, names.REQUIRED_VALUES_PRESENT, column, update(PROCEDURES, f"{column} = NULL"))
        for column in ("MaTTHC", "MucDo", "HieuLucTu")
    ],
    *[
        Case(CATALOG_PROCEDURES, names.CODES_IN_SETS, column, update(PROCEDURES, f"{column} = {bad}"))
        for column, bad in (("CapThucHien", "'thon'"), ("MucDo", 1), ("CoPhiLePhi", 2))
    ],
    # marts
    Case(
        DOSSIERS,
        names.FINISHED_NOT_BEFORE_RECEIVED,
        None,
        update("marts.fct_dossiers", "finished_at = received_at - interval 1 hour WHERE dossier_code = 'D1'"),
    ),
    Case(
        DOSSIERS,
        names.DUE_NOT_BEFORE_RECEIVED,
        None,
        update("marts.fct_dossiers", "due_at = received_at - interval 1 day WHERE dossier_code = 'D1'"),
    ),
    # 8 of 10 by-post dossiers with a result shipment: below 90 %
    Case(
        DOSSIERS,
        names.POSTAL_RESULTS_HAVE_SHIPMENT,
        None,
        "DELETE FROM marts.fct_postal_shipments WHERE dossier_code IN ('D1', 'D2')",
    ),
    # 9 of 10 result shipments matched: below 95 %
    Case(
        POSTAL_SHIPMENT_FACTS,
        names.RESULT_SHIPMENTS_MATCH_DOSSIER,
        None,
        update("marts.fct_postal_shipments", "is_matched_dossier = false WHERE dossier_code = 'D1'"),
    ),
    *[
        Case(
            MAILBOX_POSITIONS,
            names.COUNTS_NOT_NEGATIVE,
            column,
            update(
                "marts.fct_mailbox_positions",
                f"{column} = -1" + (", mailboxes_active = -1" if column == "mailboxes_issued_total" else ""),
            ),
        )
        for column in ("mailboxes_issued_total", "mailboxes_active", "mailboxes_new", "mailboxes_revoked")
    ],
    # KPI table
    Case(
        KPI_YEARLY,
        names.RATIOS_BETWEEN_0_AND_1,
        None,
        update("kpi.kpi_yearly", "value = 1.5 WHERE indicator = 'on_time_rate' AND year = 2019"),
    ),
    Case(
        KPI_YEARLY,
        names.RATIOS_BETWEEN_0_AND_1,
        None,
        update("kpi.kpi_yearly", "value = -0.1 WHERE indicator = 'on_time_rate' AND scope = 'agency'"),
    ),
    Case(
        KPI_YEARLY,
        names.MAILBOX_ACTIVE_RATE_BETWEEN_0_AND_1,
        None,
        update("kpi.kpi_yearly", "value = 1.2 WHERE indicator = 'mailbox_active_rate' AND year = 2020"),
    ),
    Case(
        KPI_YEARLY,
        names.ONE_ROW_PER_KEY,
        None,
        "INSERT INTO kpi.kpi_yearly SELECT * FROM kpi.kpi_yearly "
        "WHERE year = 2020 AND indicator = 'dossiers_received' AND scope = 'province'",
    ),
    Case(
        KPI_YEARLY,
        names.INDICATORS_COMPLETE,
        None,
        "DELETE FROM kpi.kpi_yearly WHERE year = 2020 AND indicator = 'on_time_rate' AND scope = 'province'",
    ),
    Case(
        KPI_YEARLY,
        names.INDICATORS_COMPLETE,
        None,
        "INSERT INTO kpi.kpi_yearly VALUES (2020, 'agency', 'A1', 'online_services_level3', 3)",
    ),
    Case(KPI_YEARLY, names.NO_MISSING_YEAR, None, "DELETE FROM kpi.kpi_yearly WHERE year = 2019"),
]


def expectation_index(case: Case) -> int:
    check = case.suite.check(case.check)
    if case.column is None:
        assert len(check.expectations) == 1, f"{case.check} has several expectations: name the column"
        return 0
    matches = [
        i
        for i, spec in enumerate(check.expectations)
        if case.column in (spec.args.get("column"), spec.args.get("column_A"))
    ]
    assert len(matches) == 1, (case.check, case.column)
    return matches[0]


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_clean_data_passes_every_check(warehouse, suite: Suite) -> None:
    outcomes = validate_suite(warehouse, suite, now=NOW)
    assert {o.check.name for o in outcomes} == {c.name for c in suite.checks}
    failed = {o.check.name: o.summary() for o in outcomes if not o.success}
    assert failed == {}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_breaking_one_rule_fails_exactly_its_check(warehouse, case: Case) -> None:
    warehouse.execute(case.breaking)
    outcomes = {o.check.name: o for o in validate_suite(warehouse, case.suite, now=NOW)}
    failed = sorted(name for name, o in outcomes.items() if not o.success)
    assert failed == [case.check], {name: outcomes[name].summary() for name in failed}
    outcome = outcomes[case.check]
    broken = outcome.expectations[expectation_index(case)]
    assert not broken.success and broken.error is None, broken
    # the number and a sample of the failing rows, identified by the suite's key columns
    assert outcome.unexpected_count >= 1 and outcome.evaluated_count >= outcome.unexpected_count
    assert broken.sample, broken
    if case.check != names.COLUMNS_PRESENT:
        key = (case.suite.check(case.check).key_columns or case.suite.key_columns)[0]
        assert isinstance(broken.sample[0], dict) and key in broken.sample[0], broken.sample


def test_every_expectation_has_a_breaking_case() -> None:
    covered = {(c.suite.name, c.check, expectation_index(c)) for c in CASES}
    every = {
        (suite.name, check.name, index)
        for suite in SUITES
        for check in suite.checks
        for index in range(len(check.expectations))
    }
    assert every - covered == set()


def test_check_names_are_the_constants_and_unique_per_asset() -> None:
    constants = {value for key, value in vars(names).items() if key.isupper() and isinstance(value, str)}
    for suite in SUITES:
        check_names = [c.name for c in suite.checks]
        assert len(check_names) == len(set(check_names)), suite.name
        assert set(check_names) <= constants, suite.name


def test_share_checks_report_the_share_even_when_passing(warehouse) -> None:
    warehouse.execute("UPDATE marts.fct_postal_shipments SET is_matched_dossier = false WHERE dossier_code = 'D1'")
    warehouse.execute(
        "INSERT INTO marts.fct_postal_shipments SELECT 'EB1' || i || 'VN', 'E' || i, true, true FROM range(20) t(i)"
    )
    (outcome,) = validate_suite(warehouse, POSTAL_SHIPMENT_FACTS, now=NOW)
    assert outcome.success  # 29 of 30 = 96.7 % >= 95 %
    assert (outcome.evaluated_count, outcome.unexpected_count) == (30, 1)
    assert outcome.sample == [{"waybill_code": "EB000000001VN", "dossier_code": "D1", "is_matched_dossier": False}]
    assert outcome.summary().startswith("96.7% of 30 rows pass (threshold 95%)")


def test_results_are_kept_one_row_per_check_per_run_and_summarised(tmp_path, monkeypatch) -> None:
    path = tmp_path / "warehouse" / "parkpi.duckdb"
    path.parent.mkdir()
    con = build_warehouse(str(path))
    con.execute(update(EVENTS, "KenhThucHien = 7 WHERE TrangThaiHoSo = 9"))
    for run_id in ("run-1", "run-1", "run-2"):  # a retried step replaces its own rows
        validate_and_record(con, PORTAL_EVENTS, run_id=run_id, warehouse=path, now=NOW)
    rows = con.execute(
        "SELECT run_id, check_name, severity, success, evaluated_count, unexpected_count, sample "
        "FROM dq.check_results ORDER BY run_id, check_name"
    ).fetchall()
    latest = con.execute("SELECT count(*), min(run_id) FROM dq.latest_check_results").fetchone()
    con.close()
    assert len(rows) == 2 * len(PORTAL_EVENTS.checks) and latest == (len(PORTAL_EVENTS.checks), "run-2")
    failed = [row for row in rows if not row[3]]
    assert [(r[0], r[1], r[2], r[4], r[5]) for r in failed] == [
        ("run-1", names.CODES_IN_SETS, "blocking", 6 * 2, 1),
        ("run-2", names.CODES_IN_SETS, "blocking", 6 * 2, 1),
    ]
    assert '"KenhThucHien": 7' in failed[0][6]
    monkeypatch.setenv("PARKPI_WAREHOUSE", str(path))
    lines = summary_lines(get_settings())
    assert lines[0] == (
        f"Data quality: {len(PORTAL_EVENTS.checks)} checks, {len(PORTAL_EVENTS.checks) - 1} passed, "
        "0 warnings, 1 blocking failure (history in dq.check_results)"
    )
    assert lines[1].startswith("  BLOCKING portal/raw_events:codes_in_sets — 1 of 12 values unexpected")
    assert lines[2] == f"Data Docs: {DataDocs.for_warehouse(path).index_url}"


def test_data_docs_keep_the_last_results_of_each_suite(warehouse, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(docs_module, "RESULTS_KEPT", 2)
    docs = DataDocs(tmp_path / "data_docs")
    for run_id in ("run-a", "run-b", "run-c"):
        (outcome, *_) = validate_suite(warehouse, MAILBOX_REPORTS, run_id=run_id, now=NOW, docs=docs)
    pages = sorted((docs.root / "validations").rglob("*.html"))
    assert [page.relative_to(docs.root / "validations").parts[2] for page in pages] == ["run-b", "run-c"]
    assert outcome.data_docs == pages[-1].as_uri()
    assert len(list((docs.store / "validations").rglob("*.json"))) == 2
    assert "mailbox.raw_reports" in docs.index.read_text(encoding="utf-8")
