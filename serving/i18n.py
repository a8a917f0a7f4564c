"""Numbers, dates and period names in Vietnamese and in English, through Babel's ``vi`` and ``en``
locales: one ``Language`` object per language, so a cell or a sentence never mixes notations
(12.345,6 and 42,3% in Vietnamese; 12,345.6 and 42.3% in English).

Units follow ``dim_indicators.unit``: ``count`` without decimals, ``ratio`` (a fraction) as a
percentage with one decimal, ``days`` with one decimal. A change of a ratio is in percentage
points, never a percentage of a percentage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from babel import Locale
from babel.dates import format_date, format_datetime, format_interval, format_skeleton
from babel.numbers import format_decimal, format_percent, get_minus_sign_symbol, get_plus_sign_symbol

from serving.periods import Period

MISSING = "–"
COUNT, DAYS, PERCENT = "#,##0", "#,##0.0", "#,##0.0%"
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
ORDINAL_EN = {1: "first", 2: "second", 3: "third", 4: "fourth"}
NUMBER_WORDS_EN = {
    2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten", 11: "eleven",
}  # fmt: skip


@dataclass(frozen=True)
class Language:
    code: str  # "vi" or "en"

    @cached_property
    def locale(self) -> Locale:
        return Locale.parse(self.code)

    # ------------------------------------------------------------------------- numbers

    def number(self, value: float | None, unit: str) -> str:
        """A figure in its unit: 8.904 / 8,904; 42,3% / 42.3%; 9,8 / 9.8 (days)."""
        if value is None:
            return MISSING
        if unit == "ratio":
            return format_percent(value, PERCENT, locale=self.locale)
        return format_decimal(value, COUNT if unit == "count" else DAYS, locale=self.locale)

    def _signed(self, text: str, value: float) -> str:
        """The sign of value before text, even when the size rounds to zero ("-0,0"): the direction
        is still true, and Excel's signed formats in the workbook show it the same way."""
        if value > 0:
            return get_plus_sign_symbol(self.locale) + text
        if value < 0:
            return get_minus_sign_symbol(self.locale) + text
        return text

    def change(self, value: float | None, unit: str) -> str:
        """A signed change in the indicator's unit; a ratio's change in percentage points:
        +217, +11,6 pp, -0,1."""
        if value is None:
            return MISSING
        if unit == "ratio":
            return self._signed(format_decimal(abs(value) * 100, DAYS, locale=self.locale), value) + " pp"
        return self._signed(self.number(abs(value), unit), value)

    def change_pct(self, value: float | None) -> str:
        """A relative change: +41,3% / +41.3%."""
        if value is None:
            return MISSING
        return self._signed(format_percent(abs(value), PERCENT, locale=self.locale), value)

    def percent(self, value: float | None) -> str:
        return MISSING if value is None else format_percent(value, PERCENT, locale=self.locale)

    def points(self, value: float, unit: str) -> str:
        """An unsigned size of change in words' company: "11,6 điểm phần trăm" / "11.6 percentage
        points" for a ratio, the plain figure otherwise."""
        if unit == "ratio":
            size = format_decimal(abs(value) * 100, DAYS, locale=self.locale)
            return f"{size} {'điểm phần trăm' if self.code == 'vi' else 'percentage points'}"
        return self.number(abs(value), unit)

    # --------------------------------------------------------------------------- dates

    def date(self, value: dt.date | None) -> str:
        return MISSING if value is None else format_date(value, "long", locale=self.locale)

    def datetime(self, value: dt.datetime | None) -> str:
        return MISSING if value is None else format_datetime(value, "medium", locale=self.locale)

    def month_year(self, year: int, month: int) -> str:
        """tháng 9 năm 2020 / September 2020."""
        return format_skeleton("yMMMM", dt.date(year, month, 1), locale=self.locale)

    def month_range(self, period: Period) -> str:
        """tháng 1 – tháng 9 năm 2019 / January – September 2019; one month alone for a month; "năm
        2019" / "2019" for a whole year."""
        if period.is_annual:
            return f"năm {period.year}" if self.code == "vi" else str(period.year)
        if period.first_month == period.last_month:
            return self.month_year(period.year, period.first_month)
        return format_interval(period.start, period.end, "yMMMM", locale=self.locale)

    def months(self, first: int, last: int) -> str:
        """Month names without a year: "tháng 1 – tháng 9" / "January – September" (the locale's
        interval pattern)."""
        name = lambda month: format_date(dt.date(2000, month, 1), "MMMM", locale=self.locale)  # noqa: E731
        if first == last:
            return name(first)
        return self.locale.interval_formats[None].replace("{0}", name(first)).replace("{1}", name(last))

    # ------------------------------------------------------------------------- periods

    def period_name(self, period: Period) -> str:
        """The period as titles name it: "9 tháng đầu năm 2020" / "the first nine months of 2020",
        "năm 2020" / "2020", "quý III năm 2020" / "the third quarter of 2020", "tháng 7 năm 2020" /
        "July 2020"."""
        year = period.year
        if period.period_type == "quarter":
            if self.code == "vi":
                return f"quý {ROMAN[period.period]} năm {year}"
            return f"the {ORDINAL_EN[period.period]} quarter of {year}"
        if period.period_type == "month" or (period.period_type == "ytd" and period.period == 1):
            return self.month_year(year, period.last_month)
        if period.is_annual:
            return f"năm {year}" if self.code == "vi" else str(year)
        if self.code == "vi":
            return f"{period.period} tháng đầu năm {year}"
        return f"the first {NUMBER_WORDS_EN[period.period]} months of {year}"

    def period_short(self, period: Period) -> str:
        """A column heading: "9 tháng 2020" / "Jan – Sep 2020", "Năm 2020" / "2020", "Quý III/2020" /
        "Q3 2020", "Tháng 7/2020" / "Jul 2020"."""
        year = period.year
        if period.is_annual:
            return f"Năm {year}" if self.code == "vi" else str(year)
        if self.code == "vi":
            if period.period_type == "quarter":
                return f"Quý {ROMAN[period.period]}/{year}"
            if period.period_type == "month" or period.period == 1:
                return f"Tháng {period.last_month}/{year}"
            return f"{period.period} tháng {year}"
        if period.period_type == "quarter":
            return f"Q{period.period} {year}"
        if period.first_month == period.last_month:
            return format_skeleton("yMMM", period.start, locale=self.locale)
        return format_interval(period.start, period.end, "yMMM", locale=self.locale)

    def compared_with(self, period: Period) -> str:
        """What a change is against: "so với năm 2019" for a whole year, "so với cùng kỳ năm 2019"
        otherwise; "on 2019" / "on the same period of 2019"."""
        prior = period.year - 1
        if self.code == "vi":
            return f"so với năm {prior}" if period.is_annual else f"so với cùng kỳ năm {prior}"
        return f"on {prior}" if period.is_annual else f"on the same period of {prior}"

    def by_end_of(self, period: Period) -> str:
        """ "Đến cuối năm 2020" / "By the end of 2020"; "Đến hết tháng 9 năm 2020" / "By the end of
        September 2020"."""
        if period.is_annual:
            return f"Đến cuối năm {period.year}" if self.code == "vi" else f"By the end of {period.year}"
        month = self.month_year(period.year, period.last_month)
        return f"Đến hết {month}" if self.code == "vi" else f"By the end of {month}"


VI = Language("vi")
EN = Language("en")
