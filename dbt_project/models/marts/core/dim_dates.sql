with

scope_years as (

    select year(month_start) as year from {{ ref('int_kpi_scope_months') }}

),

bounds as (

    -- The configured span, widened to every year that has KPI data.
    select
        least(
            cast('{{ var("date_spine_start") }}' as date),
            coalesce(make_date(min(year), 1, 1), cast('{{ var("date_spine_start") }}' as date))
        ) as first_day,
        greatest(
            cast('{{ var("date_spine_end") }}' as date),
            coalesce(make_date(max(year), 12, 31), cast('{{ var("date_spine_end") }}' as date))
        ) as last_day

    from scope_years

),

days as (

    select {{ date_series('first_day', 'last_day') }} as date_day
    from bounds

),

final as (

    select
        date_day,
        cast(year(date_day) as integer) as year,
        cast(quarter(date_day) as integer) as quarter,
        cast(month(date_day) as integer) as month,
        {{ month_name('date_day') }} as month_name,
        cast(day(date_day) as integer) as day_of_month,
        cast({{ iso_day_of_week('date_day') }} as integer) as iso_day_of_week,
        {{ day_name('date_day') }} as day_name,
        {{ iso_day_of_week('date_day') }} in (6, 7) as is_weekend,
        cast(date_trunc('month', date_day) as date) as month_start,
        month(date_day) = 12 and day(date_day) = 31 as is_year_end,
        -- "End of Y" in the KPI contract: 31 December, 23:59:59.
        make_timestamp(year(date_day), 12, 31, 23, 59, 59) as year_end_at

    from days

)

select * from final
