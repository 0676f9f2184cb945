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
        count(*) filter (where status = 'REFUNDED')                         as refunded_orders,
        count(*) filter (where status = 'PARTIALLY_REFUNDED')               as partially_refunded_orders,
        count(*) filter (where status = 'CHARGEBACK')                       as chargeback_orders,
        count(*) filter (where status = 'PROTESTED')                        as disputed_orders,
        coalesce(sum(gross_amount) filter (where status = 'REFUNDED'), 0)   as refunded_amount,
        coalesce(sum(gross_amount) filter (where status = 'PARTIALLY_REFUNDED'), 0)
                                                                            as partially_refunded_gross_amount,
        coalesce(sum(gross_amount) filter (where is_chargeback), 0)         as chargeback_amount,
        count(*) filter (where refund_date_basis = 'event_date')            as dated_by_event,
        count(*) filter (where refund_date_basis = 'first_observed')        as dated_by_first_observation,
        count(*) filter (where refund_date_basis = 'order_date')            as dated_by_order_date,
        round(avg(extract(epoch from refund_event_at - coalesce(approved_at, order_at)) / 86400)
            filter (where is_refunded and refund_date_basis = 'event_date'), 1)
                                                                            as avg_days_to_refund_known,
        count(*) filter (where is_within_warranty)                          as orders_within_warranty
    from approved_orders
    group by account_id, order_month, product_id, currency_code

)

select
    account_id || ':' || order_month || ':' || product_id || ':' || currency_code
                                                                            as refunds_key,
    *,
    round((refunded_orders + partially_refunded_orders)::numeric / approved_orders, 4)
                                                                            as refund_rate,
    round((chargeback_orders + disputed_orders)::numeric / approved_orders, 4)
                                                                            as chargeback_rate
from by_order_month
