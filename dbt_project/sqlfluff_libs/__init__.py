"""Jinja context for sqlfluff's jinja templater (dbt_project/.sqlfluff): dbt's `var()`, `run_query()`,
`run_started_at` and `adapter` (quote, dispatch, get_columns_in_relation).

sqlfluff's dbt builtins answer every `var()` with a placeholder string, so a model that loops
over a list var (the indicators in `vars: kpi_indicators`) would be linted as something dbt
never renders. This returns the project's real vars from dbt_project.yml instead.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from jinja2 import pass_context
from jinja2.runtime import Context

_PROJECT_FILE = Path(__file__).resolve().parent.parent / "dbt_project.yml"
_PROJECT_VARS: dict[str, Any] = yaml.safe_load(_PROJECT_FILE.read_text(encoding="utf-8")).get("vars") or {}


def var(name: str, default: Any = None) -> Any:
    """dbt's var(): the project's value, else the default."""
    return _PROJECT_VARS.get(name, default)


class _QueryResult:
    """What run_query() returns to a model that reads one value: 0 (e.g. fct_dossiers'
    last processed load id, so that its incremental branch is linted with a number in it)."""

    class _Column:
        def values(self) -> list[int]:
            return [0]

    columns = [_Column()]


# dbt's run_started_at (macros/built_at.sql): a fixed time, so that a lint does not depend on it
run_started_at = datetime(2026, 1, 1, tzinfo=UTC)


def run_query(sql: str) -> _QueryResult:
    """dbt's run_query() without a warehouse."""
    return _QueryResult()


class _Column:
    def __init__(self, name: str) -> None:
        self.name = name


class _Adapter:
    """dbt's `adapter` for linting: identifiers quoted as DuckDB quotes them, and
    `adapter.dispatch` resolving to the `default__` macro (DuckDB's SQL, macros/engines/)."""

    def quote(self, identifier: str) -> str:
        return '"' + identifier.replace('"', '""') + '"'

    def get_columns_in_relation(self, relation: Any) -> list[Any]:
        """The relation's columns as the incremental branches ask for them: every bookkeeping
        column there (kpi_dossier_flags' `_fee_catalog`), so that those branches are linted."""
        return [_Column("_fee_catalog"), _Column("_max_load_id")]

    @pass_context
    def dispatch(self, context: Context, macro_name: str, macro_namespace: str | None = None) -> Any:
        return context.resolve(f"default__{macro_name}")


adapter = _Adapter()
