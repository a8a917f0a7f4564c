"""The hand-made raw layer of the dbt project's end-to-end tests (tests/test_dbt_project.py) and
what they share: the raw rows (two portal loads, shipments, mailbox reports, the catalogue) and
their insertion into the raw tables (as `sources/` would after validation), dbt run in its own
process, the KPI look-ups, and the comparison of an incremental build with a full refresh.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.dbt import PARTIAL_PARSE_FILE, seeded_parse
from sources.portal import EVENTS
from tests.golden_outputs import rows_as_built

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
LOADED_AT = datetime(2020, 1, 1)


# --------------------------------------------------------------------------- raw rows


def ts(text: str) -> datetime:
    """Compact local time as in the portal contract: yyyyMMddHHmm[ss]."""
    return datetime.strptime(text.ljust(14, "0"), "%Y%m%d%H%M%S")


# (file under portal/, MaHoSo, MaTTHC, MaDonVi, KenhThucHien, TrangThaiHoSo, ThoiDiem,
#  NgayHenTra, HinhThucTra, DuocThanhToanTrucTuyen)
EVENTS_LOAD_1 = [
    # D1: received 2017-03-01 09:00, processed exactly on due (on time), returned by post,
    # paid online; agency H_A (-> H_B -> H_C).
    ("2017/a.jsonl", "D1", "1.001", "H_A", 2, 1, "201703010800", None, None, None),
    ("2017/a.jsonl", "D1", "1.001", "H_A", 2, 2, "201703010900", "201703101700", None, 1),
    ("2017/a.jsonl", "D1", "1.001", "H_A", 2, 9, "201703101700", None, None, None),
    ("2017/a.jsonl", "D1", "1.001", "H_A", 2, 10, "201703110800", None, 1, None),
    # D2: two supplement requests -> late although finished before due; fee-bearing, unpaid.
    ("2017/a.jsonl", "D2", "1.003", "X_1", 1, 2, "201705020800", "201705120800", 0, 0),
    ("2017/a.jsonl", "D2", "1.003", "X_1", 1, 5, "201705030800", None, None, None),
    ("2017/a.jsonl", "D2", "1.003", "X_1", 1, 5, "201705040800", None, None, None),
    ("2017/a.jsonl", "D2", "1.003", "X_1", 1, 9, "201705100800", None, None, None),
    # D3: received in December 2017, result returned one second after due in January 2018
    # (status 10 beats the earlier status 8); last HinhThucTra is 0.
    ("2017/b.jsonl", "D3", "1.002", "H_B", 3, 2, "201712201000", "201801051000", 1, None),
    ("2018/a.jsonl", "D3", "1.002", "H_B", 3, 8, "201801041000", None, None, None),
    ("2018/a.jsonl", "D3", "1.002", "H_B", 3, 10, "20180105100001", None, 0, None),
    # D4: overdue at the end of 2017, withdrawn in 2018 (the later status 9 does not count).
    ("2017/b.jsonl", "D4", "1.001", "H_C", 2, 2, "201711010800", "201711301700", None, 2),
    ("2018/a.jsonl", "D4", "1.001", "H_C", 2, 7, "201802010800", None, None, None),
    ("2018/a.jsonl", "D4", "1.001", "H_C", 2, 9, "201803010800", None, None, None),
    # D5: no due date; the status-9 event is exported twice, the later file says by post.
    ("2018/a.jsonl", "D5", "1.002", "X_1", 2, 2, "201802010000", None, None, None),
    ("2018/a.jsonl", "D5", "1.002", "X_1", 2, 9, "201802050000", None, 0, None),
    ("2018/b.jsonl", "D5", "1.002", "X_1", 2, 9, "201802050000", None, 1, None),
    # D8: status 1 and 2 at the same second: status 1 is the earliest (channel 1, H_B), the
    # agency comes from the status-2 event (X_1); not accepted (status 3) the next day.
    ("2018/b.jsonl", "D8", "1.003", "H_B", 1, 1, "201806010800", None, None, None),
    ("2018/b.jsonl", "D8", "1.003", "X_1", 2, 2, "201806010800", "201806101700", None, None),
    ("2018/b.jsonl", "D8", "1.003", "X_1", 2, 3, "201806020800", None, None, None),
    # D7: only registered, in 2019: 2019 becomes a portal year with nothing received.
    ("2019/a.jsonl", "D7", "1.001", "H_A", 2, 1, "201901050800", None, None, None),
]

RESULT, CARRY = "Chuyển trả kết quả", "Chuyển phát hồ sơ"
DONE, FAILED, RETURNED = "Phát thành công", "Phát không thành công", "Chuyển hoàn"
IN_TRANSIT = "Đang vận chuyển"

# (file under postal/, Mã bưu gửi, Mã hồ sơ, Loại dịch vụ, Mã đơn vị, Ngày chấp nhận,
#  Ngày phát, Trạng thái)
SHIPMENTS = [
    # Re-exported with a later status: the delivered row beats the in-transit one.
    ("2017/04.csv", "EB000000001VN", "D1", RESULT, "H_A", "201703110800", "201703130800", DONE),
    ("2017/03.csv", "EB000000001VN", "D1", RESULT, "H_A", "201703110800", None, IN_TRANSIT),
    # Two final statuses: the file last in path order wins (returned to sender).
    ("2018/01.csv", "EB000000002VN", "D3", RESULT, "H_B", "201801060800", "201801080800", FAILED),
    ("2018/02.csv", "EB000000002VN", "D3", RESULT, "H_B", "201801060800", "201801100800", RETURNED),
    # Matches no dossier.
    ("2017/04.csv", "EB000000003VN", "D0", CARRY, "X_1", "201706010800", "201706020800", DONE),
    # Empty dossier code, still in transit.
    ("2018/02.csv", "EB000000004VN", None, RESULT, "X_1", "201805010800", None, IN_TRANSIT),
    # Delivered after 1.5 days (file b beats file a).
    ("2018/a.csv", "EB000000005VN", "D5", RESULT, "X_1", "201802060800", "201802080800", DONE),
    ("2018/b.csv", "EB000000005VN", "D5", RESULT, "X_1", "201802060800", "201802072000", DONE),
]

# (file under mailbox/, Mã đơn vị, Kỳ báo cáo, Tổng số hộp thư đã cấp,
#  Số hộp thư đang sử dụng, Cấp mới trong kỳ, Thu hồi trong kỳ)
MAILBOX_REPORTS = [
    ("2017.csv", "X_1", date(2017, 6, 1), 100, 80, 10, 0),
    ("2017.csv", "X_1", date(2017, 12, 1), 120, 90, 20, 0),
    # A correction of X_1's December 2017 report ("2017_fix.csv" sorts after "2017.csv").
    ("2017_fix.csv", "X_1", date(2017, 12, 1), 130, 100, 30, 0),
    ("2017.csv", "H_A", date(2017, 12, 1), 50, 40, 5, 0),
    ("2017.csv", "H_B", date(2017, 12, 1), 30, 30, 3, 0),
    ("2018.csv", "X_1", date(2018, 12, 1), 140, 140, 10, 0),
    ("2018.csv", "H_C", date(2018, 6, 1), 90, 45, 10, 0),
]

# (MaDonVi, TenDonVi, Cap, MaDonViCha, HieuLucTu, HieuLucDen, MaDonViKeThua)
AGENCIES = [
    ("P", "UBND tỉnh", "tinh", None, date(2015, 1, 1), None, None),
    ("H_A", "Huyện A", "huyen", "P", date(2015, 1, 1), date(2018, 12, 31), "H_B"),
    ("H_B", "Huyện B", "huyen", "P", date(2015, 1, 1), date(2024, 12, 31), "H_C"),
    ("H_C", "Huyện C", "huyen", "P", date(2015, 1, 1), None, None),
    ("X_1", "Xã 1", "xa", "H_C", date(2015, 1, 1), None, None),
]

# (MaTTHC, MucDo, CoPhiLePhi, HieuLucTu, HieuLucDen)
PROCEDURES = [
    # Raised from level 3 to level 4 on 1 July 2017.
    ("1.001", 3, 1, date(2016, 1, 1), date(2017, 6, 30)),
    ("1.001", 4, 1, date(2017, 7, 1), None),
    # Level 3 until 31 December 2017 inclusive, then level 2; no fee.
    ("1.002", 3, 0, date(2016, 1, 1), date(2017, 12, 31)),
    ("1.002", 2, 0, date(2018, 1, 1), None),
    ("1.003", 2, 1, date(2016, 1, 1), None),
]


def insert_events(con: duckdb.DuckDBPyConnection, rows: list[tuple], load_id: int) -> None:
    """Insert portal events as one load, listing their dossiers in dossier_changes."""
    records = []
    for line, (file, *event) in enumerate(rows):
        dossier, procedure, agency, channel, status, at, due, returned, paid = event
        parsed_due = ts(due) if due else None
        records.append(
            (dossier, procedure, agency, channel, status, ts(at), parsed_due, returned, paid)
            + (f"portal/{file}", line + 2, load_id, LOADED_AT)
        )
    con.executemany(
        """insert into raw_portal.events (
            "MaHoSo", "MaTTHC", "MaDonVi", "KenhThucHien", "TrangThaiHoSo", "ThoiDiem",
            "NgayHenTra", "HinhThucTra", "DuocThanhToanTrucTuyen",
            _source_file, _source_line, _load_id, _loaded_at)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        records,
    )
    for derived in EVENTS.derived:  # the dossier key, as the loader computes it
        key = derived.expression()
        con.execute(f"update raw_portal.events set {derived.name} = {key} where _load_id = ?", [load_id])
    con.executemany(
        "insert into raw_portal.dossier_changes values (?, ?)",
        [(load_id, dossier) for dossier in sorted({row[1] for row in rows})],
    )


def insert_raw(con: duckdb.DuckDBPyConnection) -> None:
    insert_events(con, EVENTS_LOAD_1, load_id=1)
    shipments = []
    for line, (file, *shipment) in enumerate(SHIPMENTS):
        waybill, dossier, service, agency, accepted, delivered, status = shipment
        parsed_delivered = ts(delivered) if delivered else None
        shipments.append(
            (waybill, dossier, service, agency, ts(accepted), parsed_delivered, status, 25000)
            + (f"postal/{file}", line + 2, 1, LOADED_AT)
        )
    con.executemany("insert into raw_postal.shipments values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", shipments)
    con.executemany(
        "insert into raw_mailbox.reports values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (agency, None, month, *figures, f"mailbox/{file}", line + 2, 1, LOADED_AT)
            for line, (file, agency, month, *figures) in enumerate(MAILBOX_REPORTS)
        ],
    )
    con.executemany(
        "insert into raw_catalog.agencies values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*row, "catalog/agencies.csv", n + 2, 1, LOADED_AT) for n, row in enumerate(AGENCIES)],
    )
    con.executemany(
        """insert into raw_catalog.procedures
            ("MaTTHC", "TenTTHC", "MucDo", "CoPhiLePhi", "HieuLucTu", "HieuLucDen",
             _source_file, _source_line, _load_id, _loaded_at)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            (code, f"Thủ tục {code}", *period, "catalog/procedures.csv", n + 2, 1, LOADED_AT)
            for n, (code, *period) in enumerate(PROCEDURES)
        ],
    )


# --------------------------------------------------------------------------- dbt runner


def run_dbt(workdir: Path, warehouse: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run dbt in its own process, every artefact (target, logs) inside ``workdir``.

    A separate process, not ``dbtRunner``: dbt-duckdb keeps its DuckDB connection open in
    the process that ran it, which would lock the file against the checks below.
    """
    command = [
        sys.executable,
        "-c",
        "from dbt.cli.main import cli; cli()",
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
    ]
    env = {
        **os.environ,
        "PARKPI_WAREHOUSE": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    # a new warehouse's first command starts from another one's parse (orchestration/lib/dbt.py)
    with seeded_parse(workdir / "target" / PARTIAL_PARSE_FILE, env) as adopted:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, f"dbt {' '.join(args)} failed:\n{result.stdout[-5000:]}"
    if adopted:  # dbt took it: the profile hash computed for it is dbt's own
        assert "profile has changed" not in result.stdout, result.stdout[:3000]
    return result


def kpi(warehouse: Path, year: int, indicator: str, scope_code: str = "ALL") -> tuple:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            """select value, prior_value, change_abs, change_pct, trend
            from kpi.kpi_yearly
            where year = ? and scope = ? and scope_code = ? and indicator = ?""",
            [year, "province" if scope_code == "ALL" else "agency", scope_code, indicator],
        ).fetchall()
    finally:
        con.close()
    assert len(rows) == 1, (year, indicator, scope_code, rows)
    return rows[0]


def value(warehouse: Path, year: int, indicator: str, scope_code: str = "ALL") -> float | None:
    return kpi(warehouse, year, indicator, scope_code)[0]


def approx(expected: float | None):
    return None if expected is None else pytest.approx(expected, rel=1e-12, abs=1e-12)


# --------------------------------------------------------------------------- incremental

EVENTS_LOAD_2 = [
    # A new dossier in 2019.
    ("2019/b.jsonl", "D9", "1.001", "X_1", 2, 2, "201903010800", "201903050800", None, 1),
    ("2019/b.jsonl", "D9", "1.001", "X_1", 2, 9, "201903040800", None, 1, None),
    # D2 gets a result-returned event.
    ("2019/b.jsonl", "D2", "1.003", "X_1", 1, 10, "201901020800", None, 1, None),
    # D10: registered in May 2012, received in March 2019, 82 months later: too far apart for
    # fct_dossiers' month bits (64 months), its months are read from its events again.
    ("2019/b.jsonl", "D10", "1.001", "H_A", 2, 1, "201205100800", None, None, None),
    ("2019/b.jsonl", "D10", "1.001", "H_A", 2, 2, "201903020800", "201903100800", None, None),
]


# the KPI tables an incremental build must leave exactly as a full refresh builds them; the
# drill-through tables too (kpi_dossier_sources and kpi_dossier_lineage are incremental themselves)
KPI_TABLES = (
    "kpi_yearly",
    "kpi_periodic",
    "kpi_periodic_wide",
    "kpi_targets",
    "kpi_components",
    "kpi_contributions",
    "kpi_dossier_flags",
    "kpi_dossier_sources",
    "kpi_dossier_lineage",
)


def snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    """fct_dossiers and the KPI tables, without `_built_at` (when the build that wrote a row
    started: the one thing an incremental build and a full refresh write differently)."""

    def rows(con: duckdb.DuckDBPyConnection, table: str, order: str) -> list[tuple]:
        return con.execute(f"{rows_as_built(con, table)} order by {order}").fetchall()

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        fact = rows(con, "marts.fct_dossiers", "dossier_code")
        kpis = {table: rows(con, f"kpi.{table}", "all") for table in KPI_TABLES}
    finally:
        con.close()
    return {"fct_dossiers": fact, **kpis}


def build_both_ways(incremental: Path, tmp_path: Path, *, full_build: Path | None = None) -> dict[str, list[tuple]]:
    """dbt's models on `incremental` (changed since its build) and, on a copy of it, a full
    refresh: fct_dossiers and every table of KPI_TABLES come out exactly equal, floats included
    (means are computed from exact integer sums). Returns the incremental warehouse's tables.

    ``full_build``: a warehouse whose tables are already a full build of the same raw tables
    (the fixture's first build, when only built tables were changed): compared with instead of
    a full refresh of a copy."""
    # Models only: the data and unit tests already ran in the fixture's build.
    full = full_build
    if full is None:
        full = tmp_path / "full.duckdb"
        shutil.copy(incremental, full)
        run_dbt(tmp_path / "full", full, "run", "--full-refresh")
    run_dbt(tmp_path / "inc", incremental, "run")
    inc_snapshot, full_snapshot = snapshot(incremental), snapshot(full)
    for name in ("fct_dossiers", *KPI_TABLES):
        assert inc_snapshot[name] == full_snapshot[name], name
    return inc_snapshot
