"""One `parkpi run` of bench/scale.py, measured: its steps' times read from the console lines and
grouped into phases, the process tree's RSS, CPU time and DuckDB's spill polled every 0.2 s, and
the node times of the dbt step's run_results.json."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from bench.dbt_runs import summarise_run_results

ROOT = Path(__file__).resolve().parent.parent
MIB = 2**20
PHASES = ("ingest", "checks", "dbt", "publish", "other")
STEP_LINE = re.compile(r"^\d\d:\d\d:\d\d  (\S+)\s+(started|done in [\d.]+ s|FAILED)")
RUN_ID = re.compile(r"run id ([0-9a-f-]{36})")


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
