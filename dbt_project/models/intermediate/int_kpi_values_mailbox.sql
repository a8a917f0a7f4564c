{#-
    Mailbox indicators, one row per (year, scope, scope_code), one column per indicator.
    Positions are taken per reporting agency code (its last report month within Y) and then
    summed, at province scope and under the resolved successor (kpi-decisions 17).
-#}

with

positions as (

    select * from {{ ref('fct_mailbox_positions') }}

),

scope_years as (

    select
        year,
        scope,
        scope_code

    from {{ ref('int_kpi_scope_years') }}

    where indicator_group = 'mailbox'

),

aggregated as (

    select
        report_year as year,
        {{ kpi_scope_columns('current_agency_code') }},
        sum(mailboxes_issued_total) filter (where is_year_end_position) as mailboxes_issued,
        sum(mailboxes_active) filter (where is_year_end_position) as mailboxes_active,
        sum(mailboxes_new) as mailboxes_new

    from positions

    group by grouping sets ((report_year, current_agency_code), (report_year))

),

final as (

    select
        scope_years.year,
        scope_years.scope,
        scope_years.scope_code,
        cast(coalesce(aggregated.mailboxes_issued, 0) as double) as mailboxes_issued,
        cast(coalesce(aggregated.mailboxes_new, 0) as double) as mailboxes_new,
        cast(aggregated.mailboxes_active as double)
        / nullif(cast(aggregated.mailboxes_issued as double), 0) as mailbox_active_rate

    from scope_years
    left join aggregated
        on
            scope_years.year = aggregated.year
            and scope_years.scope = aggregated.scope
            and scope_years.scope_code = aggregated.scope_code

)

select * from final
