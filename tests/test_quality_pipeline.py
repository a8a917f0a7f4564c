"""Data-quality checks inside the real Dagster job: the sample passes every blocking check, a
blocking failure stops what is downstream, results land in dq and Data Docs."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import dagster as dg
import pytest

from quality import SUITES, DataDocs, summary_lines
from quality import checks as names
from quality.freshness import CHECK_NAME as FRESHNESS
from quality.suites import RATIO_INDICATORS
from sources.loading import load_source
from sources.portal import PORTAL
from sources.registry import SOURCES
from sources.settings import get_settings
from sources.warehouse import connect
from tests.builds import Build
from tests.conftest import event, write_jsonl

# What the bundled sample is known to warn about: a negative count in a December 2017 mailbox
# report that the correction file replaces (sources/sample/README.md, "Corrections").
SAMPLE_WARNINGS = {("mailbox/raw_reports", names.COUNTS_NOT_NEGATIVE)}


@pytest.fixture
def sample_run(sample_build: Build):
    """The session's sample build (tests/conftest.py): (its warehouse, the run)."""
    return sample_build.warehouse, sample_build.run


def test_sample_passes_every_blocking_check_and_records_each_check(sample_run) -> None:
    warehouse, _ = sample_run
    with connect(warehouse, read_only=True) as con:
        rows = con.execute(
            "SELECT run_id, asset, check_name, severity, success, evaluated_count, unexpected_count, data_docs "
            "FROM dq.check_results"
        ).fetchall()
    assert len({row[0] for row in rows}) == 1  # one run
    recorded = {(row[1], row[2]): row for row in rows}
    freshness = {(f"{s.token}/raw_{s.freshness.entity}", FRESHNESS) for s in SOURCES.values() if s.freshness}
    assert set(recorded) == {(suite.asset_path, check.name) for suite in SUITES for check in suite.checks} | freshness
    assert [key for key, row in recorded.items() if row[3] == "blocking" and not row[4]] == []
    assert {key for key, row in recorded.items() if not row[4]} == SAMPLE_WARNINGS
    assert all(row[5] > 0 for row in rows)  # every check looked at something
    pages = {unquote(urlparse(row[7]).path) for row in rows if row[2] != FRESHNESS}  # freshness has no GX page
    assert all(Path(page).is_file() for page in pages)


def test_sample_data_docs_and_summary_lines(sample_run, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse, run = sample_run
    docs = DataDocs.for_warehouse(warehouse)
    assert docs.index == warehouse.parent / "data_docs" / "index.html"
    index = docs.index.read_text(encoding="utf-8")
    assert all(suite.name in index for suite in SUITES)
    # parkpi's offline index (quality/docs_index.py): every GX suite with its latest status
    statuses = dict(re.findall(r'<tr class="suite" data-suite="([^"]+)" data-status="([^"]+)"', index))
    assert {name for name, status in statuses.items() if status != "passed"} == {"mailbox.raw_reports"}
    assert statuses["mailbox.raw_reports"] == "warning" and "<script" not in index
    monkeypatch.setenv("PARKPI_WAREHOUSE", str(warehouse))
    lines = summary_lines(get_settings())
    checks = sum(len(suite.checks) for suite in SUITES) + sum(1 for s in SOURCES.values() if s.freshness)
    assert lines[0].startswith(f"Data quality: {checks} checks, {checks - 1} passed, 1 warning, 0 blocking failures")
    assert "mailbox/raw_reports:counts_not_negative" in lines[1]
    assert lines[-1] == f"Data Docs: {docs.index_url}"
    # `make run` says what a warning is about while it runs
    assert "WARNING: mailbox/raw_reports: counts_not_negative failed" in run.stdout


def test_ratio_indicators_are_the_ratio_units_of_dim_indicators(sample_run) -> None:
    warehouse, _ = sample_run
    with connect(warehouse, read_only=True) as con:
        ratios = {
            i for (i,) in con.execute("SELECT indicator FROM marts.dim_indicators WHERE unit = 'ratio'").fetchall()
        }
    assert ratios == set(RATIO_INDICATORS)


def test_blocking_failure_stops_downstream_assets(settings_env: Path, landing: Path) -> None:
    """A raw portal row with a channel outside its code set (as if ingest had let it through)
    fails a blocking check: dbt does not run, no mart or KPI is built, the run fails."""
    from orchestration.lib.dbt import prepare_dbt

    write_jsonl(
        landing / "portal" / "2017" / "01" / "export_01.jsonl",
        [
            event("000.00.09.H33-170102-00001", 2, "20170102080000"),
            event("000.00.09.H33-170102-00001", 9, "20170109100000"),
        ],
    )
    warehouse = settings_env / "warehouse" / "parkpi.duckdb"
    with connect(warehouse) as con:
        load_source(con, PORTAL, landing)
        # the landing file is unchanged, so the run does not reload it: this row stays broken
        con.execute("UPDATE raw_portal.events SET KenhThucHien = 7 WHERE TrangThaiHoSo = 9")

    prepare_dbt()
    from orchestration.definitions import defs
    from orchestration.defs.ingest import every_partition_tags
    from orchestration.defs.jobs import MAIN_JOB_NAME

    result = defs.resolve_job_def(MAIN_JOB_NAME).execute_in_process(raise_on_error=False, tags=every_partition_tags())
    assert not result.success

    evaluations = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    failed = evaluations[("portal/raw_events", names.CODES_IN_SETS)]
    assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR
    assert failed.metadata["unexpected"].value == 1
    assert failed.metadata["sample"].value == [
        {"_source_file": "portal/2017/01/export_01.jsonl", "_source_line": 2, "KenhThucHien": 7}
    ]
    assert "KenhThucHien in [1, 2, 3]: 1" in failed.description
    assert evaluations[("portal/raw_events", names.REQUIRED_VALUES_PRESENT)].passed

    materialised = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "portal/raw_events" in materialised
    assert not {key for key in materialised if key.split("/")[0] in ("staging", "intermediate", "marts", "kpi")}
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    assert failure.step_key == "quality_portal_raw_events"
    assert "portal/raw_events: codes_in_sets" in failure.step_failure_data.error.message
    started = {e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START}
    assert "quality_portal_raw_events" in started and "parkpi_dbt_models" not in started

    with connect(warehouse, read_only=True) as con:
        recorded = con.execute(
            "SELECT success, unexpected_count FROM dq.check_results WHERE asset = 'portal/raw_events' "
            "AND check_name = ? AND run_id = ?",
            [names.CODES_IN_SETS, result.run_id],
        ).fetchall()
    assert recorded == [(False, 1)]
