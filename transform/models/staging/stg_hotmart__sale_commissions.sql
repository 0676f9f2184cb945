{#- Every version of each sale's commission split, typed; the lines stay a JSON array
    (`commission_lines`), pivoted by role in int_hotmart__sale_commissions (a view: the
    intermediate model picks the latest version). -#}
{{ config(materialized='view') }}

{%- set raw = source('hotmart', 'sale_commissions') %}

select
    {{ hotmart_key(['account_id', adapter.quote('transaction')]) }} as sale_key,
    account_id,
    {{ adapter.quote('transaction') }}                          as transaction_id,
    exchange_rate_currency_payout,
    commissions                                                 as commission_lines,
    {{ hotmart_version_columns(raw) }}
from {{ raw }}
