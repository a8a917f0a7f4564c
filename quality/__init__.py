"""Data quality with Great Expectations, validated inside DuckDB (no Dagster here).

- :mod:`~quality.checks`: what a check is; check names, thresholds, bounds.
- :mod:`~quality.suites`: what is checked, per layer (raw, marts, kpi) and asset.
- :mod:`~quality.runner`: runs a suite through GX's SQL path on the warehouse.
- :mod:`~quality.duckdb_gx`: the small adapter that makes GX 1.x work on DuckDB.
- :mod:`~quality.gx_import`: GX imported once with pyspark hidden (the Spark group's pyspark
  would end pytest-xdist workers and ``python -c`` processes on import).
- :mod:`~quality.results`: the ``dq`` tables and the `make run` summary lines.
- :mod:`~quality.docs`: GX Data Docs under ``<warehouse dir>/data_docs/``;
  :mod:`~quality.docs_index` their index, readable offline.

``validate_and_record`` is the one call an orchestrator needs; docs/quality.md lists every check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb

from quality.checks import Check, Suite
from quality.docs import DataDocs
from quality.results import record, summary_lines
from quality.runner import CheckOutcome, validate_suite
from quality.suites import KPI_SUITES, MART_SUITES, RAW_SUITES, SUITES, suite

__all__ = [
    "KPI_SUITES",
    "MART_SUITES",
    "RAW_SUITES",
    "SUITES",
    "Check",
    "CheckOutcome",
    "DataDocs",
    "Suite",
    "suite",
    "summary_lines",
    "validate_and_record",
    "validate_suite",
]


def validate_and_record(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    *,
    run_id: str,
    warehouse: Path | str,
    checks: Sequence[str] | None = None,
    now: dt.datetime | None = None,
) -> list[CheckOutcome]:
    """Validate ``suite`` on the warehouse open as ``con`` (at path ``warehouse``), keep the
    results in ``dq.check_results`` and refresh the Data Docs next to the warehouse."""
    outcomes = validate_suite(con, suite, run_id=run_id, checks=checks, now=now, docs=DataDocs.for_warehouse(warehouse))
    record(con, run_id, outcomes)
    return outcomes
