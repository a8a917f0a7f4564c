"""Postal shipments of results and submissions, their re-exports and bad rows (postal/)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from sources.generate.common import (
    DELIVERED,
    FAILED,
    IN_TRANSIT,
    POSTAL_HEADER,
    RETURNED,
    SERVICE_RESULT,
    SERVICE_SUBMISSION,
    BadRow,
    Output,
    _thousands,
    _write_csv,
    _write_xlsx,
    office_time,
)
from sources.generate.portal import Dossier
from sources.generate.province import dept_code

# --------------------------------------------------------------------------------------
# Postal shipments
# --------------------------------------------------------------------------------------


@dataclass
class Shipment:
    waybill: str
    dossier: str
    service: str
    agency: str
    accepted: datetime
    fee: int | None
    states: list[tuple[datetime, str]]  # final states as they happen: (when, status)

    def state_at(self, moment: datetime) -> tuple[str, datetime | None]:
        current: tuple[str, datetime | None] = (IN_TRANSIT, None)
        for when, status in self.states:
            if when <= moment:
                current = (status, when)
        return current


class WaybillMaker:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self, prefixes: Sequence[str]) -> str:
        while True:
            prefix = prefixes[int(self.rng.integers(0, len(prefixes)))]
            code = f"{prefix}{int(self.rng.integers(0, 1_000_000_000)):09d}VN"
            if code not in self.used:
                self.used.add(code)
                return code


def _postal_delivery(rng: np.random.Generator, accepted: datetime) -> list[tuple[datetime, str]]:
    def later(days_low: int, days_high: int, base: datetime) -> datetime:
        day = base.date() + timedelta(days=int(rng.integers(days_low, days_high + 1)))
        if day.weekday() == 6:  # no delivery rounds on Sundays
            day += timedelta(days=1)
        moment = datetime.combine(day, office_time(rng))
        return max(moment, base + timedelta(hours=2))

    roll = rng.random()
    first = later(1, 4, accepted)
    if roll < 0.915:
        return [(first, DELIVERED)]
    if roll < 0.94:
        return [(first, FAILED), (later(1, 3, first), DELIVERED)]
    if roll < 0.955:
        return [(first, FAILED), (later(7, 20, first), RETURNED)]  # held, then sent back
    if roll < 0.97:
        return [(first, FAILED)]
    if roll < 0.98:
        return [(later(6, 12, accepted), RETURNED)]
    return [(later(10, 25, accepted), DELIVERED)]  # slow: in transit across exports


def _build_shipments(dossiers: list[Dossier], rng: np.random.Generator, cutoff: datetime) -> list[Shipment]:
    make = WaybillMaker(rng)
    shipments: list[Shipment] = []
    for d in dossiers:
        received = next((e.at for e in d.events if e.status == 2), None)
        if d.channel == 3:
            first = d.events[0].at
            reached = received or first
            accepted = datetime.combine(reached.date() - timedelta(days=int(rng.integers(1, 4))), office_time(rng))
            delivered = reached - timedelta(minutes=int(rng.integers(5, 120)))
            shipments.append(
                Shipment(
                    make(("RA", "RB")),
                    d.code,
                    SERVICE_SUBMISSION,
                    d.agency.code,
                    accepted,
                    int(rng.choice([18000, 20000, 22000, 25000])),
                    [(delivered, DELIVERED)],
                )
            )
        returned = [e for e in d.events if e.status == 10]
        modes = [e.return_mode for e in d.events if e.return_mode is not None]
        if returned and modes and modes[-1] == 1:
            accepted = returned[0].at + timedelta(minutes=int(rng.integers(10, 240)))
            if accepted > cutoff:
                continue
            shipments.append(
                Shipment(
                    make(("EB", "EE", "EL")),
                    d.code,
                    SERVICE_RESULT,
                    d.agency.code,
                    accepted,
                    int(rng.choice([20000, 22000, 25000, 27500, 30000, 32000, 35000])),
                    _postal_delivery(rng, accepted),
                )
            )
    for s in shipments:
        if rng.random() < 0.03:
            s.fee = None
        if rng.random() < 0.02:
            s.dossier = ""  # counter clerk did not type the dossier code
    return sorted(shipments, key=lambda s: (s.accepted, s.waybill))


POSTAL_STYLE = {0: "csv_plain", 1: "csv_dotted", 2: "xlsx", 3: "xlsx_then_csv", 4: "csv_quarters"}


def _postal_export_time(year: int, month: int, last: tuple[int, int]) -> datetime:
    if (year, month) == last:
        return datetime(year, 12, 31, 23, 59)
    y, m = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime(y, m, 3, 8, 30)


def _write_postal(
    out: Output,
    shipments: list[Shipment],
    years: tuple[int, int],
    rng: np.random.Generator,
    unmatched_codes: list[str],
    messy: bool,
) -> None:
    first_year, last_year = years
    months = [(y, m) for y in range(first_year, last_year + 1) for m in range(1, 13)]
    make = WaybillMaker(rng)
    make.used.update(s.waybill for s in shipments)
    # A few shipments refer to dossiers the portal never had (typed codes, other systems).
    agencies = sorted({s.agency for s in shipments})
    for code in unmatched_codes:
        accepted = datetime.combine(
            date(int(rng.integers(first_year, last_year + 1)), int(rng.integers(1, 13)), int(rng.integers(1, 28))),
            office_time(rng),
        )
        shipments.append(
            Shipment(
                make(("EB",)),
                code,
                SERVICE_RESULT,
                code.split("-")[0] if "-" in code else agencies[0],
                accepted,
                25000,
                _postal_delivery(rng, accepted),
            )
        )
    by_month: dict[tuple[int, int], list[Shipment]] = defaultdict(list)
    for s in sorted(shipments, key=lambda s: (s.accepted, s.waybill)):
        by_month[(s.accepted.year, s.accepted.month)].append(s)

    bad_plan = _postal_bad_plan(months) if messy else {}
    carried: list[Shipment] = []
    for y, m in months:
        exported = _postal_export_time(y, m, months[-1])
        listed = carried + by_month.get((y, m), [])
        rows = [(s, *s.state_at(exported)) for s in listed]
        # Re-exported next month: whatever is still moving, including failed deliveries
        # that are later redelivered or returned (two final rows: the later file wins).
        carried = [s for s, status, _ in rows if status == IN_TRANSIT or s.states[-1][0] > exported]
        path, kind = _postal_path(y, m, first_year)
        _emit_postal_file(out, path, kind, rows, exported, rng, bad_plan.get((y, m), []), make)
        # The operator re-exported the second quarter of the overlap year in October, with a
        # few stale rows still "in transit" that must lose against their earlier final rows.
        if POSTAL_STYLE[(y - first_year) % 5] == "xlsx_then_csv" and m == 12:
            moment = datetime(y, 10, 7, 9, 0)
            quarter = [s for q in (4, 5, 6) for s in by_month.get((y, q), [])]
            rerows = [(s, *s.state_at(moment)) for s in quarter]
            finals = [i for i, (_, status, _) in enumerate(rerows) if status != IN_TRANSIT]
            for i in sorted(int(j) for j in rng.choice(finals, size=min(3, len(finals)), replace=False)):
                rerows[i] = (rerows[i][0], IN_TRANSIT, None)
            _emit_postal_file(out, f"postal/{y}/bccp_{y}_q2_xuat_lai.xlsx", "xlsx", rerows, moment, rng, [], make)


def _postal_path(year: int, month: int, first_year: int) -> tuple[str, str]:
    style = POSTAL_STYLE[(year - first_year) % 5]
    name = f"bccp_{year}_{month:02d}"
    if style in ("csv_plain", "csv_dotted"):
        return f"postal/{year}/{name}.csv", style
    if style == "xlsx":
        if month == 6:
            return f"postal/{year}/{name}.xlsx", "xlsx_datetime"
        if month == 9:
            return f"postal/{year}/{name}.xlsx", "xlsx_money_numbers"
        return f"postal/{year}/{name}.xlsx", "xlsx"
    if style == "xlsx_then_csv":
        return (f"postal/{year}/{name}.xlsx", "xlsx") if month <= 6 else (f"postal/{year}/{name}.csv", "csv_plain")
    return f"postal/{year}/Q{(month - 1) // 3 + 1}/{name}.csv", "csv_mixed"


def _postal_bad_plan(months: list[tuple[int, int]]) -> dict[tuple[int, int], list[str]]:
    """Which contract rule each bad shipment row breaks, spread over the files."""
    # Only the contract's reject kinds (missing, unparseable, outside the listed values): a
    # waybill off its pattern is not one of them, so it is not used here.
    rules = [
        "waybill_empty",
        "status_empty",
        "accepted_unparseable",
        "accepted_empty",
        "status_unknown",
        "service_unknown",
        "fee_unparseable",
        "delivered_unparseable",
        "agency_empty",
    ]
    plan: dict[tuple[int, int], list[str]] = defaultdict(list)
    for i, rule in enumerate(rules):
        plan[months[int(4 + i * (len(months) - 8) / len(rules))]].append(rule)
    return plan


BAD_POSTAL_REASONS = {
    "waybill_empty": "missing required Mã bưu gửi",
    "status_empty": "missing required Trạng thái",
    "accepted_unparseable": "Ngày chấp nhận on 31/02: not a date",
    "accepted_empty": "missing required Ngày chấp nhận",
    "status_unknown": "Trạng thái 'Không rõ' outside the listed values",
    "service_unknown": "Loại dịch vụ 'Chuyển phát nhanh' outside the listed values",
    "fee_unparseable": "Cước (VNĐ) '25,5k' is not an integer",
    "delivered_unparseable": "Ngày phát as yyyy-mm-dd HH:MM, not dd/mm/yyyy HH:MM",
    "agency_empty": "missing required Mã đơn vị",
}


def _emit_postal_file(
    out: Output,
    path: str,
    kind: str,
    rows: list[tuple[Shipment, str, datetime | None]],
    exported: datetime,
    rng: np.random.Generator,
    bad_rules: list[str],
    make: WaybillMaker,
) -> None:
    def stamp(moment: datetime | None) -> Any:
        if moment is None:
            return ""
        return moment if kind == "xlsx_datetime" else moment.strftime("%d/%m/%Y %H:%M")

    def money(fee: int | None) -> Any:
        if fee is None:
            return ""
        if kind == "xlsx_money_numbers":
            return fee
        dotted = (
            kind == "csv_dotted"
            or (kind == "csv_mixed" and rng.random() < 0.5)
            or (kind.startswith("xlsx") and rng.random() < 0.3)
        )
        return _thousands(fee) if dotted else str(fee)

    table: list[list[Any]] = [
        [s.waybill, s.dossier, s.service, s.agency, stamp(s.accepted), stamp(delivered), status, money(s.fee)]
        for s, status, delivered in rows
    ]
    for rule in bad_rules:
        accepted = datetime(exported.year, exported.month, 1, 9, 0) - timedelta(days=5)
        row: list[Any] = [
            make(("EB",)),
            "",
            SERVICE_RESULT,
            dept_code(9),
            accepted.strftime("%d/%m/%Y %H:%M"),
            (accepted + timedelta(days=2)).strftime("%d/%m/%Y %H:%M"),
            DELIVERED,
            "25000",
        ]
        if rule == "waybill_empty":
            row[0] = ""
        elif rule == "status_empty":
            row[6] = ""
        elif rule == "accepted_unparseable":
            row[4] = f"31/02/{accepted.year} 09:15"
        elif rule == "accepted_empty":
            row[4] = ""
        elif rule == "status_unknown":
            row[6] = "Không rõ"
        elif rule == "service_unknown":
            row[2] = "Chuyển phát nhanh"
        elif rule == "fee_unparseable":
            row[7] = "25,5k"
        elif rule == "delivered_unparseable":
            row[5] = (accepted + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
        elif rule == "agency_empty":
            row[3] = ""
        position = int(rng.integers(0, len(table) + 1))
        table.insert(position, row)
        # later insertions shift earlier bad rows down
        for b in out.bad:
            if b.file == path and b.line >= position + 2:
                b.line += 1
        out.bad.append(BadRow("postal", path, position + 2, BAD_POSTAL_REASONS[rule]))
    target = out.root / path
    if kind.startswith("xlsx"):
        _write_xlsx(
            target,
            POSTAL_HEADER,
            table,
            stamp=exported,
            date_format="dd/mm/yyyy hh:mm" if kind == "xlsx_datetime" else None,
        )
    else:
        _write_csv(target, POSTAL_HEADER, table, bom=True)
    out.record("postal", path, len(table))
