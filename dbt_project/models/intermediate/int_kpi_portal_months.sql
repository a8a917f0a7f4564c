{{ config(materialized='table') }}

{#-
    The portal indicators' monthly components per (month, agency in today's structure):
    additive counts, numerators, denominators and sums of seconds, so that a period's
    figure is the sum over its months (int_kpi_values_portal), and the point-in-time count
    of overdue open dossiers at each month's last second, which is that of every period
    ending with the month. Province figures are sums over the agencies. Every component is
    a count or a sum of kpi_dossier_flags' rows: which dossier counts where is decided
    there, once. Each branch reads the table itself, not a shared CTE, which DuckDB would
    materialise with every column any branch needs (6.6M rows at 30M events): 0.59-0.65 ->
    0.44-0.46 CPU-s at 30M events.
-#}

with

calendar_months as (

    select distinct month_start from {{ ref('int_kpi_period_months') }}

),

received as (

    select
        received_month as month_start,
        current_agency_code,
        count(*) as dossiers_received,
        count(*) filter (where received_online) as received_online,
        count(*) filter (where received_by_post) as received_by_post,
        count(*) filter (where received_fee_bearing) as received_fee_bearing,
        count(*) filter (where received_fee_bearing_paid_online) as received_fee_bearing_paid_online

    from {{ ref('kpi_dossier_flags') }}

    where received_month is not null

    group by received_month, current_agency_code

),

finished as (

    select
        finished_month as month_start,
        current_agency_code,
        count(*) as dossiers_finished,
        count(*) filter (where finished_with_due) as finished_with_due,
        count(*) filter (where finished_on_time) as finished_on_time,
        -- Whole seconds: exact integer sums, so a mean does not depend on row order.
        sum(processing_seconds) as processing_seconds,
        count(processing_seconds) as processing_count,
        count(*) filter (where finished_result_by_post) as finished_result_by_post

    from {{ ref('kpi_dossier_flags') }}

    where finished_month is not null

    group by finished_month, current_agency_code

),

overdue_steps as (

    -- +1 from the first month end a dossier is overdue and open at, -1 from the month it
    -- closes in; the running sum over the months is the count at each month end.
    select
        current_agency_code,
        overdue_from_month as month_start,
        1 as overdue_change
    from {{ ref('kpi_dossier_flags') }}
    where overdue_from_month is not null

    union all

    select
        current_agency_code,
        overdue_until_month as month_start,
        -1 as overdue_change
    from {{ ref('kpi_dossier_flags') }}
    where overdue_until_month is not null

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

    -- Each CTE's columns, the others NULL (a union by name, which Spark's SQL does not have).
    select
        month_start,
        current_agency_code,
        dossiers_received,
        received_online,
        received_by_post,
        received_fee_bearing,
        received_fee_bearing_paid_online,
        null as dossiers_finished,
        null as finished_with_due,
        null as finished_on_time,
        null as processing_seconds,
        null as processing_count,
        null as finished_result_by_post,
        null as overdue_open_at_month_end
    from received

    union all

    select
        month_start,
        current_agency_code,
        null as dossiers_received,
        null as received_online,
        null as received_by_post,
        null as received_fee_bearing,
        null as received_fee_bearing_paid_online,
        dossiers_finished,
        finished_with_due,
        finished_on_time,
        processing_seconds,
        processing_count,
        finished_result_by_post,
        null as overdue_open_at_month_end
    from finished

    union all

    select
        month_start,
        current_agency_code,
        null as dossiers_received,
        null as received_online,
        null as received_by_post,
        null as received_fee_bearing,
        null as received_fee_bearing_paid_online,
        null as dossiers_finished,
        null as finished_with_due,
        null as finished_on_time,
        null as processing_seconds,
        null as processing_count,
        null as finished_result_by_post,
        overdue_open_at_month_end
    from overdue_open

),

final as (

    select
        cast(month_start as date) as month_start,
        cast(current_agency_code as string) as current_agency_code,
        cast(sum(dossiers_received) as bigint) as dossiers_received,
        cast(sum(received_online) as bigint) as received_online,
        cast(sum(received_by_post) as bigint) as received_by_post,
        cast(sum(received_fee_bearing) as bigint) as received_fee_bearing,
        cast(sum(received_fee_bearing_paid_online) as bigint) as received_fee_bearing_paid_online,
        cast(sum(dossiers_finished) as bigint) as dossiers_finished,
        cast(sum(finished_with_due) as bigint) as finished_with_due,
        cast(sum(finished_on_time) as bigint) as finished_on_time,
        cast(sum(processing_seconds) as {{ type_wide_integer() }}) as processing_seconds,
        cast(sum(processing_count) as bigint) as processing_count,
        cast(sum(finished_result_by_post) as bigint) as finished_result_by_post,
        cast(sum(overdue_open_at_month_end) as bigint) as overdue_open_at_month_end

    from components

    group by month_start, current_agency_code

)

select * from final
