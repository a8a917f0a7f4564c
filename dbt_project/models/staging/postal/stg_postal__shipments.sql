with

source as (

    select * from {{ source('postal', 'shipments') }}

),

renamed as (

    select
        cast({{ adapter.quote('Mã bưu gửi') }} as string) as waybill_code,
        cast({{ adapter.quote('Mã hồ sơ') }} as string) as dossier_code,
        cast({{ adapter.quote('Loại dịch vụ') }} as string) as service_type_label,
        cast({{ adapter.quote('Mã đơn vị') }} as string) as agency_code,
        cast({{ adapter.quote('Ngày chấp nhận') }} as timestamp) as accepted_at,
        cast({{ adapter.quote('Ngày phát') }} as timestamp) as delivered_at,
        cast({{ adapter.quote('Trạng thái') }} as string) as status_label,
        cast({{ adapter.quote('Cước (VNĐ)') }} as bigint) as postage_vnd,
        cast(_source_file as string) as source_file,
        cast(_source_line as bigint) as source_line,
        cast(_load_id as bigint) as load_id,
        cast(_loaded_at as timestamp) as loaded_at

    from source

),

decoded as (

    select
        *,
        case service_type_label
            when 'Chuyển phát hồ sơ' then 'dossier_delivery'
            when 'Chuyển trả kết quả' then 'result_return'
        end as service_type,
        case status_label
            when 'Phát thành công' then 'delivered'
            when 'Phát không thành công' then 'delivery_failed'
            when 'Chuyển hoàn' then 'returned_to_sender'
            when 'Đang vận chuyển' then 'in_transit'
        end as status,
        status_label <> 'Đang vận chuyển' as is_final_status

    from renamed

),

deduplicated as (

    -- kpi-decisions 3: per waybill a final status beats in transit; among equals the file
    -- last in path order wins, then the last line of that file.
    select *
    from decoded
    qualify row_number() over (
        partition by waybill_code
        order by is_final_status desc, source_file desc, source_line desc
    ) = 1

),

final as (

    select
        waybill_code,
        dossier_code,
        service_type,
        service_type_label,
        agency_code,
        accepted_at,
        cast(year(accepted_at) as integer) as accepted_year,
        delivered_at,
        status,
        status_label,
        is_final_status,
        postage_vnd,
        source_file,
        source_line,
        load_id,
        loaded_at

    from deduplicated

)

select * from final
