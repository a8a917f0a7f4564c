{#-
    Several column rules of one model in one test (one scan, one dbt node, one Dagster asset
    check), instead of one test per column and rule: dbt's per-test cost (~0.05-0.1 s each)
    was most of an incremental build. Same semantics as the single tests it replaces:

      not_null            [col, ...]          no NULL
      unique              [col, ...]          no value twice (NULL ignored, like `unique`)
      unique_combination  [[col, ...], ...]   no combination twice (NULLs equal, like GROUP BY)
      non_negative        [col, ...]          no value < 0 (NULL allowed)
      fraction            [col, ...]          every value in [0, 1] (NULL allowed)
      accepted_values     {col: [v, ...]}     only these values (NULL allowed); strings are
                                              quoted, numbers and booleans are not
      relationships       [{column, to, field, where?}, ...]
                                              every non-NULL value (of the rows matching
                                              `where`) exists in to.field

    It returns one row per broken rule, with the number of offending rows (for `unique`: the
    surplus copies); the test's failure count is their sum.

    latest_build: a column holding when the build that wrote the row started (`_built_at`,
    macros/built_at.sql): every rule but `relationships` checks the rows of the latest build
    only, which after a full refresh is every row. For an incremental model that replaces
    whole keys (delete+insert on its unique key), rows it did not write were checked when
    they were written, and a key it wrote cannot also be in an older row, so `unique` over the
    written rows is `unique` over the table. `relationships` reads every row: a catalogue
    change can break a reference in a row the build did not write. DuckDB skips the older
    row groups by their zone maps: the test costs what the build wrote, not the history.
-#}
{% test column_rules(
    model, not_null=[], unique=[], unique_combination=[], non_negative=[], fraction=[],
    accepted_values={}, relationships=[], latest_build=none
) %}
{{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}

{#- the rows the row and table rules read -#}
{%- if latest_build -%}
    {%- set checked_rows -%}
    (
        select * from {{ model }}
        where {{ latest_build }} = (select max({{ latest_build }}) from {{ model }})
    ) as latest_build_rows
    {%- endset -%}
{%- else -%}
    {%- set checked_rows = model -%}
{%- endif -%}

{#- row rules: (name, condition a row breaks it with) -#}
{%- set row_rules = [] -%}
{#- table rules: (name, count expression over every row) -#}
{%- set table_rules = [] -%}
{%- for column in not_null -%}
    {%- do row_rules.append(("not_null(" ~ column ~ ")", column ~ " is null")) -%}
{%- endfor -%}
{%- for column in unique -%}
    {%- do table_rules.append(("unique(" ~ column ~ ")", "count(" ~ column ~ ") - count(distinct " ~ column ~ ")")) -%}
{%- endfor -%}
{%- for columns in unique_combination -%}
    {%- do table_rules.append((
        "unique_combination(" ~ columns | join(", ") ~ ")",
        "count(*) - count(distinct " ~ row_value(columns) ~ ")"
    )) -%}
{%- endfor -%}
{%- for column in non_negative -%}
    {%- do row_rules.append(("non_negative(" ~ column ~ ")", column ~ " < 0")) -%}
{%- endfor -%}
{%- for column in fraction -%}
    {%- do row_rules.append(("fraction(" ~ column ~ ")", "(" ~ column ~ " < 0 or " ~ column ~ " > 1)")) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set literals = [] -%}
    {%- for value in values -%}
        {%- if value is string -%}
            {%- do literals.append("'" ~ value | replace("'", "''") ~ "'") -%}
        {%- else -%}
            {%- do literals.append(value | string) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do row_rules.append((
        "accepted_values(" ~ column ~ ")",
        column ~ " not in (" ~ literals | join(", ") ~ ")"
    )) -%}
{%- endfor %}

with

{% if row_rules %}
offending_rows as (

    -- Only the rows that break a rule: a plain filter, which DuckDB can answer from column
    -- statistics alone (no NULLs in the column: no scan), also through a view.
    select
        {%- for name, condition in row_rules %}
        coalesce({{ condition }}, false) as {{ adapter.quote(name) }}{{ "," if not loop.last }}
        {%- endfor %}

    from {{ checked_rows }}

    where
        {%- for name, condition in row_rules %}
        {{ "or " if not loop.first }}{{ condition }}
        {%- endfor %}

),

row_rule_counts as (

    select
        rule,
        failing_rows
    from (
        select
            {%- for name, condition in row_rules %}
            count(*) filter (where {{ adapter.quote(name) }}) as {{ adapter.quote(name) }}{{ "," if not loop.last }}
            {%- endfor %}
        from offending_rows
    )
    unpivot (failing_rows for rule in (
        {%- for name, condition in row_rules %}{{ adapter.quote(name) }}{{ ", " if not loop.last }}{% endfor -%}
    ))

),
{% endif %}

{% if table_rules %}
table_rule_counts as (

    select
        rule,
        failing_rows
    from (
        select
            {%- for name, expression in table_rules %}
            {{ expression }} as {{ adapter.quote(name) }}{{ "," if not loop.last }}
            {%- endfor %}
        from {{ checked_rows }}
    )
    unpivot (failing_rows for rule in (
        {%- for name, expression in table_rules %}{{ adapter.quote(name) }}{{ ", " if not loop.last }}{% endfor -%}
    ))

),
{% endif %}

{% for relationship in relationships %}
relationship_{{ loop.index }} as (

    select
        '{{ "relationships(" ~ relationship.column ~ " -> " ~ relationship.field ~ ")" }}' as rule,
        count(*) as failing_rows

    from {{ model }} as child

    where
        child.{{ relationship.column }} is not null
        {%- if relationship.where %}
        and ({{ relationship.where }})
        {%- endif %}
        and not exists (
            select 1
            from {{ relationship.to }} as parent
            where parent.{{ relationship.field }} = child.{{ relationship.column }}
        )

),
{% endfor %}

all_rules as (

    select cast(null as string) as rule, cast(0 as bigint) as failing_rows where false
    {%- if row_rules %}
    union all
    select rule, cast(failing_rows as bigint) from row_rule_counts
    {%- endif %}
    {%- if table_rules %}
    union all
    select rule, cast(failing_rows as bigint) from table_rule_counts
    {%- endif %}
    {%- for relationship in relationships %}
    union all
    select rule, cast(failing_rows as bigint) from relationship_{{ loop.index }}
    {%- endfor %}

)

select rule, failing_rows
from all_rules
where failing_rows > 0

{% endtest %}
