{#-
    The agencies' contributions to a province change add up to it (to rounding), and every
    province figure with a value and a prior value outside the catalogue has contributions.
    Returns the (period, indicator) that break this.
-#}
with

sums as (

    select
        period_type,
        year,
        period,
        indicator,
        sum(contribution) as contributions,
        max(province_change) as province_change

    from {{ ref('kpi_contributions') }}

    group by period_type, year, period, indicator

),

changes as (

    select
        kpi_periodic.period_type,
        kpi_periodic.year,
        kpi_periodic.period,
        kpi_periodic.indicator,
        kpi_periodic.change_abs

    from {{ ref('kpi_periodic') }} as kpi_periodic
    inner join {{ ref('dim_indicators') }} as indicators
        on kpi_periodic.indicator = indicators.indicator

    where
        kpi_periodic.scope = 'province'
        and kpi_periodic.change_abs is not null
        and indicators.indicator_group <> 'catalog'

)

select
    changes.*,
    sums.contributions

from changes
left join sums
    on
        changes.period_type = sums.period_type
        and changes.year = sums.year
        and changes.period = sums.period
        and changes.indicator = sums.indicator

where
    sums.contributions is null
    or abs(sums.contributions - changes.change_abs) > 1e-9 * greatest(1.0, abs(changes.change_abs))
