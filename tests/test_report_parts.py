"""The leadership report's parts (issue 13, part 3), without a page: periods, Vietnamese order,
Babel formatting, targets and flags, chart geometry. The page and the workbook are in
tests/test_report.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from serving.charts import history_chart, monthly_chart, nice_ceiling
from serving.collation import sort_vietnamese, vietnamese_sort_key
from serving.i18n import EN, VI
from serving.periods import Period, PeriodError, default_period, last_month_with_data, parse_period
from serving.report_data import AgencyRow, Figure, _flag_agencies, check_target
from tests.report_snapshot import months

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
