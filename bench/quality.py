"""Data-quality benchmark: the raw portal suite through GX on DuckDB against GX's pandas path.

    python bench/quality.py --events 10000000 [--events 1000000 ...] [--pandas-max-events N]

For each N it takes the N generated portal events of bench/ingest.py (bench/data/portal_<N>/,
generated the same way if absent), hard-links all of them (the held-back month included) into
a private landing folder bench/data/portal_<N>/quality/landing (the shared folder is never
modified) and loads them once with sources.loading.load_source into
bench/data/portal_<N>/quality/warehouse.duckdb (kept for later runs). Then, each in a fresh
process so that peak RSS is its own (VmHWM from /proc/self/status; ru_maxrss would include the
parent's), it measures:

  gx-duckdb          the raw portal suite (quality.suites.PORTAL_EVENTS: 16
                     expectations) through GX's SQL path on DuckDB (quality.duckdb_gx),
                     as the Dagster check does, DuckDB memory limit PARKPI_DUCKDB_MEMORY_LIMIT
  gx-duckdb-failing  one expectation that every row fails (MaHoSo against ^[a-z]+$): the
                     count comes from SQL, failing rows only as a 10-row sample
  gx-pandas          the same 16 expectations through GX's pandas path, on the table read
                     into a DataFrame (the read is timed apart; peak RSS covers both). It runs
                     for N <= --pandas-max-events only (default 10M), under an address-space
                     limit (--pandas-limit-gb, default 12) so that a DataFrame too big for the
                     machine fails with MemoryError instead of pushing others out of memory.

Great Expectations is imported before the clock starts (about 4 s, the same for both paths).
Both paths must find the same unexpected counts per check; a difference is printed.
Targets (issue #4): gx-duckdb at 10M <= 30 s and <= 1.5 GB peak RSS on 2 cores.
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


def peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# -- data ------------------------------------------------------------------------------------------


def source_folder(events: int) -> Path:
    """bench/ingest.py's generated events (landing/ plus the held-back last month)."""
    folder = DATA / f"portal_{events}"
    if not (folder / ".complete").exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "ingest.py"), "--generate", str(events)], check=True)
    return folder


def warehouse_for(events: int) -> Path:
    """The loaded warehouse for N events, built once."""
    work = DATA / f"portal_{events}" / "quality"
    warehouse = work / "warehouse.duckdb"
    if (work / ".complete").exists() and warehouse.exists():
        return warehouse
    folder = source_folder(events)
    shutil.rmtree(work, ignore_errors=True)
    landing = work / "landing"
    for part in ("landing", "held_back"):
        for path in sorted((folder / part / "portal").rglob("*.jsonl.gz")):
            target = landing / path.relative_to(folder / part)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, target)
            except OSError:
                shutil.copy2(path, target)
    started = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--load", str(landing), str(warehouse)], check=True)
    (work / ".complete").write_text(f"{time.perf_counter() - started:.1f}\n")
    return warehouse


def load(landing: str, warehouse: str) -> None:
    from sources.loading import load_source
    from sources.portal import PORTAL
    from sources.settings import get_settings
    from sources.warehouse import connect

    started = time.perf_counter()
    with connect(warehouse, memory_limit=get_settings().memory_limit) as con:
        result = load_source(con, PORTAL, Path(landing))
        con.execute("CHECKPOINT")
    print(f"  loaded {result.rows_loaded:,} events in {time.perf_counter() - started:.1f} s", flush=True)


# -- the measured work (one fresh process each) ---------------------------------------------------


def failing_suite():
    from quality.checks import Check, Suite, expect
    from quality.suites import suite

    PORTAL_EVENTS = suite("portal.raw_events")

    return Suite(
        asset=PORTAL_EVENTS.asset,
        table=PORTAL_EVENTS.table,
        key_columns=PORTAL_EVENTS.key_columns,
        checks=(
            Check(
                name="every_row_fails",
                blocking=False,
                # a real regex: DuckDB would turn a literal pattern into a string comparison
                rule="MaHoSo is lower-case letters only",
                expectations=(expect("ExpectColumnValuesToMatchRegex", column="MaHoSo", regex="^[a-z]+$"),),
            ),
        ),
    )


def validate_with_pandas(frame, suite, now) -> list[tuple[str, bool, int]]:
    """The suite's expectations through GX's pandas path (what GX offers without SQL)."""
    import great_expectations as gx

    from quality.checks import SAMPLE_SIZE, suite_parameters
    from quality.runner import gx_expectation, make_context

    context = make_context()
    asset = context.data_sources.add_pandas(name="pandas").add_dataframe_asset(name=suite.name)
    expectations = [
        gx_expectation(spec, check, suite, index)
        for check in suite.checks
        for index, spec in enumerate(check.expectations)
    ]
    gx_suite = context.suites.add(gx.ExpectationSuite(name=suite.name, expectations=expectations))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=asset.add_batch_definition_whole_dataframe("all"), suite=gx_suite)
    )
    result = definition.run(
        batch_parameters={"dataframe": frame},
        expectation_parameters=suite_parameters(now),
        result_format={
            "result_format": "SUMMARY",
            "partial_unexpected_count": SAMPLE_SIZE,
            "unexpected_index_column_names": list(suite.key_columns),
        },
    )
    by_check: dict[str, tuple[bool, int]] = {}
    for item in result.results:
        name = item.expectation_config.meta["parkpi_check"]
        success, unexpected = by_check.get(name, (True, 0))
        count = item.result.get("unexpected_count")
        if count is None:  # table-level expectations report no count
            count = len((item.result.get("details") or {}).get("mismatched", {}).get("missing") or [])
        by_check[name] = (success and bool(item.success), unexpected + int(count))
    return [(name, success, unexpected) for name, (success, unexpected) in by_check.items()]


def child(mode: str, warehouse: str, limit_gb: str) -> None:
    import great_expectations.expectations  # noqa: F401 (imported before the clock)

    from quality import duckdb_gx  # noqa: F401
    from quality.checks import local_now
    from quality.runner import validate_suite
    from quality.suites import suite

    PORTAL_EVENTS = suite("portal.raw_events")
    from sources.settings import get_settings
    from sources.warehouse import connect

    now = local_now()
    con = connect(warehouse, read_only=True, memory_limit=get_settings().memory_limit)
    rows = con.execute("SELECT count(*) FROM raw_portal.events").fetchone()[0]
    figure: dict = {"mode": mode, "rows": rows, "read_seconds": None, "error": None}
    if mode in ("gx-duckdb", "gx-duckdb-failing"):
        suite = PORTAL_EVENTS if mode == "gx-duckdb" else failing_suite()
        started = time.perf_counter()
        outcomes = validate_suite(con, suite, now=now)
        figure["seconds"] = time.perf_counter() - started
        figure["checks"] = [(o.check.name, o.success, o.unexpected_count) for o in outcomes]
        figure["sample_sizes"] = [len(o.sample) for o in outcomes]
        con.close()
    else:
        limit = int(float(limit_gb) * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        started = time.perf_counter()
        try:
            frame = con.execute("SELECT * FROM raw_portal.events").df()
            con.close()
            figure["read_seconds"] = time.perf_counter() - started
            started = time.perf_counter()
            figure["checks"] = validate_with_pandas(frame, PORTAL_EVENTS, now)
            figure["seconds"] = time.perf_counter() - started
        except MemoryError:
            figure["error"] = f"MemoryError under a {limit_gb} GB address-space limit"
            figure["seconds"] = time.perf_counter() - started
    figure["peak_rss"] = peak_rss()
    print(json.dumps(figure))


def measure(mode: str, warehouse: Path, limit_gb: float) -> dict:
    run = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(warehouse), str(limit_gb)],
        capture_output=True,
        text=True,
    )
    lines = run.stdout.strip().splitlines()
    if run.returncode != 0 or not lines:
        tail = (run.stderr or run.stdout).strip().splitlines()[-3:]
        return {
            "mode": mode,
            "rows": 0,
            "seconds": float("nan"),
            "peak_rss": 0,
            "read_seconds": None,
            "error": f"exit code {run.returncode}: {' | '.join(tail)}",
        }
    return json.loads(lines[-1])


def report(figure: dict) -> str:
    if figure.get("error"):
        return f"  {figure['mode']:<18} {figure['rows']:>12,} rows  did not complete: {figure['error']}"
    rate = figure["rows"] / figure["seconds"] if figure["seconds"] else float("nan")
    line = (
        f"  {figure['mode']:<18} {figure['rows']:>12,} rows  {figure['seconds']:8.2f} s  "
        f"{rate:>12,.0f} rows/s  peak RSS {figure['peak_rss'] / 2**20:8.0f} MiB"
    )
    if figure["mode"] == "gx-duckdb-failing":
        ((_, _, unexpected),) = figure["checks"]
        line += f"  ({unexpected:,} unexpected, sample of {figure['sample_sizes'][0]})"
    if figure.get("read_seconds") is not None:
        line += f"  (+ {figure['read_seconds']:.2f} s reading the table into pandas)"
    return line


def run(events: int, pandas_max: int, limit_gb: float) -> dict:
    print(f"\nraw portal suite, {events:,} generated events", flush=True)
    warehouse = warehouse_for(events)
    duck = measure("gx-duckdb", warehouse, limit_gb)
    print(report(duck), flush=True)
    failing = measure("gx-duckdb-failing", warehouse, limit_gb)
    print(report(failing), flush=True)
    figures = {"events": events}
    for figure in (duck, failing):
        figures[figure["mode"]] = {
            "rows": figure["rows"],
            "seconds": round(figure["seconds"], 2),
            "peak_rss_mib": round(figure["peak_rss"] / 2**20),
            "error": figure.get("error"),
        }
    if events <= pandas_max:
        pandas = measure("gx-pandas", warehouse, limit_gb)
        figures["gx-pandas"] = {
            "rows": pandas["rows"],
            "seconds": round(pandas["seconds"], 2),
            "read_seconds": pandas.get("read_seconds"),
            "peak_rss_mib": round(pandas["peak_rss"] / 2**20),
            "error": pandas.get("error"),
        }
        print(report(pandas), flush=True)
        if not pandas.get("error") and not duck.get("error"):
            same = sorted(map(tuple, duck["checks"])) == sorted(map(tuple, pandas["checks"]))
            print(f"  same verdicts and unexpected counts per check on both paths: {same}", flush=True)
            if not same:
                print(f"    duckdb {sorted(duck['checks'])}\n    pandas {sorted(pandas['checks'])}")
            print(
                f"  gx-pandas / gx-duckdb: {pandas['seconds'] / duck['seconds']:.1f}x the time "
                f"({(pandas['seconds'] + pandas['read_seconds']) / duck['seconds']:.1f}x with the read), "
                f"{pandas['peak_rss'] / duck['peak_rss']:.1f}x the peak RSS",
                flush=True,
            )
    if not duck.get("error"):
        print(
            f"  gx-duckdb: {duck['seconds']:.1f} s (target <= 30 s at 10M), peak RSS "
            f"{duck['peak_rss'] / 2**30:.2f} GiB (target <= 1.5 GB)",
            flush=True,
        )
    return figures


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        load(*sys.argv[2:4])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, action="append", help="number of events (repeatable)")
    parser.add_argument("--pandas-max-events", type=int, default=10_000_000, help="skip gx-pandas above this N")
    parser.add_argument("--pandas-limit-gb", type=float, default=12.0, help="address-space limit of gx-pandas")
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores; DuckDB memory limit "
        f"{os.environ.get('PARKPI_DUCKDB_MEMORY_LIMIT', '1GB')}; great_expectations imported before timing"
    )
    sizes = [run(events, args.pandas_max_events, args.pandas_limit_gb) for events in args.events or [1_000_000]]
    print(json.dumps({"bench": "quality", "sizes": sizes}))  # one line for tracking across commits


if __name__ == "__main__":
    main()
