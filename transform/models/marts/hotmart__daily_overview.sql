{#- Daily overview: every day of the spine × account × currency (days without activity are
    zeros), in the cash view: sales on the day they were approved, refunds and chargebacks on
    the day they happened (int_hotmart__refund_events: event date, first observation or
    order date), failed payments on the day they were attempted. Running totals from the
    first day. Currencies are never mixed: one row per currency. -#}

with orders as (

    select * from {{ ref('hotmart__orders') }}

),

sales_by_day as (

    select
        account_id, currency_code, approved_date as date_day,
        count(*)                                                        as sales_count,
        sum(gross_amount)                                               as sales_amount,
        count(case when order_kind = 'subscription_renewal' then 1 end)     as renewals_count,
        coalesce(sum(case when hotmart_fee_currency_code = currency_code then hotmart_fee_amount end), 0) as fees_amount,
        coalesce(sum(case when commission_currency_code = currency_code then producer_net_amount end), 0)  as producer_commission_amount
    from orders
    where is_approved
    group by 1, 2, 3

),

refunds_by_day as (

    select
        account_id, currency_code, refund_event_date as date_day,
        count(case when status = {{ hotmart_status('REFUNDED') }} then 1 end)                     as refunds_count,
        coalesce(sum(case when status = {{ hotmart_status('REFUNDED') }} then gross_amount end), 0)
                                                                        as refunds_amount,
        count(case when status = {{ hotmart_status('PARTIALLY_REFUNDED') }} then 1 end)           as partial_refunds_count,
        count(case when is_chargeback then 1 end)                           as chargebacks_count,
        count(case when status = {{ hotmart_status('PROTESTED') }} then 1 end)                    as disputes_count,
        coalesce(sum(case when is_chargeback then gross_amount end), 0)     as chargebacks_amount
    from orders
    where is_refunded or is_chargeback
    group by 1, 2, 3

),

failed_by_day as (

    select
        account_id, currency_code, order_date as date_day,
        count(*)                                                        as failed_payments_count,
        sum(gross_amount)                                               as failed_payments_amount
    from orders
    where is_failed
    group by 1, 2, 3

),

account_currencies as (

    select distinct account_id, currency_code
    from orders
    where currency_code is not null

),

daily as (

    select
        spine.date_day,
        spine.date_week,
        spine.date_month,
        spine.date_index,
        account_currencies.account_id,
        account_currencies.currency_code,
        coalesce(sales_by_day.sales_count, 0)                   as sales_count,
        coalesce(sales_by_day.renewals_count, 0)                as renewals_count,
        coalesce(sales_by_day.sales_amount, 0)                  as sales_amount,
        coalesce(sales_by_day.fees_amount, 0)                   as fees_amount,
        coalesce(sales_by_day.producer_commission_amount, 0)    as producer_commission_amount,
        coalesce(refunds_by_day.refunds_count, 0)               as refunds_count,
        coalesce(refunds_by_day.refunds_amount, 0)              as refunds_amount,
        coalesce(refunds_by_day.partial_refunds_count, 0)       as partial_refunds_count,
        coalesce(refunds_by_day.chargebacks_count, 0)           as chargebacks_count,
        coalesce(refunds_by_day.disputes_count, 0)              as disputes_count,
        coalesce(refunds_by_day.chargebacks_amount, 0)          as chargebacks_amount,
        coalesce(failed_by_day.failed_payments_count, 0)        as failed_payments_count,
        coalesce(failed_by_day.failed_payments_amount, 0)       as failed_payments_amount
    from {{ ref('int_hotmart__date_spine') }} as spine
    cross join account_currencies
    left join sales_by_day
        on sales_by_day.account_id = account_currencies.account_id
        and sales_by_day.currency_code = account_currencies.currency_code
        and sales_by_day.date_day = spine.date_day
    left join refunds_by_day
        on refunds_by_day.account_id = account_currencies.account_id
        and refunds_by_day.currency_code = account_currencies.currency_code
        and refunds_by_day.date_day = spine.date_day
    left join failed_by_day
        on failed_by_day.account_id = account_currencies.account_id
        and failed_by_day.currency_code = account_currencies.currency_code
        and failed_by_day.date_day = spine.date_day

),

with_net as (

    select
        *,
        sales_amount - refunds_amount - chargebacks_amount          as net_revenue_amount,
        sales_amount - refunds_amount - chargebacks_amount - fees_amount
                                                                    as net_after_fees_amount
    from daily

)

select
    {{ hotmart_key(['account_id', 'date_day', 'currency_code']) }}  as daily_overview_key,
    *,
    {% for column in ['sales_count', 'sales_amount', 'refunds_count', 'refunds_amount',
                      'chargebacks_count', 'chargebacks_amount', 'failed_payments_count',
                      'fees_amount', 'net_revenue_amount', 'net_after_fees_amount'] %}
    sum({{ column }}) over (
        partition by account_id, currency_code order by date_day
        rows between unbounded preceding and current row
    )                                                               as rolling_{{ column }}{{ ',' if not loop.last }}
    {% endfor %}
from with_net
