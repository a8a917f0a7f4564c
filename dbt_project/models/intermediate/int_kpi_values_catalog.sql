{#-
    Catalogue indicators, province scope only, for every period any other indicator has.
    The catalogue is read on the period's last day (31 Dec Y becomes the last day of W): a
    procedure counts at a level when any of its rows in force that day has that level
    (kpi-decisions 18), once per month end whatever the period types ending there. "Used
    online in W" is a dossier received in W through channel 2 (kpi-decisions 10), from the
    months in which each procedure had one.
-#}

with

procedure_periods as (

    select * from {{ ref('dim_procedures') }}

),

period_months as (

    select * from {{ ref('int_kpi_period_months') }}

),

scope_periods as (

    select * from {{ ref('int_kpi_scope_periods') }}

    where indicator_group = 'catalog'

),

period_ends as (

    select distinct period_end from scope_periods

),

procedures_in_force as (

    select
        period_ends.period_end,
        procedure_periods.procedure_code,
        bool_or(procedure_periods.service_level = 3) as is_level3,
        bool_or(procedure_periods.service_level = 4) as is_level4,
        bool_or(procedure_periods.service_level in (3, 4)) as is_online_service

    from period_ends
    inner join procedure_periods
        on
            period_ends.period_end >= procedure_periods.valid_from
            and (
                procedure_periods.valid_to is null
                or period_ends.period_end <= procedure_periods.valid_to
            )

    group by period_ends.period_end, procedure_periods.procedure_code

),

used_online_months as (

    select distinct
        cast(date_trunc('month', received_at) as date) as month_start,
        procedure_code

    from {{ ref('fct_dossiers') }}

    where received_at is not null and channel = 2

),

used_online as (

    select distinct
        period_months.period_type,
        period_months.year,
        period_months.period,
        used_online_months.procedure_code

    from used_online_months
    inner join period_months
        on used_online_months.month_start = period_months.month_start

),

aggregated as (

    select
        scope_periods.period_type,
        scope_periods.year,
        scope_periods.period,
        count(*) filter (where procedures_in_force.is_level3) as level3,
        count(*) filter (where procedures_in_force.is_level4) as level4,
        count(*) filter (where procedures_in_force.is_online_service) as online_services,
        count(*) filter (
            where procedures_in_force.is_online_service and used_online.procedure_code is not null
        ) as online_services_used

    from scope_periods
    inner join procedures_in_force
        on scope_periods.period_end = procedures_in_force.period_end
    left join used_online
        on
            scope_periods.period_type = used_online.period_type
            and scope_periods.year = used_online.year
            and scope_periods.period = used_online.period
            and procedures_in_force.procedure_code = used_online.procedure_code

    group by scope_periods.period_type, scope_periods.year, scope_periods.period

),

final as (

    select
        scope_periods.period_type,
        scope_periods.year,
        scope_periods.period,
        scope_periods.scope,
        scope_periods.scope_code,
        cast(coalesce(aggregated.level3, 0) as double) as online_services_level3,
        cast(coalesce(aggregated.level4, 0) as double) as online_services_level4,
        aggregated.online_services_used / nullif(aggregated.online_services, 0) as online_services_used_rate

    from scope_periods
    left join aggregated
        on
            scope_periods.period_type = aggregated.period_type
            and scope_periods.year = aggregated.year
            and scope_periods.period = aggregated.period

)

select * from final
