"""The leadership report: one self-contained HTML page and an .xlsx workbook for the latest
year, in Vietnamese with English alongside, built from the *published* snapshot only.

- headline indicators (province): value, prior year, change, coloured by the trend;
- a chart per indicator group over all years (SVG drawn in the page from embedded data, no
  network needed);
- a per-agency table (today's structure);
- a short narrative paragraph generated from the figures, in the style of the department's
  own year-end reports.

``build_report(snapshot, out_dir)`` is what the publish step and `parkpi report` call.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

TEMPLATE = Path(__file__).with_name("report_template.html")
DEFAULT_PROVINCE = "Lạng Sơn"

GROUPS = {
    "catalog": ("Dịch vụ công trực tuyến", "Online public services"),
    "portal": ("Tiếp nhận và giải quyết hồ sơ", "Dossier intake and processing"),
    "postal": ("Dịch vụ bưu chính công ích", "Public postal service"),
    "mailbox": ("Hộp thư điện tử công vụ", "Official mailboxes"),
}
TRENDS = {
    "improved": ("cải thiện", "improved"),
    "worsened": ("giảm sút", "worsened"),
    "unchanged": ("không đổi", "unchanged"),
}
AGENCY_COLUMNS = (
    "dossiers_received",
    "online_submission_rate",
    "on_time_rate",
    "postal_return_rate",
    "mailboxes_issued",
)


@dataclass(frozen=True)
class Indicator:
    code: str
    name_vi: str
    name_en: str
    unit: str
    better: str
    group: str


@dataclass
class ReportResult:
    year: int
    html: Path
    xlsx: Path


# ---------------------------------------------------------------------------------- numbers


def fmt(value: float | None, unit: str, lang: str = "en", *, signed: bool = False) -> str:
    """8,904 / 8.904; ratios as percentages 42.3% / 42,3%; days with one decimal."""
    if value is None:
        return "–"
    if unit == "ratio":
        text = f"{value * 100:{'+' if signed else ''}.1f}" + (" pp" if signed else "%")
    elif unit == "count":
        text = f"{value:{'+' if signed else ''},.0f}"
    else:
        text = f"{value:{'+' if signed else ''},.1f}"
    if lang == "vi":  # Vietnamese: '.' groups thousands, ',' marks decimals
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def _change_words(change: float | None, unit: str, lang: str) -> str:
    if change is None:
        return ""
    if change == 0:
        return "không đổi" if lang == "vi" else "unchanged"
    size = fmt(abs(change), unit, lang)
    if unit == "ratio":
        size = size.replace("%", " điểm phần trăm" if lang == "vi" else " percentage points")
    if lang == "vi":
        return f"{'tăng' if change > 0 else 'giảm'} {size}"
    return f"{'up' if change > 0 else 'down'} {size}"


# ------------------------------------------------------------------------------------ data


def _load(con: duckdb.DuckDBPyConnection) -> dict:
    indicators = [
        Indicator(*row)
        for row in con.execute(
            """SELECT indicator, name_vi, name_en, unit, better, indicator_group
               FROM main.dim_indicators ORDER BY display_order"""
        ).fetchall()
    ]
    province = con.execute(
        """SELECT indicator, year, value, prior_value, change_abs, change_pct, trend
           FROM main.kpi_yearly WHERE scope = 'province' AND scope_code = 'ALL' ORDER BY year"""
    ).fetchall()
    if not province:
        raise ValueError("the snapshot has no province figures in kpi_yearly: nothing to report")
    year = max(row[1] for row in province)
    series: dict[str, list[dict]] = {}
    latest: dict[str, tuple] = {}
    for indicator, y, value, prior, change, change_pct, trend in province:
        series.setdefault(indicator, []).append({"year": y, "value": value})
        if y == year:
            latest[indicator] = (value, prior, change, change_pct, trend)
    placeholders = ", ".join("?" for _ in AGENCY_COLUMNS)
    agency_rows = con.execute(
        f"""SELECT k.scope_code, coalesce(a.current_agency_name, a.agency_name, k.scope_code), k.indicator, k.value
            FROM main.kpi_yearly k LEFT JOIN main.dim_agencies a ON a.agency_code = k.scope_code
            WHERE k.scope = 'agency' AND k.year = ? AND k.indicator IN ({placeholders})
            ORDER BY 2, 1""",
        [year, *AGENCY_COLUMNS],
    ).fetchall()
    agencies: dict[str, dict] = {}
    for code, name, indicator, value in agency_rows:
        agencies.setdefault(code, {"code": code, "name": name, "values": {}})["values"][indicator] = value
    meta = con.execute("SELECT max(snapshot_id), max(published_at) FROM main._snapshot").fetchone()
    return {
        "year": year,
        "indicators": indicators,
        "series": series,
        "latest": latest,
        "agencies": sorted(agencies.values(), key=lambda a: (a["name"] or "", a["code"])),
        "snapshot_id": meta[0],
        "published_at": meta[1],
    }


# ------------------------------------------------------------------------------- narrative


def narrative(data: dict, province: str) -> tuple[str, str]:
    """The year-end paragraph, from the figures, in Vietnamese and in English."""
    year = data["year"]
    latest = data["latest"]

    def value(code: str) -> float | None:
        return latest.get(code, (None,) * 5)[0]

    def change(code: str) -> float | None:
        return latest.get(code, (None,) * 5)[2]

    def prior(code: str) -> float | None:
        return latest.get(code, (None,) * 5)[1]

    vi: list[str] = []
    en: list[str] = []
    level3, level4 = value("online_services_level3"), value("online_services_level4")
    if level3 is not None:
        part_vi = f"Năm {year}, toàn tỉnh {province} có {fmt(level3, 'count', 'vi')} dịch vụ công trực tuyến mức độ 3"
        part_en = f"In {year} the province of {province} had {fmt(level3, 'count')} online public services at level 3"
        if level4 is not None:
            part_vi += f" và {fmt(level4, 'count', 'vi')} dịch vụ mức độ 4"
            part_en += f" and {fmt(level4, 'count')} at level 4"
        part_vi += " đang có hiệu lực"
        part_en += " in force"
        if change("online_services_level3") is not None:
            level3_vi = _change_words(change("online_services_level3"), "count", "vi")
            level3_en = _change_words(change("online_services_level3"), "count", "en")
            part_vi += f" (mức độ 3 {level3_vi} so với năm {year - 1}"
            part_en += f" (level 3 {level3_en} on {year - 1}"
            if change("online_services_level4") is not None:
                part_vi += f", mức độ 4 {_change_words(change('online_services_level4'), 'count', 'vi')}"
                part_en += f", level 4 {_change_words(change('online_services_level4'), 'count', 'en')}"
            part_vi += ")"
            part_en += ")"
        vi.append(part_vi + ".")
        en.append(part_en + ".")
    received = value("dossiers_received")
    if received is not None:
        part_vi = f"Các cơ quan, đơn vị đã tiếp nhận {fmt(received, 'count', 'vi')} hồ sơ thủ tục hành chính"
        part_en = f"Agencies received {fmt(received, 'count')} administrative dossiers"
        if change("dossiers_received") is not None:
            part_vi += f" ({_change_words(change('dossiers_received'), 'count', 'vi')} hồ sơ)"
            part_en += f" ({_change_words(change('dossiers_received'), 'count', 'en')})"
        online = value("online_submission_rate")
        if online is not None:
            part_vi += f", trong đó {fmt(online, 'ratio', 'vi')} hồ sơ được nộp trực tuyến"
            part_en += f", {fmt(online, 'ratio')} of them submitted online"
            if prior("online_submission_rate") is not None:
                part_vi += f" (năm {year - 1}: {fmt(prior('online_submission_rate'), 'ratio', 'vi')})"
                part_en += f" ({year - 1}: {fmt(prior('online_submission_rate'), 'ratio')})"
        on_time = value("on_time_rate")
        if on_time is not None:
            part_vi += f"; {fmt(on_time, 'ratio', 'vi')} hồ sơ được giải quyết đúng hạn"
            part_en += f"; {fmt(on_time, 'ratio')} were processed on time"
        vi.append(part_vi + ".")
        en.append(part_en + ".")
    shipments = value("postal_result_shipments")
    if shipments is not None:
        vi.append(f"{fmt(shipments, 'count', 'vi')} kết quả giải quyết được trả qua dịch vụ bưu chính công ích.")
        en.append(f"{fmt(shipments, 'count')} results were returned through the public postal service.")
    mailboxes = value("mailboxes_issued")
    if mailboxes is not None:
        part_vi = f"Đến cuối năm, đã cấp {fmt(mailboxes, 'count', 'vi')} hộp thư điện tử công vụ"
        part_en = f"By the end of the year {fmt(mailboxes, 'count')} official mailboxes had been issued"
        if change("mailboxes_issued") is not None:
            part_vi += f", {_change_words(change('mailboxes_issued'), 'count', 'vi')} hộp thư so với năm {year - 1}"
            part_en += f", {_change_words(change('mailboxes_issued'), 'count', 'en')} on {year - 1}"
        vi.append(part_vi + ".")
        en.append(part_en + ".")
    return " ".join(vi), " ".join(en)


# ------------------------------------------------------------------------------------ HTML


def _headline_rows(data: dict) -> str:
    rows = []
    for group, (title_vi, title_en) in GROUPS.items():
        members = [i for i in data["indicators"] if i.group == group]
        if not members:
            continue
        rows.append(
            f'<tr class="group"><th colspan="6">{html.escape(title_vi)} <span class="en">/ {title_en}</span></th></tr>'
        )
        for indicator in members:
            value, prior, change, change_pct, trend = data["latest"].get(indicator.code, (None,) * 5)
            vi_trend, en_trend = TRENDS.get(trend, ("", ""))
            pct = f" ({change_pct * 100:+.1f}%)" if change_pct is not None and indicator.unit != "ratio" else ""
            change_text = fmt(change, indicator.unit, "vi", signed=True) if change is not None else "–"
            rows.append(
                f'<tr class="trend-{trend or "none"}" data-indicator="{indicator.code}">'
                f'<td>{html.escape(indicator.name_vi)}<br><span class="en">{html.escape(indicator.name_en)}</span></td>'
                f'<td class="num">{fmt(value, indicator.unit, "vi")}</td>'
                f'<td class="num">{fmt(prior, indicator.unit, "vi")}</td>'
                f'<td class="num">{change_text}{pct}</td>'
                f'<td>{vi_trend}<br><span class="en">{en_trend}</span></td>'
                f'<td class="code">{indicator.code}</td></tr>'
            )
    return "\n".join(rows)


def _agency_table(data: dict) -> str:
    units = {i.code: i for i in data["indicators"]}
    head = "".join(
        f'<th>{html.escape(units[c].name_vi)}<br><span class="en">{html.escape(units[c].name_en)}</span></th>'
        for c in AGENCY_COLUMNS
        if c in units
    )
    body = []
    for agency in data["agencies"]:
        cells = "".join(
            f'<td class="num">{fmt(agency["values"].get(c), units[c].unit, "vi")}</td>'
            for c in AGENCY_COLUMNS
            if c in units
        )
        body.append(f'<tr><td>{html.escape(agency["name"])}</td><td class="code">{agency["code"]}</td>{cells}</tr>')
    return (
        f'<table class="agencies"><thead><tr><th>Cơ quan<br><span class="en">Agency</span></th>'
        f'<th>Mã<br><span class="en">Code</span></th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


def _chart_data(data: dict) -> list[dict]:
    charts = []
    for group, (title_vi, title_en) in GROUPS.items():
        members = [i for i in data["indicators"] if i.group == group]
        if members:
            charts.append(
                {
                    "group": group,
                    "title_vi": title_vi,
                    "title_en": title_en,
                    "indicators": [
                        {
                            "code": i.code,
                            "name_vi": i.name_vi,
                            "name_en": i.name_en,
                            "unit": i.unit,
                            "series": data["series"].get(i.code, []),
                        }
                        for i in members
                    ],
                }
            )
    return charts


def render_html(data: dict, province: str) -> str:
    narrative_vi, narrative_en = narrative(data, province)
    charts = _chart_data(data)
    # "</" must not end the script element early
    payload = json.dumps(charts, ensure_ascii=False).replace("</", "<\\/")
    replacements = {
        "__YEAR__": str(data["year"]),
        "__PRIOR_YEAR__": str(data["year"] - 1),
        "__PROVINCE__": html.escape(province),
        "__NARRATIVE_VI__": html.escape(narrative_vi),
        "__NARRATIVE_EN__": html.escape(narrative_en),
        "__HEADLINE_ROWS__": _headline_rows(data),
        "__AGENCY_TABLE__": _agency_table(data),
        "__CHART_CONTAINERS__": "\n".join(
            f'<figure class="chart" data-group="{c["group"]}"><figcaption>{html.escape(c["title_vi"])} '
            f'<span class="en">/ {c["title_en"]}</span></figcaption></figure>'
            for c in charts
        ),
        "__CHART_DATA__": payload,
        "__SNAPSHOT__": html.escape(str(data["snapshot_id"])),
        "__PUBLISHED_AT__": html.escape(str(data["published_at"])),
        "__GENERATED_AT__": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
    }
    page = TEMPLATE.read_text(encoding="utf-8")
    for key, value in replacements.items():
        page = page.replace(key, value)
    return page


# ------------------------------------------------------------------------------------ xlsx


def write_xlsx(data: dict, province: str, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    fills = {
        "improved": PatternFill("solid", fgColor="D7F0DD"),
        "worsened": PatternFill("solid", fgColor="F8D7DA"),
        "unchanged": PatternFill("solid", fgColor="EEEEEE"),
    }
    year = data["year"]
    book = Workbook()
    sheet = book.active
    sheet.title = f"Chỉ tiêu {year}"
    sheet.append([f"Báo cáo cải cách hành chính năm {year} — tỉnh {province}"])
    sheet.append([f"Administrative reform report {year} — {province} province"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append(
        [
            "Nhóm / Group",
            "Chỉ tiêu",
            "Indicator",
            "Mã / Code",
            "Đơn vị / Unit",
            f"{year}",
            f"{year - 1}",
            "Thay đổi / Change",
            "Thay đổi % / Change %",
            "Xu hướng / Trend",
        ]
    )
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for indicator in data["indicators"]:
        value, prior, change, change_pct, trend = data["latest"].get(indicator.code, (None,) * 5)
        sheet.append(
            [
                GROUPS.get(indicator.group, (indicator.group, ""))[0],
                indicator.name_vi,
                indicator.name_en,
                indicator.code,
                indicator.unit,
                value,
                prior,
                change,
                change_pct,
                " / ".join(TRENDS[trend]) if trend in TRENDS else None,
            ]
        )
        row = sheet.max_row
        if indicator.unit == "ratio":
            for column in "FGH":
                sheet[f"{column}{row}"].number_format = "0.0%"
        sheet[f"I{row}"].number_format = "0.0%"
        if trend in fills:
            sheet[f"J{row}"].fill = fills[trend]
    narrative_vi, narrative_en = narrative(data, province)
    sheet.append([])
    sheet.append([narrative_vi])
    sheet.append([narrative_en])
    sheet.column_dimensions["B"].width = 48
    sheet.column_dimensions["C"].width = 40

    years = sorted({point["year"] for points in data["series"].values() for point in points})
    by_year = book.create_sheet("Theo năm - By year")
    by_year.append(["Chỉ tiêu", "Indicator", "Mã / Code", *years])
    for indicator in data["indicators"]:
        values = {point["year"]: point["value"] for point in data["series"].get(indicator.code, [])}
        by_year.append([indicator.name_vi, indicator.name_en, indicator.code, *(values.get(y) for y in years)])
        if indicator.unit == "ratio":
            for cell in by_year[by_year.max_row][3:]:
                cell.number_format = "0.0%"
    by_year.column_dimensions["A"].width = 48

    agencies = book.create_sheet(f"Cơ quan {year} - Agencies")
    names = {i.code: i for i in data["indicators"]}
    columns = [c for c in AGENCY_COLUMNS if c in names]
    agencies.append(["Cơ quan / Agency", "Mã / Code", *(f"{names[c].name_vi} / {names[c].name_en}" for c in columns)])
    for agency in data["agencies"]:
        agencies.append([agency["name"], agency["code"], *(agency["values"].get(c) for c in columns)])
        for offset, code in enumerate(columns):
            if names[code].unit == "ratio":
                agencies.cell(agencies.max_row, 3 + offset).number_format = "0.0%"
    agencies.column_dimensions["A"].width = 44
    book.save(path)


# --------------------------------------------------------------------------------- build


def _write_atomically(path: Path, write) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def build_report(snapshot: Path, out_dir: Path, *, province: str = DEFAULT_PROVINCE) -> ReportResult:
    """Write report-<year>.html and report-<year>.xlsx (and index.html, the latest) into out_dir,
    reading only the published snapshot."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        data = _load(con)
    out_dir.mkdir(parents=True, exist_ok=True)
    year = data["year"]
    page = render_html(data, province)
    html_path = out_dir / f"bao-cao-report-{year}.html"
    xlsx_path = out_dir / f"bao-cao-report-{year}.xlsx"
    _write_atomically(html_path, lambda p: p.write_text(page, encoding="utf-8"))
    _write_atomically(xlsx_path, lambda p: write_xlsx(data, province, p))
    _write_atomically(out_dir / "index.html", lambda p: p.write_text(page, encoding="utf-8"))
    return ReportResult(year, html_path, xlsx_path)
