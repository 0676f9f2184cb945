{#- One row per coupon (account_id, product_id, coupon_id). `discount` is a fraction (0.2 = 20 %). -#}

with latest_version as (

    {{ hotmart_latest(source('hotmart', 'coupons'), ['account_id', 'product_id', 'id']) }}

)

select
    {{ hotmart_key(['account_id', 'product_id', 'id']) }} as coupon_key,
    account_id,
    product_id,
    id                                              as coupon_id,
    coupon_code,
    cast(discount as {{ hotmart_type_money() }})  as discount_fraction,
    status,
    coalesce(active, false)                         as is_active,
    {{ hotmart_utc('start_date') }}                 as starts_at
from latest_version
