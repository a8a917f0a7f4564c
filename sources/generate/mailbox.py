"""Monthly mailbox reports per agency, a correction file, and bad rows (mailbox/); calibrated
to nearly 9,000 mailboxes issued in 2017."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np

from sources.generate.common import (
    MAILBOX_CALIBRATION_YEAR,
    MAILBOX_HEADER,
    MAILBOX_TARGET_RANGE,
    BadRow,
    Output,
    _thousands,
    _write_csv,
    _write_xlsx,
)
from sources.generate.procedures import NEVER, Catalog
from sources.generate.province import COMMUNE_CHAIN, DEPARTMENTS, PRE_EXISTING_FROM, Agency, dept_code

# --------------------------------------------------------------------------------------
# Mailbox reports
# --------------------------------------------------------------------------------------

# Growth of issued mailboxes relative to the end of 2017 (month index from Jan 2016), and
# the share in active use: the rollout was fast in 2016-2017 and levels off afterwards.
MAILBOX_GROWTH = ((0, 0.55), (11, 0.76), (23, 1.0), (35, 1.06), (47, 1.11), (59, 1.16))
MAILBOX_ACTIVE = ((0, 0.55), (23, 0.78), (59, 0.90))


def _interpolate(knots: tuple[tuple[int, float], ...], x: int) -> float:
    xs, ys = zip(*knots, strict=True)
    return float(np.interp(x, xs, ys))


@dataclass
class MailboxRow:
    agency: Agency
    month: tuple[int, int]
    issued: int
    active: int
    new: int
    revoked: int

    def cells(self, dotted: bool, with_name: bool) -> list[Any]:
        def number(n: int) -> Any:
            return _thousands(n) if dotted else n

        return [
            self.agency.code,
            self.agency.name if with_name else "",
            f"{self.month[1]:02d}/{self.month[0]}",
            number(self.issued),
            number(self.active),
            number(self.new),
            number(self.revoked),
        ]


def _month_end(year: int, month: int) -> date:
    return (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)


def _build_mailbox(
    catalog: Catalog, rng: np.random.Generator, years: tuple[int, int]
) -> tuple[list[MailboxRow], tuple[str, tuple[int, int]]]:
    """True monthly series per agency (issued_t = issued_t-1 + new - revoked) and the
    agency-month that is deliberately not reported."""
    first_year, last_year = years
    months = [(y, m) for y in range(first_year, last_year + 1) for m in range(1, 13)]
    base_index = (first_year - 2016) * 12
    rows: list[MailboxRow] = []
    last_issued: dict[str, int] = {}
    predecessors: dict[str, list[str]] = defaultdict(list)
    for a in catalog.agencies:
        if a.successor:
            predecessors[a.successor].append(a.code)
    # Predecessors first, so a successor can take over their mailboxes.
    order = sorted(catalog.agencies, key=lambda a: (a.valid_to or NEVER, a.code))
    for agency in order:
        size = agency.mailboxes_2017 * float(rng.uniform(0.92, 1.08))
        previous_target = size * _interpolate(MAILBOX_GROWTH, base_index - 1)
        issued = None
        for i, (y, m) in enumerate(months):
            if not agency.exists_on(_month_end(y, m)):
                continue
            t = base_index + i
            target = size * _interpolate(MAILBOX_GROWTH, t)
            revoked = int(rng.poisson(size * 0.003))
            organic = max(0, round(target - previous_target) + revoked + int(rng.integers(-2, 3)))
            previous_target = target
            if issued is None:
                taken_over = sum(last_issued.get(p, 0) for p in predecessors[agency.code])
                if agency.valid_from > PRE_EXISTING_FROM:
                    issued, new = 0, taken_over + organic  # new agency: all accounts new
                else:
                    issued, new = round(size * _interpolate(MAILBOX_GROWTH, t - 1)), organic
            else:
                # Mailboxes of agencies merged into this one move over the month after.
                moved = sum(
                    last_issued.pop(p, 0) for p in predecessors[agency.code] if _merged_before(catalog, p, (y, m))
                )
                new = organic + moved
            issued = issued + new - revoked
            share = _interpolate(MAILBOX_ACTIVE, t) + float(rng.normal(0, 0.02))
            active = min(issued, max(0, round(issued * share)))
            rows.append(MailboxRow(agency, (y, m), issued, active, new, revoked))
            last_issued[agency.code] = issued
    skipped = ("", (0, 0))
    if first_year <= MAILBOX_CALIBRATION_YEAR <= last_year:
        communes = sorted(
            {r.agency.code for r in rows if r.agency.level == "xa" and r.agency.code not in COMMUNE_CHAIN}
        )
        skip_code = communes[int(rng.integers(0, len(communes)))]
        skipped = (skip_code, (MAILBOX_CALIBRATION_YEAR, 12))
        # No activity in the month it did not report, so the series stays consistent.
        for r in rows:
            if r.agency.code == skip_code and r.month == skipped[1]:
                r.new = r.revoked = 0
        _restitch(rows, skip_code)
    return rows, skipped


def _merged_before(catalog: Catalog, code: str, month: tuple[int, int]) -> bool:
    agency = catalog.agency(code)
    return agency.valid_to is not None and agency.valid_to < date(month[0], month[1], 1)


def _restitch(rows: list[MailboxRow], code: str) -> None:
    """Recompute an agency's cumulative counts from its flows after an edit."""
    series = [r for r in rows if r.agency.code == code]
    for previous, current in zip(series, series[1:], strict=False):
        current.issued = previous.issued + current.new - current.revoked
        current.active = min(current.active, current.issued)


def _last_report_sum(rows: Iterable[MailboxRow], year: int) -> int:
    last: dict[str, MailboxRow] = {}
    for r in rows:
        seen = last.get(r.agency.code)
        if r.month[0] == year and (seen is None or r.month > seen.month):
            last[r.agency.code] = r
    return sum(r.issued for r in last.values())


def _calibrate_mailbox(rows: list[MailboxRow], skipped: tuple[str, tuple[int, int]], rng: np.random.Generator) -> int:
    """Shift the largest reporter's whole series so that the 2017 figure lands on a target
    inside "nearly 9,000"; a constant shift keeps every month's flows consistent."""
    reported = [r for r in rows if (r.agency.code, r.month) != skipped]
    target = int(rng.integers(*MAILBOX_TARGET_RANGE))
    delta = target - _last_report_sum(reported, MAILBOX_CALIBRATION_YEAR)
    largest = max(DEPARTMENTS, key=lambda d: d[3])[0]
    for r in rows:
        if r.agency.code == dept_code(largest):
            r.issued += delta
            r.active = min(r.active, r.issued)
    return target


MAILBOX_STYLE = {0: "csv_plain", 1: "xlsx", 2: "csv_dotted", 3: "xlsx", 4: "alternate"}


def _write_mailbox(out: Output, catalog: Catalog, rng: np.random.Generator, years: tuple[int, int], messy: bool) -> int:
    rows, skipped = _build_mailbox(catalog, rng, years)
    target = 0
    if skipped[0]:
        target = _calibrate_mailbox(rows, skipped, rng)
    first_year, last_year = years
    months = [(y, m) for y in range(first_year, last_year + 1) for m in range(1, 13)]
    by_month: dict[tuple[int, int], list[MailboxRow]] = defaultdict(list)
    for r in rows:
        if (r.agency.code, r.month) != skipped:
            by_month[r.month].append(r)
    order = {a.code: i for i, a in enumerate(catalog.agencies)}
    for month_rows in by_month.values():
        month_rows.sort(key=lambda r: order[r.agency.code])
    # Reports that arrive broken (messy) are the agency's only report of that month. Those
    # months get no activity whether messy or not, so the valid series stay consistent
    # across the gap and clean and messy output differ only by the broken rows.
    bad_plan = _mailbox_bad_plan(months, first_year)
    for month, picks in sorted(bad_plan.items()):
        for _rule, index in picks:
            quiet = by_month[month][index]
            quiet.new = quiet.revoked = 0
            _restitch(rows, quiet.agency.code)
    if not messy:
        bad_plan = {}

    # Corrections: the first report had wrong figures; a later file (in path order)
    # re-reports the agency-month. Wrong originals are what the correction-wins rule fixes.
    corrections: dict[tuple[int, int], tuple[str, list[MailboxRow]]] = {}
    wrong: dict[tuple[str, tuple[int, int]], MailboxRow] = {}
    late_year = first_year + 3  # a correction filed in the next month's folder
    year_pairs = [
        (
            MAILBOX_CALIBRATION_YEAR,
            12,
            f"mailbox/{MAILBOX_CALIBRATION_YEAR}/12/bao_cao_{MAILBOX_CALIBRATION_YEAR}_12_dieu_chinh.csv",
        ),
        (late_year, 3, f"mailbox/{late_year}/04/dieu_chinh_{late_year}_03.csv"),
    ]
    for y, m, path in year_pairs:
        if (y, m) not in by_month:
            continue
        month_rows = by_month[(y, m)]
        largest = [r for r in month_rows if r.agency.code == dept_code(14)]
        others = [r for r in month_rows if r.agency.code != dept_code(14)]
        fixed = largest + [others[int(i)] for i in sorted(rng.choice(len(others), 2, replace=False))]
        for k, r in enumerate(fixed):
            bump = int(rng.integers(150, 260)) if k == 0 else -int(rng.integers(20, 45))
            bad_issued = r.issued + bump
            wrong[(r.agency.code, r.month)] = MailboxRow(
                r.agency, r.month, bad_issued, min(r.active, bad_issued), r.new, r.revoked
            )
        corrections[(y, m)] = (path, fixed)

    for y, m in months:
        month_rows = by_month.get((y, m), [])
        if not month_rows:
            continue
        style = MAILBOX_STYLE[(y - first_year) % 5]
        if style == "alternate":
            style = "csv_dotted" if m % 2 else "xlsx"
        if style == "xlsx" and (y - first_year) % 5 == 3 and m == 5:
            style = "xlsx_dotted"
        ext = "xlsx" if style.startswith("xlsx") else "csv"
        path = f"mailbox/{y}/{m:02d}/bao_cao_{y}_{m:02d}.{ext}"
        written = [wrong.get((r.agency.code, r.month), r) for r in month_rows]
        table = [r.cells(dotted=style.endswith("dotted"), with_name=rng.random() > 0.05) for r in written]
        for rule, index in bad_plan.get((y, m), []):
            table[index] = _break_mailbox_cells(table[index], rule)
            out.bad.append(BadRow("mailbox", path, index + 2, BAD_MAILBOX_REASONS[rule]))
        stamp = datetime.combine(_month_end(y, m) + timedelta(days=5), time(9, 0))
        if ext == "xlsx":
            _write_xlsx(out.root / path, MAILBOX_HEADER, table, stamp=stamp)
        else:
            _write_csv(out.root / path, MAILBOX_HEADER, table, bom=False)
        out.record("mailbox", path, len(table))
    for (y, m), (path, fixed) in sorted(corrections.items()):
        table = [r.cells(dotted=True, with_name=True) for r in fixed]
        if messy and y == late_year:
            # A correction line that itself breaks the contract: the original stands.
            extra = [r for r in by_month[(y, m)] if r not in fixed][0]
            table.append(_break_mailbox_cells(extra.cells(dotted=True, with_name=True), "active_empty"))
            out.bad.append(BadRow("mailbox", path, len(table) + 1, BAD_MAILBOX_REASONS["active_empty"]))
        _write_csv(out.root / path, MAILBOX_HEADER, table, bom=False)
        out.record("mailbox", path, len(table))
    return target


BAD_MAILBOX_REASONS = {
    "month_13": "Kỳ báo cáo month 13 is not a month",
    "agency_empty": "missing required Mã đơn vị",
    "issued_letter_o": "Tổng số hộp thư đã cấp '1.2O5' is not an integer",
    "active_empty": "missing required Số hộp thư đang sử dụng",
    "month_iso": "Kỳ báo cáo as yyyy-mm, not MM/yyyy",
    "new_dash": "Cấp mới trong kỳ '-' is not an integer",
    "revoked_word": "Thu hồi trong kỳ 'hai' is not an integer",
}


def _mailbox_bad_plan(months: list[tuple[int, int]], first_year: int) -> dict[tuple[int, int], list[tuple[str, int]]]:
    # Away from the calibration year and from December, so that the 2017 figure and every
    # agency's last report month are untouched by rejects.
    picks = (
        ("month_13", 2, 3, 5),
        ("agency_empty", 2, 8, 12),
        ("issued_letter_o", 2, 11, 15),
        ("month_iso", 3, 7, 20),
        ("new_dash", 4, 5, 40),
        ("revoked_word", 4, 10, 8),
    )
    plan: dict[tuple[int, int], list[tuple[str, int]]] = defaultdict(list)
    for rule, offset, month, index in picks:
        if (first_year + offset, month) in months:
            plan[(first_year + offset, month)].append((rule, index))
    return plan


def _break_mailbox_cells(cells: list[Any], rule: str) -> list[Any]:
    cells = list(cells)
    if rule == "month_13":
        cells[2] = f"13/{cells[2][-4:]}"
    elif rule == "agency_empty":
        cells[0] = ""
    elif rule == "issued_letter_o":
        cells[3] = "1.2O5"
    elif rule == "active_empty":
        cells[4] = ""
    elif rule == "month_iso":
        cells[2] = f"{cells[2][-4:]}-{cells[2][:2]}"
    elif rule == "new_dash":
        cells[5] = "-"
    elif rule == "revoked_word":
        cells[6] = "hai"
    return cells
