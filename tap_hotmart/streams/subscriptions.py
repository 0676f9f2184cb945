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

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        assert context is not None
        if not row.get("subscriber_code"):
            self.skip_keyless(context)
            return None
        _dates_to_iso(row, SUBSCRIPTION_DATES)
        return super().post_process(row, context)


class SubscriptionTransactionsStream(DateWindowStream):
    """Every subscription charge, incremental on its transaction date with a lookback.

    This is the only endpoint that exposes `last_update` and the refund/chargeback date.
    """

    name = "subscription_transactions"
    path = "/payments/api/v1/subscriptions/transactions"
    primary_keys = ("account_id", "transaction")
    replication_key = "transaction_date"
    date_params = ("transaction_date", "end_transaction_date")

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        assert context is not None
        purchase = row.get("purchase")
        if not isinstance(purchase, dict) or not purchase.get("transaction"):
            self.skip_keyless(context)
            return None
        payment = purchase.get("payment")
        if not isinstance(payment, dict):
            payment = {}
        row["transaction"] = purchase["transaction"]
        row["transaction_date"] = ms_to_iso(purchase.get("order_date"))
        row["purchase_status"] = purchase.get("status")
        row["refund_chargeback_date"] = ms_to_iso(payment.get("refund_chargeback_date"))
        _dates_to_iso(row, SUBSCRIPTION_TRANSACTION_DATES)
        return super().post_process(row, context)
