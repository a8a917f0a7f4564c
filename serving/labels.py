"""Words the page and the workbook share: report titles, indicator groups, trends, flags."""

from __future__ import annotations

from serving.i18n import EN, VI
from serving.periods import Period

GROUPS = {
    "catalog": ("Dịch vụ công trực tuyến", "Online public services"),
    "portal": ("Tiếp nhận và giải quyết hồ sơ", "Dossier intake and processing"),
    "postal": ("Dịch vụ bưu chính công ích", "Public postal service"),
    "mailbox": ("Hộp thư điện tử công vụ", "Official mailboxes"),
}
TRENDS = {
    "improved": ("cải thiện", "improved"),
    "worsened": ("giảm sút", "worsened"),
    "unchanged": ("không đổi", "unchanged"),
}
FLAGS = {
    "on_time_rate": ("Tỷ lệ đúng hạn thấp", "low on-time share"),
    "overdue_open_at_year_end": ("Nhiều hồ sơ quá hạn", "most overdue"),
}


def titles(period: Period) -> tuple[str, str]:
    """ "Báo cáo kết quả cải cách hành chính 9 tháng đầu năm 2020" / "Administrative reform results
    for the first nine months of 2020"."""
    return (
        f"Báo cáo kết quả cải cách hành chính {VI.period_name(period)}",
        f"Administrative reform results for {EN.period_name(period)}",
    )


def history_titles(period: Period) -> tuple[str, str]:
    """The heading of the same-period-over-the-years charts and sheet."""
    if period.is_annual:
        return "Diễn biến qua các năm", "Over the years"
    first, last = period.first_month, period.last_month
    return (
        f"Cùng kỳ qua các năm ({VI.months(first, last)} mỗi năm)",
        f"The same period over the years ({EN.months(first, last)} of each year)",
    )
