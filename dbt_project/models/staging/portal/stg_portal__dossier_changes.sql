with

-- Dossiers a portal load touched: those it inserted events for (raw events carry their
-- load id) and those whose events it deleted (a changed or removed landing file), which the
-- loader records in raw_portal.dossier_changes because the rows themselves are gone.

inserted as (

    select
        "_load_id",
        "MaHoSo"

    from {{ source('portal', 'events') }}

),

deleted as (

    select
        "_load_id",
        "MaHoSo"

    from {{ source('portal', 'dossier_changes') }}

),

renamed as (

    select
        cast("_load_id" as bigint) as load_id,
        cast("MaHoSo" as varchar) as dossier_code

    from inserted

    union all

    select
        cast("_load_id" as bigint) as load_id,
        cast("MaHoSo" as varchar) as dossier_code

    from deleted

),

final as (

    -- A load may list a dossier more than once; once is enough to recompute it.
    select distinct
        load_id,
        dossier_code

    from renamed

)

select * from final
