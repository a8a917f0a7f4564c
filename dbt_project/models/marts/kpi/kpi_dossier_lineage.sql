{{
    config(
        materialized=dossier_fact_materialization(),
        unique_key='dossier_code',
        incremental_strategy='dossier_replace',
        on_schema_change='append_new_columns',
        post_hook="{% if is_incremental() %}delete from {{ this }} where sources is null{% endif %}",
    )
}}

{#-
    Lineage per dossier: one row per dossier of kpi_dossier_sources with its landing lines as
    one list of {file, line}, in file then line order. What `parkpi explain` lists for a
    dossier (serving/explain/lineage.py); kept here so that an explanation joins the period's
    dossiers to one row each instead of grouping and sorting every event of them (a whole
    year's province figure at 10M events: 1.9 CPU-s of 5). BI tools use the flat
    kpi_dossier_sources.

    Incremental like kpi_dossier_sources (whose rows it groups): the dossiers listed by loads
    after the last one processed are regrouped and replaced (delete+insert on dossier_code); a
    changed dossier left without lines comes out as one row without sources, which removes its
    old row and is itself removed by the post-hook.
-#}

-- changed_dossiers_select() reads these on an incremental build:
-- depends_on: {{ ref('stg_portal__events') }}
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

source_lines as (

    select * from {{ ref('kpi_dossier_sources') }}
    {% if is_incremental() %}
    where
        dossier_code in (select dossier_keys.dossier_code from dossier_keys)
        -- the changed dossiers' rows carry a later load (upstream_loaded_after): older row
        -- groups are skipped, not scanned for their dossier codes
        and {{ upstream_loaded_after(ref('kpi_dossier_sources')) }}
    {% endif %}

),

lineage as (

    select
        dossier_code,
        {{ sorted_file_lines('source_file', 'source_line') }} as sources,
        max(_max_load_id) as max_load_id,
        -- the stored key, on a full build (dossier_key_column: an incremental one computes it)
        {{ 'cast(null as integer)' if is_incremental() else 'min(_dossier_key)' }} as dossier_key

    from source_lines
    group by dossier_code

),

final as (

    select
        cast({{ 'dossier_keys' if is_incremental() else 'lineage' }}.dossier_code as string) as dossier_code,
        lineage.sources,
        cast(lineage.max_load_id as bigint) as _max_load_id,
        {{ dossier_key_column('lineage.dossier_key', 'dossier_keys.dossier_code') }} as _dossier_key,
        {{ built_at() }} as _built_at

    from {{ 'dossier_keys' if is_incremental() else 'lineage' }}
    {% if is_incremental() %}
    left join lineage
        on dossier_keys.dossier_code = lineage.dossier_code
    {% endif %}

)

select * from final
