"""Build a warehouse from a landing folder the way the pipeline does, minus Dagster: the
loader for every source, then `dbt run` (the models only; the dbt tests and the GX checks
have their own test modules). Kept to one function so that a move of the loader is a
one-line change here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sources.contracts import SOURCES
from sources.loader import load_source
from sources.warehouse import connect

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"


def build_warehouse(landing: Path, workdir: Path) -> Path:
    """Load `landing` into a new warehouse under `workdir` and build every dbt model;
    returns the warehouse file."""
    warehouse = workdir / "warehouse" / "parkpi.duckdb"
    con = connect(warehouse, memory_limit="1GB")
    try:
        for source in SOURCES.values():
            load_source(con, source, landing)
    finally:
        con.close()
    # dbt in its own process: dbt-duckdb keeps its connection open in the process that ran it
    command = [sys.executable, "-c", "from dbt.cli.main import cli; cli()", "run"]
    for option, path in (
        ("--project-dir", DBT_PROJECT_DIR),
        ("--profiles-dir", DBT_PROJECT_DIR),
        ("--target-path", workdir / "dbt_target"),
        ("--log-path", workdir / "dbt_logs"),
    ):
        command += [option, str(path)]
    env = {**os.environ, "PARKPI_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"dbt run failed on {landing}:\n{result.stdout[-5000:]}{result.stderr[-2000:]}")
    return warehouse
