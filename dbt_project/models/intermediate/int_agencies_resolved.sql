{{ config(materialized='table') }}

{#-
    Today's structure: every catalogued agency is followed along `MaDonViKeThua` until an
    agency without a successor (kpi-decisions 16: validity dates are ignored; a cycle stops
    at the first repeated code, the walk ends on it, so A > B > A resolves A to A; a
    successor missing from the catalogue ends the chain under its own code).
-#}

with recursive

agencies as (

    select
        agency_code,
        successor_agency_code

    from {{ ref('stg_catalog__agencies') }}

),

successor_steps as (

    select
        agency_code as start_agency_code,
        agency_code as reached_agency_code,
        0 as chain_depth,
        {{ list_of('agency_code') }} as chain_codes

    from agencies

    union all

    select
        successor_steps.start_agency_code,
        agencies.successor_agency_code as reached_agency_code,
        successor_steps.chain_depth + 1 as chain_depth,
        array_append(successor_steps.chain_codes, agencies.successor_agency_code) as chain_codes

    from successor_steps
    inner join agencies
        on successor_steps.reached_agency_code = agencies.agency_code

    where
        agencies.successor_agency_code is not null
        and not array_contains(successor_steps.chain_codes, agencies.successor_agency_code)

),

chain_ends as (

    select
        start_agency_code as agency_code,
        {{ arg_max_present('reached_agency_code', 'chain_depth') }} as current_agency_code,
        max(chain_depth) as successor_chain_depth,
        {{ arg_max_present('chain_codes', 'chain_depth') }} as chain_codes

    from successor_steps

    group by start_agency_code

),

cycles_closed as (

    -- The walk only stops at a catalogued agency that still has a successor when that
    -- successor is already on the chain: a cycle, which ends on that repeated code.
    select
        chain_ends.agency_code,
        end_agencies.successor_agency_code is not null as has_successor_cycle,
        coalesce(end_agencies.successor_agency_code, chain_ends.current_agency_code) as current_agency_code,
        chain_ends.successor_chain_depth
        + case when end_agencies.successor_agency_code is null then 0 else 1 end as successor_chain_depth,
        case
            when end_agencies.successor_agency_code is null then chain_ends.chain_codes
            else array_append(chain_ends.chain_codes, end_agencies.successor_agency_code)
        end as chain_codes

    from chain_ends
    left join agencies as end_agencies
        on chain_ends.current_agency_code = end_agencies.agency_code

),

final as (

    select
        agency_code,
        current_agency_code,
        cast(successor_chain_depth as integer) as successor_chain_depth,
        {{ list_join('chain_codes', "' > '") }} as successor_chain,
        coalesce(has_successor_cycle, false) as has_successor_cycle

    from cycles_closed

)

select * from final
