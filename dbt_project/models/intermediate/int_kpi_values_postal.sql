{#- Postal indicators, one row per (year, scope, scope_code), one column per indicator. -#}

with

shipments as (

    select * from {{ ref('fct_postal_shipments') }}

),

scope_years as (

    select
        year,
        scope,
        scope_code

    from {{ ref('int_kpi_scope_years') }}

    where indicator_group = 'postal'

),

aggregated as (

    -- kpi-decisions 12: a shipment's year is the year its winning row was accepted.
    select
        accepted_year as year,
        {{ kpi_scope_columns('current_agency_code') }},
        count(*) filter (where is_result_return) as result_shipments,
        count(*) filter (where is_result_return and is_final_status) as result_final,
        count(*) filter (where is_result_return and is_delivered) as result_delivered,
        -- kpi-decisions 11: a delivered shipment without Ngày phát is left out of the mean.
        -- Exact integer sum, one division: the mean does not depend on row order.
        cast(sum(delivery_seconds) filter (where is_result_return and is_delivered) as double)
        / (86400.0 * count(delivery_seconds) filter (
            where is_result_return and is_delivered
        )) as avg_delivery_days,
        count(*) filter (where not is_matched_dossier) as unmatched_shipments

    from shipments

    group by grouping sets ((accepted_year, current_agency_code), (accepted_year))

),

final as (

    select
        scope_years.year,
        scope_years.scope,
        scope_years.scope_code,
        cast(coalesce(aggregated.result_shipments, 0) as double) as postal_result_shipments,
        aggregated.result_delivered
        / nullif(aggregated.result_final, 0) as postal_delivery_success_rate,
        cast(aggregated.avg_delivery_days as double) as postal_avg_delivery_days,
        cast(
            coalesce(aggregated.unmatched_shipments, 0) as double
        ) as postal_unmatched_shipments

    from scope_years
    left join aggregated
        on
            scope_years.year = aggregated.year
            and scope_years.scope = aggregated.scope
            and scope_years.scope_code = aggregated.scope_code

)

select * from final
