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

{#- The rows of `upstream` (a per-dossier model built before this one, with `_max_load_id`) that
    the changed dossiers of this model can have there: those loaded after this model's watermark
    (`loaded_after(processed_load_id())`), once `upstream` has processed the last portal load
    (its own highest `_max_load_id` reaches the highest load id in stg_portal__dossier_changes);
    `true` (every row) before that, as when this model is built alone ahead of its upstream, so
    that a changed dossier is never looked up among rows that do not have it yet. -#}
{% macro upstream_loaded_after(upstream) -%}
{%- set watermark = processed_load_id() -%}
{%- if watermark is none -%}
{{ return('true') }}
{%- endif -%}
{%- set upstream_watermark = run_query('select max(_max_load_id) from ' ~ upstream).columns[0].values()[0] -%}
{%- set last_load = run_query(
    'select max(load_id) from ' ~ ref('stg_portal__dossier_changes')
).columns[0].values()[0] -%}
{%- if upstream_watermark is none or last_load is none or upstream_watermark < last_load -%}
{{ return('true') }}
{%- endif -%}
{{ return(loaded_after(watermark)) }}
{%- endmacro %}

{#- Whether the agency of some dossier of this incremental per-dossier model (its `agency_code`
    and `current_agency_code` columns) now resolves to another agency of today's structure: the
    agency catalogue changed (a merger, a correction). Asked once per build over the distinct
    agency pairs (0.05-0.08 s at 30M events), so that a build without such a change does not
    look for moved dossiers among every row (which cost 0.16 s, and up to 1.3 s where DuckDB
    planned it beside a join with fct_dossiers). Call inside `{% if is_incremental() %}`. -#}
{% macro agencies_moved() -%}
{%- if not execute -%}
{{ return(true) }}
{%- endif -%}
{%- set moved -%}
    select count(*)
    from (select distinct agency_code, current_agency_code from {{ this }}) as processed
    {{ moved_agency_join() }}
{%- endset -%}
{{ return(run_query(moved).columns[0].values()[0] > 0) }}
{%- endmacro %}

{#-
    The dossiers of an incremental per-dossier model whose agency now resolves to another agency
    of today's structure (agencies_moved(); none when `moved` is false). Call inside
    `{% if is_incremental() %}`.
-#}
{% macro moved_agency_dossiers_select(moved=none) -%}
    {%- if moved is none %}{% set moved = agencies_moved() %}{% endif %}
    select processed.dossier_code
    from {{ this }} as processed
    {%- if moved %}
    {{ moved_agency_join() }}
    {%- else %}
    where false  -- no agency moved (agencies_moved)
    {%- endif %}
{%- endmacro %}

{#- The rows of `processed` (agency_code, current_agency_code) whose agency now resolves to another
    agency of today's structure: the one definition of "moved", for agencies_moved() and
    moved_agency_dossiers_select(). -#}
{% macro moved_agency_join() -%}
    left join {{ ref('int_agencies_resolved') }} as resolved
        on processed.agency_code = resolved.agency_code
    where
        processed.current_agency_code
        is distinct from coalesce(resolved.current_agency_code, processed.agency_code)
{%- endmacro %}
