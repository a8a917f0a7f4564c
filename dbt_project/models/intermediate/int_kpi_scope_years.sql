{{ config(materialized='table') }}

{#-
    Which (year, scope, scope_code) rows each indicator group has ("Which years have a figure" in
    docs/indicators.md; kpi-decisions 14 and 15):
    portal  - a valid event in Y (agency: of a dossier whose agency fact resolves to it);
    postal  - a shipment accepted in Y (agency: its Mã đơn vị, resolved);
    mailbox - a report month in Y (agency: reported by it or a predecessor);
    catalog - every province year of the three others; no agency scope.
-#}

with

dossier_event_years as (

    select
        current_agency_code,
        unnest(event_years) as year

    from {{ ref('fct_dossiers') }}

),

portal as (

    select distinct
        'portal' as indicator_group,
        year,
        'agency' as scope,
        current_agency_code as scope_code

    from dossier_event_years

    union all

    select distinct
        'portal' as indicator_group,
        year,
        'province' as scope,
        'ALL' as scope_code

    from dossier_event_years

),

shipments as (

    select
        accepted_year as year,
        current_agency_code

    from {{ ref('fct_postal_shipments') }}

),

postal as (

    select distinct
        'postal' as indicator_group,
        year,
        'agency' as scope,
        current_agency_code as scope_code

    from shipments

    union all

    select distinct
        'postal' as indicator_group,
        year,
        'province' as scope,
        'ALL' as scope_code

    from shipments

),

positions as (

    select
        report_year as year,
        current_agency_code

    from {{ ref('fct_mailbox_positions') }}

),

mailbox as (

    select distinct
        'mailbox' as indicator_group,
        year,
        'agency' as scope,
        current_agency_code as scope_code

    from positions

    union all

    select distinct
        'mailbox' as indicator_group,
        year,
        'province' as scope,
        'ALL' as scope_code

    from positions

),

sourced as (

    select * from portal
    union all
    select * from postal
    union all
    select * from mailbox

),

catalog as (

    select distinct
        'catalog' as indicator_group,
        year,
        'province' as scope,
        'ALL' as scope_code

    from sourced

    where scope = 'province'

),

final as (

    select
        cast(indicator_group as varchar) as indicator_group,
        cast(year as integer) as year,
        cast(scope as varchar) as scope,
        cast(scope_code as varchar) as scope_code

    from (
        select * from sourced
        union all
        select * from catalog
    ) as all_groups

)

select * from final
