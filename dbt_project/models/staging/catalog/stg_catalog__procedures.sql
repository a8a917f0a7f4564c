with

source as (

    select * from {{ source('catalog', 'procedures') }}

),

renamed as (

    select
        cast({{ adapter.quote('MaTTHC') }} as string) as procedure_code,
        cast({{ adapter.quote('TenTTHC') }} as string) as procedure_name,
        cast({{ adapter.quote('MaLinhVuc') }} as string) as field_code,
        cast({{ adapter.quote('TenLinhVuc') }} as string) as field_name,
        cast({{ adapter.quote('CapThucHien') }} as string) as handling_level,
        cast({{ adapter.quote('MucDo') }} as integer) as service_level,
        cast({{ adapter.quote('CoPhiLePhi') }} as integer) as fee_code,
        cast({{ adapter.quote('HieuLucTu') }} as date) as valid_from,
        cast({{ adapter.quote('HieuLucDen') }} as date) as valid_to,
        cast(_source_file as string) as source_file,
        cast(_source_line as bigint) as source_line,
        cast(_load_id as bigint) as load_id,
        cast(_loaded_at as timestamp) as loaded_at

    from source

),

deduplicated as (

    -- kpi-decisions 5: one row per procedure period (code, start day), the last in path
    -- order / line wins.
    select *
    from renamed
    qualify row_number() over (
        partition by procedure_code, valid_from
        order by source_file desc, source_line desc
    ) = 1

),

final as (

    select
        procedure_code,
        valid_from,
        valid_to,
        procedure_name,
        field_code,
        field_name,
        handling_level,
        case handling_level
            when 'tinh' then 'province'
            when 'huyen' then 'district'
            when 'xa' then 'commune'
        end as handling_level_name,
        service_level,
        fee_code,
        coalesce(fee_code = 1, false) as has_fee,
        source_file,
        source_line,
        load_id,
        loaded_at

    from deduplicated

)

select * from final
