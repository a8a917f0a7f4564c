"""The leadership report (issue 13, part 3): the page and the workbook on a snapshot made in the
test, and the page in headless Chromium. Its parts (periods, Vietnamese order, Babel formatting,
targets, charts) are in tests/test_report_parts.py.

The report on the real sample is in tests/test_publish_report.py (it needs a full `parkpi run`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from serving.collation import vietnamese_sort_key
from serving.i18n import EN, VI
from serving.periods import Period, PeriodError, parse_period
from serving.report import build_report
from serving.report_data import ReportError, load
from tests.report_snapshot import AGENCIES, build_snapshot, months

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
]  # fmt: skip
TARGETS = [
    (2020, "ALL", "on_time_rate", 0.90),
    (2020, "ALL", "online_submission_rate", 0.30),
    (2020, "ALL", "avg_processing_days", 9.0),
    (2020, "ALL", "dossiers_received", 5000.0),
    (2020, "000.00.35.H33", "on_time_rate", 0.95),
    (2020, "000.00.07.H33", "on_time_rate", 0.90),
]


# ------------------------------------------------------------------------ page and workbook


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """January 2019 to October 2020, with province and agency targets for 2020."""
    folder = tmp_path_factory.mktemp("report_snapshot")
    return build_snapshot(folder / "kpi.duckdb", months((2019, 1), (2020, 10)), targets=TARGETS)


@pytest.fixture(scope="module")
def mid_year(snapshot: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("mid_year_report")
    return build_report(snapshot, out, as_of=dt.date(2020, 10, 20)), out


def province(snapshot: Path, period_type: str, year: int, period: int) -> dict[str, tuple]:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        rows = con.execute(
            """SELECT indicator, value, prior_value, change_abs FROM kpi_periodic
               WHERE scope = 'province' AND period_type = ? AND year = ? AND period = ?""",
            [period_type, year, period],
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_a_report_made_in_october_covers_the_first_nine_months(mid_year, snapshot: Path) -> None:
    result, out = mid_year
    assert result.period == Period("ytd", 2020, 9) and result.year == 2020
    assert result.html.name == "bao-cao-report-2020-ytd-9.html" and result.xlsx.name == "bao-cao-report-2020-ytd-9.xlsx"
    page = result.html.read_text(encoding="utf-8")
    assert (out / "index.html").read_text(encoding="utf-8") == page
    assert "Báo cáo kết quả cải cách hành chính 9 tháng đầu năm 2020" in page
    assert "Administrative reform results for the first nine months of 2020" in page
    assert "so sánh với tháng 1\u2009–\u2009tháng 9 năm 2019" in page
    assert "compared with January\u2009–\u2009September 2019" in page
    figures = province(snapshot, "ytd", 2020, 9)
    received, received_prior, received_change = figures["dossiers_received"]
    narrative_vi = re.search(r'id="narrative-vi"[^>]*>(.*?)</p>', page, re.S).group(1)
    narrative_en = re.search(r'id="narrative-en"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert f"Trong 9 tháng đầu năm 2020, các cơ quan, đơn vị đã tiếp nhận {VI.number(received, 'count')} hồ sơ" in (
        narrative_vi
    )
    assert f"tăng {VI.number(received_change, 'count')} hồ sơ" in narrative_vi
    assert "so với cùng kỳ năm 2019" in narrative_vi and "so với năm 2019" not in narrative_vi
    assert f"In the first nine months of 2020, agencies received {EN.number(received, 'count')}" in narrative_en
    assert "on the same period of 2019" in narrative_en
    # the headline row holds the nine months of both years, in Vietnamese notation only
    row = re.search(r'<tr data-indicator="dossiers_received">(.*?)</tr>', page, re.S).group(1)
    assert f'<td class="num value">{VI.number(received, "count")}</td>' in row
    assert f'<td class="num prior">{VI.number(received_prior, "count")}</td>' in row
    on_time_row = re.search(r'<tr data-indicator="on_time_rate">(.*?)</tr>', page, re.S).group(1)
    change_cell = re.search(r'class="num change">(.*?)</td>', on_time_row).group(1)
    assert re.fullmatch(r"[+-]\d+,\d pp", change_cell), change_cell
    for cell in re.findall(r'class="num change">(.*?)</td>', page):
        assert not re.search(r"\d\.\d(?!\d\d)", cell), f"an English decimal point in {cell}"


def test_the_mid_year_report_compares_month_by_month_and_with_targets(mid_year, snapshot: Path) -> None:
    result, _ = mid_year
    page = result.html.read_text(encoding="utf-8")
    monthly = re.search(r'<figure class="chart monthly".*?</figure>', page, re.S).group(0)
    bars = re.findall(r'data-year="(\d+)" data-month="(\d+)" data-value="([^"]+)"', monthly)
    received_bars = re.search(r'data-indicator="dossiers_received".*?</svg>', monthly, re.S).group(0)
    months_drawn = re.findall(r'data-year="(\d+)" data-month="(\d+)" data-value="([^"]+)"', received_bars)
    assert [(int(y), int(m)) for y, m, _ in months_drawn] == [(y, m) for m in range(1, 10) for y in (2019, 2020)]
    for year, month, value in months_drawn:
        assert float(value) == province(snapshot, "month", int(year), int(month))["dossiers_received"][0]
    assert len(bars) >= 18
    # targets: on-time met, online submission not met, a flow before December shows progress
    for code, met in (("on_time_rate", "yes"), ("online_submission_rate", "no"), ("dossiers_received", "pending")):
        row = re.search(rf'<tr data-indicator="{code}">(.*?)</tr>', page, re.S).group(1)
        assert f'data-met="{met}"' in row, code
    value = province(snapshot, "ytd", 2020, 9)
    assert (value["on_time_rate"][0] >= 0.90, value["online_submission_rate"][0] >= 0.30) == (True, False)


def test_agency_table_in_vietnamese_order_with_flags_and_targets(mid_year) -> None:
    result, _ = mid_year
    page = result.html.read_text(encoding="utf-8")
    table = re.search(r'<table class="agencies".*?</table>', page, re.S).group(0)
    names = re.findall(r'<tr data-agency="[^"]+"[^>]*>\s*<td data-sort-value="\d+">([^<]+)<br>', table)
    assert names == ["Sở Giao thông vận tải", "UBND huyện Bắc Sơn", "UBND huyện Bình Gia", "UBND huyện Đình Lập",
                     "UBND huyện Văn Quan"]  # fmt: skip
    assert table.count('data-flag="on_time_rate"') == 3 and table.count('data-flag="overdue_open_at_year_end"') == 3
    assert re.search(r'data-target-of="on_time_rate" data-met="(yes|no)"', table)
    # the target column sits right after its indicator
    headers = re.findall(r"<th[^>]*?(?:data-indicator|data-target-of)=\"([^\"]+)\"", table)
    assert headers[headers.index("on_time_rate") + 1] == "on_time_rate"


@pytest.mark.parametrize(
    ("period", "title_vi", "title_en", "prior"),
    [
        ("2020-Q3", "quý III năm 2020", "the third quarter of 2020", "tháng 7\u2009–\u2009tháng 9 năm 2019"),
        ("2020-07", "tháng 7 năm 2020", "July 2020", "tháng 7 năm 2019"),
        ("2020-ytd-6", "6 tháng đầu năm 2020", "the first six months of 2020", "tháng 1\u2009–\u2009tháng 6 năm 2019"),
        ("2019", "năm 2019", "2019", "năm 2018"),
    ],
)
def test_any_period_on_request(snapshot: Path, tmp_path: Path, period: str, title_vi: str, title_en: str,
                               prior: str) -> None:  # fmt: skip
    (tmp_path / "index.html").write_text("the latest report", encoding="utf-8")
    result = build_report(snapshot, tmp_path, period=period)
    assert result.html.name == f"bao-cao-report-{period}.html" and result.xlsx.exists()
    page = result.html.read_text(encoding="utf-8")
    assert f"Báo cáo kết quả cải cách hành chính {title_vi}" in page
    assert f"Administrative reform results for {title_en}" in page
    assert f"so sánh với {prior}" in page
    assert (tmp_path / "index.html").read_text(encoding="utf-8") == "the latest report"  # only the default


def test_periods_the_snapshot_cannot_give(snapshot: Path, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no province figures for 2031-Q1"):
        build_report(snapshot, tmp_path, period="2031-Q1")
    with pytest.raises(PeriodError):
        build_report(snapshot, tmp_path, period="2020-13")
    with pytest.raises(ReportError, match="ended before 2019-01-31"):
        build_report(snapshot, tmp_path, as_of=dt.date(2019, 1, 31))
    old = build_snapshot(tmp_path / "old.duckdb", months((2019, 1), (2020, 12)), periodic=False)
    with pytest.raises(ReportError, match="no kpi_periodic"):
        build_report(old, tmp_path, period="2020-Q3")
    # a snapshot from before kpi_periodic still gives the annual report, without monthly charts
    result = build_report(old, tmp_path / "old", as_of=dt.date(2021, 1, 15))
    page = result.html.read_text(encoding="utf-8")
    assert result.period == parse_period("2020") and 'id="no-monthly"' in page and "năm 2020" in page


def test_text_from_the_snapshot_is_escaped(tmp_path: Path) -> None:
    hostile = {"000.00.35.H33": '<script>alert("x")</script> & Co', **dict(list(AGENCIES.items())[1:])}
    snap = build_snapshot(tmp_path / "kpi.duckdb", months((2019, 1), (2020, 12)), agencies=hostile)
    page = build_report(snap, tmp_path / "out", period="2020").html.read_text(encoding="utf-8")
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in page


def test_workbook_shows_what_the_page_shows(mid_year, snapshot: Path) -> None:
    from openpyxl import load_workbook

    result, _ = mid_year
    book = load_workbook(result.xlsx)
    assert book.sheetnames == ["Chỉ tiêu - Indicators", "Qua các năm - Over the years", "Theo tháng - By month",
                               "Cơ quan - Agencies"]  # fmt: skip
    sheet = book["Chỉ tiêu - Indicators"]
    assert "9 tháng đầu năm 2020" in sheet["A1"].value and "first nine months of 2020" in sheet["A2"].value
    rows = {row[3].value: row for row in sheet.iter_rows() if len(row) > 3 and row[3].value in {
        "dossiers_received", "on_time_rate", "avg_processing_days"}}  # fmt: skip
    figures = province(snapshot, "ytd", 2020, 9)
    on_time = rows["on_time_rate"]
    assert on_time[5].value == pytest.approx(figures["on_time_rate"][0]) and on_time[5].number_format == "0.0%"
    # a ratio's change is in percentage points, shown as such: "+4.2 pp", not "4.2%"
    assert on_time[7].value == pytest.approx(figures["on_time_rate"][2] * 100)
    assert on_time[7].number_format.startswith('+0.0" pp"')
    assert on_time[8].value is None  # no percentage of a percentage
    assert rows["avg_processing_days"][5].number_format == "#,##0.0"
    assert rows["dossiers_received"][5].number_format == "#,##0"
    assert rows["dossiers_received"][7].number_format.startswith("+#,##0")
    assert rows["on_time_rate"][11].value.startswith("Đạt") and rows["dossiers_received"][11].value.startswith("78")
    assert rows["on_time_rate"][10].value == 0.9 and rows["on_time_rate"][10].number_format == '"≥ "0.0%'
    assert rows["avg_processing_days"][10].number_format == '"≤ "#,##0.0'
    # the same rows in the same order as the page
    page = result.html.read_text(encoding="utf-8")
    page_order = re.findall(r'<tr data-indicator="([^"]+)">', page.split('<table class="headline">')[1])
    sheet_order = [row[3].value for row in sheet.iter_rows() if row[3].value in set(page_order)]
    assert sheet_order == page_order
    header_row = next(row[0].row for row in sheet.iter_rows() if row[0].value == "Nhóm / Group")
    assert sheet.freeze_panes == f"A{header_row + 1}"
    for name in ("Qua các năm - Over the years", "Theo tháng - By month", "Cơ quan - Agencies"):
        assert book[name].freeze_panes is not None, name
    assert len(book["Qua các năm - Over the years"]._charts) == 8
    assert len(book["Theo tháng - By month"]._charts) == 5  # the monthly indicators this snapshot has
    # last year grey, this year blue; no red bar anywhere; bars from zero
    for chart in book["Theo tháng - By month"]._charts:
        assert [series.graphicalProperties.solidFill.srgbClr for series in chart.series] == ["C3CAD3", "1F4E8C"]
        assert chart.y_axis.scaling.min == 0
    for chart in book["Qua các năm - Over the years"]._charts:
        (series,) = chart.series
        assert series.graphicalProperties.solidFill.srgbClr == "8FB3DC"
        assert [point.graphicalProperties.solidFill.srgbClr for point in series.dPt] == ["1F4E8C"]
    assert all(sheet.page_setup.fitToWidth == 1 for sheet in book.worksheets)
    agencies = [row[0].value for row in book["Cơ quan - Agencies"].iter_rows(min_row=4) if row[0].value]
    assert agencies == ["Sở Giao thông vận tải", "UBND huyện Bắc Sơn", "UBND huyện Bình Gia", "UBND huyện Đình Lập",
                        "UBND huyện Văn Quan"]  # fmt: skip


def test_load_reads_the_same_period_of_each_year(snapshot: Path) -> None:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        data = load(con, parse_period("2020-Q3"))
        annual = load(con, parse_period("2019"))
    # part of a year speaks of the period, not the year
    assert data.indicator("overdue_open_at_year_end").name_vi == "Số hồ sơ quá hạn chưa giải quyết cuối kỳ"
    assert data.indicator("overdue_open_at_year_end").name_en == "Overdue open dossiers at the end of the period"
    assert annual.indicator("overdue_open_at_year_end").name_vi == "Số hồ sơ quá hạn chưa giải quyết cuối năm"
    assert [year for year, _ in data.history["dossiers_received"]] == [2019, 2020]
    assert data.history["dossiers_received"][-1][1] == data.figure("dossiers_received").value
    assert data.figure("dossiers_received").prior == data.history["dossiers_received"][0][1]
    assert sorted(data.monthly["on_time_rate"]) == [2019, 2020] and sorted(data.monthly["on_time_rate"][2020]) == list(
        range(1, 10)
    )


# ----------------------------------------------------------------------------------- Chromium

LAYOUT_PROBE = """
<script>
window.addEventListener("load", function () {
  var problems = [];
  document.querySelectorAll(".panel .label, figcaption, h1, h2, th, td").forEach(function (el) {
    if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1) {
      problems.push("clipped: " + el.textContent.trim().slice(0, 60));
    }
  });
  document.querySelectorAll("svg.chart-svg").forEach(function (svg) {
    var box = svg.viewBox.baseVal;
    svg.querySelectorAll("text, rect").forEach(function (item) {
      var b = item.getBBox();
      if (b.x < box.x - 0.5 || b.y < box.y - 0.5 || b.x + b.width > box.x + box.width + 0.5 ||
          b.y + b.height > box.y + box.height + 0.5) {
        problems.push("outside its chart: " + (item.textContent || item.getAttribute("class")));
      }
    });
  });
  var panels = document.querySelectorAll(".panel");
  var widest = 0;
  panels.forEach(function (p) { widest = Math.max(widest, p.getBoundingClientRect().right); });
  if (widest > document.documentElement.clientWidth + 1) { problems.push("panels wider than the page"); }
  document.body.setAttribute("data-layout", JSON.stringify({problems: problems, panels: panels.length}));
});
</script>
"""


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def screenshot(page: Path, png: Path, profile: Path, *, width: int = 1280, height: int = 5200) -> Path:
    """The whole page as a PNG (look at it: tests/test_report.py keeps them under the test's tmp
    folder, and REPORT_SCREENSHOTS=<folder> copies them there)."""
    chromium([f"--window-size={width},{height}", f"--screenshot={png}", page.as_uri()], profile)
    assert png.exists() and png.stat().st_size > 50_000, "Chromium wrote no screenshot"
    import os

    keep = os.environ.get("REPORT_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / png.name)
    return png


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (`make test-setup` installs it)")
@pytest.mark.parametrize("width", [1280, 820])
def test_mid_year_report_lays_out_in_chromium(mid_year, tmp_path: Path, width: int) -> None:
    result, _ = mid_year
    probed = tmp_path / "probed.html"
    probed.write_text(result.html.read_text(encoding="utf-8").replace("</body>", LAYOUT_PROBE + "</body>"), "utf-8")
    dom = chromium([f"--window-size={width},1000", "--dump-dom", probed.as_uri()], tmp_path / "profile").stdout
    layout = json.loads(re.search(r"data-layout=\"([^\"]*)\"", dom).group(1).replace("&quot;", '"'))
    assert layout["problems"] == [] and layout["panels"] > 10, layout
    screenshot(result.html, tmp_path / f"report-2020-ytd-9-{width}.png", tmp_path / "profile", width=width)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (`make test-setup` installs it)")
def test_agency_table_sorts_in_chromium(mid_year, snapshot: Path, tmp_path: Path) -> None:
    result, _ = mid_year
    page = result.html.read_text(encoding="utf-8")
    headers = re.findall(r"<th[^>]*data-sort=[^>]*>", re.search(r'<table class="agencies".*?</thead>', page, re.S)[0])
    column = next(i for i, th in enumerate(headers) if 'data-indicator="on_time_rate"' in th)
    with duckdb.connect(str(snapshot), read_only=True) as con:
        expected = [code for code, _ in con.execute(
            """SELECT scope_code, value FROM kpi_periodic WHERE scope = 'agency' AND indicator = 'on_time_rate'
                 AND period_type = 'ytd' AND year = 2020 AND period = 9 ORDER BY value DESC"""
        ).fetchall()]  # fmt: skip
    dom = chromium(["--dump-dom", f"{result.html.as_uri()}#sort={column}-desc"], tmp_path / "profile").stdout
    table = re.search(r'<table class="agencies".*?</table>', dom, re.S).group(0)
    assert re.findall(r'<tr data-agency="([^"]+)"', table) == expected
    assert f'data-sorted="{column}-desc"' in table and 'aria-sort="descending"' in table
    dom = chromium(["--dump-dom", f"{result.html.as_uri()}#sort=0-desc"], tmp_path / "profile").stdout
    table = re.search(r'<table class="agencies".*?</table>', dom, re.S).group(0)
    by_name = sorted(AGENCIES, key=lambda code: vietnamese_sort_key(AGENCIES[code]), reverse=True)
    assert re.findall(r'<tr data-agency="([^"]+)"', table) == by_name
