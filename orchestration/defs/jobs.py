"""Jobs. The main job runs in-process: on one machine Dagster's per-step processes
cost 5-10 s each for nothing."""

import dagster as dg

MAIN_JOB_NAME = "parkpi_main"

main_job = dg.define_asset_job(
    name=MAIN_JOB_NAME,
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Materialise every asset: ingest all sources, transform, check, publish.",
)

defs = dg.Definitions(jobs=[main_job])
