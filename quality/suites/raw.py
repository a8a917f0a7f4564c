"""Raw tables: the contract's rules (columns present, required values present, codes in their
sets) derived from each source's fields, plus the source's own raw rules (patterns, plausible
ranges, orderings), declared as data in its module (``Source.raw_rules``). Ingest already
rejects rows breaking the contract's row rules, so on raw these blocking checks guard against
a changed loader or a hand-edited warehouse; the warnings catch what ingest lets through on
purpose (kpi-decisions 1). A new source gets its raw suite from its module alone."""

from __future__ import annotations

from quality.checks import (
    CODES_IN_SETS,
    COLUMNS_PRESENT,
    REQUIRED_VALUES_PRESENT,
    Check,
    Expect,
    Suite,
    expect,
    parameter,
)
from sources.contract import LINEAGE_COLUMNS, RUN_TIME_BOUNDS, Entity, Expectation, Source
from sources.registry import SOURCES
from sources.warehouse import quote

RAW_KEY_COLUMNS = ("_source_file", "_source_line")


def contract_checks(entity: Entity) -> list[Check]:
    columns = [f.name for f in entity.fields] + [name for name, _ in LINEAGE_COLUMNS]
    checks = [
        Check(
            name=COLUMNS_PRESENT,
            blocking=True,
            rule="every column of the contract (and the lineage columns) is in the raw table",
            expectations=(expect("ExpectTableColumnsToMatchSet", column_set=columns, exact_match=False),),
        ),
        Check(
            name=REQUIRED_VALUES_PRESENT,
            blocking=True,
            rule="required fields of the contract are never empty: " + ", ".join(entity.required),
            expectations=tuple(expect("ExpectColumnValuesToNotBeNull", column=name) for name in entity.required),
        ),
    ]
    coded = [f for f in entity.fields if f.allowed is not None]
    if coded:
        checks.append(
            Check(
                name=CODES_IN_SETS,
                blocking=True,
                rule="coded fields hold only their listed values: " + ", ".join(f.name for f in coded),
                expectations=tuple(
                    expect("ExpectColumnValuesToBeInSet", column=f.name, value_set=list(f.allowed)) for f in coded
                ),
            )
        )
    return checks


def _bound(value: object) -> object:
    return parameter(value) if isinstance(value, str) and value in RUN_TIME_BOUNDS else value


def as_expect(expectation: Expectation) -> Expect:
    """A source's declared expectation as a GX expectation."""
    if expectation.kind == "matches":
        return expect("ExpectColumnValuesToMatchRegex", column=expectation.column, regex=expectation.regex)
    if expectation.kind == "between":
        bounds = {"min_value": _bound(expectation.low), "max_value": _bound(expectation.high)}
        return expect(
            "ExpectColumnValuesToBeBetween",
            column=expectation.column,
            **{name: value for name, value in bounds.items() if value is not None},
        )
    if expectation.kind == "not_before":
        return expect(
            "ExpectColumnPairValuesAToBeGreaterThanB",
            column_A=expectation.column,
            column_B=expectation.other,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        )
    if expectation.kind == "no_month_gaps":
        column = quote(expectation.column)
        return expect(
            "UnexpectedRowsExpectation",
            unexpected_rows_query=f"""
                with
                months as (
                    select distinct date_trunc('month', {column}) as month from {{batch}} where {column} is not null
                ),
                expected as (
                    select unnest(generate_series(min(month), max(month), interval 1 month)) as month from months
                )
                select strftime(expected.month, '%Y-%m') as month_without_rows
                from expected
                where expected.month not in (select months.month from months)
                order by 1""",
        )
    raise ValueError(f"unknown expectation kind {expectation.kind}")


def raw_suite(source: Source, entity: Entity) -> Suite:
    own = [
        Check(
            name=rule.name,
            blocking=False,
            rule=rule.rule,
            expectations=tuple(map(as_expect, rule.expectations)),
            # a month gap is found as a month, not a row of the table
            key_columns=("month_without_rows",) if any(e.kind == "no_month_gaps" for e in rule.expectations) else None,
        )
        for rule in source.raw_rules
        if rule.entity == entity.name
    ]
    return Suite(
        asset=(source.token, f"raw_{entity.name}"),
        table=(source.schema, entity.name),
        key_columns=RAW_KEY_COLUMNS,
        checks=(*contract_checks(entity), *own),
        description=f"raw {source.description} ({source.schema}.{entity.name})",
    )


RAW_SUITES: tuple[Suite, ...] = tuple(
    raw_suite(source, entity) for source in SOURCES.values() for entity in source.entities
)
