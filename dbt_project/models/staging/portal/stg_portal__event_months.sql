{#-
    The month of every valid portal event, with its dossier, duplicates included: which
    months have an event does not depend on which copy of a duplicate wins, so this skips
    stg_portal__events' dedupe. Read only for the few dossiers whose event months
    fct_dossiers' bits cannot name (int_kpi_scope_months): a join with no such dossier ends
    the scan after its first rows.
-#}

with

source as (

    select * from {{ source('portal', 'events') }}

),

renamed as (

    select
        cast({{ adapter.quote('MaHoSo') }} as string) as dossier_code,
        cast(date_trunc('month', cast({{ adapter.quote('ThoiDiem') }} as timestamp)) as date) as event_month

    from source

)

select * from renamed
