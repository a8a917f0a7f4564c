"""Operations (issue 6): definitions load cleanly, schedules evaluate, the landing-folder sensor
asks for the right run, month partitions re-load a month alone, and two runs at once neither
fail on the lock nor corrupt anything."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import dagster as dg
import pytest

from sources.contracts import PORTAL
from sources.loader import load_source
from sources.settings import PROJECT_ROOT, SAMPLE_LANDING_DIR
from sources.warehouse import connect, writer_lock
from tests.conftest import event, write_jsonl
from tests.test_pipeline import parkpi_env


@pytest.fixture(scope="module")
def definitions():
    from orchestration.lib.dbt import prepare_dbt

    prepare_dbt()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import importlib

        import orchestration.definitions as module

        module = importlib.reload(module)
        repository = module.defs.get_repository_def()
    return module.defs, repository, caught


def test_definitions_load_without_warnings_from_our_code(definitions) -> None:
    _, repository, caught = definitions
    ours = [
        f"{w.filename}:{w.lineno}: {w.message}"
        for w in caught
        if str(PROJECT_ROOT) in w.filename and "/.venv/" not in w.filename
    ]
    assert ours == []
    keys = {key.to_user_string() for key in repository.asset_graph.get_all_asset_keys()}
    assert {"portal/raw_events", "kpi/kpi_yearly", "publish/kpi_snapshot"} <= keys
    assert {s.name for s in repository.schedule_defs} == {"monthly_full_build", "daily_incremental_build"}
    assert {s.name for s in repository.sensor_defs} == {"landing_folder_sensor"}
    for schedule in repository.schedule_defs:
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert repository.get_sensor_def("landing_folder_sensor").default_status == dg.DefaultSensorStatus.STOPPED


def test_schedules_evaluate(definitions) -> None:
    from orchestration.defs.automation import daily_incremental_build, monthly_full_build
    from orchestration.defs.ingest import PORTAL_MONTHS

    keys = PORTAL_MONTHS.get_partition_keys()
    monthly = monthly_full_build(dg.build_schedule_context(scheduled_execution_time=None))
    daily = daily_incremental_build(dg.build_schedule_context())
    assert monthly_full_build.cron_schedule == "0 6 6 * *" and daily_incremental_build.cron_schedule == "0 5 * * *"
    assert monthly.tags["parkpi/dbt_full_refresh"] == "true" and "parkpi/dbt_full_refresh" not in daily.tags
    for request in (monthly, daily):
        assert request.tags["dagster/asset_partition_range_start"] == keys[0]
        assert request.tags["dagster/asset_partition_range_end"] == keys[-1]
        assert request.tags["parkpi/warehouse"] == "writer"


def test_sensor_requests_a_run_for_what_changed_and_nothing_twice(
    definitions, settings_env: Path, landing: Path
) -> None:
    from orchestration.defs.automation import landing_folder_sensor

    write_jsonl(landing / "portal/2017/03/a.jsonl", [event("D1", 2, "20170301080000")])
    write_jsonl(landing / "mailbox/ignored.txt", ["not an export"])  # not a file type of any source
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, cursor=None)
        first = landing_folder_sensor(context)
        [request] = first if isinstance(first, list) else [first]
        assert isinstance(request, dg.RunRequest)
        assert request.tags["dagster/asset_partition_range_start"] == "2017-03-01"
        assert request.tags["dagster/asset_partition_range_end"] == "2017-03-01"
        assert request.tags["parkpi/sources"] == "portal"
        assert dg.AssetKey(["portal", "raw_events"]) in request.asset_selection
        assert dg.AssetKey(["postal", "raw_shipments"]) not in request.asset_selection
        assert dg.AssetKey(["kpi", "kpi_yearly"]) in request.asset_selection
        cursor = context.cursor

        # nothing changed: nothing requested
        again = landing_folder_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))
        assert isinstance(again, dg.SkipReason)

        # a new export spanning two months, and a postal file
        write_jsonl(
            landing / "portal/late/b.jsonl.gz",
            [event("D2", 2, "20180131230000"), event("D2", 9, "20180202080000")],
            compress=True,
        )
        write_jsonl(landing / "postal/x.csv", ["Mã bưu gửi"])  # content does not matter to the sensor
        context = dg.build_sensor_context(instance=instance, cursor=cursor)
        request = landing_folder_sensor(context)
        assert request.tags["dagster/asset_partition_range_start"] == "2018-01-01"
        assert request.tags["dagster/asset_partition_range_end"] == "2018-02-01"
        assert request.tags["parkpi/sources"] == "portal,postal"
        assert request.tags["parkpi/reload_months"] == "false"  # load what changed, nothing more
        # the same state always gives the same run key, so Dagster never runs it twice
        same = landing_folder_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))
        assert same.run_key == request.run_key
        assert isinstance(landing_folder_sensor(dg.build_sensor_context(instance=instance, cursor=context.cursor)),
                          dg.SkipReason)  # fmt: skip


def test_file_months_reads_only_the_named_file(definitions, landing: Path) -> None:
    from orchestration.defs.automation import file_months

    # "[1]" is a glob pattern to DuckDB: unescaped, it would read m1.jsonl instead
    named = write_jsonl(landing / "portal/m[1].jsonl", [event("M", at="20170301080000")])
    write_jsonl(landing / "portal/m1.jsonl", [event("N", at="20180501080000")])
    assert file_months(named) == ["2017-03"]


def test_a_month_can_be_reloaded_alone(settings_env: Path, landing: Path) -> None:
    from orchestration.defs.ingest import ingest_assets
    from orchestration.lib.resources import WarehouseResource

    write_jsonl(landing / "portal/x/jan.jsonl", [event("J1", 2, "20170105080000")])
    write_jsonl(landing / "portal/x/mar.jsonl", [event("M1", 2, "20170305080000"), event("M1", 9, "20170310080000")])
    warehouse = settings_env / "warehouse" / "parkpi.duckdb"
    with connect(warehouse) as con:
        load_source(con, PORTAL, landing)
        assert con.execute(
            "SELECT file_path, first_period, last_period FROM raw_portal.manifest ORDER BY 1"
        ).fetchall() == [("portal/x/jan.jsonl", "2017-01", "2017-01"), ("portal/x/mar.jsonl", "2017-03", "2017-03")]
        # somebody damaged March in the warehouse; the landing files are unchanged
        con.execute("DELETE FROM raw_portal.events WHERE MaHoSo = 'M1'")
    portal = next(a for a in ingest_assets if dg.AssetKey(["portal", "raw_events"]) in a.keys)
    result = dg.materialize(
        [portal], partition_key="2017-03-01", resources={"warehouse": WarehouseResource(path=str(warehouse))}
    )
    assert result.success
    [materialised] = result.get_asset_materialization_events()
    metadata = materialised.materialization.metadata
    assert metadata["files_reloaded"].value == 1 and metadata["files_added"].value == 0
    with connect(warehouse, read_only=True) as con:
        assert con.execute("SELECT MaHoSo, count(*) FROM raw_portal.events GROUP BY 1 ORDER BY 1").fetchall() == [
            ("J1", 1),
            ("M1", 2),
        ]
        # January was not touched: still from the first load
        assert con.execute("SELECT DISTINCT _load_id FROM raw_portal.events WHERE MaHoSo = 'J1'").fetchall() == [(1,)]


def test_writer_lock_makes_the_second_writer_wait(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from sources.warehouse import writer_lock\n"
         f"with writer_lock({str(warehouse)!r}, holder='test holder'):\n    print('held', flush=True); time.sleep(2)"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "held"
    messages: list[str] = []
    started = time.monotonic()
    with writer_lock(warehouse, on_wait=messages.append):
        waited = time.monotonic() - started
    holder.wait(timeout=30)
    assert waited > 1.0 and len(messages) == 1 and "test holder" in messages[0]
    # re-entrant in one process: a step inside a run that holds it does not deadlock
    done = threading.Event()

    def nested() -> None:
        with writer_lock(warehouse), writer_lock(warehouse):
            done.set()

    nested()
    assert done.is_set()


def test_two_runs_at_once_both_succeed_and_agree(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(SAMPLE_LANDING_DIR, landing)
    env = parkpi_env(tmp_path, landing)
    command = [sys.executable, "-m", "orchestration.cli", "run", "--full"]
    first = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    time.sleep(1.0)
    second = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    outputs = [process.communicate(timeout=600)[0] for process in (first, second)]
    assert first.returncode == 0, outputs[0]
    assert second.returncode == 0, outputs[1]
    assert any("waiting        the warehouse is being written by parkpi run" in out for out in outputs), outputs
    with connect(tmp_path / "warehouse" / "parkpi.duckdb", read_only=True) as con:
        level3 = con.execute(
            """SELECT value FROM kpi.kpi_yearly WHERE year = 2017 AND scope = 'province'
               AND indicator = 'online_services_level3'"""
        ).fetchone()[0]
        duplicates = con.execute(
            "SELECT count(*) - count(DISTINCT (MaHoSo, TrangThaiHoSo, ThoiDiem, _source_file, _source_line)) "
            "FROM raw_portal.events"
        ).fetchone()[0]
    assert level3 == 154 and duplicates == 0
