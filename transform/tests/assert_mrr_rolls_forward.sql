-- MRR movements explain the whole change: mrr = previous mrr + net new MRR, every month.
select mrr_monthly_key, mrr, previous_mrr, net_new_mrr
from {{ ref('hotmart__mrr_monthly') }}
where mrr <> previous_mrr + net_new_mrr
