"""Publish benchmark: the publish step's share of a full run (issue 5: <= 20 %).

    python bench/publish.py --events 10000000 [--events 1000000 ...]

For each N it takes bench/datasets.py's data set (the history of N events; made if absent, in
$PARKPI_BENCH_DATA or bench/data), hard-links it into a private landing folder under
months_<N>/publish/ and, in one run, measures:

  full run   `parkpi run` (the main job: ingest, checks, dbt, publish) on a fresh warehouse,
             wall time of the command, and the publish step's own time from its console line
  publish    serving.snapshot.publish_snapshot + serving.report.build_report alone, in a fresh
             process on the warehouse the run built (rows, seconds, rows/s, peak RSS)

Prints rows, seconds, rows/s and peak RSS, and the publish share of the full run.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.transform import dataset, peak_rss, private_landing  # noqa: E402


def child(warehouse: str, publish_dir: str) -> None:
    import duckdb

    from serving.report import build_report
    from serving.snapshot import publish_snapshot

    started = time.perf_counter()
    con = duckdb.connect(warehouse)
    con.execute("SET memory_limit = '1GB'")
    published = publish_snapshot(con, Path(publish_dir), run_id="bench")
    con.close()
    snapshot_seconds = time.perf_counter() - started
    build_report(published.snapshot, Path(publish_dir) / "report")
    print(
        json.dumps(
            {
                "rows": sum(published.rows.values()),
                "dossiers": published.rows["fct_dossiers"],
                "snapshot_seconds": snapshot_seconds,
                "seconds": time.perf_counter() - started,
                "peak_rss": peak_rss(),
                "snapshot_bytes": published.snapshot.stat().st_size,
                "parquet_bytes": sum(p.stat().st_size for p in published.parquet_dir.iterdir()),
            }
        )
    )


def run(events: int) -> dict:
    folder = dataset(events)
    work = folder / "publish"
    shutil.rmtree(work, ignore_errors=True)
    landing = private_landing(folder, work)
    env = {
        **__import__("os").environ,
        "PARKPI_LANDING_DIR": str(landing),
        "PARKPI_WAREHOUSE": str(work / "warehouse" / "parkpi.duckdb"),
        "PARKPI_PUBLISH_DIR": str(work / "published"),
        "DAGSTER_HOME": str(work / "dagster_home"),
    }
    print(f"\n== {events:,} events: full `parkpi run` on a fresh warehouse ...", flush=True)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "run"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    full = time.perf_counter() - started
    if out.returncode != 0:
        print(out.stdout[-3000:], out.stderr[-3000:])
        raise SystemExit("parkpi run failed")
    steps = {m.group(1): float(m.group(2)) for m in re.finditer(r"^\S+\s+(\S+)\s+done in ([\d.]+) s", out.stdout, re.M)}
    publish_in_run = steps.get("publish__kpi_snapshot")
    print("== publish alone, fresh process, on the warehouse the run built ...", flush=True)
    alone = json.loads(
        subprocess.run(
            [sys.executable, __file__, "--child", env["PARKPI_WAREHOUSE"], str(work / "published-alone")],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.splitlines()[-1]
    )  # fmt: skip
    figures = {"events": events, "full_run_seconds": full, "publish_in_run_seconds": publish_in_run, "steps": steps,
               **{f"alone_{k}": v for k, v in alone.items()}}  # fmt: skip
    print(f"  full run                 {full:8.1f} s")
    for step, seconds in sorted(steps.items(), key=lambda kv: -kv[1])[:6]:
        print(f"    {step:<34} {seconds:6.1f} s")
    share = 100 * publish_in_run / full
    print(f"  publish step in the run  {publish_in_run:8.1f} s = {share:.1f} % of the run (target <= 20 %)")
    print(
        f"  publish alone            {alone['seconds']:8.1f} s (snapshot + Parquet {alone['snapshot_seconds']:.1f} s), "
        f"{alone['rows']:,} rows ({alone['dossiers']:,} dossiers), {alone['rows'] / alone['seconds']:,.0f} rows/s, "
        f"peak RSS {alone['peak_rss'] / 2**20:,.0f} MiB; kpi.duckdb {alone['snapshot_bytes'] / 2**20:,.1f} MiB, "
        f"Parquet {alone['parquet_bytes'] / 2**20:,.1f} MiB"
    )
    shutil.rmtree(work, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, action="append", help="number of portal events (repeatable)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    sizes = [run(events) for events in args.events or [1_000_000]]
    print(json.dumps({"bench": "publish", "sizes": sizes}))  # one line for tracking across commits


if __name__ == "__main__":
    main()
