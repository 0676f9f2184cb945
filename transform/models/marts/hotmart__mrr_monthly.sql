{#- MRR by month × account × currency, with its movements, subscribers and churn.

    Movements are classified per subscription between consecutive month ends:
    new (0 → >0, never had MRR before), reactivation (0 → >0 after having had MRR),
    expansion / contraction (>0 → larger / smaller), churn (>0 → 0). A churn is voluntary
    when the charge that would cover the month end was refunded, charged back or disputed
    (the buyer took that period's money back, whatever the subscription's status says) or
    when the subscription was cancelled by the customer or the seller; involuntary
    otherwise (a charge that was not collected in time: overdue, delayed, cancelled by
    Hotmart's admin after unpaid charges). Instalment plans (SMART_INSTALLMENT /
    SMART_RECOVERY) are not in int_hotmart__subscription_months: no MRR, subscriber or churn.
    mrr = previous mrr + new + reactivation + expansion − contraction − churned, exactly.

    Customers are buyers (buyer ucode): active_customers counts buyers with MRR > 0 at the
    month end; customer_churn_rate = buyers active at the previous month end and not at
    this one ÷ buyers active at the previous month end; ARPA = MRR ÷ active customers. -#}

with subscription_months as (

    select
        *,
        coalesce(lag(mrr_amount) over (
            partition by subscription_key order by date_month
        ), 0)                                                                   as previous_mrr_amount,
        coalesce(max(mrr_amount) over (
            partition by subscription_key order by date_month
            rows between unbounded preceding and 1 preceding
        ), 0) > 0                                                               as had_mrr_before
    from {{ ref('int_hotmart__subscription_months') }}

),

movements as (

    select
        *,
        case
            when previous_mrr_amount = 0 and mrr_amount > 0 and not had_mrr_before then 'new'
            when previous_mrr_amount = 0 and mrr_amount > 0 then 'reactivation'
            when previous_mrr_amount > 0 and mrr_amount = 0 then 'churn'
            when mrr_amount > previous_mrr_amount then 'expansion'
            when mrr_amount < previous_mrr_amount then 'contraction'
        end                                                                     as movement,
        case
            when lost_to_refund then 'voluntary'
            when subscription_status in {{ hotmart_voluntary_cancel_statuses() }}
                then 'voluntary'
            else 'involuntary'
        end                                                                     as churn_type
    from subscription_months

),

customer_months as (

    -- a buyer is an active customer in a month when any of their subscriptions has MRR
    select
        account_id, currency_code, buyer_ucode, date_month,
        sum(mrr_amount) > 0                                                     as is_active
    from subscription_months
    group by 1, 2, 3, 4

),

customer_flow as (

    select
        *,
        coalesce(lag(is_active) over (
            partition by account_id, currency_code, buyer_ucode order by date_month
        ), false)                                                               as was_active
    from customer_months

),

customers_by_month as (

    select
        account_id, currency_code, date_month,
        count(case when is_active then 1 end)                                       as active_customers,
        count(case when was_active then 1 end)                                      as customers_at_start,
        count(case when was_active and not is_active then 1 end)                    as churned_customers,
        count(case when is_active and not was_active then 1 end)                    as new_or_returning_customers
    from customer_flow
    group by 1, 2, 3

),

subscriptions_by_month as (

    select
        account_id, currency_code, date_month,
        sum(mrr_amount)                                                         as mrr,
        sum(previous_mrr_amount)                                                as previous_mrr,
        coalesce(sum(case when movement = 'new' then mrr_amount end), 0)            as new_mrr,
        coalesce(sum(case when movement = 'reactivation' then mrr_amount end), 0)   as reactivation_mrr,
        coalesce(sum(case when movement = 'expansion' then mrr_amount - previous_mrr_amount end), 0)                           as expansion_mrr,
        coalesce(sum(case when movement = 'contraction' then previous_mrr_amount - mrr_amount end), 0)                         as contraction_mrr,
        coalesce(sum(case when movement = 'churn' then previous_mrr_amount end), 0) as churned_mrr,
        coalesce(sum(case when movement = 'churn' and churn_type = 'voluntary' then previous_mrr_amount end), 0)  as voluntary_churned_mrr,
        coalesce(sum(case when movement = 'churn' and churn_type = 'involuntary' then previous_mrr_amount end), 0) as involuntary_churned_mrr,
        count(case when mrr_amount > 0 then 1 end)                                  as active_subscriptions,
        count(case when movement = 'new' then 1 end)                                as new_subscriptions,
        count(case when movement = 'reactivation' then 1 end)                       as reactivated_subscriptions,
        count(case when movement = 'churn' then 1 end)                              as churned_subscriptions,
        count(case when movement = 'churn' and churn_type = 'voluntary' then 1 end) as voluntary_churned_subscriptions,
        count(case when movement = 'churn' and churn_type = 'involuntary' then 1 end)
                                                                                as involuntary_churned_subscriptions,
        max(measured_at)                                                        as measured_at
    from movements
    group by 1, 2, 3

)

select
    {{ hotmart_key(['subscriptions_by_month.account_id', 'subscriptions_by_month.date_month',
                    'subscriptions_by_month.currency_code']) }}                 as mrr_monthly_key,
    subscriptions_by_month.*,
    subscriptions_by_month.new_mrr + subscriptions_by_month.reactivation_mrr
        + subscriptions_by_month.expansion_mrr - subscriptions_by_month.contraction_mrr
        - subscriptions_by_month.churned_mrr                                    as net_new_mrr,
    subscriptions_by_month.mrr * 12                                             as arr,
    customers_by_month.active_customers,
    customers_by_month.customers_at_start,
    customers_by_month.churned_customers,
    customers_by_month.new_or_returning_customers,
    {{ hotmart_divide('subscriptions_by_month.mrr', 'customers_by_month.active_customers', 2) }}
                                                                                as arpa,
    {{ hotmart_divide('customers_by_month.churned_customers', 'customers_by_month.customers_at_start', 4) }}
                                                                                as customer_churn_rate
from subscriptions_by_month
join customers_by_month
    on customers_by_month.account_id = subscriptions_by_month.account_id
    and customers_by_month.currency_code = subscriptions_by_month.currency_code
    and customers_by_month.date_month = subscriptions_by_month.date_month
