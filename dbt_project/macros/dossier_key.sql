{#-
    A dossier's key: an integer the incremental per-dossier models find a dossier's rows by
    before they compare the codes themselves. A semi-join on an integer column costs a fraction
    of one on the codes, which DuckDB has to decompress for every row: at 30M events, the
    changed dossiers' raw events 0.78 -> 0.20 CPU-s, their rows of kpi_dossier_sources deleted
    0.73 -> 0.20 CPU-s (docs/scaling.md). Not an identifier: two codes can share a key (31
    bits of MD5), so every lookup by key is followed by one by code.

    The loader stores it with each raw portal event (`_dossier_key`, sources/portal.py,
    DOSSIER_KEY_SQL); this macro computes the same value, for the changed dossiers (a test
    holds the two together: tests/test_dbt_macros.py). MD5, not hash(): stored keys must
    match keys computed by a later DuckDB version. DuckDB only: Spark builds these models as
    tables, never incrementally, and reads the stored keys from the lake.
-#}
{% macro dossier_key(dossier_code) -%}
    cast(md5_number({{ dossier_code }}) >> 97 as integer)
{%- endmacro %}

{#- A per-dossier model's `_dossier_key`: on a full build `stored`, the key read from upstream
    (which has it from the raw events, where the loader computed it; a full refresh of one model
    alone needs its upstream built since the key exists, as `dbt build` orders it); on an
    incremental build the key of `dossier_code`, computed for the changed dossiers only (also
    those left without events, whose empty row finds their old rows by it, and whatever the
    upstream table holds: a model may be built ahead of its upstream). -#}
{% macro dossier_key_column(stored, dossier_code) -%}
    {%- if is_incremental() -%}
    {{ dossier_key(dossier_code) }}
    {%- else -%}
    {{ stored }}
    {%- endif -%}
{%- endmacro %}

{#-
    incremental_strategy='dossier_replace': delete+insert on dossier_code, for the per-dossier
    models, which carry `_dossier_key` (fct_dossiers, kpi_dossier_flags, kpi_dossier_lineage:
    a row per dossier, 6.6M at 30M events; kpi_dossier_sources: a row per event, 30M). The
    rows to replace are found by key first (only their row ids are read), then by code; dbt's
    delete+insert compares the code of every row. Rows written before the column existed
    (on_schema_change appends it empty) get their key first: a no-op once they have one
    (DuckDB skips the row groups without NULLs).
-#}
{% macro get_incremental_dossier_replace_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    update {{ target }}
    set _dossier_key = {{ dossier_key('dossier_code') }}
    where _dossier_key is null;

    delete from {{ target }}
    where
        rowid in (
            select rowid from {{ target }}
            where _dossier_key in (select _dossier_key from {{ source }})
        )
        and dossier_code in (select dossier_code from {{ source }});

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }};
{%- endmacro %}
