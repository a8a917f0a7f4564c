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
import threading
import time
from datetime import datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
DBT = Path(sys.executable).parent / "dbt"
TIME = Path("/usr/bin/time")
sys.path.insert(0, str(ROOT))

from bench import monthly_rounds  # noqa: E402

DBT_MEMORY_LIMIT = os.environ.get("PARKPI_DBT_MEMORY_LIMIT", "2GB")
LOAD_MEMORY_LIMIT = os.environ.get("PARKPI_DUCKDB_MEMORY_LIMIT", "1GB")
GIB = 2**30

# The per-dossier facts of docs/indicators.md, written the direct way: deduplicate (the copy
# from the file last in path order, then the last line, wins), then one GROUP BY dossier.
# "Earliest"/"last" is by (ThoiDiem, TrangThaiHoSo), packed into one integer (timestamps are
# whole seconds, status < 16); arg_min/arg_max skip NULL values, as "the earliest event that
# carries one" asks. (A GROUP BY dedupe with arg_max was faster at 1M events but 1.6x slower
# at 10M, where both spill under the 2GB limit.)
BASELINE_SQL = """
CREATE OR REPLACE TABLE bench.baseline_dossiers AS
WITH events AS (
    SELECT
        "MaHoSo" AS dossier_code,
        "TrangThaiHoSo" AS status,
        "ThoiDiem" AS event_at,
        epoch_us("ThoiDiem") * 16 + "TrangThaiHoSo" AS seq,
        "MaTTHC" AS procedure_code,
        "MaDonVi" AS agency_code,
        "KenhThucHien" AS channel,
        "NgayHenTra" AS due_at,
        "HinhThucTra" AS return_method,
        "DuocThanhToanTrucTuyen" AS paid_online_code
    FROM raw_portal.events
    QUALIFY row_number() OVER (
        PARTITION BY "MaHoSo", "TrangThaiHoSo", "ThoiDiem"
        ORDER BY "_source_file" DESC, "_source_line" DESC
    ) = 1
),
facts AS (
    SELECT
        dossier_code,
        min(event_at) FILTER (WHERE status = 2) AS received_at,
        arg_min(channel, seq) AS channel,
        coalesce(
            arg_min(agency_code, seq) FILTER (WHERE status = 2), arg_min(agency_code, seq)
        ) AS agency_code,
        arg_min(procedure_code, seq) AS procedure_code,
        arg_min(due_at, seq) AS due_at,
        count(*) FILTER (WHERE status = 5) AS supplement_requests,
        min(event_at) FILTER (WHERE status = 9) AS processed_at,
        min(event_at) FILTER (WHERE status = 10) AS returned_at,
        min(event_at) FILTER (WHERE status IN (3, 8)) AS stopped_at,
        min(event_at) FILTER (WHERE status = 7) AS withdrawn_at,
        coalesce(arg_max(return_method, seq) = 1, false) AS result_by_post,
        coalesce(bool_or(paid_online_code IN (1, 2)), false) AS paid_online
    FROM events
    GROUP BY dossier_code
)
SELECT
    dossier_code,
    received_at,
    channel,
    agency_code,
    procedure_code,
    due_at,
    supplement_requests,
    CASE WHEN withdrawn_at IS NULL THEN coalesce(processed_at, returned_at, stopped_at) END
        AS finished_at,
    coalesce(finished_at <= due_at AND supplement_requests <= 1, false) AS on_time,
    result_by_post,
    paid_online,
    withdrawn_at
FROM facts
"""

# An incremental build must leave these equal to a full refresh's.
COMPARED_TABLES = (
    "marts.fct_dossiers",
    "kpi.kpi_yearly",
    "kpi.kpi_periodic",
    "kpi.kpi_periodic_wide",
    "kpi.kpi_targets",
)

BASELINE_COLUMNS = (
    "dossier_code, received_at, channel, agency_code, procedure_code, due_at, "
    "supplement_requests, finished_at, on_time, result_by_post, paid_online, withdrawn_at"
)


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


def rows_only_in(con, left: str, right: str) -> tuple[int, int]:
    """(rows of query ``left`` missing from ``right``, rows of ``right`` missing from ``left``):
    EXCEPT ALL both ways, so a duplicated row counts; (0, 0) means the same rows."""
    return tuple(
        con.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})").fetchone()[0]
        for a, b in ((left, right), (right, left))
    )


def check_baseline(con) -> dict:
    def one(sql: str) -> tuple:
        return con.execute(sql).fetchone()

    stats = (
        "SELECT count(*), count(*) FILTER (WHERE on_time), sum(supplement_requests), "
        "count(*) FILTER (WHERE finished_at IS NOT NULL) FROM {}"
    )
    baseline = one(stats.format("bench.baseline_dossiers"))
    fact = one(stats.format("marts.fct_dossiers"))
    only_baseline, only_fact = rows_only_in(
        con,
        f"SELECT {BASELINE_COLUMNS} FROM bench.baseline_dossiers",
        f"SELECT {BASELINE_COLUMNS} FROM marts.fct_dossiers",
    )
    return {"baseline": baseline, "fact": fact, "only_baseline": only_baseline, "only_fact": only_fact}


def compare_with_incremental(con) -> dict:
    from tests.golden_outputs import rows_as_built

    out = {}
    for table in COMPARED_TABLES:
        snapshot = "bench.incremental_" + table.replace(".", "_")
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        only_incremental, only_full = rows_only_in(con, rows_as_built(con, snapshot), rows_as_built(con, table))
        out[table] = {"rows": rows, "only_incremental": only_incremental, "only_full": only_full}
    return out


def measure(mode: str, warehouse: Path, landing: Path | None = None) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(warehouse), str(landing or "")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


# --------------------------------------------------------------------------- dbt


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


def summarise_targets(figures: dict) -> None:
    startup, full, baseline = figures["startup"], figures["full"], figures["baseline"]
    incremental, refresh = figures.get("incremental"), figures.get("refresh")
    failed = [f["label"] for f in (startup, full, incremental, refresh) if f and f["returncode"] != 0]
    if failed:
        print(f"  dbt FAILED in: {', '.join(failed)} (times of failed builds are not comparable)")
    bound = 2 * baseline["seconds"] + startup["seconds"]
    print(
        f"  full build {full['seconds']:.1f} s vs 2 x baseline + start-up = 2 x {baseline['seconds']:.1f} + "
        f"{startup['seconds']:.1f} = {bound:.1f} s: {full['seconds'] / bound:.2f}x "
        f"({'met' if full['seconds'] <= bound and full['returncode'] == 0 else 'MISSED'}); "
        f"full build / baseline = {full['seconds'] / baseline['seconds']:.1f}x, "
        f"minus start-up {(full['seconds'] - startup['seconds']) / baseline['seconds']:.1f}x",
        flush=True,
    )
    if incremental and refresh:
        share = incremental["seconds"] / full["seconds"]
        ok = share <= 0.2 and incremental["returncode"] == 0
        print(
            f"  incremental / full = {share:.1%} (target <= 20%: {'met' if ok else 'MISSED'}); "
            f"incremental / refresh = {incremental['seconds'] / refresh['seconds']:.1%}; both minus start-up: "
            f"{(incremental['seconds'] - startup['seconds']) / (full['seconds'] - startup['seconds']):.1%}",
            flush=True,
        )
        # the floor of any incremental build: dbt's fixed cost (import, parse, 42 nodes' overhead)
        print(
            f"  start-up alone (a build with no rows) / full = {startup['seconds'] / full['seconds']:.1%}: "
            "no incremental dbt build can cost less",
            flush=True,
        )
    if figures["references"]:
        ratios = [
            mine["seconds"] / theirs["seconds"]
            for theirs, mine in zip(figures["references"], figures["full_builds"], strict=True)
        ]
        print(
            "  full build / reference full build, paired: "
            + ", ".join(
                f"{mine['seconds']:.1f} / {theirs['seconds']:.1f} s = {ratio:.2f}x"
                for theirs, mine, ratio in zip(figures["references"], figures["full_builds"], ratios, strict=True)
            )
            + f" (target <= 1.3x: {'met' if max(ratios) <= 1.3 else 'MISSED' if min(ratios) > 1.3 else 'mixed'})",
            flush=True,
        )
    builds = [f for f in (startup, incremental, refresh, *figures["full_builds"]) if f]
    dbt_peak = max(max(f["peak_rss"], f.get("kernel_max_rss", 0)) for f in builds)
    peak = max(dbt_peak, baseline["peak_rss"])
    figures["peak_rss"] = peak
    print(
        f"  peak RSS: dbt {dbt_peak / GIB:.2f} GiB, baseline {baseline['peak_rss'] / GIB:.2f} GiB "
        f"(target <= 4 GB: {'met' if peak <= 4e9 else 'MISSED'})",
        flush=True,
    )


def json_figures(figures: dict) -> dict:
    """One size's figures for the closing JSON line."""

    def seconds(figure: dict | None) -> float | None:
        return round(figure["seconds"], 2) if figure else None

    full = figures["full"]
    models = full.get("models", {})
    out = {
        "events": figures["events"],
        "full_build_s": seconds(full),
        "fct_dossiers_s": round(models["fct_dossiers"], 2) if "fct_dossiers" in models else None,
        # the models after the facts: which periods have rows, the components, every KPI table
        "kpi_models_s": round(sum(s for name, s in models.items() if name.startswith(("int_kpi_", "kpi_"))), 2),
        "baseline_s": seconds(figures["baseline"]),
        "startup_s": seconds(figures["startup"]),
        "incremental_s": seconds(figures.get("incremental")),
        "refresh_s": seconds(figures.get("refresh")),
        "peak_rss_mib": round(figures.get("peak_rss", 0) / 2**20),
        "incremental_equals_refresh": figures.get("incremental_equals_refresh"),
        "dbt_ok": all(f["returncode"] == 0 for f in (full, figures.get("incremental"), figures.get("refresh")) if f),
    }
    if figures["references"]:
        out["reference_full_build_s"] = [seconds(f) for f in figures["references"]]
        out["paired_full_build_s"] = [seconds(f) for f in figures["full_builds"]]
        out["full_vs_reference"] = [
            round(mine["seconds"] / theirs["seconds"], 3)
            for theirs, mine in zip(figures["references"], figures["full_builds"], strict=True)
        ]
    return out


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
