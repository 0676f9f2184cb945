{#- Every version of each sale's participants (producer, buyer, co-producers, affiliate); the
    people stay a JSON array (`participants`), pivoted by role in
    int_hotmart__sale_participants (a view: the intermediate model picks the latest version). -#}
{{ config(materialized='view') }}

{%- set raw = source('hotmart', 'sale_participants') %}

select
    {{ hotmart_key(['account_id', adapter.quote('transaction')]) }} as sale_key,
    account_id,
    {{ adapter.quote('transaction') }}                          as transaction_id,
    users                                                       as participants,
    {{ hotmart_version_columns(raw) }}
from {{ raw }}
