"""Subscription streams: /payments/api/v1/subscriptions and /subscriptions/transactions."""

from __future__ import annotations

from singer_sdk.helpers.types import Context, Record

from tap_hotmart.date_window_stream import DateWindowStream
from tap_hotmart.windows import ms_to_iso

SUBSCRIPTION_DATES = ("accession_date", "end_accession_date", "request_date", "date_next_charge")
SUBSCRIPTION_TRANSACTION_DATES = (
    "adoption_date",
    "last_update",
    "cancellation_date",
    "date_next_charge",
    "last_recurrency_start_date",
)


def _dates_to_iso(item: dict, names: tuple[str, ...]) -> None:
    for name in names:
        if name in item:
            item[name] = ms_to_iso(item[name])


class SubscriptionsStream(DateWindowStream):
    """Every subscription in its current status, re-read in full every run.

    Hotmart has no updated-at filter on subscriptions, and the list shows only the last 30
    days of accession unless dates are sent; so every run reads the whole history by
    accession date, in wide windows (subscriptions are few next to sales).
    """

    name = "subscriptions"
    path = "/payments/api/v1/subscriptions"
    primary_keys = ("account_id", "subscriber_code")
    replication_key = None
    date_params = ("accession_date", "end_accession_date")
    starts_wide = True

    def transform(self, item: dict, context: Context) -> Record | None:
        if not item.get("subscriber_code"):
            return None
        item["account_id"] = context["account_id"]
        _dates_to_iso(item, SUBSCRIPTION_DATES)
        return item


class SubscriptionTransactionsStream(DateWindowStream):
    """Every subscription charge, incremental on its transaction date with a lookback.

    This is the only endpoint that exposes `last_update` and the refund/chargeback date.
    """

    name = "subscription_transactions"
    path = "/payments/api/v1/subscriptions/transactions"
    primary_keys = ("account_id", "transaction")
    replication_key = "transaction_date"
    date_params = ("transaction_date", "end_transaction_date")

    def transform(self, item: dict, context: Context) -> Record | None:
        purchase = item.get("purchase")
        if not isinstance(purchase, dict) or not purchase.get("transaction"):
            return None
        payment = purchase.get("payment")
        if not isinstance(payment, dict):
            payment = {}
        item["account_id"] = context["account_id"]
        item["transaction"] = purchase["transaction"]
        item["transaction_date"] = ms_to_iso(purchase.get("order_date"))
        item["purchase_status"] = purchase.get("status")
        item["refund_chargeback_date"] = ms_to_iso(payment.get("refund_chargeback_date"))
        _dates_to_iso(item, SUBSCRIPTION_TRANSACTION_DATES)
        return item
