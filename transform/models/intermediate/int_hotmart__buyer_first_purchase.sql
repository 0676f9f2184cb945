{#- One row per buyer (account_id, buyer_ucode): their first approved order. A buyer is
    identified by Hotmart's buyer ucode within an account (accounts are separate businesses,
    so the same person buying from two accounts is two customers). Ties on the order instant
    are broken by transaction code so the choice is stable. -#}

with approved_orders as (

    select *
    from {{ ref('int_hotmart__sales') }}
    where is_approved and buyer_ucode is not null

),

ranked as (

    select
        *,
        row_number() over (
            partition by account_id, buyer_ucode
            order by order_at, transaction_id
        ) as buyer_order_number,
        count(*) over (partition by account_id, buyer_ucode) as approved_orders_count
    from approved_orders

)

select
    {{ hotmart_key(['account_id', 'buyer_ucode']) }}    as customer_key,
    account_id,
    buyer_ucode,
    buyer_email,
    buyer_name,
    sale_key                                            as first_sale_key,
    transaction_id                                      as first_transaction_id,
    order_at                                            as first_order_at,
    {{ hotmart_local_date('order_at') }}                as first_order_date,
    {{ hotmart_local_trunc('month', 'order_at') }}      as first_order_month,
    product_id                                          as first_product_id,
    product_name                                        as first_product_name,
    order_kind                                          as first_order_kind,
    currency_code                                       as first_order_currency_code,
    tracking_source                                     as first_touch_source,
    tracking_sck                                        as first_touch_sck,
    tracking_external_code                              as first_touch_external_code,
    approved_orders_count
from ranked
where buyer_order_number = 1
