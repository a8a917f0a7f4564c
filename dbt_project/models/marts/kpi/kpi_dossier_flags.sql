{{
    config(
        materialized=dossier_fact_materialization(),
        unique_key='dossier_code',
        incremental_strategy='dossier_replace',
        on_schema_change='append_new_columns',
        post_hook="{% if is_incremental() %}delete from {{ this }} where current_agency_code is null{% endif %}",
    )
}}

{#-
    One row per dossier: which portal indicator figures it is part of, as months and flags.
    The one definition of the dossier indicators' membership: int_kpi_portal_months adds
    these rows up per (month, agency), and `parkpi explain` and BI tools list them (a
    period's rows are those whose month falls in the period; docs/serving.md).

    received_month  month of received_at; dossiers_received and the denominators of the
                    submission rates and (fee-bearing only) the online payment rate
    finished_month  month of finished_at; dossiers_finished and the denominators of the
                    on-time rate (with a due time), the processing time (received ones) and
                    the postal return rate
    overdue_from_month, overdue_until_month
                    the dossier is overdue and open at the end of every month from
                    overdue_from_month up to, not including, overdue_until_month (NULL: still
                    open); both NULL when it never is at a month end (kpi-decisions 6)

    Incremental like fct_dossiers, whose rows it reads: the dossiers listed by loads after the
    last one processed (`_max_load_id`), those whose agency now resolves to another successor,
    and every dossier when the fee-bearing procedures of the catalogue changed (the
    fingerprint `_fee_catalog` differs: a dossier's fee-bearing flag depends on the catalogue
    row in force when it was received) are recomputed and replaced (delete+insert on
    dossier_code). A recomputed dossier that left fct_dossiers comes out as a row without an
    agency, which removes its old row and is itself removed by the post-hook.
-#}

-- changed_dossiers_select() reads these on an incremental build:
-- depends_on: {{ ref('stg_portal__events') }}
-- depends_on: {{ ref('stg_portal__dossier_changes') }}
-- depends_on: {{ ref('int_agencies_resolved') }}

with

{% if is_incremental() %}
{%- set recorded = none -%}
{%- if execute and '_fee_catalog' in adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
{%- set recorded = run_query('select max(_fee_catalog) from ' ~ this).columns[0].values()[0] -%}
{%- endif %}
{%- set every_dossier = recorded is none or recorded | string != fee_catalog_fingerprint(ref('dim_procedures')) %}
{%- set moved = false if every_dossier else agencies_moved() %}
{%- set loaded = 'true' if every_dossier else upstream_loaded_after(ref('fct_dossiers')) %}
changed_dossiers as (

    {%- if every_dossier %}
    -- the fee-bearing catalogue changed (or was never recorded): every dossier
    select dossier_code from {{ ref('fct_dossiers') }}
    union
    select dossier_code from {{ this }}
    {%- else %}
    {{ changed_dossiers_select() }}

    union

    {{ moved_agency_dossiers_select(moved) }}
    {%- endif %}

),

dossier_keys as (

    select distinct dossier_code from changed_dossiers

),

changed_facts as (

    -- The changed dossiers' rows of fct_dossiers are among those loaded after this model's
    -- watermark (upstream_loaded_after: older row groups are skipped, 1.1 -> 0.07 CPU-s at
    -- 30M events), or, for those whose agency moved, anywhere; every row when every dossier
    -- is recomputed.
    select * from {{ ref('fct_dossiers') }}
    where {{ loaded }}
    {%- if moved and loaded != 'true' %}

    union all

    select * from {{ ref('fct_dossiers') }}
    where
        not coalesce({{ loaded }}, false)
        and dossier_code in (select moved_dossiers.dossier_code from ({{ moved_agency_dossiers_select(moved) }}) as moved_dossiers)
    {%- endif %}

),

dossiers as (

    select
        dossier_keys.dossier_code as key_code,
        facts.*
    from dossier_keys
    left join changed_facts as facts
        on dossier_keys.dossier_code = facts.dossier_code

),
{% else %}
dossiers as (

    select
        dossier_code as key_code,
        *
    from {{ ref('fct_dossiers') }}

),
{% endif %}

procedure_periods as (

    select * from {{ ref('dim_procedures') }}

),

fee_rows_in_force as (

    -- The procedure's catalogue row(s) in force on the calendar date of received_at;
    -- fee-bearing if any of them has CoPhiLePhi = 1 (kpi-decisions 9). Dossiers whose
    -- procedure has no row in force that day are not fee-bearing: outside the denominator.
    -- A semi-join on (procedure, date), not a grouping of every dossier and a join back
    -- (on Spark, a join: select_with_match_flag).
    {%- set fee_row_in_force %}
                procedure_periods.has_fee
                and dossiers.procedure_code = procedure_periods.procedure_code
                and procedure_periods.valid_from <= cast(dossiers.received_at as date)
                and (
                    procedure_periods.valid_to is null
                    or cast(dossiers.received_at as date) <= procedure_periods.valid_to
                )
    {%- endset %}
    {{ select_with_match_flag('dossiers', 'key_code', 'procedure_periods', fee_row_in_force, 'has_fee_row_in_force') }}

),

fee_bearing as (

    select
        *,
        received_at is not null and has_fee_row_in_force as is_fee_bearing

    from fee_rows_in_force

),

overdue_spans as (

    -- A dossier is overdue and open at the end E of a month (its last second) when it was
    -- received by E, due before E, and neither finished nor withdrawn by E (kpi-decisions
    -- 6): at the month ends from the month of max(received_at, due_at + 1 s) up to, not
    -- including, the month of the earlier of finished_at and withdrawn_at (timestamps are
    -- whole seconds). Only late or open dossiers can be overdue.
    select
        *,
        case
            when
                received_at is not null
                and due_at is not null
                and (finished_at is null or finished_at > due_at)
                and (withdrawn_at is null or withdrawn_at > due_at)
                then cast(greatest(
                    date_trunc('month', received_at),
                    date_trunc('month', due_at + interval 1 second)
                ) as date)
        end as first_overdue_month,
        cast(date_trunc('month', least(finished_at, withdrawn_at)) as date) as closed_month

    from fee_bearing

),

final as (

    select
        cast(key_code as string) as dossier_code,
        cast(current_agency_code as string) as current_agency_code,
        cast(procedure_code as string) as procedure_code,
        cast(date_trunc('month', received_at) as date) as received_month,
        coalesce(received_at is not null and channel = 2, false) as received_online,
        coalesce(received_at is not null and channel = 3, false) as received_by_post,
        is_fee_bearing as received_fee_bearing,
        coalesce(is_fee_bearing and paid_online, false) as received_fee_bearing_paid_online,
        cast(date_trunc('month', finished_at) as date) as finished_month,
        finished_at is not null and due_at is not null as finished_with_due,
        coalesce(finished_at is not null and due_at is not null and on_time, false) as finished_on_time,
        -- Whole seconds from reception to finishing, for the finished dossiers that were received.
        cast(case when finished_at is not null and received_at is not null then processing_seconds end as bigint)
            as processing_seconds,
        coalesce(finished_at is not null and result_by_post, false) as finished_result_by_post,
        case
            when closed_month is null or closed_month > first_overdue_month then first_overdue_month
        end as overdue_from_month,
        case
            when closed_month > first_overdue_month then closed_month
        end as overdue_until_month,
        cast(agency_code as string) as agency_code,
        cast(_max_load_id as bigint) as _max_load_id,
        ({{ fee_catalog_fingerprint_sql(ref('dim_procedures')) }}) as _fee_catalog,
        {{ dossier_key_column('_dossier_key', 'key_code') }} as _dossier_key,
        {{ built_at() }} as _built_at

    from overdue_spans

)

select * from final
