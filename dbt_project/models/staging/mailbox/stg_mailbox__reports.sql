with

source as (

    select * from {{ source('mailbox', 'reports') }}

),

renamed as (

    select
        cast({{ adapter.quote('Mã đơn vị') }} as string) as agency_code,
        cast({{ adapter.quote('Tên đơn vị') }} as string) as agency_name,
        cast({{ adapter.quote('Kỳ báo cáo') }} as date) as report_month,
        cast({{ adapter.quote('Tổng số hộp thư đã cấp') }} as bigint) as mailboxes_issued_total,
        cast({{ adapter.quote('Số hộp thư đang sử dụng') }} as bigint) as mailboxes_active,
        cast({{ adapter.quote('Cấp mới trong kỳ') }} as bigint) as mailboxes_new,
        cast({{ adapter.quote('Thu hồi trong kỳ') }} as bigint) as mailboxes_revoked,
        cast(_source_file as string) as source_file,
        cast(_source_line as bigint) as source_line,
        cast(_load_id as bigint) as load_id,
        cast(_loaded_at as timestamp) as loaded_at

    from source

),

deduplicated as (

    -- kpi-decisions 4: a later file corrects an earlier one for the same agency and month
    -- (path order, then the last line).
    select *
    from renamed
    qualify row_number() over (
        partition by agency_code, report_month
        order by source_file desc, source_line desc
    ) = 1

),

final as (

    select
        agency_code,
        agency_name,
        report_month,
        cast(year(report_month) as integer) as report_year,
        mailboxes_issued_total,
        mailboxes_active,
        mailboxes_new,
        mailboxes_revoked,
        source_file,
        source_line,
        load_id,
        loaded_at

    from deduplicated

)

select * from final
