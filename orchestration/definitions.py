"""The parkpi Dagster code location: assembles the modules in orchestration/defs/."""

import dagster as dg

from orchestration.defs import automation, ingest, jobs, lake, publish, quality, transform
from orchestration.lib.console import compact_console
from orchestration.lib.resources import warehouse_resource
from sources.settings import export_for_dbt

export_for_dbt()  # one settings place: resolve defaults into the env that dbt reads too

defs = dg.Definitions.merge(
    ingest.defs,
    lake.defs,
    transform.defs,
    quality.defs,
    publish.defs,
    automation.defs,
    jobs.defs,
    dg.Definitions(
        resources={"warehouse": warehouse_resource()},
        loggers={"compact": compact_console},
    ),
)
