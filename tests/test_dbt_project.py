"""End-to-end check of the dbt project on a small hand-made raw layer.

The raw rows (tests/dbt_helpers.py) are written straight into the raw tables (as `sources/`
would after validation), `dbt build` runs in a temporary folder once for this module, and a few
`kpi.kpi_yearly` figures are compared with values computed by hand from the rows (see the
comments beside them), not from the SQL. The incremental tests check that an incremental build
after a new load (or a catalogue change) equals a `--full-refresh` build. (The tests of the dbt
macros that need no build are in tests/test_dbt_macros.py.)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from sources.loading import ensure_all_raw_schemas
from sources.warehouse import connect
from tests.dbt_helpers import EVENTS_LOAD_2, approx, build_both_ways, insert_events, insert_raw, kpi, run_dbt, value


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


# --------------------------------------------------------------------------- tests

# Hand-computed from the raw rows (tests/dbt_helpers.py).
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
