"""Transform benchmark: parkpi's dbt build against one hand-written DuckDB query.

    python bench/transform.py --events 1000000 [--events 10000000 ...]
                              [--reference OTHER_CHECKOUT/dbt_project [--pairs 3]]

For each N it takes the data set of bench/datasets.py (N events in months of a fixed size,
250,000 events, and one more such month held back for the incremental step; in
$PARKPI_BENCH_DATA/months_<N>/, else bench/data/, generated if absent), hard-links the history
into a private landing folder under months_<N>/transform/ (the shared landing folder is never
modified) and, in one run, measures:

  load          sources.loading.load_source of the portal events and the catalogue into a
                fresh warehouse (postal and mailbox stay empty); not part of the transform
  parse         `dbt parse` once per target path, so every timed dbt command below parses
                partially, as a production run with an existing target/ does
  start-up      `dbt build --exclude-resource-type unit_test --full-refresh` on an empty
                warehouse (raw schemas created, no rows): dbt's fixed cost
  full build    the same command on the loaded warehouse
  baseline      one hand-written CREATE TABLE ... AS query computing the per-dossier facts of
                docs/indicators.md ("From events to dossiers") from raw_portal.events, in its own process
                with dbt's memory limit; checked against marts.fct_dossiers (row count,
                on-time count, sum of supplement requests, and every shared column)
  incr. load    the held-back monthly file added, portal load re-run
  incr. build   `dbt build --exclude-resource-type unit_test` (no --full-refresh)
  refresh       `dbt build ... --full-refresh` again on the same data; marts.fct_dossiers and
                every KPI table of the incremental build must equal it (EXCEPT ALL both ways)
  reference     with --reference, the full build of another dbt project (e.g. a checkout of an
                earlier commit) on a copy of the same loaded warehouse, right before each full
                build of this one (--pairs pairs, the last full build being the one above):
                paired runs, so that a shared machine's load weighs on both alike

Every measurement runs in a fresh process. dbt runs as a subprocess (--profiles-dir and
--project-dir dbt_project, --target-path/--log-path in the work folder, PARKPI_WAREHOUSE
pointing at the bench warehouse); its wall time includes start-up and parsing. Its peak RSS is
the sum of the RSS of its process tree polled every 0.2 s with psutil, and, where
/usr/bin/time exists, the kernel's max RSS of its largest process. The baseline's peak RSS is
VmHWM from /proc/self/status (not ru_maxrss, which is inherited across exec). Both use the same
DuckDB memory limit, PARKPI_DBT_MEMORY_LIMIT (default 2GB); loads use
PARKPI_DUCKDB_MEMORY_LIMIT (default 1GB). Per-node times come from dbt's run_results.json:
"models" and "tests" are the wall-clock spans during which at least one node of that kind
ran (dbt runs 4 threads), "sum" adds up the nodes' own times.

Targets (issue #3): full build <= 2 x baseline + dbt start-up; incremental build <= 20 % of
the full build; peak RSS <= 4 GB. Issue #13 (reporting periods): the full build at most 1.3 x
the full build before it (measure with --reference on a checkout of that commit).

The last line printed is one JSON object with the figures of every size (`sizes`: events,
full_build_s, fct_dossiers_s, kpi_models_s, baseline_s, startup_s, incremental_s, refresh_s,
peak_rss_mib, incremental_equals_refresh and, with --reference, the paired times and ratios).

Monthly rounds (--rounds, default 3; bench/monthly_rounds.py): after every size, the monthly build
of each size again, alternated round by round with dbt's start-up, each on a fresh copy of the
warehouse as it stood after the held-back month was loaded: medians and per-round ratios, so
that the load of a shared machine weighs on the sizes alike (the JSON line's `monthly_rounds`).

A failed dbt command is reported (with its last lines) and the steps that need its tables are
skipped. Runs for the same N take a lock on months_<N>/transform.lock (a second run
waits). --keep leaves the warehouses in months_<N>/transform/ for inspection.
"""

from __future__ import annotations

import argparse
import fcntl
import functools
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import monthly_rounds  # noqa: E402
from bench.dbt_runs import DBT, DBT_MEMORY_LIMIT, mib, report_dbt, run_dbt  # noqa: E402
from bench.transform_baseline import (  # noqa: E402
    BASELINE_SQL,
    COMPARED_TABLES,
    check_baseline,
    compare_with_incremental,
)
from bench.transform_report import json_figures, summarise_targets  # noqa: E402

LOAD_MEMORY_LIMIT = os.environ.get("PARKPI_DUCKDB_MEMORY_LIMIT", "1GB")


# --------------------------------------------------------------------------- data


def dataset(events: int) -> Path:
    """bench/datasets.py's cached data set: N events in months of 250,000, one more month held
    back (in $PARKPI_BENCH_DATA or bench/data; generated in a process of its own if absent)."""
    from bench.datasets import dataset as fixed_month_dataset

    return fixed_month_dataset(events)


def private_landing(folder: Path, work: Path) -> Path:
    """Hard-link (copy where linking fails) the landing files, without the held-back month,
    into a landing folder of our own: bench/ingest.py may add and remove the held-back file
    in the shared one meanwhile."""
    source, held = folder / "landing", folder / "held_back"
    landing = work / "landing"
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if not path.is_file() or (held / relative).exists():
            continue
        target = landing / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
    return landing


def add_held_back(folder: Path, landing: Path) -> list[str]:
    held = folder / "held_back"
    added = []
    for path in sorted(held.rglob("*.jsonl.gz")):
        relative = path.relative_to(held)
        (landing / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, landing / relative)
        added.append(relative.as_posix())
    return added


# --------------------------------------------------------------------------- children


def peak_rss() -> int:
    """This process's peak resident memory (VmHWM; ru_maxrss would include the parent's
    high-water mark, which Linux keeps across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(mode: str, warehouse: str, landing: str) -> None:
    """Runs in its own process; prints one JSON line with its figures."""
    from sources.catalog import CATALOG
    from sources.loading import ensure_all_raw_schemas, load_source
    from sources.portal import PORTAL
    from sources.warehouse import connect

    limit = LOAD_MEMORY_LIMIT if mode in ("load", "empty") else DBT_MEMORY_LIMIT
    con = connect(warehouse, memory_limit=limit)
    figure: dict = {"mode": mode}
    started = time.perf_counter()
    if mode in ("load", "empty"):
        ensure_all_raw_schemas(con)
        rows = 0
        if mode == "load":
            for source in (PORTAL, CATALOG):
                result = load_source(con, source, Path(landing))
                rows += result.rows_loaded
                figure[source.token] = {
                    "rows_loaded": result.rows_loaded,
                    "rows_rejected": result.rows_rejected,
                    "files_read": result.files_read,
                    "table_rows": result.table_rows,
                }
        figure["rows"] = rows
    elif mode == "baseline":
        con.execute("CREATE SCHEMA IF NOT EXISTS bench")
        con.execute(BASELINE_SQL)
        figure["rows"] = con.execute("SELECT count(*) FROM bench.baseline_dossiers").fetchone()[0]
    elif mode == "check-baseline":
        figure.update(check_baseline(con))
    elif mode == "snapshot":
        con.execute("CREATE SCHEMA IF NOT EXISTS bench")
        for table in COMPARED_TABLES:
            name = table.replace(".", "_")
            con.execute(f"CREATE OR REPLACE TABLE bench.incremental_{name} AS SELECT * FROM {table}")
    elif mode == "compare":
        figure.update(compare_with_incremental(con))
    else:
        raise SystemExit(f"unknown mode {mode}")
    con.execute("CHECKPOINT")
    figure["seconds"] = time.perf_counter() - started
    con.close()
    figure["peak_rss"] = peak_rss()
    print(json.dumps(figure))


def measure(mode: str, warehouse: Path, landing: Path | None = None) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(warehouse), str(landing or "")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def run(events: int, reference: Path | None = None, pairs: int = 1, rounds: int = 0) -> dict:
    print(f"\ntransform, {events:,} generated events", flush=True)
    folder = dataset(events)
    with (folder / "transform.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"  another bench/transform.py run uses {folder / 'transform'}: waiting for it", flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        return measure_all(events, folder, reference, pairs, rounds)


def measure_all(events: int, folder: Path, reference: Path | None = None, pairs: int = 1, rounds: int = 0) -> dict:
    work = folder / "transform"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    landing = private_landing(folder, work)
    warehouse, empty = work / "parkpi.duckdb", work / "empty.duckdb"
    profiles = ROOT / "dbt_project"

    load = measure("load", warehouse, landing)
    portal = load["portal"]
    print(
        f"  load          {load['seconds']:8.2f} s       portal {portal['rows_loaded']:,} events "
        f"({portal['rows_rejected']:,} rejected, {portal['files_read']} files), catalogue "
        f"{load['catalog']['rows_loaded']:,} rows; peak RSS {mib(load['peak_rss'])} (not part of the transform)",
        flush=True,
    )
    measure("empty", empty)

    def dbt(label: str, args: list[str], database: Path, target: str, project: Path | None = None) -> dict:
        figure = run_dbt(label, args, database, work, target, profiles, project)
        if label != "parse":
            report_dbt(figure)
        return figure

    build = ["build", "--exclude-resource-type", "unit_test"]
    parse_empty = run_dbt("parse-empty", ["parse"], empty, work, "target-empty", profiles)
    parse = dbt("parse", ["parse"], warehouse, "target")
    print(
        f"  dbt parse     {parse['seconds']:8.2f} s wall "
        f"(once per target path, not timed below; {parse_empty['seconds']:.2f} s for the empty warehouse's)"
    )
    startup = dbt("start-up", [*build, "--full-refresh"], empty, "target-empty")
    references, full_builds = [], []
    if reference:
        # Paired full builds on copies of the same loaded warehouse: the other project's, then
        # this one's; the last of this project's is the full build the steps below continue on.
        loaded, copy = work / "loaded.duckdb", work / "pair.duckdb"
        shutil.copy2(warehouse, loaded)
        run_dbt("reference parse", ["parse"], loaded, work, "target-reference", profiles, reference)
        for pair in range(1, pairs + 1):
            shutil.copy2(loaded, copy)
            references.append(dbt(f"reference {pair}", [*build, "--full-refresh"], copy, "target-reference", reference))
            if pair < pairs:
                shutil.copy2(loaded, copy)
                full_builds.append(dbt(f"full build {pair}", [*build, "--full-refresh"], copy, "target"))
        copy.unlink(missing_ok=True)
        loaded.unlink(missing_ok=True)
    full = dbt("full build", [*build, "--full-refresh"], warehouse, "target")
    full_builds.append(full)

    baseline = measure("baseline", warehouse)
    print(
        f"  baseline      {baseline['seconds']:8.2f} s       {baseline['rows']:,} dossiers  "
        f"peak RSS {mib(baseline['peak_rss'])} (one CREATE TABLE AS, memory limit {DBT_MEMORY_LIMIT})",
        flush=True,
    )
    figures = {
        "events": events,
        "startup": startup,
        "full": full,
        "baseline": baseline,
        "references": references,
        "full_builds": full_builds,
    }
    if full["returncode"] == 0:
        check = measure("check-baseline", warehouse)
        (b_rows, b_on_time, b_supplements, b_finished) = check["baseline"]
        (f_rows, f_on_time, f_supplements, f_finished) = check["fact"]
        agree = check["baseline"] == check["fact"] and check["only_baseline"] == check["only_fact"] == 0
        print(
            f"  baseline vs fct_dossiers: rows {b_rows:,} / {f_rows:,}, on_time {b_on_time:,} / {f_on_time:,}, "
            f"supplement_requests {b_supplements:,} / {f_supplements:,}, finished {b_finished:,} / {f_finished:,}; "
            f"rows differing in the 12 shared columns {check['only_baseline']:,} / {check['only_fact']:,} "
            f"-> {'AGREE' if agree else 'DISAGREE'}",
            flush=True,
        )

        added = add_held_back(folder, landing)
        incremental_load = measure("load", warehouse, landing)
        print(
            f"  incr. load    {incremental_load['seconds']:8.2f} s       {', '.join(added)}: "
            f"{incremental_load['portal']['rows_loaded']:,} events  peak RSS {mib(incremental_load['peak_rss'])}",
            flush=True,
        )
        if rounds:
            # the monthly rounds (bench/monthly_rounds.py) build copies of this state again
            shutil.copy2(warehouse, work / "monthly_loaded.duckdb")
            os.sync()  # written back before the timed build below
            figures["monthly_base"] = work / "monthly_loaded.duckdb"
        incremental = figures["incremental"] = dbt("incr. build", build, warehouse, "target")
        if incremental["returncode"] == 0:
            measure("snapshot", warehouse)
        refresh = figures["refresh"] = dbt("full refresh", [*build, "--full-refresh"], warehouse, "target")
        if incremental["returncode"] == 0 and refresh["returncode"] == 0:
            compared = measure("compare", warehouse)
            comparison = [compared[table] for table in COMPARED_TABLES]
            equal = figures["incremental_equals_refresh"] = all(
                c["only_incremental"] == c["only_full"] == 0 for c in comparison
            )
            print(
                "  incremental vs full refresh: "
                + "; ".join(
                    f"{table.split('.')[1]} {c['rows']:,} rows, {c['only_incremental']:,} only in incremental, "
                    f"{c['only_full']:,} only in refresh"
                    for table, c in zip(COMPARED_TABLES, comparison, strict=True)
                )
                + f" -> {'EQUAL' if equal else 'DIFFERENT'}",
                flush=True,
            )
    else:
        print("  the full build failed: no baseline check, no incremental step", flush=True)

    summarise_targets(figures)
    figures.update(work=work, landing=landing, empty=empty)
    return figures


def clean_up(figures: dict) -> None:
    """Remove a size's warehouses and private landing folder (after the monthly rounds)."""
    work = figures["work"]
    for path in work.glob("*.duckdb*"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()
    shutil.rmtree(work / ".duckdb_tmp", ignore_errors=True)
    shutil.rmtree(figures["landing"], ignore_errors=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, action="append", help="number of events (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the bench warehouses afterwards")
    parser.add_argument(
        "--reference", type=Path, help="another checkout's dbt_project folder: its full build, paired with this one's"
    )
    parser.add_argument("--pairs", type=int, default=1, help="paired full builds with --reference (default 1)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="monthly builds of every size alternated, this many rounds (default 3; 0: none; bench/monthly_rounds.py)",
    )
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores; DuckDB memory limit {DBT_MEMORY_LIMIT} for dbt and the "
        f"baseline, {LOAD_MEMORY_LIMIT} for loads; dbt {DBT}"
    )
    measured = [
        run(events, args.reference and args.reference.resolve(), args.pairs, args.rounds)
        for events in args.events or [1_000_000]
    ]
    line = {"bench": "transform", "sizes": [json_figures(figures) for figures in measured]}
    rounds = [
        monthly_rounds.Size(f["events"], f["work"], f["monthly_base"], f["empty"], f["full"]["seconds"])
        for f in measured
        if f.get("monthly_base") and f.get("incremental_equals_refresh")
    ]
    if rounds and len(rounds) == len(measured):
        print(f"\nmonthly builds, {args.rounds} rounds alternating the sizes (bench/monthly_rounds.py)", flush=True)
        monthly_rounds.alternate(rounds, args.rounds, functools.partial(run_dbt, profiles=ROOT / "dbt_project"))
        line["monthly_rounds"] = monthly_rounds.summarise(rounds)
    if not args.keep:
        for figures in measured:
            clean_up(figures)
    print(json.dumps(line))


if __name__ == "__main__":
    main()
