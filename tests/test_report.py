"""The leadership report (issue 13, part 3): periods, Vietnamese order, Babel formatting, the page
and the workbook on a snapshot made in the test, and the page in headless Chromium.

The report on the real sample is in tests/test_publish.py (it needs a full `parkpi run`).
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

from serving.charts import history_chart, monthly_chart, nice_ceiling
from serving.collation import sort_vietnamese, vietnamese_sort_key
from serving.i18n import EN, VI
from serving.periods import Period, PeriodError, default_period, last_month_with_data, parse_period
from serving.report import build_report
from serving.report_data import (
    AgencyRow,
    Figure,
    ReportError,
    _flag_agencies,
    check_target,
    load,
)
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


# ------------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020", ("ytd", 2020, 12)),
        (" 2020 ", ("ytd", 2020, 12)),
        ("2020-Q3", ("quarter", 2020, 3)),
        ("2020-q1", ("quarter", 2020, 1)),
        ("2020-07", ("month", 2020, 7)),
        ("2020-7", ("month", 2020, 7)),
        ("2020-12", ("month", 2020, 12)),
        ("2020-ytd-9", ("ytd", 2020, 9)),
        ("2020-YTD-12", ("ytd", 2020, 12)),
    ],
)
def test_parse_period_reads_the_four_forms(text: str, expected: tuple) -> None:
    period = parse_period(text)
    assert (period.period_type, period.year, period.period) == expected
    assert parse_period(period.slug) == period  # the slug reads back


@pytest.mark.parametrize(
    ("text", "english", "vietnamese"),
    [
        ("", "no period given", "chưa nhập kỳ báo cáo"),
        ("2020-13", "month 13 does not exist", "không có tháng 13"),
        ("2020-00", "month 0 does not exist", "không có tháng 0"),
        ("2020-Q5", "quarter 5 does not exist", "không có quý 5"),
        ("2020-ytd-0", "month 0 does not exist", "không có tháng 0"),
        ("2020-H1", "cannot read the period '2020-H1'", "không đọc được kỳ báo cáo '2020-H1'"),
        ("Q3-2020", "cannot read the period", "không đọc được kỳ báo cáo"),
        ("20201", "cannot read the period", "không đọc được kỳ báo cáo"),
    ],
)
def test_parse_period_explains_what_is_wrong_in_both_languages(text: str, english: str, vietnamese: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(text)
    assert english in caught.value.en and vietnamese in caught.value.vi
    assert caught.value.en in str(caught.value) and caught.value.vi in str(caught.value)
    if "cannot read" in english:
        assert "2020-Q3" in caught.value.en and "2020-ytd-9" in caught.value.vi  # says what would be read


def test_period_windows() -> None:
    assert (parse_period("2020-Q1").start, parse_period("2020-Q1").end) == (dt.date(2020, 1, 1), dt.date(2020, 3, 31))
    assert parse_period("2020-02").end == dt.date(2020, 2, 29) and parse_period("2019-02").end == dt.date(2019, 2, 28)
    assert (parse_period("2020-ytd-9").start, parse_period("2020-ytd-9").end) == (
        dt.date(2020, 1, 1),
        dt.date(2020, 9, 30),
    )
    assert list(parse_period("2020-Q3").months) == [7, 8, 9]
    assert parse_period("2020-Q3").same_period_last_year == Period("quarter", 2019, 3)
    assert parse_period("2020").is_annual and not parse_period("2020-ytd-11").is_annual


def test_the_default_period_is_the_year_to_date_through_the_last_ended_month_with_data() -> None:
    data = months((2019, 1), (2020, 10))
    assert default_period(data, dt.date(2020, 10, 20)) == Period("ytd", 2020, 9)
    assert default_period(data, dt.date(2020, 10, 1)) == Period("ytd", 2020, 9)  # September ended at 23:59:59
    assert default_period(data, dt.date(2020, 9, 30)) == Period("ytd", 2020, 8)  # September has not ended
    assert default_period(data, dt.date(2021, 3, 1)) == Period("ytd", 2020, 10)  # no data after October
    assert default_period(data, dt.date(2020, 1, 15)) == Period("ytd", 2019, 12)  # December: the annual report
    assert default_period(data, dt.date(2019, 1, 31)) is None
    gap = [m for m in data if m != (2020, 9)]
    assert last_month_with_data(gap, dt.date(2020, 10, 20)) == (2020, 8)


# ----------------------------------------------------------------------------- collation


def test_vietnamese_order_of_agency_names() -> None:
    names = ["UBND huyện Văn Quan", "UBND huyện Đình Lập", "UBND huyện Bình Gia", "UBND huyện Bắc Sơn",
             "UBND huyện Cao Lộc", "UBND huyện Chi Lăng", "UBND huyện Dương Đông"]  # fmt: skip
    assert sort_vietnamese(names) == [
        "UBND huyện Bắc Sơn",
        "UBND huyện Bình Gia",
        "UBND huyện Cao Lộc",
        "UBND huyện Chi Lăng",
        "UBND huyện Dương Đông",
        "UBND huyện Đình Lập",
        "UBND huyện Văn Quan",
    ]
    assert sorted(names) != sort_vietnamese(names)  # character codes get it wrong


def test_vietnamese_alphabet_and_tones() -> None:
    alphabet = "a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y".split()
    assert sort_vietnamese(reversed(alphabet)) == alphabet
    tones = ["a", "à", "ả", "ã", "á", "ạ"]  # none, huyền, hỏi, ngã, sắc, nặng
    assert sort_vietnamese(reversed(tones)) == tones
    # letters first, tones only between otherwise equal letters
    assert sort_vietnamese(["ác", "ă", "ab", "ạ"]) == ["ạ", "ab", "ác", "ă"]
    assert sort_vietnamese(["Ơn", "Ôn", "On", "Ân", "Ăn", "An"]) == ["An", "Ăn", "Ân", "On", "Ôn", "Ơn"]
    assert sort_vietnamese(["Đa", "Da", "Ea"]) == ["Da", "Đa", "Ea"]
    # syllable by syllable: a shorter syllable first, every "giao ..." before any "giáo ..."
    assert sort_vietnamese(["Bình Giang", "Bình Gia"]) == ["Bình Gia", "Bình Giang"]
    assert sort_vietnamese(["Sở Giáo dục", "Sở Giao thông"]) == ["Sở Giao thông", "Sở Giáo dục"]
    assert sort_vietnamese(["Phường 10", "Phường 2"]) == ["Phường 2", "Phường 10"]
    # composed and decomposed spellings sort alike; case only breaks ties
    decomposed = "Bi\u0300nh Gia"
    assert vietnamese_sort_key(decomposed)[:2] == vietnamese_sort_key("Bình Gia")[:2]
    assert sort_vietnamese(["bắc", "Bắc"]) == ["bắc", "Bắc"]


# ------------------------------------------------------------------------------- formats


def test_one_locale_per_language() -> None:
    assert (VI.number(12345.678, "count"), EN.number(12345.678, "count")) == ("12.346", "12,346")
    assert (VI.number(0.4231, "ratio"), EN.number(0.4231, "ratio")) == ("42,3%", "42.3%")
    assert (VI.number(9.838977981438404, "days"), EN.number(9.838977981438404, "days")) == ("9,8", "9.8")
    assert (VI.change(0.1158, "ratio"), EN.change(0.1158, "ratio")) == ("+11,6 pp", "+11.6 pp")
    assert (VI.change(-1234, "count"), EN.change(-1234, "count")) == ("-1.234", "-1,234")
    assert (VI.change_pct(0.413), EN.change_pct(0.413)) == ("+41,3%", "+41.3%")
    assert VI.change(-0.0001, "days") == "-0,0" and VI.change(0, "days") == "0,0"  # as Excel's "+0.0;-0.0;0.0"
    assert VI.number(None, "count") == "–" and VI.change(None, "ratio") == "–"
    assert VI.points(-0.028, "ratio") == "2,8 điểm phần trăm" and EN.points(0.028, "ratio") == "2.8 percentage points"


def test_period_names_in_both_languages() -> None:
    ytd9, annual, q3, july = (parse_period(p) for p in ("2020-ytd-9", "2020", "2020-Q3", "2020-07"))
    assert VI.period_name(ytd9) == "9 tháng đầu năm 2020" and EN.period_name(ytd9) == "the first nine months of 2020"
    assert VI.period_name(annual) == "năm 2020" and EN.period_name(annual) == "2020"
    assert VI.period_name(q3) == "quý III năm 2020" and EN.period_name(q3) == "the third quarter of 2020"
    assert VI.period_name(july) == "tháng 7 năm 2020" and EN.period_name(july) == "July 2020"
    assert EN.month_range(ytd9.same_period_last_year) == "January\u2009–\u2009September 2019"
    assert VI.month_range(ytd9.same_period_last_year) == "tháng 1\u2009–\u2009tháng 9 năm 2019"
    assert VI.compared_with(ytd9) == "so với cùng kỳ năm 2019" and VI.compared_with(annual) == "so với năm 2019"


# -------------------------------------------------------------------------- targets, flags


def test_target_rule_follows_the_contract() -> None:
    annual, ytd9 = parse_period("2020"), parse_period("2020-ytd-9")
    assert check_target(0.9, 0.91, "higher", "on_time_rate", annual).met is True
    assert check_target(0.9, 0.9, "higher", "on_time_rate", annual).met is True  # at the target is met
    assert check_target(9.0, 9.5, "lower", "avg_processing_days", annual).met is False
    assert check_target(9.0, 9.0, "lower", "avg_processing_days", annual).met is True
    assert check_target(5000, 5200, "–", "dossiers_received", annual).met is True  # volumes: at least
    assert check_target(0.9, None, "higher", "on_time_rate", annual).met is None
    # nine months of a flow are not held against a year's target: how far along instead
    partial = check_target(5000, 3915, "–", "dossiers_received", ytd9)
    assert partial.met is None and partial.progress == pytest.approx(0.783)
    assert check_target(0.9, 0.91, "higher", "on_time_rate", ytd9).met is True  # a share can be met so far


def test_flags_the_lowest_on_time_shares_and_the_most_overdue() -> None:
    def agency(code: str, on_time: float | None, finished: float, overdue: float) -> AgencyRow:
        figures = {"on_time_rate": Figure(on_time), "dossiers_finished": Figure(finished),
                   "overdue_open_at_year_end": Figure(overdue)}  # fmt: skip
        return AgencyRow(code, code, figures)

    agencies = [
        agency("A", 0.50, 4, 0),  # lowest share, but only 4 dossiers finished: not flagged for it
        agency("B", 0.70, 50, 9),
        agency("C", 0.80, 50, 9),
        agency("D", 0.85, 50, 7),
        agency("E", 0.85, 50, 7),  # tied with D at the boundary: both flagged
        agency("F", 0.95, 50, 1),
        agency("G", None, 0, 0),
    ]
    _flag_agencies(agencies)
    flagged = {a.code: a.flags for a in agencies}
    assert [code for code, flags in flagged.items() if "on_time_rate" in flags] == ["B", "C", "D", "E"]
    assert [code for code, flags in flagged.items() if "overdue_open_at_year_end" in flags] == ["B", "C", "D", "E"]
    assert flagged["A"] == [] and flagged["G"] == []


# ----------------------------------------------------------------------------------- charts


def test_chart_geometry() -> None:
    assert [nice_ceiling(v) for v in (0, 0.42, 7, 9.5, 11, 230, 1167)] == [1.0, 0.5, 10, 10, 20, 250, 2000]
    chart = history_chart("x", "vi", "en", "ratio", [(2018, 0.2), (2019, None), (2020, 0.4)], 2020, VI)
    assert [bar.data["year"] for bar in chart.bars] == [2018, 2020]
    assert [bar.css for bar in chart.bars] == ["bar", "bar current"]
    assert chart.bars[1].label == "40,0%" and chart.bars[1].y >= 16  # the label above it stays inside
    monthly = monthly_chart("x", "vi", "en", "count", [1, 2, 3], 2020, {1: 5, 2: 6}, {1: 4, 2: 4, 3: 8}, VI)
    assert [(b.data["year"], b.data["month"]) for b in monthly.bars] == [(2019, 1), (2020, 1), (2019, 2), (2020, 2),
                                                                          (2019, 3)]  # fmt: skip
    assert all(0 <= bar.y and bar.y + bar.height <= monthly.height for bar in monthly.bars)


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
