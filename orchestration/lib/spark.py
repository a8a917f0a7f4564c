"""dbt on Apache Spark (``PARKPI_ENGINE=spark``): what the dbt step does around `dbt build
--target spark`, so that everything after it (quality checks, the snapshot, the report, the run
summary) reads the DuckDB warehouse as with the default engine.

- before: Spark's environment (whether Java and pyspark are there, the lake's tables for
  dbt's ``register_lake_tables`` macro, an empty output folder);
- after: every table dbt built on Spark, read from its Parquet files into the warehouse, in
  one transaction;
- on failure: one line that names the fix (no Java, a port in use, out of memory).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sources.lake import spark_tables
from sources.settings import Settings
from sources.warehouse import quote

SPARK_TARGET = "spark"
JAVA_PACKAGE = "openjdk-17-jre-headless"
# Spark 4 runs on Java 17 or 21.
JAVA_VERSIONS = (17, 21)
# dbt materialisations whose result is a table in Spark's warehouse folder
TABLE_MATERIALIZATIONS = ("table", "incremental")


def output_dir(settings: Settings) -> Path:
    """Where Spark writes the tables dbt builds (profiles.yml: spark.sql.warehouse.dir)."""
    return settings.spark_dir / "tables"


# -- before ---------------------------------------------------------------------------------------


def java_version() -> int | None:
    """The major version of the `java` on PATH (or in JAVA_HOME), None without one."""
    home = os.environ.get("JAVA_HOME", "").strip()
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        return None
    try:
        shown = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', shown)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major


def missing_prerequisite() -> str | None:
    """Why Spark cannot run here, in one line that names the fix; None when it can."""
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None:
        return "Spark is not installed in this environment: run `uv sync --group spark` (`make test` does)"
    version = java_version()
    if version is None:
        return f"Spark needs Java, which is missing: `sudo apt-get install {JAVA_PACKAGE}` (`make test` installs it)"
    if version not in JAVA_VERSIONS:
        return (
            f"Spark 4 needs Java 17 or 21, this is Java {version}: `sudo apt-get install {JAVA_PACKAGE}` "
            "and put it first on PATH (or set JAVA_HOME)"
        )
    return None


def prepare(settings: Settings) -> None:
    """Spark's folders and the lake's tables, in the environment the dbt process inherits:
    an empty output folder (the in-memory catalogue starts empty each time, and Spark refuses
    to create a table over a folder that exists)."""
    shutil.rmtree(output_dir(settings), ignore_errors=True)
    (settings.spark_dir / "scratch").mkdir(parents=True, exist_ok=True)
    os.environ["PARKPI_LAKE_TABLES"] = json.dumps(spark_tables(settings.lake), ensure_ascii=False)


# -- after ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltTable:
    schema: str
    name: str

    def files(self, settings: Settings) -> Path:
        return output_dir(settings) / f"{self.schema}.db" / self.name


def built_tables(manifest: Mapping, run_results: Mapping) -> list[BuiltTable]:
    """The models of this invocation that succeeded and are tables (not views), from dbt's
    manifest and run_results.json."""
    nodes = manifest.get("nodes", {})
    tables = []
    for result in run_results.get("results", []):
        node = nodes.get(result.get("unique_id", ""), {})
        if node.get("resource_type") != "model" or result.get("status") != "success":
            continue
        if node.get("config", {}).get("materialized") in TABLE_MATERIALIZATIONS:
            tables.append(BuiltTable(node["schema"], node.get("alias") or node["name"]))
    return tables


def import_tables(con: duckdb.DuckDBPyConnection, settings: Settings, tables: Iterable[BuiltTable]) -> dict[str, int]:
    """Replace each table in the warehouse by Spark's output, all in one transaction; returns
    the rows of each. Spark's types read back as DuckDB's (strings, integers, doubles, dates,
    timestamps without time zone); a sum Spark keeps as decimal(38, 0) stays a decimal."""
    rows: dict[str, int] = {}
    con.execute("BEGIN")
    try:
        for table in tables:
            folder = table.files(settings)
            if not any(folder.glob("*.parquet")):
                raise FileNotFoundError(f"Spark wrote no files for {table.schema}.{table.name} in {folder}")
            target = f"{quote(table.schema)}.{quote(table.name)}"
            files = str(folder / "*.parquet").replace("'", "''")
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(table.schema)}")
            # a view of that name (a DuckDB build's, of a model that is a table here) goes first;
            # a table is replaced below
            existing = con.execute(
                "SELECT table_type FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                [table.schema, table.name],
            ).fetchone()
            if existing and existing[0] == "VIEW":
                con.execute(f"DROP VIEW {target}")
            con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM read_parquet('{files}')")
            rows[f"{table.schema}.{table.name}"] = con.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return rows


# -- on failure -----------------------------------------------------------------------------------

# (what Spark or pyspark says, the one line parkpi says instead)
_FAILURES: tuple[tuple[str, str], ...] = (
    (
        r"JAVA_GATEWAY_EXITED|JAVA_HOME is not set|java: (command )?not found|Unable to locate a Java",
        f"Spark could not start Java: install it with `sudo apt-get install {JAVA_PACKAGE}` "
        "(`make test` does) or set JAVA_HOME",
    ),
    (
        r"Service '\w+' could not bind|BindException|Address already in use",
        "Spark could not open its port (in use): stop the other Spark process, or set "
        "PARKPI_SPARK_MASTER / spark.driver.port to free ones (docs/scaling.md)",
    ),
    (
        r"OutOfMemoryError|Java heap space|GC overhead limit|Container killed .* memory",
        "Spark ran out of memory: raise PARKPI_SPARK_DRIVER_MEMORY (now {memory}) or use a cluster "
        "(PARKPI_SPARK_MASTER, docs/scaling.md)",
    ),
    (
        r"No module named 'pyspark'|Could not find adapter type spark|dbt-spark",
        "Spark is not installed in this environment: run `uv sync --group spark` (`make test` does)",
    ),
)


def failure_hint(message: str, settings: Settings) -> str | None:
    """The one-line fix for a known Spark failure in dbt's output, else None."""
    for pattern, hint in _FAILURES:
        if re.search(pattern, message, flags=re.IGNORECASE):
            return hint.format(memory=settings.spark_driver_memory)
    return None
