{#- New Orders: one row per period (day, week and month: `period_type`) × product × source ×
    currency, for approved orders dated by order date in var('hotmart_timezone').

    "New" orders are the ones a buyer placed: one-time purchases and first subscription
    charges. Automatic renewals are excluded (they are in hotmart__mrr_monthly and the cash
    view hotmart__daily_overview). Every buyer has exactly one first purchase, so new_buyers
    adds up across products, sources and periods. -#}

with new_orders as (

    select
        account_id,
        order_date,
        order_week,
        order_month,
        product_id,
        product_name,
        coalesce(tracking_source, '(none)')     as source,
        currency_code,
        gross_amount,
        is_first_purchase,
        buyer_ucode
    from {{ ref('hotmart__orders') }}
    where is_approved
      and order_kind in ('one_time', 'subscription_first')

),

by_period as (

    {% for period_type, column in [('day', 'order_date'), ('week', 'order_week'), ('month', 'order_month')] %}
    select
        '{{ period_type }}'                                         as period_type,
        {{ column }}                                                as period_start,
        account_id,
        product_id,
        max(product_name)                                           as product_name,
        source,
        currency_code,
        count(*)                                                    as new_orders,
        count(case when is_first_purchase then 1 end)                   as new_buyers,
        count(case when not is_first_purchase then 1 end)               as returning_orders,
        count(distinct buyer_ucode)                                 as buyers,
        sum(gross_amount)                                           as gross_revenue,
        coalesce(sum(case when is_first_purchase then gross_amount end), 0)
                                                                    as first_time_gross_revenue,
        coalesce(sum(case when not is_first_purchase then gross_amount end), 0)
                                                                    as returning_gross_revenue
    from new_orders
    group by {{ column }}, account_id, product_id, source, currency_code
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select
    {{ hotmart_key(['account_id', 'period_type', 'period_start', 'product_id', 'source', 'currency_code']) }}
                                                                    as new_orders_key,
    *,
    {{ hotmart_divide('gross_revenue', 'new_orders', 2) }}          as average_order_value
from by_period
