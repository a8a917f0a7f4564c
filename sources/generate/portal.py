"""The portal's activity: dossiers and their status events, simulated day by day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np

from sources.generate.common import Calendar, at_office
from sources.generate.procedures import NEVER, Catalog, Procedure
from sources.generate.province import LEVEL_SHARE, Agency

# --------------------------------------------------------------------------------------
# Portal: dossiers and their event logs
# --------------------------------------------------------------------------------------

# Dossiers received per year at scale 1.0; growth over the years, COVID dip in April 2020.
DOSSIERS_PER_YEAR = {0: 2600, 1: 3100, 2: 3400, 3: 3750, 4: 4000}
ONLINE_SHARE = {0: 0.06, 1: 0.11, 2: 0.20, 3: 0.31, 4: 0.44}  # of dossiers, where possible
POSTAL_SUBMISSION_SHARE = {0: 0.008, 1: 0.012, 2: 0.018, 3: 0.024, 4: 0.03}
POSTAL_RETURN_SHARE = {0: 0.02, 1: 0.04, 2: 0.07, 3: 0.10, 4: 0.14}
ON_TIME_SHARE = {0: 0.87, 1: 0.90, 2: 0.93, 3: 0.95, 4: 0.965}
ONLINE_PAYMENT_SHARE = {0: 0.0, 1: 0.03, 2: 0.10, 3: 0.22, 4: 0.40}  # of fee-bearing online
MONTH_FACTOR = {1: 1.1, 2: 0.75, 3: 1.0, 4: 1.0, 5: 1.0, 6: 1.0, 7: 0.95, 8: 0.95, 9: 1.0, 10: 1.05, 11: 1.05, 12: 1.15}


def _year_param(table: dict[int, float], year: int, first_year: int) -> float:
    return table[min(max(year - first_year, 0), 4)]


@dataclass(slots=True)
class Event:
    dossier: str
    procedure: str
    agency: str
    channel: int
    level: int | None
    status: int
    at: datetime
    due: datetime | None
    return_mode: int | None
    paid_online: int | None
    applicant: int | None

    def key(self) -> tuple[str, int, datetime]:
        return (self.dossier, self.status, self.at)

    def values(self) -> dict[str, Any]:
        return {
            "MaHoSo": self.dossier,
            "MaTTHC": self.procedure,
            "MaDonVi": self.agency,
            "KenhThucHien": self.channel,
            "MucDo": self.level,
            "TrangThaiHoSo": self.status,
            "ThoiDiem": self.at.strftime("%Y%m%d%H%M%S"),
            "NgayHenTra": self.due.strftime("%Y%m%d%H%M%S") if self.due else None,
            "HinhThucTra": self.return_mode,
            "DuocThanhToanTrucTuyen": self.paid_online,
            "LoaiDoiTuong": self.applicant,
        }


@dataclass
class Dossier:
    agency: Agency
    procedure: Procedure
    channel: int
    level: int
    received_day: date
    applicant: int
    return_mode: int  # chosen at reception
    events: list[Event] = field(default_factory=list)
    code: str = ""


def _agency_weights(agencies: Sequence[Agency], day: date) -> tuple[list[Agency], np.ndarray]:
    alive = [a for a in agencies if a.dossier_weight > 0 and a.exists_on(day)]
    totals: dict[str, float] = defaultdict(float)
    for a in alive:
        totals[a.level] += a.dossier_weight
    weights = np.array([LEVEL_SHARE[a.level] * a.dossier_weight / totals[a.level] for a in alive])
    return alive, weights / weights.sum()


class PortalSimulator:
    """Plays out dossier lifecycles one working day at a time (small volumes only)."""

    def __init__(self, catalog: Catalog, calendar: Calendar, rng: np.random.Generator, years: tuple[int, int]) -> None:
        self.catalog = catalog
        self.calendar = calendar
        self.rng = rng
        self.years = years
        self.window_start = datetime(years[0], 1, 1)
        self.cutoff = datetime(years[1], 12, 31, 23, 59, 59)
        # Per agency: its procedures and, as arrays, first day, last day, first day at
        # level 3 and popularity, so that picking a procedure in force is vectorised.
        self._procs: dict[str, tuple[list[Procedure], np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        for agency in catalog.agencies:
            procs = catalog.procedures_for(agency)
            self._procs[agency.code] = (
                procs,
                np.array([p.start.toordinal() for p in procs]),
                np.array([(p.end or NEVER).toordinal() for p in procs]),
                np.array([(p.level3_from or NEVER).toordinal() for p in procs]),
                np.array([p.popularity for p in procs]),
            )

    def run(self, scale: float) -> list[Dossier]:
        dossiers: list[Dossier] = []
        first_year, last_year = self.years
        for year in range(first_year, last_year + 1):
            days = [d for d in self.calendar.working if d.year == year]
            factors = np.array([self._day_factor(d) for d in days])
            volume = _year_param(DOSSIERS_PER_YEAR, year, first_year) * scale
            expected = volume * factors / factors.sum()
            counts = self.rng.poisson(expected)
            for day, count in zip(days, counts, strict=True):
                if count == 0:
                    continue
                alive, weights = _agency_weights(self.catalog.agencies, day)
                picks = self.rng.choice(len(alive), size=int(count), p=weights)
                for pick in picks:
                    dossier = self._new_dossier(alive[int(pick)], day, year)
                    if dossier is not None:
                        self._play(dossier, year)
                        dossiers.append(dossier)
        self._assign_codes(dossiers)
        return dossiers

    @staticmethod
    def _day_factor(day: date) -> float:
        factor = MONTH_FACTOR[day.month]
        if day.year == 2020 and day.month == 4 and day.day <= 22:
            factor *= 0.5  # social distancing order of April 2020
        return factor

    def _new_dossier(self, agency: Agency, day: date, year: int) -> Dossier | None:
        rng = self.rng
        procs, start, end, lvl3, popularity = self._procs[agency.code]
        ordinal = day.toordinal()
        in_force = (start <= ordinal) & (ordinal <= end)
        online_ok = in_force & (lvl3 <= ordinal)
        first_year = self.years[0]
        channel = 1
        roll = rng.random()
        if roll < _year_param(ONLINE_SHARE, year, first_year) and online_ok.any():
            channel, mask = 2, online_ok
        else:
            if roll > 1 - _year_param(POSTAL_SUBMISSION_SHARE, year, first_year):
                channel = 3
            mask = in_force
        if not mask.any():
            return None
        weights = np.where(mask, popularity, 0.0)
        procedure = procs[int(rng.choice(len(procs), p=weights / weights.sum()))]
        level = procedure.level_on(day)
        applicant = int(rng.choice([1, 2, 3, 4], p=[0.72, 0.22, 0.02, 0.04]))
        return_mode = 0
        if rng.random() < _year_param(POSTAL_RETURN_SHARE, year, first_year):
            return_mode = 1
        elif level == 4 and channel == 2 and rng.random() < 0.3:
            return_mode = 2
        return Dossier(agency, procedure, channel, level, day, applicant, return_mode)

    def _play(self, d: Dossier, year: int) -> None:
        rng, cal = self.rng, self.calendar
        first_year = self.years[0]
        received = at_office(d.received_day, rng)
        steps: list[tuple[int, datetime]] = []
        if d.channel == 2:
            # Online applications are registered at any hour, days before reception.
            registered = received - timedelta(minutes=int(rng.integers(30, 3 * 24 * 60)))
            steps.append((1, max(registered, self.window_start + timedelta(hours=1))))
        elif rng.random() < 0.12:
            steps.append((1, received - timedelta(minutes=int(rng.integers(2, 25)))))
        not_accepted = 0.04 if d.channel == 2 else 0.004
        if rng.random() < not_accepted:
            steps.append((3, received))
            self._emit(d, steps, due=None, paid_from=None, paid_value=None)
            return
        due = datetime.combine(cal.add_working_days(d.received_day, d.procedure.time_limit), time(17, 0))
        steps.append((2, received))
        processing = received + timedelta(minutes=int(rng.integers(10, 300)))
        if processing.time() > time(17, 0):  # handed to the specialist next morning
            processing = at_office(cal.add_working_days(d.received_day, 1), rng)
        steps.append((4, processing))
        outcome = rng.random()
        supplements = int(rng.choice([0, 1, 2, 3], p=[0.88, 0.09, 0.025, 0.005]))
        last = processing
        for _ in range(supplements):
            asked = at_office(cal.add_working_days(last.date(), int(rng.integers(1, 4))), rng)
            asked = max(asked, last + timedelta(minutes=30))
            steps.append((5, asked))
            if rng.random() < 0.03:  # the applicant never comes back
                self._emit(d, self._maybe_cleared(steps, asked), due=due, paid_from=None, paid_value=None)
                return
            resumed = at_office(cal.add_working_days(asked.date(), int(rng.integers(1, 9))), rng)
            last = max(resumed, asked + timedelta(hours=1))
            steps.append((4, last))
        if outcome < 0.015:
            withdrawn = at_office(cal.add_working_days(last.date(), int(rng.integers(1, 10))), rng)
            steps.append((7, max(withdrawn, last + timedelta(minutes=30))))
            self._emit(d, steps, due=due, paid_from=None, paid_value=None)
            return
        if outcome < 0.025:
            stopped = at_office(cal.add_working_days(last.date(), int(rng.integers(2, 20))), rng)
            steps.append((8, max(stopped, last + timedelta(minutes=30))))
            self._emit(d, steps, due=due, paid_from=None, paid_value=None)
            return
        if outcome < 0.028:  # stuck in processing: overdue and open at year ends after
            self._emit(d, self._maybe_cleared(steps, last), due=due, paid_from=None, paid_value=None)
            return
        limit = d.procedure.time_limit
        if rng.random() < _year_param(ON_TIME_SHARE, year, first_year):
            finish_day = cal.add_working_days(d.received_day, int(limit * rng.uniform(0.2, 1.0)))
        else:
            finish_day = cal.add_working_days(due.date(), 1 + int(rng.geometric(0.25)))
        finished = max(at_office(finish_day, rng), last + timedelta(hours=1))
        paid_from = paid_value = None
        if d.procedure.fee and rng.random() < 0.6:
            fee_day = (last + (finished - last) * float(rng.uniform(0.2, 0.8))).date()
            fee_at = min(
                max(at_office(cal.add_working_days(fee_day, 0), rng), last + timedelta(minutes=10)),
                finished - timedelta(minutes=10),
            )
            steps.append((6, fee_at))
            if d.channel == 2 and rng.random() < _year_param(ONLINE_PAYMENT_SHARE, year, first_year):
                # The national portal's payment platform only came in 2020.
                paid_value = 1 if year >= 2020 and rng.random() < 0.5 else 2
            paid_from = fee_at
        steps.append((9, finished))
        if rng.random() < (0.97 if d.return_mode == 1 else 0.92):
            handed = at_office(cal.add_working_days(finished.date(), int(rng.integers(0, 5))), rng)
            steps.append((10, max(handed, finished + timedelta(minutes=20))))
        self._emit(d, steps, due=due, paid_from=paid_from, paid_value=paid_value)

    def _maybe_cleared(self, steps: list[tuple[int, datetime]], last: datetime) -> list[tuple[int, datetime]]:
        """Half of the stuck dossiers are stopped (8) months later, when a review of the
        backlog catches them; the others stay open for good."""
        if self.rng.random() < 0.5:
            day = self.calendar.add_working_days(last.date(), int(self.rng.integers(60, 300)))
            steps = [*steps, (8, at_office(day, self.rng))]
        return steps

    def _emit(
        self,
        d: Dossier,
        steps: list[tuple[int, datetime]],
        *,
        due: datetime | None,
        paid_from: datetime | None,
        paid_value: int | None,
    ) -> None:
        rng = self.rng
        final_mode = d.return_mode
        change = rng.random()
        if change < 0.01 and d.return_mode == 0:
            final_mode = 1  # decided at the end to have the result posted
        elif change < 0.05 and d.return_mode == 1:
            final_mode = 0  # chose postal return, then came to the desk after all
        for status, at in steps:
            if at > self.cutoff:
                continue  # not yet happened when the last export was taken
            received = status not in (1, 3)
            mode: int | None = d.return_mode
            if status in (9, 10):
                mode = final_mode
            elif rng.random() < 0.04:
                mode = None
            paid: int | None = None
            if d.procedure.fee and status in (6, 9, 10):
                if paid_from is not None and at >= paid_from:
                    paid = paid_value if paid_value is not None else 0
                elif rng.random() < 0.5:
                    paid = 0
            d.events.append(
                Event(
                    dossier="",
                    procedure=d.procedure.code,
                    agency=d.agency.code,
                    channel=d.channel,
                    level=d.level if rng.random() > 0.04 else None,
                    status=status,
                    at=at,
                    due=due if received else None,
                    return_mode=mode,
                    paid_online=paid,
                    applicant=d.applicant if rng.random() > 0.05 else None,
                )
            )

    def _assign_codes(self, dossiers: list[Dossier]) -> None:
        """`<agency>-<yymmdd>-<seq>`, numbered per agency and day of first contact."""
        dossiers[:] = [d for d in dossiers if d.events]
        order = sorted(dossiers, key=lambda d: (d.agency.code, d.events[0].at))
        counters: dict[tuple[str, date], int] = defaultdict(int)
        for d in order:
            first = d.events[0].at
            counters[(d.agency.code, first.date())] += 1
            seq = counters[(d.agency.code, first.date())]
            d.code = f"{d.agency.code}-{first:%y%m%d}-{seq:05d}"
            for e in d.events:
                e.dossier = d.code
