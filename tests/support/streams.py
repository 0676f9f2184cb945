"""Which emulator ground-truth entity each tap stream mirrors, and its key."""

from __future__ import annotations

#: stream -> (ground-truth entity, key columns besides account_id)
STREAMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sales": ("sales", ("transaction",)),
    "refunds": ("sales", ("transaction",)),
    "sale_participants": ("sale_participants", ("transaction",)),
    "sale_commissions": ("sale_commissions", ("transaction",)),
    "sale_price_details": ("sale_price_details", ("transaction",)),
    "subscriptions": ("subscriptions", ("subscriber_code",)),
    "subscription_transactions": ("subscription_transactions", ("transaction",)),
    "products": ("products", ("id",)),
    "product_offers": ("product_offers", ("product_ucode", "code")),
    "product_plans": ("product_plans", ("product_ucode", "code")),
    "coupons": ("coupons", ("product_id", "id")),
}

REFUND_STATUSES = frozenset({"REFUNDED", "PARTIALLY_REFUNDED", "CHARGEBACK", "PROTESTED"})
