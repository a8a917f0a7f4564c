{#-
    The published table of the plan's targets (docs/indicators.md, "Targets"): one row per
    target that passed the contract, beside the kpi_yearly value for the same year, scope
    and indicator, the gap and whether the target is met ("better" higher and volumes:
    value >= target; lower: value <= target; NULL without a value).
-#}

with

targets as (

    select * from {{ ref('stg_catalog__targets') }}

),

kpi_yearly as (

    select * from {{ ref('kpi_yearly') }}

),

indicators as (

    select
        indicator,
        better

    from {{ ref('dim_indicators') }}

),

final as (

    select
        cast(targets.year as integer) as year,
        cast(targets.scope as string) as scope,
        cast(targets.scope_code as string) as scope_code,
        cast(targets.indicator as string) as indicator,
        cast(targets.target as double) as target,
        cast(kpi_yearly.value as double) as value,
        cast(kpi_yearly.value - targets.target as double) as gap,
        cast(
            case
                when kpi_yearly.value is null then null
                when indicators.better = 'lower' then kpi_yearly.value <= targets.target
                else kpi_yearly.value >= targets.target
            end as boolean
        ) as target_met

    from targets
    left join kpi_yearly
        on
            targets.year = kpi_yearly.year
            and targets.scope = kpi_yearly.scope
            and targets.scope_code = kpi_yearly.scope_code
            and targets.indicator = kpi_yearly.indicator
    left join indicators
        on targets.indicator = indicators.indicator

)

select * from final
order by year asc, scope desc, scope_code asc, indicator asc
