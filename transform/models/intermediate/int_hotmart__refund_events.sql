{#- One row per sale currently refunded, partially refunded, charged back or disputed, with
    the best date we have for that event and the basis of that date:

    * `event_date`: Hotmart's own refund_chargeback_date (subscription recurrences only);
    * `first_observed`: the first snapshot run that saw the current status after having seen
      the sale in another status (an upper bound of the true date);
    * `order_date`: nothing better is known (e.g. already refunded at the first load). -#}

with refunded_sales as (

    select sale_key, status, order_at
    from {{ ref('int_hotmart__sales') }}
    where is_refunded or is_chargeback

),

hotmart_event_dates as (

    select sale_key, refund_chargeback_at
    from {{ ref('stg_hotmart__subscription_transactions') }}
    where refund_chargeback_at is not null

),

status_versions as (

    select
        sale_key,
        status,
                {{ hotmart_snapshot_instant('dbt_valid_from') }}         as valid_from,
        {{ hotmart_snapshot_instant('min(dbt_valid_from) over (partition by sale_key)') }}
                                                                as first_seen_at
    from {{ ref('hotmart__sale_status_snapshot') }}

),

first_observations as (

    -- the first version in the current status, only if the sale was seen before it
    select
        refunded_sales.sale_key,
        min(status_versions.valid_from)                         as observed_at
    from refunded_sales
    join status_versions
        on status_versions.sale_key = refunded_sales.sale_key
        and status_versions.status = refunded_sales.status
        and status_versions.valid_from > status_versions.first_seen_at
    group by 1

)

select
    refunded_sales.sale_key,
    refunded_sales.status,
    coalesce(
        hotmart_event_dates.refund_chargeback_at,
        first_observations.observed_at,
        refunded_sales.order_at
    )                                                           as refund_event_at,
    case
        when hotmart_event_dates.refund_chargeback_at is not null then 'event_date'
        when first_observations.observed_at is not null then 'first_observed'
        else 'order_date'
    end                                                         as refund_date_basis
from refunded_sales
left join hotmart_event_dates
    on hotmart_event_dates.sale_key = refunded_sales.sale_key
left join first_observations
    on first_observations.sale_key = refunded_sales.sale_key
