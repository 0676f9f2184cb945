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
        {{ hotmart_bool_and('is_recurring') }}                      as is_recurring,
        count(case when is_approved then 1 end)                         as approved_charges,
        count(case when keeps_period then 1 end)                        as paid_charges,
        count(case when status in {{ hotmart_returned_statuses() }} then 1 end)
                                                                    as refunded_or_disputed_charges,
        min(case when keeps_period then charge_at end)                  as first_paid_charge_at,
        max(case when keeps_period then charge_at end)                  as last_paid_charge_at,
        max(case when keeps_period then covered_until end)              as paid_through_at,
        sum(case when keeps_period then amount end)                     as collected_amount
    from {{ ref('int_hotmart__subscription_charges') }}
    group by 1

),

months as (

    select
        subscription_key,
        max(case when date_month = (
            select cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) from {{ ref('int_hotmart__as_of') }}
        ) then mrr_amount end)                                                          as current_mrr_amount,
        max(case when mrr_amount > 0 then date_month end)               as last_month_with_mrr
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
        when subscriptions.status in {{ hotmart_voluntary_cancel_statuses() }} then 'voluntary'
        when subscriptions.status in {{ hotmart_involuntary_end_statuses() }} then 'involuntary'
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
    {{ hotmart_divide('subscriptions.price_amount * 30', 'subscriptions.plan_period_days', 2) }}
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
