{#-
    One row per (period with a catalogue figure, procedure at service level 3 or 4 on the
    period's last day): the catalogue indicators' membership. A procedure counts at a level
    when any of its rows in force that day has that level (kpi-decisions 18); it was used
    online in the period when a dossier of it was received in the period through channel 2
    (kpi-decisions 10). int_kpi_values_catalog counts these rows; `parkpi explain` and BI
    tools list them.
-#}

with

procedure_periods as (

    select * from {{ ref('dim_procedures') }}

),

period_months as (

    select * from {{ ref('int_kpi_period_months') }}

),

catalog_periods as (

    select distinct
        period_type,
        year,
        period,
        period_end

    from {{ ref('int_kpi_scope_periods') }}

    where indicator_group = 'catalog'

),

period_ends as (

    select distinct period_end from catalog_periods

),

procedures_in_force as (

    -- Once per month end, whatever the period types ending there.
    select
        period_ends.period_end,
        procedure_periods.procedure_code,
        bool_or(procedure_periods.service_level = 3) as is_level3,
        bool_or(procedure_periods.service_level = 4) as is_level4

    from period_ends
    inner join procedure_periods
        on
            period_ends.period_end >= procedure_periods.valid_from
            and (
                procedure_periods.valid_to is null
                or period_ends.period_end <= procedure_periods.valid_to
            )

    group by period_ends.period_end, procedure_periods.procedure_code

    having bool_or(procedure_periods.service_level in (3, 4))

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

final as (

    select
        cast(catalog_periods.period_type as string) as period_type,
        cast(catalog_periods.year as integer) as year,
        cast(catalog_periods.period as integer) as period,
        cast(catalog_periods.period_end as date) as period_end,
        cast(procedures_in_force.procedure_code as string) as procedure_code,
        procedures_in_force.is_level3,
        procedures_in_force.is_level4,
        used_online.procedure_code is not null as is_used_online

    from catalog_periods
    inner join procedures_in_force
        on catalog_periods.period_end = procedures_in_force.period_end
    left join used_online
        on
            catalog_periods.period_type = used_online.period_type
            and catalog_periods.year = used_online.year
            and catalog_periods.period = used_online.period
            and procedures_in_force.procedure_code = used_online.procedure_code

)

select * from final
