{#- One row per sale (account_id, transaction_id): price breakdown with each amount's currency. -#}

with latest_version as (

    {{ hotmart_latest(source('hotmart', 'sale_price_details'), ['account_id', '"transaction"']) }}

)

select
    account_id || ':' || "transaction"          as sale_key,
    account_id,
    "transaction"                               as transaction_id,
    upper(total ->> 'currency_code')            as total_currency_code,
    {{ hotmart_amount('total') }}               as total_amount,
    upper(base ->> 'currency_code')             as base_currency_code,
    {{ hotmart_amount('base') }}                as base_amount,
    upper(vat ->> 'currency_code')              as vat_currency_code,
    {{ hotmart_amount('vat') }}                 as vat_amount,
    upper(fee ->> 'currency_code')              as fee_currency_code,
    {{ hotmart_amount('fee') }}                 as fee_amount,
    nullif(coupon ->> 'code', '')               as coupon_code,
    -- the coupon discount is in the sale's (total) currency
    {{ hotmart_amount('coupon') }}              as coupon_amount,
    real_conversion_rate
from latest_version
