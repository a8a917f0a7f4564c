{#-
    The plan's targets (catalog/targets.csv), one row per (year, indicator, scope code): the
    last line that passed the contract wins, last in path order, then line (a rejected line
    never reaches raw, so it replaces nothing). Ratios arrive as percentages (80 for 80%) and
    become fractions like the KPI tables' ratios; counts and days stay as written.
-#}

with

source as (

    select * from {{ source('catalog', 'targets') }}

),

renamed as (

    select
        cast({{ adapter.quote('Nam') }} as integer) as year,
        cast({{ adapter.quote('MaChiTieu') }} as string) as indicator,
        cast({{ adapter.quote('PhamVi') }} as string) as scope_code,
        cast({{ adapter.quote('GiaTri') }} as double) as target_as_written,
        cast({{ adapter.quote('GhiChu') }} as string) as note,
        cast(_source_file as string) as source_file,
        cast(_source_line as bigint) as source_line,
        cast(_load_id as bigint) as load_id,
        cast(_loaded_at as timestamp) as loaded_at

    from source

),

deduplicated as (

    select *
    from renamed
    qualify row_number() over (
        partition by year, indicator, scope_code
        order by source_file desc, source_line desc
    ) = 1

),

final as (

    select
        year,
        case when scope_code = 'ALL' then 'province' else 'agency' end as scope,
        scope_code,
        indicator,
        case
            {% for code in kpi_indicator_codes(unit='ratio') %}
            when indicator = '{{ code }}' then target_as_written / 100
            {% endfor %}
            else target_as_written
        end as target,
        target_as_written,
        note,
        source_file,
        source_line,
        load_id,
        loaded_at

    from deduplicated

)

select * from final
