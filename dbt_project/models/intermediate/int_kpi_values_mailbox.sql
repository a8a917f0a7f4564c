{#-
    Mailbox indicators, one row per (period, scope, scope_code) of int_kpi_scope_periods,
    one column per indicator and its components. Positions are taken per reporting agency
    code (its last report month within the period, marked in kpi_mailbox_period_positions:
    for a month, that month's report) and then summed, at province scope and under the
    resolved successor (kpi-decisions 17); new mailboxes add up over every report month in
    the period.
-#}

with

period_positions as (

    select * from {{ ref('kpi_mailbox_period_positions') }}

),

scope_periods as (

    select * from {{ ref('int_kpi_scope_periods') }}

    where indicator_group = 'mailbox'

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
        -- Every row is one of int_kpi_scope_periods: an agency with data in a period has
        -- the period's row (int_kpi_values_portal explains the exception there).
        true as has_figure,
        cast(coalesce(aggregated.mailboxes_issued, 0) as double) as mailboxes_issued,
        cast(coalesce(aggregated.mailboxes_new, 0) as double) as mailboxes_new,
        cast(aggregated.mailboxes_active as double)
        / nullif(cast(aggregated.mailboxes_issued as double), 0) as mailbox_active_rate,
        -- What each figure is made of (kpi_components), from the same aggregates.
        {{ kpi_component_columns('mailboxes_issued', 'aggregated.mailboxes_issued') }},
        {{ kpi_component_columns('mailboxes_new', 'aggregated.mailboxes_new') }},
        {{ kpi_component_columns(
            'mailbox_active_rate', 'aggregated.mailboxes_active', 'aggregated.mailboxes_issued'
        ) }}

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
