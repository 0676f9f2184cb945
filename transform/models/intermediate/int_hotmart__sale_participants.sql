{#- One row per sale (account_id, transaction_id) with the buyer's country and the affiliate,
    from the latest version of its participants list. -#}

with latest_version as (

    {{ hotmart_first_row(
        ref('stg_hotmart__sale_participants'),
        ['sale_key'],
        ['version_extracted_at desc nulls last', 'version_sequence desc nulls last']
    ) }}

),

participants as (

    select
        latest_version.sale_key,
        latest_version.account_id,
        latest_version.transaction_id,
        upper({{ hotmart_json_text('participant', 'role') }})          as role,
        {{ hotmart_json_text('participant', 'user.address.country') }} as country,
        {{ hotmart_json_text('participant', 'user.ucode') }}           as ucode,
        {{ hotmart_json_text('participant', 'user.name') }}            as name
    from latest_version
    cross join {{ hotmart_json_array_elements('latest_version.participants', 'participant') }}
    where not latest_version.is_deleted_version

)

select
    sale_key,
    account_id,
    transaction_id,
    max(case when role = 'BUYER' then country end)             as buyer_country,
    max(case when role = 'AFFILIATE' then ucode end)           as affiliate_ucode,
    max(case when role = 'AFFILIATE' then name end)            as affiliate_name,
    count(case when role = 'COPRODUCER' then 1 end)            as coproducers_count
from participants
group by 1, 2, 3
