{#-
    Each agency's contribution to the change of a province figure against the same period
    of Y-1, defined so that the contributions of the agencies add up to the province's
    change_abs in kpi_periodic:
      ratio or mean  num_a(W) / den(W) - num_a(W') / den(W'), den = the province's denominator;
      count          num_a(W) - num_a(W').
    W' is the same period of Y-1. One row per (period, indicator, agency with a row in W or
    W'), for the province figures that have both a value and a prior value; not for the
    three catalogue indicators, which have no agency rows. An agency without a row in a
    period has nothing there (0).
-#}

with

components as (

    select * from {{ ref('kpi_components') }}

),

province_changes as (

    select
        kpi_periodic.period_type,
        kpi_periodic.year,
        kpi_periodic.period,
        kpi_periodic.period_start,
        kpi_periodic.period_end,
        kpi_periodic.indicator,
        kpi_periodic.change_abs,
        indicators.unit

    from {{ ref('kpi_periodic') }} as kpi_periodic
    inner join {{ ref('dim_indicators') }} as indicators
        on kpi_periodic.indicator = indicators.indicator

    where
        kpi_periodic.scope = 'province'
        and kpi_periodic.value is not null
        and kpi_periodic.prior_value is not null
        and indicators.indicator_group <> 'catalog'

),

province_components as (

    select
        province_changes.*,
        current_province.denominator,
        prior_province.denominator as prior_denominator

    from province_changes
    inner join components as current_province
        on
            province_changes.period_type = current_province.period_type
            and province_changes.year = current_province.year
            and province_changes.period = current_province.period
            and province_changes.indicator = current_province.indicator
            and current_province.scope = 'province'
    inner join components as prior_province
        on
            province_changes.period_type = prior_province.period_type
            and province_changes.year - 1 = prior_province.year
            and province_changes.period = prior_province.period
            and province_changes.indicator = prior_province.indicator
            and prior_province.scope = 'province'

),

agency_numerators as (

    -- An agency's numerator in W (year) and in W' (year + 1 is the year it is prior to).
    select
        period_type,
        year,
        period,
        indicator,
        scope_code,
        numerator,
        0 as is_prior

    from components

    where scope = 'agency'

    union all

    select
        period_type,
        year + 1 as year,
        period,
        indicator,
        scope_code,
        numerator,
        1 as is_prior

    from components

    where scope = 'agency'

),

agency_pairs as (

    select
        period_type,
        year,
        period,
        indicator,
        scope_code,
        coalesce(sum(numerator) filter (where is_prior = 0), 0) as numerator,
        coalesce(sum(numerator) filter (where is_prior = 1), 0) as prior_numerator

    from agency_numerators

    group by period_type, year, period, indicator, scope_code

),

final as (

    select
        cast(province_components.period_type as string) as period_type,
        cast(province_components.year as integer) as year,
        cast(province_components.period as integer) as period,
        cast(province_components.period_start as date) as period_start,
        cast(province_components.period_end as date) as period_end,
        cast(province_components.indicator as string) as indicator,
        cast(agency_pairs.scope_code as string) as scope_code,
        cast(agency_pairs.numerator as double) as numerator,
        cast(agency_pairs.prior_numerator as double) as prior_numerator,
        cast(province_components.denominator as double) as province_denominator,
        cast(province_components.prior_denominator as double) as prior_province_denominator,
        cast(
            case
                when province_components.unit = 'count' then agency_pairs.numerator - agency_pairs.prior_numerator
                else
                    agency_pairs.numerator / province_components.denominator
                    - agency_pairs.prior_numerator / province_components.prior_denominator
            end as double
        ) as contribution,
        cast(province_components.change_abs as double) as province_change

    from province_components
    inner join agency_pairs
        on
            province_components.period_type = agency_pairs.period_type
            and province_components.year = agency_pairs.year
            and province_components.period = agency_pairs.period
            and province_components.indicator = agency_pairs.indicator

)

select * from final
