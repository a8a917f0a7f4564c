"""Operations (issue 6): definitions load cleanly, schedules evaluate, the landing-folder sensor
asks for the right run, month partitions re-load a month alone, and a second writer waits for the first (two whole
runs at once: tests/test_publish.py, with readers watching the snapshot)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import dagster as dg
import pytest

from sources.loading import load_source
from sources.portal import PORTAL
from sources.settings import PROJECT_ROOT
from sources.warehouse import connect, writer_lock
from tests.conftest import PORTAL_HEADER, event, write_csv, write_jsonl


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


def test_every_run_is_in_process_and_queued_one_at_a_time(
    definitions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from dagster._core.run_coordinator import QueuedRunCoordinator

    from orchestration.cli.home import EARLIER_DAGSTER_YAMLS
    from orchestration.cli.home import dagster_home as _dagster_home

    defs, repository, _ = definitions
    for job in [*repository.get_all_jobs(), defs.resolve_implicit_global_asset_job_def()]:
        assert job.executor_def.name == "in_process", job.name
    for name in ("parkpi_main", "parkpi_ingest"):
        assert repository.get_job(name).tags["parkpi/warehouse"] == "writer"

    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("PARKPI_WAREHOUSE", str(tmp_path / "warehouse" / "parkpi.duckdb"))
    config = home / "dagster.yaml"
    config.write_text(EARLIER_DAGSTER_YAMLS[0], encoding="utf-8")  # a home from before the run queue
    _dagster_home()
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == 1
        assert {"key": "parkpi/warehouse", "value": "writer", "limit": 1} in queue.tag_concurrency_limits
    # a configuration someone wrote by hand is kept; without the limit, parkpi says so
    config.write_text("telemetry:\n  enabled: true\n", encoding="utf-8")
    _dagster_home()
    assert config.read_text(encoding="utf-8") == "telemetry:\n  enabled: true\n"
    assert "no run limit" in capsys.readouterr().err


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


def _tick(cursor: str | None, instance) -> tuple[object, str | None]:
    from orchestration.defs.automation import landing_folder_sensor

    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    result = landing_folder_sensor(context)
    [result] = result if isinstance(result, list) else [result]
    return result, context.cursor


def _load_as_the_ingest_asset_does(warehouse: Path, landing: Path, *sources) -> None:
    from orchestration.lib import loaded_state

    with connect(warehouse) as con:
        for source in sources:
            load_source(con, source, landing)
            loaded_state.export(con, source, warehouse)


def test_sensor_requests_a_run_for_what_changed_and_nothing_twice(
    definitions, settings_env: Path, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = settings_env / "warehouse" / "parkpi.duckdb"
    march = write_jsonl(landing / "portal/2017/03/a.jsonl", [event("D1", 2, "20170301080000")])
    write_jsonl(landing / "mailbox/ignored.txt", ["not an export"])  # not a file type of any source
    with dg.instance_for_test() as instance:
        request, cursor = _tick(None, instance)
        assert isinstance(request, dg.RunRequest)
        assert request.tags["dagster/asset_partition_range_start"] == "2017-03-01"
        assert request.tags["dagster/asset_partition_range_end"] == "2017-03-01"
        assert request.tags["parkpi/sources"] == "portal"
        assert dg.AssetKey(["portal", "raw_events"]) in request.asset_selection
        assert dg.AssetKey(["postal", "raw_shipments"]) not in request.asset_selection
        assert dg.AssetKey(["kpi", "kpi_yearly"]) in request.asset_selection
        first_key = request.run_key

        # nothing changed and the run has not loaded it yet: not requested again, nor re-read
        from orchestration.defs import automation

        reads: list[Path] = []
        with monkeypatch.context() as patch:
            patch.setattr(automation, "file_months", lambda path: reads.append(path) or [])
            patch.setattr(automation, "sha256_of", lambda path: reads.append(path) or "")
            again, cursor = _tick(cursor, instance)
        assert isinstance(again, dg.SkipReason) and first_key in again.skip_message
        assert reads == []
        # a sensor that lost its cursor asks for the same run key, which Dagster runs once
        assert _tick(None, instance)[0].run_key == first_key

        # the run loads it: everything is loaded, nothing to request
        _load_as_the_ingest_asset_does(warehouse, landing, PORTAL)
        loaded, cursor = _tick(cursor, instance)
        assert isinstance(loaded, dg.SkipReason) and "is loaded" in loaded.skip_message
        # a fresh sensor (empty cursor) reads the manifest too: no run for files already loaded
        assert isinstance(_tick(None, instance)[0], dg.SkipReason)
        # ... of this warehouse: a new warehouse file in its place has loaded nothing
        moved = warehouse.rename(warehouse.with_name("moved.duckdb"))
        assert _tick(None, instance)[0].run_key == first_key
        shutil.copy(moved, warehouse)
        assert _tick(None, instance)[0].run_key == first_key
        moved.replace(warehouse)
        # touched (copied again), same content: nothing to load, nothing requested
        os.utime(march, ns=(march.stat().st_atime_ns, march.stat().st_mtime_ns + 10**9))
        touched, cursor = _tick(cursor, instance)
        assert isinstance(touched, dg.SkipReason)

        # a new export spanning two months, and a postal file
        write_jsonl(
            landing / "portal/late/b.jsonl.gz",
            [event("D2", 2, "20180131230000"), event("D2", 9, "20180202080000")],
            compress=True,
        )
        write_jsonl(landing / "postal/x.csv", ["Mã bưu gửi"])  # content does not matter to the sensor
        request, after = _tick(cursor, instance)
        assert request.tags["dagster/asset_partition_range_start"] == "2018-01-01"
        assert request.tags["dagster/asset_partition_range_end"] == "2018-02-01"
        assert request.tags["parkpi/sources"] == "portal,postal"
        assert request.tags["parkpi/reload_months"] == "false"  # load what changed, nothing more
        assert request.run_key != first_key
        # the same state always gives the same run key, so Dagster never runs it twice
        assert _tick(cursor, instance)[0].run_key == request.run_key
        assert isinstance(_tick(after, instance)[0], dg.SkipReason)

        # March's file changes content: its old month and its new ones are concerned
        write_jsonl(march, [event("D1", 2, "20170301080000"), event("D1", 9, "20170612080000")])
        changed, _ = _tick(after, instance)
        assert changed.tags["dagster/asset_partition_range_start"] == "2017-03-01"
        assert changed.tags["dagster/asset_partition_range_end"] == "2018-02-01"  # b.jsonl.gz still pending


def test_sensor_never_opens_the_warehouse(definitions, settings_env: Path, landing: Path) -> None:
    """A sensor ticking while a run writes must neither wait for it nor lock it out: another
    process holds the warehouse open for writing (as a run does) during the tick."""
    warehouse = settings_env / "warehouse" / "parkpi.duckdb"
    write_jsonl(landing / "portal/a.jsonl", [event("D1", 2, "20170301080000")])
    _load_as_the_ingest_asset_does(warehouse, landing, PORTAL)
    write_jsonl(landing / "portal/b.jsonl", [event("D2", 2, "20190401080000")])
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sys, duckdb\n"
         f"con = duckdb.connect({str(warehouse)!r})\nprint('open', flush=True)\nsys.stdin.readline()\n"
         "con.execute('CREATE TABLE written_after_the_tick AS SELECT 1 AS x')\n"
         "con.close()\nprint('wrote', flush=True)"],
        cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert writer.stdout.readline().strip() == "open"
        with dg.instance_for_test() as instance:
            started = time.monotonic()
            request, _ = _tick(None, instance)
            seconds = time.monotonic() - started
        # opening the locked file would have raised or waited (connect() backs off for 120 s)
        assert seconds < 10 and isinstance(request, dg.RunRequest)
        assert request.tags["dagster/asset_partition_range_start"] == "2019-04-01"
        writer.stdin.write("go\n")
        writer.stdin.flush()
        assert writer.stdout.readline().strip() == "wrote"
    finally:
        writer.kill()
        writer.wait(timeout=30)


def test_file_months_reads_only_the_named_file(landing: Path) -> None:
    from sources.loading import discover, file_months

    # "[1]" is a glob pattern to DuckDB: unescaped, it would read m1.jsonl instead
    write_jsonl(landing / "portal/m[1].jsonl", [event("M", at="20170301080000")])
    write_jsonl(landing / "portal/m1.jsonl", [event("N", at="20180501080000")])
    write_csv(
        landing / "portal/c.csv", PORTAL_HEADER, [["C", "1.0", "X", 2, "", 2, " 20190101080000 ", "", "", "", ""]]
    )
    files, _ = discover(landing, PORTAL)
    assert file_months(PORTAL, files["portal/m[1].jsonl"]) == ["2017-03"]
    assert file_months(PORTAL, files["portal/c.csv"]) == ["2019-01"]


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
    # the asset left a copy of the manifest for the sensor, which never opens the warehouse
    from orchestration.lib import loaded_state

    state = loaded_state.read(warehouse, PORTAL)
    assert state["last_load_id"] == 2
    assert {path: entry[3:] for path, entry in state["files"].items()} == {
        "portal/x/jan.jsonl": ["2017-01", "2017-01"],
        "portal/x/mar.jsonl": ["2017-03", "2017-03"],
    }
    with connect(warehouse, read_only=True) as con:
        assert con.execute("SELECT MaHoSo, count(*) FROM raw_portal.events GROUP BY 1 ORDER BY 1").fetchall() == [
            ("J1", 1),
            ("M1", 2),
        ]
        # January was not touched: still from the first load
        assert con.execute("SELECT DISTINCT _load_id FROM raw_portal.events WHERE MaHoSo = 'J1'").fetchall() == [(1,)]


def test_dbt_waits_out_a_transient_lock(definitions, settings_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process holding the warehouse when dbt starts (a DuckDB CLI, `parkpi status`)
    makes the dbt step retry with backoff, not fail the run. The holder lets go once dbt has
    hit its lock and asked for a retry."""
    import uuid

    from dagster._core.events import DagsterEventType

    from orchestration.defs import transform
    from sources.loading import ensure_all_raw_schemas

    monkeypatch.setattr(transform, "LOCK_RETRY_SECONDS", 1.0)
    warehouse = settings_env / "warehouse" / "parkpi.duckdb"
    with connect(warehouse) as con:
        ensure_all_raw_schemas(con)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys\n"
         f"con = duckdb.connect({str(warehouse)!r}, read_only=True)\nprint('held', flush=True)\nsys.stdin.readline()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    run_id = str(uuid.uuid4())
    done = threading.Event()

    def release_after_first_retry(instance: dg.DagsterInstance) -> None:
        while not done.is_set():
            if instance.all_logs(run_id, of_type=DagsterEventType.STEP_UP_FOR_RETRY):
                holder.stdin.write("go\n")
                holder.stdin.flush()
                return
            time.sleep(0.2)

    try:
        assert holder.stdout.readline().strip() == "held"
        defs, _, _ = definitions
        [key] = [k for k in transform.parkpi_dbt_models.keys if k.path[-1] == "stg_catalog__agencies"]
        job = dg.define_asset_job("lock_test", selection=[key], executor_def=dg.in_process_executor)
        job_def = dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def("lock_test")
        with dg.instance_for_test() as instance:
            watcher = threading.Thread(target=release_after_first_retry, args=(instance,), daemon=True)
            watcher.start()
            result = job_def.execute_in_process(instance=instance, run_id=run_id, raise_on_error=False)
            done.set()
            watcher.join(timeout=10)
            retries = instance.all_logs(run_id, of_type=DagsterEventType.STEP_UP_FOR_RETRY)
    finally:
        done.set()
        holder.kill()
        holder.wait(timeout=30)
    assert len(retries) >= 1 and result.success


def test_freshness_checks_warn_on_stale_data_as_of_a_settable_day(
    settings_env: Path, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.defs.automation import FRESHNESS_CHECK, freshness_checks
    from orchestration.defs.ingest import every_partition_tags, ingest_assets
    from orchestration.lib.resources import WarehouseResource

    write_jsonl(landing / "portal/a.jsonl", [event("D1", 2, "20200110080000"), event("D1", 9, "20200301080000")])
    resources = {"warehouse": WarehouseResource(path=str(settings_env / "warehouse" / "parkpi.duckdb"))}

    def evaluations(as_of: str) -> dict[str, dg.AssetCheckEvaluation]:
        monkeypatch.setenv("PARKPI_AS_OF", as_of)
        result = dg.materialize([*ingest_assets, *freshness_checks], resources=resources, tags=every_partition_tags())
        assert result.success  # warnings never fail a run
        return {
            e.asset_key.to_user_string(): e
            for e in result.get_asset_check_evaluations()
            if e.check_name == FRESHNESS_CHECK
        }

    fresh = evaluations("2020-04-01")  # the newest event is 31 days old
    assert fresh["portal/raw_events"].passed and fresh["portal/raw_events"].metadata["age_days"].value == 30.7
    stale = evaluations("2020-04-10")  # 40 days
    assert not stale["portal/raw_events"].passed
    assert stale["portal/raw_events"].severity == dg.AssetCheckSeverity.WARN
    # a source with no data at all warns too
    assert not stale["postal/raw_shipments"].passed and "no postal data" in stale["postal/raw_shipments"].description


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
