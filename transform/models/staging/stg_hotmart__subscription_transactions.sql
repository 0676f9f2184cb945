{#- One row per subscription recurrence (account_id, transaction_id). This is the only stream
    with a refund/chargeback date and a last-update time, which the refund dating uses. -#}

with latest_version as (

    {{ hotmart_latest(source('hotmart', 'subscription_transactions'), ['account_id', adapter.quote('transaction')]) }}

)

select
    {{ hotmart_key(['account_id', adapter.quote('transaction')]) }} as sale_key,
    account_id,
    {{ adapter.quote('transaction') }} as transaction_id,
    {{ hotmart_key(['account_id', 'subscriber_code']) }} as subscription_key,
    subscriber_code,
    subscription_id,
    upper(purchase_status)                                      as purchase_status,
    upper(status)                                               as subscription_status,
    {{ hotmart_utc('transaction_date') }}                       as transaction_at,
    {{ hotmart_utc('refund_chargeback_date') }}                 as refund_chargeback_at,
    {{ hotmart_utc('last_update') }}                            as last_updated_at,
    {{ hotmart_utc('cancellation_date') }}                      as cancelled_at,
    upper(billing_type)                                         as billing_type,
    cast({{ hotmart_json_text('recurrency', 'number') }} as {{ dbt.type_int() }})                          as recurrency_number,
    {{ hotmart_json_text('recurrency', 'status') }}                                     as recurrency_status,
    cast({{ hotmart_json_text('plan', 'recurrency_period') }} as {{ dbt.type_int() }})                     as plan_period_days,
    {{ hotmart_json_text('plan', 'name') }}                                             as plan_name,
    cast({{ hotmart_json_text('product', 'id') }} as {{ dbt.type_bigint() }})                                  as product_id,
    upper({{ hotmart_json_text('purchase', 'price.currency') }})                   as currency_code,
    {{ hotmart_amount('purchase', 'price.value') }}                 as price_amount
from latest_version
