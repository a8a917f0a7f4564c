{#-
    On Spark the raw layer is the Parquet lake (sources/lake.py), declared at the start of every
    invocation (on-run-start) under the raw schemas' names, so that `source()` means the same
    table on both engines. The list of tables, their columns and folders comes from parkpi in
    PARKPI_LAKE_TABLES (built from the source registry): declared, not inferred, so a table
    without rows yet still has its columns. On DuckDB the sources are the raw tables themselves.
-#}
{% macro register_lake_tables() %}
    {{ return(adapter.dispatch('register_lake_tables', 'parkpi')()) }}
{% endmacro %}

{% macro default__register_lake_tables() %}{% endmacro %}

{% macro spark__register_lake_tables() %}
    {%- if execute -%}
        {%- set tables = fromjson(env_var('PARKPI_LAKE_TABLES', '[]')) -%}
        {%- if not tables -%}
            {{ exceptions.raise_compiler_error(
                "PARKPI_LAKE_TABLES is not set: run the Spark target through `parkpi run --engine spark`, "
                ~ "which writes the lake and declares its tables (docs/scaling.md)"
            ) }}
        {%- endif -%}
        {%- for table in tables -%}
            {%- set name = table.schema ~ '.' ~ table.table -%}
            {%- set columns = [] -%}
            {%- for column in table.columns -%}
                {%- do columns.append('`' ~ column[0] | replace('`', '``') ~ '` ' ~ column[1]) -%}
            {%- endfor -%}
            {% do run_query('create database if not exists ' ~ table.schema) %}
            {% do run_query('drop table if exists ' ~ name) %}
            {% do run_query(
                'create table ' ~ name ~ ' (' ~ columns | join(', ') ~ ') using parquet'
                ~ (' partitioned by (' ~ table.partitioned_by | join(', ') ~ ')' if table.partitioned_by else '')
                ~ " location '" ~ table.location | replace("\\", "\\\\") | replace("'", "\\'") ~ "'"
            ) %}
            {%- if table.partitioned_by %}
            {#- the partitions on disk now (Spark lists them once, into its catalogue) #}
            {% do run_query('alter table ' ~ name ~ ' recover partitions') %}
            {%- endif %}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
