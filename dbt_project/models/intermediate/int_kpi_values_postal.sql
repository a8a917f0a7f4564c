{#-
    Postal indicators, one row per (period, scope, scope_code) of int_kpi_scope_periods,
    one column per indicator. All of them are additive over months: counted per (month of
    acceptance, agency), then summed over the period's months.
-#}

with

shipments as (

    select * from {{ ref('fct_postal_shipments') }}

),

period_months as (

    select * from {{ ref('int_kpi_period_months') }}

),

scope_periods as (

    select * from {{ ref('int_kpi_scope_periods') }}

    where indicator_group = 'postal'

),

months as (

    -- kpi-decisions 12: a shipment's month is the month its winning row was accepted.
    select
        cast(date_trunc('month', accepted_at) as date) as month_start,
        current_agency_code,
        count(*) filter (where is_result_return) as result_shipments,
        count(*) filter (where is_result_return and is_final_status) as result_final,
        count(*) filter (where is_result_return and is_delivered) as result_delivered,
        -- kpi-decisions 11: a delivered shipment without Ngày phát is left out of the mean.
        sum(delivery_seconds) filter (where is_result_return and is_delivered) as delivery_seconds,
        count(delivery_seconds) filter (where is_result_return and is_delivered) as delivery_count,
        count(*) filter (where not is_matched_dossier) as unmatched_shipments

    from shipments

    group by all

),

aggregated as (

    select
        period_months.period_type,
        period_months.year,
        period_months.period,
        {{ kpi_scope_columns('months.current_agency_code') }},
        cast(sum(months.result_shipments) as bigint) as result_shipments,
        cast(sum(months.result_final) as bigint) as result_final,
        cast(sum(months.result_delivered) as bigint) as result_delivered,
        sum(months.delivery_seconds) as delivery_seconds,
        cast(sum(months.delivery_count) as bigint) as delivery_count,
        cast(sum(months.unmatched_shipments) as bigint) as unmatched_shipments

    from months
    inner join period_months
        on months.month_start = period_months.month_start

    group by grouping sets (
        (period_months.period_type, period_months.year, period_months.period, months.current_agency_code),
        (period_months.period_type, period_months.year, period_months.period)
    )

),

final as (

    select
        scope_periods.period_type,
        scope_periods.year,
        scope_periods.period,
        scope_periods.scope,
        scope_periods.scope_code,
        -- Every row is one of int_kpi_scope_periods: an agency with data in a period has
        -- the period's row (int_kpi_values_portal explains the exception there).
        true as has_figure,
        cast(coalesce(aggregated.result_shipments, 0) as double) as postal_result_shipments,
        aggregated.result_delivered / nullif(aggregated.result_final, 0) as postal_delivery_success_rate,
        -- Exact integer sum, one division (kpi-decisions 25).
        cast(aggregated.delivery_seconds as double)
        / nullif(86400.0 * aggregated.delivery_count, 0) as postal_avg_delivery_days,
        cast(coalesce(aggregated.unmatched_shipments, 0) as double) as postal_unmatched_shipments,
        -- What each figure is made of (kpi_components), from the same aggregates.
        {{ kpi_component_columns('postal_result_shipments', 'aggregated.result_shipments') }},
        {{ kpi_component_columns(
            'postal_delivery_success_rate', 'aggregated.result_delivered', 'aggregated.result_final'
        ) }},
        {{ kpi_component_columns(
            'postal_avg_delivery_days', 'cast(aggregated.delivery_seconds as double) / 86400.0', 'aggregated.delivery_count'
        ) }},
        {{ kpi_component_columns('postal_unmatched_shipments', 'aggregated.unmatched_shipments') }}

    from scope_periods
    left join aggregated
        on
            scope_periods.period_type = aggregated.period_type
            and scope_periods.year = aggregated.year
            and scope_periods.period = aggregated.period
            and scope_periods.scope = aggregated.scope
            and scope_periods.scope_code = aggregated.scope_code

)

select * from final
