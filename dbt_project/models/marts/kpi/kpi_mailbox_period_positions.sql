{#-
    One row per (period, mailbox report of a month in the period): the mailbox indicators'
    membership (kpi-decisions 17). A reporting agency code's position for a period is its
    last report month within the period (`is_period_end_position`): mailboxes_issued and
    mailbox_active_rate add up those reports, mailboxes_new adds up every report of the
    period. int_kpi_values_mailbox aggregates these rows; `parkpi explain` and BI tools list
    them, with the landing file and line of each report.
-#}

with

positions as (

    select * from {{ ref('fct_mailbox_positions') }}

),

period_months as (

    select * from {{ ref('int_kpi_period_months') }}

),

period_positions as (

    select
        period_months.period_type,
        period_months.year,
        period_months.period,
        positions.agency_code,
        positions.current_agency_code,
        positions.report_month,
        positions.report_month = max(positions.report_month) over (
            partition by
                period_months.period_type,
                period_months.year,
                period_months.period,
                positions.agency_code
        ) as is_period_end_position,
        positions.mailboxes_issued_total,
        positions.mailboxes_active,
        positions.mailboxes_new,
        positions.source_file,
        positions.source_line

    from positions
    inner join period_months
        on positions.report_month = period_months.month_start

),

final as (

    select
        cast(period_type as string) as period_type,
        cast(year as integer) as year,
        cast(period as integer) as period,
        cast(agency_code as string) as agency_code,
        cast(current_agency_code as string) as current_agency_code,
        cast(report_month as date) as report_month,
        cast(is_period_end_position as boolean) as is_period_end_position,
        cast(mailboxes_issued_total as bigint) as mailboxes_issued_total,
        cast(mailboxes_active as bigint) as mailboxes_active,
        cast(mailboxes_new as bigint) as mailboxes_new,
        cast(source_file as string) as source_file,
        cast(source_line as bigint) as source_line

    from period_positions

)

select * from final
