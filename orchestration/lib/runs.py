"""Planning and executing a `parkpi run`, in one place: whether anything changed since the last
full run (orchestration/lib/build_state.py), which job that calls for, running it in-process on
the Dagster instance, and recording a successful full run. The CLI only prints.

- nothing changed since the last successful full run: the ingest job alone, which confirms
  that no landing file changed (and if one arrived meanwhile, the main job after it);
- anything else, or ``full=True``: the main job.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from orchestration.lib import build_state
from sources.settings import Settings


@dataclass(frozen=True)
class RunPlan:
    full: bool
    reason: str  # why a full run, or what the last full run was
    asked: bool  # full because --full asked for it, though nothing changed


def plan_run(settings: Settings, *, full: bool = False) -> RunPlan:
    plan = build_state.plan(settings)
    if plan.up_to_date and not full:
        return RunPlan(False, build_state.describe_last(plan), False)
    return RunPlan(True, "asked for with --full" if plan.up_to_date else plan.reason, plan.up_to_date)


def execute(
    settings: Settings,
    plan: RunPlan,
    *,
    log_level: str,
    log_path: Path,
    say: Callable[[str], None],
    unit_tests: bool = False,
) -> dg.ExecuteInProcessResult:
    """Run the planned job in-process; dbt's own output goes to ``log_path``, the compact logger
    prints one line per stage to the terminal."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.defs.ingest import every_partition_tags
    from orchestration.defs.jobs import INGEST_JOB_NAME, MAIN_JOB_NAME, UNIT_TESTS_TAG

    full = plan.full
    if full:
        build_state.forget(settings)  # a run killed half-way must not look up to date afterwards
    run_config = {"loggers": {"compact": {"config": {"log_level": log_level}}}}
    tags = {**every_partition_tags(), **({UNIT_TESTS_TAG: "true"} if unit_tests else {})}
    with DagsterInstance.get() as instance, log_path.open("w", encoding="utf-8") as log:
        with contextlib.redirect_stdout(log):

            def run(job_name: str) -> dg.ExecuteInProcessResult:
                job = defs.resolve_job_def(job_name)
                return job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config, tags=tags)

            result = run(MAIN_JOB_NAME if full else INGEST_JOB_NAME)
            if result.success and not full and loaded_anything(result):
                say("a landing file changed during the run: running the full job")
                full = True
                result = run(MAIN_JOB_NAME)
    if not result.success:
        build_state.forget(settings)  # the rerun case: it may have loaded files and then failed
    elif full:
        build_state.record(settings, result.run_id)
    return result


def loaded_anything(result: dg.ExecuteInProcessResult) -> bool:
    """Did any loader of this run add, change or remove a file?"""
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        if any(metadata[key].value for key in ("files_added", "files_changed", "files_removed") if key in metadata):
            return True
    return False
