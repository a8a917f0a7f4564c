{{ config(materialized='table') }}

{#-
    The portal indicators' monthly components per (month, agency in today's structure):
    additive counts, numerators, denominators and sums of seconds, so that a period's
    figure is the sum over its months (int_kpi_values_portal), and the point-in-time count
    of overdue open dossiers at each month's last second, which is that of every period
    ending with the month. Province figures are sums over the agencies.
-#}

{#-
    fct_dossiers is read by each step on its own, not through one import CTE: DuckDB
    materialises a CTE that several steps read, all of its columns for every dossier (at
    10M events that was two thirds of this model's time).
-#}

with

fee_periods as (

    select
        procedure_code,
        valid_from,
        valid_to

    from {{ ref('dim_procedures') }}

    where has_fee

),

calendar_months as (

    select distinct month_start from {{ ref('int_kpi_period_months') }}

),

received_dossiers as (

    select
        current_agency_code,
        channel,
        procedure_code,
        paid_online,
        cast(date_trunc('month', received_at) as date) as received_month,
        cast(received_at as date) as received_date

    from {{ ref('fct_dossiers') }}

    where received_at is not null

),

fee_bearing as (

    -- The procedure's catalogue row(s) in force on the calendar date of received_at;
    -- fee-bearing if any of them has CoPhiLePhi = 1 (kpi-decisions 9). Dossiers whose
    -- procedure has no row in force that day are not fee-bearing: outside the denominator.
    -- A semi-join: each dossier counts once however many fee rows are in force.
    select
        received_dossiers.received_month,
        received_dossiers.current_agency_code,
        count(*) as received_fee_bearing,
        count(*) filter (where received_dossiers.paid_online) as received_fee_bearing_paid_online

    from received_dossiers
    semi join fee_periods
        on
            received_dossiers.procedure_code = fee_periods.procedure_code
            and received_dossiers.received_date >= fee_periods.valid_from
            and (fee_periods.valid_to is null or received_dossiers.received_date <= fee_periods.valid_to)

    group by received_dossiers.received_month, received_dossiers.current_agency_code

),

received_counts as (

    select
        received_month,
        current_agency_code,
        count(*) as dossiers_received,
        count(*) filter (where channel = 2) as received_online,
        count(*) filter (where channel = 3) as received_by_post

    from received_dossiers

    group by received_month, current_agency_code

),

received as (

    select
        received_counts.received_month as month_start,
        received_counts.current_agency_code,
        received_counts.dossiers_received,
        received_counts.received_online,
        received_counts.received_by_post,
        coalesce(fee_bearing.received_fee_bearing, 0) as received_fee_bearing,
        coalesce(fee_bearing.received_fee_bearing_paid_online, 0) as received_fee_bearing_paid_online

    from received_counts
    left join fee_bearing
        on
            received_counts.received_month = fee_bearing.received_month
            and received_counts.current_agency_code = fee_bearing.current_agency_code

),

finished as (

    select
        cast(date_trunc('month', finished_at) as date) as month_start,
        current_agency_code,
        count(*) as dossiers_finished,
        count(*) filter (where due_at is not null) as finished_with_due,
        count(*) filter (where due_at is not null and on_time) as finished_on_time,
        -- Whole seconds: exact integer sums, so a mean does not depend on row order.
        sum(processing_seconds) filter (where received_at is not null) as processing_seconds,
        count(processing_seconds) filter (where received_at is not null) as processing_count,
        count(*) filter (where result_by_post) as finished_result_by_post

    from {{ ref('fct_dossiers') }}

    where finished_at is not null

    group by all

),

overdue_spans as (

    -- A dossier is overdue and open at the end E of a month (its last second) when it was
    -- received by E, due before E, and neither finished nor withdrawn by E (kpi-decisions
    -- 6): at the month ends from the month of max(received_at, due_at + 1 s) up to, not
    -- including, the month of the earlier of finished_at and withdrawn_at (timestamps are
    -- whole seconds). Only late or open dossiers can be overdue, which keeps the on-time
    -- majority out.
    select
        current_agency_code,
        cast(greatest(
            date_trunc('month', received_at),
            date_trunc('month', due_at + interval 1 second)
        ) as date) as first_overdue_month,
        cast(date_trunc('month', least(finished_at, withdrawn_at)) as date) as closed_month

    from {{ ref('fct_dossiers') }}

    where
        received_at is not null
        and due_at is not null
        and (finished_at is null or finished_at > due_at)
        and (withdrawn_at is null or withdrawn_at > due_at)

),

overdue_steps as (

    -- +1 from the first month end a dossier is overdue and open at, -1 from the month it
    -- closes in; the running sum over the months is the count at each month end.
    select
        current_agency_code,
        first_overdue_month as month_start,
        1 as overdue_change
    from overdue_spans
    where closed_month is null or closed_month > first_overdue_month

    union all

    select
        current_agency_code,
        closed_month as month_start,
        -1 as overdue_change
    from overdue_spans
    where closed_month > first_overdue_month

),

overdue_changes as (

    select
        current_agency_code,
        month_start,
        sum(overdue_change) as overdue_change

    from overdue_steps

    group by current_agency_code, month_start

),

overdue_agencies as (

    select distinct current_agency_code from overdue_changes

),

overdue_open as (

    select
        overdue_agencies.current_agency_code,
        calendar_months.month_start,
        sum(coalesce(overdue_changes.overdue_change, 0)) over (
            partition by overdue_agencies.current_agency_code
            order by calendar_months.month_start
            rows between unbounded preceding and current row
        ) as overdue_open_at_month_end

    from overdue_agencies
    cross join calendar_months
    left join overdue_changes
        on
            overdue_agencies.current_agency_code = overdue_changes.current_agency_code
            and calendar_months.month_start = overdue_changes.month_start

),

components as (

    select * from received
    union all by name
    select * from finished
    union all by name
    select * from overdue_open

),

final as (

    select
        cast(month_start as date) as month_start,
        cast(current_agency_code as varchar) as current_agency_code,
        cast(sum(dossiers_received) as bigint) as dossiers_received,
        cast(sum(received_online) as bigint) as received_online,
        cast(sum(received_by_post) as bigint) as received_by_post,
        cast(sum(received_fee_bearing) as bigint) as received_fee_bearing,
        cast(sum(received_fee_bearing_paid_online) as bigint) as received_fee_bearing_paid_online,
        cast(sum(dossiers_finished) as bigint) as dossiers_finished,
        cast(sum(finished_with_due) as bigint) as finished_with_due,
        cast(sum(finished_on_time) as bigint) as finished_on_time,
        cast(sum(processing_seconds) as hugeint) as processing_seconds,
        cast(sum(processing_count) as bigint) as processing_count,
        cast(sum(finished_result_by_post) as bigint) as finished_result_by_post,
        cast(sum(overdue_open_at_month_end) as bigint) as overdue_open_at_month_end

    from components

    group by month_start, current_agency_code

)

select * from final
