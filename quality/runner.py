"""Run a suite with Great Expectations inside DuckDB and say what came out of it.

Every expectation becomes SQL that DuckDB runs on the warehouse table (GX's SQL path through
:mod:`quality.duckdb_gx`): counts are aggregates, failing rows come back as a sample
of at most ``SAMPLE_SIZE`` rows. Nothing loads a table into Python, so memory does not grow
with the data.

The caller owns the DuckDB connection (Dagster's ``warehouse`` resource): the warehouse is
single-writer, and GX neither opens nor closes it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb

from quality.checks import SAMPLE_SIZE, Check, Expect, Suite, local_now, suite_parameters
from quality.gx_import import import_gx
from sources.warehouse import quote

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
    from great_expectations.data_context import AbstractDataContext

    from quality.docs import DataDocs

DATASOURCE_NAME = "warehouse"


@dataclass
class ExpectationOutcome:
    """What one expectation found."""

    label: str
    success: bool
    evaluated_count: int
    unexpected_count: int
    sample: list[Any] = field(default_factory=list)
    error: str | None = None
    unit: str = "rows"  # what was counted: rows, or columns for the column-set expectation

    def as_dict(self) -> dict[str, Any]:
        return {
            "expectation": self.label,
            "success": self.success,
            "evaluated_count": self.evaluated_count,
            "unexpected_count": self.unexpected_count,
            "sample": self.sample,
            "error": self.error,
        }


@dataclass
class CheckOutcome:
    """What one check found: the verdict of its expectations, counts and failing rows."""

    suite: Suite
    check: Check
    expectations: list[ExpectationOutcome]
    gx_suite: str
    checked_at: dt.datetime
    data_docs: str | None = None

    @property
    def success(self) -> bool:
        return all(e.success for e in self.expectations)

    @property
    def evaluated_count(self) -> int:
        """Values looked at, summed over the check's expectations: its rows when it has one
        expectation (most checks), rows x columns for a rule over several columns."""
        return sum(e.evaluated_count for e in self.expectations)

    @property
    def unexpected_count(self) -> int:
        """Values that failed, summed the same way (a row failing two columns counts twice)."""
        return sum(e.unexpected_count for e in self.expectations)

    @property
    def unexpected_fraction(self) -> float | None:
        return self.unexpected_count / self.evaluated_count if self.evaluated_count else None

    @property
    def sample(self) -> list[Any]:
        rows: list[Any] = []
        for outcome in self.expectations:
            rows.extend(outcome.sample)
        return rows[:SAMPLE_SIZE]

    @property
    def errors(self) -> list[str]:
        return [f"{e.label}: {e.error}" for e in self.expectations if e.error]

    def summary(self) -> str:
        """One line for logs, Dagster and `make run`: how much failed, and examples."""
        if self.errors:
            return "could not be evaluated: " + "; ".join(self.errors)
        if len(self.expectations) == 1:
            unit = self.expectations[0].unit
            counts = f"{self.unexpected_count:,} of {self.evaluated_count:,} {unit} unexpected"
        else:
            rows = max(e.evaluated_count for e in self.expectations)
            unit = "values"
            counts = (
                f"{self.unexpected_count:,} of {self.evaluated_count:,} values unexpected "
                f"({rows:,} rows x {len(self.expectations)} columns)"
            )
        threshold = self.check.threshold
        if threshold is not None:
            share = 1 - (self.unexpected_fraction or 0.0)
            return f"{share:.1%} of {self.evaluated_count:,} {unit} pass (threshold {threshold:.0%}); {counts}"
        if self.success:
            return counts
        failing = [e for e in self.expectations if not e.success]
        line = f"{counts}: " + "; ".join(f"{e.label}: {e.unexpected_count:,}" for e in failing)
        example = next((e.sample[0] for e in failing if e.sample), None)
        if example is not None:
            line += f" — e.g. {json_text(example)}"
        return line


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


# -- building GX objects from the check descriptions ------------------------------------------------


def describe(spec: Expect) -> str:
    """A short human label for an expectation, e.g. ``MaHoSo not null``."""
    args = spec.args
    column = spec.column
    labels = {
        "ExpectColumnValuesToNotBeNull": lambda: f"{column} not null",
        "ExpectColumnValuesToBeInSet": lambda: f"{column} in {sorted(args['value_set'], key=str)}",
        "ExpectColumnValuesToMatchRegex": lambda: f"{column} matches {args['regex']}",
        "ExpectColumnValuesToBeBetween": lambda: _between(column, args.get("min_value"), args.get("max_value")),
        "ExpectColumnPairValuesAToBeGreaterThanB": lambda: column,
        "ExpectTableColumnsToMatchSet": lambda: "columns present",
        "ExpectCompoundColumnsToBeUnique": lambda: f"({column}) unique",
        "UnexpectedRowsExpectation": lambda: "query returns no rows",
    }
    label = labels.get(spec.kind, lambda: spec.kind)()
    if spec.where:
        where_column, operator, value = spec.where
        label += f" where {where_column} {operator} {value}"
    return label


def _between(column: str | None, low: Any, high: Any) -> str:
    if high is None:
        return f"{column} >= {_bound(low)}"
    if low is None:
        return f"{column} <= {_bound(high)}"
    return f"{column} between {_bound(low)} and {_bound(high)}"


def _bound(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict) and "$PARAMETER" in value:
        return value["$PARAMETER"]
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return f"{value:%Y-%m-%d}"
    return str(value)


def gx_expectation(spec: Expect, check: Check, suite: Suite, index: int):
    import_gx()
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    kwargs = dict(spec.args)
    if spec.where:
        column, operator, value = spec.where
        kwargs["row_condition"] = Column(column) == value if operator == "==" else Column(column).is_in(value)
    return getattr(gxe, spec.kind)(
        **kwargs,
        # GX does not keep the suite's order in its results: the meta finds each one's check.
        meta={"parkpi_check": check.name, "parkpi_expectation": index, "severity": check.severity},
        notes=f"parkpi check `{check.name}` ({check.severity}) on {suite.asset_path}: {check.rule}.",
    )


def make_context(docs: DataDocs | None = None) -> AbstractDataContext:
    """An ephemeral GX context; with ``docs``, its suites and results are kept on disk and a
    Data Docs site is configured there."""
    gx = import_gx()
    from great_expectations.data_context.types.base import DataContextConfig

    def in_memory(class_name: str) -> dict:
        return {"class_name": class_name, "store_backend": {"class_name": "InMemoryStoreBackend"}}

    stores = {
        "expectations_store": in_memory("ExpectationsStore"),
        "validation_results_store": in_memory("ValidationResultsStore"),
        "checkpoint_store": in_memory("CheckpointStore"),
        "validation_definition_store": in_memory("ValidationDefinitionStore"),
    }
    sites: dict = {}
    if docs is not None:
        stores.update(docs.store_configs())
        sites = docs.site_configs()
    config = DataContextConfig(
        stores=stores,
        expectations_store_name="expectations_store",
        validation_results_store_name="validation_results_store",
        checkpoint_store_name="checkpoint_store",
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars={"globally": False, "metric_calculations": False},
    )
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    return gx.get_context(mode="ephemeral", project_config=config)


@contextmanager
def bound_datasource(
    context: AbstractDataContext, con: duckdb.DuckDBPyConnection, schema: str | None = None
) -> Iterator[Any]:
    from quality import duckdb_gx  # noqa: F401 (registers the `duckdb` datasource type)

    datasource = context.data_sources.add_duckdb(name=DATASOURCE_NAME, default_schema=schema).bind(con)
    try:
        yield datasource
    finally:
        datasource.release()


# -- running ---------------------------------------------------------------------------------------


@dataclass
class _Batch:
    """The rows one GX validation looks at: the suite's table, or a check's query."""

    gx_suite: str
    checks: list[Check]
    relation: str  # SQL for the rows: a quoted table name or a parenthesised query
    key_columns: tuple[str, ...]
    query: str | None = None


def _batches(suite: Suite, checks: Sequence[Check]) -> list[_Batch]:
    table = f"{quote(suite.table[0])}.{quote(suite.table[1])}"
    batches = []
    on_table = [c for c in checks if c.query is None]
    if on_table:
        batches.append(_Batch(suite.name, on_table, table, suite.key_columns))
    for check in checks:
        if check.query is not None:
            batches.append(
                _Batch(
                    f"{suite.name}.{check.name}",
                    [check],
                    f"({check.query})",
                    check.key_columns or suite.key_columns,
                    query=check.query,
                )
            )
    return batches


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def validate_suite(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    *,
    run_id: str = "",
    checks: Sequence[str] | None = None,
    now: dt.datetime | None = None,
    docs: DataDocs | None = None,
) -> list[CheckOutcome]:
    """Validate ``suite`` (or only the ``checks`` named) on the warehouse open as ``con``.

    ``run_id`` names the run in Data Docs (the Dagster run id); ``now`` (local time) is what
    "not in the future" means, by default the time of the call; with ``docs`` the results are
    kept for Data Docs and the site is rebuilt."""
    now = now or local_now()
    selected = [c for c in suite.checks if checks is None or c.name in checks]
    context = make_context(docs)
    outcomes: list[CheckOutcome] = []
    results: list[ExpectationSuiteValidationResult] = []
    lock = docs.lock() if docs is not None else nullcontext()
    with lock, bound_datasource(context, con, suite.table[0]) as datasource:
        for batch in _batches(suite, selected):
            result = _run_batch(context, datasource, con, suite, batch, now, run_id)
            results.append(result)
            outcomes.extend(_outcomes(con, suite, batch, result, now))
        if docs is not None:
            pages = docs.publish(context, results)
            for outcome in outcomes:
                outcome.data_docs = pages.get(outcome.gx_suite)
    return outcomes


def _run_batch(context, datasource, con, suite: Suite, batch: _Batch, now, run_id: str):
    gx = import_gx()
    from great_expectations.core.run_identifier import RunIdentifier

    if batch.query is None:
        asset = datasource.add_table_asset(name=batch.gx_suite, table_name=suite.table[1])
    else:
        asset = datasource.add_query_asset(name=batch.gx_suite, query=batch.query)
    expectations = [
        gx_expectation(spec, check, suite, index)
        for check in batch.checks
        for index, spec in enumerate(check.expectations)
    ]
    gx_suite = context.suites.add_or_update(gx.ExpectationSuite(name=batch.gx_suite, expectations=expectations))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(
            name=batch.gx_suite, data=asset.add_batch_definition_whole_table("whole table"), suite=gx_suite
        )
    )
    # Identify failing rows by the key columns that exist (a missing one is a failure of its own).
    present = set(_columns(con, batch.relation))
    key_columns = [c for c in batch.key_columns if c in present]
    result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
    if key_columns:
        result_format["unexpected_index_column_names"] = key_columns
    return definition.run(
        expectation_parameters=suite_parameters(now),
        result_format=result_format,
        run_id=RunIdentifier(run_name=run_id or None, run_time=dt.datetime.now(dt.UTC)),
    )


def _outcomes(con, suite: Suite, batch: _Batch, result, now: dt.datetime) -> list[CheckOutcome]:
    by_position: dict[tuple[str, int], ExpectationValidationResult] = {}
    for expectation_result in result.results:
        meta = expectation_result.expectation_config.meta or {}
        by_position[(meta.get("parkpi_check"), meta.get("parkpi_expectation"))] = expectation_result
    row_count: int | None = None
    outcomes = []
    for check in batch.checks:
        found = []
        for index, spec in enumerate(check.expectations):
            expectation_result = by_position[(check.name, index)]
            if spec.kind == "UnexpectedRowsExpectation" and row_count is None:
                row_count = con.execute(f"SELECT count(*) FROM {batch.relation}").fetchone()[0]
            found.append(_expectation_outcome(con, spec, expectation_result, batch, row_count or 0))
        outcomes.append(CheckOutcome(suite, check, found, batch.gx_suite, checked_at=now))
    return outcomes


def _exception_message(expectation_result) -> str | None:
    info = expectation_result.exception_info or {}
    if info.get("raised_exception"):
        return info.get("exception_message") or "exception"
    for value in info.values():  # GX keys failures by metric when a metric could not be computed
        if isinstance(value, dict) and (value.get("raised_exception") or value.get("exception_message")):
            return value.get("exception_message") or "exception"
    return None


def _expectation_outcome(con, spec: Expect, expectation_result, batch: _Batch, row_count: int) -> ExpectationOutcome:
    result = expectation_result.result or {}
    label = describe(spec)
    error = _exception_message(expectation_result)
    if error:
        return ExpectationOutcome(label, False, 0, 0, error=error.strip().splitlines()[-1])
    success = bool(expectation_result.success)
    if spec.kind == "UnexpectedRowsExpectation":
        unexpected = int(result.get("observed_value") or 0)
        sample = _unexpected_rows_sample(con, spec, batch) if unexpected else []
        return ExpectationOutcome(label, success, row_count, unexpected, sample)
    if spec.kind == "ExpectTableColumnsToMatchSet":
        missing = sorted((result.get("details") or {}).get("mismatched", {}).get("missing") or [])
        return ExpectationOutcome(label, success, len(spec.args["column_set"]), len(missing), missing, unit="columns")
    sample = result.get("partial_unexpected_index_list") or result.get("partial_unexpected_list") or []
    return ExpectationOutcome(
        label,
        success,
        int(result.get("element_count") or 0),
        int(result.get("unexpected_count") or 0),
        _plain(sample[:SAMPLE_SIZE]) if not success or spec.mostly is not None else [],
    )


def _unexpected_rows_sample(con, spec: Expect, batch: _Batch) -> list[dict[str, Any]]:
    query = spec.args["unexpected_rows_query"].replace("{batch}", batch.relation)
    cursor = con.execute(f"SELECT * FROM ({query}) LIMIT {SAMPLE_SIZE}")
    names = [d[0] for d in cursor.description]
    return _plain([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])


def _plain(values: Any) -> Any:
    """JSON-ready: timestamps and dates as text, tuples as lists."""
    return json.loads(json_text(values))
