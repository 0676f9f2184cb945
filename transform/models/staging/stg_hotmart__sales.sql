{#- One row per sale (account_id, transaction_id): its latest known version.

    Two streams carry the same sale: `sales` (incremental with lookback, plus a refund-status
    sweep) and `refunds` (the whole history of refund/chargeback statuses, FULL_TABLE). The
    most recently extracted version wins, so a refund seen by either stream is never lost
    and a dispute reversed back to COMPLETE is not stuck as PROTESTED. -#}

with sales_versions as (

    select *, 'sales' as observed_in
    from {{ source('hotmart', 'sales') }}

    union all

    select *, 'refunds' as observed_in
    from {{ source('hotmart', 'refunds') }}
    where _sdc_deleted_at is null

),

latest_version as (

    {{ hotmart_latest('sales_versions', ['account_id', '"transaction"']) }}

),

typed as (

    select
        account_id || ':' || "transaction"                          as sale_key,
        account_id,
        "transaction"                                               as transaction_id,
        upper(status)                                               as status,
        {{ hotmart_utc('order_date') }}                             as order_at,
        {{ hotmart_utc('approved_date') }}                          as approved_at,
        {{ hotmart_ms_to_timestamp("purchase ->> 'warranty_expire_date'") }}
                                                                    as warranty_expire_at,

        (product ->> 'id')::bigint                                  as product_id,
        product ->> 'name'                                          as product_name,
        purchase -> 'offer' ->> 'code'                              as offer_code,
        purchase -> 'offer' ->> 'payment_mode'                      as offer_payment_mode,

        buyer ->> 'ucode'                                           as buyer_ucode,
        buyer ->> 'name'                                            as buyer_name,
        lower(buyer ->> 'email')                                    as buyer_email,
        producer ->> 'ucode'                                        as producer_ucode,
        producer ->> 'name'                                         as producer_name,
        purchase ->> 'commission_as'                                as commission_as,

        coalesce((purchase ->> 'is_subscription')::boolean, false)  as is_subscription,
        (purchase ->> 'recurrency_number')::integer                 as recurrency_number,

        purchase -> 'payment' ->> 'type'                            as payment_type,
        purchase -> 'payment' ->> 'method'                          as payment_method,
        (purchase -> 'payment' ->> 'installments_number')::integer  as installments,

        upper(purchase -> 'price' ->> 'currency_code')              as currency_code,
        {{ hotmart_amount("purchase -> 'price'") }}                 as gross_amount,
        upper(coalesce(purchase -> 'hotmart_fee' ->> 'currency_code',
                       purchase -> 'price' ->> 'currency_code'))    as hotmart_fee_currency_code,
        {{ hotmart_amount("purchase -> 'hotmart_fee'", 'total') }}  as hotmart_fee_amount,

        nullif(purchase -> 'tracking' ->> 'source', '')             as tracking_source,
        nullif(purchase -> 'tracking' ->> 'source_sck', '')         as tracking_sck,
        nullif(purchase -> 'tracking' ->> 'external_code', '')      as tracking_external_code,

        observed_in,
        _sdc_extracted_at at time zone 'UTC'                        as extracted_at
    from latest_version

)

select
    *,
    {{ hotmart_status_flags('status') }},
    case
        when not is_subscription then 'one_time'
        when coalesce(recurrency_number, 1) = 1 then 'subscription_first'
        else 'subscription_renewal'
    end                                                             as order_kind
from typed
