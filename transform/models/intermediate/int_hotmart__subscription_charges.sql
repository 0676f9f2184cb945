{#- One row per charge (recurrence) of a subscription, with the period it pays for.

    The sale's latest status comes from the sales stream (swept for refunds over the whole
    history); subscription_transactions supplies the link to the subscription. A charge
    "keeps" its period when its money stayed with the producer: APPROVED, COMPLETE or
    PARTIALLY_REFUNDED. A fully refunded or charged-back charge paid for nothing, so it
    carries no MRR (a refunded one-off month is not churn + reactivation either: the
    coverage of the previous charge usually bridges it only if the customer paid again).

    Hotmart also bills instalment plans of one-time purchases on its subscription engine:
    their recurrences carry billing_type SMART_INSTALLMENT or SMART_RECOVERY
    (hotmart-api-facts.md §6 item 17). They are revenue but not recurring revenue, so
    `is_recurring` is false for every charge of such a plan and the MRR models leave them
    out. The billing type belongs to the plan: one recurrence that says so is enough (the
    others may come without it). -#}

with recurrences as (

    select
        subscription_transactions.sale_key,
        subscription_transactions.account_id,
        subscription_transactions.transaction_id,
        subscription_transactions.subscription_key,
        coalesce(sales.recurrency_number, subscription_transactions.recurrency_number)
                                                                    as recurrency_number,
        coalesce(sales.order_at, subscription_transactions.transaction_at)
                                                                    as charge_at,
        coalesce(sales.status, subscription_transactions.purchase_status)
                                                                    as status,
        coalesce(sales.currency_code, subscription_transactions.currency_code)
                                                                    as currency_code,
        coalesce(sales.gross_amount, subscription_transactions.price_amount)
                                                                    as amount,
        sales.buyer_ucode
    from {{ ref('stg_hotmart__subscription_transactions') }} as subscription_transactions
    left join {{ ref('int_hotmart__sales') }} as sales
        on sales.sale_key = subscription_transactions.sale_key

),

billing_types as (

    select
        subscription_key,
        coalesce(
            max(case when billing_type in {{ hotmart_instalment_billing_types() }} then billing_type end),
            max(billing_type)
        )                                                                   as billing_type
    from {{ ref('stg_hotmart__subscription_transactions') }}
    group by 1

)

select
    recurrences.sale_key,
    recurrences.account_id,
    recurrences.transaction_id,
    recurrences.subscription_key,
    recurrences.recurrency_number,
    recurrences.charge_at,
    recurrences.status,
    recurrences.currency_code,
    recurrences.amount,
    coalesce(recurrences.buyer_ucode, subscriptions.buyer_ucode)     as buyer_ucode,
    subscriptions.plan_period_days,
    billing_types.billing_type,
    -- unknown or missing billing types count as subscriptions (the staging test warns)
    coalesce(billing_types.billing_type not in {{ hotmart_instalment_billing_types() }}, true)
                                                                    as is_recurring,
    recurrences.status in {{ hotmart_paid_statuses() }}
        or recurrences.status in {{ hotmart_refunded_statuses() }}
        or recurrences.status in {{ hotmart_chargeback_statuses() }}   as is_approved,
    recurrences.status in {{ hotmart_kept_statuses() }} as keeps_period,
    {{ dbt.dateadd('day', 'subscriptions.plan_period_days + ' ~ var('hotmart_mrr_grace_days'), 'recurrences.charge_at') }}
                                                                    as covered_until,
    -- the charge normalised to 30 days (7 → ×30/7, 90 → ÷3, 360 → ÷12), rounded to the cent
    {{ hotmart_divide('recurrences.amount * 30', 'subscriptions.plan_period_days', 2) }}
                                                                    as monthly_amount
from recurrences
join {{ ref('stg_hotmart__subscriptions') }} as subscriptions
    on subscriptions.subscription_key = recurrences.subscription_key
left join billing_types
    on billing_types.subscription_key = recurrences.subscription_key
where subscriptions.plan_period_days > 0
