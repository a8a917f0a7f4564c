with

shipments as (

    select * from {{ ref('stg_postal__shipments') }}

),

dossiers as (

    select dossier_code from {{ ref('fct_dossiers') }}

),

agencies_resolved as (

    select * from {{ ref('int_agencies_resolved') }}

),

final as (

    select
        shipments.waybill_code,
        shipments.dossier_code,
        -- kpi-decisions 13: matched against every dossier with a valid event in any year.
        dossiers.dossier_code is not null as is_matched_dossier,
        shipments.service_type,
        shipments.service_type_label,
        shipments.service_type = 'result_return' as is_result_return,
        shipments.agency_code,
        coalesce(
            agencies_resolved.current_agency_code, shipments.agency_code
        ) as current_agency_code,
        shipments.accepted_at,
        shipments.accepted_year,
        shipments.delivered_at,
        shipments.status,
        shipments.status_label,
        shipments.is_final_status,
        shipments.status = 'delivered' as is_delivered,
        {{ seconds_between('shipments.accepted_at', 'shipments.delivered_at') }} as delivery_seconds,
        cast({{ seconds_between('shipments.accepted_at', 'shipments.delivered_at') }} as double)
        / 86400.0 as delivery_days,
        shipments.postage_vnd,
        shipments.source_file,
        shipments.source_line

    from shipments
    left join dossiers
        on shipments.dossier_code = dossiers.dossier_code
    left join agencies_resolved
        on shipments.agency_code = agencies_resolved.agency_code

)

select * from final
