{{ config(materialized='table') }}

{#-
    Which (period, scope, scope_code) rows each indicator group has ("Which periods have a
    row" in docs/indicators.md; kpi-decisions 14, 15): a period has a row when its source has
    data in one of the period's months (int_kpi_scope_months); the catalogue group has every
    province period that any of the other three has, and no agency rows.
-#}

with

scope_months as (

    select * from {{ ref('int_kpi_scope_months') }}

),

period_months as (

    select * from {{ ref('int_kpi_period_months') }}

),

sourced as (

    select distinct
        scope_months.indicator_group,
        period_months.period_type,
        period_months.year,
        period_months.period,
        period_months.period_start,
        period_months.period_end,
        scope_months.scope,
        scope_months.scope_code

    from scope_months
    inner join period_months
        on scope_months.month_start = period_months.month_start

),

catalog as (

    select distinct
        'catalog' as indicator_group,
        period_type,
        year,
        period,
        period_start,
        period_end,
        scope,
        scope_code

    from sourced

    where scope = 'province'

),

final as (

    select * from sourced
    union all
    select * from catalog

)

select * from final
