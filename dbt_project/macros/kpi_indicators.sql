{#-
    The 19 indicators of docs/indicators.md, in that page's order, as listed once in
    dbt_project.yml (`vars: kpi_indicators`, where the Python loader reads them too): a list
    of mappings with code, group, unit, better, name_vi, name_en, definition.
    dim_indicators renders this list; the KPI models use it to (un)pivot.

    group   = the source whose data decides which periods have a row
    better  = higher | lower | none (volumes, "–" in the contract)
-#}
{% macro kpi_indicators() %}
    {{ return(var('kpi_indicators')) }}
{% endmacro %}


{#- Codes of the indicators of one group (portal, postal, mailbox, catalog) and/or unit. -#}
{% macro kpi_indicator_codes(group=none, unit=none) %}
    {%- set codes = [] -%}
    {%- for indicator in kpi_indicators() -%}
        {%- if (group is none or indicator.group == group) and (unit is none or indicator.unit == unit) -%}
            {%- do codes.append(indicator.code) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(codes) }}
{% endmacro %}
