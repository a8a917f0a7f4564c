{#-
    Every kpi_periodic figure has its components (the rows in_kpi_periodic, and no other)
    and they make it: a count's numerator is
    its value; a ratio's or mean's numerator / denominator is its value (to the last bits
    of a double: a mean's numerator is a sum of days, the value one division of seconds),
    and a zero denominator goes with a NULL value. Returns the rows that break this.
-#}

with

figures as (

    select * from {{ ref('kpi_periodic') }}

),

components as (

    select * from {{ ref('kpi_components') }}

    where in_kpi_periodic

)

select
    coalesce(figures.period_type, components.period_type) as period_type,
    coalesce(figures.year, components.year) as year,
    coalesce(figures.period, components.period) as period,
    coalesce(figures.scope_code, components.scope_code) as scope_code,
    coalesce(figures.indicator, components.indicator) as indicator,
    figures.value,
    components.numerator,
    components.denominator

from figures
full outer join components
    on
        figures.period_type = components.period_type
        and figures.year = components.year
        and figures.period = components.period
        and figures.scope = components.scope
        and figures.scope_code = components.scope_code
        and figures.indicator = components.indicator

where
    figures.indicator is null
    or components.indicator is null
    or not coalesce(
        case
            when components.denominator is null then figures.value = components.numerator
            when components.denominator = 0 then figures.value is null
            else
                abs(figures.value - components.numerator / components.denominator)
                <= 1e-12 * greatest(1.0, abs(figures.value))
        end,
        false
    )
