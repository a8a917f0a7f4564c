{{ config(materialized='table') }}

{#-
    The months in which each indicator group's source has data, per scope: the building
    block of "which periods have a row" (docs/indicators.md, "Periods"; kpi-decisions 14, 15):
    portal  - a valid event in the month (agency: of a dossier whose agency fact resolves to it);
    postal  - a shipment accepted in the month (agency: its Mã đơn vị, resolved);
    mailbox - a report month (agency: reported by it or a predecessor).
    The catalogue group has no months of its own (int_kpi_scope_periods).
-#}

with

dossier_month_spans as (

    -- Dossiers with the same agency, first and last event month and month bits name the
    -- same months: grouping them first leaves a few thousand rows to unfold.
    select
        current_agency_code,
        year(first_event_at) * 12 + month(first_event_at) - 1 as first_month_number,
        year(last_event_at) * 12 + month(last_event_at) - 1 as last_month_number,
        event_month_bits

    from {{ ref('fct_dossiers') }}

    group by all

),

short_spans as (

    -- Over a span of at most 64 months no two months share a bit.
    select
        current_agency_code,
        event_month_bits,
        {{ integer_list('first_month_number', 'last_month_number + 1') }} as span_month_numbers

    from dossier_month_spans

    where last_month_number - first_month_number < 64

),

dossier_months_from_bits as (

    -- Bit (month number mod 64) is set for every month with an event.
    select distinct
        short_spans.current_agency_code,
        month_numbers.month_number

    from short_spans
    cross join lateral {{ unnest_list('short_spans.span_month_numbers') }} as month_numbers (month_number)

    where {{ month_bit_is_set('short_spans.event_month_bits', 'month_numbers.month_number') }}

),

long_span_dossiers as (

    -- Events 64 months or more apart: the bits are ambiguous, the events are read again.
    select
        dossier_code,
        current_agency_code

    from {{ ref('fct_dossiers') }}

    where
        (year(last_event_at) * 12 + month(last_event_at))
        - (year(first_event_at) * 12 + month(first_event_at)) >= 64

),

dossier_months_from_events as (

    select distinct
        long_span_dossiers.current_agency_code,
        year(event_months.event_month) * 12 + month(event_months.event_month) - 1 as month_number

    from long_span_dossiers
    inner join {{ ref('stg_portal__event_months') }} as event_months
        on long_span_dossiers.dossier_code = event_months.dossier_code

),

dossier_months as (

    select * from dossier_months_from_bits
    union
    select * from dossier_months_from_events

),

portal_agency_months as (

    select
        'portal' as indicator_group,
        make_date(
            cast({{ integer_divide('month_number', 12) }} as integer), cast(month_number % 12 + 1 as integer), 1
        ) as month_start,
        current_agency_code

    from dossier_months

),

postal_agency_months as (

    select distinct
        'postal' as indicator_group,
        cast(date_trunc('month', accepted_at) as date) as month_start,
        current_agency_code

    from {{ ref('fct_postal_shipments') }}

),

mailbox_agency_months as (

    select distinct
        'mailbox' as indicator_group,
        report_month as month_start,
        current_agency_code

    from {{ ref('fct_mailbox_positions') }}

),

agency_months as (

    select * from portal_agency_months
    union all
    select * from postal_agency_months
    union all
    select * from mailbox_agency_months

),

final as (

    select
        cast(indicator_group as string) as indicator_group,
        cast(month_start as date) as month_start,
        cast('agency' as string) as scope,
        cast(current_agency_code as string) as scope_code

    from agency_months

    union all

    select distinct
        cast(indicator_group as string) as indicator_group,
        cast(month_start as date) as month_start,
        cast('province' as string) as scope,
        cast('ALL' as string) as scope_code

    from agency_months

)

select * from final
