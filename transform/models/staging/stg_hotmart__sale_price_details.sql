{#- One row per sale (account_id, transaction_id): price breakdown with each amount's currency. -#}

with latest_version as (

    {{ hotmart_latest(source('hotmart', 'sale_price_details'), ['account_id', adapter.quote('transaction')]) }}

)

select
    {{ hotmart_key(['account_id', adapter.quote('transaction')]) }} as sale_key,
    account_id,
    {{ adapter.quote('transaction') }} as transaction_id,
    upper({{ hotmart_json_text('total', 'currency_code') }})            as total_currency_code,
    {{ hotmart_amount('total') }}               as total_amount,
    upper({{ hotmart_json_text('base', 'currency_code') }})             as base_currency_code,
    {{ hotmart_amount('base') }}                as base_amount,
    upper({{ hotmart_json_text('vat', 'currency_code') }})              as vat_currency_code,
    {{ hotmart_amount('vat') }}                 as vat_amount,
    upper({{ hotmart_json_text('fee', 'currency_code') }})              as fee_currency_code,
    {{ hotmart_amount('fee') }}                 as fee_amount,
    nullif({{ hotmart_json_text('coupon', 'code') }}, '')               as coupon_code,
    -- the coupon discount is in the sale's (total) currency
    {{ hotmart_amount('coupon') }}              as coupon_amount,
    cast(real_conversion_rate as {{ hotmart_type_money() }})  as real_conversion_rate
from latest_version
