"""``parkpi run``: the main job (what `make run` runs), then a summary."""

from __future__ import annotations

import argparse
import os
import sys
import time

from orchestration.cli.home import dagster_home
from sources.settings import ENGINES, export_for_dbt


def register(commands) -> argparse.ArgumentParser:
    parser = commands.add_parser("run", help="materialise every asset (the main job) and print a summary")
    parser.add_argument("--log-level", default="INFO", help="console log level: DEBUG, INFO (default), WARNING")
    parser.add_argument(
        "--full",
        action="store_true",
        help="rebuild and re-check everything even if nothing changed since the last full run",
    )
    parser.add_argument(
        "--unit-tests",
        action="store_true",
        help="run dbt's unit tests too (with --full: worth it once on a new engine or cluster)",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        help="where dbt runs the transformations: duckdb (default, or PARKPI_ENGINE) or spark, over the "
        "Parquet lake (docs/scaling.md)",
    )
    return parser


def handle(args: argparse.Namespace) -> int:
    if args.engine:
        os.environ["PARKPI_ENGINE"] = args.engine  # before anything reads the settings
    settings = export_for_dbt()
    dagster_home()
    print(f"parkpi run — landing folder {settings.landing_dir}")
    print(f"             warehouse      {settings.warehouse}")
    if settings.engine == "spark":
        from orchestration.lib.spark import missing_prerequisite

        print(f"             engine         Spark ({settings.spark_master}) over the lake {settings.lake}")
        missing = missing_prerequisite()
        if missing:
            print(f"\nparkpi run: {missing}", file=sys.stderr)
            return 2
    elif settings.writes_lake:
        print(f"             lake           {settings.lake}")
    from orchestration.lib.dbt import prepare_dbt
    from orchestration.lib.runs import execute, plan_run
    from sources.warehouse import writer_lock

    started = time.perf_counter()
    prepare_dbt()

    def waiting(message: str) -> None:
        print(f"             waiting        {message}", flush=True)

    # one writer at a time: a second `parkpi run` (or a UI run) waits here, it does not fail
    with writer_lock(settings.warehouse, on_wait=waiting, holder="parkpi run"):
        plan = plan_run(settings, full=args.full)
        logs = settings.warehouse_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log_path = logs / f"run-{time.strftime('%Y%m%d-%H%M%S')}.log"
        print(f"             full log       {log_path}")
        if plan.full:
            print(f"             full run       {plan.reason}\n")
        else:
            print(
                f"             up to date     nothing changed since {plan.reason};\n"
                "                            only the loaders run, to confirm it "
                "(`parkpi run --full` redoes everything)\n"
            )
        result = execute(
            settings,
            plan,
            log_level=args.log_level,
            log_path=log_path,
            say=lambda m: print(m, file=sys.__stdout__),
            unit_tests=args.unit_tests,
        )
    took = duration(result.run_id, time.perf_counter() - started)
    from orchestration.lib.summary import print_failure, print_quality, print_summary

    if not result.success:
        print_failure(result)
        print_quality(settings, run_id=result.run_id)
        print(f"\nparkpi run FAILED after {took} (run id {result.run_id})", file=sys.stderr)
        return 1
    print_summary(settings)
    print(f"\nparkpi run succeeded in {took} (run id {result.run_id})")
    return 0


def duration(run_id: str, command_seconds: float) -> str:
    """The run's duration as `parkpi status` shows it (Dagster's record of the run), and the
    command's own time around it (the up-to-date check, dbt parsing)."""
    import dagster as dg

    from orchestration.lib.status import run_seconds

    with dg.DagsterInstance.get() as instance:
        record = instance.get_run_record_by_id(run_id)
    seconds = run_seconds(record) if record else None
    if seconds is None:
        return f"{command_seconds:.1f} s"
    return f"{seconds:.1f} s ({command_seconds:.1f} s with the up-to-date check and dbt parsing)"
