"""Hotmart enumerations and the emulator's status codes.

Statuses are stored as one byte per sale, so every enumeration here is an ordered tuple
whose index is the stored code. The spellings are Hotmart's (``UNDER_ANALISYS`` is
misspelled in the real API and must stay so).
"""

from __future__ import annotations

TRANSACTION_STATUSES: tuple[str, ...] = (
    "APPROVED",
    "COMPLETE",
    "CANCELLED",
    "REFUNDED",
    "PARTIALLY_REFUNDED",
    "CHARGEBACK",
    "PROTESTED",
    "BLOCKED",
    "UNDER_ANALISYS",
    "PROCESSING_TRANSACTION",
    "WAITING_PAYMENT",
    "PRINTED_BILLET",
    "EXPIRED",
    "NO_FUNDS",
    "OVERDUE",
    "PRE_ORDER",
    "STARTED",
)
ST = {name: code for code, name in enumerate(TRANSACTION_STATUSES)}
APPROVED = ST["APPROVED"]
COMPLETE = ST["COMPLETE"]
CANCELLED = ST["CANCELLED"]
REFUNDED = ST["REFUNDED"]
PARTIALLY_REFUNDED = ST["PARTIALLY_REFUNDED"]
CHARGEBACK = ST["CHARGEBACK"]
PROTESTED = ST["PROTESTED"]
BLOCKED = ST["BLOCKED"]
UNDER_ANALISYS = ST["UNDER_ANALISYS"]
PROCESSING_TRANSACTION = ST["PROCESSING_TRANSACTION"]
WAITING_PAYMENT = ST["WAITING_PAYMENT"]
PRINTED_BILLET = ST["PRINTED_BILLET"]
EXPIRED = ST["EXPIRED"]
NO_FUNDS = ST["NO_FUNDS"]
OVERDUE = ST["OVERDUE"]

#: The trap: sales endpoints show only these unless a status or transaction is asked for.
DEFAULT_SALES_STATUSES = frozenset({APPROVED, COMPLETE})
#: Statuses that may change long after the order (the tap's lookback cannot rely on 60 days).
LATE_STATUSES = frozenset({REFUNDED, PARTIALLY_REFUNDED, CHARGEBACK, PROTESTED})
#: A sale that reached one of these was paid at some point.
PAID_STATUSES = frozenset({APPROVED, COMPLETE, REFUNDED, PARTIALLY_REFUNDED, CHARGEBACK, PROTESTED})
FAILED_STATUSES = frozenset({CANCELLED, BLOCKED, EXPIRED, NO_FUNDS})
PENDING_STATUSES = frozenset(
    {
        UNDER_ANALISYS,
        PROCESSING_TRANSACTION,
        WAITING_PAYMENT,
        PRINTED_BILLET,
        ST["PRE_ORDER"],
        ST["STARTED"],
    }
)

SUBSCRIPTION_STATUSES: tuple[str, ...] = (
    "ACTIVE",
    "INACTIVE",
    "DELAYED",
    "CANCELLED_BY_CUSTOMER",
    "CANCELLED_BY_SELLER",
    "CANCELLED_BY_ADMIN",
    "STARTED",
    "OVERDUE",
)
#: The subscription-transactions filter also accepts a plain CANCELLED.
SUBSCRIPTION_TX_STATUSES: tuple[str, ...] = (*SUBSCRIPTION_STATUSES, "CANCELLED")
RECURRENCY_STATUSES: tuple[str, ...] = ("PAID", "NOT_PAID", "CLAIMED", "REFUNDED", "CHARGEBACK")
BILLING_TYPES: tuple[str, ...] = ("SUBSCRIPTION", "SMART_INSTALLMENT", "SMART_RECOVERY")

PAYMENT_TYPES: tuple[str, ...] = (
    "BILLET",
    "CASH_PAYMENT",
    "CREDIT_CARD",
    "DIRECT_BANK_TRANSFER",
    "DIRECT_DEBIT",
    "FINANCED_BILLET",
    "FINANCED_INSTALLMENT",
    "GOOGLE_PAY",
    "HOTCARD",
    "HYBRID",
    "MANUAL_TRANSFER",
    "PAYPAL",
    "PAYPAL_INTERNACIONAL",
    "PICPAY",
    "PIX",
    "SAMSUNG_PAY",
    "WALLET",
)
COMMISSION_AS: tuple[str, ...] = ("PRODUCER", "COPRODUCER", "AFFILIATE")

PRODUCT_STATUSES: tuple[str, ...] = (
    "DRAFT",
    "ACTIVE",
    "PAUSED",
    "NOT_APPROVED",
    "IN_REVIEW",
    "DELETED",
    "CHANGES_PENDING_ON_PRODUCT",
)
PRODUCT_FORMATS: tuple[str, ...] = (
    "EBOOK",
    "SOFTWARE",
    "MOBILE_APPS",
    "VIDEOS",
    "AUDIOS",
    "TEMPLATES",
    "IMAGES",
    "ONLINE_COURSE",
    "SERIAL_CODES",
    "ETICKET",
    "ONLINE_SERVICE",
    "ONLINE_EVENT",
    "BUNDLE",
    "COMMUNITY",
    "AGENT",
)

#: (code, units of this currency per 1 BRL in millionths, share of sales, VAT rate in %)
CURRENCIES: tuple[tuple[str, int, float, int], ...] = (
    ("BRL", 1_000_000, 0.74, 0),
    ("USD", 190_000, 0.09, 0),
    ("EUR", 175_000, 0.06, 20),
    ("MXN", 3_400_000, 0.04, 16),
    ("COP", 780_000_000, 0.03, 0),
    ("ARS", 190_000_000, 0.015, 0),
    ("CLP", 180_000_000, 0.015, 0),
    ("PEN", 700_000, 0.01, 0),
)

#: Payment types a sale is made with, with the method string Hotmart reports.
SALE_PAYMENTS: tuple[tuple[str, str, float], ...] = (
    ("CREDIT_CARD", "CREDIT_CARD_VISA", 0.36),
    ("CREDIT_CARD", "CREDIT_CARD_MASTERCARD", 0.26),
    ("CREDIT_CARD", "CREDIT_CARD_ELO", 0.04),
    ("PIX", "PIX", 0.17),
    ("BILLET", "BILLET", 0.11),
    ("PAYPAL", "PAYPAL", 0.03),
    ("GOOGLE_PAY", "GOOGLE_PAY", 0.03),
)
CARD_LIKE = frozenset({"CREDIT_CARD", "PAYPAL", "GOOGLE_PAY"})

#: (source, source_sck) tracking pairs; weights favour organic Hotmart traffic.
TRACKING: tuple[tuple[str, str, float], ...] = (
    ("HOTMART", "HOTMART_PRODUCT_PAGE", 0.30),
    ("instagram", "ig_bio", 0.18),
    ("facebook", "fb_ads_lookalike", 0.16),
    ("google", "gads_search", 0.12),
    ("youtube", "yt_description", 0.08),
    ("email", "newsletter_weekly", 0.08),
    ("tiktok", "tt_video", 0.05),
    ("whatsapp", "wa_group", 0.03),
)
