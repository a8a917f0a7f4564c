"""The same dbt project on Apache Spark (docs/scaling.md): `parkpi run --engine spark` on the
bundled sample gives the KPI tables the DuckDB run gives, row for row (doubles to 1e-9), and the
same printed KPI summary; a Spark that cannot start says how to fix it in one line.

Not skipped when Java or pyspark is missing: `make test` installs both (`make spark-setup`), and
a missing one fails here with the line that names the fix.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from orchestration.lib import spark
from sources.settings import get_settings
from tests.builds import Build, shared

# The tables the parity is about (issue 16), compared whole: every column, every row.
PARITY_TABLES = ("kpi.kpi_yearly", "kpi.kpi_periodic", "kpi.kpi_targets")
TOLERANCE = 1e-9


# The Spark build below takes a JVM's start and ~60 dbt nodes on Spark: minutes on a busy
# two-core machine, beyond the suite's default timeout (pyproject.toml).
pytestmark = pytest.mark.timeout(3600)


@pytest.fixture(scope="module")
def spark_build(shared_base: Path) -> Build:
    """`parkpi run --engine spark` over a copy of the DuckDB sample build (tests/builds.py
    `_make_spark`), made once for the session by the worker that runs this file (first)."""
    missing = spark.missing_prerequisite()
    assert missing is None, f"{missing} (`make test-setup` installs Spark's prerequisites)"
    return shared(shared_base, "spark_build", timeout=3500)


def ordered_rows(build_: Build, table: str) -> tuple[list[str], list[tuple]]:
    columns = [row[0] for row in build_.query(f"DESCRIBE {table}")]
    return columns, build_.query(f"SELECT * FROM {table} ORDER BY ALL")


def same_value(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        if math.isnan(float(a)) or math.isnan(float(b)):
            return math.isnan(float(a)) and math.isnan(float(b))
        return abs(float(a) - float(b)) <= TOLERANCE * max(1.0, abs(float(a)), abs(float(b)))
    return a == b


@pytest.mark.parametrize("table", PARITY_TABLES)
def test_spark_gives_duckdb_figures(spark_build: Build, sample_build: Build, table: str) -> None:
    spark_columns, spark_rows = ordered_rows(spark_build, table)
    duck_columns, duck_rows = ordered_rows(sample_build, table)
    assert spark_columns == duck_columns
    assert len(spark_rows) == len(duck_rows) > 0
    differing = [
        (s, d)
        for s, d in zip(spark_rows, duck_rows, strict=True)
        if not all(same_value(x, y) for x, y in zip(s, d, strict=True))
    ]
    assert differing[:5] == []


def test_spark_types_read_back_as_duckdb_types(spark_build: Build, sample_build: Build) -> None:
    for table in PARITY_TABLES:
        spark_types = spark_build.query(f"DESCRIBE {table}")
        duck_types = sample_build.query(f"DESCRIBE {table}")
        assert [r[:2] for r in spark_types] == [r[:2] for r in duck_types], table


def kpi_summary(output: str) -> str:
    """The printed table of key indicators (`parkpi run`'s summary), without timings."""
    match = re.search(r"\nKey indicators.*?\n\n", output, flags=re.S)
    assert match, output
    return match.group(0)


def test_spark_run_prints_the_same_kpi_summary(spark_build: Build, sample_build: Build) -> None:
    assert "engine         Spark (local[2])" in spark_build.run.stdout
    assert "data tests are not run on Spark (PARKPI_SPARK_DATA_TESTS=0)" in spark_build.run.stdout
    assert kpi_summary(spark_build.run.stdout) == kpi_summary(sample_build.run.stdout)


def test_spark_run_publishes_and_checks_from_sparks_output(spark_build: Build) -> None:
    assert (spark_build.publish_dir / "kpi.duckdb").exists()
    assert sorted((spark_build.publish_dir / "report").glob("bao-cao-report-*.html"))
    assert "Data quality" in spark_build.run.stdout
    # Spark's own folders are beside the warehouse, never in the repository's working directory.
    root = Path(__file__).resolve().parent.parent
    assert not (root / "metastore_db").exists()
    assert not (root / "spark-warehouse").exists()
    for table in PARITY_TABLES:
        schema, name = table.split(".")
        assert any((spark_build.warehouse.parent / "spark" / "tables" / f"{schema}.db" / name).glob("*.parquet"))


def test_failure_hints_name_the_fix() -> None:
    settings = get_settings()
    cases = {
        "[JAVA_GATEWAY_EXITED] Java gateway process exited before sending its port number.": "apt-get install",
        "java.net.BindException: Address already in use: Service 'sparkDriver' could not bind": "port",
        "java.lang.OutOfMemoryError: Java heap space": "PARKPI_SPARK_DRIVER_MEMORY",
        "ModuleNotFoundError: No module named 'pyspark'": "uv sync --group spark",
    }
    for message, fix in cases.items():
        hint = spark.failure_hint(message, settings)
        assert hint is not None and fix in hint and "\n" not in hint, message
    assert spark.failure_hint("Compilation Error in model kpi_yearly", settings) is None


def test_no_java_gives_one_line(sample_build: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Java, `parkpi run --engine spark` stops before any work with one line naming the fix."""
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    run = Build(tmp_path, sample_build.run).parkpi("run", "--engine", "spark")
    assert run.returncode != 0
    lines = [line for line in run.stderr.splitlines() if line.startswith("parkpi run:")]
    assert len(lines) == 1 and "openjdk-17-jre-headless" in lines[0], run.stderr
