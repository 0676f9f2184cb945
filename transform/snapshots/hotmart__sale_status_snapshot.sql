{#- History of each sale's status, one version per observed change (check strategy on status).
    Hotmart has no refund date on sales: the first run that sees a sale REFUNDED after having
    seen it in another status bounds the refund date from above (`dbt_valid_from`). The
    refund dating in int_hotmart__refund_events uses it and labels it `first_observed`. -#}
{% snapshot hotmart__sale_status_snapshot %}
{{ config(
    unique_key='sale_key',
    strategy='check',
    check_cols=['status'],
) }}

select sale_key, account_id, transaction_id, status, order_at
from {{ ref('int_hotmart__sales') }}

{% endsnapshot %}
