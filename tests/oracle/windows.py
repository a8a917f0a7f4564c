"""Periods (kpis.md, "Periods"): a window W from its first day 00:00:00 to its last day
23:59:59. A calendar year is the window of `kpi_yearly`; months, quarters and year-to-date
windows are those of `kpi_periodic`."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time


@dataclass(frozen=True)
class Window:
    period_type: str  # year | month | quarter | ytd
    year: int
    period: int  # M or Q (12 for a year)
    first_month: int
    last_month: int

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """The last day of W ("31 Dec Y" in a yearly definition)."""
        return date(self.year, self.last_month, calendar.monthrange(self.year, self.last_month)[1])

    @property
    def end_instant(self) -> datetime:
        """The last second of W ("end of Y"): "by" the end includes it, "before" excludes it."""
        return datetime.combine(self.end, time(23, 59, 59))

    @property
    def months(self) -> tuple[tuple[int, int], ...]:
        return tuple((self.year, m) for m in range(self.first_month, self.last_month + 1))

    def contains(self, moment: date | datetime) -> bool:
        """Whether a time (or a date, e.g. a report month's first day) falls in W. Source
        times have whole seconds, so "in W" is "in one of W's months"."""
        return moment.year == self.year and self.first_month <= moment.month <= self.last_month


def year_window(year: int) -> Window:
    return Window("year", year, 12, 1, 12)


def periodic_windows(year: int) -> list[Window]:
    """Every `kpi_periodic` window of a year: 12 months, 4 quarters, 12 year-to-date."""
    months = [Window("month", year, m, m, m) for m in range(1, 13)]
    quarters = [Window("quarter", year, q, 3 * q - 2, 3 * q) for q in range(1, 5)]
    ytd = [Window("ytd", year, m, 1, m) for m in range(1, 13)]
    return months + quarters + ytd
