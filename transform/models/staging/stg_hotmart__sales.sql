{#- Every version of every sale the `sales` stream delivered, typed (a view: the latest
    version across `sales` and `refunds` is int_hotmart__sales). -#}
{{ config(materialized='view') }}

{{ hotmart_stage_sales('sales') }}
