{#-
    kpi_yearly pivoted for spreadsheet readers: one row per (year, scope, scope_code), one
    column per indicator (in the contract's order) followed by its `<indicator>_prior`.
    Catalogue indicators are NULL at agency scope, where they do not exist.
-#}

with

kpi_yearly as (

    select * from {{ ref('kpi_yearly') }}

),

final as (

    select
        year,
        scope,
        scope_code,
        {{ kpi_wide_columns() }}

    from kpi_yearly

    group by year, scope, scope_code

)

select * from final
order by year asc, scope desc, scope_code asc
