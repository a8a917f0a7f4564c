"""`generate_portal_events()`: N clean portal events, fast (numpy + DuckDB), for benchmarks."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np

from sources.generate.common import PORTAL_FIELDS, Calendar, Output
from sources.generate.portal import (
    DOSSIERS_PER_YEAR,
    ONLINE_SHARE,
    POSTAL_SUBMISSION_SHARE,
    PortalSimulator,
    _agency_weights,
    _year_param,
)
from sources.generate.procedures import NEVER, build_catalog
from sources.generate.sample import _write_catalog

# --------------------------------------------------------------------------------------
# Fast portal events for benchmarks
# --------------------------------------------------------------------------------------

# Lifecycle templates (status sequences) and their weights, for in-person/postal and for
# online dossiers. Online dossiers are registered (1) before reception.
OFFLINE_TEMPLATES = (
    ((2, 4, 9, 10), 0.62),
    ((2, 4, 6, 9, 10), 0.12),
    ((2, 4, 5, 4, 9, 10), 0.08),
    ((2, 4, 9), 0.06),
    ((1, 2, 4, 9, 10), 0.06),
    ((2, 4, 5, 4, 5, 4, 9, 10), 0.015),
    ((2, 4, 7), 0.015),
    ((2, 4, 8), 0.01),
    ((2, 4), 0.01),
    ((3,), 0.01),
)
ONLINE_TEMPLATES = (
    ((1, 2, 4, 9, 10), 0.62),
    ((1, 2, 4, 6, 9, 10), 0.14),
    ((1, 2, 4, 5, 4, 9, 10), 0.08),
    ((1, 2, 4, 9), 0.05),
    ((1, 3), 0.05),
    ((1, 2, 4, 5, 4, 5, 4, 9, 10), 0.02),
    ((1, 2, 4, 7), 0.015),
    ((1, 2, 4, 8), 0.01),
    ((1, 2, 4), 0.015),
)
# Typical gap before reaching each status, in hours: (low, high).
STEP_HOURS = {
    1: (0.5, 60.0),
    2: (0.0, 0.0),
    3: (1.0, 30.0),
    4: (0.2, 20.0),
    5: (20.0, 100.0),
    6: (2.0, 70.0),
    7: (24.0, 240.0),
    8: (48.0, 480.0),
    10: (1.0, 96.0),
}


# A province's month: 3-5 million portal events a year (issue 15), so ~250,000 a month.
MONTH_EVENTS = 250_000


def generate_portal_events(
    out_dir: Path,
    n_events: int,
    *,
    seed: int = 7,
    years: tuple[int, int] = (2016, 2020),
    month_events: int | None = None,
    with_catalog: bool = True,
) -> dict:
    """Write about `n_events` clean portal events (within one dossier's events of it) as
    monthly `portal/YYYY/MM/export_01.jsonl.gz` files, vectorised with numpy and DuckDB.

    Two shapes of history:

    * default: the months of `years` (2016-2020), each month's share following the sample's
      yearly growth and seasons, so months grow with `n_events`;
    * `month_events=M`: months of a fixed size, as one province produces them: round(N / M)
      months from January of the first year on, each of about N / round(N / M) ~ M events.
      More events make a longer history, not bigger months (issue 15: an added month costs
      the same at 10M and at 100M events). 100M events at 250,000 a month end in 2049.

    A month's file holds the events that happened in it: of the dossiers received in it, and
    the later events of dossiers received before. Events after the last month are not exported
    yet (the last dossiers stay open). Generation goes month by month with a fresh random
    stream per month, so memory does not grow with `n_events` and a month's content depends
    only on the seed, its index and what the earlier months left open.

    Events refer to the same catalogue as `generate()`, which is written too unless
    `with_catalog` is False. Replaces an existing `portal/` (and `catalog/`) sub-folder.
    """
    out_dir = Path(out_dir)
    shutil.rmtree(out_dir / "portal", ignore_errors=True)
    out = Output(out_dir)
    catalog = build_catalog()
    if with_catalog:
        shutil.rmtree(out_dir / "catalog", ignore_errors=True)
        _write_catalog(out, catalog)
    first_year, last_year = years
    if month_events is None:
        months = [(y, m) for y in range(first_year, last_year + 1) for m in range(1, 13)]
    else:
        count = max(1, round(n_events / month_events))
        months = [(first_year + i // 12, i % 12 + 1) for i in range(count)]
    last = months[-1]
    calendar = Calendar(date(first_year, 1, 1), date(last[0] + last[1] // 12, last[1] % 12 + 1, 1) - timedelta(1))
    working: dict[tuple[int, int], list[date]] = {}
    for day in calendar.working:
        working.setdefault((day.year, day.month), []).append(day)
    if month_events is None:
        weight = np.array(
            [
                sum(
                    PortalSimulator._day_factor(d) * _year_param(DOSSIERS_PER_YEAR, y, first_year)
                    for d in working[(y, m)]
                )
                for y, m in months
            ]
        )
    else:
        weight = np.ones(len(months))
    # Cumulative targets: each month makes up for the previous one's rounding to whole dossiers.
    targets = np.rint(np.cumsum(weight) / weight.sum() * n_events).astype(np.int64)

    plan = _Plan(catalog, date(first_year, 1, 1))
    con = duckdb.connect()
    con.execute("set threads to 2")
    con.execute("set enable_progress_bar = false")
    con.register("agency_codes", {"agency_id": np.arange(len(plan.agencies)), "agency_code": plan.agency_codes})
    con.register(
        "procedure_codes", {"procedure_id": np.arange(len(plan.procs)), "procedure_code": plan.procedure_codes}
    )
    con.execute(PENDING_TABLE)
    columns = ", ".join(PORTAL_FIELDS)
    written = dossiers = 0
    month_counts: dict[str, int] = {}
    window_end = _epoch(date(last[0] + last[1] // 12, last[1] % 12 + 1, 1)) - 1
    for index, (year, month) in enumerate(months):
        month_start = _epoch(date(year, month, 1))
        month_end = _epoch(date(year + month // 12, month % 12 + 1, 1)) - 1
        [(carried,)] = con.execute(
            "select count(*) from pending where export_month = ?", [year * 100 + month]
        ).fetchall()
        need = int(targets[index]) - written - carried
        rng = np.random.default_rng([seed, 5, index])
        taken = plan.month(
            con, rng, working[(year, month)], need, month_start, month_end, window_end, year - first_year
        )
        dossiers += taken
        relative = f"portal/{year}/{month:02d}/export_01.jsonl.gz"
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        this_month = f"export_month = {year * 100 + month}"
        con.execute(
            f"copy (select {columns} from pending where {this_month} "
            f"order by ThoiDiem, MaHoSo, TrangThaiHoSo) to '{target.as_posix()}' (format json, compression gzip)"
        )
        [(rows,)] = con.execute(f"select count(*) from pending where {this_month}").fetchall()
        month_counts[relative] = int(rows)
        written += month_counts[relative]
        out.files["portal"].append(relative)
        # what is left: events of later months, carried into their month's file
        con.execute(f"create or replace table pending as select * from pending where not ({this_month})")
    con.close()
    return {
        "out_dir": str(out_dir),
        "files": {"portal": len(months), "catalog": len(out.files["catalog"])},
        "events": written,
        "dossiers": dossiers,
        "requested": n_events,
        "first_month": f"{months[0][0]}-{months[0][1]:02d}",
        "last_month": f"{last[0]}-{last[1]:02d}",
        "month_events": month_counts,
    }


def _epoch(day: date) -> int:
    return (day - date(1970, 1, 1)).days * 86400


PENDING_TABLE = """
    create table pending (
        MaHoSo varchar, MaTTHC varchar, MaDonVi varchar, KenhThucHien integer, MucDo integer,
        TrangThaiHoSo integer, ThoiDiem varchar, NgayHenTra varchar, HinhThucTra integer,
        DuocThanhToanTrucTuyen integer, LoaiDoiTuong integer, export_month integer
    )
"""

# One month's new dossiers and their events, with codes, as landing-file columns.
# `export_month` is the month the event happened in: the file it goes to.
EVENTS_SQL = """
    with first_contact as (
        select dossier_id, least(min(event_at), max(month_end)) as first_at
        from event_columns group by dossier_id
    ),
    coded as (
        select
            d.*,
            a.agency_code::varchar as agency_code,
            p.procedure_code::varchar as procedure_code,
            make_timestamp(f.first_at * 1000000) as first_ts,
            row_number() over (
                partition by d.agency_id, make_timestamp(f.first_at * 1000000)::date
                order by f.first_at, d.dossier_id
            ) as seq
        from dossier_columns as d
        join first_contact as f using (dossier_id)
        join agency_codes as a using (agency_id)
        join procedure_codes as p using (procedure_id)
    )
    select
        c.agency_code || '-' || strftime(c.first_ts, '%y%m%d') || '-'
            || lpad(c.seq::varchar, 5, '0') as MaHoSo,
        c.procedure_code as MaTTHC,
        c.agency_code as MaDonVi,
        c.channel::integer as KenhThucHien,
        c.level::integer as MucDo,
        e.status::integer as TrangThaiHoSo,
        strftime(make_timestamp(e.event_at * 1000000), '%Y%m%d%H%M%S') as ThoiDiem,
        case when e.status not in (1, 3)
            then strftime(make_timestamp(c.due * 1000000)::date, '%Y%m%d') || '170000'
        end as NgayHenTra,
        case when e.status <> 1 then c.return_mode::integer end as HinhThucTra,
        case when e.status in (6, 9, 10) then nullif(c.paid, -1)::integer
        end as DuocThanhToanTrucTuyen,
        c.applicant::integer as LoaiDoiTuong,
        year(make_timestamp(e.event_at * 1000000)) * 100
            + month(make_timestamp(e.event_at * 1000000)) as export_month
    from event_columns as e
    join coded as c using (dossier_id)
"""


class _Plan:
    """What every month draws from: the agencies and procedures valid from the first day on
    (so every pick is valid on any day), their weights, and the lifecycle templates."""

    def __init__(self, catalog, start: date) -> None:
        agencies = [
            a for a in catalog.agencies if a.dossier_weight > 0 and a.valid_from <= start and a.valid_to is None
        ]
        _, self.agency_p = _agency_weights(agencies, start)
        self.agencies = agencies
        self.agency_codes = np.array([a.code for a in agencies])
        procs = self.procs = catalog.procedures
        self.procedure_codes = np.array([p.code for p in procs])
        proc_ok = np.array([p.start <= start and p.end is None for p in procs])
        self.agency_procs = []
        for a in agencies:
            members = np.array([p.index for p in catalog.procedures_for(a) if proc_ok[p.index]])
            weights = np.array([procs[i].popularity for i in members])
            self.agency_procs.append((members, weights / weights.sum()))
        self.lvl3 = np.array([(p.level3_from or NEVER).toordinal() for p in procs])
        self.lvl4 = np.array([(p.level4_from or NEVER).toordinal() for p in procs])
        self.limits = np.array([p.time_limit for p in procs])
        self.fees = np.array([p.fee for p in procs])
        offline, online = _templates(OFFLINE_TEMPLATES), _templates(ONLINE_TEMPLATES)
        self.offline, self.online = offline, online
        self.all_templates = offline[0] + online[0]
        self.template_lengths = np.array([len(t) for t in self.all_templates])
        self.flat = np.concatenate([np.array(t) for t in self.all_templates])
        self.offsets = np.cumsum([0] + [len(t) for t in self.all_templates])[:-1]
        self.mean_length = 0.7 * offline[2] + 0.3 * online[2]
        self.low, self.high = np.zeros(11), np.zeros(11)
        for s, (a, b) in STEP_HOURS.items():
            self.low[s], self.high[s] = a * 3600, b * 3600

    def month(
        self,
        con: duckdb.DuckDBPyConnection,
        rng: np.random.Generator,
        days: list[date],
        need: int,
        month_start: int,
        month_end: int,
        window_end: int,
        year_offset: int,
    ) -> int:
        """Draw the month's new dossiers, keep whole dossiers, in random order, until their
        events within the month make up `need`, and add all their events to `pending`.
        Returns the number of dossiers kept that have an event by `window_end` (the others
        are not exported yet)."""
        if need <= 0 or not days:
            return 0
        # enough candidates: about half a dossier's events fall in its own month at worst
        count = int(need / (0.5 * self.mean_length)) + 100
        day_weight = np.array([PortalSimulator._day_factor(d) for d in days])
        ordinal = np.array([d.toordinal() for d in days])[
            rng.choice(len(days), size=count, p=day_weight / day_weight.sum())
        ]
        agency = rng.choice(len(self.agencies), size=count, p=self.agency_p)
        procedure = np.empty(count, dtype=np.int64)
        for i, (members, weights) in enumerate(self.agency_procs):
            chosen = np.nonzero(agency == i)[0]
            procedure[chosen] = members[rng.choice(len(members), size=len(chosen), p=weights)]
        level = np.where(ordinal >= self.lvl4[procedure], 4, np.where(ordinal >= self.lvl3[procedure], 3, 2))
        share = min(max(year_offset, 0), 4)
        roll = rng.random(count)
        channel = np.where(
            (roll < ONLINE_SHARE[share] * 1.15) & (level >= 3),
            2,
            np.where(roll > 1 - POSTAL_SUBMISSION_SHARE[share], 3, 1),
        )
        # Template ids index offline + online sequences, concatenated in that order.
        offline, online = self.offline, self.online
        template = np.where(
            channel == 2,
            len(offline[0]) + rng.choice(len(online[0]), size=count, p=online[1]),
            rng.choice(len(offline[0]), size=count, p=offline[1]),
        )
        lengths = self.template_lengths[template]

        # Events: dossier id, position in its template, status.
        dossier = np.repeat(np.arange(count), lengths)
        starts = np.cumsum(lengths) - lengths
        position = np.arange(len(dossier)) - starts[dossier]
        status = self.flat[self.offsets[template[dossier]] + position]

        received = (ordinal - date(1970, 1, 1).toordinal()) * 86400 + rng.integers(
            int(7.5 * 3600), 17 * 3600, size=count
        )
        gap = self.low[status] + rng.random(len(status)) * (self.high[status] - self.low[status])
        # Processing takes up to 1.4x the legal limit (calendar days); some take longer: late.
        limit_seconds = self.limits[procedure][dossier] * 1.4 * 86400
        late = rng.random(len(status)) < 0.06
        gap = np.where(
            status == 9,
            limit_seconds * np.where(late, rng.uniform(1.05, 2.0, len(status)), rng.uniform(0.15, 0.95, len(status))),
            gap,
        )
        before = status == 1
        forward = np.where(before, 0.0, gap)
        cumulative = np.cumsum(forward)
        cumulative -= np.repeat(cumulative[starts] - forward[starts], lengths)
        at = received[dossier] + np.where(before, -gap, cumulative).astype(np.int64)
        # a registration before the month's first working day is dated at the month's start
        at = np.maximum(at, month_start)
        due = received + (self.limits[procedure] * 1.4 * 86400).astype(np.int64)

        in_month = np.bincount(dossier[at <= month_end], minlength=count)
        take = min(int(np.searchsorted(np.cumsum(in_month), need, side="left")) + 1, count)
        mask = dossier < take

        mode_roll = rng.random(count)
        return_mode = np.where(mode_roll < 0.08, 1, np.where((level == 4) & (mode_roll > 0.85), 2, 0))
        paid = np.where(
            self.fees[procedure] & (channel == 2) & (rng.random(count) < 0.2),
            np.where(ordinal >= date(2020, 1, 1).toordinal(), 1, 2),
            -1,
        )
        applicant = rng.choice([1, 2, 3, 4], size=count, p=[0.72, 0.22, 0.02, 0.04])
        con.register(
            "dossier_columns",
            {
                "dossier_id": np.arange(take),
                "agency_id": agency[:take],
                "procedure_id": procedure[:take],
                "channel": channel[:take],
                "level": level[:take],
                "due": due[:take],
                "return_mode": return_mode[:take],
                "paid": paid[:take],
                "applicant": applicant[:take],
            },
        )
        kept = int(mask.sum())
        con.register(
            "event_columns",
            {
                "dossier_id": dossier[mask],
                "status": status[mask],
                "event_at": at[mask],
                "month_end": np.full(kept, month_end, dtype=np.int64),
            },
        )
        con.execute(f"insert into pending {EVENTS_SQL}")
        con.unregister("dossier_columns")
        con.unregister("event_columns")
        return len(np.unique(dossier[mask & (at <= window_end)]))


def _templates(spec: tuple[tuple[tuple[int, ...], float], ...]) -> tuple[list[tuple[int, ...]], np.ndarray, float]:
    """(sequences, probabilities, mean length) of a template set."""
    sequences = [s for s, _ in spec]
    p = np.array([w for _, w in spec])
    p = p / p.sum()
    return sequences, p, float(sum(len(s) * w for s, w in zip(sequences, p, strict=True)))
