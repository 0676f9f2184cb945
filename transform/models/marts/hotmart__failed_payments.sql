{#- Failed payments by order month × payment type × currency: attempts, outcomes, failures by
    reason (the failed status), recovery and payment conversion (boleto/PIX conversion is the
    BILLET/PIX rows' payment_conversion_rate).

    A failed attempt is "recovered" when the same buyer has an approved order of the same
    product placed after it and within var('hotmart_recovery_window_days') days. Failures
    are dated when they were attempted; the recovery is credited to the failure's month. -#}

with orders as (

    select * from {{ ref('hotmart__orders') }}

),

failed_attempts as (

    -- an equi-join on buyer and product, then the time window: scales on large histories
    select
        failed.order_key,
        count(later.order_key) > 0 as is_recovered
    from orders as failed
    left join orders as later
        on later.account_id = failed.account_id
        and later.buyer_ucode = failed.buyer_ucode
        and later.product_id = failed.product_id
        and later.is_approved
        and later.order_at > failed.order_at
        and later.order_at <= {{ dbt.dateadd('day', var('hotmart_recovery_window_days'), 'failed.order_at') }}
    where failed.is_failed
    group by failed.order_key

),

by_month as (

    select
        orders.account_id,
        orders.order_month,
        coalesce(orders.payment_type, '(unknown)')                          as payment_type,
        orders.currency_code,
        count(*)                                                            as attempts,
        count(case when orders.is_approved then 1 end)                          as paid_attempts,
        count(case when orders.is_pending then 1 end)                           as pending_attempts,
        count(case when orders.is_failed then 1 end)                            as failed_attempts,
        count(case when orders.status = {{ hotmart_status('NO_FUNDS') }} then 1 end)                  as failed_no_funds,
        count(case when orders.status = {{ hotmart_status('CANCELLED') }} then 1 end)                 as failed_cancelled,
        count(case when orders.status = {{ hotmart_status('BLOCKED') }} then 1 end)                   as failed_blocked,
        count(case when orders.status = {{ hotmart_status('EXPIRED') }} then 1 end)                   as failed_expired,
        count(distinct case when orders.is_failed then orders.buyer_ucode end)  as failed_buyers,
        coalesce(sum(case when orders.is_failed then orders.gross_amount end), 0)
                                                                            as failed_amount,
        count(case when failed_attempts.is_recovered then 1 end)                as recovered_attempts,
        coalesce(sum(case when failed_attempts.is_recovered then orders.gross_amount end), 0)
                                                                            as recovered_amount
    from orders
    left join failed_attempts
        on failed_attempts.order_key = orders.order_key
    group by 1, 2, 3, 4

)

select
    {{ hotmart_key(['account_id', 'order_month', 'payment_type', 'currency_code']) }}
                                                                            as failed_payments_key,
    *,
    {{ hotmart_divide('recovered_attempts', 'failed_attempts', 4) }}        as recovery_rate,
    -- paid ÷ settled attempts (pending ones are not decided yet)
    {{ hotmart_divide('paid_attempts', 'attempts - pending_attempts', 4) }}
                                                                            as payment_conversion_rate
from by_month
