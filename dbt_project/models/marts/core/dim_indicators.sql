{#- Rendered from the kpi_indicators() macro, the single list of the contract's indicators. -#}

with

indicators as (

    select indicators.*
    from (
        values
        {%- for indicator in kpi_indicators() %}
        (
            {{ loop.index }},
            '{{ indicator.code }}',
            '{{ indicator.name_vi | replace("'", "''") }}',
            '{{ indicator.name_en | replace("'", "''") }}',
            '{{ indicator.unit }}',
            '{{ indicator.better }}',
            '{{ indicator.group }}',
            '{{ "province" if indicator.group == "catalog" else "province,agency" }}',
            '{{ indicator.definition | replace("'", "''") }}'
        ){{ "," if not loop.last }}
        {%- endfor %}
    ) as indicators (
        display_order,
        indicator,
        name_vi,
        name_en,
        unit,
        better,
        indicator_group,
        scopes,
        definition
    )

),

final as (

    select
        cast(indicator as string) as indicator,
        cast(name_vi as string) as name_vi,
        cast(name_en as string) as name_en,
        cast(unit as string) as unit,
        cast(better as string) as better,
        cast(indicator_group as string) as indicator_group,
        cast(scopes as string) as scopes,
        cast(definition as string) as definition,
        cast(display_order as integer) as display_order

    from indicators

)

select * from final
