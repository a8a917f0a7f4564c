"""``mailbox/`` — official e-mail mailbox counts (hộp thư điện tử công vụ): one row per agency
per reporting month, CSV or xlsx. docs/landing-files.md describes the format."""

from __future__ import annotations

from sources.contract import (
    EARLIEST_REPORT_MONTH,
    THIS_MONTH,
    Entity,
    Field,
    Freshness,
    RawRule,
    Source,
    between,
    not_before,
)

COUNTS = ("Tổng số hộp thư đã cấp", "Số hộp thư đang sử dụng", "Cấp mới trong kỳ", "Thu hồi trong kỳ")

REPORTS = Entity(
    name="reports",
    formats=(".csv", ".xlsx"),
    marker="Kỳ báo cáo",
    fields=(
        Field("Mã đơn vị", required=True),
        Field("Tên đơn vị"),
        Field("Kỳ báo cáo", "month_vn", required=True),
        *(Field(name, "int_thousands", required=True) for name in COUNTS),
    ),
)

MAILBOX = Source(
    token="mailbox",
    description="official e-mail mailbox counts",
    entities=(REPORTS,),
    # a monthly report covers its month: the newest is stale 2 months after that month began
    freshness=Freshness("reports", "Kỳ báo cáo", max_age_days=62),
    raw_rules=(
        # A negative raw count may be superseded by a correction file (the sample has one), so
        # here it warns; after the corrections, in marts.fct_mailbox_positions, it blocks.
        RawRule(
            name="counts_not_negative",
            rule="mailbox counts are not negative: " + ", ".join(COUNTS),
            entity="reports",
            expectations=tuple(between(name, 0) for name in COUNTS),
        ),
        RawRule(
            name="active_not_above_issued",
            rule="Số hộp thư đang sử dụng (active) is at most Tổng số hộp thư đã cấp (issued)",
            entity="reports",
            expectations=(not_before("Tổng số hộp thư đã cấp", "Số hộp thư đang sử dụng"),),
        ),
        RawRule(
            name="dates_plausible",
            rule=f"Kỳ báo cáo between {EARLIEST_REPORT_MONTH:%m/%Y} and the current month",
            entity="reports",
            expectations=(between("Kỳ báo cáo", EARLIEST_REPORT_MONTH, THIS_MONTH),),
        ),
    ),
)
