"""Serving (issue 5): the report of the sample's published snapshot, in a real browser (Chromium)
and as a workbook: the annual and mid-year reports, their targets and tables, and `parkpi report`
from the snapshot alone. The snapshot itself is in tests/test_publish.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from serving.i18n import EN, VI
from serving.snapshot import SNAPSHOT_FILE
from sources.settings import PROJECT_ROOT
from tests.builds import Build, parkpi_env

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_report_renders_in_chromium(published, tmp_path: Path) -> None:
    """The report of the sample in a real browser: the numbers of the snapshot in the narrative,
    one bar per year and indicator, nothing clipped (indicator names are long), and a screenshot
    (REPORT_SCREENSHOTS=<folder> keeps it) to look at."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (`make test` installs it on Debian as root)")
    from tests.test_report import LAYOUT_PROBE, chromium, screenshot

    _, _, publish_dir = published
    page = publish_dir / "report" / "index.html"
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", LAYOUT_PROBE + "</body>"), "utf-8")
    dom = chromium(["--window-size=1280,1000", "--dump-dom", probed.as_uri()], tmp_path / "chromium").stdout
    with duckdb.connect(str(publish_dir / SNAPSHOT_FILE), read_only=True) as con:
        year = con.execute("SELECT max(year) FROM kpi_yearly").fetchone()[0]
        level3, level3_prior, mailboxes = con.execute(
            """SELECT max(value) FILTER (indicator = 'online_services_level3'),
                      max(prior_value) FILTER (indicator = 'online_services_level3'),
                      max(value) FILTER (indicator = 'mailboxes_issued')
               FROM kpi_yearly WHERE scope = 'province' AND year = ?""",
            [year],
        ).fetchone()
        points = dict(
            con.execute(
                """SELECT i.indicator_group, count(k.value) FROM kpi_yearly k JOIN dim_indicators i USING (indicator)
                   WHERE k.scope = 'province' GROUP BY ALL"""
            ).fetchall()
        )
    layout = json.loads(re.search(r'data-layout="([^"]*)"', dom).group(1).replace("&quot;", '"'))
    assert layout["problems"] == [], layout
    for group, count in points.items():
        match = re.search(rf'<figure class="chart" data-group="{group}" data-drawn="(\d+)"', dom)
        assert match and int(match.group(1)) == count, group
    assert dom.count('<rect class="bar') >= sum(points.values())
    narrative_vi = re.search(r'<p class="narrative" id="narrative-vi"[^>]*>(.*?)</p>', dom, re.S).group(1)
    narrative_en = re.search(r'<p class="narrative" id="narrative-en"[^>]*>(.*?)</p>', dom, re.S).group(1)
    assert f"Năm {year}, toàn tỉnh Lạng Sơn có {VI.number(level3, 'count')} dịch vụ công trực tuyến mức độ 3" in (
        narrative_vi
    )
    assert f"tăng {VI.number(level3 - level3_prior, 'count')}" in narrative_vi
    assert f"{VI.number(mailboxes, 'count')} hộp thư điện tử công vụ" in narrative_vi
    assert f"{EN.number(level3, 'count')} online public services at level 3" in narrative_en
    assert 'data-indicator="on_time_rate"' in dom and "trend-improved" in dom
    screenshot(page, tmp_path / f"report-sample-{year}.png", tmp_path / "chromium")


def test_annual_report_marks_targets_as_kpi_targets_does(published) -> None:
    """Through December the report's met / not met is kpi_targets.target_met, for the province
    and for every agency with a target."""
    _, _, publish_dir = published
    page = (publish_dir / "report" / "index.html").read_text(encoding="utf-8")
    with duckdb.connect(str(publish_dir / SNAPSHOT_FILE), read_only=True) as con:
        year = con.execute("SELECT max(year) FROM kpi_yearly").fetchone()[0]
        targets = con.execute(
            "SELECT scope_code, indicator, target_met FROM kpi_targets WHERE year = ? AND value IS NOT NULL", [year]
        ).fetchall()
    assert f"năm {year}" in page and any(code == "ALL" for code, _, _ in targets)
    assert any(code != "ALL" for code, _, _ in targets)
    agencies = re.search(r'<table class="agencies".*?</table>', page, re.S).group(0)
    for scope_code, indicator, met in targets:
        expected = f'data-met="{"yes" if met else "no"}"'
        if scope_code == "ALL":
            row = re.search(rf'<tr data-indicator="{indicator}">(.*?)</tr>', page, re.S).group(1)
            assert expected in row, (scope_code, indicator)
        else:
            row = re.search(rf'<tr data-agency="{re.escape(scope_code)}"[^>]*>(.*?)</tr>', agencies, re.S).group(1)
            cell = re.search(rf'<td [^>]*data-target-of="{indicator}"[^>]*>', row).group(0)
            assert expected in cell, (scope_code, indicator)


def test_mid_year_report_of_the_sample(published, tmp_path: Path) -> None:
    """The sample's snapshot as of 20 October 2020: the first nine months of 2020 against
    January-September 2019, from kpi_periodic; the page in Chromium, nothing clipped, a screenshot."""
    import datetime as dt

    from serving.report import build_report

    _, _, publish_dir = published
    snapshot = publish_dir / SNAPSHOT_FILE
    result = build_report(snapshot, tmp_path / "report", as_of=dt.date(2020, 10, 20))
    assert result.html.name == "bao-cao-report-2020-ytd-9.html"
    page = result.html.read_text(encoding="utf-8")
    assert "Báo cáo kết quả cải cách hành chính 9 tháng đầu năm 2020" in page
    assert "Administrative reform results for the first nine months of 2020" in page
    assert "compared with January\u2009–\u2009September 2019" in page
    with duckdb.connect(str(snapshot), read_only=True) as con:
        figures = {
            indicator: (value, prior)
            for indicator, value, prior in con.execute(
                """SELECT indicator, value, prior_value FROM kpi_periodic WHERE scope = 'province'
                     AND period_type = 'ytd' AND year = 2020 AND period = 9"""
            ).fetchall()
        }
        months = con.execute(
            """SELECT year, period, value FROM kpi_periodic WHERE scope = 'province' AND period_type = 'month'
                 AND indicator = 'dossiers_received' AND year IN (2019, 2020) AND period <= 9 ORDER BY period, year"""
        ).fetchall()
    for indicator in ("dossiers_received", "online_submission_rate", "on_time_rate", "mailboxes_issued"):
        value, prior = figures[indicator]
        unit = "count" if indicator in ("dossiers_received", "mailboxes_issued") else "ratio"
        row = re.search(rf'<tr data-indicator="{indicator}">(.*?)</tr>', page, re.S).group(1)
        assert f'<td class="num value">{VI.number(value, unit)}</td>' in row, indicator
        assert f'<td class="num prior">{VI.number(prior, unit)}</td>' in row, indicator
    chart = re.search(r'<div class="panel" data-indicator="dossiers_received".*?</svg>', page.split("chart monthly")[1],
                      re.S).group(0)  # fmt: skip
    drawn = re.findall(r'data-year="(\d+)" data-month="(\d+)" data-value="([^"]+)"', chart)
    assert [(int(y), int(m), float(v)) for y, m, v in drawn] == [(y, m, v) for y, m, v in months]
    assert len(drawn) == 18
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (`make test` installs it on Debian as root)")
    from tests.test_report import LAYOUT_PROBE, chromium, screenshot

    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("</body>", LAYOUT_PROBE + "</body>"), "utf-8")
    dom = chromium(["--window-size=1280,1000", "--dump-dom", probed.as_uri()], tmp_path / "chromium").stdout
    layout = json.loads(re.search(r'data-layout="([^"]*)"', dom).group(1).replace("&quot;", '"'))
    assert layout["problems"] == [], layout
    screenshot(result.html, tmp_path / "report-sample-2020-ytd-9.png", tmp_path / "chromium")


def test_report_workbook_has_the_same_tables(published) -> None:
    from openpyxl import load_workbook

    _, _, publish_dir = published
    workbook = next((publish_dir / "report").glob("bao-cao-report-*.xlsx"))
    book = load_workbook(workbook, read_only=True)
    headline = list(book.worksheets[0].iter_rows(values_only=True))
    by_code = {row[3]: row for row in headline if row and len(row) > 3 and row[3]}
    with duckdb.connect(str(publish_dir / SNAPSHOT_FILE), read_only=True) as con:
        expected = con.execute(
            """SELECT indicator, value, prior_value FROM kpi_yearly
               WHERE scope = 'province' AND year = (SELECT max(year) FROM kpi_yearly)"""
        ).fetchall()
    for indicator, value, prior in expected:
        assert by_code[indicator][5] == pytest.approx(value) and by_code[indicator][6] == pytest.approx(prior)
    assert {"Chỉ tiêu - Indicators", "Qua các năm - Over the years", "Cơ quan - Agencies"} <= set(book.sheetnames)


def test_parkpi_report_rewrites_the_report_from_the_snapshot_alone(sample_build: Build, tmp_path: Path) -> None:
    copy = sample_build.copy(tmp_path / "build")
    root, landing, publish_dir = copy.root, copy.landing, copy.publish_dir
    page = next((publish_dir / "report").glob("bao-cao-report-*.html"))
    page.unlink()
    (root / "warehouse" / "parkpi.duckdb").rename(root / "warehouse" / "moved.duckdb")  # not needed
    try:
        run = subprocess.run([sys.executable, "-m", "orchestration.cli", "report"], cwd=PROJECT_ROOT,
                             env=parkpi_env(root, landing), capture_output=True, text=True, timeout=120)  # fmt: skip
    finally:
        (root / "warehouse" / "moved.duckdb").rename(root / "warehouse" / "parkpi.duckdb")
    assert run.returncode == 0, run.stderr
    assert page.exists() and os.path.getsize(page) > 10_000 and str(page) in run.stdout
    empty = parkpi_env(tmp_path / "nothing", landing)
    missing = subprocess.run([sys.executable, "-m", "orchestration.cli", "report"], cwd=PROJECT_ROOT,
                             env=empty, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert missing.returncode == 2 and "no published snapshot" in missing.stderr
