"""What is checked, per layer: raw tables (:mod:`~quality.suites.raw`, derived from the source
modules), marts (:mod:`~quality.suites.marts`) and the published KPI tables
(:mod:`~quality.suites.kpi`). One mechanism runs them all (:mod:`quality.runner`).

Severity: a check is blocking when a failure would make the published KPIs wrong; patterns,
plausibility and reconciliation shares warn (docs/quality.md lists them all).
"""

from __future__ import annotations

from quality.checks import Suite
from quality.suites.kpi import KPI_SUITES, RATIO_INDICATORS, RATIOS_THAT_MAY_EXCEED_1
from quality.suites.marts import MART_SUITES
from quality.suites.raw import RAW_SUITES

SUITES: tuple[Suite, ...] = RAW_SUITES + MART_SUITES + KPI_SUITES


def suite(name: str) -> Suite:
    """The suite of one asset, by its name (``portal.raw_events``, ``kpi.kpi_yearly``)."""
    for candidate in SUITES:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no suite {name!r}: one of {', '.join(s.name for s in SUITES)}")


__all__ = [
    "KPI_SUITES",
    "MART_SUITES",
    "RATIOS_THAT_MAY_EXCEED_1",
    "RATIO_INDICATORS",
    "RAW_SUITES",
    "SUITES",
    "suite",
]
