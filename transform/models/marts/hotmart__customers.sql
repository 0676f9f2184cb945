{#- One row per customer (account_id, buyer_ucode): a buyer with at least one approved order.

    Amounts are in the currency of the customer's first order (`currency_code`); orders in
    other currencies are counted in orders_in_other_currencies and left out of the sums
    rather than added to them. LTV here is historical: net revenue to date. -#}

with orders as (

    select * from {{ ref('hotmart__orders') }}
    where is_approved and buyer_ucode is not null

),

first_purchase as (

    select * from {{ ref('int_hotmart__buyer_first_purchase') }}

),

totals as (

    select
        orders.account_id,
        orders.buyer_ucode,
        count(*)                                                            as orders_count,
        count(case when orders.order_kind <> 'subscription_renewal' then 1 end) as purchases_count,
        count(case when orders.order_kind = 'subscription_renewal' then 1 end)  as renewals_count,
        count(distinct orders.product_id)                                   as products_count,
        count(case when orders.is_refunded then 1 end)                          as refunded_orders,
        count(case when orders.is_chargeback then 1 end)                        as chargeback_orders,
        count(case when orders.currency_code
            <> first_purchase.first_order_currency_code then 1 end)                    as orders_in_other_currencies,
        sum(case when orders.currency_code
            = first_purchase.first_order_currency_code then orders.gross_amount end)                     as gross_amount,
        sum(case when orders.currency_code
            = first_purchase.first_order_currency_code then orders.net_revenue_amount end)                     as net_revenue_amount,
        max(orders.order_at)                                                as last_order_at
    from orders
    join first_purchase
        on first_purchase.account_id = orders.account_id
        and first_purchase.buyer_ucode = orders.buyer_ucode
    group by 1, 2

)

select
    first_purchase.customer_key,
    first_purchase.account_id,
    first_purchase.buyer_ucode,
    first_purchase.buyer_email,
    first_purchase.buyer_name,
    first_purchase.first_transaction_id,
    first_purchase.first_order_at,
    first_purchase.first_order_date,
    first_purchase.first_order_month,
    first_purchase.first_product_id,
    first_purchase.first_product_name,
    first_purchase.first_order_kind,
    first_purchase.first_touch_source,
    first_purchase.first_touch_sck,
    first_purchase.first_touch_external_code,
    first_purchase.first_order_currency_code                                as currency_code,
    totals.orders_count,
    totals.purchases_count,
    totals.renewals_count,
    totals.products_count,
    totals.refunded_orders,
    totals.chargeback_orders,
    totals.orders_in_other_currencies,
    totals.last_order_at,
    coalesce(totals.gross_amount, 0)                                        as gross_amount,
    coalesce(totals.net_revenue_amount, 0)                                  as net_revenue_amount,
    coalesce(totals.net_revenue_amount, 0)                                  as lifetime_value,
    totals.orders_count > 1                                                 as is_repeat_customer
from first_purchase
join totals
    on totals.account_id = first_purchase.account_id
    and totals.buyer_ucode = first_purchase.buyer_ucode
