"""The leadership report: one self-contained HTML page and an .xlsx workbook for a reporting
period, in Vietnamese with English alongside, built from the *published* snapshot only.

By default the period follows the calendar: the year to date through the last month that ended
before the as-of day (``PARKPI_AS_OF``, default today) and has data, so a report made on
20 October 2020 covers January–September 2020 and compares it with January–September 2019;
through December it is the annual report. Any other period on request (``period="2020-Q3"``,
see ``serving.periods``).

The page: a narrative paragraph per language, the headline indicators against the same period
of the year before (and the plan's targets where ``kpi_targets`` has one), the same period over
the years, this year month by month against last year, and the agency table (sortable, the
agencies to act on flagged). Where the snapshot has the drill-through tables (``serving.drill``):
under each headline ratio what moved it (the agencies with the largest contributions to its
change either way), and each agency's overdue open dossiers at the period's end, linked from the
agency table. Charts are inline SVG drawn here; the page needs no network.
HTML comes from the Jinja2 templates in ``serving/templates`` (autoescaped); every number and
date is formatted by Babel (``serving.i18n``).

``build_report(snapshot, out_dir)`` is what the publish step and `parkpi report` call.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import jinja2

from serving import charts
from serving.i18n import EN, VI
from serving.labels import FLAGS, GROUPS, TRENDS, history_titles, titles
from serving.narrative import narrative
from serving.periods import Period, parse_period
from serving.report_data import (
    FLAGGED_PER_KIND,
    MIN_FINISHED_FOR_ON_TIME_FLAG,
    MONTHLY_INDICATORS,
    ReportData,
    load,
    resolve_period,
)
from serving.workbook import write_workbook

DEFAULT_PROVINCE = "Lạng Sơn"
ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass
class ReportResult:
    year: int
    period: Period
    html: Path
    xlsx: Path


def _context(data: ReportData, province: str) -> dict:
    period = data.period
    title_vi, title_en = titles(period)
    narrative_vi, narrative_en = narrative(data, province)
    headline_groups, history_groups = [], []
    for group, (group_vi, group_en) in GROUPS.items():
        members = [i for i in data.indicators if i.group == group]
        if not members:
            continue
        headline_groups.append(
            {
                "title_vi": group_vi,
                "title_en": group_en,
                "rows": [
                    {"indicator": i, "figure": data.figure(i.code), "target": data.province_targets.get(i.code)}
                    for i in members
                ],
            }
        )
        group_charts = [
            charts.history_chart(i.code, i.name_vi, i.name_en, i.unit, data.history.get(i.code, []), period.year, VI)
            for i in members
        ]
        history_groups.append(
            {
                "group": group,
                "title_vi": group_vi,
                "title_en": group_en,
                "charts": group_charts,
                "drawn": sum(chart.drawn for chart in group_charts),
            }
        )
    monthly_charts = None
    if data.monthly is not None:
        months = list(range(1, period.last_month + 1))
        monthly_charts = []
        for code in MONTHLY_INDICATORS:
            indicator = data.indicator(code)
            if indicator is None:
                continue
            series = data.monthly.get(code, {})
            monthly_charts.append(
                charts.monthly_chart(
                    code,
                    indicator.name_vi,
                    indicator.name_en,
                    indicator.unit,
                    months,
                    period.year,
                    series.get(period.year, {}),
                    series.get(period.year - 1, {}),
                    VI,
                )  # fmt: skip
            )
    history_vi, history_en = history_titles(period)
    by_code = {i.code: i for i in data.indicators}
    return {
        "vi": VI,
        "en": EN,
        "period": period,
        "prior": period.same_period_last_year,
        "province": province,
        "title_vi": title_vi,
        "title_en": title_en,
        "narrative_vi": narrative_vi,
        "narrative_en": narrative_en,
        "headline_groups": headline_groups,
        "has_targets": bool(data.province_targets),
        "history_title_vi": history_vi,
        "history_title_en": history_en,
        "history_groups": history_groups,
        "monthly_charts": monthly_charts,
        "agencies": data.agencies,
        "agency_columns": [by_code[code] for code in data.agency_columns if code in by_code],
        "agency_target_columns": set(data.agency_target_columns),
        "flags": FLAGS,
        "flagged_per_kind": FLAGGED_PER_KIND,
        "min_finished": MIN_FINISHED_FOR_ON_TIME_FLAG,
        "trends": TRENDS,
        "movers": data.movers,
        "overdue": data.overdue,
        "overdue_codes": {agency.agency_code for agency in data.overdue or []},
        "snapshot_id": data.snapshot_id or "–",
        "published_at": data.published_at,
        "generated_at": dt.datetime.now().replace(microsecond=0),
    }


def render_html(data: ReportData, province: str = DEFAULT_PROVINCE) -> str:
    return ENVIRONMENT.get_template("report.html.j2").render(_context(data, province))


# --------------------------------------------------------------------------------- build


def _write_atomically(path: Path, write) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _as_of_date(as_of: dt.date | dt.datetime | None) -> dt.date:
    if as_of is None:
        from sources.settings import as_of as settings_as_of

        as_of = settings_as_of()
    return as_of.date() if isinstance(as_of, dt.datetime) else as_of


def build_report(
    snapshot: Path,
    out_dir: Path,
    *,
    period: str | Period | None = None,
    as_of: dt.date | dt.datetime | None = None,
    province: str = DEFAULT_PROVINCE,
) -> ReportResult:
    """Write bao-cao-report-<period>.html and .xlsx into out_dir, reading only the published
    snapshot. Without ``period`` the report follows the calendar (see the module docstring) and
    also becomes index.html, the latest report; a report asked for by period leaves index.html
    alone. ``<period>`` is ``Period.slug``: 2020, 2020-ytd-9, 2020-Q3, 2020-07.

    Raises PeriodError for a period that cannot be read and ReportError when the snapshot cannot
    give the report (both carry English and Vietnamese messages)."""
    asked = parse_period(period) if isinstance(period, str) else period
    with duckdb.connect(str(snapshot), read_only=True) as con:
        chosen = resolve_period(con, asked, _as_of_date(as_of))
        data = load(con, chosen)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = render_html(data, province)
    html_path = out_dir / f"bao-cao-report-{chosen.slug}.html"
    xlsx_path = out_dir / f"bao-cao-report-{chosen.slug}.xlsx"
    _write_atomically(html_path, lambda p: p.write_text(page, encoding="utf-8"))
    _write_atomically(xlsx_path, lambda p: write_workbook(data, province, p))
    if asked is None:
        _write_atomically(out_dir / "index.html", lambda p: p.write_text(page, encoding="utf-8"))
    return ReportResult(chosen.year, chosen, html_path, xlsx_path)
