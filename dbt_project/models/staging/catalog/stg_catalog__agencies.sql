with

source as (

    select * from {{ source('catalog', 'agencies') }}

),

renamed as (

    select
        cast({{ adapter.quote('MaDonVi') }} as string) as agency_code,
        cast({{ adapter.quote('TenDonVi') }} as string) as agency_name,
        cast({{ adapter.quote('Cap') }} as string) as agency_level,
        cast({{ adapter.quote('MaDonViCha') }} as string) as parent_agency_code,
        cast({{ adapter.quote('HieuLucTu') }} as date) as valid_from,
        cast({{ adapter.quote('HieuLucDen') }} as date) as valid_to,
        cast({{ adapter.quote('MaDonViKeThua') }} as string) as successor_agency_code,
        cast(_source_file as string) as source_file,
        cast(_source_line as bigint) as source_line,
        cast(_load_id as bigint) as load_id,
        cast(_loaded_at as timestamp) as loaded_at

    from source

),

deduplicated as (

    -- kpi-decisions 5: one row per agency code, the last in path order / line wins.
    select *
    from renamed
    qualify row_number() over (
        partition by agency_code
        order by source_file desc, source_line desc
    ) = 1

),

final as (

    select
        agency_code,
        agency_name,
        agency_level,
        case agency_level
            when 'tinh' then 'province'
            when 'huyen' then 'district'
            when 'xa' then 'commune'
        end as agency_level_name,
        parent_agency_code,
        valid_from,
        valid_to,
        successor_agency_code,
        source_file,
        source_line,
        load_id,
        loaded_at

    from deduplicated

)

select * from final
