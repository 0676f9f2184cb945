{#- One row per subscription plan (account_id, product_ucode, plan_code). -#}

with latest_version as (

    {{ hotmart_latest(source('hotmart', 'product_plans'), ['account_id', 'product_ucode', 'code']) }}

)

select
    {{ hotmart_key(['account_id', 'product_ucode', 'code']) }} as plan_key,
    account_id,
    product_ucode,
    code                                                as plan_code,
    name                                                as plan_name,
    periodicity,
    max_installments,
    trial_period                                        as trial_days,
    upper({{ hotmart_json_text('price', 'currency_code') }})                    as currency_code,
    {{ hotmart_amount('price') }}                       as price_amount
from latest_version
