"""Hotmart's status enumerations that the requests depend on."""

from __future__ import annotations

# Every purchase status. Sales endpoints return only APPROVED and COMPLETE unless a
# status filter is sent, so every sales-family request sends all of them.
TRANSACTION_STATUSES: tuple[str, ...] = (
    "APPROVED",
    "BLOCKED",
    "CANCELLED",
    "CHARGEBACK",
    "COMPLETE",
    "EXPIRED",
    "NO_FUNDS",
    "OVERDUE",
    "PARTIALLY_REFUNDED",
    "PRE_ORDER",
    "PRINTED_BILLET",
    "PROCESSING_TRANSACTION",
    "PROTESTED",
    "REFUNDED",
    "STARTED",
    "UNDER_ANALISYS",
    "WAITING_PAYMENT",
)

# Statuses a sale can reach long after its order date (refunds, chargebacks, disputes).
REFUND_STATUSES: tuple[str, ...] = ("REFUNDED", "PARTIALLY_REFUNDED", "CHARGEBACK", "PROTESTED")

# An open dispute: it can end back in COMPLETE (the seller won), which no refund-status
# filter returns, so the `sales` stream re-checks the disputes it saw (streams/sales.py).
DISPUTED_STATUS = "PROTESTED"
