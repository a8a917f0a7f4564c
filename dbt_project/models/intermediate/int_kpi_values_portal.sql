{#-
    Portal (dossier-based) indicators, one row per (year, scope, scope_code) of
    int_kpi_scope_years, one column per indicator. Counts are 0 when nothing qualifies,
    ratios and means NULL on an empty denominator (kpi-decisions 14).
-#}

with

dossiers as (

    select * from {{ ref('fct_dossiers') }}

),

procedure_periods as (

    select * from {{ ref('dim_procedures') }}

),

scope_years as (

    select
        year,
        scope,
        scope_code

    from {{ ref('int_kpi_scope_years') }}

    where indicator_group = 'portal'

),

portal_year_ends as (

    select
        year,
        make_timestamp(year, 12, 31, 23, 59, 59) as year_end_at

    from scope_years

    where scope = 'province'

),

received_dossiers as (

    select
        *,
        cast(received_at as date) as received_date

    from dossiers

    where received_at is not null

),

fee_bearing_dossiers as (

    -- The procedure's catalogue row(s) in force on the calendar date of received_at;
    -- fee-bearing if any of them has CoPhiLePhi = 1 (kpi-decisions 9). Dossiers whose
    -- procedure has no row in force that day are not fee-bearing: outside the denominator.
    -- A semi-join on (procedure, date), not a grouping of every dossier and a join back.
    select
        received_dossiers.*,
        exists(
            select 1
            from procedure_periods
            where
                procedure_periods.has_fee
                and received_dossiers.procedure_code = procedure_periods.procedure_code
                and procedure_periods.valid_from <= received_dossiers.received_date
                and (
                    procedure_periods.valid_to is null
                    or received_dossiers.received_date <= procedure_periods.valid_to
                )
        ) as is_fee_bearing

    from received_dossiers

),

received as (

    select
        dossiers.received_year as year,
        {{ kpi_scope_columns('dossiers.current_agency_code') }},
        count(*) as dossiers_received,
        count(*) filter (where dossiers.channel = 2) as received_online,
        count(*) filter (where dossiers.channel = 3) as received_by_post,
        count(*) filter (where dossiers.is_fee_bearing) as received_fee_bearing,
        count(*) filter (
            where dossiers.is_fee_bearing and dossiers.paid_online
        ) as received_fee_bearing_paid_online

    from fee_bearing_dossiers as dossiers

    group by grouping sets (
        (dossiers.received_year, dossiers.current_agency_code),
        (dossiers.received_year)
    )

),

finished as (

    select
        finished_year as year,
        {{ kpi_scope_columns('current_agency_code') }},
        count(*) as dossiers_finished,
        count(*) filter (where due_at is not null) as finished_with_due,
        count(*) filter (where due_at is not null and on_time) as finished_on_time,
        -- Exact integer sum, one division: the mean does not depend on row order.
        cast(sum(processing_seconds) filter (where received_at is not null) as double)
        / (86400.0 * count(processing_seconds) filter (
            where received_at is not null
        )) as avg_processing_days,
        count(*) filter (where result_by_post) as finished_result_by_post

    from dossiers

    where finished_at is not null

    group by grouping sets ((finished_year, current_agency_code), (finished_year))

),

late_or_open as (

    -- Only these can be overdue and open at a year end (due_at < end < finished_at and
    -- withdrawn_at): a necessary condition that keeps the on-time majority out of the
    -- range join below.
    select
        current_agency_code,
        received_at,
        due_at,
        finished_at,
        withdrawn_at

    from dossiers

    where
        due_at is not null
        and (finished_at is null or finished_at > due_at)
        and (withdrawn_at is null or withdrawn_at > due_at)

),

overdue_open as (

    -- "Received by end of Y" includes the last second, "due before end of Y" excludes it;
    -- a withdrawal closes the dossier from its time on (kpi-decisions 6).
    select
        portal_year_ends.year,
        {{ kpi_scope_columns('dossiers.current_agency_code') }},
        count(*) as overdue_open_at_year_end

    from late_or_open as dossiers
    inner join portal_year_ends
        on
            dossiers.received_at <= portal_year_ends.year_end_at
            and dossiers.due_at < portal_year_ends.year_end_at
            and (
                dossiers.finished_at is null
                or dossiers.finished_at > portal_year_ends.year_end_at
            )
            and (
                dossiers.withdrawn_at is null
                or dossiers.withdrawn_at > portal_year_ends.year_end_at
            )

    group by grouping sets (
        (portal_year_ends.year, dossiers.current_agency_code),
        (portal_year_ends.year)
    )

),

final as (

    select
        scope_years.year,
        scope_years.scope,
        scope_years.scope_code,
        cast(coalesce(received.dossiers_received, 0) as double) as dossiers_received,
        received.received_online / nullif(received.dossiers_received, 0) as online_submission_rate,
        received.received_by_post / nullif(received.dossiers_received, 0) as postal_submission_rate,
        cast(coalesce(finished.dossiers_finished, 0) as double) as dossiers_finished,
        finished.finished_on_time / nullif(finished.finished_with_due, 0) as on_time_rate,
        cast(finished.avg_processing_days as double) as avg_processing_days,
        cast(
            coalesce(overdue_open.overdue_open_at_year_end, 0) as double
        ) as overdue_open_at_year_end,
        received.received_fee_bearing_paid_online
        / nullif(received.received_fee_bearing, 0) as online_payment_rate,
        finished.finished_result_by_post
        / nullif(finished.dossiers_finished, 0) as postal_return_rate

    from scope_years
    left join received
        on
            scope_years.year = received.year
            and scope_years.scope = received.scope
            and scope_years.scope_code = received.scope_code
    left join finished
        on
            scope_years.year = finished.year
            and scope_years.scope = finished.scope
            and scope_years.scope_code = finished.scope_code
    left join overdue_open
        on
            scope_years.year = overdue_open.year
            and scope_years.scope = overdue_open.scope
            and scope_years.scope_code = overdue_open.scope_code

)

select * from final
