{#- One row per subscription per calendar month (var('hotmart_timezone')) from the month of
    its first kept charge to the month after its coverage ends (so churn has a row), capped at
    the as-of month.

    MRR is measured at the month's end (the first instant of the next month), or at the as-of
    instant for the current month: a subscription counts when a kept charge made before that
    instant still covers it (charge + period + var('hotmart_mrr_grace_days')). Its MRR is
    that charge's monthly_amount (the latest such charge). Cancelling does not remove MRR
    before the paid period ends (ProfitWell/ChartMogul "end of period" convention).
    Instalment plans (billing_type SMART_INSTALLMENT / SMART_RECOVERY) are not recurring
    revenue and have no rows here.

    `lost_to_refund`: the month has no MRR because the charge that would cover its end was
    refunded, charged back or disputed (approved, then the money went back). The MRR report
    calls that churn voluntary whatever the subscription's status: the buyer took the
    period's money back, nothing failed to be collected (docs/reports.md). -#}

with as_of as (

    select as_of_at, cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as as_of_month
    from {{ ref('int_hotmart__as_of') }}

),

recurring_charges as (

    select *
    from {{ ref('int_hotmart__subscription_charges') }}
    where is_recurring

),

kept_charges as (

    select * from recurring_charges where keeps_period

),

lost_charges as (

    -- paid, then fully refunded, charged back or disputed
    select * from recurring_charges where is_approved and not keeps_period

),

subscription_bounds as (

    select
        subscription_key,
        min({{ hotmart_local_trunc('month', 'charge_at') }})                   as first_month,
        cast({{ dbt.dateadd('month', 1, 'max(' ~ hotmart_local_trunc('month', 'covered_until') ~ ')') }} as date)
                                                                                as last_month
    from kept_charges
    group by 1

),

months as (

    select distinct date_month
    from {{ ref('int_hotmart__date_spine') }}

),

subscription_month_grid as (

    select
        subscription_bounds.subscription_key,
        months.date_month,
        least(
            {{ hotmart_local_midnight(dbt.dateadd('month', 1, 'months.date_month')) }},
            as_of.as_of_at
        )                                                                       as measured_at
    from subscription_bounds
    cross join as_of
    join months
        on months.date_month between subscription_bounds.first_month
            and least(subscription_bounds.last_month, as_of.as_of_month)

),

covering_charges as (

    select
        grid.subscription_key,
        grid.date_month,
        kept_charges.sale_key,
        kept_charges.monthly_amount,
        kept_charges.currency_code,
        kept_charges.charge_at
    from subscription_month_grid as grid
    join kept_charges
        on kept_charges.subscription_key = grid.subscription_key
        and kept_charges.charge_at < grid.measured_at
        and kept_charges.covered_until > grid.measured_at

),

covering_charge as (

    -- the latest charge covering the month's measuring instant
    {{ hotmart_first_row('covering_charges', ['subscription_key', 'date_month'], ['charge_at desc']) }}

),

refund_gaps as (

    -- month ends that a refunded / charged-back / disputed charge would have covered (a
    -- join on the subscription, like covering_charge, so it stays a hash join at scale)
    select distinct grid.subscription_key, grid.date_month
    from subscription_month_grid as grid
    join lost_charges
        on lost_charges.subscription_key = grid.subscription_key
        and lost_charges.charge_at < grid.measured_at
        and lost_charges.covered_until > grid.measured_at

),

subscription_currency as (

    -- the currency of the latest kept charge
    {{ hotmart_first_row('kept_charges', ['subscription_key'], ['charge_at desc']) }}

)

select
    {{ hotmart_key(['grid.subscription_key', 'grid.date_month']) }}         as subscription_month_key,
    grid.subscription_key,
    subscriptions.account_id,
    subscriptions.subscriber_code,
    subscriptions.buyer_ucode,
    subscriptions.product_id,
    subscriptions.plan_period_days,
    subscriptions.status                                                    as subscription_status,
    grid.date_month,
    grid.measured_at,
    coalesce(covering_charge.currency_code, subscription_currency.currency_code)
                                                                            as currency_code,
    coalesce(covering_charge.monthly_amount, 0)                             as mrr_amount,
    covering_charge.sale_key                                                as covering_sale_key,
    covering_charge.sale_key is null and refund_gaps.subscription_key is not null
                                                                            as lost_to_refund
from subscription_month_grid as grid
join {{ ref('stg_hotmart__subscriptions') }} as subscriptions
    on subscriptions.subscription_key = grid.subscription_key
left join covering_charge
    on covering_charge.subscription_key = grid.subscription_key
    and covering_charge.date_month = grid.date_month
left join subscription_currency
    on subscription_currency.subscription_key = grid.subscription_key
left join refund_gaps
    on refund_gaps.subscription_key = grid.subscription_key
    and refund_gaps.date_month = grid.date_month
