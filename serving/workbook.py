"""The report's .xlsx workbook: the page's tables, as numbers Excel can compute with, shown as
the page shows them.

Cells hold numbers, never text, with a number format that matches the page: counts with
thousands separators, ratios as percentages with one decimal, days with one decimal, and a
ratio's change in percentage points (the cell holds the points, 11.6, shown "+11.6 pp"; Excel
puts its own locale's separators in). Every sheet's header is frozen; the history and the
month-by-month sheets carry native Excel bar charts of their rows.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.spreadsheet_drawing import AbsoluteAnchor
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun
from openpyxl.drawing.xdr import XDRPoint2D, XDRPositiveSize2D
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.units import cm_to_EMU
from openpyxl.worksheet.worksheet import Worksheet

from serving.i18n import EN, VI
from serving.labels import FLAGS, GROUPS, TRENDS, history_titles, titles
from serving.narrative import narrative
from serving.report_data import MONTHLY_INDICATORS, Indicator, ReportData

VALUE_FORMATS = {"count": "#,##0", "ratio": "0.0%", "days": "#,##0.0"}
CHANGE_FORMATS = {
    "count": "+#,##0;-#,##0;0",
    "ratio": '+0.0" pp";-0.0" pp";0.0" pp"',  # the cell holds percentage points
    "days": "+#,##0.0;-#,##0.0;0.0",
}
CHANGE_PCT_FORMAT = "+0.0%;-0.0%;0.0%"
GOOD = PatternFill("solid", fgColor="D7F0DD")
BAD = PatternFill("solid", fgColor="F8D7DA")
NEUTRAL = PatternFill("solid", fgColor="EEEEEE")
FILLS = {"improved": GOOD, "worsened": BAD, "unchanged": NEUTRAL}
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
CHART_COLUMNS = 3  # charts per row under a table
CHART_WIDTH_CM, CHART_HEIGHT_CM, CHART_GAP_CM = 12.0, 6.5, 0.4
POINT_EMU = 12700  # row heights are in points
DEFAULT_ROW_POINTS = 15
# the page's chart colours: bars blue, the report's own period darker, last year grey (never red)
BAR, BAR_CURRENT, BAR_PRIOR = "8FB3DC", "1F4E8C", "C3CAD3"


def value_format(unit: str) -> str:
    return VALUE_FORMATS.get(unit, VALUE_FORMATS["days"])


def target_format(better: str, unit: str) -> str:
    """A target's format says which side meets it, as the page does: "≥ 92.5%", "≤ 10.0"."""
    return f'"{"≤" if better == "lower" else "≥"} "{value_format(unit)}'


def _by_group(data: ReportData) -> list[Indicator]:
    """Indicators in the page's order: by group, then display order."""
    return [i for group in GROUPS for i in data.indicators if i.group == group] + [
        i for i in data.indicators if i.group not in GROUPS
    ]


def change_cell(change: float | None, unit: str) -> float | None:
    """What a change cell holds: points for a ratio (0.1158 -> 11.58), the change otherwise."""
    if change is None:
        return None
    return change * 100 if unit == "ratio" else change


def _header(sheet: Worksheet, values: list) -> int:
    sheet.append(values)
    row = sheet.max_row
    for cell in sheet[row]:
        cell.font = BOLD
        cell.alignment = WRAP
    return row


def _title(sheet: Worksheet, vi_text: str, en_text: str) -> None:
    sheet.append([vi_text])
    sheet.append([en_text])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"].font = Font(italic=True, color="5A6B7D")


def _place_charts(sheet: Worksheet, built: list[BarChart], below_row: int) -> None:
    """A grid of CHART_COLUMNS charts a row, under the table (positioned in EMU, so the wide
    name columns do not stretch the grid)."""
    top = sum((sheet.row_dimensions[r].height or DEFAULT_ROW_POINTS) * POINT_EMU for r in range(1, below_row + 1))
    width, height, gap = cm_to_EMU(CHART_WIDTH_CM), cm_to_EMU(CHART_HEIGHT_CM), cm_to_EMU(CHART_GAP_CM)
    for index, chart in enumerate(built):
        x = (index % CHART_COLUMNS) * (width + gap)
        y = int(top) + (index // CHART_COLUMNS) * (height + gap)
        chart.width, chart.height = CHART_WIDTH_CM, CHART_HEIGHT_CM
        sheet.add_chart(chart, AbsoluteAnchor(pos=XDRPoint2D(x, y), ext=XDRPositiveSize2D(width, height)))


def _colour(series, colour: str) -> None:
    series.graphicalProperties.solidFill = colour
    series.graphicalProperties.line.solidFill = colour


def _chart_title(text: str, size: int = 1000) -> Title:
    """A title in 10-point bold (the default 14 points wraps an indicator's name twice)."""
    properties = CharacterProperties(sz=size, b=True)
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=properties), r=[RegularTextRun(rPr=properties, t=text)])
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


def _bar_chart(indicator: Indicator) -> BarChart:
    chart = BarChart()
    chart.type = "col"
    chart.title = _chart_title(indicator.name_vi)
    chart.y_axis.numFmt = "0%" if indicator.unit == "ratio" else value_format(indicator.unit)
    chart.y_axis.scaling.min = 0  # bars start at zero
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    return chart


# ---------------------------------------------------------------------------------- sheets


def _headline(book: Workbook, data: ReportData, province: str) -> None:
    period, prior = data.period, data.period.same_period_last_year
    sheet = book.active
    sheet.title = "Chỉ tiêu - Indicators"
    title_vi, title_en = titles(period)
    _title(sheet, f"{title_vi} — tỉnh {province}", f"{title_en} — {province} province")
    sheet.append([f"Kỳ báo cáo: {VI.month_range(period)}, so sánh với {VI.month_range(prior)}"])
    sheet.append([f"Period: {EN.month_range(period)}, compared with {EN.month_range(prior)}"])
    has_targets = bool(data.province_targets)
    header = [
        "Nhóm / Group", "Chỉ tiêu", "Indicator", "Mã / Code", "Đơn vị / Unit",
        f"{VI.period_short(period)} / {EN.period_short(period)}",
        f"{VI.period_short(prior)} / {EN.period_short(prior)}",
        "Thay đổi / Change (pp: điểm phần trăm / percentage points)", "Thay đổi % / Change %", "Đánh giá / Trend",
    ]  # fmt: skip
    if has_targets:
        header += [f"Kế hoạch năm {period.year} / {period.year} target", "Đạt kế hoạch / Target met"]
    header_row = _header(sheet, header)
    for indicator in _by_group(data):
        figure = data.figure(indicator.code)
        check = data.province_targets.get(indicator.code)
        row = [
            GROUPS.get(indicator.group, (indicator.group, ""))[0],
            indicator.name_vi,
            indicator.name_en,
            indicator.code,
            indicator.unit,
            figure.value,
            figure.prior,
            change_cell(figure.change, indicator.unit),
            figure.change_pct if indicator.unit != "ratio" else None,
            " / ".join(TRENDS[figure.trend]) if figure.trend in TRENDS else None,
        ]
        if has_targets:
            row += [check.target if check else None, _met_text(check)]
        sheet.append(row)
        number = sheet.max_row
        for column in "FG":
            sheet[f"{column}{number}"].number_format = value_format(indicator.unit)
        sheet[f"H{number}"].number_format = CHANGE_FORMATS.get(indicator.unit, CHANGE_FORMATS["days"])
        sheet[f"I{number}"].number_format = CHANGE_PCT_FORMAT
        if figure.trend in FILLS:
            sheet[f"J{number}"].fill = FILLS[figure.trend]
        if has_targets and check:
            sheet[f"K{number}"].number_format = target_format(check.better, indicator.unit)
            if check.met is not None:
                sheet[f"L{number}"].fill = GOOD if check.met else BAD
    narrative_vi, narrative_en = narrative(data, province)
    sheet.append([])
    for text in (narrative_vi, narrative_en):
        sheet.append([text])
        sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=len(header))
        sheet.cell(sheet.max_row, 1).alignment = WRAP
        sheet.row_dimensions[sheet.max_row].height = 15 * (1 + len(text) // 150)
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    sheet.row_dimensions[header_row].height = 60
    for column, width in zip("ABCDEFGHIJKL", (26, 44, 38, 28, 8, 14, 14, 20, 12, 18, 16, 18), strict=True):
        sheet.column_dimensions[column].width = width


def _met_text(check) -> str | None:
    if check is None:
        return None
    if check.met is True:
        return "Đạt / met"
    if check.met is False:
        return "Chưa đạt / not met"
    if check.progress is not None:
        return f"{VI.percent(check.progress)} KH năm / {EN.percent(check.progress)} of the year's target"
    return None


def _history(book: Workbook, data: ReportData) -> None:
    sheet = book.create_sheet("Qua các năm - Over the years")
    _title(sheet, *history_titles(data.period))
    years = sorted({year for points in data.history.values() for year, _ in points})
    header_row = _header(sheet, ["Chỉ tiêu", "Indicator", "Mã / Code", *years])
    built = []
    for indicator in _by_group(data):
        values = dict(data.history.get(indicator.code, []))
        sheet.append([indicator.name_vi, indicator.name_en, indicator.code, *(values.get(y) for y in years)])
        row = sheet.max_row
        for cell in sheet[row][3:]:
            cell.number_format = value_format(indicator.unit)
        if years:
            chart = _bar_chart(indicator)
            chart.add_data(Reference(sheet, min_col=4, max_col=3 + len(years), min_row=row), from_rows=True)
            chart.set_categories(Reference(sheet, min_col=4, max_col=3 + len(years), min_row=header_row))
            chart.legend = None
            (series,) = chart.series
            _colour(series, BAR)
            if data.period.year in years:
                current = DataPoint(idx=years.index(data.period.year))
                current.graphicalProperties.solidFill = BAR_CURRENT
                series.dPt.append(current)
            built.append(chart)
    sheet.freeze_panes = sheet.cell(header_row + 1, 4)
    sheet.column_dimensions["A"].width = 44
    sheet.column_dimensions["B"].width = 36
    sheet.column_dimensions["C"].width = 28
    _place_charts(sheet, built, sheet.max_row + 2)


def _monthly(book: Workbook, data: ReportData) -> None:
    if data.monthly is None:
        return
    period = data.period
    sheet = book.create_sheet("Theo tháng - By month")
    _title(
        sheet,
        f"Theo tháng: năm {period.year} so với năm {period.year - 1}",
        f"Month by month: {period.year} against {period.year - 1}",
    )
    months = list(range(1, period.last_month + 1))
    header_row = _header(sheet, ["Chỉ tiêu", "Indicator", "Mã / Code", "Năm / Year", *months])
    built = []
    for code in MONTHLY_INDICATORS:
        indicator = data.indicator(code)
        if indicator is None:
            continue
        series = data.monthly.get(code, {})
        for year in (period.year - 1, period.year):
            values = series.get(year, {})
            sheet.append([indicator.name_vi, indicator.name_en, code, year, *(values.get(m) for m in months)])
            for cell in sheet[sheet.max_row][4:]:
                cell.number_format = value_format(indicator.unit)
        chart = _bar_chart(indicator)
        last = sheet.max_row
        chart.add_data(
            Reference(sheet, min_col=4, max_col=4 + len(months), min_row=last - 1, max_row=last),
            from_rows=True,
            titles_from_data=True,
        )
        chart.set_categories(Reference(sheet, min_col=5, max_col=4 + len(months), min_row=header_row))
        chart.legend.position = "b"
        for series, colour in zip(chart.series, (BAR_PRIOR, BAR_CURRENT), strict=True):
            _colour(series, colour)
        built.append(chart)
    sheet.freeze_panes = sheet.cell(header_row + 1, 5)
    sheet.column_dimensions["A"].width = 44
    sheet.column_dimensions["B"].width = 36
    sheet.column_dimensions["C"].width = 28
    _place_charts(sheet, built, sheet.max_row + 2)


def _agencies(book: Workbook, data: ReportData) -> None:
    period = data.period
    sheet = book.create_sheet("Cơ quan - Agencies")
    _title(sheet, f"Theo cơ quan, {VI.period_name(period)}", f"By agency, {EN.period_name(period)} (today's structure)")
    indicators = [data.indicator(code) for code in data.agency_columns if data.indicator(code)]
    header = ["Cơ quan / Agency", "Mã / Code"]
    for indicator in indicators:
        header.append(f"{indicator.name_vi} / {indicator.name_en}")
        if indicator.code in data.agency_target_columns:
            header += [f"Kế hoạch / Target: {indicator.name_vi}", "Đạt / Met"]
    header.append("Cần chú ý / Needs attention")
    header_row = _header(sheet, header)
    for agency in data.agencies:
        row: list = [agency.name, agency.code]
        formats: dict[int, str] = {}
        fills: dict[int, PatternFill] = {}
        for indicator in indicators:
            figure = agency.figures.get(indicator.code)
            row.append(figure.value if figure else None)
            formats[len(row)] = value_format(indicator.unit)
            if indicator.code in agency.flags:
                fills[len(row)] = BAD
            if indicator.code in data.agency_target_columns:
                check = agency.targets.get(indicator.code)
                row.append(check.target if check else None)
                formats[len(row)] = target_format(check.better if check else "", indicator.unit)
                row.append(_met_text(check))
                if check is not None and check.met is not None:
                    fills[len(row)] = GOOD if check.met else BAD
        row.append("; ".join(" / ".join(FLAGS[flag]) for flag in agency.flags) or None)
        if agency.flags:
            fills[len(row)] = BAD
        sheet.append(row)
        for column, number_format in formats.items():
            sheet.cell(sheet.max_row, column).number_format = number_format
        for column, fill in fills.items():
            sheet.cell(sheet.max_row, column).fill = fill
    sheet.freeze_panes = sheet.cell(header_row + 1, 2)
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(header))}{sheet.max_row}"
    sheet.column_dimensions["A"].width = 44
    sheet.column_dimensions["B"].width = 15
    for column in range(3, len(header) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 16
    sheet.row_dimensions[header_row].height = 90
    sheet.column_dimensions[get_column_letter(len(header))].width = 40


def _overdue(book: Workbook, data: ReportData) -> None:
    """Every overdue open dossier at the period's end, by agency (the page's lists), to hand on."""
    if data.overdue is None:
        return
    period = data.period
    sheet = book.create_sheet("Quá hạn - Overdue")
    _title(
        sheet,
        f"Hồ sơ quá hạn chưa giải quyết đến hết ngày {VI.date(period.end)}",
        f"Overdue open dossiers at the end of {EN.date(period.end)}",
    )
    header = [
        "Cơ quan / Agency", "Mã cơ quan / Agency code", "Mã hồ sơ / Dossier", "Mã thủ tục / Procedure code",
        "Thủ tục / Procedure", "Ngày tiếp nhận / Received", "Hạn giải quyết / Due", "Số ngày quá hạn / Days overdue",
    ]  # fmt: skip
    header_row = _header(sheet, header)
    row = header_row  # counted here: openpyxl's max_row looks at every cell (25k rows took 4 minutes)
    for agency in data.overdue:
        for d in agency.dossiers:
            sheet.append([agency.agency_name, agency.agency_code, d.dossier_code, d.procedure_code, d.procedure_name,
                          d.received_at, d.due_at, d.days_overdue])  # fmt: skip
            row += 1
            sheet.cell(row, 6).number_format = "dd/mm/yyyy hh:mm"
            sheet.cell(row, 7).number_format = "dd/mm/yyyy hh:mm"
        if agency.more:
            command = f"parkpi explain overdue_open_at_year_end {period.slug} --scope {agency.agency_code}"
            sheet.append([agency.agency_name, agency.agency_code,
                          f"… {VI.number(agency.more, 'count')} hồ sơ khác / other dossiers: {command}"])  # fmt: skip
            row += 1
    sheet.freeze_panes = sheet.cell(header_row + 1, 3)
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(header))}{row}"
    for column, width in zip("ABCDEFGH", (40, 16, 28, 14, 50, 17, 17, 12), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.row_dimensions[header_row].height = 30


def _printable(sheet: Worksheet) -> None:
    """Printed landscape, one page wide: the tables are wide and get printed for meetings."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0


def write_workbook(data: ReportData, province: str, path: Path) -> None:
    book = Workbook()
    _headline(book, data, province)
    _history(book, data)
    _monthly(book, data)
    _agencies(book, data)
    _overdue(book, data)
    for sheet in book.worksheets:
        _printable(sheet)
    book.save(path)
