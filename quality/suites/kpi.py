"""The published KPI tables: ranges, one row per key, completeness of indicators per source and
year, no missing year."""

from __future__ import annotations

from quality.checks import (
    INDICATORS_COMPLETE,
    MAILBOX_ACTIVE_RATE_BETWEEN_0_AND_1,
    NO_MISSING_YEAR,
    ONE_ROW_PER_KEY,
    RATIOS_BETWEEN_0_AND_1,
    Check,
    Suite,
    expect,
)

# Ratio indicators of the KPI contract (dim_indicators.unit = 'ratio'; a test keeps the two in
# step). mailbox_active_rate may exceed 1 as reported (kpi-decisions 20): warned separately.
RATIO_INDICATORS = (
    "online_submission_rate",
    "postal_submission_rate",
    "on_time_rate",
    "online_services_used_rate",
    "online_payment_rate",
    "postal_return_rate",
    "postal_delivery_success_rate",
    "mailbox_active_rate",
)
RATIOS_THAT_MAY_EXCEED_1 = ("mailbox_active_rate",)


_KPI_KEY = ("year", "scope", "scope_code", "indicator")

# For every (year, scope, scope code) with data of a source, each indicator of that source; the
# catalogue indicators every year at province scope and never at agency scope (docs/indicators.md,
# "Which years have a figure" and "Scopes"). Duplicates are one_row_per_key's business.
_INDICATORS_COMPLETE_SQL = """
with
kpi as (
    select year, scope, scope_code, indicator from {batch}
),
groups_present as (
    select distinct kpi.year, kpi.scope, kpi.scope_code, indicators.indicator_group
    from kpi
    inner join marts.dim_indicators as indicators on kpi.indicator = indicators.indicator
    where indicators.indicator_group <> 'catalog'
),
expected as (
    select groups_present.year, groups_present.scope, groups_present.scope_code, indicators.indicator
    from groups_present
    inner join marts.dim_indicators as indicators on groups_present.indicator_group = indicators.indicator_group
    union
    select years.year, 'province' as scope, 'ALL' as scope_code, indicators.indicator
    from (select distinct year from kpi) as years
    cross join marts.dim_indicators as indicators
    where indicators.indicator_group = 'catalog'
),
actual as (
    select year, scope, scope_code, indicator, count(*) as row_count
    from kpi
    group by year, scope, scope_code, indicator
)
select
    coalesce(expected.year, actual.year) as year,
    coalesce(expected.scope, actual.scope) as scope,
    coalesce(expected.scope_code, actual.scope_code) as scope_code,
    coalesce(expected.indicator, actual.indicator) as indicator,
    coalesce(actual.row_count, 0) as row_count,
    expected.indicator is not null as expected
from expected
full outer join actual
    on expected.year = actual.year
    and expected.scope = actual.scope
    and expected.scope_code = actual.scope_code
    and expected.indicator = actual.indicator
where expected.indicator is null or actual.indicator is null
order by 1, 2, 3, 4
"""

# Per indicator at province scope, every year between its first and its last.
_NO_MISSING_YEAR_SQL = """
with
province as (
    select year, indicator from {batch} where scope = 'province'
),
spans as (
    select indicator, min(year) as first_year, max(year) as last_year
    from province
    group by indicator
),
expected as (
    select indicator, unnest(generate_series(first_year, last_year)) as year
    from spans
)
select expected.indicator, expected.year
from expected
where not exists (
    select 1 from province
    where province.indicator = expected.indicator and province.year = expected.year
)
order by 1, 2
"""

KPI_YEARLY = Suite(
    asset=("kpi", "kpi_yearly"),
    table=("kpi", "kpi_yearly"),
    key_columns=_KPI_KEY,
    description="the published KPI table (kpi.kpi_yearly)",
    checks=(
        Check(
            name=RATIOS_BETWEEN_0_AND_1,
            blocking=True,
            rule="ratio indicators lie between 0 and 1 (mailbox_active_rate: see the next check)",
            expectations=(
                expect(
                    "ExpectColumnValuesToBeBetween",
                    column="value",
                    min_value=0,
                    max_value=1,
                    where=("indicator", "in", [i for i in RATIO_INDICATORS if i not in RATIOS_THAT_MAY_EXCEED_1]),
                ),
            ),
        ),
        Check(
            name=MAILBOX_ACTIVE_RATE_BETWEEN_0_AND_1,
            blocking=False,
            rule="mailbox_active_rate lies between 0 and 1 (reports may say otherwise, kpi-decisions 20)",
            expectations=(
                expect(
                    "ExpectColumnValuesToBeBetween",
                    column="value",
                    min_value=0,
                    max_value=1,
                    where=("indicator", "in", list(RATIOS_THAT_MAY_EXCEED_1)),
                ),
            ),
        ),
        Check(
            name=ONE_ROW_PER_KEY,
            blocking=True,
            rule="one row per (year, scope, scope_code, indicator)",
            expectations=(expect("ExpectCompoundColumnsToBeUnique", column_list=list(_KPI_KEY)),),
        ),
        Check(
            name=INDICATORS_COMPLETE,
            blocking=True,
            rule=(
                "every indicator of a source is there for each year and scope where that source has data; "
                "catalogue indicators every year at province scope only"
            ),
            expectations=(expect("UnexpectedRowsExpectation", unexpected_rows_query=_INDICATORS_COMPLETE_SQL),),
        ),
        Check(
            name=NO_MISSING_YEAR,
            blocking=True,
            rule="no year is missing between an indicator's first and last year (province scope)",
            expectations=(expect("UnexpectedRowsExpectation", unexpected_rows_query=_NO_MISSING_YEAR_SQL),),
        ),
    ),
)

KPI_SUITES: tuple[Suite, ...] = (KPI_YEARLY,)
