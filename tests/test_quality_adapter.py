"""The Great Expectations on DuckDB adapter (quality/duckdb_gx.py)."""

from __future__ import annotations

import duckdb
import pytest
import sqlalchemy as sa

from quality import duckdb_gx
from quality.runner import make_context

ROWS = 200_000  # enough that reading a result late cannot go unnoticed, small enough to be quick


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA raw")
    connection.execute(
        f"""CREATE TABLE raw.items AS
            SELECT i AS id,
                   CASE WHEN i % 1000 = 0 THEN NULL ELSE 'EB' || lpad(i::VARCHAR, 9, '0') || 'VN' END AS code,
                   CASE WHEN i % 10 = 0 THEN 'bad' ELSE 'EB' || lpad(i::VARCHAR, 9, '0') || 'VN' END AS waybill,
                   (i % 5)::INTEGER AS channel,
                   timestamp '2020-01-01' + to_seconds(i) AS accepted_at,
                   timestamp '2020-01-01' + to_seconds(i - (i % 7 = 0)::INTEGER) AS delivered_at
            FROM range({ROWS}) AS t(i)"""
    )
    yield connection
    connection.close()


# What each expectation must find, computed by plain SQL on the same table.
def truth(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return dict(
        zip(
            ("code", "waybill", "channel", "delivered_at"),
            con.execute(
                """SELECT count(*) FILTER (WHERE code IS NULL),
                          count(*) FILTER (WHERE NOT regexp_matches(waybill, '^[A-Z]{2}[0-9]{9}VN$')),
                          count(*) FILTER (WHERE channel NOT IN (1, 2, 3)),
                          count(*) FILTER (WHERE delivered_at < accepted_at)
                   FROM raw.items"""
            ).fetchone(),
            strict=True,
        )
    )


def validate(con: duckdb.DuckDBPyConnection, engine_type: type | None = None) -> dict[str, object]:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    context = make_context()
    datasource_type = duckdb_gx.DuckDBDatasource
    if engine_type is not None:
        datasource_type.execution_engine_override = engine_type
    try:
        datasource = context.data_sources.add_duckdb(name="w", default_schema="raw").bind(con)
        batch = datasource.add_table_asset(name="items", table_name="items").add_batch_definition_whole_table("all")
        suite = context.suites.add(
            gx.ExpectationSuite(
                name="items",
                expectations=[
                    gxe.ExpectColumnValuesToNotBeNull(column="code", meta={"key": "code"}),
                    gxe.ExpectColumnValuesToMatchRegex(
                        column="waybill", regex=r"^[A-Z]{2}[0-9]{9}VN$", meta={"key": "waybill"}
                    ),
                    gxe.ExpectColumnValuesToBeInSet(column="channel", value_set=[1, 2, 3], meta={"key": "channel"}),
                    gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                        column_A="delivered_at", column_B="accepted_at", or_equal=True, meta={"key": "delivered_at"}
                    ),
                ],
            )
        )
        definition = context.validation_definitions.add(gx.ValidationDefinition(name="items", data=batch, suite=suite))
        result = definition.run(result_format={"result_format": "SUMMARY", "partial_unexpected_count": 5})
        datasource.release()
    finally:
        datasource_type.execution_engine_override = duckdb_gx.DuckDBExecutionEngine
    return {r.expectation_config.meta["key"]: r.result.get("unexpected_count") for r in result.results}


def test_gx_counts_on_duckdb_match_sql(con) -> None:
    assert validate(con) == truth(con)


def test_validation_leaves_the_callers_connection_open(con) -> None:
    validate(con)
    assert con.execute("SELECT count(*) FROM raw.items").fetchone() == (ROWS,)


def test_validation_works_on_a_read_only_warehouse(tmp_path) -> None:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as writer:
        writer.execute("CREATE SCHEMA raw")
        writer.execute(
            "CREATE TABLE raw.items AS SELECT 1 AS id, NULL::VARCHAR AS code, 'x' AS waybill, "
            "1 AS channel, now()::TIMESTAMP AS accepted_at, now()::TIMESTAMP AS delivered_at"
        )
    with duckdb.connect(str(path), read_only=True) as reader:
        assert validate(reader) == {"code": 1, "waybill": 1, "channel": 0, "delivered_at": 0}


def test_adapter_engine_reads_each_result_before_reusing_the_connection(con) -> None:
    engine = duckdb_gx.DuckDBExecutionEngine(engine=duckdb_gx.create_engine(con))
    first = engine.execute_query(sa.text("SELECT 41 + 1"))
    assert first.fetchall() == [(42,)]
    assert engine.execute_query(sa.text("SELECT count(*) FROM raw.items")).scalar() == ROWS
    engine.close()
    assert con.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="upstream GX #10738/#11579: SqlAlchemyExecutionEngine.execute_query returns its result after "
    "releasing the connection, and a DuckDB result does not survive the pool's reset. When this "
    "passes, GX is fixed: drop DuckDBExecutionEngine's get_connection override.",
)
def test_stock_gx_engine_reads_duckdb_results(con) -> None:
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    engine = SqlAlchemyExecutionEngine(engine=duckdb_gx.create_engine(con))
    try:
        rows = engine.execute_query(sa.text("SELECT 41 + 1")).fetchall()
    except sa.exc.DBAPIError as error:  # "No open result set": the result went with the pool's reset
        rows = [str(error)]
    assert rows == [(42,)]
    assert validate(con, engine_type=SqlAlchemyExecutionEngine) == truth(con)


def test_dialect_reflects_duckdb_catalogue(con) -> None:
    engine = duckdb_gx.create_engine(con)
    inspector = sa.inspect(engine)
    assert inspector.has_table("items", schema="raw")
    assert not inspector.has_table("nothing", schema="raw")
    assert inspector.get_table_names(schema="raw") == ["items"]
    columns = {c["name"]: type(c["type"]) for c in inspector.get_columns("items", schema="raw")}
    assert columns == {
        "id": sa.BigInteger,
        "code": sa.String,
        "waybill": sa.String,
        "channel": sa.Integer,
        "accepted_at": sa.DateTime,
        "delivered_at": sa.DateTime,
    }
    engine.dispose()
    assert con.execute("SELECT 1").fetchone() == (1,)  # disposing GX's engine keeps the caller's connection


def test_gx_imports_without_pyspark_ending_the_process() -> None:
    """With the Spark group installed (`make test` installs it), GX's import of pyspark would end a
    process whose main module has no file (pytest-xdist's workers, `python -c`): pyspark's Spark
    Connect package takes it for a doctest run and exits 0 (quality/gx_import.py)."""
    import subprocess
    import sys

    code = (
        "import importlib.util\n"
        "from quality.gx_import import import_gx\n"
        "gx = import_gx()\n"
        "print('gx', gx.__version__, 'pyspark findable', importlib.util.find_spec('pyspark') is not None)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("gx "), done.stdout + done.stderr
    import importlib.util

    assert done.stdout.strip().endswith(str(importlib.util.find_spec("pyspark") is not None))
