{#- One row per order (account_id, transaction_id), every status: the New Orders report's
    detail rows and the base of every revenue report.

    Amounts are in the order's own currency (`currency_code`) except the Hotmart fee
    (`hotmart_fee_currency_code`) and commissions (`commission_currency_code`), which Hotmart
    may state in another currency; *_reporting columns hold the optional conversion to
    var('hotmart_reporting_currency'). -#}

with sales as (

    select * from {{ ref('int_hotmart__sales') }}

),

buyer_sequence as (

    select
        sale_key,
        row_number() over (
            partition by account_id, buyer_ucode order by order_at, transaction_id
        ) as buyer_order_number
    from sales
    where is_approved and buyer_ucode is not null

),

orders as (

    select
        sales.sale_key                                                  as order_key,
        sales.account_id,
        sales.transaction_id,
        sales.status,
        sales.is_paid,
        sales.is_refunded,
        sales.is_chargeback,
        sales.is_failed,
        sales.is_pending,
        sales.is_approved,
        sales.order_kind,
        sales.is_subscription,
        sales.recurrency_number,
        -- SUBSCRIPTION, or SMART_INSTALLMENT / SMART_RECOVERY for an instalment of a one-time
        -- purchase billed on the subscription engine (revenue, not recurring revenue)
        subscription_charges.billing_type,

        sales.order_at,
        sales.approved_at,
        {{ hotmart_local_date('sales.order_at') }}                      as order_date,
        {{ hotmart_local_trunc('week', 'sales.order_at') }}             as order_week,
        {{ hotmart_local_trunc('month', 'sales.order_at') }}            as order_month,
        {{ hotmart_local_date('coalesce(sales.approved_at, sales.order_at)') }}
                                                                        as approved_date,
        sales.warranty_expire_at,
        coalesce(sales.warranty_expire_at > as_of.as_of_at, false)      as is_within_warranty,

        sales.product_id,
        coalesce(products.product_name, sales.product_name)             as product_name,
        sales.offer_code,
        sales.offer_payment_mode,
        sales.payment_type,
        sales.payment_method,
        sales.installments,

        sales.buyer_ucode,
        sales.buyer_email,
        sales.buyer_name,
        participants.buyer_country,
        buyer_sequence.buyer_order_number,
        coalesce(buyer_sequence.buyer_order_number = 1, false)          as is_first_purchase,

        sales.tracking_source,
        sales.tracking_sck,
        sales.tracking_external_code,
        coalesce(commissions.affiliate_ucode, participants.affiliate_ucode)
                                                                        as affiliate_ucode,
        coalesce(commissions.affiliate_name, participants.affiliate_name)
                                                                        as affiliate_name,
        price_details.coupon_code,

        sales.currency_code,
        sales.gross_amount,
        case when price_details.total_currency_code = sales.currency_code
             then price_details.vat_amount end                          as vat_amount,
        case when price_details.total_currency_code = sales.currency_code
             then price_details.coupon_amount end                       as coupon_amount,
        -- money the buyer paid and the producer side kept: 0 once fully refunded or
        -- charged back (PROTESTED counts as lost while disputed); partial refunds keep the
        -- gross because Hotmart does not say how much was returned
        case
            when sales.is_approved and sales.status not in {{ hotmart_returned_statuses() }}
                then sales.gross_amount
            else 0
        end                                                             as net_revenue_amount,
        sales.hotmart_fee_currency_code,
        sales.hotmart_fee_amount,
        commissions.commission_currency_code,
        commissions.producer_commission_amount,
        commissions.coproducer_commission_amount,
        commissions.affiliate_commission_amount,
        commissions.addon_commission_amount,
        -- what the producer receives: its own commission line (after fee and partners)
        commissions.producer_commission_amount                          as producer_net_amount,

        refund_events.refund_event_at,
        {{ hotmart_local_date('refund_events.refund_event_at') }}       as refund_event_date,
        refund_events.refund_date_basis,
        sales.extracted_at
    from sales
    cross join {{ ref('int_hotmart__as_of') }} as as_of
    left join buyer_sequence
        on buyer_sequence.sale_key = sales.sale_key
    left join {{ ref('int_hotmart__sale_commissions') }} as commissions
        on commissions.sale_key = sales.sale_key
    left join {{ ref('stg_hotmart__sale_price_details') }} as price_details
        on price_details.sale_key = sales.sale_key
    left join {{ ref('int_hotmart__sale_participants') }} as participants
        on participants.sale_key = sales.sale_key
    left join {{ ref('stg_hotmart__products') }} as products
        on products.account_id = sales.account_id
        and products.product_id = sales.product_id
    left join {{ ref('int_hotmart__refund_events') }} as refund_events
        on refund_events.sale_key = sales.sale_key
    left join {{ ref('int_hotmart__subscription_charges') }} as subscription_charges
        on subscription_charges.sale_key = sales.sale_key

)

-- columns qualified: inside the rate lookup an unqualified currency_code is the rate's
select
    orders.*,
    {{ hotmart_reporting_currency() }}                                  as reporting_currency_code,
    {{ hotmart_to_reporting('orders.gross_amount', 'orders.currency_code', 'orders.approved_date') }}
                                                                        as gross_amount_reporting,
    {{ hotmart_to_reporting('orders.net_revenue_amount', 'orders.currency_code', 'orders.approved_date') }}
                                                                        as net_revenue_amount_reporting,
    {{ hotmart_to_reporting('orders.hotmart_fee_amount', 'orders.hotmart_fee_currency_code', 'orders.approved_date') }}
                                                                        as hotmart_fee_amount_reporting,
    {{ hotmart_to_reporting('orders.producer_net_amount', 'orders.commission_currency_code', 'orders.approved_date') }}
                                                                        as producer_net_amount_reporting
from orders
