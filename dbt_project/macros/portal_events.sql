{#-
    The body of stg_portal__events: portal events renamed, cast and de-duplicated
    (kpi-decisions 2). One definition, used by the staging view and by fct_dossiers'
    incremental branch, which passes `raw_filter` (a condition on the raw columns, e.g. on
    "MaHoSo") so that only the events of the changed dossiers are de-duplicated, instead of
    every event of every year. A filter on the dossier code cannot change the outcome of the
    dedupe: a dossier's copies of an event all share its code (it is in the partition key).
-#}
{% macro portal_events_select(raw_filter=none) %}

with

source as (

    select * from {{ source('portal', 'events') }}
    {%- if raw_filter %}
    where {{ raw_filter }}
    {%- endif %}

),

renamed as (

    select
        cast({{ adapter.quote('MaHoSo') }} as string) as dossier_code,
        cast({{ adapter.quote('MaTTHC') }} as string) as procedure_code,
        cast({{ adapter.quote('MaDonVi') }} as string) as agency_code,
        cast({{ adapter.quote('KenhThucHien') }} as integer) as channel,
        cast({{ adapter.quote('MucDo') }} as integer) as service_level,
        cast({{ adapter.quote('TrangThaiHoSo') }} as integer) as status,
        cast({{ adapter.quote('ThoiDiem') }} as timestamp) as event_at,
        cast({{ adapter.quote('NgayHenTra') }} as timestamp) as due_at,
        cast({{ adapter.quote('HinhThucTra') }} as integer) as return_method,
        cast({{ adapter.quote('DuocThanhToanTrucTuyen') }} as integer) as paid_online_code,
        cast({{ adapter.quote('LoaiDoiTuong') }} as integer) as applicant_type,
        cast({{ adapter.quote('_source_file') }} as string) as source_file,
        cast({{ adapter.quote('_source_line') }} as bigint) as source_line,
        cast({{ adapter.quote('_load_id') }} as bigint) as load_id,
        cast({{ adapter.quote('_loaded_at') }} as timestamp) as loaded_at

    from source

),

deduplicated as (

    -- kpi-decisions 2: the same event (dossier, status, time) counts once; when copies
    -- differ, the copy from the file last in path order (byte-wise, DuckDB's default
    -- binary collation) wins, then the last line of that file.
    -- copies_max_load_id: the highest load id among the event's copies (the winner's and
    -- the dropped ones'), so that fct_dossiers finds each dossier's last load (its
    -- watermark) in this pass instead of grouping every raw event once more. Same partition
    -- as the dedupe: DuckDB computes both in one window pass.
    select
        *,
        max(load_id) over (partition by dossier_code, status, event_at) as copies_max_load_id
    from renamed
    qualify row_number() over (
        partition by dossier_code, status, event_at
        order by source_file desc, source_line desc
    ) = 1

),

final as (

    select
        dossier_code,
        procedure_code,
        agency_code,
        channel,
        {{ portal_channel_name('channel') }} as channel_name,
        service_level,
        status,
        case status
            when 1 then 'newly registered'
            when 2 then 'received'
            when 3 then 'not accepted'
            when 4 then 'processing'
            when 5 then 'supplement requested'
            when 6 then 'fee requested'
            when 7 then 'withdrawn by applicant'
            when 8 then 'processing stopped'
            when 9 then 'processed'
            when 10 then 'result returned'
        end as status_name,
        event_at,
        cast(year(event_at) as integer) as event_year,
        due_at,
        return_method,
        case return_method
            when 0 then 'at the desk'
            when 1 then 'public postal service'
            when 2 then 'online'
        end as return_method_name,
        paid_online_code,
        case paid_online_code
            when 0 then 'not paid online'
            when 1 then 'national portal'
            when 2 then 'provincial gateway'
        end as paid_online_name,
        applicant_type,
        case applicant_type
            when 1 then 'citizen'
            when 2 then 'business'
            when 3 then 'state agency'
            when 4 then 'other organisation'
        end as applicant_type_name,
        source_file,
        source_line,
        load_id,
        copies_max_load_id,
        loaded_at

    from deduplicated

)

select * from final

{% endmacro %}

{#- English label of a channel code (`KenhThucHien`). -#}
{% macro portal_channel_name(column) -%}
    case {{ column }}
            when 1 then 'in person'
            when 2 then 'online'
            when 3 then 'public postal service'
        end
{%- endmacro %}
