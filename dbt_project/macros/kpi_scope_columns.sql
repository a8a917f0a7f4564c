{#-
    Inside a `group by grouping sets ((year, <agency>), (year))`: the agency grouping gives
    scope 'agency' with the agency code, the year-only grouping the province total 'ALL'.
-#}
{% macro kpi_scope_columns(agency_column) -%}
    case when grouping({{ agency_column }}) = 1 then 'province' else 'agency' end as scope,
        case when grouping({{ agency_column }}) = 1 then 'ALL' else {{ agency_column }} end as scope_code
{%- endmacro %}
