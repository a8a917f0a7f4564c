"""The 19 indicators of kpis.md over one window, at province and agency scope.

`Figures(raw).values(window)` gives {(scope, scope_code, indicator): value} for exactly the
rows that exist for that window ("which years/periods appear"); a yearly definition reads
the window in place of the year. Counts are floats like the published DOUBLE column.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from tests.oracle import precedence
from tests.oracle.dossiers import Dossier, all_dossiers
from tests.oracle.raw import Raw, Row
from tests.oracle.windows import Window

PROVINCE, AGENCY, ALL = "province", "agency", "ALL"
DELIVERED, RESULT_SERVICE = "Phát thành công", "Chuyển trả kết quả"
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Indicator:
    code: str
    unit: str  # count | ratio | days
    better: str | None  # higher | lower | None for volumes (–)
    source: str  # portal | postal | mailbox | catalog: which data decides that a row exists


INDICATORS = (
    Indicator("dossiers_received", "count", None, "portal"),
    Indicator("online_submission_rate", "ratio", "higher", "portal"),
    Indicator("postal_submission_rate", "ratio", "higher", "portal"),
    Indicator("dossiers_finished", "count", None, "portal"),
    Indicator("on_time_rate", "ratio", "higher", "portal"),
    Indicator("avg_processing_days", "days", "lower", "portal"),
    Indicator("overdue_open_at_year_end", "count", "lower", "portal"),
    Indicator("online_services_level3", "count", "higher", "catalog"),
    Indicator("online_services_level4", "count", "higher", "catalog"),
    Indicator("online_services_used_rate", "ratio", "higher", "catalog"),
    Indicator("online_payment_rate", "ratio", "higher", "portal"),
    Indicator("postal_return_rate", "ratio", "higher", "portal"),
    Indicator("postal_result_shipments", "count", None, "postal"),
    Indicator("postal_delivery_success_rate", "ratio", "higher", "postal"),
    Indicator("postal_avg_delivery_days", "days", "lower", "postal"),
    Indicator("postal_unmatched_shipments", "count", "lower", "postal"),
    Indicator("mailboxes_issued", "count", "higher", "mailbox"),
    Indicator("mailboxes_new", "count", None, "mailbox"),
    Indicator("mailbox_active_rate", "ratio", "higher", "mailbox"),
)
BY_CODE = {indicator.code: indicator for indicator in INDICATORS}
CATALOG_INDICATORS = tuple(i.code for i in INDICATORS if i.source == "catalog")

Values = dict[tuple[str, str, str], float | None]


def ratio(numerator: int, denominator: int) -> float | None:
    """A ratio whose denominator is zero is NULL, not 0."""
    return numerator / denominator if denominator else None


def mean_days(total_seconds: int, count: int) -> float | None:
    """Exact mean in days: one division of the exact sum of seconds (kpi-decisions 25)."""
    return total_seconds / (count * SECONDS_PER_DAY) if count else None


def seconds_between(start: datetime, end: datetime) -> int:
    delta = end - start
    return delta.days * SECONDS_PER_DAY + delta.seconds


@dataclass
class PortalTally:
    received: int = 0
    online: int = 0
    by_postal_service: int = 0
    fee_bearing: int = 0
    paid_online: int = 0
    finished: int = 0
    finished_with_due: int = 0
    on_time: int = 0
    processed: int = 0
    processing_seconds: int = 0
    returned_by_post: int = 0
    overdue_open: int = 0

    def values(self) -> dict[str, float | None]:
        return {
            "dossiers_received": float(self.received),
            "online_submission_rate": ratio(self.online, self.received),
            "postal_submission_rate": ratio(self.by_postal_service, self.received),
            "dossiers_finished": float(self.finished),
            "on_time_rate": ratio(self.on_time, self.finished_with_due),
            "avg_processing_days": mean_days(self.processing_seconds, self.processed),
            "overdue_open_at_year_end": float(self.overdue_open),
            "online_payment_rate": ratio(self.paid_online, self.fee_bearing),
            "postal_return_rate": ratio(self.returned_by_post, self.finished),
        }


@dataclass
class PostalTally:
    result_shipments: int = 0
    result_final: int = 0
    result_delivered: int = 0
    delivery_count: int = 0
    delivery_seconds: int = 0
    unmatched: int = 0

    def values(self) -> dict[str, float | None]:
        return {
            "postal_result_shipments": float(self.result_shipments),
            "postal_delivery_success_rate": ratio(self.result_delivered, self.result_final),
            "postal_avg_delivery_days": mean_days(self.delivery_seconds, self.delivery_count),
            "postal_unmatched_shipments": float(self.unmatched),
        }


@dataclass
class MailboxTally:
    issued: int = 0
    active: int = 0
    new: int = 0

    def values(self) -> dict[str, float | None]:
        return {
            "mailboxes_issued": float(self.issued),
            "mailboxes_new": float(self.new),
            "mailbox_active_rate": ratio(self.active, self.issued),
        }


@dataclass
class _MonthIndex:
    """Rows filed under the calendar month (year, month) their defining time falls in."""

    rows: dict[tuple[int, int], list] = field(default_factory=lambda: defaultdict(list))

    def add(self, moment: date | datetime, row: object) -> None:
        self.rows[(moment.year, moment.month)].append(row)

    def within(self, window: Window) -> list:
        return [row for month in window.months for row in self.rows.get(month, ())]


def _in_force(row: Row, day: date) -> bool:
    """A catalogue row is in force on day D when HieuLucTu <= D <= HieuLucDen (an empty
    HieuLucDen never ends)."""
    return row["HieuLucTu"] <= day and (row["HieuLucDen"] is None or day <= row["HieuLucDen"])


class Figures:
    """Every indicator over any window, from the raw tables."""

    def __init__(self, raw: Raw) -> None:
        self.dossiers = all_dossiers(precedence.portal_events(raw.events))
        self.resolve = precedence.successor_resolver(precedence.agencies(raw.agencies))
        self.procedure_rows: dict[str, list[Row]] = defaultdict(list)
        for row in precedence.procedures(raw.procedures):
            self.procedure_rows[row["MaTTHC"]].append(row)
        self.shipments = precedence.postal_shipments(raw.shipments)
        self.reports = precedence.mailbox_reports(raw.reports)

        self.scope_of = {code: self.resolve(d.agency) for code, d in self.dossiers.items()}
        self.event_scopes: dict[tuple[int, int], set[str]] = defaultdict(set)
        self.received = _MonthIndex()
        self.finished = _MonthIndex()
        for code, dossier in self.dossiers.items():
            for moment in dossier.event_times:
                self.event_scopes[(moment.year, moment.month)].add(self.scope_of[code])
            if dossier.received_at is not None:
                self.received.add(dossier.received_at, dossier)
            if dossier.finished_at is not None:
                self.finished.add(dossier.finished_at, dossier)
        # Only a dossier received with a due date and late or never finished can ever be
        # overdue and open; the end-of-window test below is the full definition.
        self.may_be_overdue = [
            d
            for d in self.dossiers.values()
            if d.received_at is not None
            and d.due_at is not None
            and (d.finished_at is None or d.finished_at > d.due_at)
        ]
        self.fee_bearing = {
            code: d.received_at is not None and self._fee_on(d.procedure, d.received_at.date())
            for code, d in self.dossiers.items()
        }
        self.accepted = _MonthIndex()
        for shipment in self.shipments:
            self.accepted.add(shipment["Ngày chấp nhận"], shipment)
        self._levels: dict[date, tuple[set[str], set[str]]] = {}
        self.report_months = _MonthIndex()
        for report in self.reports:
            self.report_months.add(report["Kỳ báo cáo"], report)

    def _fee_on(self, procedure: str, day: date) -> bool:
        """The procedure had CoPhiLePhi = 1 on that day (any row in force: kpi-decisions 9)."""
        return any(_in_force(row, day) and row["CoPhiLePhi"] == 1 for row in self.procedure_rows.get(procedure, ()))

    # ------------------------------------------------------------------ per source

    def _tallies(self, active: set[str], factory) -> dict[str, object]:
        tallies = {ALL: factory()}
        tallies.update((scope, factory()) for scope in active)
        return tallies

    def portal(self, window: Window) -> dict[str, dict[str, float | None]]:
        """Portal indicators per scope code, for the scopes with a valid event in W."""
        active = set().union(*(self.event_scopes.get(month, set()) for month in window.months))
        if not active:
            return {}
        tallies: dict[str, PortalTally] = self._tallies(active, PortalTally)

        def tallies_of(dossier: Dossier) -> list[PortalTally]:
            scope = tallies.get(self.scope_of[dossier.code])
            return [tallies[ALL]] + ([scope] if scope is not None else [])

        for d in self.received.within(window):
            for tally in tallies_of(d):
                tally.received += 1
                tally.online += d.channel == 2
                tally.by_postal_service += d.channel == 3
                if self.fee_bearing[d.code]:
                    tally.fee_bearing += 1
                    tally.paid_online += d.paid_online
        for d in self.finished.within(window):
            for tally in tallies_of(d):
                tally.finished += 1
                tally.returned_by_post += d.result_by_post
                if d.due_at is not None:
                    tally.finished_with_due += 1
                    tally.on_time += d.on_time
                if d.received_at is not None:
                    tally.processed += 1
                    tally.processing_seconds += seconds_between(d.received_at, d.finished_at)
        end = window.end_instant
        for d in self.may_be_overdue:
            if (
                d.received_at <= end
                and d.due_at < end
                and (d.finished_at is None or d.finished_at > end)
                and (d.withdrawn_at is None or d.withdrawn_at > end)
            ):
                for tally in tallies_of(d):
                    tally.overdue_open += 1
        return {scope: tally.values() for scope, tally in tallies.items()}

    def postal(self, window: Window) -> dict[str, dict[str, float | None]]:
        shipments = self.accepted.within(window)
        if not shipments:
            return {}
        tallies: dict[str, PostalTally] = self._tallies({self.resolve(s["Mã đơn vị"]) for s in shipments}, PostalTally)
        for s in shipments:
            for tally in (tallies[ALL], tallies[self.resolve(s["Mã đơn vị"])]):
                tally.unmatched += s["Mã hồ sơ"] is None or s["Mã hồ sơ"] not in self.dossiers
                if s["Loại dịch vụ"] != RESULT_SERVICE:
                    continue
                tally.result_shipments += 1
                if s["Trạng thái"] != precedence.IN_TRANSIT:
                    tally.result_final += 1
                if s["Trạng thái"] == DELIVERED:
                    tally.result_delivered += 1
                    if s["Ngày phát"] is not None:
                        tally.delivery_count += 1
                        tally.delivery_seconds += seconds_between(s["Ngày chấp nhận"], s["Ngày phát"])
        return {scope: tally.values() for scope, tally in tallies.items()}

    def mailbox(self, window: Window) -> dict[str, dict[str, float | None]]:
        reports = self.report_months.within(window)
        if not reports:
            return {}
        tallies: dict[str, MailboxTally] = self._tallies({self.resolve(r["Mã đơn vị"]) for r in reports}, MailboxTally)
        last_month: dict[str, Row] = {}  # per reporting code as written, before resolution
        for r in reports:
            code = r["Mã đơn vị"]
            if code not in last_month or r["Kỳ báo cáo"] > last_month[code]["Kỳ báo cáo"]:
                last_month[code] = r
            for tally in (tallies[ALL], tallies[self.resolve(code)]):
                tally.new += r["Cấp mới trong kỳ"]
        for code, r in last_month.items():
            for tally in (tallies[ALL], tallies[self.resolve(code)]):
                tally.issued += r["Tổng số hộp thư đã cấp"]
                tally.active += r["Số hộp thư đang sử dụng"]
        return {scope: tally.values() for scope, tally in tallies.items()}

    def levels_on(self, day: date) -> tuple[set[str], set[str]]:
        """Procedures with a row at level 3, and at level 4, in force on that day (any row in
        force, kpi-decisions 18)."""
        if day not in self._levels:
            level3, level4 = set(), set()
            for code, rows in self.procedure_rows.items():
                levels = {row["MucDo"] for row in rows if _in_force(row, day)}
                if 3 in levels:
                    level3.add(code)
                if 4 in levels:
                    level4.add(code)
            self._levels[day] = (level3, level4)
        return self._levels[day]

    def catalog(self, window: Window) -> dict[str, float | None]:
        """Province only: procedure levels on the last day of W, and which of them received a
        dossier through channel 2 in W (kpi-decisions 10)."""
        level3, level4 = self.levels_on(window.end)
        online = {d.procedure for d in self.received.within(window) if d.channel == 2}
        offered = level3 | level4
        return {
            "online_services_level3": float(len(level3)),
            "online_services_level4": float(len(level4)),
            "online_services_used_rate": ratio(len(offered & online), len(offered)),
        }

    # ------------------------------------------------------------------ all of them

    def values(self, window: Window) -> Values:
        """{(scope, scope_code, indicator): value} for every row that exists for W."""
        out: Values = {}
        for per_scope in (self.portal(window), self.postal(window), self.mailbox(window)):
            for scope_code, figures in per_scope.items():
                scope = PROVINCE if scope_code == ALL else AGENCY
                out.update(((scope, scope_code, code), value) for code, value in figures.items())
        if out:  # catalogue indicators: every window that any other indicator has
            out.update(((PROVINCE, ALL, code), value) for code, value in self.catalog(window).items())
        return out

    def data_years(self) -> list[int]:
        """Years in which any source has data (only these can have rows)."""
        years = {m[0] for m in self.event_scopes}
        years |= {m[0] for m in self.accepted.rows} | {m[0] for m in self.report_months.rows}
        return sorted(years)
