{{ config(materialized='table') }}

{#-
    The reporting periods of docs/indicators.md ("Periods") and the months each one spans:
    one row per (period_type, year, period, month in the window), for every year from the
    first to the last with data of any source. A period's window runs from period_start
    00:00:00 to period_end 23:59:59.

        month    period M: month M of Y
        quarter  period Q: months 3Q-2 to 3Q of Y
        ytd      period M: months 1 to M of Y ("M tháng đầu năm"; ytd 12 is the year)

    Every window is a run of whole months, so an additive figure over a window is the sum
    of its months, and a point-in-time figure ("end of W") is that of its last month.
-#}

with

years as (

    select {{ unnest_list(integer_list('min(year(month_start))', 'max(year(month_start)) + 1')) }} as year
    from {{ ref('int_kpi_scope_months') }}

),

month_numbers as (

    select {{ unnest_list(integer_list(1, 13)) }} as month_number

),

quarter_numbers as (

    select {{ unnest_list(integer_list(1, 5)) }} as quarter_number

),

windows as (

    -- (period_type, period, first month, last month) within one year
    select
        'month' as period_type,
        month_number as period,
        month_number as first_month_number,
        month_number as last_month_number
    from month_numbers

    union all

    select
        'quarter' as period_type,
        quarter_number as period,
        3 * quarter_number - 2 as first_month_number,
        3 * quarter_number as last_month_number
    from quarter_numbers

    union all

    select
        'ytd' as period_type,
        month_number as period,
        1 as first_month_number,
        month_number as last_month_number
    from month_numbers

),

period_months as (

    select
        windows.period_type,
        years.year,
        windows.period,
        make_date(cast(years.year as integer), cast(windows.first_month_number as integer), 1) as period_start,
        last_day(
            make_date(cast(years.year as integer), cast(windows.last_month_number as integer), 1)
        ) as period_end,
        make_date(cast(years.year as integer), cast(month_numbers.month_number as integer), 1) as month_start,
        month_numbers.month_number = windows.last_month_number as is_last_month

    from years
    cross join windows
    inner join month_numbers
        on month_numbers.month_number between windows.first_month_number and windows.last_month_number

),

final as (

    select
        cast(period_type as string) as period_type,
        cast(year as integer) as year,
        cast(period as integer) as period,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(month_start as date) as month_start,
        cast(is_last_month as boolean) as is_last_month

    from period_months

)

select * from final
