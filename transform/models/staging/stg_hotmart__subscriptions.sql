{#- One row per subscription (account_id, subscriber_code). -#}

with latest_version as (

    {{ hotmart_latest(source('hotmart', 'subscriptions'), ['account_id', 'subscriber_code']) }}

)

select
    {{ hotmart_key(['account_id', 'subscriber_code']) }} as subscription_key,
    account_id,
    subscriber_code,
    subscription_id,
    upper(status)                                           as status,
    {{ hotmart_utc('accession_date') }}                     as accession_at,
    {{ hotmart_utc('end_accession_date') }}                 as cancelled_at,
    {{ hotmart_utc('request_date') }}                       as requested_at,
    {{ hotmart_utc('date_next_charge') }}                   as next_charge_at,
    coalesce(trial, false)                                  as has_trial,
    {{ adapter.quote('transaction') }} as first_transaction_id,
    {{ hotmart_key(['account_id', adapter.quote('transaction')]) }} as first_sale_key,
    cast({{ hotmart_json_text('plan', 'id') }} as {{ dbt.type_bigint() }})                                 as plan_id,
    {{ hotmart_json_text('plan', 'name') }}                                         as plan_name,
    cast({{ hotmart_json_text('plan', 'recurrency_period') }} as {{ dbt.type_int() }})                 as plan_period_days,
    cast({{ hotmart_json_text('plan', 'max_charge_cycles') }} as {{ dbt.type_int() }})                 as plan_max_charge_cycles,
    cast({{ hotmart_json_text('product', 'id') }} as {{ dbt.type_bigint() }})                              as product_id,
    {{ hotmart_json_text('product', 'name') }}                                      as product_name,
    {{ hotmart_json_text('product', 'ucode') }}                                     as product_ucode,
    upper({{ hotmart_json_text('price', 'currency_code') }})                        as currency_code,
    {{ hotmart_amount('price') }}                           as price_amount,
    {{ hotmart_json_text('subscriber', 'ucode') }}                                  as buyer_ucode,
    {{ hotmart_json_text('subscriber', 'name') }}                                   as subscriber_name,
    lower({{ hotmart_json_text('subscriber', 'email') }})                           as subscriber_email,
    upper(status) in {{ hotmart_active_subscription_statuses() }}                                as is_active,
    upper(status) in {{ hotmart_cancelled_subscription_statuses() }}
                                                            as is_cancelled
from latest_version
