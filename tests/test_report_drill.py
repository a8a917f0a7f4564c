"""The report's drill-through on the sample's published snapshot, mid-year (January-September
2020 against January-September 2019): under each headline ratio what moved it, and each
agency's overdue open dossiers at the period's end, in the page (checked in headless Chromium)
and in the workbook. The figures are checked against the published tables and `parkpi
explain`."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import openpyxl
import pytest

from serving.explain import Explainer
from serving.periods import Period
from serving.report import build_report
from tests.builds import Build
from tests.test_report import CHROMIUM, LAYOUT_PROBE, chromium, screenshot

PERIOD = Period("ytd", 2020, 9)


@pytest.fixture(scope="module")
def report(sample_build: Build, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("drill_report")
    snapshot = sample_build.publish_dir / "kpi.duckdb"
    return build_report(snapshot, out, as_of=dt.date(2020, 10, 20)), snapshot


def query(snapshot: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_what_moved_each_headline_ratio(report) -> None:
    result, snapshot = report
    assert result.period == PERIOD
    page = result.html.read_text(encoding="utf-8")
    ratios = [code for (code,) in query(snapshot, "SELECT indicator FROM dim_indicators WHERE unit = 'ratio'")]
    shown = re.findall(r'<tr class="movers" data-movers-of="([^"]+)">(.*?)</tr>', page, re.S)
    assert len(shown) >= 5
    with Explainer(snapshot) as explainer:
        for indicator, row in shown:
            assert indicator in ratios
            explained = explainer.explain(indicator, PERIOD, change=True)
            contributions = {code: value for code, _, value in explained.contributions}
            assert sum(contributions.values()) == pytest.approx(explained.change_abs, abs=1e-12)
            listed = [
                (code, float(value))
                for code, value in re.findall(r'data-agency="([^"]+)" data-contribution="([^"]+)"', row)
            ]
            for side in ("up", "down"):
                # the largest contributions that way, in order, as published (those that print as 0,0 pp left out)
                expected = sorted(
                    (
                        c
                        for c in contributions.items()
                        if (c[1] > 0 if side == "up" else c[1] < 0) and abs(c[1]) >= 5e-4
                    ),
                    key=lambda c: (-abs(c[1]), c[0]),
                )[:3]
                shown_side = [c for c in listed if (c[1] > 0 if side == "up" else c[1] < 0)]
                assert shown_side == expected, (indicator, side)


def test_overdue_lists_are_the_overdue_figures(report) -> None:
    result, snapshot = report
    page = result.html.read_text(encoding="utf-8")
    pattern = r'<details class="overdue" id="overdue-([^"]+)" data-agency="[^"]+" data-count="(\d+)">(.*?)</details>'
    lists = re.findall(pattern, page, re.S)
    assert lists
    figures = dict(
        query(
            snapshot,
            """SELECT scope_code, value FROM kpi_periodic WHERE indicator = 'overdue_open_at_year_end'
               AND period_type = 'ytd' AND year = 2020 AND period = 9""",
        )
    )
    assert sum(int(count) for _, count, _ in lists) == figures["ALL"]
    with Explainer(snapshot) as explainer:
        for agency, count, body in lists:
            dossiers = re.findall(r'<tr data-dossier="([^"]+)">', body)
            days = [int(d) for d in re.findall(r'data-days="(-?\d+)"', body)]
            assert len(dossiers) == int(count) > 0 and days == sorted(days, reverse=True) and min(days) >= 0
            if agency in figures:  # an agency with a figure for the period: its list is its figure
                assert int(count) == figures[agency]
                explained = explainer.explain("overdue_open_at_year_end", PERIOD, agency)
                assert sorted(dossiers) == sorted(key for key, *_ in explainer.rows(explained))
            # the agency table links its overdue count to the list
            if agency in figures and figures[agency]:
                assert f'href="#overdue-{agency}"' in page
    due = dict(query(snapshot, "SELECT dossier_code, due_at FROM fct_dossiers"))
    end = dt.datetime(2020, 10, 1)
    for _, _, body in lists:
        for code, shown_days in re.findall(r'<tr data-dossier="([^"]+)">.*?data-days="(\d+)"', body, re.S):
            assert int(shown_days) == (end - due[code]).days, code


def test_workbook_lists_the_overdue_dossiers(report) -> None:
    result, snapshot = report
    sheet = openpyxl.load_workbook(result.xlsx, read_only=True)["Quá hạn - Overdue"]
    rows = [row for row in sheet.iter_rows(min_row=4, values_only=True) if row[2]]
    total = query(
        snapshot,
        """SELECT value FROM kpi_periodic WHERE indicator = 'overdue_open_at_year_end' AND scope = 'province'
           AND period_type = 'ytd' AND year = 2020 AND period = 9""",
    )[0][0]
    assert len(rows) == total and len({row[2] for row in rows}) == total


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (`make test-setup` installs it)")
def test_drill_through_in_chromium(report, tmp_path: Path) -> None:
    """Rendered: nothing clipped, the movers under the ratios, the lists closed until their
    agency's link is followed (then that one is open)."""
    result, _ = report
    probed = tmp_path / "probed.html"
    probed.write_text(result.html.read_text(encoding="utf-8").replace("</body>", LAYOUT_PROBE + "</body>"), "utf-8")
    dom = chromium(["--window-size=1280,1000", "--dump-dom", probed.as_uri()], tmp_path / "profile").stdout
    layout = json.loads(re.search(r"data-layout=\"([^\"]*)\"", dom).group(1).replace("&quot;", '"'))
    assert layout["problems"] == [], layout
    assert len(re.findall(r'<tr class="movers"', dom)) >= 5
    details = re.findall(r'<details class="overdue"[^>]*>', dom)
    assert details and not any(" open" in d for d in details)
    agency = re.search(r'id="overdue-([^"]+)"', details[0]).group(1)
    dom = chromium(["--dump-dom", f"{result.html.as_uri()}#overdue-{agency}"], tmp_path / "profile").stdout
    opened = [d for d in re.findall(r'<details class="overdue"[^>]*>', dom) if " open" in d]
    assert opened == [d for d in opened if f'id="overdue-{agency}"' in d] and len(opened) == 1
    screenshot(result.html, tmp_path / "report-2020-ytd-9-drill.png", tmp_path / "profile", height=9000)


def test_long_overdue_lists_are_cut_to_the_most_overdue(sample_build: Build, tmp_path: Path, monkeypatch) -> None:
    """An agency's list shows its most overdue dossiers only (serving.drill.OVERDUE_LIST_LIMIT;
    2 here), with the count of all of them and the command that lists the rest."""
    import functools

    import serving.report_data
    from serving.drill import overdue_dossiers

    snapshot = sample_build.publish_dir / "kpi.duckdb"
    with duckdb.connect(str(snapshot), read_only=True) as con:
        whole = {a.agency_code: a for a in overdue_dossiers(con, PERIOD)}
        cut = {a.agency_code: a for a in overdue_dossiers(con, PERIOD, limit=2)}
    assert cut.keys() == whole.keys() and any(a.total > 2 for a in whole.values())
    for code, agency in cut.items():
        assert agency.total == whole[code].total == len(whole[code].dossiers)
        assert agency.dossiers == whole[code].dossiers[:2] and agency.more == max(agency.total - 2, 0)

    monkeypatch.setattr(serving.report_data, "overdue_dossiers", functools.partial(overdue_dossiers, limit=2))
    result = build_report(snapshot, tmp_path / "report", as_of=dt.date(2020, 10, 20))
    page = result.html.read_text(encoding="utf-8")
    pattern = r'<details class="overdue" id="overdue-([^"]+)" data-agency="[^"]+" data-count="(\d+)">(.*?)</details>'
    lists = re.findall(pattern, page, re.S)
    assert {code: int(count) for code, count, _ in lists} == {code: a.total for code, a in whole.items()}
    for code, count, body in lists:
        assert len(re.findall(r"<tr data-dossier=", body)) == min(int(count), 2)
        command = f"parkpi explain overdue_open_at_year_end {PERIOD.slug} --scope {code}"
        assert (command in body) == (int(count) > 2), code
    sheet = openpyxl.load_workbook(result.xlsx, read_only=True)["Quá hạn - Overdue"]
    rows = [row for row in sheet.iter_rows(min_row=4, values_only=True) if row[2]]
    listed = [row for row in rows if row[3]]  # a dossier row has its procedure code
    assert len(listed) == sum(min(a.total, 2) for a in whole.values())
    assert sum("overdue_open_at_year_end" in row[2] for row in rows) == sum(a.total > 2 for a in whole.values())
