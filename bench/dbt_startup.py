"""dbt's fixed cost: what a dbt build costs with no rows, and what each way of starting it adds.

    nice -n 10 python bench/dbt_startup.py [--repeat 3]

On an empty warehouse (raw schemas created, no rows; dbt's work is then all overhead), each way
in a fresh process, `--repeat` times, wall and CPU seconds (of the process and its children):

  import          python -c "import dbt.cli.main": importing dbt-core and its dependencies
  version         `dbt --version`: what dagster-dbt runs (once per process) before every build
  parse           `dbt parse` with a current partial-parse file
  build           `dbt build --exclude-resource-type unit_test` (the CLI; what dagster-dbt starts)
  build, models   the same without the data tests (--exclude-resource-type test): models only
  dagster-dbt     DbtCliResource.cli(["build", ...]).wait() outside Dagster: `dbt --version`, the
                  in-process adapter dagster-dbt opens for column metadata and row counts, then the
                  CLI build, whose JSON log it parses
  dagster-dbt, lean  the same with the version taken from the installed package and no adapter
                  (what orchestration/lib/dbt.py's resource would do; parkpi asks for neither
                  column metadata nor row counts)
  in-process      dbt's programmatic runner (dbtRunner) in a fresh process: its import, then the
                  first build, then a second build in the same process (what a long-lived
                  process, e.g. a Dagster code server, would pay per build)

The last line is one JSON object with the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.datasets import data_root  # noqa: E402

DBT = Path(sys.executable).parent / "dbt"
PROJECT = ROOT / "dbt_project"
BUILD = ["build", "--exclude-resource-type", "unit_test"]


def timed(command: list[str], env: dict) -> dict:
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = os.times()
    if done.returncode != 0:
        raise SystemExit(f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    out = {"seconds": seconds, "cpu_seconds": cpu}
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if last.startswith("{"):
        out.update(json.loads(last))
    return out


def dbt_args(target: Path) -> list[str]:
    return ["--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT), "--target-path", str(target)]


def child(mode: str, target: str) -> None:
    """Runs in its own process; prints one JSON line."""
    out: dict = {}
    if mode == "in-process":
        started = time.perf_counter()
        from dbt.cli.main import dbtRunner

        out["import_seconds"] = time.perf_counter() - started
        runner = dbtRunner()
        for key in ("first_build_seconds", "second_build_seconds"):
            started = time.perf_counter()
            result = runner.invoke([*BUILD, *dbt_args(Path(target)), "--quiet"])
            out[key] = time.perf_counter() - started
            if not result.success:
                raise SystemExit(f"in-process build failed: {result.exception}")
    elif mode in ("dagster-dbt", "dagster-dbt-lean"):
        from dagster_dbt import DbtCliResource

        from orchestration.lib.dbt import DBT_EXECUTABLE, dbt_project

        project = dbt_project()
        resource_class = DbtCliResource
        if mode == "dagster-dbt-lean":
            from orchestration.lib.dbt import LeanDbtCliResource

            resource_class = LeanDbtCliResource
        resource = resource_class(
            project_dir=project, profiles_dir=str(project.profiles_dir), dbt_executable=DBT_EXECUTABLE
        )
        started = time.perf_counter()
        invocation = resource.cli(BUILD, target_path=Path(target), raise_on_error=True)
        out["before_dbt_seconds"] = time.perf_counter() - started
        invocation.wait()
        out["build_seconds"] = time.perf_counter() - started
    print(json.dumps(out))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", help="where the empty warehouse goes (default $PARKPI_BENCH_DATA or bench/data)")
    args = parser.parse_args()

    work = data_root(args.data) / "dbt_startup"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    warehouse = work / "empty.duckdb"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from sources.loading import ensure_all_raw_schemas; from sources.warehouse import connect; "
            "con = connect(sys.argv[1]); ensure_all_raw_schemas(con); con.close()",
            str(warehouse),
        ],
        cwd=ROOT,
        check=True,
    )
    env = dict(os.environ, PARKPI_WAREHOUSE=str(warehouse))
    target = work / "target"
    # a current manifest and partial-parse file in every target path used below, as in production
    timed([str(DBT), "parse", *dbt_args(target)], env)
    ways = {
        "import": [sys.executable, "-c", "import dbt.cli.main"],
        "version": [str(DBT), "--version"],
        "parse": [str(DBT), "parse", *dbt_args(target)],
        "build": [str(DBT), *BUILD, *dbt_args(target)],
        "build, models": [str(DBT), *BUILD, "--exclude-resource-type", "test", *dbt_args(target)],
        "dagster-dbt": [sys.executable, __file__, "--child", "dagster-dbt", str(target)],
        "dagster-dbt, lean": [sys.executable, __file__, "--child", "dagster-dbt-lean", str(target)],
        "in-process": [sys.executable, __file__, "--child", "in-process", str(target)],
    }
    load = os.getloadavg()[0]
    print(f"dbt's fixed cost on an empty warehouse, {args.repeat} runs each (median; load average {load:.1f})")
    figures: dict[str, dict] = {}
    for _ in range(args.repeat):  # interleaved, so that a change of load hits every way alike
        for name, command in ways.items():
            for key, value in timed(command, env).items():
                figures.setdefault(name, {}).setdefault(key, []).append(value)
    record: dict = {"bench": "dbt_startup", "repeat": args.repeat, "load": [load, os.getloadavg()[0]]}
    for name, values in figures.items():
        medians = {key: statistics.median(v) for key, v in values.items()}
        record[name] = {key: round(v, 2) for key, v in medians.items()}
        extra = ", ".join(f"{k} {v:.2f} s" for k, v in medians.items() if k not in ("seconds", "cpu_seconds"))
        print(
            f"  {name:<18} {medians['seconds']:6.2f} s wall  {medians['cpu_seconds']:6.2f} CPU-s"
            + (f"  ({extra})" if extra else ""),
            flush=True,
        )
    record["load"].append(os.getloadavg()[0])
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(record))


if __name__ == "__main__":
    main()
