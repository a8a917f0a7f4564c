{#-
    The published KPI table of docs/indicators.md: one row per (year, scope, scope_code,
    indicator), with the figure of Y-1 at the same scope and the change and trend.
-#}

with

indicators as (

    select
        indicator,
        better

    from {{ ref('dim_indicators') }}

),

{% for group in ['portal', 'postal', 'mailbox', 'catalog'] %}
{{ group }}_values as (

    select
        year,
        scope,
        scope_code,
        indicator,
        indicator_value as value

    from {{ ref('int_kpi_values_' ~ group) }}
    unpivot include nulls (
        indicator_value for indicator in ({{ kpi_indicator_codes(group) | join(', ') }})
    )

),

{% endfor %}
kpi_values as (

    select * from portal_values
    union all
    select * from postal_values
    union all
    select * from mailbox_values
    union all
    select * from catalog_values

),

with_prior as (

    -- The figure for Y-1 at the same scope; NULL when that year has no row.
    select
        current_year.year,
        current_year.scope,
        current_year.scope_code,
        current_year.indicator,
        current_year.value,
        prior_year.value as prior_value

    from kpi_values as current_year
    left join kpi_values as prior_year
        on
            current_year.year - 1 = prior_year.year
            and current_year.scope = prior_year.scope
            and current_year.scope_code = prior_year.scope_code
            and current_year.indicator = prior_year.indicator

),

final as (

    select
        cast(with_prior.year as integer) as year,
        cast(with_prior.scope as varchar) as scope,
        cast(with_prior.scope_code as varchar) as scope_code,
        cast(with_prior.indicator as varchar) as indicator,
        cast(with_prior.value as double) as value,
        cast(with_prior.prior_value as double) as prior_value,
        cast(with_prior.value - with_prior.prior_value as double) as change_abs,
        cast(
            case
                when with_prior.prior_value is null or with_prior.prior_value = 0 then null
                else (with_prior.value - with_prior.prior_value) / with_prior.prior_value
            end as double
        ) as change_pct,
        cast(
            case
                when indicators.better not in ('higher', 'lower') then null
                when with_prior.value is null or with_prior.prior_value is null then null
                when with_prior.value = with_prior.prior_value then 'unchanged'
                when (with_prior.value > with_prior.prior_value) = (indicators.better = 'higher')
                    then 'improved'
                else 'worsened'
            end as varchar
        ) as trend

    from with_prior
    left join indicators
        on with_prior.indicator = indicators.indicator

)

select * from final
order by year asc, scope desc, scope_code asc, indicator asc
