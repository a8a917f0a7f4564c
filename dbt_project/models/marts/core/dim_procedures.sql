with

procedures as (

    select * from {{ ref('stg_catalog__procedures') }}

),

final as (

    select
        procedure_code || '@' || cast(valid_from as string) as procedure_period_key,
        procedure_code,
        valid_from,
        valid_to,
        valid_to is null as is_current_period,
        procedure_name,
        field_code,
        field_name,
        handling_level,
        handling_level_name,
        service_level,
        service_level in (3, 4) as is_online_service,
        fee_code,
        has_fee,
        source_file,
        source_line

    from procedures

)

select * from final
