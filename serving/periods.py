"""Reporting periods: a month, a quarter or the year to date (docs/indicators.md, "Periods").

Pure functions, no database: ``parse_period`` reads what a person types (``parkpi report
--period``), ``default_period`` picks the period a report made on a given day covers. A whole
year is the year to date through December (``ytd`` 12), as in ``kpi_periodic``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

PERIOD_TYPES = ("month", "quarter", "ytd")
FORMS = "2020 (year), 2020-Q3 (quarter), 2020-07 (month), 2020-ytd-9 (January to September)"
FORMS_VI = "2020 (cả năm), 2020-Q3 (quý), 2020-07 (tháng), 2020-ytd-9 (từ tháng 1 đến hết tháng 9)"
MIN_YEAR, MAX_YEAR = 1900, 2999


class PeriodError(ValueError):
    """A period that cannot be read; carries the message in English and in Vietnamese."""

    def __init__(self, en: str, vi: str) -> None:
        super().__init__(f"{en}\n{vi}")
        self.en = en
        self.vi = vi


@dataclass(frozen=True, order=True)
class Period:
    period_type: str
    year: int
    period: int

    def __post_init__(self) -> None:
        if self.period_type not in PERIOD_TYPES:
            raise PeriodError(
                f"unknown period type {self.period_type!r}: one of {', '.join(PERIOD_TYPES)}",
                f"loại kỳ {self.period_type!r} không hợp lệ: chỉ nhận {', '.join(PERIOD_TYPES)}",
            )
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise PeriodError(
                f"year {self.year} is out of range ({MIN_YEAR}-{MAX_YEAR})",
                f"năm {self.year} nằm ngoài khoảng cho phép ({MIN_YEAR}-{MAX_YEAR})",
            )
        last = 4 if self.period_type == "quarter" else 12
        if not 1 <= self.period <= last:
            what_en, what_vi = ("quarter", "quý") if self.period_type == "quarter" else ("month", "tháng")
            raise PeriodError(
                f"{what_en} {self.period} does not exist: a {what_en} is 1 to {last}",
                f"không có {what_vi} {self.period}: {what_vi} phải từ 1 đến {last}",
            )

    @property
    def first_month(self) -> int:
        if self.period_type == "month":
            return self.period
        if self.period_type == "quarter":
            return 3 * self.period - 2
        return 1

    @property
    def last_month(self) -> int:
        return 3 * self.period if self.period_type == "quarter" else self.period

    @property
    def start(self) -> dt.date:
        """First day of the window."""
        return dt.date(self.year, self.first_month, 1)

    @property
    def end(self) -> dt.date:
        """Last day of the window (the window ends at 23:59:59 of this day)."""
        return dt.date(self.year, self.last_month, calendar.monthrange(self.year, self.last_month)[1])

    @property
    def months(self) -> range:
        return range(self.first_month, self.last_month + 1)

    @property
    def is_annual(self) -> bool:
        return self.period_type == "ytd" and self.period == 12

    @property
    def same_period_last_year(self) -> Period:
        return Period(self.period_type, self.year - 1, self.period)

    @property
    def slug(self) -> str:
        """The form parse_period reads, also used in file names: 2020, 2020-Q3, 2020-07, 2020-ytd-9."""
        if self.is_annual:
            return str(self.year)
        if self.period_type == "quarter":
            return f"{self.year}-Q{self.period}"
        if self.period_type == "month":
            return f"{self.year}-{self.period:02d}"
        return f"{self.year}-ytd-{self.period}"

    def __str__(self) -> str:
        return self.slug


_PATTERNS = (
    (re.compile(r"(\d{4})"), None),
    (re.compile(r"(\d{4})-[qQ](\d{1,2})"), "quarter"),
    (re.compile(r"(\d{4})-(\d{1,2})"), "month"),
    (re.compile(r"(\d{4})-ytd-(\d{1,2})", re.IGNORECASE), "ytd"),
)


def parse_period(text: str) -> Period:
    """``2020`` -> ("ytd", 2020, 12); ``2020-Q3`` -> ("quarter", 2020, 3); ``2020-07`` -> ("month",
    2020, 7); ``2020-ytd-9`` -> ("ytd", 2020, 9). Raises PeriodError (English and Vietnamese)."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise PeriodError(f"no period given: write one of {FORMS}", f"chưa nhập kỳ báo cáo: nhập một trong {FORMS_VI}")
    for pattern, period_type in _PATTERNS:
        match = pattern.fullmatch(cleaned)
        if match:
            year = int(match.group(1))
            if period_type is None:
                return Period("ytd", year, 12)
            return Period(period_type, year, int(match.group(2)))
    raise PeriodError(
        f"cannot read the period {cleaned!r}: write one of {FORMS}",
        f"không đọc được kỳ báo cáo {cleaned!r}: nhập một trong {FORMS_VI}",
    )


def last_month_with_data(months_with_data: Iterable[tuple[int, int]], as_of: dt.date) -> tuple[int, int] | None:
    """The latest (year, month) among months_with_data that ended before the as-of day: its
    last day is earlier than as_of (a month ends at 23:59:59 of its last day)."""
    ended = [
        (year, month)
        for year, month in months_with_data
        if dt.date(year, month, calendar.monthrange(year, month)[1]) < as_of
    ]
    return max(ended, default=None)


def default_period(months_with_data: Iterable[tuple[int, int]], as_of: dt.date) -> Period | None:
    """The period a report made on ``as_of`` covers: the year to date through the last month
    that ended before ``as_of`` and has data; through December that is the whole year."""
    last = last_month_with_data(months_with_data, as_of)
    return None if last is None else Period("ytd", last[0], last[1])
