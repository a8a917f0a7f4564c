{#-
    Catalogue indicators, province scope only, in every year any other indicator has.
    A procedure counts at a level when any of its rows in force on 31 December has that
    level (kpi-decisions 18).
-#}

with

procedure_periods as (

    select * from {{ ref('dim_procedures') }}

),

scope_years as (

    select
        year,
        scope,
        scope_code,
        make_date(year, 12, 31) as year_end_date

    from {{ ref('int_kpi_scope_years') }}

    where indicator_group = 'catalog'

),

procedures_in_force as (

    select
        scope_years.year,
        procedure_periods.procedure_code,
        bool_or(procedure_periods.service_level = 3) as is_level3,
        bool_or(procedure_periods.service_level = 4) as is_level4,
        bool_or(procedure_periods.service_level in (3, 4)) as is_online_service

    from scope_years
    inner join procedure_periods
        on
            scope_years.year_end_date >= procedure_periods.valid_from
            and (
                procedure_periods.valid_to is null
                or scope_years.year_end_date <= procedure_periods.valid_to
            )

    group by scope_years.year, procedure_periods.procedure_code

),

used_online as (

    -- kpi-decisions 10: a dossier received in Y through channel 2 for the procedure.
    select distinct
        received_year as year,
        procedure_code

    from {{ ref('fct_dossiers') }}

    where received_at is not null and channel = 2

),

aggregated as (

    select
        procedures_in_force.year,
        count(*) filter (where procedures_in_force.is_level3) as level3,
        count(*) filter (where procedures_in_force.is_level4) as level4,
        count(*) filter (where procedures_in_force.is_online_service) as online_services,
        count(*) filter (
            where procedures_in_force.is_online_service and used_online.procedure_code is not null
        ) as online_services_used

    from procedures_in_force
    left join used_online
        on
            procedures_in_force.year = used_online.year
            and procedures_in_force.procedure_code = used_online.procedure_code

    group by procedures_in_force.year

),

final as (

    select
        scope_years.year,
        scope_years.scope,
        scope_years.scope_code,
        cast(coalesce(aggregated.level3, 0) as double) as online_services_level3,
        cast(coalesce(aggregated.level4, 0) as double) as online_services_level4,
        aggregated.online_services_used
        / nullif(aggregated.online_services, 0) as online_services_used_rate

    from scope_years
    left join aggregated
        on scope_years.year = aggregated.year

)

select * from final
