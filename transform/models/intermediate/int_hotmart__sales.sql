{#- One row per sale (account_id, transaction_id): its latest known version, with the
    status flags every report uses.

    Two streams carry the same sale: `sales` (incremental with lookback, plus a refund-status
    sweep) and `refunds` (the whole history of refund/chargeback statuses, FULL_TABLE). The
    most recently extracted version wins, so a refund seen by either stream is never lost
    and a dispute reversed back to COMPLETE is not stuck as PROTESTED. A soft-deleted
    version of `refunds` (ACTIVATE_VERSION) only says the sale left that stream's filter. -#}

with sales_versions as (

    select * from {{ ref('stg_hotmart__sales') }}

    union all

    select * from {{ ref('stg_hotmart__refunds') }}
    where not is_deleted_version

),

latest_version as (

    {{ hotmart_first_row(
        'sales_versions',
        ['sale_key'],
        ['version_extracted_at desc nulls last', 'version_sequence desc nulls last']
    ) }}

)

select
    sale_key,
    account_id,
    transaction_id,
    status,
    order_at,
    approved_at,
    warranty_expire_at,
    product_id,
    product_name,
    offer_code,
    offer_payment_mode,
    buyer_ucode,
    buyer_name,
    buyer_email,
    producer_ucode,
    producer_name,
    commission_as,
    is_subscription,
    recurrency_number,
    payment_type,
    payment_method,
    installments,
    currency_code,
    gross_amount,
    hotmart_fee_currency_code,
    hotmart_fee_amount,
    tracking_source,
    tracking_sck,
    tracking_external_code,
    observed_in,
    extracted_at,
    {{ hotmart_status_flags('status') }},
    case
        when not is_subscription then 'one_time'
        when coalesce(recurrency_number, 1) = 1 then 'subscription_first'
        else 'subscription_renewal'
    end                                                             as order_kind
from latest_version
