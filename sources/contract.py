"""The vocabulary in which a source describes itself: fields, entities, and the hooks that are
specific to one source. The four sources (``portal``, ``postal``, ``mailbox``, ``catalog``) each
describe themselves in a module of their own and are listed once in :mod:`sources.registry`;
one loading mechanism (:mod:`sources.loading`) and one quality mechanism (:mod:`quality`) serve
all of them. Field names stay exactly as the data owners write them: renaming to English
happens in dbt staging. The formats are documented for people in ``docs/landing-files.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from sources.warehouse import quote

# How a field is parsed. Every kind maps to one SQL parse expression (sources.loading.validation)
# and one format hint in each language (sources.loading.reasons).
Kind = Literal[
    "text",  # trimmed string
    "int",  # whole number, digits only (JSON numbers arrive as digits too)
    "int_thousands",  # whole number that may use "." as thousands separator ("25.000")
    "number_vn",  # number written the Vietnamese way: "1.500", "7,5", optionally "80%"
    "ts_compact",  # yyyyMMddHHmmss
    "ts_vn",  # dd/mm/yyyy HH:MM
    "month_vn",  # MM/yyyy, stored as the first day of the month
    "date_iso",  # yyyy-mm-dd
    "year",  # yyyy
]

SQL_TYPES: dict[str, str] = {
    "text": "VARCHAR",
    "int": "INTEGER",
    "int_thousands": "BIGINT",
    "number_vn": "DOUBLE",
    "ts_compact": "TIMESTAMP",
    "ts_vn": "TIMESTAMP",
    "month_vn": "DATE",
    "date_iso": "DATE",
    "year": "INTEGER",
}

LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_source_file", "VARCHAR"),
    ("_source_line", "BIGINT"),
    ("_load_id", "BIGINT"),
    ("_loaded_at", "TIMESTAMP"),
)


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind = "text"
    required: bool = False
    allowed: tuple[object, ...] | None = None  # the listed code values, if the field is coded

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class Derived:
    """A column the loader computes from a row's parsed fields and stores after the lineage
    columns: a value downstream models look rows up by, computed once per row at loading
    instead of from every row at each build. ``sql`` names the fields as ``{Name}``."""

    name: str
    sql_type: str
    sql: str

    def expression(self) -> str:
        """``sql`` over the raw table's (or a validated query's) own field columns."""
        return re.sub(r"\{(\w+)\}", lambda name: quote(name.group(1)), self.sql)


@dataclass(frozen=True)
class RowRule:
    """A rule over a whole row (several fields, or other raw tables), checked once every field
    has parsed. ``broken`` is SQL that is TRUE when the row breaks the rule (NULL counts as not
    broken), written with placeholders: ``{Name}`` is field Name's parsed value, ``{text.Name}``
    its text as written (trimmed). A broken row is rejected with the structured reason ``code``
    (sources.loading.reasons) about ``field``, whose value and ``detail`` (SQL with the same
    placeholders, giving text, or NULL) fill the reason's wording."""

    field: str
    code: str
    broken: str
    detail: str = "NULL"


@dataclass(frozen=True)
class Entity:
    """One kind of landing file of a source and the raw table it loads into."""

    name: str  # raw table name, e.g. "events"
    fields: tuple[Field, ...]
    formats: tuple[str, ...]  # accepted file name endings, e.g. (".jsonl", ".csv.gz")
    file_names: tuple[str, ...] | None = None  # catalogue files are recognised by name
    # a header (or JSON key) found in this entity's files and no other source's: how
    # `parkpi check-file` tells which source a file outside the landing folder belongs to
    marker: str | None = None
    row_rules: tuple[RowRule, ...] = ()
    # entities of the same source whose raw rows these rules read: when one of their files
    # changes, this entity's files are validated again
    depends_on: tuple[str, ...] = ()
    # SQL run before this entity's files are read (in the load's transaction), e.g. a temp
    # table its row rules look things up in
    prepare: tuple[str, ...] = ()
    # columns the loader computes from each valid row (after the lineage columns)
    derived: tuple[Derived, ...] = ()

    @property
    def raw_columns(self) -> tuple[tuple[str, str], ...]:
        """The raw table's columns, in order: (name, DuckDB SQL type)."""
        fields = tuple((f.name, f.sql_type) for f in self.fields)
        return fields + LINEAGE_COLUMNS + tuple((d.name, d.sql_type) for d in self.derived)

    def derived_sql(self) -> str:
        """The derived columns' expressions, each after a comma, for an INSERT's select list
        over the field columns ("" without any)."""
        return "".join(f", {d.expression()}" for d in self.derived)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def matches(self, relative_path: str) -> bool:
        base = relative_path.rsplit("/", 1)[-1]
        if self.file_names is not None:
            return base in self.file_names
        return base.lower().endswith(self.formats)


@dataclass(frozen=True)
class Freshness:
    """How recent the newest row must be for the source to count as fresh (a warning)."""

    entity: str
    column: str  # a TIMESTAMP or DATE column of the raw table
    max_age_days: int


@dataclass(frozen=True)
class ChangeLog:
    """Keys of rows that a changed or removed file takes away, recorded (with the load id) in
    ``raw_<source>.<table>`` before the rows go, so that downstream incremental models know to
    recompute them although the rows themselves are gone."""

    table: str
    entity: str
    key: str


# -- raw data-quality rules, as data: quality/ turns them into Great Expectations checks --------

Bound = object  # a literal value, or one of the run-time bounds below
NOW = "now"  # timestamp: when the validation runs (local time)
THIS_MONTH = "this_month"  # date: first day of the current month
DUE_HORIZON = "due_horizon"  # timestamp: now + a year
CATALOG_HORIZON = "catalog_horizon"  # date: today + a year
RUN_TIME_BOUNDS = (NOW, THIS_MONTH, DUE_HORIZON, CATALOG_HORIZON)


@dataclass(frozen=True)
class Expectation:
    """One expectation about a raw column: ``matches`` a regex, lies ``between`` two bounds
    (either may be None), is ``not_before`` another column where both are known, or has
    ``no_month_gaps``: every month between its first and its last has rows."""

    kind: Literal["matches", "between", "not_before", "no_month_gaps"]
    column: str
    regex: str | None = None
    low: Bound = None
    high: Bound = None
    other: str | None = None


def matches(column: str, regex: str) -> Expectation:
    return Expectation("matches", column, regex=regex)


def between(column: str, low: Bound = None, high: Bound = None) -> Expectation:
    return Expectation("between", column, low=low, high=high)


def not_before(later: str, earlier: str) -> Expectation:
    return Expectation("not_before", later, other=earlier)


def no_month_gaps(column: str) -> Expectation:
    return Expectation("no_month_gaps", column)


@dataclass(frozen=True)
class RawRule:
    """A data-quality rule about a raw table beyond the contract's row rules (which ingest
    enforces): patterns, plausible ranges, orderings. A warning: such rows are kept on purpose
    (docs/kpi-decisions.md 1)."""

    name: str  # the check's name, shared by the rule on every table it checks
    rule: str  # what it says, for people
    entity: str
    expectations: tuple[Expectation, ...]


# Nothing in the event logs predates the provincial one-stop portals; catalogue validity dates
# may go back to the agencies' founding.
EARLIEST_EVENT = dt.datetime(2010, 1, 1)
EARLIEST_REPORT_MONTH = dt.date(2010, 1, 1)
EARLIEST_CATALOG_DATE = dt.date(1976, 1, 1)


@dataclass(frozen=True)
class Source:
    token: str  # portal | postal | mailbox | catalog: module, raw schema, asset prefix, dbt source
    entities: tuple[Entity, ...]
    description: str = ""
    # the timestamp whose month partitions the source (Dagster month partitions); None: not partitioned
    period_field: str | None = None
    freshness: Freshness | None = None
    change_log: ChangeLog | None = None
    raw_rules: tuple[RawRule, ...] = ()

    @property
    def schema(self) -> str:
        return f"raw_{self.token}"

    def entity(self, name: str) -> Entity:
        return next(e for e in self.entities if e.name == name)
