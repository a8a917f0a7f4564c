"""Jobs. They run in-process: on one machine Dagster's per-step processes cost 5-10 s each
for nothing."""

import warnings

import dagster as dg

from sources.settings import get_settings

MAIN_JOB_NAME = "parkpi_main"
INGEST_JOB_NAME = "parkpi_ingest"
# Every job writes the warehouse: the run queue (dagster.yaml written by orchestration/cli.py)
# runs one run with this tag at a time.
WRITER_TAGS = {"parkpi/warehouse": "writer"}
# Run tags the assets read: dbt with --full-refresh; re-read the files of the run's portal months.
FULL_REFRESH_TAG = "parkpi/dbt_full_refresh"
RELOAD_MONTHS_TAG = "parkpi/reload_months"
# dbt's unit tests in the run too (`parkpi run --unit-tests`): they check the SQL, so they run in
# `make test`, and once on a new engine or cluster.
UNIT_TESTS_TAG = "parkpi/dbt_unit_tests"

with warnings.catch_warnings():
    # selecting source assets (the landing files, observed by every run) is "beta" in Dagster 1.13
    warnings.simplefilter("ignore", dg.BetaWarning)
    EVERY_ASSET = dg.AssetSelection.all(include_sources=True)
    # The Parquet lake (group "lake") is written when Spark reads it or PARKPI_LAKE_DIR asks
    # for it; with DuckDB alone a run does not spend time on files nothing reads.
    if not get_settings().writes_lake:
        EVERY_ASSET = EVERY_ASSET - dg.AssetSelection.groups("lake")
    INGEST_GROUP = dg.AssetSelection.groups("ingest", include_sources=True)

main_job = dg.define_asset_job(
    name=MAIN_JOB_NAME,
    selection=EVERY_ASSET,
    executor_def=dg.in_process_executor,
    tags=WRITER_TAGS,
    description="Materialise every asset: ingest all sources, (the lake,) transform, check, publish.",
)

# What `parkpi run` runs when nothing changed since the last full run (orchestration/lib/
# build_state.py): the loaders confirm that no landing file changed, nothing else is redone.
ingest_job = dg.define_asset_job(
    name=INGEST_JOB_NAME,
    selection=INGEST_GROUP.without_checks(),
    executor_def=dg.in_process_executor,
    tags=WRITER_TAGS,
    description="Load new, changed and removed landing files into the raw schemas; no checks, no dbt.",
)

# Materialising assets from the UI (the implicit asset job, backfills) runs in-process too.
defs = dg.Definitions(jobs=[main_job, ingest_job], executor=dg.in_process_executor)
