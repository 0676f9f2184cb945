{#- One row per offer (account_id, product_ucode, offer_code). -#}

with latest_version as (

    {{ hotmart_latest(source('hotmart', 'product_offers'), ['account_id', 'product_ucode', 'code']) }}

)

select
    {{ hotmart_key(['account_id', 'product_ucode', 'code']) }} as offer_key,
    account_id,
    product_ucode,
    code                                                as offer_code,
    name                                                as offer_name,
    description,
    payment_mode,
    coalesce(is_main_offer, false)                      as is_main_offer,
    upper({{ hotmart_json_text('price', 'currency_code') }})                    as currency_code,
    {{ hotmart_amount('price') }}                       as price_amount
from latest_version
