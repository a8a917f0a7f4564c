"""How a published figure is made (``parkpi explain``): its definition, value, numerator and
denominator, the rows behind it traced to the landing files' lines, and with ``change`` each
agency's contribution to the change against the same period of the year before.

Everything is read from the published snapshot (``kpi.duckdb``), never from the warehouse, so
an explanation never waits for or blocks a run. The numbers are the published ones:

- the value from ``kpi_periodic`` (``kpi_yearly`` is its ``ytd`` 12 rows),
- numerator and denominator from ``kpi_components``, which dbt takes from the aggregates it
  computes the values from,
- contributions from ``kpi_contributions``,
- the rows from the membership tables dbt adds up (``kpi_dossier_flags`` for the dossier
  figures, ``fct_postal_shipments``, ``kpi_mailbox_period_positions``,
  ``kpi_catalog_period_procedures``); ``ROW_SPECS`` says which rows and flag belong to which
  indicator. Their count (or sum) is checked against the published numerator and denominator
  on every call (``Explanation.mismatches``): a row list that disagrees with the figure is
  reported, not hidden.

``member_totals`` runs the same row selection for many periods at once (one query), for the
tests that check every figure of a snapshot.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from serving.periods import Period
from serving.snapshot import META_TABLE

PROVINCE = "ALL"


class ExplainError(ValueError):
    """A question explain cannot answer (bad indicator, scope or period): English and Vietnamese."""

    def __init__(self, en: str, vi: str) -> None:
        super().__init__(f"{en} / {vi}")
        self.en = en
        self.vi = vi


# --------------------------------------------------------------------------------------
# Which rows make each figure
# --------------------------------------------------------------------------------------
#
# SQL fragments over the row relation `r` and a relation of periods `p` (period_type, year,
# period, first_month, last_month: first days of the window's first and last month,
# period_end: its last day). Windows are whole months (docs/indicators.md, "Periods").


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
    denominator_en: str = ""


ROW_SPECS: dict[str, RowSpec] = {
    "dossiers_received": RowSpec(DOSSIER, RECEIVED_IN, numerator_en="dossiers received in the period"),
    "online_submission_rate": RowSpec(
        DOSSIER,
        RECEIVED_IN,
        in_numerator="r.received_online",
        numerator_en="received online (channel 2)",
        denominator_en="dossiers received in the period",
    ),
    "postal_submission_rate": RowSpec(
        DOSSIER,
        RECEIVED_IN,
        in_numerator="r.received_by_post",
        numerator_en="received through the public postal service (channel 3)",
        denominator_en="dossiers received in the period",
    ),
    "dossiers_finished": RowSpec(DOSSIER, FINISHED_IN, numerator_en="dossiers finished in the period"),
    "on_time_rate": RowSpec(
        DOSSIER,
        FINISHED_IN,
        members="r.finished_with_due",
        in_numerator="r.finished_on_time",
        numerator_en="finished on time",
        denominator_en="dossiers finished in the period with a due time",
    ),
    "avg_processing_days": RowSpec(
        DOSSIER,
        FINISHED_IN,
        members="r.processing_seconds IS NOT NULL",
        numerator_amount="r.processing_seconds / 86400.0",
        numerator_en="sum of the days from reception to finishing",
        denominator_en="dossiers finished in the period that were received",
    ),
    "overdue_open_at_year_end": RowSpec(
        DOSSIER, OVERDUE_AT_END, numerator_en="dossiers overdue and open at the end of the period"
    ),
    "online_payment_rate": RowSpec(
        DOSSIER,
        RECEIVED_IN,
        members="r.received_fee_bearing",
        in_numerator="r.received_fee_bearing_paid_online",
        numerator_en="paid online",
        denominator_en="fee-bearing dossiers received in the period",
    ),
    "postal_return_rate": RowSpec(
        DOSSIER,
        FINISHED_IN,
        in_numerator="r.finished_result_by_post",
        numerator_en="result returned by post",
        denominator_en="dossiers finished in the period",
    ),
    "online_services_level3": RowSpec(
        PROCEDURE, SAME_PERIOD, members="r.is_level3", numerator_en="procedures at level 3 on the period's last day"
    ),
    "online_services_level4": RowSpec(
        PROCEDURE, SAME_PERIOD, members="r.is_level4", numerator_en="procedures at level 4 on the period's last day"
    ),
    "online_services_used_rate": RowSpec(
        PROCEDURE,
        SAME_PERIOD,
        in_numerator="r.is_used_online",
        numerator_en="with a dossier received online in the period",
        denominator_en="procedures at level 3 or 4 on the period's last day",
    ),
    "postal_result_shipments": RowSpec(
        SHIPMENT, ACCEPTED_IN, members="r.is_result_return", numerator_en="result shipments accepted in the period"
    ),
    "postal_delivery_success_rate": RowSpec(
        SHIPMENT,
        ACCEPTED_IN,
        members="r.is_result_return AND r.is_final_status",
        in_numerator="r.is_delivered",
        numerator_en="delivered",
        denominator_en="result shipments accepted in the period with a final status",
    ),
    "postal_avg_delivery_days": RowSpec(
        SHIPMENT,
        ACCEPTED_IN,
        members="r.is_result_return AND r.is_delivered AND r.delivery_seconds IS NOT NULL",
        numerator_amount="r.delivery_seconds / 86400.0",
        numerator_en="sum of the days from acceptance to delivery",
        denominator_en="result shipments accepted in the period and delivered (with a delivery date)",
    ),
    "postal_unmatched_shipments": RowSpec(
        SHIPMENT,
        ACCEPTED_IN,
        members="NOT r.is_matched_dossier",
        numerator_en="shipments accepted in the period matching no dossier",
    ),
    "mailboxes_issued": RowSpec(
        MAILBOX_REPORT,
        SAME_PERIOD,
        members="r.is_period_end_position",
        numerator_amount="r.mailboxes_issued_total",
        numerator_en="mailboxes issued, from each reporting code's last report in the period",
    ),
    "mailboxes_new": RowSpec(
        MAILBOX_REPORT,
        SAME_PERIOD,
        numerator_amount="r.mailboxes_new",
        numerator_en="new mailboxes, every report of the period",
    ),
    "mailbox_active_rate": RowSpec(
        MAILBOX_REPORT,
        SAME_PERIOD,
        members="r.is_period_end_position",
        numerator_amount="r.mailboxes_active",
        denominator_amount="r.mailboxes_issued_total",
        numerator_en="active mailboxes",
        denominator_en="mailboxes issued (each reporting code's last report in the period)",
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


# --------------------------------------------------------------------------------------
# An explanation
# --------------------------------------------------------------------------------------


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

    # ---------------------------------------------------------------- arguments

    def check_indicator(self, code: str) -> Indicator:
        if code not in self.indicators:
            codes = ", ".join(self.indicators)
            raise ExplainError(
                f"unknown indicator {code!r}; one of: {codes}", f"không có chỉ tiêu {code!r}; chỉ nhận: {codes}"
            )
        return self.indicators[code]

    def check_scope(self, indicator: Indicator, scope_code: str) -> str:
        """'province' or 'agency' for scope_code; raises for an agency not in today's structure."""
        if scope_code.upper() == PROVINCE:
            return "province"
        if ROW_SPECS[indicator.code].kind.agency is None:
            raise ExplainError(
                f"{indicator.code} describes the province's catalogue: it has no agency figures (use --scope ALL)",
                f"{indicator.code} là chỉ tiêu của danh mục cấp tỉnh, không có số liệu theo đơn vị (dùng --scope ALL)",
            )
        # the agencies the published figures are reported under are today's structure
        if self.con.execute(
            "SELECT count(*) FROM (SELECT 1 FROM kpi_periodic WHERE scope = 'agency' AND scope_code = ? LIMIT 1)",
            [scope_code],
        ).fetchone()[0]:
            return "agency"
        row = self.con.execute(
            "SELECT current_agency_code, current_agency_name FROM dim_agencies WHERE agency_code = ?", [scope_code]
        ).fetchone()
        if row is None:
            raise ExplainError(
                f"agency {scope_code!r} is not in the agency list (catalog/agencies.csv)",
                f"đơn vị {scope_code!r} không có trong danh mục đơn vị (catalog/agencies.csv)",
            )
        if row[0] != scope_code:
            raise ExplainError(
                f"agency {scope_code!r} is not in today's structure: it is reported under {row[0]} ({row[1]})",
                f"đơn vị {scope_code!r} không còn trong cơ cấu hiện nay: số liệu tính cho {row[0]} ({row[1]})",
            )
        return "agency"

    # ---------------------------------------------------------------- the figure

    def explain(
        self, indicator_code: str, period: Period, scope_code: str = PROVINCE, *, change: bool = False
    ) -> Explanation:
        indicator = self.check_indicator(indicator_code)
        scope = self.check_scope(indicator, scope_code)
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
            self._params(period, scope_code),
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

    # ---------------------------------------------------------------- rows

    def rows_sql(self, explanation: Explanation, limit: int | None) -> str:
        """One row per member: key, in_numerator, numerator_amount, denominator_amount, sources
        (a list of {file, line}), ordered: outside the numerator first, then by key."""
        spec = ROW_SPECS[explanation.indicator.code]
        limited = f"ORDER BY in_numerator, key LIMIT {int(limit)}" if limit is not None else ""
        own = spec.kind.sources == "own"
        members = f"SELECT * FROM ({members_sql(spec, PERIOD_VALUES, scoped=True, own_sources=own)}) {limited}"
        if spec.kind.sources == "dossier":
            return f"""
                WITH m AS ({members})
                SELECT m.key, m.in_numerator, m.numerator_amount, m.denominator_amount,
                       list({{'file': s.source_file, 'line': s.source_line}} ORDER BY s.source_file, s.source_line)
                           AS sources
                FROM m JOIN kpi_dossier_sources AS s ON s.dossier_code = m.key
                GROUP BY ALL"""
        if spec.kind.sources == "procedure":
            return f"""
                WITH m AS ({members})
                SELECT m.key, m.in_numerator, m.numerator_amount, m.denominator_amount,
                       list({{'file': d.source_file, 'line': d.source_line}} ORDER BY d.source_file, d.source_line)
                           AS sources
                FROM m JOIN dim_procedures AS d
                  ON d.procedure_code = m.key AND d.service_level IN (3, 4) AND d.valid_from <= m.period_end
                 AND (d.valid_to IS NULL OR m.period_end <= d.valid_to)
                GROUP BY ALL"""
        # one landing row per member: its own file and line
        return f"""
            WITH m AS ({members})
            SELECT key, in_numerator, numerator_amount, denominator_amount,
                   [{{'file': source_file, 'line': source_line}}] AS sources
            FROM m"""

    def rows(self, explanation: Explanation, limit: int | None = None) -> list[tuple]:
        """(key, in_numerator, numerator_amount, denominator_amount, [{file, line}, ...])."""
        return self.con.execute(
            f"SELECT * FROM ({self.rows_sql(explanation, limit)}) ORDER BY in_numerator, key",
            self._params(explanation.period, explanation.scope_code),
        ).fetchall()

    def rows_json(self, explanation: Explanation, limit: int | None = None) -> str:
        """The rows as the items of a JSON array (without the brackets), made by DuckDB."""
        text = self.con.execute(
            f"""SELECT string_agg(json_object('key', key, 'in_numerator', in_numerator, 'sources', sources)::VARCHAR,
                                  ', ' ORDER BY in_numerator, key)
                FROM ({self.rows_sql(explanation, limit)})""",
            self._params(explanation.period, explanation.scope_code),
        ).fetchone()[0]
        return text or ""

    def rows_text(self, explanation: Explanation, limit: int | None = None) -> Iterator[str]:
        """The rows as the text output's lines (``in``/``out``, key, the amounts a mean or a sum
        adds up, ``<- file:line, ...``), made by DuckDB and fetched in batches."""
        spec = ROW_SPECS[explanation.indicator.code]
        extra = "''"
        if spec.numerator_amount != "1" or spec.denominator_amount != "1":
            extra = f"'  ' || {_amount_sql('numerator_amount')}"
            if spec.denominator_amount != "1":
                extra += f" || ' / ' || {_amount_sql('denominator_amount')}"
        cursor = self.con.execute(
            f"""SELECT '    ' || CASE WHEN in_numerator THEN 'in ' ELSE 'out' END || ' ' || key || {extra}
                       || '  <- ' || array_to_string(list_transform(sources, lambda s: s.file || ':' || s.line), ', ')
                FROM ({self.rows_sql(explanation, limit)}) ORDER BY in_numerator, key""",
            self._params(explanation.period, explanation.scope_code),
        )
        while batch := cursor.fetchmany(20_000):
            for (line,) in batch:
                yield line

    @staticmethod
    def _params(period: Period, scope_code: str) -> dict[str, Any]:
        return {
            "period_type": period.period_type,
            "year": period.year,
            "period": period.period,
            "first_month": period.start,
            "last_month": period.end.replace(day=1),
            "period_end": period.end,
            "scope_code": scope_code,
        }


def _amount_sql(column: str) -> str:
    """A row's amount as text: whole numbers with thousands separators, days to 4 decimals."""
    return (
        f"CASE WHEN {column} = round({column}) THEN format('{{:,}}', CAST({column} AS BIGINT)) "
        f"ELSE format('{{:.4f}}', {column}) END"
    )


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


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def _number(x: float | None) -> int | float | None:
    """A count as an integer in JSON, anything else as it is."""
    if x is not None and float(x).is_integer() and abs(x) < 2**53:
        return int(x)
    return x


def json_document(explainer: Explainer, e: Explanation, limit: int | None, *, change: bool) -> Iterator[str]:
    """The one JSON object of ``--json``, in pieces (the rows can be large)."""
    head = {
        "indicator": e.indicator.code,
        "period": e.period.slug,
        "scope": e.scope,
        "scope_code": e.scope_code,
        "value": e.value,
        "numerator": _number(e.numerator),
        "denominator": _number(e.denominator),
    }
    yield json.dumps(head, ensure_ascii=False)[:-1]
    yield ', "rows": ['
    yield explainer.rows_json(e, limit)
    yield "]"
    if change:
        contributions = (
            None
            if e.contributions is None
            else [{"scope_code": code, "contribution": value} for code, _, value in e.contributions]
        )
        yield ', "contributions": ' + json.dumps(contributions)
    yield "}\n"


def _format_value(indicator: Indicator, x: float | None) -> str:
    if x is None:
        return "no value (empty denominator)"
    if indicator.unit == "ratio":
        return f"{x:.4f} ({100 * x:.2f} %)"
    if indicator.unit == "count":
        return f"{x:,.0f}"
    return f"{x:,.2f} days"


def _format_amount(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.4f}"


def _period_words(period: Period) -> str:
    return f"{period.slug} ({period.start.isoformat()} to {period.end.isoformat()})"


def text_document(explainer: Explainer, e: Explanation, limit: int | None, *, change: bool) -> Iterator[str]:
    """The human-readable explanation, line by line."""
    i, spec = e.indicator, ROW_SPECS[e.indicator.code]
    kind = spec.kind
    where = "the province (ALL)" if e.scope == "province" else f"agency {e.scope_code}"
    yield f"{i.code}: {i.name_vi} / {i.name_en}"
    yield f"  period     {_period_words(e.period)}, {where}"
    yield f"  definition {i.definition} (Y read as the period)"
    yield f"  value      {_format_value(i, e.value)}"
    if i.is_ratio_or_mean:
        yield f"             = numerator {_format_amount(e.numerator)} / denominator {_format_amount(e.denominator)}"
        yield f"  numerator   {spec.numerator_en}"
        yield f"  denominator {spec.denominator_en}"
    else:
        yield f"  counted    {spec.numerator_en}"
    if change:
        yield ""
        prior = _format_value(i, e.prior_value) if e.prior_value is not None else "no figure"
        yield f"  same period last year ({e.period.same_period_last_year.slug}): {prior}"
        if e.change_abs is not None:
            yield f"  change     {e.change_abs:+,.6g}"
        if e.contributions is not None:
            total = sum(c for _, _, c in e.contributions)
            title = "contributions to the province's change by agency (they add up to it)"
            if e.scope != "province":
                title = "this agency's contribution to the province's change"
            yield f"  {title}:"
            for code, name, contribution in e.contributions:
                yield f"    {contribution:+14.6g}  {code}  {name or ''}"
            if e.scope == "province":
                yield f"    {total:+14.6g}  (sum)"
        elif e.change_note is not None:
            yield f"  {e.change_note[0]} / {e.change_note[1]}"
    yield ""
    shown = e.row_count if limit is None else min(limit, e.row_count)
    flagged = spec.in_numerator != "TRUE"
    in_numerator = f", {e.numerator_rows:,} of them in the numerator" if flagged else ""
    order = "those outside the numerator first" if flagged else "by key"
    amounts = ""
    if spec.numerator_amount != "1":
        amounts = "; each with what it adds to the numerator" + (
            " / the denominator" if spec.denominator_amount != "1" else ""
        )
    yield f"  rows: {e.row_count:,} {kind.noun_en} ({kind.noun_vi}){in_numerator}; showing {shown:,}, {order}{amounts}"
    yield from explainer.rows_text(e, limit)
    yield ""
    yield f"  read from {explainer.snapshot} (snapshot {e.snapshot_id}, published {e.published_at})"
