"""What the report shows, read from the published snapshot (schema ``main``) for one period.

A whole year reads ``kpi_yearly`` (the contract makes its rows equal to ``kpi_periodic``'s
``ytd`` 12, and a snapshot published before ``kpi_periodic`` existed has only it); any other
period reads ``kpi_periodic``. Targets come from ``kpi_targets`` when the snapshot has it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from serving.collation import vietnamese_sort_key
from serving.drill import AgencyOverdue, Movers, has_drill_tables, overdue_dossiers, what_moved
from serving.periods import Period, default_period

# the agency table: what leadership acts on, in this order
AGENCY_COLUMNS = (
    "dossiers_received",
    "online_submission_rate",
    "on_time_rate",
    "overdue_open_at_year_end",
    "avg_processing_days",
    "online_payment_rate",
    "postal_return_rate",
    "mailboxes_issued",
)
# month-by-month charts: the headline indicators of a provincial plan
MONTHLY_INDICATORS = (
    "dossiers_received",
    "online_submission_rate",
    "on_time_rate",
    "overdue_open_at_year_end",
    "online_payment_rate",
    "mailboxes_issued",
)
# indicators that add up over the period: part of a year cannot be held against a yearly
# target, so before December the report shows how far along they are instead of met / not met
FLOW_INDICATORS = frozenset(
    {"dossiers_received", "dossiers_finished", "postal_result_shipments", "postal_unmatched_shipments", "mailboxes_new"}
)
# the agencies flagged in the agency table: the lowest on-time shares among agencies that
# finished enough dossiers for the share to mean something, and the most overdue dossiers
FLAGGED_PER_KIND = 3
MIN_FINISHED_FOR_ON_TIME_FLAG = 10


# indicator names say "the year" (dim_indicators is written for kpi_yearly); a report on part of
# a year says "the period" instead, so a nine-month report does not read "at year end"
PERIOD_WORDS_VI = ((" cuối năm", " cuối kỳ"), (" trong năm", " trong kỳ"))
PERIOD_WORDS_EN = ((" at year end", " at the end of the period"), (" in the year", " in the period"))


class ReportError(ValueError):
    """The snapshot cannot give the report that was asked for (English and Vietnamese)."""

    def __init__(self, en: str, vi: str) -> None:
        super().__init__(f"{en}\n{vi}")
        self.en = en
        self.vi = vi


@dataclass(frozen=True)
class Indicator:
    code: str
    name_vi: str
    name_en: str
    unit: str
    better: str
    group: str


@dataclass(frozen=True)
class Figure:
    value: float | None = None
    prior: float | None = None
    change: float | None = None
    change_pct: float | None = None
    trend: str | None = None


EMPTY = Figure()


@dataclass(frozen=True)
class TargetCheck:
    """A plan target against the period's figure. ``met`` is None when there is no figure, or
    when a flow indicator is read before the year is over (``progress`` then says how far)."""

    target: float
    value: float | None
    better: str
    met: bool | None
    progress: float | None = None


@dataclass
class AgencyRow:
    code: str
    name: str
    figures: dict[str, Figure]
    targets: dict[str, TargetCheck] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)  # "on_time_rate", "overdue_open_at_year_end"
    order: int = 0  # rank in Vietnamese alphabetical order of the name


@dataclass
class ReportData:
    period: Period
    indicators: list[Indicator]
    province: dict[str, Figure]
    province_targets: dict[str, TargetCheck]
    history: dict[str, list[tuple[int, float | None]]]  # the same period in each year
    monthly: dict[str, dict[int, dict[int, float | None]]] | None  # indicator -> year -> month -> value
    agencies: list[AgencyRow]
    agency_columns: list[str]  # AGENCY_COLUMNS, then any other indicator with an agency target
    agency_target_columns: list[str]  # the agency columns that have a target for some agency
    snapshot_id: str | None
    published_at: dt.datetime | None
    # drill-through (serving.drill), when the snapshot has its tables: what moved each ratio,
    # and the overdue open dossiers per agency at the period's end (None: not in the snapshot)
    movers: dict[str, Movers] = field(default_factory=dict)
    overdue: list[AgencyOverdue] | None = None

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)

    def figure(self, code: str) -> Figure:
        return self.province.get(code, EMPTY)


# ---------------------------------------------------------------------------------- period


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?", [name]
        ).fetchone()[0]
    )


def months_with_data(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int]]:
    """(year, month) of every month with province figures. Without ``kpi_periodic`` only whole
    years are known: each year with figures counts as its December."""
    if has_table(con, "kpi_periodic"):
        sql = """SELECT DISTINCT year, period FROM main.kpi_periodic
                 WHERE period_type = 'month' AND scope = 'province' AND scope_code = 'ALL'"""
    else:
        sql = "SELECT DISTINCT year, 12 FROM main.kpi_yearly WHERE scope = 'province' AND scope_code = 'ALL'"
    return [(int(year), int(month)) for year, month in con.execute(sql).fetchall()]


def resolve_period(con: duckdb.DuckDBPyConnection, period: Period | None, as_of: dt.date) -> Period:
    """The period asked for, or the one a report made on ``as_of`` covers."""
    if period is None:
        chosen = default_period(months_with_data(con), as_of)
        if chosen is None:
            raise ReportError(
                f"the snapshot has no month of figures that ended before {as_of.isoformat()}: nothing to report",
                f"bản phát hành không có tháng nào có số liệu kết thúc trước ngày {as_of.isoformat()}: chưa có gì "
                "để báo cáo",
            )
        return chosen
    if not (period.is_annual or has_table(con, "kpi_periodic")):
        raise ReportError(
            f"the snapshot has no kpi_periodic table: only whole years can be reported, not {period}",
            f"bản phát hành chưa có bảng kpi_periodic: chỉ báo cáo được cả năm, không báo cáo được kỳ {period}",
        )
    return period


def _period_rows(con: duckdb.DuckDBPyConnection, period: Period, where: str, params: list) -> list[tuple]:
    """(year, scope, scope_code, indicator, value, prior_value, change_abs, change_pct, trend) of the
    period's kind, filtered by ``where``."""
    columns = "year, scope, scope_code, indicator, value, prior_value, change_abs, change_pct, trend"
    if period.is_annual:
        sql = f"SELECT {columns} FROM main.kpi_yearly WHERE {where}"
        return con.execute(sql, params).fetchall()
    sql = f"SELECT {columns} FROM main.kpi_periodic WHERE period_type = ? AND period = ? AND {where}"
    return con.execute(sql, [period.period_type, period.period, *params]).fetchall()


# ---------------------------------------------------------------------------------- targets


def check_target(target: float, value: float | None, better: str, code: str, period: Period) -> TargetCheck:
    """The contract's rule (kpis.md, "Targets"): ``lower`` is met at or below the target, ``higher``
    and volumes at or above it."""
    if value is None:
        return TargetCheck(target, value, better, None)
    if code in FLOW_INDICATORS and not period.is_annual:
        return TargetCheck(target, value, better, None, value / target if target else None)
    met = value <= target if better == "lower" else value >= target
    return TargetCheck(target, value, better, met)


def _targets(con: duckdb.DuckDBPyConnection, year: int) -> dict[tuple[str, str], float]:
    if not has_table(con, "kpi_targets"):
        return {}
    rows = con.execute(
        "SELECT scope_code, indicator, target FROM main.kpi_targets WHERE year = ? AND target IS NOT NULL", [year]
    ).fetchall()
    return {(scope_code, indicator): target for scope_code, indicator, target in rows}


# ---------------------------------------------------------------------------------- agencies


def _flag_agencies(agencies: list[AgencyRow]) -> None:
    """Flag the FLAGGED_PER_KIND lowest on-time shares (among agencies that finished at least
    MIN_FINISHED_FOR_ON_TIME_FLAG dossiers) and the FLAGGED_PER_KIND largest overdue counts
    (above zero); ties at the boundary are all flagged."""

    def flag(kind: str, candidates: list[tuple[float, AgencyRow]], *, lowest: bool) -> None:
        ranked = sorted(candidates, key=lambda pair: pair[0], reverse=not lowest)
        if not ranked:
            return
        boundary = ranked[min(FLAGGED_PER_KIND, len(ranked)) - 1][0]
        for value, agency in ranked:
            if (value <= boundary) if lowest else (value >= boundary):
                agency.flags.append(kind)

    on_time = [
        (a.figures["on_time_rate"].value, a)
        for a in agencies
        if a.figures.get("on_time_rate", EMPTY).value is not None
        and (a.figures.get("dossiers_finished", EMPTY).value or 0) >= MIN_FINISHED_FOR_ON_TIME_FLAG
    ]
    flag("on_time_rate", on_time, lowest=True)
    overdue = [
        (a.figures["overdue_open_at_year_end"].value, a)
        for a in agencies
        if (a.figures.get("overdue_open_at_year_end", EMPTY).value or 0) > 0
    ]
    flag("overdue_open_at_year_end", overdue, lowest=False)


def _agencies(
    con: duckdb.DuckDBPyConnection, period: Period, indicators: dict[str, Indicator], targets: dict
) -> list[AgencyRow]:
    rows = _period_rows(con, period, "year = ? AND scope = 'agency'", [period.year])
    names = dict(
        con.execute(
            "SELECT agency_code, coalesce(current_agency_name, agency_name, agency_code) FROM main.dim_agencies"
        ).fetchall()
    )
    agencies: dict[str, AgencyRow] = {}
    for _, _, code, indicator, value, prior, change, change_pct, trend in rows:
        agency = agencies.setdefault(code, AgencyRow(code, names.get(code) or code, {}))
        agency.figures[indicator] = Figure(value, prior, change, change_pct, trend)
    for (scope_code, indicator), target in targets.items():
        if scope_code in agencies and indicator in indicators:
            agency = agencies[scope_code]
            value = agency.figures.get(indicator, EMPTY).value
            agency.targets[indicator] = check_target(target, value, indicators[indicator].better, indicator, period)
    ordered = sorted(agencies.values(), key=lambda a: (vietnamese_sort_key(a.name), a.code))
    for rank, agency in enumerate(ordered):
        agency.order = rank
    _flag_agencies(ordered)
    return ordered


# ---------------------------------------------------------------------------------- loading


def _for_period(name: str, words: tuple[tuple[str, str], ...], period: Period) -> str:
    if not period.is_annual:
        for year_words, period_words in words:
            name = name.replace(year_words, period_words)
    return name


def load(con: duckdb.DuckDBPyConnection, period: Period) -> ReportData:
    indicators = [
        Indicator(
            code,
            _for_period(name_vi, PERIOD_WORDS_VI, period),
            _for_period(name_en, PERIOD_WORDS_EN, period),
            unit,
            better,
            group,
        )  # fmt: skip
        for code, name_vi, name_en, unit, better, group in con.execute(
            """SELECT indicator, name_vi, name_en, unit, better, indicator_group
               FROM main.dim_indicators ORDER BY display_order"""
        ).fetchall()
    ]
    by_code = {i.code: i for i in indicators}
    where = "scope = 'province' AND scope_code = 'ALL'"
    current = _period_rows(con, period, f"{where} AND year = ?", [period.year])
    if not current:
        raise ReportError(
            f"the snapshot has no province figures for {period}: nothing to report",
            f"bản phát hành không có số liệu toàn tỉnh cho kỳ {period}: chưa có gì để báo cáo",
        )
    province = {row[3]: Figure(*row[4:]) for row in current}

    history: dict[str, list[tuple[int, float | None]]] = {}
    for year, _, _, indicator, value, *_ in sorted(_period_rows(con, period, f"{where} AND year <= ?", [period.year])):
        history.setdefault(indicator, []).append((year, value))

    monthly = None
    if has_table(con, "kpi_periodic"):
        placeholders = ", ".join("?" for _ in MONTHLY_INDICATORS)
        rows = con.execute(
            f"""SELECT indicator, year, period, value FROM main.kpi_periodic
                WHERE period_type = 'month' AND {where} AND year IN (?, ?) AND period <= ?
                  AND indicator IN ({placeholders})""",
            [period.year - 1, period.year, period.last_month, *MONTHLY_INDICATORS],
        ).fetchall()
        monthly = {}
        for indicator, year, month, value in rows:
            monthly.setdefault(indicator, {}).setdefault(year, {})[month] = value

    targets = _targets(con, period.year)
    province_targets = {
        indicator: check_target(
            target, province.get(indicator, EMPTY).value, by_code[indicator].better, indicator, period
        )  # fmt: skip
        for (scope_code, indicator), target in targets.items()
        if scope_code == "ALL" and indicator in by_code
    }
    agencies = _agencies(con, period, by_code, {k: v for k, v in targets.items() if k[0] != "ALL"})
    with_targets = {code for agency in agencies for code in agency.targets}
    agency_columns = [*AGENCY_COLUMNS, *(i.code for i in indicators if i.code in with_targets - set(AGENCY_COLUMNS))]
    meta = con.execute("SELECT max(snapshot_id), max(published_at) FROM main._snapshot").fetchone()
    movers, overdue = {}, None
    if has_drill_tables(con):
        # ratios print in tenths of a percentage point: a smaller contribution would read "0,0 pp"
        movers = what_moved(con, period, [i.code for i in indicators if i.unit == "ratio"], smallest=0.0005)
        overdue = overdue_dossiers(con, period)
    return ReportData(
        period=period,
        indicators=indicators,
        province=province,
        province_targets=province_targets,
        history=history,
        monthly=monthly,
        agencies=agencies,
        agency_columns=agency_columns,
        agency_target_columns=[c for c in agency_columns if any(c in a.targets for a in agencies)],
        snapshot_id=meta[0],
        published_at=meta[1],
        movers=movers,
        overdue=overdue,
    )
