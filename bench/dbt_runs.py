"""One dbt command as a subprocess, measured (wall time, peak RSS of its process tree, the
kernel's max RSS, the node times of run_results.json), and its report: the dbt runner of
bench/transform.py, also used by bench/scale.py and bench/spark.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
DBT = Path(sys.executable).parent / "dbt"
TIME = Path("/usr/bin/time")
DBT_MEMORY_LIMIT = os.environ.get("PARKPI_DBT_MEMORY_LIMIT", "2GB")


def run_dbt(
    label: str, args: list[str], warehouse: Path, work: Path, target: str, profiles: Path, project: Path | None = None
) -> dict:
    """Run one dbt command as a subprocess; wall time, peak RSS and run_results.json."""
    target_path, log_path = work / target, work / "logs"
    command = [
        str(DBT),
        *args,
        "--profiles-dir",
        str(profiles),
        "--project-dir",
        str(project or profiles),
        "--target-path",
        str(target_path),
        "--log-path",
        str(log_path),
    ]
    kernel_file = work / f"{label}.maxrss"
    if TIME.exists():
        command = [str(TIME), "-f", "%M", "-o", str(kernel_file), *command]
    env = dict(os.environ, PARKPI_WAREHOUSE=str(warehouse), PARKPI_DBT_MEMORY_LIMIT=DBT_MEMORY_LIMIT)
    (target_path / "run_results.json").unlink(missing_ok=True)
    output = work / f"{label}.out"
    with output.open("w") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        peak = TreePeak(process.pid)
        peak.start()
        returncode = process.wait()
        seconds = time.perf_counter() - started
        peak.stop()
    figure = {"label": label, "seconds": seconds, "returncode": returncode, "peak_rss": peak.peak}
    if kernel_file.exists():
        text = kernel_file.read_text().strip().splitlines()
        if text and text[-1].isdigit():
            figure["kernel_max_rss"] = int(text[-1]) * 1024
    results = target_path / "run_results.json"
    if results.exists():
        shutil.copy2(results, work / f"{label}.run_results.json")
        figure.update(summarise_run_results(json.loads(results.read_text())))
    if returncode != 0:
        tail = output.read_text().splitlines()[-15:]
        figure["tail"] = tail
    return figure


class TreePeak(threading.Thread):
    """Polls the summed RSS of a process and its descendants every 0.2 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.peak = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = 0
            for process in processes:
                try:
                    total += process.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            self.peak = max(self.peak, total)
            self._done.wait(0.2)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _span(intervals: list[tuple[float, float]]) -> float:
    """Wall-clock length of the union of intervals."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def summarise_run_results(data: dict) -> dict:
    kinds: dict[str, dict] = {}
    nodes = []
    models: dict[str, float] = {}
    statuses: dict[str, int] = {}
    for result in data.get("results", []):
        kind = result["unique_id"].split(".")[0]
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
        times = [
            (datetime.fromisoformat(t["started_at"]).timestamp(), datetime.fromisoformat(t["completed_at"]).timestamp())
            for t in result.get("timing", [])
            if t.get("started_at") and t.get("completed_at")
        ]
        entry = kinds.setdefault(kind, {"count": 0, "sum": 0.0, "intervals": []})
        entry["count"] += 1
        entry["sum"] += result.get("execution_time") or 0.0
        if times:
            entry["intervals"].append((min(t[0] for t in times), max(t[1] for t in times)))
        name = result["unique_id"].split(".")[2]  # model.parkpi.<name>, test.parkpi.<name>.<hash>
        nodes.append((result.get("execution_time") or 0.0, kind, name))
        if kind == "model":
            models[name] = result.get("execution_time") or 0.0
    all_intervals = [i for entry in kinds.values() for i in entry["intervals"]]
    return {
        "dbt_elapsed": data.get("elapsed_time"),
        "nodes_span": _span(all_intervals),
        "kinds": {k: {"count": v["count"], "sum": v["sum"], "span": _span(v["intervals"])} for k, v in kinds.items()},
        "statuses": statuses,
        "slowest": sorted(nodes, reverse=True)[:8],
        "models": models,
    }


# --------------------------------------------------------------------------- report


def mib(value: int | None) -> str:
    return f"{value / 2**20:,.0f} MiB" if value else "n/a"


def report_dbt(figure: dict) -> None:
    kernel = f", kernel max {mib(figure.get('kernel_max_rss'))}" if "kernel_max_rss" in figure else ""
    rss = f"peak RSS {mib(figure['peak_rss'])} (tree, polled{kernel})"
    print(f"  {figure['label']:<13} {figure['seconds']:8.2f} s wall  {rss}")
    if "kinds" in figure:
        parts = [
            f"{kind}s {v['count']} span {v['span']:.2f} s (sum {v['sum']:.2f} s)"
            for kind, v in sorted(figure["kinds"].items())
        ]
        outside = figure["seconds"] - figure["nodes_span"]
        print(f"      {'; '.join(parts)}; outside nodes {outside:.2f} s; {figure['statuses']}")
        slow = ", ".join(f"{name} {seconds:.2f}" for seconds, _kind, name in figure["slowest"][:8])
        print(f"      slowest: {slow}")
    if figure["returncode"] != 0:
        print(f"      dbt exited with {figure['returncode']}; last lines:")
        for line in figure.get("tail", []):
            print(f"        {line}")
    sys.stdout.flush()
