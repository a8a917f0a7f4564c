"""Which rows make each figure (``ROW_SPECS``), as SQL over the published snapshot.

SQL fragments over the row relation `r` and a relation of periods `p` (period_type, year,
period, first_month, last_month: first days of the window's first and last month, period_end:
its last day). Windows are whole months (docs/indicators.md, "Periods"). The rows are those of
the membership tables dbt adds up (``kpi_dossier_flags`` for the dossier figures,
``fct_postal_shipments``, ``kpi_mailbox_period_positions``, ``kpi_catalog_period_procedures``).

``member_totals`` runs the same row selection for many periods at once (one query), for the
tests that check every figure of a snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from serving.explain.arguments import PROVINCE
from serving.periods import Period


@dataclass(frozen=True)
class RowKind:
    """A kind of row: where it lives in the snapshot and how it is traced to the landing files."""

    relation: str  # FROM ... AS r
    key: str  # the row's key (dossier code, waybill, ...)
    agency: str | None  # the agency (today's structure) it counts for; None: province only
    sources: str  # "dossier" (its events), "own" (r.source_file, r.source_line), "procedure"
    noun_en: str
    noun_vi: str


DOSSIER = RowKind("kpi_dossier_flags AS r", "r.dossier_code", "r.current_agency_code", "dossier", "dossiers", "hồ sơ")
SHIPMENT = RowKind(
    "fct_postal_shipments AS r", "r.waybill_code", "r.current_agency_code", "own", "shipments", "bưu gửi"
)
MAILBOX_REPORT = RowKind(
    "kpi_mailbox_period_positions AS r",
    "r.agency_code || ' ' || strftime(r.report_month, '%Y-%m')",
    "r.current_agency_code",
    "own",
    "mailbox reports",
    "báo cáo hộp thư",
)
PROCEDURE = RowKind(
    "kpi_catalog_period_procedures AS r", "r.procedure_code", None, "procedure", "procedures", "thủ tục"
)

RECEIVED_IN = "r.received_month BETWEEN p.first_month AND p.last_month"
FINISHED_IN = "r.finished_month BETWEEN p.first_month AND p.last_month"
OVERDUE_AT_END = (
    "r.overdue_from_month <= p.last_month AND (r.overdue_until_month IS NULL OR r.overdue_until_month > p.last_month)"
)
ACCEPTED_IN = "CAST(date_trunc('month', r.accepted_at) AS DATE) BETWEEN p.first_month AND p.last_month"
SAME_PERIOD = "r.period_type = p.period_type AND r.year = p.year AND r.period = p.period"


@dataclass(frozen=True)
class RowSpec:
    """The rows behind one indicator: those of `kind` in the period (`in_period`) that pass
    `members` (a ratio's or mean's denominator, a count's counted rows), flagged
    `in_numerator`. The numerator adds up `numerator_amount` over the rows in the numerator
    (1 per row unless said otherwise), the denominator `denominator_amount` over all rows."""

    kind: RowKind
    in_period: str
    members: str = "TRUE"
    in_numerator: str = "TRUE"
    numerator_amount: str = "1"
    denominator_amount: str = "1"
    numerator_en: str = ""
    numerator_vi: str = ""
    denominator_en: str = ""
    denominator_vi: str = ""


ROW_SPECS: dict[str, RowSpec] = {
    "dossiers_received": RowSpec(
        DOSSIER, RECEIVED_IN, numerator_en="dossiers received in the period", numerator_vi="hồ sơ tiếp nhận trong kỳ"
    ),
    "online_submission_rate": RowSpec(
        DOSSIER,
        RECEIVED_IN,
        in_numerator="r.received_online",
        numerator_en="received online (channel 2)",
        numerator_vi="nộp trực tuyến (kênh 2)",
        denominator_en="dossiers received in the period",
        denominator_vi="hồ sơ tiếp nhận trong kỳ",
    ),
    "postal_submission_rate": RowSpec(
        DOSSIER,
        RECEIVED_IN,
        in_numerator="r.received_by_post",
        numerator_en="received through the public postal service (channel 3)",
        numerator_vi="nộp qua dịch vụ bưu chính công ích (kênh 3)",
        denominator_en="dossiers received in the period",
        denominator_vi="hồ sơ tiếp nhận trong kỳ",
    ),
    "dossiers_finished": RowSpec(
        DOSSIER,
        FINISHED_IN,
        numerator_en="dossiers finished in the period",
        numerator_vi="hồ sơ đã giải quyết trong kỳ",
    ),
    "on_time_rate": RowSpec(
        DOSSIER,
        FINISHED_IN,
        members="r.finished_with_due",
        in_numerator="r.finished_on_time",
        numerator_en="finished on time",
        numerator_vi="giải quyết đúng hạn",
        denominator_en="dossiers finished in the period with a due time",
        denominator_vi="hồ sơ đã giải quyết trong kỳ có thời hạn giải quyết",
    ),
    "avg_processing_days": RowSpec(
        DOSSIER,
        FINISHED_IN,
        members="r.processing_seconds IS NOT NULL",
        numerator_amount="r.processing_seconds / 86400.0",
        numerator_en="sum of the days from reception to finishing",
        numerator_vi="tổng số ngày từ khi tiếp nhận đến khi giải quyết xong",
        denominator_en="dossiers finished in the period that were received",
        denominator_vi="hồ sơ đã giải quyết trong kỳ có ngày tiếp nhận",
    ),
    "overdue_open_at_year_end": RowSpec(
        DOSSIER,
        OVERDUE_AT_END,
        numerator_en="dossiers overdue and open at the end of the period",
        numerator_vi="hồ sơ quá hạn chưa giải quyết vào cuối kỳ",
    ),
    "online_payment_rate": RowSpec(
        DOSSIER,
        RECEIVED_IN,
        members="r.received_fee_bearing",
        in_numerator="r.received_fee_bearing_paid_online",
        numerator_en="paid online",
        numerator_vi="thanh toán trực tuyến",
        denominator_en="fee-bearing dossiers received in the period",
        denominator_vi="hồ sơ có phí, lệ phí tiếp nhận trong kỳ",
    ),
    "postal_return_rate": RowSpec(
        DOSSIER,
        FINISHED_IN,
        in_numerator="r.finished_result_by_post",
        numerator_en="result returned by post",
        numerator_vi="trả kết quả qua dịch vụ bưu chính công ích",
        denominator_en="dossiers finished in the period",
        denominator_vi="hồ sơ đã giải quyết trong kỳ",
    ),
    "online_services_level3": RowSpec(
        PROCEDURE,
        SAME_PERIOD,
        members="r.is_level3",
        numerator_en="procedures at level 3 on the period's last day",
        numerator_vi="thủ tục ở mức độ 3 vào ngày cuối kỳ",
    ),
    "online_services_level4": RowSpec(
        PROCEDURE,
        SAME_PERIOD,
        members="r.is_level4",
        numerator_en="procedures at level 4 on the period's last day",
        numerator_vi="thủ tục ở mức độ 4 vào ngày cuối kỳ",
    ),
    "online_services_used_rate": RowSpec(
        PROCEDURE,
        SAME_PERIOD,
        in_numerator="r.is_used_online",
        numerator_en="with a dossier received online in the period",
        numerator_vi="có hồ sơ nộp trực tuyến trong kỳ",
        denominator_en="procedures at level 3 or 4 on the period's last day",
        denominator_vi="thủ tục ở mức độ 3 hoặc 4 vào ngày cuối kỳ",
    ),
    "postal_result_shipments": RowSpec(
        SHIPMENT,
        ACCEPTED_IN,
        members="r.is_result_return",
        numerator_en="result shipments accepted in the period",
        numerator_vi="bưu gửi chuyển trả kết quả được chấp nhận trong kỳ",
    ),
    "postal_delivery_success_rate": RowSpec(
        SHIPMENT,
        ACCEPTED_IN,
        members="r.is_result_return AND r.is_final_status",
        in_numerator="r.is_delivered",
        numerator_en="delivered",
        numerator_vi="phát thành công",
        denominator_en="result shipments accepted in the period with a final status",
        denominator_vi="bưu gửi chuyển trả kết quả được chấp nhận trong kỳ đã có trạng thái cuối cùng",
    ),
    "postal_avg_delivery_days": RowSpec(
        SHIPMENT,
        ACCEPTED_IN,
        members="r.is_result_return AND r.is_delivered AND r.delivery_seconds IS NOT NULL",
        numerator_amount="r.delivery_seconds / 86400.0",
        numerator_en="sum of the days from acceptance to delivery",
        numerator_vi="tổng số ngày từ khi chấp nhận đến khi phát",
        denominator_en="result shipments accepted in the period and delivered (with a delivery date)",
        denominator_vi="bưu gửi chuyển trả kết quả được chấp nhận trong kỳ đã phát thành công (có ngày phát)",
    ),
    "postal_unmatched_shipments": RowSpec(
        SHIPMENT,
        ACCEPTED_IN,
        members="NOT r.is_matched_dossier",
        numerator_en="shipments accepted in the period matching no dossier",
        numerator_vi="bưu gửi được chấp nhận trong kỳ không khớp hồ sơ nào",
    ),
    "mailboxes_issued": RowSpec(
        MAILBOX_REPORT,
        SAME_PERIOD,
        members="r.is_period_end_position",
        numerator_amount="r.mailboxes_issued_total",
        numerator_en="mailboxes issued, from each reporting code's last report in the period",
        numerator_vi="hộp thư đã cấp, theo báo cáo cuối cùng trong kỳ của mỗi mã đơn vị báo cáo",
    ),
    "mailboxes_new": RowSpec(
        MAILBOX_REPORT,
        SAME_PERIOD,
        numerator_amount="r.mailboxes_new",
        numerator_en="new mailboxes, every report of the period",
        numerator_vi="hộp thư cấp mới, cộng mọi báo cáo trong kỳ",
    ),
    "mailbox_active_rate": RowSpec(
        MAILBOX_REPORT,
        SAME_PERIOD,
        members="r.is_period_end_position",
        numerator_amount="r.mailboxes_active",
        denominator_amount="r.mailboxes_issued_total",
        numerator_en="active mailboxes",
        numerator_vi="hộp thư đang hoạt động",
        denominator_en="mailboxes issued (each reporting code's last report in the period)",
        denominator_vi="hộp thư đã cấp (báo cáo cuối cùng trong kỳ của mỗi mã đơn vị báo cáo)",
    ),
}


def members_sql(spec: RowSpec, periods: str, *, scoped: bool, own_sources: bool = False) -> str:
    """SELECT of the rows behind `spec` for the periods of relation `periods` (alias p), with
    p's key, the row's key and agency, in_numerator and the two amounts. With `scoped` only the
    agency given as $scope_code (unless it is the province); with `own_sources` the row's
    source_file and source_line too."""
    kind = spec.kind
    agency = kind.agency or "NULL"
    scope = f" AND ($scope_code = '{PROVINCE}' OR {agency} = $scope_code)" if scoped else ""
    sources = " r.source_file, r.source_line," if own_sources else ""
    return f"""
        SELECT p.period_type, p.year, p.period, p.period_end,{sources}
               {kind.key} AS key, {agency} AS agency,
               coalesce({spec.in_numerator}, FALSE) AS in_numerator,
               CAST({spec.numerator_amount} AS DOUBLE) AS numerator_amount,
               CAST({spec.denominator_amount} AS DOUBLE) AS denominator_amount
        FROM {periods} AS p JOIN {kind.relation} ON {spec.in_period}
        WHERE ({spec.members}){scope}"""


PERIOD_VALUES = """(SELECT CAST($period_type AS VARCHAR) AS period_type, CAST($year AS INTEGER) AS year,
        CAST($period AS INTEGER) AS period, CAST($first_month AS DATE) AS first_month,
        CAST($last_month AS DATE) AS last_month, CAST($period_end AS DATE) AS period_end)"""

ALL_PERIODS = """(SELECT DISTINCT period_type, year, period, period_start AS first_month,
        CAST(date_trunc('month', period_end) AS DATE) AS last_month, period_end FROM kpi_periodic)"""


def member_totals(con: duckdb.DuckDBPyConnection, indicator: str) -> list[tuple]:
    """For every period of kpi_periodic at once: (period_type, year, period, scope_code, rows,
    rows in the numerator, numerator, denominator) from the rows explain lists, per agency and
    for the province ('ALL'). The same row selection as an explanation's."""
    spec = ROW_SPECS[indicator]
    sets = "(period_type, year, period, agency), (period_type, year, period)" if spec.kind.agency else ""
    grouping = f"GROUPING SETS ({sets})" if sets else "period_type, year, period"
    scope = f"CASE WHEN grouping(agency) = 1 THEN '{PROVINCE}' ELSE agency END" if sets else f"'{PROVINCE}'"
    return con.execute(
        f"""SELECT period_type, year, period, {scope} AS scope_code, count(*),
                   count(*) FILTER (WHERE in_numerator),
                   coalesce(sum(numerator_amount) FILTER (WHERE in_numerator), 0),
                   sum(denominator_amount)
            FROM ({members_sql(spec, ALL_PERIODS, scoped=False)}) GROUP BY {grouping}"""
    ).fetchall()


def period_params(period: Period, scope_code: str) -> dict[str, Any]:
    """The parameters of ``PERIOD_VALUES`` and of a scoped ``members_sql``."""
    return {
        "period_type": period.period_type,
        "year": period.year,
        "period": period.period,
        "first_month": period.start,
        "last_month": period.end.replace(day=1),
        "period_end": period.end,
        "scope_code": scope_code,
    }
