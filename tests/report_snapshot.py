"""A small published snapshot made by hand for the report tests: the tables the report reads
(``dim_indicators``, ``dim_agencies``, ``kpi_yearly``, ``kpi_periodic``, ``kpi_targets``,
``_snapshot``) with the columns of docs/indicators.md, from monthly figures per agency that the
test chooses.

The figures are made consistent the way the contract makes them: a period's count is the sum of
its months, a ratio the ratio of the sums, a stock (overdue at the end, services in force,
mailboxes issued) the figure of the period's last month with data; ``prior_value`` is the same
period of the year before; ``kpi_yearly`` is the ``ytd`` 12 rows; ``kpi_targets`` is joined to
``kpi_yearly`` by the contract's rule. This is not the dbt project: it only gives the report
tables whose relations are right and whose figures a test knows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

# (code, name_vi, name_en, unit, better, group)
INDICATORS = (
    ("dossiers_received", "Số hồ sơ tiếp nhận", "Dossiers received", "count", "–", "portal"),
    ("online_submission_rate", "Tỷ lệ hồ sơ nộp trực tuyến", "Online submission rate", "ratio", "higher", "portal"),
    ("dossiers_finished", "Số hồ sơ đã giải quyết", "Dossiers finished", "count", "–", "portal"),
    ("on_time_rate", "Tỷ lệ hồ sơ giải quyết đúng hạn", "On-time rate", "ratio", "higher", "portal"),
    ("avg_processing_days", "Thời gian giải quyết trung bình (ngày)", "Average processing time (days)", "days",
     "lower", "portal"),
    ("overdue_open_at_year_end", "Số hồ sơ quá hạn chưa giải quyết cuối năm", "Overdue open dossiers at year end",
     "count", "lower", "portal"),
    ("online_services_level3", "Số dịch vụ công trực tuyến mức độ 3", "Online public services at level 3", "count",
     "higher", "catalog"),
    ("mailboxes_issued", "Số hộp thư điện tử công vụ đã cấp", "Official mailboxes issued", "count", "higher",
     "mailbox"),
)  # fmt: skip
BETTER = {code: better for code, _, _, _, better, _ in INDICATORS}
AGENCIES = {
    "000.00.35.H33": "UBND huyện Bình Gia",
    "000.00.36.H33": "UBND huyện Bắc Sơn",
    "000.00.41.H33": "UBND huyện Đình Lập",
    "000.00.34.H33": "UBND huyện Văn Quan",
    "000.00.07.H33": "Sở Giao thông vận tải",
}
SNAPSHOT_ID = "20201020T080000-test"


@dataclass(frozen=True)
class Month:
    """One agency's figures for one month."""

    received: int
    online: int
    finished: int
    on_time: int
    processing_days: float  # total over the finished dossiers
    overdue_at_end: int
    mailboxes: int


def sample_month(agency_index: int, year: int, month: int) -> Month:
    """Figures that differ by agency, grow from year to year and move within the year."""
    received = 40 + 10 * agency_index + 3 * month + 12 * (year - 2019)
    finished = received - 2 - agency_index
    on_time = finished - (agency_index * 3 + month % 3) - (2 if year == 2019 else 0)
    return Month(
        received=received,
        online=received * (20 + 5 * (year - 2019) + month) // 100,
        finished=finished,
        on_time=on_time,
        processing_days=finished * (8.0 + agency_index * 0.7 + month / 10),
        overdue_at_end=agency_index * 2 + (month % 4),
        mailboxes=100 + 20 * agency_index + month + 30 * (year - 2019),
    )


def _figures(months: list[dict[str, Month]], level3: list[int], scope_code: str) -> dict[str, float | None]:
    """The indicators over a window, from its months with data (oldest first)."""
    if scope_code == "ALL":
        rows = [Month(*(sum(getattr(x, f) for x in m.values()) for f in Month.__dataclass_fields__)) for m in months]
    else:
        rows = [m[scope_code] for m in months if scope_code in m]
    if not rows:
        return {}
    received = sum(r.received for r in rows)
    finished = sum(r.finished for r in rows)
    figures = {
        "dossiers_received": float(received),
        "online_submission_rate": sum(r.online for r in rows) / received if received else None,
        "dossiers_finished": float(finished),
        "on_time_rate": sum(r.on_time for r in rows) / finished if finished else None,
        "avg_processing_days": sum(r.processing_days for r in rows) / finished if finished else None,
        "overdue_open_at_year_end": float(rows[-1].overdue_at_end),
        "mailboxes_issued": float(rows[-1].mailboxes),
    }
    if scope_code == "ALL":
        figures["online_services_level3"] = float(level3[-1])
    return figures


def _change(code: str, value: float | None, prior: float | None) -> tuple:
    change = None if value is None or prior is None else value - prior
    change_pct = None if change is None or not prior else change / prior
    trend = None
    if change is not None and BETTER[code] != "–":
        if change == 0:
            trend = "unchanged"
        else:
            trend = "improved" if (change > 0) == (BETTER[code] == "higher") else "worsened"
    return prior, change, change_pct, trend


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """Rows a few hundred at a time (executemany runs one statement per row)."""
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        values = ", ".join("(" + ", ".join("?" for _ in chunk[0]) + ")" for _ in chunk)
        con.execute(f"INSERT INTO {table} VALUES {values}", [value for row in chunk for value in row])


def build_snapshot(
    path: Path,
    months_with_data: Iterable[tuple[int, int]],
    *,
    targets: Iterable[tuple[int, str, str, float]] = (),
    agencies: dict[str, str] = AGENCIES,
    periodic: bool = True,
    month_figures=sample_month,
) -> Path:
    """Write a snapshot at path. ``targets``: (year, scope_code, indicator, target), ``ALL`` for
    the province. ``periodic=False`` leaves out ``kpi_periodic`` (a snapshot from before it)."""
    data: dict[tuple[int, int], dict[str, Month]] = {}
    for year, month in sorted(set(months_with_data)):
        data[(year, month)] = {code: month_figures(index, year, month) for index, code in enumerate(agencies)}
    years = sorted({year for year, _ in data})
    windows = [("month", m, [m]) for m in range(1, 13)]
    windows += [("quarter", q, list(range(3 * q - 2, 3 * q + 1))) for q in range(1, 5)]
    windows += [("ytd", m, list(range(1, m + 1))) for m in range(1, 13)]
    values: dict[tuple, float | None] = {}  # (period_type, year, period, scope_code, indicator) -> value
    for year in years:
        for period_type, period, window in windows:
            inside = [data[(year, m)] for m in window if (year, m) in data]
            if not inside:
                continue
            level3 = [100 + 5 * (year - 2015) + m for m in window if (year, m) in data]
            for scope_code in ["ALL", *agencies]:
                for indicator, value in _figures(inside, level3, scope_code).items():
                    values[(period_type, year, period, scope_code, indicator)] = value
    periodic_rows = []
    for (period_type, year, period, scope_code, indicator), value in sorted(values.items()):
        window = next(w for t, p, w in windows if t == period_type and p == period)
        end_month = window[-1]
        end = (dt.date(year + (end_month == 12), end_month % 12 + 1, 1)) - dt.timedelta(days=1)
        prior = values.get((period_type, year - 1, period, scope_code, indicator))
        periodic_rows.append(
            (period_type, year, period, dt.date(year, window[0], 1), end,
             "province" if scope_code == "ALL" else "agency", scope_code, indicator, value,
             *_change(indicator, value, prior))
        )  # fmt: skip
    yearly_rows = [(row[1], *row[5:]) for row in periodic_rows if row[0] == "ytd" and row[2] == 12]
    yearly = {(row[0], row[2], row[3]): row[4] for row in yearly_rows}
    target_rows = []
    for year, scope_code, indicator, target in targets:
        value = yearly.get((year, scope_code, indicator))
        met = None if value is None else (value <= target if BETTER[indicator] == "lower" else value >= target)
        target_rows.append(
            (year, "province" if scope_code == "ALL" else "agency", scope_code, indicator, target, value,
             None if value is None else value - target, met)
        )  # fmt: skip

    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute(
            """CREATE TABLE dim_indicators (indicator VARCHAR, name_vi VARCHAR, name_en VARCHAR, unit VARCHAR,
                 better VARCHAR, indicator_group VARCHAR, display_order INTEGER)"""
        )
        con.executemany(
            "INSERT INTO dim_indicators VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(*row, order) for order, row in enumerate(INDICATORS, start=1)],
        )
        con.execute("CREATE TABLE dim_agencies (agency_code VARCHAR, agency_name VARCHAR, current_agency_name VARCHAR)")
        con.executemany("INSERT INTO dim_agencies VALUES (?, ?, ?)", [(c, n, n) for c, n in agencies.items()])
        kpi = """scope VARCHAR, scope_code VARCHAR, indicator VARCHAR, value DOUBLE, prior_value DOUBLE,
                 change_abs DOUBLE, change_pct DOUBLE, trend VARCHAR"""
        con.execute(f"CREATE TABLE kpi_yearly (year INTEGER, {kpi})")
        _insert(con, "kpi_yearly", yearly_rows)
        tables = ["dim_indicators", "dim_agencies", "kpi_yearly"]
        if periodic:
            con.execute(
                f"""CREATE TABLE kpi_periodic (period_type VARCHAR, year INTEGER, period INTEGER, period_start DATE,
                      period_end DATE, {kpi})"""
            )
            _insert(con, "kpi_periodic", periodic_rows)
            tables.append("kpi_periodic")
        con.execute(
            """CREATE TABLE kpi_targets (year INTEGER, scope VARCHAR, scope_code VARCHAR, indicator VARCHAR,
                 target DOUBLE, value DOUBLE, gap DOUBLE, target_met BOOLEAN)"""
        )
        _insert(con, "kpi_targets", target_rows)
        tables.append("kpi_targets")
        con.execute(
            """CREATE TABLE _snapshot (snapshot_id VARCHAR, published_at TIMESTAMP, run_id VARCHAR,
                 table_name VARCHAR, row_count BIGINT)"""
        )
        for table in tables:
            count = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            con.execute(
                "INSERT INTO _snapshot VALUES (?, ?, 'test-run', ?, ?)",
                [SNAPSHOT_ID, dt.datetime(2020, 10, 20, 8, 0), table, count],
            )
    return path


def months(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    """Every (year, month) from first to last, inclusive."""
    result, (year, month) = [], first
    while (year, month) <= last:
        result.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result
