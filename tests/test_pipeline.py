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

from quality.suites import SUITES
from sources.registry import SOURCES
from sources.settings import PROJECT_ROOT
from sources.warehouse import connect
from tests.builds import Build, parkpi_env, run_parkpi
from tests.oracle.build import build_in_own_process


def kpi(root: Path, sql: str, params: list | None = None) -> list[tuple]:
    with connect(root / "warehouse" / "parkpi.duckdb", read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture
def sample_run(sample_build: Build):
    """The session's sample build, as (root, landing folder, the run): read-only."""
    return sample_build.root, sample_build.landing, sample_build.run


@pytest.fixture
def tiny_copy(tiny_build: Build, tmp_path: Path):
    """A copy of the session's one-month build, as (root, landing folder, the run), to change:
    for tests whose point is what a run does with a new or a broken file, not the figures."""
    copy = tiny_build.copy(tmp_path / "build")
    return copy.root, copy.landing, copy.run


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


def test_repeat_run_reads_nothing_and_gives_the_same_kpis(sample_build: Build, tmp_path: Path) -> None:
    # a repeat with nothing changed changes nothing, which is the point: on a twin of the shared
    # build (its warehouse and history, reading the same landing folder in place)
    twin = sample_build.twin(tmp_path / "twin")
    root, landing = twin.root, twin.landing
    before = kpi(root, "SELECT * FROM kpi.kpi_yearly ORDER BY ALL")
    again = run_parkpi(root, landing)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("nothing changed, no file read") == len(SOURCES)
    assert kpi(root, "SELECT * FROM kpi.kpi_yearly ORDER BY ALL") == before
    # nothing to rebuild or re-check: dbt and the checks are skipped, the summary still
    # shows the figures and the check results of the run that built them
    assert "up to date     nothing changed since run" in again.stdout
    assert "parkpi_dbt_models" not in again.stdout and "quality_" not in again.stdout
    assert any(line.startswith("online_services_level3") for line in again.stdout.splitlines())
    checks = sum(len(suite.checks) for suite in SUITES) + sum(1 for s in SOURCES.values() if s.freshness)
    assert f"Data quality: {checks} checks, {checks - 1} passed, 1 warning, 0 blocking failures" in again.stdout


def test_build_state_sees_every_kind_of_change(sample_run, tmp_path: Path) -> None:
    from orchestration.lib import build_state
    from sources.settings import Settings

    root, landing, _ = sample_run
    warehouse = tmp_path / "parkpi.duckdb"
    shutil.copy(root / "warehouse" / "parkpi.duckdb", warehouse)
    published = root / "warehouse" / "published"
    settings = Settings(landing, warehouse, published, "1GB", "2GB")
    assert build_state.plan(settings).up_to_date
    # a landing file with a new modification time: the loader would look at it again
    export = next(landing.glob("postal/**/*.csv"))
    stat = export.stat()
    os.utime(export, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    try:
        plan = build_state.plan(settings)
        assert not plan.up_to_date and export.relative_to(landing).as_posix() in plan.reason
    finally:
        os.utime(export, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert build_state.plan(settings).up_to_date
    # a different landing folder
    other = Settings(tmp_path / "elsewhere", warehouse, published, "1GB", "2GB")
    assert not build_state.plan(other).up_to_date
    # no published snapshot where the settings say
    assert "no published snapshot" in build_state.plan(Settings(landing, warehouse, tmp_path, "1GB", "2GB")).reason
    # a built table that is not what the last full run left
    with connect(warehouse) as con:
        con.execute("DELETE FROM kpi.kpi_yearly WHERE year = 2016")
    assert build_state.plan(settings).reason == "the built tables differ from what the last full run left"
    # a failed run forgets the state
    build_state.forget(settings)
    assert build_state.plan(settings).reason == "no successful full run recorded in this warehouse"


def test_code_digest_follows_the_dbt_project(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from orchestration.lib import build_state

    project = tmp_path / "dbt_project"
    (project / "models").mkdir(parents=True)
    (project / "target").mkdir()
    model = project / "models" / "m.sql"
    model.write_text("select 1 as x\n")
    monkeypatch.setattr(build_state, "PROJECT_ROOT", tmp_path)
    monkeypatch.setattr(build_state, "_CODE_ROOTS", (project,))
    monkeypatch.setattr(build_state, "_CODE_FILES", ())
    before = build_state.code_digest()
    (project / "target" / "manifest.json").write_text("{}")  # generated output is not code
    assert build_state.code_digest() == before
    model.write_text("select 2 as x\n")
    assert build_state.code_digest() != before


def test_status_shows_what_is_loaded_and_the_last_run(sample_run) -> None:
    root, landing, first = sample_run
    out = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "status"],
        cwd=PROJECT_ROOT, env=parkpi_env(root, landing), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    rows = kpi(root, "SELECT count(*) FROM raw_portal.events WHERE year(ThoiDiem) = 2017 AND month(ThoiDiem) = 3")
    line = next(line for line in out.stdout.splitlines() if line.startswith("2017 "))
    assert f"{rows[0][0]:,}" in line.split()  # March 2017 in the month grid
    run_id = first.stdout.rsplit("run id ", 1)[1].split(")")[0]
    assert "SUCCESS" in out.stdout and "Data quality (run" in out.stdout
    assert run_id in out.stdout or "parkpi_ingest" in out.stdout


def test_unreadable_file_fails_the_run_naming_it_and_keeps_loaded_data(tiny_copy) -> None:
    root, landing, _ = tiny_copy
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
    from orchestration.defs.ingest import every_partition_tags, ingest_assets
    from orchestration.lib.resources import WarehouseResource
    from sources.generate import generate

    generate(landing, scale=0.05, seed=11)
    warehouse = settings_env / "warehouse" / "parkpi.duckdb"
    result = dg.materialize(
        ingest_assets, resources={"warehouse": WarehouseResource(path=str(warehouse))}, tags=every_partition_tags()
    )
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
        "catalog/raw_targets",
    }
    with connect(warehouse, read_only=True) as con:
        for key, table in (("portal/raw_events", "raw_portal.events"), ("mailbox/raw_reports", "raw_mailbox.reports")):
            schema = table.split(".")[0]
            rows, rejects = con.execute(
                f"SELECT (SELECT count(*) FROM {table}), (SELECT count(*) FROM {schema}.rejects)"
            ).fetchone()
            assert materialised[key]["rows"].value == rows > 0
            assert materialised[key]["rows_rejected_this_run"].value == rejects > 0


def test_arrival_order_does_not_change_the_kpis(sample_run, tmp_path: Path) -> None:
    """The exports that come last in path order (corrections, re-exports) arrive first, the rest
    a run later: the KPIs equal those of loading everything at once (the session's `parkpi run`).
    Each arrival is loaded and built the way a run's ingest and dbt steps do it, without the
    Dagster job around them (tests/oracle/build.py: the loader of every source, then an
    incremental `dbt run`): the checks and publishing around them do not touch the figures, and
    two whole runs of the sample cost this suite a minute (tests of the job itself: the rest of
    this file)."""
    root, landing, _ = sample_run
    expected = kpi(root, "SELECT * FROM kpi.kpi_yearly ORDER BY ALL")
    files = sorted(p.relative_to(landing) for p in landing.rglob("*") if p.is_file())
    late, early = files[len(files) // 2 :], files[: len(files) // 2]
    staged = tmp_path / "landing"
    for batch in (late, early):
        for relative in batch:
            (staged / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(landing / relative, staged / relative)
        built = build_in_own_process(staged, tmp_path)
        assert built.returncode == 0, built.stdout + built.stderr
    loads = kpi(tmp_path, "SELECT count(*) FROM raw_portal.loads WHERE files_added > 0")
    assert loads == [(2,)]  # two arrivals of portal exports, the second loaded and built on the first
    assert kpi(tmp_path, "SELECT * FROM kpi.kpi_yearly ORDER BY ALL") == expected
