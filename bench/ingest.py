"""Portal ingestion benchmark: parkpi's loader against a bare DuckDB CTAS of the same files.

    python bench/ingest.py --events 1000000 [--events 10000000 ...]

For each N it generates N portal events (cached under bench/data/, monthly .jsonl.gz files
by sources.generate.generate_portal_events), then, each in a fresh process so peak RSS is
its own, times:

  baseline     CREATE TABLE events AS SELECT * FROM read_json([...all files])
  parkpi       sources.loading.load_source(PORTAL) into an empty warehouse
  incremental  the same warehouse after one more monthly file is added

Both use the same DuckDB memory limit (PARKPI_DUCKDB_MEMORY_LIMIT, default 1GB) and
write to a DuckDB file on the same disk. Prints rows, seconds, rows/s, peak RSS, CPU seconds
and ratios (the target ratio is on wall time; the CPU ratio shows how much of a change is the
neighbours' load on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
sys.path.insert(0, str(ROOT))


def dataset(events: int) -> Path:
    """Generate (once) N events; the last month is held back for the incremental step."""
    from sources.generate import generate_portal_events

    folder = DATA / f"portal_{events}"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        generate_portal_events(folder / "landing", events)
        files = sorted((folder / "landing" / "portal").rglob("*.jsonl.gz"))
        held = folder / "held_back"
        held.mkdir(parents=True)
        last = files[-1]
        target = held / last.relative_to(folder / "landing")
        target.parent.mkdir(parents=True, exist_ok=True)
        last.rename(target)
        (folder / ".complete").write_text(f"{time.perf_counter() - started:.1f}\n")
        print(f"  generated {events:,} events in {time.perf_counter() - started:.1f} s", flush=True)
    return folder


def child(mode: str, folder: str, warehouse: str) -> None:
    """Runs in its own process; prints one JSON line with its figures."""
    from sources.loading import load_source
    from sources.portal import PORTAL
    from sources.settings import get_settings
    from sources.warehouse import connect

    limit = get_settings().memory_limit
    con = connect(warehouse, memory_limit=limit)
    landing = Path(folder) / "landing"
    started, cpu_started = time.perf_counter(), cpu_seconds()
    if mode == "baseline":
        files = sorted(str(p) for p in (landing / "portal").rglob("*.jsonl.gz"))
        con.execute("CREATE TABLE events AS SELECT * FROM read_json($files)", {"files": files})
        rows = con.execute("SELECT count(*) FROM events").fetchone()[0]
    else:
        if mode == "incremental":
            held = Path(folder) / "held_back"
            for path in held.rglob("*.jsonl.gz"):
                target = landing / path.relative_to(held)
                shutil.copy2(path, target)
        result = load_source(con, PORTAL, landing)
        rows = result.rows_loaded + result.rows_rejected
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_started
    con.close()
    print(json.dumps({"mode": mode, "rows": rows, "seconds": seconds, "cpu_seconds": cpu, "peak_rss": peak_rss()}))


def cpu_seconds() -> float:
    """User + system CPU time of this process: on a shared machine wall time depends on the
    neighbours, CPU time much less, so it is printed beside the wall time."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss() -> int:
    """This process's peak resident memory. (ru_maxrss would be wrong here: Linux keeps
    the high-water mark of the parent that forked us across exec.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(mode: str, folder: Path, warehouse: Path) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(folder), str(warehouse)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def report(figure: dict) -> str:
    rate = figure["rows"] / figure["seconds"] if figure["seconds"] else float("nan")
    return (
        f"  {figure['mode']:<12} {figure['rows']:>12,} rows  {figure['seconds']:8.2f} s  "
        f"{rate:>12,.0f} rows/s  peak RSS {figure['peak_rss'] / 2**20:8.0f} MiB  CPU {figure['cpu_seconds']:7.2f} s"
    )


def run(events: int) -> dict:
    print(f"\nportal ingestion, {events:,} generated events", flush=True)
    # generated in a process of its own, so that its memory does not weigh on the others
    subprocess.run([sys.executable, __file__, "--generate", str(events)], check=True)
    folder = DATA / f"portal_{events}"
    # start from the held-back state every time
    for path in (folder / "held_back").rglob("*.jsonl.gz"):
        (folder / "landing" / path.relative_to(folder / "held_back")).unlink(missing_ok=True)
    work = folder / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    baseline = measure("baseline", folder, work / "baseline.duckdb")
    print(report(baseline), flush=True)
    parkpi = measure("parkpi", folder, work / "parkpi.duckdb")
    print(report(parkpi), flush=True)
    incremental = measure("incremental", folder, work / "parkpi.duckdb")
    print(report(incremental), flush=True)
    for path in (folder / "held_back").rglob("*.jsonl.gz"):
        (folder / "landing" / path.relative_to(folder / "held_back")).unlink(missing_ok=True)
    shutil.rmtree(work, ignore_errors=True)
    ratio = parkpi["seconds"] / baseline["seconds"]
    share = incremental["seconds"] / parkpi["seconds"]
    print(
        f"  parkpi / baseline = {ratio:.2f}x (target <= 1.5x at 10M); "
        f"incremental / full = {share:.1%} (target <= 10%); "
        f"peak RSS parkpi {parkpi['peak_rss'] / 2**30:.2f} GiB (target <= 2 GiB); "
        f"CPU time parkpi / baseline = {parkpi['cpu_seconds'] / baseline['cpu_seconds']:.2f}x",
        flush=True,
    )
    return {"events": events, "baseline": baseline, "parkpi": parkpi, "incremental": incremental}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--generate":
        dataset(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, action="append", help="number of events (repeatable)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; DuckDB memory limit {os.environ.get('PARKPI_DUCKDB_MEMORY_LIMIT', '1GB')}")
    sizes = []
    for events in args.events or [1_000_000]:
        figures = run(events)
        entry = {"events": events}
        for mode in ("baseline", "parkpi", "incremental"):
            f = figures[mode]
            entry[mode] = {
                "rows": f["rows"],
                "seconds": round(f["seconds"], 2),
                "cpu_seconds": round(f["cpu_seconds"], 2),
                "peak_rss_mib": round(f["peak_rss"] / 2**20),
            }
        sizes.append(entry)
    print(json.dumps({"bench": "ingest", "sizes": sizes}))  # one line for tracking across commits


if __name__ == "__main__":
    main()
