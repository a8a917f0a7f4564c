"""The ``parkpi`` command line: ``parkpi run`` is the main job behind ``make run``."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

from sources.settings import export_for_dbt, get_settings

SOURCE_TOKENS = ("portal", "postal", "mailbox", "catalog")

# The Dagster instance of `make run` and `make dev`. Runs launched from the UI, schedules and the
# sensor queue up: one run at a time (and only one tagged parkpi/warehouse=writer, every job's tag).
DAGSTER_YAML = """\
telemetry:
  enabled: false
concurrency:
  runs:
    # every parkpi run writes the warehouse, including ad-hoc materialisations and backfills
    # from the UI (they run the implicit asset job, which carries no job tags)
    max_concurrent_runs: 1
    tag_concurrency_limits:
      - key: parkpi/warehouse
        value: writer
        limit: 1
"""

# What earlier versions wrote: replaced, so that existing warehouses get the run queue too.
EARLIER_DAGSTER_YAMLS = (
    "telemetry:\n  enabled: false\n",
    "telemetry:\n  enabled: false\nconcurrency:\n  runs:\n    tag_concurrency_limits:\n"
    "      - key: parkpi/warehouse\n        value: writer\n        limit: 1\n",
)


def _dagster_home() -> None:
    """Runs launched from the CLI are recorded where the UI (`make dev`) looks for them."""
    settings = get_settings()
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(settings.warehouse_dir / "dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    current = config.read_text(encoding="utf-8") if config.exists() else None
    if current is None or current in EARLIER_DAGSTER_YAMLS:
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    elif "parkpi/warehouse" not in current:
        print(
            f"parkpi: {config} has no run limit for the tag parkpi/warehouse: runs from the UI, the "
            "schedules and the sensor will not queue behind each other (see docs/operations.md)",
            file=sys.stderr,
        )


def command_prepare(_: argparse.Namespace) -> int:
    from orchestration.lib.dbt import prepare_dbt

    export_for_dbt()
    _dagster_home()
    prepare_dbt()
    return 0


def command_run(args: argparse.Namespace) -> int:
    settings = export_for_dbt()
    _dagster_home()
    print(f"parkpi run — landing folder {settings.landing_dir}")
    print(f"             warehouse      {settings.warehouse}")
    from orchestration.lib.dbt import prepare_dbt

    started = time.perf_counter()
    prepare_dbt()
    from sources.warehouse import writer_lock

    def waiting(message: str) -> None:
        print(f"             waiting        {message}", flush=True)

    # one writer at a time: a second `parkpi run` (or a UI run) waits here, it does not fail
    with writer_lock(settings.warehouse, on_wait=waiting, holder="parkpi run"):
        return _run(args, settings, started)


def _run(args: argparse.Namespace, settings, started: float) -> int:
    from orchestration.lib import build_state

    plan = build_state.plan(settings)
    full = args.full or not plan.up_to_date
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.defs.ingest import every_partition_tags
    from orchestration.defs.jobs import INGEST_JOB_NAME, MAIN_JOB_NAME

    logs = settings.warehouse_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"run-{time.strftime('%Y%m%d-%H%M%S')}.log"
    print(f"             full log       {log_path}")
    if full:
        why = "asked for with --full" if args.full and plan.up_to_date else plan.reason
        print(f"             full run       {why}\n")
    else:
        print(
            f"             up to date     nothing changed since {build_state.describe_last(plan)};\n"
            "                            only the loaders run, to confirm it (`parkpi run --full` redoes everything)\n"
        )
    if full:
        build_state.forget(settings)  # a run killed half-way must not look up to date afterwards
    run_config = {"loggers": {"compact": {"config": {"log_level": args.log_level}}}}
    # dbt's own output (hundreds of lines) goes to the log file; the compact logger prints
    # one line per stage and message to the terminal.
    with DagsterInstance.get() as instance, log_path.open("w", encoding="utf-8") as log:
        with contextlib.redirect_stdout(log):
            job = defs.resolve_job_def(MAIN_JOB_NAME if full else INGEST_JOB_NAME)
            result = job.execute_in_process(
                instance=instance, raise_on_error=False, run_config=run_config, tags=every_partition_tags()
            )
            if result.success and not full and _loaded_anything(result):
                # a file arrived between the plan and the load: build and check it now
                print("a landing file changed during the run: running the full job", file=sys.__stdout__)
                full = True
                job = defs.resolve_job_def(MAIN_JOB_NAME)
                result = job.execute_in_process(
                    instance=instance, raise_on_error=False, run_config=run_config, tags=every_partition_tags()
                )
    seconds = time.perf_counter() - started
    from orchestration.lib.summary import print_failure, print_quality, print_summary

    if not result.success:
        build_state.forget(settings)  # the rerun case: it may have loaded files and then failed
        print_failure(result)
        print_quality(settings, run_id=result.run_id)
        print(f"\nparkpi run FAILED after {seconds:.1f} s (run id {result.run_id})", file=sys.stderr)
        return 1
    if full:
        build_state.record(settings, result.run_id)
    print_summary(settings)
    print(f"\nparkpi run succeeded in {seconds:.1f} s (run id {result.run_id})")
    return 0


def _loaded_anything(result) -> bool:
    """Did any loader of this run add, change or remove a file?"""
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        if any(metadata[key].value for key in ("files_added", "files_changed", "files_removed") if key in metadata):
            return True
    return False


def command_report(_: argparse.Namespace) -> int:
    """Re-write the leadership report from the published snapshot (never the warehouse)."""
    from serving.report import build_report
    from serving.snapshot import SNAPSHOT_FILE

    settings = get_settings()
    snapshot = settings.publish_dir / SNAPSHOT_FILE
    if not snapshot.exists():
        print(f"parkpi report: no published snapshot at {snapshot}; run `parkpi run` first", file=sys.stderr)
        return 2
    report = build_report(snapshot, settings.publish_dir / "report")
    print(f"report for {report.year}: {report.html}\n            {report.xlsx}")
    return 0


def command_check_file(args: argparse.Namespace) -> int:
    """Exit 0: every row passes; 1: rows would be rejected; 2: the file cannot be loaded at all."""
    import json

    from sources.checkfile import check_file, guess_source
    from sources.messages import problem_vi, reason_vi

    path = Path(args.path)
    if not path.is_file():
        print(f"parkpi check-file: {path}: no such file / không có tệp này", file=sys.stderr)
        return 2
    source = args.source or guess_source(path)
    if source is None:
        print(
            f"parkpi check-file: {path}: cannot tell which source this is; "
            "give --source portal|postal|mailbox|catalog\n"
            "  không xác định được nguồn dữ liệu; hãy chỉ rõ --source",
            file=sys.stderr,
        )
        return 2
    checked = check_file(path, source)
    if args.json:
        print(
            json.dumps(
                {
                    "file": str(path),
                    "source": source,
                    "rows_ok": checked.rows_ok,
                    "rejects": [
                        {"line": line, "reason": reason, "reason_vi": reason_vi(reason), "raw": raw}
                        for line, reason, raw in checked.rejects
                    ],
                    "error": str(checked.error) if checked.error else checked.ignored,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    if checked.ignored or checked.error:
        if not args.json:
            if checked.ignored:
                print(f"{path} ({source}): not an accepted file type / không phải loại tệp được chấp nhận: "
                      f"{checked.ignored}", file=sys.stderr)  # fmt: skip
            else:
                error = checked.error
                print(f"{path} ({source}): cannot be loaded / không nạp được", file=sys.stderr)
                print(f"  en: {error.problem}" + (f" — {error.fix}" if error.fix else ""), file=sys.stderr)
                print(f"  vi: {problem_vi(error.problem) or error.problem}", file=sys.stderr)
        return 2
    if not args.json:
        print(f"{path} ({source}): {checked.rows_ok:,} rows pass / dòng hợp lệ, "
              f"{len(checked.rejects):,} rows fail / dòng bị từ chối")  # fmt: skip
        shown = checked.rejects[: args.limit]
        for line, reason, raw in shown:
            text = (raw or "").replace("\n", " ")
            print(f"  line/dòng {line}: {reason}")
            vi = reason_vi(reason)
            if vi:
                print(f"  {' ' * len(f'line/dòng {line}')}  {vi}")
            print(f"      {text[:150]}{'…' if len(text) > 150 else ''}")
        if len(checked.rejects) > len(shown):
            more = len(checked.rejects) - len(shown)
            print(f"  … and {more:,} more / và {more:,} dòng nữa (--limit N, --json)")
    return 1 if checked.rejects else 0


def command_status(args: argparse.Namespace) -> int:
    from orchestration.lib.status import print_status

    _dagster_home()
    return print_status(get_settings())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="parkpi", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="materialise every asset (the main job) and print a summary")
    run.add_argument("--log-level", default="INFO", help="console log level: DEBUG, INFO (default), WARNING")
    run.add_argument(
        "--full",
        action="store_true",
        help="rebuild and re-check everything even if nothing changed since the last full run",
    )
    run.set_defaults(handler=command_run)
    check = commands.add_parser(
        "check-file",
        help="pre-flight one export against the contract (no warehouse touched)",
        description="Check one export file against the contract before putting it into the landing folder: "
        "which rows would be rejected and why, in English and Vietnamese. Exit codes: 0 all rows pass, "
        "1 some rows would be rejected, 2 the file cannot be loaded at all (or usage error). "
        "Example: parkpi check-file ~/Downloads/export_2020_12.jsonl.gz",
    )
    check.add_argument("path", help="the export file (.jsonl, .csv, .xlsx, optionally .gz)")
    check.add_argument("--source", choices=sorted(SOURCE_TOKENS), help="which source (default: guessed)")
    check.add_argument("--limit", type=int, default=20, help="show at most N failing rows (default 20)")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(handler=command_check_file)
    status = commands.add_parser(
        "status",
        help="what is loaded per source and month, the last run, the check results",
        description="Show what the warehouse holds per source (files, rows, rejects, last load; portal rows per "
        "month), the last run and the latest data-quality results. Opens the warehouse read-only, briefly. "
        "Exit codes: 0 healthy, 1 the last run failed or a blocking check failed, 2 no warehouse yet. "
        "Example: parkpi status",
    )
    status.set_defaults(handler=command_status)
    report = commands.add_parser(
        "report",
        help="re-write the leadership report (HTML + xlsx) from the published snapshot",
        description="Re-write report/ in PARKPI_PUBLISH_DIR from the published snapshot kpi.duckdb. "
        "Example: parkpi report",
    )
    report.set_defaults(handler=command_report)
    prepare = commands.add_parser("prepare", help="parse the dbt project (manifest for Dagster)")
    prepare.set_defaults(handler=command_prepare)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
