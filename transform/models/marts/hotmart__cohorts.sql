{#- Cohorts: first-purchase month × months since (0 = the first-purchase month) × account ×
    currency (the customers' first-order currency), up to the as-of month.

    customers_retained = cohort customers with an approved order in that month, in any
    currency (month 0 is the whole cohort): a buyer who first paid in COP and came back
    paying in BRL did come back. orders_count counts those orders too. The money columns
    stay in the cohort currency, because amounts are never added across currencies:
    net_revenue_amount is the net revenue of the cohort's orders in that currency, and
    cumulative_revenue_per_customer = that from month 0 to this month ÷ cohort size: the
    historical LTV curve (orders in other currencies are left out of it, as in
    hotmart__customers). -#}

with customers as (

    select account_id, buyer_ucode, first_order_month, currency_code
    from {{ ref('hotmart__customers') }}

),

cohort_sizes as (

    select account_id, first_order_month, currency_code, count(*) as cohort_customers
    from customers
    group by 1, 2, 3

),

months as (

    select distinct date_month from {{ ref('int_hotmart__date_spine') }}

),

cohort_grid as (

    select
        cohort_sizes.*,
        months.date_month,
        cast({{ dbt.datediff('cohort_sizes.first_order_month', 'months.date_month', 'month') }}
            as {{ dbt.type_int() }})                                        as months_since_first_purchase
    from cohort_sizes
    join months
        on months.date_month >= cohort_sizes.first_order_month

),

cohort_activity as (

    select
        customers.account_id,
        customers.first_order_month,
        customers.currency_code,
        orders.order_month                                                  as date_month,
        count(distinct customers.buyer_ucode)                               as customers_retained,
        count(*)                                                            as orders_count,
        coalesce(sum(case when orders.currency_code = customers.currency_code then orders.net_revenue_amount end), 0) as net_revenue_amount
    from customers
    join {{ ref('hotmart__orders') }} as orders
        on orders.account_id = customers.account_id
        and orders.buyer_ucode = customers.buyer_ucode
        and orders.is_approved
    group by 1, 2, 3, 4

),

filled as (

    select
        cohort_grid.account_id,
        cohort_grid.first_order_month                                       as cohort_month,
        cohort_grid.currency_code,
        cohort_grid.months_since_first_purchase,
        cohort_grid.date_month,
        cohort_grid.cohort_customers,
        coalesce(cohort_activity.customers_retained, 0)                     as customers_retained,
        coalesce(cohort_activity.orders_count, 0)                           as orders_count,
        coalesce(cohort_activity.net_revenue_amount, 0)                     as net_revenue_amount
    from cohort_grid
    left join cohort_activity
        on cohort_activity.account_id = cohort_grid.account_id
        and cohort_activity.first_order_month = cohort_grid.first_order_month
        and cohort_activity.currency_code = cohort_grid.currency_code
        and cohort_activity.date_month = cohort_grid.date_month

),

cumulative as (

    select
        *,
        sum(net_revenue_amount) over (
            partition by account_id, cohort_month, currency_code
            order by months_since_first_purchase
        )                                                                   as cumulative_net_revenue
    from filled

)

select
    {{ hotmart_key(['account_id', 'cohort_month', 'currency_code', 'months_since_first_purchase']) }}
                                                                            as cohort_key,
    *,
    {{ hotmart_divide('customers_retained', 'cohort_customers', 4) }}       as retention_rate,
    {{ hotmart_divide('cumulative_net_revenue', 'cohort_customers', 2) }}   as cumulative_revenue_per_customer
from cumulative
