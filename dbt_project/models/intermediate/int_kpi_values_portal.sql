{#-
    Portal (dossier-based) indicators, one row per (period, scope, scope_code) of
    int_kpi_scope_periods, one column per indicator: the one definition of each, for every
    period type (kpi_yearly is the ytd 12 rows). A period's counts, numerators,
    denominators and sums of seconds are the sums of its months' (int_kpi_portal_months);
    overdue-and-open is the count at the end of its last month. Counts are 0 when nothing
    qualifies, ratios and means NULL on an empty denominator (kpi-decisions 14).
-#}

with

months as (

    select * from {{ ref('int_kpi_portal_months') }}

),

period_months as (

    select * from {{ ref('int_kpi_period_months') }}

),

scope_periods as (

    select * from {{ ref('int_kpi_scope_periods') }}

    where indicator_group = 'portal'

),

aggregated as (

    select
        period_months.period_type,
        period_months.year,
        period_months.period,
        {{ kpi_scope_columns('months.current_agency_code') }},
        cast(sum(months.dossiers_received) as bigint) as dossiers_received,
        cast(sum(months.received_online) as bigint) as received_online,
        cast(sum(months.received_by_post) as bigint) as received_by_post,
        cast(sum(months.received_fee_bearing) as bigint) as received_fee_bearing,
        cast(sum(months.received_fee_bearing_paid_online) as bigint) as received_fee_bearing_paid_online,
        cast(sum(months.dossiers_finished) as bigint) as dossiers_finished,
        cast(sum(months.finished_with_due) as bigint) as finished_with_due,
        cast(sum(months.finished_on_time) as bigint) as finished_on_time,
        sum(months.processing_seconds) as processing_seconds,
        cast(sum(months.processing_count) as bigint) as processing_count,
        cast(sum(months.finished_result_by_post) as bigint) as finished_result_by_post,
        cast(
            sum(months.overdue_open_at_month_end) filter (where period_months.is_last_month) as bigint
        ) as overdue_open_at_period_end

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
        cast(coalesce(aggregated.dossiers_received, 0) as double) as dossiers_received,
        aggregated.received_online / nullif(aggregated.dossiers_received, 0) as online_submission_rate,
        aggregated.received_by_post / nullif(aggregated.dossiers_received, 0) as postal_submission_rate,
        cast(coalesce(aggregated.dossiers_finished, 0) as double) as dossiers_finished,
        aggregated.finished_on_time / nullif(aggregated.finished_with_due, 0) as on_time_rate,
        -- Exact integer sum, one division (kpi-decisions 25).
        cast(aggregated.processing_seconds as double)
        / nullif(86400.0 * aggregated.processing_count, 0) as avg_processing_days,
        -- The code keeps its name: over a period it is the count at the period's end.
        cast(coalesce(aggregated.overdue_open_at_period_end, 0) as double) as overdue_open_at_year_end,
        aggregated.received_fee_bearing_paid_online
        / nullif(aggregated.received_fee_bearing, 0) as online_payment_rate,
        aggregated.finished_result_by_post / nullif(aggregated.dossiers_finished, 0) as postal_return_rate

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
