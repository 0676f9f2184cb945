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
        and later.order_at <= failed.order_at
            + make_interval(days => {{ var('hotmart_recovery_window_days') }})
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
        count(*) filter (where orders.is_approved)                          as paid_attempts,
        count(*) filter (where orders.is_pending)                           as pending_attempts,
        count(*) filter (where orders.is_failed)                            as failed_attempts,
        count(*) filter (where orders.status = 'NO_FUNDS')                  as failed_no_funds,
        count(*) filter (where orders.status = 'CANCELLED')                 as failed_cancelled,
        count(*) filter (where orders.status = 'BLOCKED')                   as failed_blocked,
        count(*) filter (where orders.status = 'EXPIRED')                   as failed_expired,
        count(distinct orders.buyer_ucode) filter (where orders.is_failed)  as failed_buyers,
        coalesce(sum(orders.gross_amount) filter (where orders.is_failed), 0)
                                                                            as failed_amount,
        count(*) filter (where failed_attempts.is_recovered)                as recovered_attempts,
        coalesce(sum(orders.gross_amount) filter (where failed_attempts.is_recovered), 0)
                                                                            as recovered_amount
    from orders
    left join failed_attempts
        on failed_attempts.order_key = orders.order_key
    group by 1, 2, 3, 4

)

select
    account_id || ':' || order_month || ':' || payment_type || ':' || currency_code
                                                                            as failed_payments_key,
    *,
    round(recovered_attempts::numeric / nullif(failed_attempts, 0), 4)      as recovery_rate,
    -- paid ÷ settled attempts (pending ones are not decided yet)
    round(paid_attempts::numeric / nullif(attempts - pending_attempts, 0), 4)
                                                                            as payment_conversion_rate
from by_month
