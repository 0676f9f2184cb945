{#- The typed columns of a sale, for the two raw tables that hold sales (`sales` and
    `refunds`, the same stream shape): one staging view each, every version the loader kept,
    so that int_hotmart__sales can pick the latest across both. -#}
{% macro hotmart_stage_sales(table_name) -%}
{%- set raw = source('hotmart', table_name) -%}
select
    {{ hotmart_key(['account_id', adapter.quote('transaction')]) }} as sale_key,
    account_id,
    {{ adapter.quote('transaction') }}                                  as transaction_id,
    upper(status)                                                       as status,
    {{ hotmart_utc('order_date') }}                                     as order_at,
    {{ hotmart_utc('approved_date') }}                                  as approved_at,
    {{ hotmart_ms_to_timestamp(hotmart_json_text('purchase', 'warranty_expire_date')) }}
                                                                        as warranty_expire_at,

    cast({{ hotmart_json_text('product', 'id') }} as {{ dbt.type_bigint() }})
                                                                        as product_id,
    {{ hotmart_json_text('product', 'name') }}                          as product_name,
    {{ hotmart_json_text('purchase', 'offer.code') }}                   as offer_code,
    {{ hotmart_json_text('purchase', 'offer.payment_mode') }}           as offer_payment_mode,

    {{ hotmart_json_text('buyer', 'ucode') }}                           as buyer_ucode,
    {{ hotmart_json_text('buyer', 'name') }}                            as buyer_name,
    lower({{ hotmart_json_text('buyer', 'email') }})                    as buyer_email,
    {{ hotmart_json_text('producer', 'ucode') }}                        as producer_ucode,
    {{ hotmart_json_text('producer', 'name') }}                         as producer_name,
    {{ hotmart_json_text('purchase', 'commission_as') }}                as commission_as,

    coalesce(cast({{ hotmart_json_text('purchase', 'is_subscription') }} as {{ dbt.type_boolean() }}), false)
                                                                        as is_subscription,
    cast({{ hotmart_json_text('purchase', 'recurrency_number') }} as {{ dbt.type_int() }})
                                                                        as recurrency_number,

    {{ hotmart_json_text('purchase', 'payment.type') }}                 as payment_type,
    {{ hotmart_json_text('purchase', 'payment.method') }}               as payment_method,
    cast({{ hotmart_json_text('purchase', 'payment.installments_number') }} as {{ dbt.type_int() }})
                                                                        as installments,

    upper({{ hotmart_json_text('purchase', 'price.currency_code') }})   as currency_code,
    {{ hotmart_amount('purchase', 'price.value') }}
                                                                        as gross_amount,
    upper(coalesce({{ hotmart_json_text('purchase', 'hotmart_fee.currency_code') }},
                   {{ hotmart_json_text('purchase', 'price.currency_code') }}))
                                                                        as hotmart_fee_currency_code,
    {{ hotmart_amount('purchase', 'hotmart_fee.total') }}               as hotmart_fee_amount,

    nullif({{ hotmart_json_text('purchase', 'tracking.source') }}, '')  as tracking_source,
    nullif({{ hotmart_json_text('purchase', 'tracking.source_sck') }}, '')
                                                                        as tracking_sck,
    nullif({{ hotmart_json_text('purchase', 'tracking.external_code') }}, '')
                                                                        as tracking_external_code,

    '{{ table_name }}'                                                  as observed_in,
    {{ hotmart_utc('_sdc_extracted_at') }}                              as extracted_at,
    {{ hotmart_version_columns(raw) }}
from {{ raw }}
{%- endmacro %}
