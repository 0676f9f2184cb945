-- Each customer's first order is counted once as a new buyer (when it is a new order, i.e.
-- not a renewal), so monthly new buyers add up to the customers whose first order was new.
with from_new_orders as (
    select account_id, sum(new_buyers) as new_buyers
    from {{ ref('hotmart__new_orders') }}
    where period_type = 'month'
    group by 1
),
from_customers as (
    select account_id, count(*) as customers
    from {{ ref('hotmart__customers') }}
    where first_order_kind <> 'subscription_renewal'
    group by 1
)
select *
from from_new_orders
full join from_customers using (account_id)
where from_new_orders.new_buyers is distinct from from_customers.customers
