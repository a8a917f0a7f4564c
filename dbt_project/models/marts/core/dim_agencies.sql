with

catalogued as (

    select * from {{ ref('stg_catalog__agencies') }}

),

agencies_resolved as (

    select * from {{ ref('int_agencies_resolved') }}

),

referenced_codes as (

    select agency_code from {{ ref('fct_dossiers') }}
    union
    select agency_code from {{ ref('fct_postal_shipments') }}
    union
    select agency_code from {{ ref('fct_mailbox_positions') }}
    union
    select parent_agency_code from catalogued
    where parent_agency_code is not null
    union
    select successor_agency_code from catalogued
    where successor_agency_code is not null

),

known_members as (

    select
        catalogued.agency_code,
        catalogued.agency_name,
        catalogued.agency_level,
        catalogued.agency_level_name,
        catalogued.parent_agency_code,
        catalogued.valid_from,
        catalogued.valid_to,
        catalogued.successor_agency_code,
        agencies_resolved.current_agency_code,
        agencies_resolved.successor_chain_depth,
        agencies_resolved.successor_chain,
        agencies_resolved.has_successor_cycle,
        false as is_unknown

    from catalogued
    inner join agencies_resolved
        on catalogued.agency_code = agencies_resolved.agency_code

),

unknown_members as (

    -- The default member (GitLab-style): a code used by a fact or a catalogue reference but
    -- absent from the catalogue is kept, under its own code (kpi-decisions 16).
    select
        referenced_codes.agency_code,
        'Unknown agency (not in the catalogue)' as agency_name,
        cast(null as string) as agency_level,
        cast(null as string) as agency_level_name,
        cast(null as string) as parent_agency_code,
        cast(null as date) as valid_from,
        cast(null as date) as valid_to,
        cast(null as string) as successor_agency_code,
        referenced_codes.agency_code as current_agency_code,
        0 as successor_chain_depth,
        referenced_codes.agency_code as successor_chain,
        false as has_successor_cycle,
        true as is_unknown

    from referenced_codes
    anti join catalogued
        on referenced_codes.agency_code = catalogued.agency_code

),

members as (

    select * from known_members
    union all
    select * from unknown_members

),

final as (

    select
        members.agency_code,
        members.agency_name,
        members.agency_level,
        members.agency_level_name,
        members.parent_agency_code,
        members.valid_from,
        members.valid_to,
        members.valid_to is null and not members.is_unknown as is_active,
        members.successor_agency_code,
        members.current_agency_code,
        current_members.agency_name as current_agency_name,
        members.successor_chain_depth,
        members.successor_chain,
        members.has_successor_cycle,
        members.is_unknown

    from members
    left join members as current_members
        on members.current_agency_code = current_members.agency_code

)

select * from final
