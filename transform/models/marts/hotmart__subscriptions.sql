{#- One row per subscription (account_id, subscriber_code): plan, price, normalised monthly
    value, charge history and, if it churned, when and how.

    Hotmart's instalment plans (billing_type SMART_INSTALLMENT / SMART_RECOVERY) are listed
    with the subscriptions, since Hotmart bills them on its subscription engine, but they are
    a one-time purchase paid in parts: is_recurring is false, they have no MRR and no churn
    type (their charges still count in paid_charges and collected_amount: that money is
    revenue).

    churn_type (docs/reports.md, "Churn type"):
    * null when the subscription never paid (no charge ever approved) or is an instalment plan;
    * voluntary when it paid but kept nothing: every approved charge was then fully refunded,
      charged back or disputed. The buyer took the money back, which is leaving by choice,
      whatever the status (Hotmart may cancel it as admin after a chargeback). It never had
      MRR (a refunded charge carries none), so it adds no churned MRR in hotmart__mrr_monthly;
    * otherwise by the status: voluntary when cancelled by the customer or the seller,
      involuntary when cancelled by Hotmart's admin after unpaid charges, overdue or delayed;
      null while active. -#}

with charges as (

    select
        subscription_key,
        max(billing_type)                                           as billing_type,
        bool_and(is_recurring)                                      as is_recurring,
        count(*) filter (where is_approved)                         as approved_charges,
        count(*) filter (where keeps_period)                        as paid_charges,
        count(*) filter (where status in ('REFUNDED', 'CHARGEBACK', 'PROTESTED'))
                                                                    as refunded_or_disputed_charges,
        min(charge_at) filter (where keeps_period)                  as first_paid_charge_at,
        max(charge_at) filter (where keeps_period)                  as last_paid_charge_at,
        max(covered_until) filter (where keeps_period)              as paid_through_at,
        sum(amount) filter (where keeps_period)                     as collected_amount
    from {{ ref('int_hotmart__subscription_charges') }}
    group by 1

),

months as (

    select
        subscription_key,
        max(mrr_amount) filter (where date_month = (
            select date_trunc('month', as_of_date)::date from {{ ref('int_hotmart__as_of') }}
        ))                                                          as current_mrr_amount,
        max(date_month) filter (where mrr_amount > 0)               as last_month_with_mrr
    from {{ ref('int_hotmart__subscription_months') }}
    group by 1

)

select
    subscriptions.subscription_key,
    subscriptions.account_id,
    subscriptions.subscriber_code,
    subscriptions.subscription_id,
    subscriptions.status,
    subscriptions.is_active,
    subscriptions.is_cancelled,
    charges.billing_type,
    coalesce(charges.is_recurring, true)                            as is_recurring,
    case
        when not coalesce(charges.is_recurring, true) then null
        -- only a subscription that paid can churn (INACTIVE/STARTED never started)
        when coalesce(charges.approved_charges, 0) = 0 then null
        when charges.paid_charges = 0 then 'voluntary'
        when subscriptions.status in ('CANCELLED_BY_CUSTOMER', 'CANCELLED_BY_SELLER') then 'voluntary'
        when subscriptions.status in ('CANCELLED_BY_ADMIN', 'OVERDUE', 'DELAYED') then 'involuntary'
    end                                                             as churn_type,
    subscriptions.accession_at,
    subscriptions.cancelled_at,
    subscriptions.next_charge_at,
    subscriptions.has_trial,
    subscriptions.product_id,
    subscriptions.product_name,
    subscriptions.plan_id,
    subscriptions.plan_name,
    subscriptions.plan_period_days,
    subscriptions.buyer_ucode,
    subscriptions.subscriber_email,
    subscriptions.currency_code,
    subscriptions.price_amount,
    round(subscriptions.price_amount * 30 / nullif(subscriptions.plan_period_days, 0), 2)
                                                                    as plan_monthly_amount,
    coalesce(months.current_mrr_amount, 0)                          as current_mrr_amount,
    coalesce(charges.paid_charges, 0)                               as paid_charges,
    coalesce(charges.refunded_or_disputed_charges, 0)               as refunded_or_disputed_charges,
    charges.first_paid_charge_at,
    charges.last_paid_charge_at,
    charges.paid_through_at,
    charges.collected_amount,
    months.last_month_with_mrr
from {{ ref('stg_hotmart__subscriptions') }} as subscriptions
left join charges
    on charges.subscription_key = subscriptions.subscription_key
left join months
    on months.subscription_key = subscriptions.subscription_key
