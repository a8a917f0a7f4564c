"""`parkpi explain` benchmark (issue 14: a province figure without --limit, output to a file,
in under 3 s; with --limit 20 in under 1 s), on a published snapshot. "year" is the latest year
with last year's figure to compare with (it may be partial), "12 months" the latest whole year.

    python bench/explain.py --publish-dir PUBLISHED [--warehouse WAREHOUSE] [--repeat 3]

With --warehouse the snapshot is first published from that warehouse into PUBLISHED
(serving.snapshot.publish_snapshot, timed): e.g. the warehouse bench/transform.py --keep leaves
(bench/data/portal_<N>/transform/parkpi.duckdb). Each case runs `python -m orchestration.cli
explain ...` as a user would (a fresh process: interpreter start-up, imports and opening the
snapshot included), stdout to a file; the best and the median wall time of --repeat runs and
the best CPU time (user + system: on a shared machine the wall time is mostly waiting for a
core) are printed with the output's size, then one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cases(snapshot: Path) -> list[tuple[str, list[str]]]:
    import duckdb

    with duckdb.connect(str(snapshot), read_only=True) as con:
        year = con.execute(
            """SELECT max(year) FROM kpi_periodic WHERE period_type = 'ytd' AND period = 12
               AND indicator = 'on_time_rate' AND prior_value IS NOT NULL"""
        ).fetchone()[0]
        # the latest year with every month (the figure a whole year's rows make: the largest)
        whole_year = con.execute(
            """SELECT max(year) FROM (SELECT year FROM kpi_periodic WHERE period_type = 'month'
               AND indicator = 'dossiers_received' AND scope = 'province' GROUP BY year
               HAVING count(DISTINCT period) = 12)"""
        ).fetchone()[0]
        # the latest quarter with an agency's on-time share, and the agency with the most dossiers behind it
        quarter_year, quarter, agency = con.execute(
            """SELECT year, period, scope_code FROM kpi_components WHERE scope = 'agency'
               AND indicator = 'on_time_rate' AND period_type = 'quarter' AND denominator > 0
               ORDER BY year DESC, period DESC, denominator DESC, scope_code LIMIT 1"""
        ).fetchone()
    y, w = str(year), str(whole_year)
    return [
        ("on_time_rate year, all rows, json", ["on_time_rate", y, "--json"]),
        ("on_time_rate year, all rows, text", ["on_time_rate", y]),
        ("dossiers_received year, all rows, json", ["dossiers_received", y, "--json"]),
        (f"on_time_rate {w} (12 months), all rows, json", ["on_time_rate", w, "--json"]),
        (f"on_time_rate {w} (12 months), all rows, text", ["on_time_rate", w]),
        (f"dossiers_received {w} (12 months), all rows, json", ["dossiers_received", w, "--json"]),
        (f"dossiers_received {w} (12 months), all rows, text", ["dossiers_received", w]),
        ("on_time_rate year, --limit 20, json", ["on_time_rate", y, "--json", "--limit", "20"]),
        ("on_time_rate year, --limit 20, text, --change", ["on_time_rate", y, "--limit", "20", "--change"]),
        ("overdue year end, --limit 20", ["overdue_open_at_year_end", y, "--limit", "20"]),
        (
            "on_time_rate latest quarter, largest agency, all rows",
            ["on_time_rate", f"{quarter_year}-Q{quarter}", "--scope", agency, "--json"],
        ),
    ]


def run_case(args: list[str], env: dict[str, str], out: Path) -> tuple[float, float, int]:
    """Wall time, CPU time (user + system of the process) and output size of one explain."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with out.open("wb") as stdout:
        done = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "explain", *args],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=subprocess.PIPE,
            timeout=600,
        )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"explain {' '.join(args)} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return seconds, cpu, out.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--publish-dir", type=Path, required=True)
    parser.add_argument("--warehouse", type=Path, help="publish this warehouse into --publish-dir first")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    figures: dict[str, object] = {}
    if args.warehouse:
        import duckdb

        from serving.snapshot import publish_snapshot

        with duckdb.connect(str(args.warehouse)) as con:
            published = publish_snapshot(con, args.publish_dir)
        figures["publish_s"] = round(published.seconds, 2)
        figures["published_rows"] = published.rows
        print(f"published {sum(published.rows.values()):,} rows in {published.seconds:.1f} s", flush=True)
    snapshot = args.publish_dir / "kpi.duckdb"
    env = dict(os.environ, PARKPI_PUBLISH_DIR=str(args.publish_dir), PYTHONUNBUFFERED="1")
    results = []
    with tempfile.TemporaryDirectory() as work:
        for name, case in cases(snapshot):
            times, cpus, size = [], [], 0
            for _ in range(args.repeat):
                seconds, cpu, size = run_case(case, env, Path(work) / "out")
                times.append(seconds)
                cpus.append(cpu)
            results.append({"case": name, "args": case, "best_s": round(min(times), 3),
                            "median_s": round(statistics.median(times), 3), "best_cpu_s": round(min(cpus), 3),
                            "output_bytes": size})  # fmt: skip
            print(f"  {name:<56} wall best {min(times):6.2f} s  median {statistics.median(times):6.2f} s  "
                  f"cpu best {min(cpus):6.2f} s  {size / 1e6:8.1f} MB", flush=True)  # fmt: skip
    figures["cases"] = results
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
