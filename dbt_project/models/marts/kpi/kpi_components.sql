{#-
    What every figure of kpi_periodic is made of: one row per (period_type, year, period,
    scope, scope_code, indicator) of kpi_periodic, with
      ratio        numerator and denominator, value = numerator / denominator (NULL on 0);
      mean (days)  numerator = the sum of the durations in days, denominator = their count;
      count        numerator = the value, denominator NULL.
    Taken from the same aggregates as the values (the `<indicator>__numerator` and
    `__denominator` columns of int_kpi_values_<group>), never computed a second time.
    Besides kpi_periodic's rows (in_kpi_periodic), the agency rows that carry part of a
    province figure without a figure of their own (overdue open dossiers of an agency
    without a portal event in the period; in_kpi_periodic false): with them the agencies'
    numerators add up to the province's, which kpi_contributions needs.
-#}

with

{% for group in ['portal', 'postal', 'mailbox', 'catalog'] %}
{{ group }}_columns as (

    select
        period_type,
        year,
        period,
        scope,
        scope_code,
        has_figure,
        {{ kpi_component_column_list(group) }}

    from {{ ref('int_kpi_values_' ~ group) }}

),

{{ group }}_components as (

    select
        period_type,
        year,
        period,
        scope,
        scope_code,
        has_figure,
        indicator,
        numerator,
        denominator

    from {{ group }}_columns
    unpivot include nulls (
        (numerator, denominator) for indicator in ({{ kpi_component_unpivot_list(group) }})
    )

),

{% endfor %}
components as (

    select * from portal_components
    union all
    select * from postal_components
    union all
    select * from mailbox_components
    union all
    select * from catalog_components

),

final as (

    select
        cast(period_type as string) as period_type,
        cast(year as integer) as year,
        cast(period as integer) as period,
        cast(scope as string) as scope,
        cast(scope_code as string) as scope_code,
        cast(indicator as string) as indicator,
        cast(has_figure as boolean) as in_kpi_periodic,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator

    from components

)

select * from final
