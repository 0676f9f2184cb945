{#- Every version of every sale the `refunds` stream delivered (refund and chargeback
    statuses over the whole history, and disputes that left them), typed like
    stg_hotmart__sales (a view: int_hotmart__sales picks the latest across both). -#}
{{ config(materialized='view') }}

{{ hotmart_stage_sales('refunds') }}
