-- Every customer bought in their first-purchase month, so month 0 retains the whole cohort.
select cohort_key, cohort_customers, customers_retained
from {{ ref('hotmart__cohorts') }}
where months_since_first_purchase = 0
  and customers_retained <> cohort_customers
