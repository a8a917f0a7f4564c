{#-
    The dossiers an incremental per-dossier model (fct_dossiers, kpi_dossier_sources) must
    recompute: those listed in raw_portal.dossier_changes by loads after the last one the model
    processed (its highest `_max_load_id`). Without such a watermark (the table is empty, or
    nothing in it carries a load id) every dossier: all of stg_portal__events, the model
    itself and the change list. Call inside `{% if is_incremental() %}`.
-#}
{% macro changed_dossiers_select() -%}
{%- set watermark = processed_load_id() -%}
{% if watermark is none %}
    select dossier_code from {{ ref('stg_portal__events') }}
    union
    select dossier_code from {{ this }}
    union
    select dossier_code from {{ ref('stg_portal__dossier_changes') }}
{% else %}
    select dossier_code
    from {{ ref('stg_portal__dossier_changes') }}
    where load_id > {{ watermark }}
{% endif %}
{%- endmacro %}

{#- The last portal load an incremental per-dossier model processed: the highest `_max_load_id`
    in it (none: no watermark yet, or not executing). A model built after fct_dossiers in the
    same command may read only its rows with a higher `_max_load_id` for the changed dossiers:
    fct_dossiers has just processed every load, and a dossier listed by a load after the
    watermark has that load or a later one as its `_max_load_id` there. Rows are appended per
    build (a full refresh writes only ids up to its watermark), so DuckDB skips the older row
    groups by their zone maps. -#}
{% macro processed_load_id() -%}
{%- if not execute -%}
{{ return(none) }}
{%- endif -%}
{{ return(run_query('select max(_max_load_id) from ' ~ this).columns[0].values()[0]) }}
{%- endmacro %}

{#- A condition on a row's `_max_load_id`: after the watermark (`true` without one). -#}
{% macro loaded_after(watermark) -%}
    {%- if watermark is none -%}true{%- else -%}_max_load_id > {{ watermark }}{%- endif -%}
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
