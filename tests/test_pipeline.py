"""Integration: the real Dagster job and dbt on real (small) data in temporary folders."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from sources.settings import PROJECT_ROOT, SAMPLE_LANDING_DIR
from sources.warehouse import connect


def run_parkpi(env_root: Path, landing: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(
        PARKPI_LANDING_DIR=str(landing),
        PARKPI_WAREHOUSE=str(env_root / "warehouse" / "parkpi.duckdb"),
        PARKPI_PUBLISH_DIR=str(env_root / "warehouse" / "published"),
        DAGSTER_HOME=str(env_root / "dagster_home"),
    )
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "run", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory):
    """`parkpi run` on a copy of the bundled sample, as `make run` does."""
    root = tmp_path_factory.mktemp("sample_run")
    landing = root / "landing"
    shutil.copytree(SAMPLE_LANDING_DIR, landing)
    first = run_parkpi(root, landing)
    assert first.returncode == 0, first.stdout + first.stderr
    return root, landing, first


def kpi(root: Path, sql: str, params: list | None = None) -> list[tuple]:
    with connect(root / "warehouse" / "parkpi.duckdb", read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_sample_run_reproduces_the_2017_calibration(sample_run) -> None:
    root, _, first = sample_run
    rows = dict(
        (indicator, (value, prior, change))
        for indicator, value, prior, change in kpi(
            root,
            """SELECT indicator, value, prior_value, change_abs FROM kpi.kpi_yearly
               WHERE year = 2017 AND scope = 'province' AND scope_code = 'ALL'
                 AND indicator IN ('online_services_level3', 'mailboxes_issued')""",
        )
    )
    level3, level3_2016, level3_change = rows["online_services_level3"]
    mailboxes, mailboxes_2016, mailboxes_change = rows["mailboxes_issued"]
    assert level3 == 154
    assert 8500 <= mailboxes <= 8999
    assert level3_2016 is not None and level3_change == level3 - level3_2016
    assert mailboxes_2016 is not None and mailboxes_change == mailboxes - mailboxes_2016
    # and `make run` shows them, with the year-by-year figures around them
    summary = first.stdout
    line = next(line for line in summary.splitlines() if line.startswith("online_services_level3"))
    assert " 154 " in line and f" {level3_2016:,.0f} " in line
    line = next(line for line in summary.splitlines() if line.startswith("mailboxes_issued"))
    assert f" {mailboxes:,.0f} " in line


def test_sample_run_summary_counts_loaded_and_rejected_rows(sample_run) -> None:
    root, _, first = sample_run
    assert "parkpi run succeeded" in first.stdout
    loaded, rejected = kpi(
        root, "SELECT (SELECT count(*) FROM raw_portal.events), (SELECT count(*) FROM raw_portal.rejects)"
    )[0]
    line = next(line for line in first.stdout.splitlines() if line.startswith("portal.events"))
    assert f"{loaded:,}" in line and line.rstrip().endswith(f"{rejected:,}")
    assert rejected > 0  # the sample carries a handful of contract-violating rows on purpose


def test_repeat_run_reads_nothing_and_gives_the_same_kpis(sample_run) -> None:
    root, landing, _ = sample_run
    before = kpi(root, "SELECT * FROM kpi.kpi_yearly ORDER BY ALL")
    again = run_parkpi(root, landing)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("nothing changed, no file read") == 4
    assert kpi(root, "SELECT * FROM kpi.kpi_yearly ORDER BY ALL") == before


def test_unreadable_file_fails_the_run_naming_it_and_keeps_loaded_data(sample_run) -> None:
    root, landing, _ = sample_run
    before = kpi(root, "SELECT count(*), sum(hash(MaHoSo, ThoiDiem)) FROM raw_portal.events")
    bad = landing / "portal" / "2020" / "12" / "broken.jsonl.gz"
    bad.write_bytes(gzip.compress(b'{"MaHoSo": "X"}\n' * 100)[:40])
    try:
        failed = run_parkpi(root, landing)
    finally:
        bad.unlink()
    assert failed.returncode == 1
    assert "portal/2020/12/broken.jsonl.gz" in failed.stderr + failed.stdout
    assert "gzip" in failed.stderr + failed.stdout
    assert kpi(root, "SELECT count(*), sum(hash(MaHoSo, ThoiDiem)) FROM raw_portal.events") == before


def test_ingest_assets_materialise_with_dagster(settings_env: Path, landing: Path) -> None:
    from orchestration.defs.ingest import ingest_assets
    from orchestration.lib.resources import WarehouseResource
    from sources.generate import generate

    generate(landing, scale=0.05, seed=11)
    warehouse = settings_env / "warehouse" / "parkpi.duckdb"
    result = dg.materialize(ingest_assets, resources={"warehouse": WarehouseResource(path=str(warehouse))})
    assert result.success
    materialised = {
        event.asset_key.to_user_string(): event.step_materialization_data.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    assert set(materialised) == {
        "portal/raw_events",
        "postal/raw_shipments",
        "mailbox/raw_reports",
        "catalog/raw_agencies",
        "catalog/raw_procedures",
    }
    with connect(warehouse, read_only=True) as con:
        for key, table in (("portal/raw_events", "raw_portal.events"), ("mailbox/raw_reports", "raw_mailbox.reports")):
            schema = table.split(".")[0]
            rows, rejects = con.execute(
                f"SELECT (SELECT count(*) FROM {table}), (SELECT count(*) FROM {schema}.rejects)"
            ).fetchone()
            assert materialised[key]["rows"].value == rows > 0
            assert materialised[key]["rows_rejected_this_run"].value == rejects > 0
