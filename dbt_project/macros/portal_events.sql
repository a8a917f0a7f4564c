{#-
    The body of stg_portal__events: portal events renamed, cast and de-duplicated
    (kpi-decisions 2). One definition, used by the staging view and by the incremental branches
    of fct_dossiers and kpi_dossier_sources, which pass `changed` (the name of a CTE with the
    changed dossiers' `dossier_code`) so that only those dossiers' events are de-duplicated,
    instead of every event of every year. A filter on the dossier code cannot change the
    outcome of the dedupe: a dossier's copies of an event all share its code (it is in the
    partition key).
-#}
{% macro portal_events_select(changed=none) %}

{%- set events_relation -%}
    {%- if changed -%}filtered_events{%- else -%}({{ portal_events_renamed() }}){%- endif -%}
{%- endset %}

with

{% if changed %}
filtered_events as materialized (

    -- The changed dossiers' raw events, read once: a few hundred thousand rows that the
    -- branches below would otherwise each find again in a scan of every event (a semi-join
    -- on the dossier code does not reach the table scan; 1.1-1.4 -> 0.8 CPU-s for fct_dossiers at
    -- 10M events, docs/scaling.md).
    {{ portal_events_renamed(changed) }}

),
{% endif %}

copies as (

    -- The events (dossier, status, time) that came more than once: few (a re-exported file,
    -- a correction), and only they need the ordering of their copies below. Grouping three
    -- narrow columns of every event costs a fraction of ordering every event with all its
    -- columns, which spilled beyond dbt's memory limit from 30M events on (docs/scaling.md):
    -- 15.5 -> 6.3 s at 10M events, 22.5 -> 8.4 s with a third of the memory. The key columns
    -- are required by the contract (never NULL: a row without them is rejected at loading).
    select
        dossier_code,
        status,
        event_at,
        max(load_id) as copies_max_load_id

    from {{ events_relation }} as events
    group by dossier_code, status, event_at
    having count(*) > 1

),

deduplicated as (

    -- kpi-decisions 2: the same event (dossier, status, time) counts once; when copies
    -- differ, the copy from the file last in path order (byte-wise, DuckDB's default
    -- binary collation) wins, then the last line of that file.
    -- copies_max_load_id: the highest load id among the event's copies (the winner's and
    -- the dropped ones'), so that fct_dossiers finds each dossier's last load (its
    -- watermark) in this pass instead of grouping every raw event once more.
    -- The events with one copy pass as they are; the raw events are read (not a CTE) in
    -- each branch, so that no engine materialises them whole (all of them, without a
    -- `changed`; the filtered ones are few and read once).
    select
        events.*,
        events.load_id as copies_max_load_id

    from {{ events_relation }} as events
    left join copies
        on
            events.dossier_code = copies.dossier_code
            and events.status = copies.status
            and events.event_at = copies.event_at
    where copies.dossier_code is null

    union all

    select
        events.*,
        copies.copies_max_load_id

    from {{ events_relation }} as events
    inner join copies
        on
            events.dossier_code = copies.dossier_code
            and events.status = copies.status
            and events.event_at = copies.event_at
    qualify row_number() over (
        partition by events.dossier_code, events.status, events.event_at
        order by events.source_file desc, events.source_line desc
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
        loaded_at,
        dossier_key

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

{#- The raw portal events renamed and cast (a select, no CTE), optionally only those of the
    dossiers in `changed` (portal_events_select; DuckDB only, as the incremental branches that
    pass it: it selects by `rowid` and macros/dossier_key.sql). -#}
{% macro portal_events_renamed(changed=none) %}
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
        cast({{ adapter.quote('_loaded_at') }} as timestamp) as loaded_at,
        cast({{ adapter.quote('_dossier_key') }} as integer) as dossier_key

    from {{ source('portal', 'events') }}
    {%- if changed %}
    -- The changed dossiers' rows by their row ids: the lookup reads only the key column of
    -- every event (an integer: a lookup by code decompresses every code), the other columns
    -- are fetched for the matching rows, whose codes then decide (at 30M events 0.20 against
    -- 0.78 CPU-s by code alone, itself 0.9 against 1.2-1.9 CPU-s for a filter on a scan that
    -- carries every column; docs/scaling.md).
    where
        rowid in (
            select rowid from {{ source('portal', 'events') }}
            where {{ adapter.quote('_dossier_key') }} in (
                select {{ dossier_key(changed ~ '.dossier_code') }} from {{ changed }}
            )
        )
        and {{ adapter.quote('MaHoSo') }} in (select {{ changed }}.dossier_code from {{ changed }})
    {%- endif %}
{% endmacro %}
