{#-
    Mailbox indicators, one row per (period, scope, scope_code) of int_kpi_scope_periods,
    one column per indicator. Positions are taken per reporting agency code (its last
    report month within the period: for a month, that month's report) and then summed, at
    province scope and under the resolved successor (kpi-decisions 17); new mailboxes add
    up over every report month in the period.
-#}

with

positions as (

    select * from {{ ref('fct_mailbox_positions') }}

),

period_months as (

    select * from {{ ref('int_kpi_period_months') }}

),

scope_periods as (

    select * from {{ ref('int_kpi_scope_periods') }}

    where indicator_group = 'mailbox'

),

period_positions as (

    select
        period_months.period_type,
        period_months.year,
        period_months.period,
        positions.agency_code,
        positions.current_agency_code,
        positions.mailboxes_issued_total,
        positions.mailboxes_active,
        positions.mailboxes_new,
        positions.report_month = max(positions.report_month) over (
            partition by
                period_months.period_type,
                period_months.year,
                period_months.period,
                positions.agency_code
        ) as is_period_end_position

    from positions
    inner join period_months
        on positions.report_month = period_months.month_start

),

aggregated as (

    select
        period_type,
        year,
        period,
        {{ kpi_scope_columns('current_agency_code') }},
        sum(mailboxes_issued_total) filter (where is_period_end_position) as mailboxes_issued,
        sum(mailboxes_active) filter (where is_period_end_position) as mailboxes_active,
        sum(mailboxes_new) as mailboxes_new

    from period_positions

    group by grouping sets ((period_type, year, period, current_agency_code), (period_type, year, period))

),

final as (

    select
        scope_periods.period_type,
        scope_periods.year,
        scope_periods.period,
        scope_periods.scope,
        scope_periods.scope_code,
        cast(coalesce(aggregated.mailboxes_issued, 0) as double) as mailboxes_issued,
        cast(coalesce(aggregated.mailboxes_new, 0) as double) as mailboxes_new,
        cast(aggregated.mailboxes_active as double)
        / nullif(cast(aggregated.mailboxes_issued as double), 0) as mailbox_active_rate

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
