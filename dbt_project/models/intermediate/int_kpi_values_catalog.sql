{#-
    Catalogue indicators, province scope only, for every period any other indicator has,
    one column per indicator and its components: counts of kpi_catalog_period_procedures'
    rows (the procedures at level 3 or 4 on the period's last day, and whether each was
    used online in the period; kpi-decisions 10 and 18).
-#}

with

period_procedures as (

    select * from {{ ref('kpi_catalog_period_procedures') }}

),

scope_periods as (

    select * from {{ ref('int_kpi_scope_periods') }}

    where indicator_group = 'catalog'

),

aggregated as (

    select
        period_type,
        year,
        period,
        count(*) filter (where is_level3) as level3,
        count(*) filter (where is_level4) as level4,
        count(*) as online_services,
        count(*) filter (where is_used_online) as online_services_used

    from period_procedures

    group by period_type, year, period

),

final as (

    select
        scope_periods.period_type,
        scope_periods.year,
        scope_periods.period,
        scope_periods.scope,
        scope_periods.scope_code,
        -- Every row is one of int_kpi_scope_periods (see int_kpi_values_portal).
        true as has_figure,
        cast(coalesce(aggregated.level3, 0) as double) as online_services_level3,
        cast(coalesce(aggregated.level4, 0) as double) as online_services_level4,
        aggregated.online_services_used / nullif(aggregated.online_services, 0) as online_services_used_rate,
        -- What each figure is made of (kpi_components), from the same aggregates.
        {{ kpi_component_columns('online_services_level3', 'aggregated.level3') }},
        {{ kpi_component_columns('online_services_level4', 'aggregated.level4') }},
        {{ kpi_component_columns(
            'online_services_used_rate', 'aggregated.online_services_used', 'aggregated.online_services'
        ) }}

    from scope_periods
    left join aggregated
        on
            scope_periods.period_type = aggregated.period_type
            and scope_periods.year = aggregated.year
            and scope_periods.period = aggregated.period

)

select * from final
