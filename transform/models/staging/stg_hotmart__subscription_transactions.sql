{#- One row per subscription recurrence (account_id, transaction_id). This is the only stream
    with a refund/chargeback date and a last-update time, which the refund dating uses. -#}

with latest_version as (

    {{ hotmart_latest(source('hotmart', 'subscription_transactions'), ['account_id', '"transaction"']) }}

)

select
    account_id || ':' || "transaction"                          as sale_key,
    account_id,
    "transaction"                                               as transaction_id,
    account_id || ':' || subscriber_code                        as subscription_key,
    subscriber_code,
    subscription_id,
    upper(purchase_status)                                      as purchase_status,
    upper(status)                                               as subscription_status,
    {{ hotmart_utc('transaction_date') }}                       as transaction_at,
    {{ hotmart_utc('refund_chargeback_date') }}                 as refund_chargeback_at,
    {{ hotmart_utc('last_update') }}                            as last_updated_at,
    {{ hotmart_utc('cancellation_date') }}                      as cancelled_at,
    upper(billing_type)                                         as billing_type,
    (recurrency ->> 'number')::integer                          as recurrency_number,
    recurrency ->> 'status'                                     as recurrency_status,
    (plan ->> 'recurrency_period')::integer                     as plan_period_days,
    plan ->> 'name'                                             as plan_name,
    (product ->> 'id')::bigint                                  as product_id,
    upper(purchase -> 'price' ->> 'currency')                   as currency_code,
    {{ hotmart_amount("purchase -> 'price'") }}                 as price_amount
from latest_version
