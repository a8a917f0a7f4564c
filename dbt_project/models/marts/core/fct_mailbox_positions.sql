with

reports as (

    select * from {{ ref('stg_mailbox__reports') }}

),

agencies_resolved as (

    select * from {{ ref('int_agencies_resolved') }}

),

year_end_marked as (

    -- kpi-decisions 17: a reporting agency code's position for a year is its last report
    -- month within that year.
    select
        *,
        report_month = max(report_month) over (
            partition by agency_code, report_year
        ) as is_year_end_position

    from reports

),

final as (

    select
        year_end_marked.agency_code,
        coalesce(
            agencies_resolved.current_agency_code, year_end_marked.agency_code
        ) as current_agency_code,
        year_end_marked.agency_name as reported_agency_name,
        year_end_marked.report_month,
        year_end_marked.report_year,
        year_end_marked.is_year_end_position,
        year_end_marked.mailboxes_issued_total,
        year_end_marked.mailboxes_active,
        year_end_marked.mailboxes_new,
        year_end_marked.mailboxes_revoked,
        year_end_marked.source_file,
        year_end_marked.source_line

    from year_end_marked
    left join agencies_resolved
        on year_end_marked.agency_code = agencies_resolved.agency_code

)

select * from final
