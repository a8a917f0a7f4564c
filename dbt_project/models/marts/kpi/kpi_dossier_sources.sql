{{
    config(
        materialized=dossier_fact_materialization(),
        unique_key='dossier_code',
        incremental_strategy='dossier_replace',
        on_schema_change='append_new_columns',
        post_hook="{% if is_incremental() %}delete from {{ this }} where source_file is null{% endif %}",
    )
}}

{#-
    Lineage of the dossier figures: one row per deduplicated portal event (the copy that won,
    kpi-decisions 2) with the landing file and line it came from. A dossier of
    kpi_dossier_flags was built from exactly its rows here.

    Incremental like fct_dossiers: the dossiers listed in raw_portal.dossier_changes by loads
    after the last one processed (`_max_load_id`) are recomputed and replaced (delete+insert
    on dossier_code; `dossier_replace` finds a row per event of them by `_dossier_key` first,
    macros/dossier_key.sql); a changed dossier left without events comes out as one empty
    row, which removes its old rows and is itself removed by the post-hook. Without a
    watermark every dossier is recomputed.
-#}

-- Built after fct_dossiers (it reads its `_max_load_id`), not beside it: both de-duplicate
-- every portal event on a full build, and two such passes at once share dbt's memory limit.
-- changed_dossiers_select() reads these on an incremental build:
-- depends_on: {{ ref('stg_portal__dossier_changes') }}

with

{% if is_incremental() %}
changed_dossiers as (

    {{ changed_dossiers_select() }}

),

dossier_keys as (

    select distinct dossier_code from changed_dossiers

),
{% endif %}

events as (

    {% if is_incremental() %}
    -- stg_portal__events' SQL on the raw events of the changed dossiers only (as in
    -- fct_dossiers: a filter on the view would come after its dedupe over every event).
    {{ portal_events_select(changed='changed_dossiers') }}
    {% else %}
    select * from {{ ref('stg_portal__events') }}
    {% endif %}

),

load_ids as (

    -- Each dossier's last load (the incremental watermark), as fct_dossiers computed it from
    -- the same events (the highest load id among their copies, or among the loads that
    -- deleted some of them); reading it here instead of grouping the load id of every raw
    -- event by dossier once more. A changed dossier left without events is not in
    -- fct_dossiers: its one empty row is removed by the post-hook anyway.
    select
        dossier_code,
        _max_load_id as max_load_id

    from {{ ref('fct_dossiers') }}
    {% if is_incremental() %}
    where
        dossier_code in (select dossier_keys.dossier_code from dossier_keys)
        and {{ upstream_loaded_after(ref('fct_dossiers')) }}  -- older row groups skipped
    {% endif %}

),

final as (

    select
        cast({{ 'dossier_keys' if is_incremental() else 'events' }}.dossier_code as string) as dossier_code,
        cast(events.status as integer) as status,
        cast(events.event_at as timestamp) as event_at,
        cast(events.source_file as string) as source_file,
        cast(events.source_line as bigint) as source_line,
        cast(load_ids.max_load_id as bigint) as _max_load_id,
        {{ dossier_key_column('events.dossier_key', 'dossier_keys.dossier_code') }} as _dossier_key,
        {{ built_at() }} as _built_at

    from {{ 'dossier_keys' if is_incremental() else 'events' }}
    {% if is_incremental() %}
    left join events
        on dossier_keys.dossier_code = events.dossier_code
    {% endif %}
    left join load_ids
        on {{ 'dossier_keys' if is_incremental() else 'events' }}.dossier_code = load_ids.dossier_code

)

select * from final
