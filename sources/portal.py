"""``portal/`` — the service portal's dossier event log: one record per status change of a
dossier (hồ sơ), as JSON Lines or CSV, optionally gzipped. Partitioned by the month of
``ThoiDiem``. docs/landing-files.md describes the format for data owners."""

from __future__ import annotations

from sources.contract import (
    DUE_HORIZON,
    EARLIEST_EVENT,
    NOW,
    ChangeLog,
    Derived,
    Entity,
    Field,
    Freshness,
    RawRule,
    Source,
    between,
    matches,
    no_month_gaps,
)

# The contract's example `000.20.33.H33-170312-00042`: agency code, yymmdd, sequence number.
DOSSIER_CODE_REGEX = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}-[0-9]{6}-[0-9]{4,6}$"

# A dossier's key: the upper 31 bits of the MD5 of its code (MD5: the same on every DuckDB
# version, unlike hash()), stored with each event at loading. Incremental dbt models find a
# changed dossier's rows by it (an integer column) before comparing the codes themselves,
# which costs a scan of every row's code (at 30M events 0.78 -> 0.20 CPU-s per lookup;
# docs/scaling.md). Not an identifier: two codes can share a key, the codes decide (31 bits:
# 4 bytes a row in the raw table and kpi_dossier_sources, where 63 took 8; a lookup of 71k
# changed dossiers among 100M events matches a few thousand other rows). dbt's `dossier_key`
# macro (dbt_project/macros/dossier_key.sql) computes the same value; a test holds the two
# together.
DOSSIER_KEY_SQL = "CAST(md5_number({MaHoSo}) >> 97 AS INTEGER)"

EVENTS = Entity(
    name="events",
    formats=(".jsonl", ".jsonl.gz", ".csv", ".csv.gz"),
    marker="MaHoSo",
    fields=(
        Field("MaHoSo", required=True),
        Field("MaTTHC", required=True),
        Field("MaDonVi", required=True),
        Field("KenhThucHien", "int", required=True, allowed=(1, 2, 3)),
        Field("MucDo", "int", allowed=(2, 3, 4)),
        Field("TrangThaiHoSo", "int", required=True, allowed=tuple(range(1, 11))),
        Field("ThoiDiem", "ts_compact", required=True),
        Field("NgayHenTra", "ts_compact"),
        Field("HinhThucTra", "int", allowed=(0, 1, 2)),
        Field("DuocThanhToanTrucTuyen", "int", allowed=(0, 1, 2)),
        Field("LoaiDoiTuong", "int", allowed=(1, 2, 3, 4)),
    ),
    derived=(Derived("_dossier_key", "INTEGER", DOSSIER_KEY_SQL),),
)

PORTAL = Source(
    token="portal",
    description="service-portal dossier event log",
    entities=(EVENTS,),
    period_field="ThoiDiem",
    freshness=Freshness("events", "ThoiDiem", max_age_days=35),
    # fct_dossiers recomputes only the dossiers a load touched, also those that lost events
    change_log=ChangeLog(table="dossier_changes", entity="events", key="MaHoSo"),
    raw_rules=(
        RawRule(
            name="dossier_code_pattern",
            rule=f"MaHoSo looks like a dossier code ({DOSSIER_CODE_REGEX})",
            entity="events",
            expectations=(matches("MaHoSo", DOSSIER_CODE_REGEX),),
        ),
        RawRule(
            name="dates_plausible",
            rule=f"ThoiDiem between {EARLIEST_EVENT:%Y-%m-%d} and now; NgayHenTra at most a year ahead",
            entity="events",
            expectations=(between("ThoiDiem", EARLIEST_EVENT, NOW), between("NgayHenTra", EARLIEST_EVENT, DUE_HORIZON)),
        ),
        RawRule(
            name="no_month_without_events",
            rule="every month between the first and the last has portal events (none: a missing export?)",
            entity="events",
            expectations=(no_month_gaps("ThoiDiem"),),
        ),
    ),
)
