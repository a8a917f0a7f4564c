with

-- Dossiers a portal load touched: those it inserted events for (raw events carry their
-- load id) and those whose events it deleted (a changed or removed landing file), which the
-- loader records in raw_portal.dossier_changes because the rows themselves are gone.

inserted as (

    select
        _load_id,
        {{ adapter.quote('MaHoSo') }}

    from {{ source('portal', 'events') }}

),

deleted as (

    select
        _load_id,
        {{ adapter.quote('MaHoSo') }}

    from {{ source('portal', 'dossier_changes') }}

),

renamed as (

    select
        cast(_load_id as bigint) as load_id,
        cast({{ adapter.quote('MaHoSo') }} as string) as dossier_code,
        false as is_deletion

    from inserted

    union all

    select
        cast(_load_id as bigint) as load_id,
        cast({{ adapter.quote('MaHoSo') }} as string) as dossier_code,
        true as is_deletion

    from deleted

),

final as (

    -- No DISTINCT: a load lists a dossier once per event, and every consumer takes a max or
    -- an IN over it; de-duplicating 10M pairs here cost a full build seconds for nothing.
    select
        load_id,
        dossier_code,
        is_deletion

    from renamed

)

select * from final
