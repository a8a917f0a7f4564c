{#-
    Custom schemas are used as they are (`staging`, `intermediate`, `marts`, `kpi`), not
    prefixed with the target schema: the warehouse is one private DuckDB file per
    environment, so there is nothing to keep apart inside it.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
