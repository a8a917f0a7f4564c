{#-
    The dossiers an incremental per-dossier model (fct_dossiers, kpi_dossier_sources) must
    recompute: those listed in raw_portal.dossier_changes by loads after the last one the model
    processed (its highest `_max_load_id`). Without such a watermark (the table is empty, or
    nothing in it carries a load id) every dossier: all of stg_portal__events, the model
    itself and the change list. Call inside `{% if is_incremental() %}`.
-#}
{% macro changed_dossiers_select() -%}
{%- set processed_load_id = none -%}
{%- if execute -%}
{%- set watermark_query = 'select max(_max_load_id) from ' ~ this -%}
{%- set processed_load_id = run_query(watermark_query).columns[0].values()[0] -%}
{%- endif -%}
{% if processed_load_id is none %}
    select dossier_code from {{ ref('stg_portal__events') }}
    union
    select dossier_code from {{ this }}
    union
    select dossier_code from {{ ref('stg_portal__dossier_changes') }}
{% else %}
    select dossier_code
    from {{ ref('stg_portal__dossier_changes') }}
    where load_id > {{ processed_load_id }}
{% endif %}
{%- endmacro %}

{#-
    The dossiers of an incremental per-dossier model (its `agency_code` and `current_agency_code`
    columns) whose agency now resolves to another agency of today's structure: the agency
    catalogue changed (a merger, a correction). Call inside `{% if is_incremental() %}`.
-#}
{% macro moved_agency_dossiers_select() -%}
    select processed.dossier_code
    from {{ this }} as processed
    left join {{ ref('int_agencies_resolved') }} as resolved
        on processed.agency_code = resolved.agency_code
    where
        processed.current_agency_code
        is distinct from coalesce(resolved.current_agency_code, processed.agency_code)
{%- endmacro %}
