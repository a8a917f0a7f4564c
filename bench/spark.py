"""The same dbt project on Spark and on DuckDB, over the same generated events (docs/scaling.md).

    python bench/spark.py --events 1000000 [--events 10000000 ...] [--master local[2]]

For each N it takes the N generated portal events of bench/ingest.py (bench/data/portal_<N>/,
generated the same way if absent, without the held-back month), hard-links them into a private
landing folder under bench/data/portal_<N>/spark/ and measures, each in a fresh process:

  load      sources.loading.load_source of the portal events and the catalogue (as bench/transform.py)
  lake      sources.lake.sync_all: the raw layer as zstd Parquet (what Spark reads)
  duckdb    `dbt build --exclude-resource-type unit_test --full-refresh` on DuckDB (profile `dev`, 4 threads)
  spark     the same on Spark (profile `spark`, method session, PARKPI_SPARK_MASTER, default local[2],
            PARKPI_SPARK_DRIVER_MEMORY, default 2g) over the lake; its wall time includes the
            JVM's start and the lake's table declarations
  import    Spark's tables read into a copy of the warehouse (what `parkpi run --engine spark`
            does after dbt), and kpi_yearly, kpi_periodic, kpi_targets compared with DuckDB's
            (rows only on one side; doubles to 1e-9)

Peak RSS is the summed RSS of dbt's process tree (the JVM included), polled every 0.2 s.
Run it under `nice -n 10` on a shared machine; the CPU seconds of the machine's other work are
not separated out, so compare the two engines from the same run.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dbt_runs import mib, report_dbt, run_dbt  # noqa: E402
from bench.transform import dataset, measure, private_landing  # noqa: E402
from bench.transform_baseline import rows_only_in  # noqa: E402

PARITY_TABLES = ("kpi.kpi_yearly", "kpi.kpi_periodic", "kpi.kpi_targets")


def child(mode: str, warehouse: str, lake: str) -> None:
    """Runs in its own process; prints one JSON line."""
    from sources.lake import sync_all
    from sources.warehouse import connect

    started = time.perf_counter()
    figure: dict = {"mode": mode}
    if mode == "lake":
        with connect(warehouse, memory_limit="1GB") as con:
            results = sync_all(con, Path(lake), full=True)
        figure["rows"] = sum(r.rows_written for r in results)
        figure["files"] = sum(len(r.written) for r in results)
        figure["bytes"] = sum(f.stat().st_size for f in Path(lake).rglob("*.parquet"))
    elif mode == "import":
        figure.update(import_and_compare(Path(warehouse), Path(lake)))
    figure["seconds"] = time.perf_counter() - started
    print(json.dumps(figure))


def import_and_compare(duck_warehouse: Path, spark_copy: Path) -> dict:
    """Spark's KPI tables into a copy of the warehouse; rows differing from DuckDB's."""
    import duckdb

    from orchestration.lib import spark
    from sources.settings import get_settings

    settings = get_settings()
    run_results = json.loads((spark_copy.parent / "target-spark" / "run_results.json").read_text())
    manifest = json.loads((spark_copy.parent / "target-spark" / "manifest.json").read_text())
    tables = spark.built_tables(manifest, run_results)
    shutil.copy2(duck_warehouse, spark_copy)
    con = duckdb.connect(str(spark_copy))
    started = time.perf_counter()
    rows = spark.import_tables(con, settings, tables)
    seconds = time.perf_counter() - started
    con.execute(f"ATTACH '{duck_warehouse}' AS duck (READ_ONLY)")
    differing = {}
    for table in PARITY_TABLES:
        schema, name = table.split(".")
        columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        # doubles to 1e-9: rounded to 9 decimals on both sides (values here are below 1e6)
        types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall())
        shown = ", ".join(f"round({c}, 9)" if types[c] == "DOUBLE" else c for c in columns)
        only_spark, only_duck = rows_only_in(
            con, f"SELECT {shown} FROM {table}", f"SELECT {shown} FROM duck.{schema}.{name}"
        )
        differing[table] = {"rows": rows.get(table), "only_spark": only_spark, "only_duckdb": only_duck}
    con.close()
    return {"tables": len(rows), "rows": sum(rows.values()), "import_seconds": seconds, "parity": differing}


def sub(mode: str, warehouse: Path, lake: Path, env: dict | None = None) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(warehouse), str(lake)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def run(events: int, master: str, memory: str) -> None:
    print(f"\nspark vs duckdb, {events:,} generated events, Spark {master}, driver memory {memory}", flush=True)
    folder = dataset(events)
    work = folder / "spark"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    landing = private_landing(folder, work)
    warehouse, lake, spark_dir = work / "parkpi.duckdb", work / "lake", work / "spark"
    profiles = ROOT / "dbt_project"

    load = measure("load", warehouse, landing)
    print(f"  load          {load['seconds']:8.2f} s       {load['portal']['rows_loaded']:,} events", flush=True)
    lake_figure = sub("lake", warehouse, lake)
    print(
        f"  lake          {lake_figure['seconds']:8.2f} s       {lake_figure['rows']:,} rows, "
        f"{lake_figure['files']} files, {lake_figure['bytes'] / 2**20:,.0f} MiB Parquet",
        flush=True,
    )

    build = ["build", "--exclude-resource-type", "unit_test", "--full-refresh"]
    run_dbt("parse", ["parse"], warehouse, work, "target", profiles)
    duck = run_dbt("duckdb", build, warehouse, work, "target", profiles)
    report_dbt(duck)

    from sources.lake import spark_tables

    os.environ.update(
        PARKPI_WAREHOUSE=str(warehouse),
        PARKPI_SPARK_MASTER=master,
        PARKPI_SPARK_DRIVER_MEMORY=memory,
        PARKPI_SPARK_DIR=str(spark_dir),
        PARKPI_LAKE_TABLES=json.dumps(spark_tables(lake), ensure_ascii=False),
    )
    shutil.rmtree(spark_dir, ignore_errors=True)
    (spark_dir / "scratch").mkdir(parents=True)
    spark_figure = run_dbt("spark", [*build, "--target", "spark"], warehouse, work, "target-spark", profiles)
    report_dbt(spark_figure)
    if spark_figure["returncode"] == 0:
        env = dict(os.environ, PARKPI_WAREHOUSE=str(work / "spark_copy.duckdb"))
        imported = sub("import", warehouse, work / "spark_copy.duckdb", env=env)
        print(
            f"  import        {imported['import_seconds']:8.2f} s       {imported['tables']} tables, "
            f"{imported['rows']:,} rows into DuckDB",
            flush=True,
        )
        for table, p in imported["parity"].items():
            verdict = "EQUAL" if p["only_spark"] == p["only_duckdb"] == 0 else "DIFFERENT"
            print(
                f"  parity {table:<17} {p['rows']:,} rows, {p['only_spark']} only on Spark, "
                f"{p['only_duckdb']} only on DuckDB -> {verdict}",
                flush=True,
            )
        print(
            f"  spark / duckdb: {spark_figure['seconds'] / duck['seconds']:.1f}x wall "
            f"({spark_figure['seconds']:.1f} s vs {duck['seconds']:.1f} s); peak RSS "
            f"{mib(spark_figure['peak_rss'])} vs {mib(duck['peak_rss'])}",
            flush=True,
        )
    shutil.rmtree(landing, ignore_errors=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, action="append", help="number of events (repeatable)")
    parser.add_argument("--master", default="local[2]", help="Spark master (PARKPI_SPARK_MASTER)")
    parser.add_argument("--driver-memory", default="2g", help="spark.driver.memory")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores")
    for events in args.events or [1_000_000]:
        run(events, args.master, args.driver_memory)


if __name__ == "__main__":
    main()
