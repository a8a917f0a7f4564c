"""The published tables of kpis.md, as lists of dicts with the contract's columns:
`kpi_yearly`, `kpi_periodic` and `kpi_targets`."""

from __future__ import annotations

from tests.oracle import precedence
from tests.oracle.indicators import AGENCY, ALL, BY_CODE, PROVINCE, Figures, Values
from tests.oracle.raw import Raw, Row
from tests.oracle.windows import Window, periodic_windows, year_window

YEARLY_KEY = ("year", "scope", "scope_code", "indicator")
PERIODIC_KEY = ("period_type", "year", "period", "scope", "scope_code", "indicator")
TARGETS_KEY = YEARLY_KEY


def trend(indicator: str, value: float | None, prior: float | None) -> str | None:
    """By the "better" column; NULL for volumes or when either figure is NULL."""
    better = BY_CODE[indicator].better
    if better is None or value is None or prior is None:
        return None
    if value == prior:
        return "unchanged"
    return "improved" if (value > prior) == (better == "higher") else "worsened"


def compared(indicator: str, value: float | None, prior: float | None) -> dict[str, object]:
    """`prior_value`, `change_abs`, `change_pct` and `trend` of one row."""
    change = None if value is None or prior is None else value - prior
    return {
        "value": value,
        "prior_value": prior,
        "change_abs": change,
        "change_pct": None if change is None or not prior else change / prior,
        "trend": trend(indicator, value, prior),
    }


class Tables:
    """Computes every published KPI row from the raw tables."""

    def __init__(self, raw: Raw) -> None:
        self.raw = raw
        self.figures = Figures(raw)
        self._cache: dict[tuple[str, int, int, int], Values] = {}

    def values(self, window: Window) -> Values:
        # keyed by type too: `ytd` 12 is computed apart from the year, so that "the ytd 12
        # rows are exactly the kpi_yearly rows" is a check, not a tautology
        key = (window.period_type, window.year, window.first_month, window.last_month)
        if key not in self._cache:
            self._cache[key] = self.figures.values(window)
        return self._cache[key]

    def kpi_yearly(self) -> list[dict[str, object]]:
        rows = []
        for year in self.figures.data_years():
            current, prior = self.values(year_window(year)), self.values(year_window(year - 1))
            for (scope, scope_code, indicator), value in current.items():
                rows.append(
                    {
                        "year": year,
                        "scope": scope,
                        "scope_code": scope_code,
                        "indicator": indicator,
                        **compared(indicator, value, prior.get((scope, scope_code, indicator))),
                    }
                )
        return rows

    def kpi_periodic(self) -> list[dict[str, object]]:
        rows = []
        for year in self.figures.data_years():
            for window, before in zip(periodic_windows(year), periodic_windows(year - 1), strict=True):
                current, prior = self.values(window), self.values(before)
                start, end = window.start, window.end
                for (scope, scope_code, indicator), value in current.items():
                    rows.append(
                        {
                            "period_type": window.period_type,
                            "year": year,
                            "period": window.period,
                            "period_start": start,
                            "period_end": end,
                            "scope": scope,
                            "scope_code": scope_code,
                            "indicator": indicator,
                            **compared(indicator, value, prior.get((scope, scope_code, indicator))),
                        }
                    )
        return rows

    def kpi_targets(self) -> list[dict[str, object]]:
        """One row per target that passed the contract (the last valid line per key)."""
        if self.raw.targets is None:
            raise LookupError("the warehouse has no raw_catalog.targets")
        yearly = {tuple(row[k] for k in YEARLY_KEY): row["value"] for row in self.kpi_yearly()}
        return [target_row(row, yearly) for row in precedence.targets(self.raw.targets)]


def target_row(row: Row, yearly_values: dict[tuple, float | None]) -> dict[str, object]:
    indicator = BY_CODE[row["MaChiTieu"]]
    scope_code = row["PhamVi"]
    scope = PROVINCE if scope_code == ALL else AGENCY
    # the number as written; a ratio's target is a percentage
    target = row["GiaTri"] / 100 if indicator.unit == "ratio" else row["GiaTri"]
    value = yearly_values.get((row["Nam"], scope, scope_code, indicator.code))
    if value is None:
        met = None
    elif indicator.better == "lower":
        met = value <= target
    else:  # higher, and volumes
        met = value >= target
    return {
        "year": row["Nam"],
        "scope": scope,
        "scope_code": scope_code,
        "indicator": indicator.code,
        "target": target,
        "value": value,
        "gap": None if value is None else value - target,
        "target_met": met,
    }
