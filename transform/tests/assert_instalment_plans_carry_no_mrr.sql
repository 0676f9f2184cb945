-- Instalment plans (billing_type SMART_INSTALLMENT / SMART_RECOVERY) are a one-time purchase
-- paid in parts: they must never reach the MRR grid, nor carry a churn type.
select subscriptions.subscription_key, subscriptions.billing_type, subscriptions.churn_type
from {{ ref('hotmart__subscriptions') }} as subscriptions
where not subscriptions.is_recurring
  and (
      subscriptions.churn_type is not null
      or subscriptions.current_mrr_amount <> 0
      or exists (
          select 1
          from {{ ref('int_hotmart__subscription_months') }} as months
          where months.subscription_key = subscriptions.subscription_key
      )
  )
