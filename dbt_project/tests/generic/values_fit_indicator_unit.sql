{#-
    Each KPI value fits its indicator's unit (from dim_indicators): a ratio lies in [0, 1],
    a count is a whole number >= 0. Days may be negative (kpi-decisions 7) and are not checked.
    `exclude_indicators` leaves out indicators whose range the source data does not
    guarantee (they get their own, warning-level, test).
-#}
{% test values_fit_indicator_unit(
    model, column_name, indicators, indicator_column='indicator', exclude_indicators=[]
) %}

with

kpi_values as (

    select
        {{ indicator_column }} as indicator,
        {{ column_name }} as kpi_value

    from {{ model }}

),

indicators as (

    select
        indicator,
        unit

    from {{ indicators }}
    {%- if exclude_indicators %}
    where indicator not in ('{{ exclude_indicators | join("', '") }}')
    {%- endif %}

)

select
    kpi_values.indicator,
    indicators.unit,
    kpi_values.kpi_value

from kpi_values
inner join indicators
    on kpi_values.indicator = indicators.indicator

where
    (indicators.unit = 'ratio' and (kpi_values.kpi_value < 0 or kpi_values.kpi_value > 1))
    or (
        indicators.unit = 'count'
        and (kpi_values.kpi_value < 0 or kpi_values.kpi_value <> round(kpi_values.kpi_value))
    )

{% endtest %}
