"""Scale benchmark: the whole `parkpi run` path at 1M, 10M, 30M and 100M portal events.

    nice -n 10 python bench/scale.py --data /work/cache/scale --events 1000000 --events 10000000 ...

For each N it takes the data set of bench/datasets.py (a history of N events in months of
250,000 events, plus one more month of that size held back; generated once into --data), hard-
links the history into a landing folder of its own under <data>/months_<N>/scale/ and, each
step in a fresh process:

  full run      `parkpi run` on an empty warehouse: every source loaded, raw checks, dbt build,
                dbt-model checks, publish (snapshot, Parquet, report)
  monthly run   the held-back month added to the landing folder, `parkpi run` again: the portal
                loader reads the one new file, dbt builds incrementally, checks, publish
  refresh       `dbt build --full-refresh` on the same data (dbt CLI, as bench/transform.py
                runs it); every table of the marts and kpi schemas the monthly run left must
                equal it (EXCEPT ALL both ways): incremental == full refresh, at every size

Per run it prints the wall time and, per phase, seconds, events/s, peak RSS and peak spill:

  ingest   the loader steps (every source)           dbt      the dbt step (dagster-dbt)
  checks   the Great Expectations and freshness      publish  snapshot + Parquet + report
  other    the rest of the command: starting Python and Dagster, planning, the summary

A phase's time is the sum of its steps' times, taken from `parkpi run`'s console lines ("<step>
started" / "done in"). Peak RSS is the summed RSS of the whole process tree (`parkpi run` and the
dbt process it starts), polled every 0.2 s and attributed to the step running at the time; spill
is the size on disk of DuckDB's temporary folders (<warehouse dir>/.duckdb_tmp for loads, checks
and publish; <warehouse>.tmp for dbt), polled the same way. After each run: the sizes of the
warehouse, the snapshot (kpi.duckdb) and the Parquet set, the node times of dbt's run_results.json
(fct_dossiers, kpi_yearly, ...) and the load average (the machine is shared: say which runs were
on a loaded machine). Memory limits are parkpi's defaults unless PARKPI_DUCKDB_MEMORY_LIMIT or
PARKPI_DBT_MEMORY_LIMIT say otherwise; the refresh comparison, which is not measured, runs with
PARKPI_BENCH_COMPARE_MEMORY_LIMIT (default 10GB).

Targets (issue 15): the 100M run finishes with peak RSS <= 4 GB; every phase at N events takes
<= 1.1 x N / 10M x its time at 10M (100M <= 11 x 10M); the monthly run's dbt step at 30M <= 1.25 x
the same at 10M. The last line is one JSON object with every figure (for tracking across commits).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.datasets import data_root, dataset, describe  # noqa: E402
from bench.dbt_runs import run_dbt  # noqa: E402
from bench.scale_report import report_run, report_sizes, summarise  # noqa: E402
from bench.scale_run import MIB, disk_bytes, parkpi_run  # noqa: E402
from bench.transform_baseline import rows_only_in  # noqa: E402
from tests.golden_outputs import rows_as_built  # noqa: E402

COMPARED_SCHEMAS = ("marts", "kpi")
COMPARE_MEMORY_LIMIT = os.environ.get("PARKPI_BENCH_COMPARE_MEMORY_LIMIT", "10GB")

# --------------------------------------------------------------------------- children


def child(mode: str, warehouse: str, publish_dir: str) -> None:
    """Runs in its own process (after a run, when nothing else holds the warehouse)."""
    from sources.settings import get_settings
    from sources.warehouse import connect

    # The snapshot and the comparison are not measured (the runs are): they may use more memory
    # than a run, so that comparing 100M-row tables EXCEPT ALL does not spill for an hour.
    limit = get_settings().dbt_memory_limit if mode == "counts" else COMPARE_MEMORY_LIMIT
    con = connect(warehouse, memory_limit=limit)
    out: dict = {"mode": mode}
    if mode == "counts":
        out["events"] = con.execute("SELECT count(*) FROM raw_portal.events").fetchone()[0]
        out["dossiers"] = con.execute("SELECT count(*) FROM marts.fct_dossiers").fetchone()[0]
        out["kpi_yearly"] = con.execute("SELECT count(*) FROM kpi.kpi_yearly").fetchone()[0]
        out["blocking_failures"] = con.execute(
            "SELECT count(*) FROM dq.check_results WHERE NOT success AND severity = 'blocking' "
            "AND run_id = (SELECT run_id FROM dq.check_results ORDER BY checked_at DESC LIMIT 1)"
        ).fetchone()[0]
    elif mode in ("snapshot", "compare"):
        tables = [
            (schema, name)
            for schema, name in con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
                f"AND schema_name IN {COMPARED_SCHEMAS} ORDER BY 1, 2"
            ).fetchall()
        ]
        if mode == "snapshot":
            con.execute("CREATE SCHEMA IF NOT EXISTS bench_scale")
            for schema, name in tables:
                con.execute(
                    f'CREATE OR REPLACE TABLE bench_scale."{schema}__{name}" AS SELECT * FROM {schema}."{name}"'
                )
            out["tables"] = len(tables)
        else:
            compared = {}
            for schema, name in tables:
                copy = f'bench_scale."{schema}__{name}"'
                original = f'{schema}."{name}"'
                only_incremental, only_refresh = rows_only_in(
                    con, rows_as_built(con, copy), rows_as_built(con, original)
                )
                rows = con.execute(f"SELECT count(*) FROM {original}").fetchone()[0]
                compared[f"{schema}.{name}"] = [rows, only_incremental, only_refresh]
            con.execute("DROP SCHEMA bench_scale CASCADE")
            out["tables"] = compared
    con.execute("CHECKPOINT")
    con.close()
    print(json.dumps(out))


def measure(mode: str, warehouse: Path, publish_dir: Path) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(warehouse), str(publish_dir)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


# --------------------------------------------------------------------------- one size


def private_landing(folder: Path, work: Path) -> Path:
    """Hard-link the history (not the held-back month) into a landing folder of our own."""
    source, landing = folder / "landing", work / "landing"
    for path in sorted(source.rglob("*")):
        if path.is_file():
            target = landing / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, target)
            except OSError:
                shutil.copy2(path, target)
    return landing


def month_after(month: str) -> str:
    """'portal/2019/05/export_01.jsonl.gz' -> '2019-06-01' (the day after that month)."""
    year, number = (int(part) for part in month.split("/")[1:3])
    return f"{year + number // 12}-{number % 12 + 1:02d}-01"


def sizes(warehouse: Path, publish_dir: Path) -> dict:
    return {
        "warehouse_bytes": disk_bytes(warehouse) + disk_bytes(warehouse.with_name(warehouse.name + ".wal")),
        "snapshot_bytes": disk_bytes(publish_dir / "kpi.duckdb"),
        "parquet_bytes": disk_bytes((publish_dir / "parquet").resolve()),
    }


def run(events: int, data: Path, keep: bool, refresh: bool) -> dict:
    folder = dataset(events, data)
    info = describe(folder)
    print(
        f"\nscale, {info['events']:,} events in {info['months']} months from {info['first_month']} "
        f"(+ {info['held_back_events']:,} held back: {info['held_back']}); "
        f"landing {info['landing_bytes'] / MIB:,.0f} MiB",
        flush=True,
    )
    work = folder / "scale"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    landing = private_landing(folder, work)
    warehouse = work / "warehouse" / "parkpi.duckdb"
    publish_dir = work / "published"
    env = {
        **os.environ,
        "PARKPI_LANDING_DIR": str(landing),
        "PARKPI_WAREHOUSE": str(warehouse),
        "PARKPI_PUBLISH_DIR": str(publish_dir),
        "DAGSTER_HOME": str(work / "dagster_home"),
        "PYTHONUNBUFFERED": "1",  # the run's lines reach <label>.out as they come: a 100M run takes an hour
    }
    (work / "dagster_home").mkdir()
    history_end = month_after(list_months(landing)[-1])
    figures: dict = {"events": info["events"], "months": info["months"], "month_events": info["held_back_events"]}

    # dbt's partial parsing needs the profile of the last parse: parse once with this warehouse's
    # path, as a production setup (one warehouse) has it; otherwise every run parses afresh
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "from orchestration.lib.dbt import prepare_dbt; prepare_dbt(force=True)"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    print(f"  dbt parse with this warehouse's profile: {time.perf_counter() - started:.1f} s (not in the runs)")
    full = parkpi_run("full", {**env, "PARKPI_AS_OF": history_end}, work, warehouse)
    report_run(full, info["events"])
    figures["full"] = full
    if full["returncode"] != 0:
        return figures
    figures["full"].update(sizes(warehouse, publish_dir))
    figures["full"]["counts"] = measure("counts", warehouse, publish_dir)
    report_sizes(figures["full"])

    held = folder / "held_back"
    for path in held.rglob("*.jsonl.gz"):
        target = landing / path.relative_to(held)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    monthly = parkpi_run("monthly", {**env, "PARKPI_AS_OF": month_after(info["held_back"])}, work, warehouse)
    report_run(monthly, info["held_back_events"])
    figures["monthly"] = monthly
    if monthly["returncode"] != 0:
        return figures
    figures["monthly"].update(sizes(warehouse, publish_dir))
    figures["monthly"]["counts"] = measure("counts", warehouse, publish_dir)
    report_sizes(figures["monthly"])

    if refresh:
        measure("snapshot", warehouse, publish_dir)
        build = ["build", "--exclude-resource-type", "unit_test", "--full-refresh"]
        refreshed = run_dbt("refresh", build, warehouse, work, "target-refresh", ROOT / "dbt_project")
        figures["refresh"] = {k: refreshed[k] for k in ("seconds", "returncode", "peak_rss") if k in refreshed}
        if refreshed["returncode"] == 0:
            compared = measure("compare", warehouse, publish_dir)["tables"]
            equal = all(
                only_incremental == only_refresh == 0 for _, only_incremental, only_refresh in compared.values()
            )
            figures["refresh"]["equal"] = equal
            figures["refresh"]["tables"] = compared
            different = {t: c for t, c in compared.items() if c[1] or c[2]}
            print(
                f"  refresh       {refreshed['seconds']:8.1f} s  dbt build --full-refresh, peak RSS "
                f"{refreshed['peak_rss'] / MIB:,.0f} MiB; the monthly run's {len(compared)} tables of "
                f"{', '.join(COMPARED_SCHEMAS)} vs the refresh: " + ("EQUAL" if equal else f"DIFFERENT {different}"),
                flush=True,
            )
        else:
            figures["refresh"]["tail"] = refreshed.get("tail")
            print(f"  refresh FAILED: {refreshed.get('tail')}", flush=True)
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return figures


def list_months(landing: Path) -> list[str]:
    return sorted(p.relative_to(landing).as_posix() for p in (landing / "portal").rglob("*.jsonl.gz"))


def git_commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return out.stdout.strip() + ("-dirty" if dirty else "")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, action="append", help="number of events (repeatable)")
    parser.add_argument("--data", help="folder of the data sets (default $PARKPI_BENCH_DATA or bench/data)")
    parser.add_argument("--keep", action="store_true", help="keep each size's warehouse and snapshot")
    parser.add_argument("--no-refresh", action="store_true", help="skip the full refresh and the comparison")
    args = parser.parse_args()
    data = data_root(args.data)
    limits = os.environ.get("PARKPI_DUCKDB_MEMORY_LIMIT", "1GB"), os.environ.get("PARKPI_DBT_MEMORY_LIMIT", "2GB")
    print(
        f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB; "
        f"memory limits: loads {limits[0]}, dbt {limits[1]}; "
        f"nice {os.nice(0)}; data {data}; commit {git_commit()}",
        flush=True,
    )
    results = [run(events, data, args.keep, not args.no_refresh) for events in sorted(args.events or [1_000_000])]
    record = summarise(results)
    record["commit"] = git_commit()
    print(json.dumps(record))


if __name__ == "__main__":
    main()
