{#-
    The columns of a wide KPI table (kpi_yearly_wide, kpi_periodic_wide): per indicator, in
    the contract's order, its value and its prior value (`<indicator>_prior`), pivoted from a
    long table with `indicator`, `value` and `prior_value` inside a GROUP BY of the key.
-#}
{% macro kpi_wide_columns() -%}
    {%- for code in kpi_indicator_codes() %}
        max(value) filter (where indicator = '{{ code }}') as {{ code }},
        max(prior_value) filter (where indicator = '{{ code }}') as {{ code }}_prior
        {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
