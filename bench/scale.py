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
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.datasets import data_root, dataset, describe  # noqa: E402
from bench.transform import rows_only_in, run_dbt, summarise_run_results  # noqa: E402
from tests.golden_outputs import rows_as_built  # noqa: E402

MIB = 2**20
PHASES = ("ingest", "checks", "dbt", "publish", "other")
STEP_LINE = re.compile(r"^\d\d:\d\d:\d\d  (\S+)\s+(started|done in [\d.]+ s|FAILED)")
RUN_ID = re.compile(r"run id ([0-9a-f-]{36})")
COMPARED_SCHEMAS = ("marts", "kpi")
COMPARE_MEMORY_LIMIT = os.environ.get("PARKPI_BENCH_COMPARE_MEMORY_LIMIT", "10GB")


def phase_of(step: str) -> str:
    if step == "parkpi_dbt_models":
        return "dbt"
    if step.startswith("quality_") or step.endswith("_is_fresh"):
        return "checks"
    if step.startswith("publish"):
        return "publish"
    return "ingest"


def disk_bytes(path: Path) -> int:
    """Bytes a file or folder takes on disk (allocated blocks: DuckDB's files may be sparse).
    Files and folders may come and go meanwhile (DuckDB's temporary files do)."""
    try:
        if path.is_file():
            return path.stat().st_blocks * 512
    except OSError:
        return 0
    total = 0
    for folder, _dirs, files in os.walk(path):  # a missing folder yields nothing
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_blocks * 512
            except OSError:
                pass
    return total


class Sampler(threading.Thread):
    """Every 0.2 s: the summed RSS of a process tree and the size of DuckDB's spill folders,
    each kept as a maximum per phase (the phase is set by the reader of the console lines), and
    the CPU time the tree used since the last poll, added to the phase. (A process that ends
    between two polls loses its last 0.2 s: the run's total CPU time comes from os.times().)"""

    def __init__(self, pid: int, spill_dirs: list[Path]) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.spill_dirs = spill_dirs
        self.phase = "other"
        self.rss = dict.fromkeys(PHASES, 0)
        self.spill = dict.fromkeys(PHASES, 0)
        self.cpu = dict.fromkeys(PHASES, 0.0)
        self._done = threading.Event()

    def run(self) -> None:
        last_cpu: dict[int, float] = {}
        while not self._done.is_set():
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total, cpu = 0, 0.0
            phase = self.phase
            for process in processes:
                try:
                    with process.oneshot():
                        total += process.memory_info().rss
                        times = process.cpu_times()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                used = times.user + times.system
                cpu += used - last_cpu.get(process.pid, 0.0)
                last_cpu[process.pid] = used
            self.cpu[phase] += cpu
            self.rss[phase] = max(self.rss[phase], total)
            self.spill[phase] = max(self.spill[phase], sum(disk_bytes(d) for d in self.spill_dirs))
            self._done.wait(0.2)

    def stop(self) -> None:
        self._done.set()
        self.join()


def parkpi_run(label: str, env: dict, work: Path, warehouse: Path) -> dict:
    """`parkpi run` in a fresh process; per phase seconds, peak RSS and spill."""
    log = work / f"{label}.out"
    spill_dirs = [warehouse.parent / ".duckdb_tmp", warehouse.with_name(warehouse.name + ".tmp")]
    load_before = os.getloadavg()
    cpu_before = os.times()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    sampler = Sampler(process.pid, spill_dirs)
    sampler.start()
    seconds = dict.fromkeys(PHASES, 0.0)
    steps: dict[str, float] = {}
    running: dict[str, float] = {}
    failed: list[str] = []
    run_id = None
    assert process.stdout is not None
    first_step = last_step = None
    with log.open("w") as out:
        for line in process.stdout:
            now = time.perf_counter()
            out.write(f"{now - started:8.1f} {line}")  # when each line came, for a look at the gaps
            match = STEP_LINE.match(line)
            if match:
                first_step = first_step or now
                last_step = now
                step, what = match.groups()
                if what == "started":
                    running[step] = now
                    sampler.phase = phase_of(step)
                else:
                    took = now - running.pop(step, now)
                    steps[step] = steps.get(step, 0.0) + took
                    seconds[phase_of(step)] += took
                    sampler.phase = phase_of(next(iter(running))) if running else "other"
                    if what == "FAILED":
                        failed.append(step)
            found = RUN_ID.search(line)
            if found:
                run_id = found.group(1)
    returncode = process.wait()
    wall = time.perf_counter() - started
    sampler.stop()
    cpu_after = os.times()
    seconds["other"] = max(wall - sum(seconds[p] for p in PHASES if p != "other"), 0.0)
    figure = {
        "label": label,
        "returncode": returncode,
        "seconds": wall,
        "cpu_seconds": (cpu_after.children_user - cpu_before.children_user)
        + (cpu_after.children_system - cpu_before.children_system),
        "peak_rss": max(sampler.rss.values()),
        "peak_spill": max(sampler.spill.values()),
        "phases": {
            p: {
                "seconds": seconds[p],
                "cpu_seconds": sampler.cpu[p],
                "peak_rss": sampler.rss[p],
                "peak_spill": sampler.spill[p],
            }
            for p in PHASES
        },
        "steps": steps,
        # "other" = before the first step (Python, Dagster definitions, planning) + after the last
        # (the run's end, build state, summary)
        "before_steps_seconds": (first_step or started) - started,
        "after_steps_seconds": wall - ((last_step or started) - started),
        "failed_steps": failed,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "run_id": run_id,
    }
    results = dbt_run_results(run_id)
    if results:
        figure["dbt"] = summarise_run_results(results)
    if returncode != 0:
        figure["tail"] = log.read_text().splitlines()[-25:]
    return figure


def dbt_run_results(run_id: str | None) -> dict | None:
    """run_results.json of the dbt step of run `run_id` (dagster-dbt writes one target folder
    per invocation: dbt_project/target/parkpi_dbt_models-<run id[:7]>-<uuid>/)."""
    if not run_id:
        return None
    found = sorted(
        (ROOT / "dbt_project" / "target").glob(f"*-{run_id[:7]}-*/run_results.json"), key=lambda p: p.stat().st_mtime
    )
    return json.loads(found[-1].read_text()) if found else None


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


# --------------------------------------------------------------------------- report


def report_run(figure: dict, rows: int) -> None:
    load = "/".join(f"{x:.1f}" for x in (figure["load_before"][0], figure["load_after"][0]))
    status = "" if figure["returncode"] == 0 else f"  FAILED (exit {figure['returncode']}: {figure['failed_steps']})"
    print(
        f"  {figure['label']:<8} {figure['seconds']:8.1f} s wall, {figure['cpu_seconds']:7.1f} CPU-s, "
        f"peak RSS {figure['peak_rss'] / MIB:,.0f} MiB, peak spill {figure['peak_spill'] / MIB:,.0f} MiB, "
        f"load average {load}{status}",
        flush=True,
    )
    for phase in PHASES:
        p = figure["phases"][phase]
        rate = rows / p["seconds"] if p["seconds"] else 0
        print(
            f"    {phase:<8} {p['seconds']:8.1f} s  {p['cpu_seconds']:7.1f} CPU-s  {rate:>12,.0f} events/s  "
            f"peak RSS {p['peak_rss'] / MIB:7,.0f} MiB  "
            f"spill {p['peak_spill'] / MIB:7,.0f} MiB",
            flush=True,
        )
    print(
        f"    (other: {figure['before_steps_seconds']:.1f} s before the first step, "
        f"{figure['after_steps_seconds']:.1f} s after the last)",
        flush=True,
    )
    if "dbt" in figure:
        slow = ", ".join(f"{name} {seconds:.1f}" for seconds, _kind, name in figure["dbt"]["slowest"][:6])
        print(f"    dbt nodes: {figure['dbt']['dbt_elapsed']:.1f} s inside dbt; slowest: {slow}", flush=True)
    for line in figure.get("tail", []):
        print(f"      {line}")


def report_sizes(figure: dict) -> None:
    counts = figure["counts"]
    print(
        f"    sizes: warehouse {figure['warehouse_bytes'] / MIB:,.0f} MiB, snapshot kpi.duckdb "
        f"{figure['snapshot_bytes'] / MIB:,.0f} MiB, Parquet {figure['parquet_bytes'] / MIB:,.0f} MiB; "
        f"{counts['events']:,} events, {counts['dossiers']:,} dossiers, {counts['kpi_yearly']:,} kpi_yearly rows, "
        f"{counts['blocking_failures']} blocking check failures",
        flush=True,
    )


def node_seconds(figure: dict, name: str) -> float | None:
    for seconds, _kind, node in figure.get("dbt", {}).get("slowest", []):
        if node == name:
            return seconds
    return None


def summarise(results: list[dict]) -> dict:
    """Targets over the sizes of this run, and the JSON record."""
    by_size = {r["events"]: r for r in results}
    ten = next((r for n, r in sorted(by_size.items()) if 9_000_000 <= n <= 11_000_000), None)
    thirty = next((r for n, r in sorted(by_size.items()) if 28_000_000 <= n <= 32_000_000), None)
    record: dict = {"bench": "scale", "sizes": []}
    print("\nsummary")
    for result in results:
        entry: dict = {"events": result["events"], "months": result["months"]}
        for run_name in ("full", "monthly"):
            figure = result.get(run_name)
            if not figure:
                continue
            entry[run_name] = {
                "seconds": round(figure["seconds"], 2),
                "cpu_seconds": round(figure["cpu_seconds"], 1),
                "peak_rss_mib": round(figure["peak_rss"] / MIB),
                "peak_spill_mib": round(figure["peak_spill"] / MIB),
                "ok": figure["returncode"] == 0,
                "load": [round(figure["load_before"][0], 1), round(figure["load_after"][0], 1)],
                "phases": {
                    p: {
                        "seconds": round(v["seconds"], 2),
                        "cpu_seconds": round(v["cpu_seconds"], 1),
                        "peak_rss_mib": round(v["peak_rss"] / MIB),
                        "spill_mib": round(v["peak_spill"] / MIB),
                    }
                    for p, v in figure["phases"].items()
                },
                "fct_dossiers_s": node_seconds(figure, "fct_dossiers"),
                "kpi_yearly_s": node_seconds(figure, "kpi_yearly"),
            }
            for key in ("warehouse_bytes", "snapshot_bytes", "parquet_bytes"):
                if key in figure:
                    entry[run_name][key.replace("_bytes", "_mib")] = round(figure[key] / MIB, 1)
        if "refresh" in result:
            entry["refresh_s"] = round(result["refresh"]["seconds"], 2)
            entry["incremental_equals_refresh"] = result["refresh"].get("equal")
        record["sizes"].append(entry)
        peak = max((result[r]["peak_rss"] for r in ("full", "monthly") if r in result), default=0)
        print(f"  {result['events']:>12,} events: peak RSS {peak / 2**30:.2f} GiB (target <= 4 GB: "
              f"{'met' if peak <= 4e9 else 'MISSED'})")  # fmt: skip
    if ten and "full" in ten:
        for result in results:
            if result is ten or "full" not in result:
                continue
            factor = result["events"] / ten["events"]
            parts = []
            for phase in PHASES:
                base, here = ten["full"]["phases"][phase], result["full"]["phases"][phase]
                ratio = here["seconds"] / base["seconds"] if base["seconds"] else float("nan")
                cpu = here["cpu_seconds"] / base["cpu_seconds"] if base["cpu_seconds"] else float("nan")
                ok = here["seconds"] <= 1.1 * factor * base["seconds"]
                parts.append(f"{phase} {ratio:.2f}x{'' if ok else ' (MISSED)'} (CPU {cpu:.2f}x)")
            total = result["full"]["seconds"] / ten["full"]["seconds"]
            cpu_total = result["full"]["cpu_seconds"] / ten["full"]["cpu_seconds"]
            print(
                f"  full run at {result['events']:,} / at 10M: {total:.2f}x wall, {cpu_total:.2f}x CPU for "
                f"{factor:.1f}x the events (linear bound {1.1 * factor:.2f}x); {', '.join(parts)}"
            )
    if ten and thirty and "monthly" in ten and "monthly" in thirty:
        base, here = ten["monthly"]["phases"]["dbt"], thirty["monthly"]["phases"]["dbt"]
        ratio = here["seconds"] / base["seconds"]
        cpu = here["cpu_seconds"] / base["cpu_seconds"] if base["cpu_seconds"] else float("nan")
        record["monthly_dbt_30m_over_10m"] = round(ratio, 3)
        record["monthly_dbt_cpu_30m_over_10m"] = round(cpu, 3)
        print(
            f"  monthly run's dbt step at 30M / at 10M: {here['seconds']:.1f} / {base['seconds']:.1f} s = {ratio:.2f}x "
            f"(target <= 1.25x: {'met' if ratio <= 1.25 else 'MISSED'}); CPU {here['cpu_seconds']:.1f} / "
            f"{base['cpu_seconds']:.1f} s = {cpu:.2f}x"
        )
    return record


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
