"""End-to-end check of the dbt project on a small hand-made raw layer.

The raw rows below are written straight into the raw tables (as `sources/` would after
validation), `dbt build` runs in a temporary folder, and a few `kpi.kpi_yearly` figures are
compared with values computed by hand from the rows (see the comments beside them), not
from the SQL. A second test checks that an incremental build after a new load equals a
`--full-refresh` build.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.dbt import PARTIAL_PARSE_FILE, seeded_parse
from sources.loading import ensure_all_raw_schemas
from sources.portal import DOSSIER_KEY_SQL, EVENTS
from sources.warehouse import connect, quote
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


@pytest.fixture(scope="module")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("dbt")
    warehouse = workdir / "warehouse.duckdb"
    con = connect(warehouse)
    ensure_all_raw_schemas(con)
    insert_raw(con)
    con.close()
    run_dbt(workdir, warehouse, "build")
    return warehouse


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


# --------------------------------------------------------------------------- tests

# Hand-computed from the rows above.
PROVINCE_EXPECTED = {
    # 2017: D1, D2, D3, D4 received; D1 and D4 online, D3 by post.
    (2017, "dossiers_received"): 4,
    (2017, "online_submission_rate"): 2 / 4,
    (2017, "postal_submission_rate"): 1 / 4,
    # D1 and D2 finished in 2017; D1 on time, D2 late (two supplement requests).
    (2017, "dossiers_finished"): 2,
    (2017, "on_time_rate"): 1 / 2,
    # D1: 9 days 8 hours; D2: 8 days.
    (2017, "avg_processing_days"): (9 + 8 / 24 + 8) / 2,
    # D4: due 30 Nov 2017, withdrawn only in 2018.
    (2017, "overdue_open_at_year_end"): 1,
    # Fee-bearing on the received date: D1, D2, D4 (D3's procedure has no fee); D1, D4 paid.
    (2017, "online_payment_rate"): 2 / 3,
    (2017, "postal_return_rate"): 1 / 2,
    # 1.002 is level 3 on 31 Dec 2017 (its row ends that day); 1.001 is level 4 since July.
    (2017, "online_services_level3"): 1,
    (2017, "online_services_level4"): 1,
    # Of 1.001 and 1.002, only 1.001 received an online dossier in 2017 (D1, D4).
    (2017, "online_services_used_rate"): 1 / 2,
    (2017, "postal_result_shipments"): 1,
    (2017, "postal_delivery_success_rate"): 1.0,
    (2017, "postal_avg_delivery_days"): 2.0,
    (2017, "postal_unmatched_shipments"): 1,
    # X_1 December corrected (130) + H_A 50 + H_B 30; new 10 + 30 + 5 + 3.
    (2017, "mailboxes_issued"): 210,
    (2017, "mailboxes_new"): 48,
    (2017, "mailbox_active_rate"): (100 + 40 + 30) / 210,
    # 2018: D5 (online) and D8 (earliest event is status 1, channel 1) received.
    (2018, "dossiers_received"): 2,
    (2018, "online_submission_rate"): 1 / 2,
    (2018, "postal_submission_rate"): 0.0,
    # D3 (one second late), D5 (no due date), D8 (not accepted, before due); D4 withdrawn.
    (2018, "dossiers_finished"): 3,
    (2018, "on_time_rate"): 1 / 2,
    (2018, "avg_processing_days"): ((16 + 1 / 86400) + 4 + 1) / 3,
    (2018, "overdue_open_at_year_end"): 0,
    # Only D8's procedure (1.003) carries a fee; D8 did not pay online.
    (2018, "online_payment_rate"): 0.0,
    # D5's duplicated status-9 event: the copy in the later file says by post.
    (2018, "postal_return_rate"): 1 / 3,
    (2018, "online_services_level3"): 0,
    (2018, "online_services_level4"): 1,
    (2018, "online_services_used_rate"): 0.0,
    (2018, "postal_result_shipments"): 3,
    # EB2 returned to sender, EB5 delivered; EB4 still in transit.
    (2018, "postal_delivery_success_rate"): 1 / 2,
    (2018, "postal_avg_delivery_days"): 1.5,
    (2018, "postal_unmatched_shipments"): 1,
    (2018, "mailboxes_issued"): 140 + 90,
    (2018, "mailboxes_new"): 20,
    (2018, "mailbox_active_rate"): (140 + 45) / 230,
    # 2019: one event (D7, status 1) only.
    (2019, "dossiers_received"): 0,
    (2019, "online_submission_rate"): None,
    (2019, "on_time_rate"): None,
    (2019, "avg_processing_days"): None,
    (2019, "overdue_open_at_year_end"): 0,
    (2019, "online_services_level3"): 0,
    (2019, "online_services_level4"): 1,
}


@pytest.mark.parametrize(("year", "indicator"), sorted(PROVINCE_EXPECTED))
def test_province_kpis(built_warehouse: Path, year: int, indicator: str) -> None:
    assert value(built_warehouse, year, indicator) == approx(PROVINCE_EXPECTED[(year, indicator)])


def test_years_that_appear(built_warehouse: Path) -> None:
    con = duckdb.connect(str(built_warehouse), read_only=True)
    try:
        years = dict(
            con.execute(
                """select indicator, list(distinct year order by year)
                from kpi.kpi_yearly where scope = 'province' group by indicator"""
            ).fetchall()
        )
        agency_rows = con.execute(
            """select scope_code, list(distinct year order by year) from kpi.kpi_yearly
            where scope = 'agency' and indicator = 'dossiers_received' group by scope_code"""
        ).fetchall()
        catalog_at_agency = con.execute(
            """select count(*) from kpi.kpi_yearly
            where scope = 'agency' and indicator like 'online_services_%'"""
        ).fetchone()[0]
    finally:
        con.close()
    assert len(years) == 19
    assert years["dossiers_received"] == [2017, 2018, 2019]
    assert years["postal_result_shipments"] == [2017, 2018]
    assert years["mailboxes_issued"] == [2017, 2018]
    assert years["online_services_level3"] == [2017, 2018, 2019]
    # H_A -> H_B -> H_C: everything is reported under H_C.
    assert sorted(agency_rows) == [("H_C", [2017, 2018, 2019]), ("X_1", [2017, 2018])]
    assert catalog_at_agency == 0


def test_agency_scope_successor_chain(built_warehouse: Path) -> None:
    # D1 (H_A), D3 (H_B), D4 (H_C) received in 2017 under H_C.
    assert value(built_warehouse, 2017, "dossiers_received", "H_C") == 3
    # H_A (50) and H_B (30) December 2017 positions summed under H_C.
    assert value(built_warehouse, 2017, "mailboxes_issued", "H_C") == 80
    # 2018: nothing received under H_C; D3 finished one second late.
    assert value(built_warehouse, 2018, "dossiers_received", "H_C") == 0
    assert value(built_warehouse, 2018, "online_submission_rate", "H_C") is None
    assert value(built_warehouse, 2018, "on_time_rate", "H_C") == 0.0


def test_prior_change_and_trend(built_warehouse: Path) -> None:
    # First year: no prior.
    assert kpi(built_warehouse, 2017, "overdue_open_at_year_end") == (1, None, None, None, None)
    # Lower is better: 1 -> 0 improved.
    assert kpi(built_warehouse, 2018, "overdue_open_at_year_end") == (0, 1, -1, -1.0, "improved")
    # Higher is better: 1 -> 0 worsened; then 0 -> 0 unchanged with no change_pct.
    assert kpi(built_warehouse, 2018, "online_services_level3") == (0, 1, -1, -1.0, "worsened")
    assert kpi(built_warehouse, 2019, "online_services_level3") == (0, 0, 0, None, "unchanged")
    # Volumes have no trend.
    assert kpi(built_warehouse, 2018, "dossiers_received")[4] is None
    # Lower is better, days: 2.0 -> 1.5 improved.
    delivery = kpi(built_warehouse, 2018, "postal_avg_delivery_days")
    assert delivery[1:3] == (2.0, -0.5) and delivery[4] == "improved"
    # NULL value: no change, no trend.
    assert kpi(built_warehouse, 2019, "on_time_rate") == (None, 0.5, None, None, None)


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


def assert_data_tests_check_the_rows_written(incremental: Path, tmp_path: Path) -> None:
    """After test_incremental_equals_full_refresh's build: `_built_at` marks the dossiers it
    recomputed (the new and changed ones, and X_1's, which moved to H_C), and the per-dossier data
    test checks those rows only (column_rules' latest_build), not the history."""
    con = connect(incremental)
    latest = "select max(_built_at) from marts.fct_dossiers"
    written = con.execute(f"select dossier_code from marts.fct_dossiers where _built_at = ({latest}) order by 1")
    assert [row[0] for row in written.fetchall()] == ["D10", "D2", "D5", "D8", "D9"]
    # one broken row the build wrote (D9), one it did not (D1)
    con.execute("update marts.fct_dossiers set channel = 7 where dossier_code in ('D9', 'D1')")
    con.close()
    result = run_dbt(tmp_path / "t", incremental, "test", "--select", "fct_dossiers__column_rules", check=False)
    results = json.loads((tmp_path / "t" / "target" / "run_results.json").read_text())["results"]
    assert [(r["status"], r["failures"]) for r in results if r["unique_id"].startswith("test.")] == [("fail", 1)]
    assert result.returncode == 1


def assert_built_ahead_keeps_dossiers(incremental: Path, tmp_path: Path) -> None:
    """kpi_dossier_flags and kpi_dossier_lineage look up their changed dossiers among the upstream
    rows loaded after their watermark (upstream_loaded_after). Built alone after a load, before
    fct_dossiers and kpi_dossier_sources have processed it, they read every upstream row instead:
    the changed dossiers keep their (not yet updated) rows rather than being looked up where they
    are not and dropped. (The whole build that follows must still equal a full refresh.)"""
    tables = ("kpi_dossier_flags", "kpi_dossier_lineage")

    def dossiers() -> dict[str, list[tuple]]:
        with duckdb.connect(str(incremental), read_only=True) as con:
            query = "select dossier_code from kpi.{} order by 1"
            return {table: con.execute(query.format(table)).fetchall() for table in tables}

    before = dossiers()
    run_dbt(tmp_path / "ahead", incremental, "run", "--select", *tables)
    assert dossiers() == before


def test_incremental_equals_full_refresh(built_warehouse: Path, tmp_path: Path) -> None:
    incremental = tmp_path / "incremental.duckdb"
    shutil.copy(built_warehouse, incremental)
    con = connect(incremental)
    insert_events(con, EVENTS_LOAD_2, load_id=2)
    # Load 2 also removed the file holding D7's only event.
    con.execute("delete from raw_portal.events where _source_file = 'portal/2019/a.jsonl'")
    con.execute("insert into raw_portal.dossier_changes values (2, 'D7')")
    # Agency catalogue change: X_1 is merged into H_C.
    con.execute("update raw_catalog.agencies set \"MaDonViKeThua\" = 'H_C' where \"MaDonVi\" = 'X_1'")
    # Built before the dossier key: dbt appends the column, dossier_replace computes it (with
    # dbt's dossier_key macro, which the comparison with a full refresh, whose keys come from
    # the raw events, holds to the loader's).
    for table in ("marts.fct_dossiers", "kpi.kpi_dossier_flags", "kpi.kpi_dossier_sources", "kpi.kpi_dossier_lineage"):
        con.execute(f"alter table {table} drop column _dossier_key")
    con.close()

    assert_built_ahead_keeps_dossiers(incremental, tmp_path)
    inc_snapshot = build_both_ways(incremental, tmp_path)
    codes = [row[0] for row in inc_snapshot["fct_dossiers"]]
    assert codes == ["D1", "D10", "D2", "D3", "D4", "D5", "D8", "D9"]
    # the lineage follows the events: D7, whose only file was removed, has no row left
    lineage = {row[0] for row in inc_snapshot["kpi_dossier_sources"]}
    assert lineage == set(codes)
    # kpi_dossier_lineage is kpi_dossier_sources grouped: each dossier's lines, sorted
    grouped: dict[str, list[dict]] = {}
    for code, _status, _at, file, line, *_watermark_and_key in sorted(
        inc_snapshot["kpi_dossier_sources"], key=lambda row: (row[0], row[3], row[4])
    ):
        grouped.setdefault(code, []).append({"file": file, "line": line})
    assert {code: sources for code, sources, *_watermark_and_key in inc_snapshot["kpi_dossier_lineage"]} == grouped

    con = duckdb.connect(str(incremental), read_only=True)
    try:
        loads = con.execute("select dossier_code, _max_load_id from marts.fct_dossiers order by 1").fetchall()
        x1 = con.execute("select count(*) from kpi.kpi_yearly where scope_code = 'X_1'").fetchone()[0]
        months_until_2017 = con.execute(
            """select year, period from kpi.kpi_periodic
            where period_type = 'month' and scope_code = 'H_C' and indicator = 'dossiers_received' and year <= 2017
            order by all"""
        ).fetchall()
    finally:
        con.close()
    assert dict(loads) == {"D1": 1, "D10": 2, "D2": 2, "D3": 1, "D4": 1, "D5": 1, "D8": 1, "D9": 2}
    assert x1 == 0  # X_1's dossiers, shipments and mailboxes moved under H_C.
    # The months with an event under H_C, D10's May 2012 among them; not the months that
    # share a bit with D10's (November 2013, September 2017).
    assert months_until_2017 == [(2012, 5), (2017, 3), (2017, 5), (2017, 11), (2017, 12)]
    assert_data_tests_check_the_rows_written(incremental, tmp_path)


def test_a_fee_catalogue_change_alone_reaches_every_dossier(built_warehouse: Path, tmp_path: Path) -> None:
    """No portal load, only the catalogue: procedure 1.002 bears a fee from 2018 on. The
    incremental kpi_dossier_flags (and what adds it up) must equal a full refresh: it notices
    the change by its fingerprint of the fee-bearing rows and recomputes every dossier."""
    incremental = tmp_path / "incremental.duckdb"
    shutil.copy(built_warehouse, incremental)
    con = connect(incremental)
    before = dict(con.execute("select dossier_code, received_fee_bearing from kpi.kpi_dossier_flags").fetchall())
    con.execute("""update raw_catalog.procedures set "CoPhiLePhi" = 1 where "MaTTHC" = '1.002' and "MucDo" = 2""")
    con.close()

    build_both_ways(incremental, tmp_path)
    with duckdb.connect(str(incremental), read_only=True) as con:
        after = dict(con.execute("select dossier_code, received_fee_bearing from kpi.kpi_dossier_flags").fetchall())
    assert {code for code in after if after[code] != before[code]} == {"D5"}  # 1.002, received in 2018


def test_dbt_computes_the_dossier_key_the_loader_stores() -> None:
    """dbt's dossier_key macro (the changed dossiers' keys) and the loader's DOSSIER_KEY_SQL (every
    raw event's) give the same key for every code, even in a DuckDB whose hash() differs: an
    incremental build that computed other keys would not find the changed dossiers' old events."""
    import jinja2

    macros = jinja2.Environment().from_string((DBT_PROJECT_DIR / "macros" / "dossier_key.sql").read_text())
    con = duckdb.connect()
    con.execute('create table events ("MaHoSo" varchar)')
    codes = ["000.20.33.H33-170312-00042", "D1", "", "hồ sơ 1", "000.00.12.H33-160111-00010"]
    con.executemany("insert into events values (?)", [(code,) for code in codes])
    loader = con.execute(f"select {EVENTS.derived[0].expression()} from events").fetchall()
    dbt = con.execute(f"select {macros.module.dossier_key(quote('MaHoSo'))} from events").fetchall()
    assert loader == dbt
    assert EVENTS.derived[0].sql == DOSSIER_KEY_SQL
    assert len({key for (key,) in loader}) == len(codes)
    assert all(0 <= key < 2**31 for (key,) in loader)  # an INTEGER, as Spark reads it from the lake


def fee_catalog_fingerprint(con: duckdb.DuckDBPyConnection, procedures: str) -> str:
    """macros/fee_catalog_fingerprint.sql's DuckDB query, rendered with plain Jinja, on ``procedures``."""
    import jinja2

    macros = jinja2.Environment().from_string((DBT_PROJECT_DIR / "macros" / "fee_catalog_fingerprint.sql").read_text())
    return con.execute(str(macros.module.default__fee_catalog_fingerprint_sql(procedures))).fetchone()[0]


def test_the_fee_catalogue_fingerprint_sees_rows_whose_hashes_collide() -> None:
    """Two fee-bearing rows added at once whose DuckDB hash() is the same (codes of the bench
    data that collide) change the fingerprint; a bit_xor of hashes, as it was, cancelled them.
    Row order does not matter; which validity bound is missing is told apart."""
    con = duckdb.connect()
    con.execute("create table procedures (procedure_code varchar, valid_from date, valid_to date, has_fee boolean)")
    con.execute(
        "insert into procedures values ('1.001', '2016-01-01', null, true), ('1.009', '2016-01-01', null, false)"
    )
    before = fee_catalog_fingerprint(con, "procedures")
    one, other = "000.00.12.H33-160111-00010", "000.00.02.H33-180111-00110"
    rows = [(one, date(2018, 1, 1), None, True), (other, date(2018, 1, 1), None, True)]
    con.executemany("insert into procedures values (?, ?, ?, ?)", rows)
    after = fee_catalog_fingerprint(con, "procedures")
    assert after != before
    old = "select bit_xor(hash(procedure_code, valid_from, valid_to)) from procedures where has_fee"
    if con.execute(
        "select hash(?, date '2018-01-01', null::date) = hash(?, date '2018-01-01', null::date)", [one, other]
    ).fetchone()[0]:
        con.execute("create table old_catalogue as select * from procedures where procedure_code not like '000%'")
        assert (
            con.execute(old).fetchone() == con.execute(old.replace("from procedures", "from old_catalogue")).fetchone()
        )
    con.execute("create table shuffled as select * from procedures order by procedure_code desc")
    assert fee_catalog_fingerprint(con, "shuffled") == after
    con.execute("update shuffled set valid_to = '2019-12-31' where procedure_code = ?", [one])
    assert fee_catalog_fingerprint(con, "shuffled") != after
    bounds = "select 'X' as procedure_code, {} as valid_from, {} as valid_to, true as has_fee"
    con.execute("create table open_end as " + bounds.format("date '2018-01-01'", "null::date"))
    con.execute("create table open_start as " + bounds.format("null::date", "date '2018-01-01'"))
    assert fee_catalog_fingerprint(con, "open_end") != fee_catalog_fingerprint(con, "open_start")


def test_flags_built_before_they_were_incremental_are_rebuilt(built_warehouse: Path, tmp_path: Path) -> None:
    """A warehouse whose kpi_dossier_flags predates its bookkeeping columns (a table rebuilt every
    run): the first incremental build adds the columns and, with no fingerprint recorded,
    recomputes every dossier (stale rows are corrected), as a full refresh builds them. The
    per-dossier tables' `_built_at` came later too: added, NULL in the rows not rewritten."""
    incremental = tmp_path / "incremental.duckdb"
    shutil.copy(built_warehouse, incremental)
    con = connect(incremental)
    for table in ("marts.fct_dossiers", "kpi.kpi_dossier_flags", "kpi.kpi_dossier_sources", "kpi.kpi_dossier_lineage"):
        con.execute(f"alter table {table} drop column _built_at")
    con.execute("alter table kpi.kpi_dossier_flags drop column _fee_catalog")
    con.execute("alter table kpi.kpi_dossier_flags drop column _max_load_id")
    con.execute("alter table kpi.kpi_dossier_flags drop column agency_code")
    con.execute("alter table kpi.kpi_dossier_flags drop column _dossier_key")
    con.execute("update kpi.kpi_dossier_flags set received_online = not received_online")  # stale rows
    con.close()
    # no raw table changed: the fixture's own first build is the full build to equal
    build_both_ways(incremental, tmp_path, full_build=built_warehouse)
    with duckdb.connect(str(incremental), read_only=True) as con:
        recorded = con.execute("select count(*), count(distinct _fee_catalog) from kpi.kpi_dossier_flags").fetchone()
        built = con.execute("select count(_built_at) from kpi.kpi_dossier_flags").fetchone()[0]
        unchanged = con.execute("select count(*), count(_built_at) from marts.fct_dossiers").fetchone()
    assert recorded[0] > 0 and recorded[1] == 1
    assert built == recorded[0] and unchanged[0] > 0 and unchanged[1] == 0


def test_column_rules_report_each_broken_rule(built_warehouse: Path, tmp_path: Path) -> None:
    """The combined column_rules test (tests/generic/column_rules.sql) fails the build and
    counts the offending rows of every rule it replaces the single-column tests of."""
    broken = tmp_path / "broken.duckdb"
    shutil.copy(built_warehouse, broken)
    con = connect(broken)
    con.execute("update marts.fct_dossiers set channel = 7 where dossier_code = 'D1'")
    con.execute("update marts.fct_dossiers set procedure_code = null where dossier_code in ('D2', 'D3')")
    con.execute("update marts.fct_dossiers set supplement_requests = -1 where dossier_code = 'D4'")
    con.execute("update marts.fct_dossiers set current_agency_code = 'NOWHERE' where dossier_code = 'D5'")
    con.execute("update marts.fct_dossiers set finish_status = 4 where dossier_code = 'D8'")
    con.execute("insert into marts.fct_dossiers select * from marts.fct_dossiers where dossier_code = 'D8'")
    con.close()

    result = run_dbt(tmp_path / "t", broken, "test", "--select", "fct_dossiers__column_rules", check=False)
    assert result.returncode == 1, result.stdout[-3000:]
    results = json.loads((tmp_path / "t" / "target" / "run_results.json").read_text())["results"]
    # the tests' results; not the on-run-start hook (which declares the lake on Spark, nothing on DuckDB)
    tests = [r for r in results if r["unique_id"].startswith("test.")]
    assert [(r["status"], r["failures"]) for r in tests] == [("fail", 8)]

    compiled = next((tmp_path / "t" / "target" / "compiled").rglob("fct_dossiers__column_rules.sql"))
    con = duckdb.connect(str(broken), read_only=True)
    try:
        failing = dict(con.execute(compiled.read_text()).fetchall())
    finally:
        con.close()
    assert failing == {
        "accepted_values(channel)": 1,
        "not_null(procedure_code)": 2,
        "non_negative(supplement_requests)": 1,
        "relationships(current_agency_code -> agency_code)": 1,
        # D8 twice: both copies have the unaccepted status, one is a surplus copy.
        "accepted_values(finish_status)": 2,
        "unique(dossier_code)": 1,
    }


def test_column_rules_pass_on_the_built_warehouse(built_warehouse: Path) -> None:
    """Every column_rules test ran in the fixture's build and passed (none was skipped)."""
    manifest_dir = built_warehouse.parent / "target"
    results = json.loads((manifest_dir / "run_results.json").read_text())["results"]
    rules = {r["unique_id"].split(".")[2]: r["status"] for r in results if "__column_rules" in r["unique_id"]}
    nodes = json.loads((manifest_dir / "manifest.json").read_text())["nodes"]
    declared = {
        node["name"] for node in nodes.values() if node["resource_type"] == "test" and "__column_rules" in node["name"]
    }
    assert len(declared) >= 30 and set(rules) == declared and set(rules.values()) == {"pass"}, rules
