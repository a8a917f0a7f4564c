"""Every expectation of every suite: clean data passes, data breaking exactly that rule fails
exactly that check (quality, no Dagster).

Each case builds a tiny in-memory warehouse (tests/quality_warehouse.py: raw tables from
sources.warehouse, marts and KPI tables by hand with the columns the checks read), breaks one rule
(tests/quality_cases.py) and validates the suite."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from quality import SUITES, DataDocs, Suite, summary_lines, validate_and_record, validate_suite
from quality import checks as names
from quality import docs as docs_module
from sources.settings import get_settings
from tests.quality_cases import (
    CASES,
    EVENTS,
    MAILBOX_REPORTS,
    PORTAL_EVENTS,
    POSTAL_SHIPMENT_FACTS,
    Case,
    expectation_index,
    update,
)
from tests.quality_warehouse import NOW, build_warehouse


@pytest.fixture
def warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    con = build_warehouse()
    yield con
    con.close()


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_clean_data_passes_every_check(warehouse, suite: Suite) -> None:
    outcomes = validate_suite(warehouse, suite, now=NOW)
    assert {o.check.name for o in outcomes} == {c.name for c in suite.checks}
    failed = {o.check.name: o.summary() for o in outcomes if not o.success}
    assert failed == {}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_breaking_one_rule_fails_exactly_its_check(warehouse, case: Case) -> None:
    warehouse.execute(case.breaking)
    outcomes = {o.check.name: o for o in validate_suite(warehouse, case.suite, now=NOW)}
    failed = sorted(name for name, o in outcomes.items() if not o.success)
    assert failed == [case.check], {name: outcomes[name].summary() for name in failed}
    outcome = outcomes[case.check]
    broken = outcome.expectations[expectation_index(case)]
    assert not broken.success and broken.error is None, broken
    # the number and a sample of the failing rows, identified by the suite's key columns
    assert outcome.unexpected_count >= 1 and outcome.evaluated_count >= outcome.unexpected_count
    assert broken.sample, broken
    if case.check != names.COLUMNS_PRESENT:
        key = (case.suite.check(case.check).key_columns or case.suite.key_columns)[0]
        assert isinstance(broken.sample[0], dict) and key in broken.sample[0], broken.sample


def test_every_expectation_has_a_breaking_case() -> None:
    covered = {(c.suite.name, c.check, expectation_index(c)) for c in CASES}
    every = {
        (suite.name, check.name, index)
        for suite in SUITES
        for check in suite.checks
        for index in range(len(check.expectations))
    }
    assert every - covered == set()


def test_check_names_are_the_constants_and_unique_per_asset() -> None:
    constants = {value for key, value in vars(names).items() if key.isupper() and isinstance(value, str)}
    for suite in SUITES:
        check_names = [c.name for c in suite.checks]
        assert len(check_names) == len(set(check_names)), suite.name
        assert set(check_names) <= constants, suite.name


def test_share_checks_report_the_share_even_when_passing(warehouse) -> None:
    warehouse.execute("UPDATE marts.fct_postal_shipments SET is_matched_dossier = false WHERE dossier_code = 'D1'")
    warehouse.execute(
        "INSERT INTO marts.fct_postal_shipments SELECT 'EB1' || i || 'VN', 'E' || i, true, true FROM range(20) t(i)"
    )
    (outcome,) = validate_suite(warehouse, POSTAL_SHIPMENT_FACTS, now=NOW)
    assert outcome.success  # 29 of 30 = 96.7 % >= 95 %
    assert (outcome.evaluated_count, outcome.unexpected_count) == (30, 1)
    assert outcome.sample == [{"waybill_code": "EB000000001VN", "dossier_code": "D1", "is_matched_dossier": False}]
    assert outcome.summary().startswith("96.7% of 30 rows pass (threshold 95%)")


def test_results_are_kept_one_row_per_check_per_run_and_summarised(tmp_path, monkeypatch) -> None:
    path = tmp_path / "warehouse" / "parkpi.duckdb"
    path.parent.mkdir()
    con = build_warehouse(str(path))
    con.execute(update(EVENTS, "KenhThucHien = 7 WHERE TrangThaiHoSo = 9"))
    for run_id in ("run-1", "run-1", "run-2"):  # a retried step replaces its own rows
        validate_and_record(con, PORTAL_EVENTS, run_id=run_id, warehouse=path, now=NOW)
    rows = con.execute(
        "SELECT run_id, check_name, severity, success, evaluated_count, unexpected_count, sample "
        "FROM dq.check_results ORDER BY run_id, check_name"
    ).fetchall()
    latest = con.execute("SELECT count(*), min(run_id) FROM dq.latest_check_results").fetchone()
    con.close()
    assert len(rows) == 2 * len(PORTAL_EVENTS.checks) and latest == (len(PORTAL_EVENTS.checks), "run-2")
    failed = [row for row in rows if not row[3]]
    assert [(r[0], r[1], r[2], r[4], r[5]) for r in failed] == [
        ("run-1", names.CODES_IN_SETS, "blocking", 6 * 2, 1),
        ("run-2", names.CODES_IN_SETS, "blocking", 6 * 2, 1),
    ]
    assert '"KenhThucHien": 7' in failed[0][6]
    monkeypatch.setenv("PARKPI_WAREHOUSE", str(path))
    lines = summary_lines(get_settings())
    assert lines[0] == (
        f"Data quality: {len(PORTAL_EVENTS.checks)} checks, {len(PORTAL_EVENTS.checks) - 1} passed, "
        "0 warnings, 1 blocking failure (history in dq.check_results)"
    )
    assert lines[1].startswith("  BLOCKING portal/raw_events:codes_in_sets — 1 of 12 values unexpected")
    assert lines[2] == f"Data Docs: {DataDocs.for_warehouse(path).index_url}"


def test_data_docs_keep_the_last_results_of_each_suite(warehouse, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(docs_module, "RESULTS_KEPT", 2)
    docs = DataDocs(tmp_path / "data_docs")
    for run_id in ("run-a", "run-b", "run-c"):
        (outcome, *_) = validate_suite(warehouse, MAILBOX_REPORTS, run_id=run_id, now=NOW, docs=docs)
    pages = sorted((docs.root / "validations").rglob("*.html"))
    assert [page.relative_to(docs.root / "validations").parts[2] for page in pages] == ["run-b", "run-c"]
    assert outcome.data_docs == pages[-1].as_uri()
    assert len(list((docs.store / "validations").rglob("*.json"))) == 2
    assert "mailbox.raw_reports" in docs.index.read_text(encoding="utf-8")
