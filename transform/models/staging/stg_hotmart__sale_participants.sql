{#- One row per sale (account_id, transaction_id) with the buyer's country and the affiliate. -#}

with latest_version as (

    {{ hotmart_latest(source('hotmart', 'sale_participants'), ['account_id', '"transaction"']) }}

),

participants as (

    select
        latest_version.account_id,
        latest_version."transaction"        as transaction_id,
        upper(participant ->> 'role')       as role,
        participant -> 'user'               as person
    from latest_version
    cross join lateral jsonb_array_elements(
        case when jsonb_typeof(latest_version.users) = 'array'
             then latest_version.users else '[]'::jsonb end
    ) as participant

)

select
    account_id || ':' || transaction_id                                       as sale_key,
    account_id,
    transaction_id,
    max(person -> 'address' ->> 'country') filter (where role = 'BUYER')      as buyer_country,
    max(person ->> 'ucode') filter (where role = 'AFFILIATE')                 as affiliate_ucode,
    max(person ->> 'name') filter (where role = 'AFFILIATE')                  as affiliate_name,
    count(*) filter (where role = 'COPRODUCER')                               as coproducers_count
from participants
group by 1, 2, 3
