{#-
    The published KPI table of docs/indicators.md: one row per (year, scope, scope_code,
    indicator), with the figure of Y-1 at the same scope and the change and trend. These
    are kpi_periodic's `ytd` 12 rows (the whole year): no indicator is defined twice.
-#}

with

whole_years as (

    select * from {{ ref('kpi_periodic') }}

    where period_type = 'ytd' and period = 12

),

final as (

    select
        year,
        scope,
        scope_code,
        indicator,
        value,
        prior_value,
        change_abs,
        change_pct,
        trend

    from whole_years

)

select * from final
order by year asc, scope desc, scope_code asc, indicator asc
