"""The breaking cases of tests/test_quality_checks.py: for every expectation of every suite, SQL
that breaks exactly that rule of the clean warehouse (tests/quality_warehouse.py)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from quality import Suite
from quality import checks as names
from quality.suites import suite as suite_named
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
