{#-
    The published periodic KPI table of docs/indicators.md ("Periods"): one row per
    (period_type, year, period, scope, scope_code, indicator) for the periods in which the
    indicator's source has data, with the figure of the same period of Y-1 (same type and
    number) at the same scope, the change and the trend. kpi_yearly is its ytd 12 rows.
-#}

with

indicators as (

    select
        indicator,
        better

    from {{ ref('dim_indicators') }}

),

periods as (

    select
        period_type,
        year,
        period,
        period_start,
        period_end

    from {{ ref('int_kpi_period_months') }}

    where is_last_month

),

{% for group in ['portal', 'postal', 'mailbox', 'catalog'] %}
{{ group }}_values as (

    select
        period_type,
        year,
        period,
        scope,
        scope_code,
        indicator,
        indicator_value as value

    from (
        select
            period_type,
            year,
            period,
            scope,
            scope_code,
            {{ kpi_indicator_codes(group) | join(', ') }}
        from {{ ref('int_kpi_values_' ~ group) }}
        where has_figure
    )
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

    -- The figure for the same period of Y-1 at the same scope; NULL when it has no row.
    select
        current_period.period_type,
        current_period.year,
        current_period.period,
        current_period.scope,
        current_period.scope_code,
        current_period.indicator,
        current_period.value,
        prior_period.value as prior_value

    from kpi_values as current_period
    left join kpi_values as prior_period
        on
            current_period.period_type = prior_period.period_type
            and current_period.period = prior_period.period
            and current_period.year - 1 = prior_period.year
            and current_period.scope = prior_period.scope
            and current_period.scope_code = prior_period.scope_code
            and current_period.indicator = prior_period.indicator

),

final as (

    select
        cast(with_prior.period_type as string) as period_type,
        cast(with_prior.year as integer) as year,
        cast(with_prior.period as integer) as period,
        cast(periods.period_start as date) as period_start,
        cast(periods.period_end as date) as period_end,
        cast(with_prior.scope as string) as scope,
        cast(with_prior.scope_code as string) as scope_code,
        cast(with_prior.indicator as string) as indicator,
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
            end as string
        ) as trend

    from with_prior
    inner join periods
        on
            with_prior.period_type = periods.period_type
            and with_prior.year = periods.year
            and with_prior.period = periods.period
    left join indicators
        on with_prior.indicator = indicators.indicator

)

select * from final
order by period_type asc, year asc, period asc, scope desc, scope_code asc, indicator asc
