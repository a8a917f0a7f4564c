{#-
    Portal (dossier-based) indicators, one row per (period, scope, scope_code) of
    int_kpi_scope_periods, one column per indicator: the one definition of each, for every
    period type (kpi_yearly is the ytd 12 rows). A period's counts, numerators,
    denominators and sums of seconds are the sums of its months' (int_kpi_portal_months);
    overdue-and-open is the count at the end of its last month. Counts are 0 when nothing
    qualifies, ratios and means NULL on an empty denominator (kpi-decisions 14). Beside
    each figure its components (`<indicator>__numerator`, `<indicator>__denominator`), and
    `has_figure`: false for the agency rows that only carry components (below).
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
        coalesce(scope_periods.period_type, aggregated.period_type) as period_type,
        coalesce(scope_periods.year, aggregated.year) as year,
        coalesce(scope_periods.period, aggregated.period) as period,
        coalesce(scope_periods.scope, aggregated.scope) as scope,
        coalesce(scope_periods.scope_code, aggregated.scope_code) as scope_code,
        scope_periods.scope is not null as has_figure,
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
        aggregated.finished_result_by_post / nullif(aggregated.dossiers_finished, 0) as postal_return_rate,
        -- What each figure is made of (kpi_components): a ratio's numerator and denominator,
        -- a mean's sum of days and count, a count's value. The same aggregates as above.
        {{ kpi_component_columns('dossiers_received', 'aggregated.dossiers_received') }},
        {{ kpi_component_columns(
            'online_submission_rate', 'aggregated.received_online', 'aggregated.dossiers_received'
        ) }},
        {{ kpi_component_columns(
            'postal_submission_rate', 'aggregated.received_by_post', 'aggregated.dossiers_received'
        ) }},
        {{ kpi_component_columns('dossiers_finished', 'aggregated.dossiers_finished') }},
        {{ kpi_component_columns('on_time_rate', 'aggregated.finished_on_time', 'aggregated.finished_with_due') }},
        {{ kpi_component_columns(
            'avg_processing_days', 'cast(aggregated.processing_seconds as double) / 86400.0', 'aggregated.processing_count'
        ) }},
        {{ kpi_component_columns('overdue_open_at_year_end', 'aggregated.overdue_open_at_period_end') }},
        {{ kpi_component_columns(
            'online_payment_rate', 'aggregated.received_fee_bearing_paid_online', 'aggregated.received_fee_bearing'
        ) }},
        {{ kpi_component_columns(
            'postal_return_rate', 'aggregated.finished_result_by_post', 'aggregated.dossiers_finished'
        ) }}

    from scope_periods
    full outer join aggregated
        on
            scope_periods.period_type = aggregated.period_type
            and scope_periods.year = aggregated.year
            and scope_periods.period = aggregated.period
            and scope_periods.scope = aggregated.scope
            and scope_periods.scope_code = aggregated.scope_code

    -- The rows of int_kpi_scope_periods (has_figure), and the agencies that carry part of
    -- a province figure without having a figure of their own in the period: overdue open
    -- dossiers of an agency without any portal event in the period (every other component
    -- needs an event in the period). kpi_periodic keeps the first, kpi_contributions needs
    -- both so that the agencies' contributions add up to the province's change.
    where scope_periods.scope is not null or aggregated.overdue_open_at_period_end > 0

)

select * from final
