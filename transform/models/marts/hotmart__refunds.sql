{#- Refund and chargeback rates by order month × product × currency (cohort view: of the
    orders approved in a month, how many were refunded or charged back since). The refund
    dates themselves, with their basis, are on hotmart__orders (refund_event_at,
    refund_date_basis); here the counts per basis say how precise they are. -#}

with approved_orders as (

    select *
    from {{ ref('hotmart__orders') }}
    where is_approved

),

by_order_month as (

    select
        account_id,
        order_month,
        product_id,
        max(product_name)                                                   as product_name,
        currency_code,
        count(*)                                                            as approved_orders,
        sum(gross_amount)                                                   as approved_amount,
        count(case when status = {{ hotmart_status('REFUNDED') }} then 1 end)                         as refunded_orders,
        count(case when status = {{ hotmart_status('PARTIALLY_REFUNDED') }} then 1 end)               as partially_refunded_orders,
        count(case when status = {{ hotmart_status('CHARGEBACK') }} then 1 end)                       as chargeback_orders,
        count(case when status = {{ hotmart_status('PROTESTED') }} then 1 end)                        as disputed_orders,
        coalesce(sum(case when status = {{ hotmart_status('REFUNDED') }} then gross_amount end), 0)   as refunded_amount,
        coalesce(sum(case when status = {{ hotmart_status('PARTIALLY_REFUNDED') }} then gross_amount end), 0)
                                                                            as partially_refunded_gross_amount,
        coalesce(sum(case when is_chargeback then gross_amount end), 0)         as chargeback_amount,
        count(case when refund_date_basis = 'event_date' then 1 end)            as dated_by_event,
        count(case when refund_date_basis = 'first_observed' then 1 end)        as dated_by_first_observation,
        count(case when refund_date_basis = 'order_date' then 1 end)            as dated_by_order_date,
        -- exact: microseconds summed as integers, divided once
        {{ hotmart_divide(
            "sum(case when is_refunded and refund_date_basis = 'event_date' then "
                ~ hotmart_duration_us('coalesce(approved_at, order_at)', 'refund_event_at') ~ " end)",
            "count(case when is_refunded and refund_date_basis = 'event_date' then 1 end) * 86400000000",
            1
        ) }}                                                                as avg_days_to_refund_known,
        count(case when is_within_warranty then 1 end)                          as orders_within_warranty
    from approved_orders
    group by account_id, order_month, product_id, currency_code

)

select
    {{ hotmart_key(['account_id', 'order_month', 'product_id', 'currency_code']) }}
                                                                            as refunds_key,
    *,
    {{ hotmart_divide('refunded_orders + partially_refunded_orders', 'approved_orders', 4) }}
                                                                            as refund_rate,
    {{ hotmart_divide('chargeback_orders + disputed_orders', 'approved_orders', 4) }}
                                                                            as chargeback_rate
from by_order_month
