{#- One row per product (account_id, product_id). -#}

with latest_version as (

    {{ hotmart_latest(source('hotmart', 'products'), ['account_id', 'id']) }}

)

select
    {{ hotmart_key(['account_id', 'id']) }} as product_key,
    account_id,
    id                                  as product_id,
    name                                as product_name,
    ucode                               as product_ucode,
    upper(status)                       as status,
    {{ hotmart_utc('created_at') }}     as created_at,
    format,
    coalesce(is_subscription, false)    as is_subscription,
    warranty_period                     as warranty_days
from latest_version
