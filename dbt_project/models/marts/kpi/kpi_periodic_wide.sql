{#-
    kpi_periodic pivoted for spreadsheet readers: one row per (period_type, year, period,
    scope, scope_code), one column per indicator (in the contract's order) followed by its
    `<indicator>_prior`, the figure of the same period of Y-1. Catalogue indicators are
    NULL at agency scope, where they do not exist.
-#}

with

kpi_periodic as (

    select * from {{ ref('kpi_periodic') }}

),

final as (

    select
        period_type,
        year,
        period,
        period_start,
        period_end,
        scope,
        scope_code,
        {{ kpi_wide_columns() }}

    from kpi_periodic

    group by period_type, year, period, period_start, period_end, scope, scope_code

)

select * from final
order by period_type asc, year asc, period asc, scope desc, scope_code asc
