-- Every churned MRR is voluntary or involuntary, never both nor neither.
select mrr_monthly_key, churned_mrr, voluntary_churned_mrr, involuntary_churned_mrr
from {{ ref('hotmart__mrr_monthly') }}
where churned_mrr <> voluntary_churned_mrr + involuntary_churned_mrr
   or churned_subscriptions <> voluntary_churned_subscriptions + involuntary_churned_subscriptions
