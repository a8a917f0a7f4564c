"""`generate_portal_events()`: N clean portal events, fast (numpy + DuckDB), for benchmarks."""

from __future__ import annotations

import shutil
from datetime import date
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


def generate_portal_events(
    out_dir: Path, n_events: int, *, seed: int = 7, years: tuple[int, int] = (2016, 2020), with_catalog: bool = True
) -> dict:
    """Write about `n_events` clean portal events (within 1%) as monthly
    `portal/YYYY/MM/export_01.jsonl.gz` files, vectorised with numpy and DuckDB.

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
    rng = np.random.default_rng([seed, 5])
    first_year, last_year = years
    calendar = Calendar(date(first_year, 1, 1), date(last_year, 12, 31))
    days = np.array([d.toordinal() for d in calendar.working])
    day_years = np.array([d.year for d in calendar.working])
    day_weight = np.array([PortalSimulator._day_factor(d) for d in calendar.working])
    day_weight *= np.array([_year_param(DOSSIERS_PER_YEAR, int(y), first_year) for y in day_years])
    day_weight /= day_weight.sum()

    # Agencies that existed over the whole window, by level share, and their procedures in
    # force over the whole window, so that every pick is valid on any day.
    window = (date(first_year, 1, 1), date(last_year, 12, 31))
    agencies = [
        a for a in catalog.agencies if a.dossier_weight > 0 and a.valid_from <= window[0] and a.valid_to is None
    ]
    _, agency_p = _agency_weights(agencies, window[0])
    procs = catalog.procedures
    proc_ok = np.array([p.start <= window[0] and p.end is None for p in procs])
    agency_procs = []
    for a in agencies:
        members = np.array([p.index for p in catalog.procedures_for(a) if proc_ok[p.index]])
        weights = np.array([procs[i].popularity for i in members])
        agency_procs.append((members, weights / weights.sum()))
    lvl3 = np.array([(p.level3_from or NEVER).toordinal() for p in procs])
    lvl4 = np.array([(p.level4_from or NEVER).toordinal() for p in procs])
    limits = np.array([p.time_limit for p in procs])
    fees = np.array([p.fee for p in procs])

    offline = _templates(OFFLINE_TEMPLATES)
    online = _templates(ONLINE_TEMPLATES)
    mean_length = 0.7 * offline[2] + 0.3 * online[2]
    count = int(n_events / mean_length * 1.25) + 200

    day_index = rng.choice(len(days), size=count, p=day_weight)
    ordinal = days[day_index]
    year = day_years[day_index]
    agency = rng.choice(len(agencies), size=count, p=agency_p)
    procedure = np.empty(count, dtype=np.int64)
    for i, (members, weights) in enumerate(agency_procs):
        chosen = np.nonzero(agency == i)[0]
        procedure[chosen] = members[rng.choice(len(members), size=len(chosen), p=weights)]
    level = np.where(ordinal >= lvl4[procedure], 4, np.where(ordinal >= lvl3[procedure], 3, 2))
    year_offset = np.clip(year - first_year, 0, 4)
    online_share = np.array([ONLINE_SHARE[k] for k in range(5)])[year_offset]
    postal_share = np.array([POSTAL_SUBMISSION_SHARE[k] for k in range(5)])[year_offset]
    roll = rng.random(count)
    channel = np.where((roll < online_share * 1.15) & (level >= 3), 2, np.where(roll > 1 - postal_share, 3, 1))
    # Template ids index offline + online sequences, concatenated in that order.
    template = np.where(
        channel == 2,
        len(offline[0]) + rng.choice(len(online[0]), size=count, p=online[1]),
        rng.choice(len(offline[0]), size=count, p=offline[1]),
    )
    all_templates = offline[0] + online[0]
    lengths = np.array([len(all_templates[t]) for t in template])

    # Events: dossier id, position in its template, status.
    dossier = np.repeat(np.arange(count), lengths)
    starts = np.cumsum(lengths) - lengths
    position = np.arange(len(dossier)) - starts[dossier]
    flat = np.concatenate([np.array(t) for t in all_templates])
    offsets = np.cumsum([0] + [len(t) for t in all_templates])[:-1]
    status = flat[offsets[template[dossier]] + position]

    received = (ordinal - date(1970, 1, 1).toordinal()) * 86400 + rng.integers(int(7.5 * 3600), 17 * 3600, size=count)
    low = np.zeros(11)
    high = np.zeros(11)
    for s, (a, b) in STEP_HOURS.items():
        low[s], high[s] = a * 3600, b * 3600
    gap = low[status] + rng.random(len(status)) * (high[status] - low[status])
    # Processing takes up to 1.4x the legal limit (calendar days); some take longer: late.
    limit_seconds = limits[procedure][dossier] * 1.4 * 86400
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
    window_start = (date(first_year, 1, 1) - date(1970, 1, 1)).days * 86400
    window_end = (date(last_year + 1, 1, 1) - date(1970, 1, 1)).days * 86400 - 1
    at = np.maximum(at, window_start)
    due = received + (limits[procedure] * 1.4 * 86400).astype(np.int64)

    # Keep whole dossiers until the target is reached; events after the window are not
    # exported yet, so they do not count.
    kept = at <= window_end
    effective = np.bincount(dossier[kept], minlength=count)
    take = int(np.searchsorted(np.cumsum(effective), n_events, side="right"))
    mask = kept & (dossier < take)

    mode_roll = rng.random(count)
    return_mode = np.where(mode_roll < 0.08, 1, np.where((level == 4) & (mode_roll > 0.85), 2, 0))
    paid = np.where(fees[procedure] & (channel == 2) & (rng.random(count) < 0.2), np.where(year >= 2020, 1, 2), -1)
    applicant = rng.choice([1, 2, 3, 4], size=count, p=[0.72, 0.22, 0.02, 0.04])

    con = duckdb.connect()
    con.execute("set threads to 2")
    con.register(
        "agency_codes", {"agency_id": np.arange(len(agencies)), "agency_code": np.array([a.code for a in agencies])}
    )
    con.register(
        "procedure_codes", {"procedure_id": np.arange(len(procs)), "procedure_code": np.array([p.code for p in procs])}
    )
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
    con.register("event_columns", {"dossier_id": dossier[mask], "status": status[mask], "event_at": at[mask]})
    # Codes are numbered per agency and day of first contact, as on the portal.
    con.execute("""
        create table events as
        with first_contact as (
            select dossier_id, min(event_at) as first_at from event_columns group by dossier_id
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
    """)
    months = [m for (m,) in con.execute("select distinct export_month from events order by 1").fetchall()]
    columns = ", ".join(PORTAL_FIELDS)
    for month in months:
        relative = f"portal/{month // 100}/{month % 100:02d}/export_01.jsonl.gz"
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"copy (select {columns} from events where export_month = {int(month)} "
            f"order by ThoiDiem, MaHoSo, TrangThaiHoSo) "
            f"to '{target.as_posix()}' (format json, compression gzip)"
        )
        out.files["portal"].append(relative)
    written = con.execute("select count(*), count(distinct MaHoSo) from events").fetchone()
    con.close()
    assert written is not None
    return {
        "out_dir": str(out_dir),
        "files": {"portal": len(months), "catalog": len(out.files["catalog"])},
        "events": int(written[0]),
        "dossiers": int(written[1]),
        "requested": n_events,
    }


def _templates(spec: tuple[tuple[tuple[int, ...], float], ...]) -> tuple[list[tuple[int, ...]], np.ndarray, float]:
    """(sequences, probabilities, mean length) of a template set."""
    sequences = [s for s, _ in spec]
    p = np.array([w for _, w in spec])
    p = p / p.sum()
    return sequences, p, float(sum(len(s) * w for s, w in zip(sequences, p, strict=True)))
