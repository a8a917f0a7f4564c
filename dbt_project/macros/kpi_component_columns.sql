{#-
    The two component columns of one indicator in an int_kpi_values_<group> model, read by
    kpi_components: `<code>__numerator` and `<code>__denominator`, both DOUBLE.
      count        numerator = the value (0 when nothing qualifies), denominator NULL
      ratio        numerator / denominator = the value; 0 / 0 when nothing qualifies
      mean (days)  numerator = the sum of the durations in days, denominator = their count
-#}
{% macro kpi_component_columns(code, numerator, denominator=none) -%}
    cast(coalesce({{ numerator }}, 0) as double) as {{ code }}__numerator,
        {% if denominator is none -%}
        cast(null as double) as {{ code }}__denominator
        {%- else -%}
        cast(coalesce({{ denominator }}, 0) as double) as {{ code }}__denominator
        {%- endif %}
{%- endmacro %}


{#-
    For kpi_components: the component columns of one group's indicators, and the same as
    an UNPIVOT list, `(<code>__numerator, <code>__denominator) as '<code>', ...`.
-#}
{% macro kpi_component_column_list(group) -%}
    {%- for code in kpi_indicator_codes(group) -%}
        {{ code }}__numerator, {{ code }}__denominator{{ ", " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{% macro kpi_component_unpivot_list(group) -%}
    {%- for code in kpi_indicator_codes(group) -%}
        ({{ code }}__numerator, {{ code }}__denominator) as {{ unpivot_alias(code) }}{{ ", " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
