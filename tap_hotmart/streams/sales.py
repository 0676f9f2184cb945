"""Sales-family streams: /payments/api/v1/sales/*.

All of them filter on the order date and send every transaction status. `sales` and the
three detail streams re-read `lookback_days` every run because a sale's status changes
after its order date (warranty completion, boleto expiry, refunds); `refunds` re-reads the
refund statuses over the whole history because a chargeback can come months later.
"""

from __future__ import annotations

from typing import Any, ClassVar

from singer_sdk.helpers.types import Context, Record

from tap_hotmart.client import DateWindowStream
from tap_hotmart.streams.statuses import REFUND_STATUSES, TRANSACTION_STATUSES
from tap_hotmart.windows import ms_to_iso

ALL_STATUSES = {"transaction_status": list(TRANSACTION_STATUSES)}
REFUND_FILTER = {"transaction_status": list(REFUND_STATUSES)}


def hoist_purchase(item: dict, context: Context) -> Record | None:
    """Lift the keys and dates reports filter on out of `purchase` (kept verbatim too)."""
    purchase = item.get("purchase")
    if not isinstance(purchase, dict) or not purchase.get("transaction"):
        return None
    item["account_id"] = context["account_id"]
    item["transaction"] = purchase["transaction"]
    item["status"] = purchase.get("status")
    item["order_date"] = ms_to_iso(purchase.get("order_date"))
    item["approved_date"] = ms_to_iso(purchase.get("approved_date"))
    return item


class SalesStream(DateWindowStream):
    """Every sale in every status, incremental on order date with a lookback."""

    name = "sales"
    endpoint = "/payments/api/v1/sales/history"
    primary_keys = ("account_id", "transaction")
    replication_key = "order_date"
    sweep_filters = REFUND_FILTER

    def request_params(self, context: Context | None) -> dict[str, Any]:
        return ALL_STATUSES

    def transform(self, item: dict, context: Context) -> Record | None:
        return hoist_purchase(item, context)


class RefundsStream(DateWindowStream):
    """Every refunded, partially refunded, charged-back or disputed sale, whole history."""

    name = "refunds"
    endpoint = "/payments/api/v1/sales/history"
    primary_keys = ("account_id", "transaction")
    replication_key = None
    starts_wide = True  # refund statuses are a few percent of sales

    def request_params(self, context: Context | None) -> dict[str, Any]:
        return REFUND_FILTER

    def transform(self, item: dict, context: Context) -> Record | None:
        return hoist_purchase(item, context)


class SaleDetailStream(DateWindowStream):
    """A per-sale detail endpoint read in the same windows and statuses as `sales`.

    These endpoints return no date, so the bookmark column is the end of the order-date
    window a record was read in (`order_window_end`): the sale's order date is before it.
    """

    primary_keys = ("account_id", "transaction")
    replication_key = "order_window_end"
    window_field: ClassVar[str] = "order_window_end"

    def request_params(self, context: Context | None) -> dict[str, Any]:
        return ALL_STATUSES

    def transform(self, item: dict, context: Context) -> Record | None:
        if not item.get("transaction"):
            return None
        item["account_id"] = context["account_id"]
        return item


class SaleParticipantsStream(SaleDetailStream):
    """Buyer, producer, co-producers and affiliates of each sale (/sales/users)."""

    name = "sale_participants"
    endpoint = "/payments/api/v1/sales/users"


class SaleCommissionsStream(SaleDetailStream):
    """Who earned what on each sale (/sales/commissions)."""

    name = "sale_commissions"
    endpoint = "/payments/api/v1/sales/commissions"


class SalePriceDetailsStream(SaleDetailStream):
    """Base price, total, VAT, fee and coupon of each sale (/sales/price/details)."""

    name = "sale_price_details"
    endpoint = "/payments/api/v1/sales/price/details"
