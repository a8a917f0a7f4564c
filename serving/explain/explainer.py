"""One published figure and what it is made of, read from the published snapshot: the value
from ``kpi_periodic`` (``kpi_yearly`` is its ``ytd`` 12 rows), numerator and denominator from
``kpi_components`` (dbt takes them from the aggregates it computes the values from), the
agencies' contributions to the change from ``kpi_contributions``. What the rows add up to is
checked against the published numerator and denominator on every call
(``Explanation.mismatches``): a row list that disagrees with the figure is reported, not hidden."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from serving.explain import lineage
from serving.explain.arguments import PROVINCE, ExplainError, check_indicator, check_scope
from serving.explain.rows import PERIOD_VALUES, ROW_SPECS, members_sql, period_params
from serving.periods import Period
from serving.snapshot import META_TABLE


@dataclass(frozen=True)
class Indicator:
    code: str
    name_vi: str
    name_en: str
    unit: str
    better: str
    group: str
    definition: str

    @property
    def is_ratio_or_mean(self) -> bool:
        return self.unit != "count"


@dataclass
class Explanation:
    """One published figure and what it is made of."""

    indicator: Indicator
    period: Period
    scope: str
    scope_code: str
    value: float | None
    prior_value: float | None
    change_abs: float | None
    numerator: float
    denominator: float | None
    row_count: int  # rows behind the figure (all of them, also with a limit)
    numerator_rows: int  # of which in the numerator
    row_numerator: float  # what the rows add up to, checked against the published components
    row_denominator: float
    snapshot_id: str
    published_at: Any
    contributions: list[tuple[str, str, float]] | None = None  # (scope_code, agency name, contribution)
    change_note: tuple[str, str] | None = None  # why there are no contributions (en, vi)
    mismatches: list[str] = field(default_factory=list)


class Explainer:
    """Explanations read from one published snapshot (opened read-only once)."""

    def __init__(self, snapshot: Path) -> None:
        self.snapshot = snapshot
        self.con = duckdb.connect(str(snapshot), read_only=True)
        self.indicators = {
            row[0]: Indicator(*row)
            for row in self.con.execute(
                """SELECT indicator, name_vi, name_en, unit, better, indicator_group, definition
                   FROM dim_indicators ORDER BY display_order"""
            ).fetchall()
        }
        self.snapshot_id, self.published_at = self.con.execute(
            f"SELECT any_value(snapshot_id), any_value(published_at) FROM {META_TABLE}"
        ).fetchone()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Explainer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ---------------------------------------------------------------- the figure

    def explain(
        self, indicator_code: str, period: Period, scope_code: str = PROVINCE, *, change: bool = False
    ) -> Explanation:
        indicator = check_indicator(self.indicators, indicator_code)
        has_agencies = ROW_SPECS[indicator.code].kind.agency is not None
        scope = check_scope(self.con, indicator.code, scope_code, has_agencies=has_agencies)
        scope_code = PROVINCE if scope == "province" else scope_code
        key = [period.period_type, period.year, period.period, scope, scope_code, indicator.code]
        where = "period_type = ? AND year = ? AND period = ? AND scope = ? AND scope_code = ? AND indicator = ?"
        figure = self.con.execute(
            f"""SELECT f.value, f.prior_value, f.change_abs, c.numerator, c.denominator
                FROM (SELECT * FROM kpi_periodic WHERE {where}) AS f,
                     (SELECT * FROM kpi_components WHERE {where}) AS c""",
            key + key,
        ).fetchone()
        if figure is None:
            where = "the province" if scope == "province" else f"agency {scope_code}"
            where_vi = "toàn tỉnh" if scope == "province" else f"đơn vị {scope_code}"
            raise ExplainError(
                f"no figure for {indicator.code} in {period.slug} for {where}: its source has no data then",
                f"không có số liệu {indicator.code} kỳ {period.slug} cho {where_vi}: nguồn không có dữ liệu kỳ này",
            )
        value, prior_value, change_abs, numerator, denominator = figure
        count, in_numerator, row_numerator, row_denominator = self.con.execute(
            f"""SELECT count(*), count(*) FILTER (WHERE in_numerator),
                       coalesce(sum(numerator_amount) FILTER (WHERE in_numerator), 0),
                       coalesce(sum(denominator_amount), 0)
                FROM ({members_sql(ROW_SPECS[indicator.code], PERIOD_VALUES, scoped=True)})""",
            period_params(period, scope_code),
        ).fetchone()
        explanation = Explanation(
            indicator,
            period,
            scope,
            scope_code,
            value,
            prior_value,
            change_abs,
            numerator,
            denominator,
            count,
            in_numerator,
            row_numerator,
            row_denominator,
            self.snapshot_id,
            self.published_at,
        )
        explanation.mismatches = _mismatches(explanation)
        if change:
            self._add_contributions(explanation)
        return explanation

    def _add_contributions(self, explanation: Explanation) -> None:
        indicator, period = explanation.indicator, explanation.period
        if ROW_SPECS[indicator.code].kind.agency is None:
            explanation.change_note = (
                "contributions by agency are not defined for the catalogue indicators (they have no agencies)",
                "chỉ tiêu danh mục không có đơn vị nên không tính phần đóng góp theo đơn vị",
            )
            return
        if explanation.scope == "province" and explanation.change_abs is None:
            explanation.change_note = (
                f"no change: {period.same_period_last_year.slug} has no figure to compare with",
                f"không có thay đổi: kỳ {period.same_period_last_year.slug} không có số liệu để so sánh",
            )
            return
        rows = self.con.execute(
            """SELECT c.scope_code, a.agency_name, c.contribution
               FROM kpi_contributions AS c LEFT JOIN dim_agencies AS a ON a.agency_code = c.scope_code
               WHERE c.period_type = $period_type AND c.year = $year AND c.period = $period
                 AND c.indicator = $indicator AND ($scope_code = 'ALL' OR c.scope_code = $scope_code)
               ORDER BY c.contribution DESC, c.scope_code""",
            {
                "period_type": period.period_type,
                "year": period.year,
                "period": period.period,
                "indicator": indicator.code,
                "scope_code": explanation.scope_code,
            },
        ).fetchall()
        if not rows:
            explanation.change_note = (
                f"no change of the province figure against {period.same_period_last_year.slug} to attribute",
                f"không có thay đổi của số liệu toàn tỉnh so với kỳ {period.same_period_last_year.slug} để phân bổ",
            )
            return
        explanation.contributions = rows

    # ---------------------------------------------------------------- rows (serving.explain.lineage)

    def rows(self, explanation: Explanation, limit: int | None = None) -> list[tuple]:
        """(key, in_numerator, numerator_amount, denominator_amount, [{file, line}, ...])."""
        return lineage.rows(self.con, explanation, limit)

    def rows_json(self, explanation: Explanation, limit: int | None = None) -> Iterator[str]:
        """The rows as the items of a JSON array (without the brackets), in pieces."""
        return lineage.rows_json(self.con, explanation, limit)

    def rows_text(self, explanation: Explanation, limit: int | None = None) -> Iterator[str]:
        """The rows as the text output's lines, in pieces of many lines (lineage.rows_text)."""
        return lineage.rows_text(self.con, explanation, limit)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _mismatches(e: Explanation) -> list[str]:
    """Where the rows do not add up to the published numerator and denominator."""
    problems = []
    if not _close(e.row_numerator, e.numerator):
        problems.append(f"the rows' numerator is {e.row_numerator:g}, the published one {e.numerator:g}")
    if e.denominator is not None and not _close(e.row_denominator, e.denominator):
        problems.append(f"the rows' denominator is {e.row_denominator:g}, the published one {e.denominator:g}")
    return problems
