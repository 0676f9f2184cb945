{#- One row per subscription (account_id, subscriber_code). -#}

with latest_version as (

    {{ hotmart_latest(source('hotmart', 'subscriptions'), ['account_id', 'subscriber_code']) }}

)

select
    account_id || ':' || subscriber_code                    as subscription_key,
    account_id,
    subscriber_code,
    subscription_id,
    upper(status)                                           as status,
    {{ hotmart_utc('accession_date') }}                     as accession_at,
    {{ hotmart_utc('end_accession_date') }}                 as cancelled_at,
    {{ hotmart_utc('request_date') }}                       as requested_at,
    {{ hotmart_utc('date_next_charge') }}                   as next_charge_at,
    coalesce(trial, false)                                  as has_trial,
    "transaction"                                           as first_transaction_id,
    account_id || ':' || "transaction"                      as first_sale_key,
    (plan ->> 'id')::bigint                                 as plan_id,
    plan ->> 'name'                                         as plan_name,
    (plan ->> 'recurrency_period')::integer                 as plan_period_days,
    (plan ->> 'max_charge_cycles')::integer                 as plan_max_charge_cycles,
    (product ->> 'id')::bigint                              as product_id,
    product ->> 'name'                                      as product_name,
    product ->> 'ucode'                                     as product_ucode,
    upper(price ->> 'currency_code')                        as currency_code,
    {{ hotmart_amount('price') }}                           as price_amount,
    subscriber ->> 'ucode'                                  as buyer_ucode,
    subscriber ->> 'name'                                   as subscriber_name,
    lower(subscriber ->> 'email')                           as subscriber_email,
    upper(status) = 'ACTIVE'                                as is_active,
    upper(status) in ('CANCELLED_BY_CUSTOMER', 'CANCELLED_BY_SELLER', 'CANCELLED_BY_ADMIN')
                                                            as is_cancelled
from latest_version
