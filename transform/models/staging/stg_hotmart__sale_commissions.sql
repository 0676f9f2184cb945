{#- One row per sale (account_id, transaction_id) with its commission split pivoted by role.

    A role's amount is summed only when its currency equals the producer's commission currency
    (`commission_currency_code`); a line in another currency is counted in
    `other_currency_commission_lines` instead of being added silently. -#}

with latest_version as (

    {{ hotmart_latest(source('hotmart', 'sale_commissions'), ['account_id', '"transaction"']) }}

),

commission_lines as (

    select
        latest_version.account_id,
        latest_version."transaction"                         as transaction_id,
        latest_version.exchange_rate_currency_payout,
        upper(line -> 'commission' ->> 'currency_value')     as currency_code,
        {{ hotmart_amount("line -> 'commission'") }}         as amount,
        upper(line ->> 'source')                             as source,
        line -> 'user' ->> 'ucode'                           as user_ucode,
        line -> 'user' ->> 'name'                            as user_name
    from latest_version
    cross join lateral jsonb_array_elements(
        case when jsonb_typeof(latest_version.commissions) = 'array'
             then latest_version.commissions else '[]'::jsonb end
    ) as line

),

sale_currency as (

    select
        account_id,
        transaction_id,
        coalesce(
            max(currency_code) filter (where source = 'PRODUCER'),
            max(currency_code)
        ) as commission_currency_code
    from commission_lines
    group by 1, 2

)

select
    latest_version.account_id || ':' || latest_version."transaction"  as sale_key,
    latest_version.account_id,
    latest_version."transaction"                                        as transaction_id,
    sale_currency.commission_currency_code,
    latest_version.exchange_rate_currency_payout,
    coalesce(sum(lines.amount) filter (where lines.source = 'PRODUCER'
        and lines.currency_code = sale_currency.commission_currency_code), 0)
                                                                        as producer_commission_amount,
    coalesce(sum(lines.amount) filter (where lines.source = 'COPRODUCER'
        and lines.currency_code = sale_currency.commission_currency_code), 0)
                                                                        as coproducer_commission_amount,
    coalesce(sum(lines.amount) filter (where lines.source = 'AFFILIATE'
        and lines.currency_code = sale_currency.commission_currency_code), 0)
                                                                        as affiliate_commission_amount,
    coalesce(sum(lines.amount) filter (where lines.source = 'ADDON'
        and lines.currency_code = sale_currency.commission_currency_code), 0)
                                                                        as addon_commission_amount,
    count(lines.amount) filter (where lines.currency_code
        is distinct from sale_currency.commission_currency_code)         as other_currency_commission_lines,
    max(lines.user_ucode) filter (where lines.source = 'AFFILIATE')     as affiliate_ucode,
    max(lines.user_name) filter (where lines.source = 'AFFILIATE')      as affiliate_name,
    max(lines.user_ucode) filter (where lines.source = 'COPRODUCER')    as coproducer_ucode,
    max(lines.user_name) filter (where lines.source = 'COPRODUCER')     as coproducer_name
from latest_version
left join sale_currency
    on sale_currency.account_id = latest_version.account_id
    and sale_currency.transaction_id = latest_version."transaction"
left join commission_lines as lines
    on lines.account_id = latest_version.account_id
    and lines.transaction_id = latest_version."transaction"
group by 1, 2, 3, 4, 5
