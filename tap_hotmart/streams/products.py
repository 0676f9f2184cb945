"""Catalogue streams: products and, per product, its offers, plans and coupons.

These are small (tens of products), so they are read in full every run; the children
cost one request per product (plans only for subscription products).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from singer_sdk.helpers.types import Context, Record

from tap_hotmart.client import HotmartStream
from tap_hotmart.errors import HotmartAPIError
from tap_hotmart.windows import ms_to_iso


class ProductsStream(HotmartStream):
    """The account's products."""

    name = "products"
    path = "/products/api/v1/products"
    primary_keys = ("account_id", "id")

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        assert context is not None
        if row.get("id") is None:
            self.skip_keyless(context)
            return None
        row["created_at"] = ms_to_iso(row.get("created_at"))
        return super().post_process(row, context)

    def get_child_context(self, record: Record, context: Context | None) -> dict:
        return {
            "account_id": record["account_id"],
            "product_id": record["id"],
            "product_ucode": record.get("ucode"),
            "is_subscription": bool(record.get("is_subscription")),
        }


class ProductChildStream(HotmartStream):
    """A per-product endpoint; one state entry per account, not per product."""

    parent_stream_type = ProductsStream
    state_partitioning_keys = ("account_id",)

    def log(self, message: str, *args: Any, level: int = logging.INFO, **kwargs: Any) -> None:
        """The SDK's INFO lines of a child stream at DEBUG: it syncs once per product, so a
        hundred products made a hundred "Beginning sync of 'coupons'" lines per run."""
        quieter = logging.DEBUG if level == logging.INFO else level
        super().log(message, *args, level=quieter, **kwargs)


class ProductOffersStream(ProductChildStream):
    """Offers (prices and payment modes) of each product."""

    name = "product_offers"
    path = "/products/api/v1/products/{product_ucode}/offers"
    primary_keys = ("account_id", "product_ucode", "code")
    parent_keys = ("product_ucode",)

    def get_records(self, context: Context | None) -> Iterable[Record]:
        if context and context.get("product_ucode"):
            yield from super().get_records(context)


class ProductPlansStream(ProductChildStream):
    """Subscription plans of each subscription product."""

    name = "product_plans"
    path = "/products/api/v1/products/{product_ucode}/plans"
    primary_keys = ("account_id", "product_ucode", "code")
    parent_keys = ("product_ucode",)

    def get_records(self, context: Context | None) -> Iterable[Record]:
        if not context or not context.get("is_subscription") or not context.get("product_ucode"):
            return
        try:
            yield from super().get_records(context)
        except HotmartAPIError as exc:
            # Hotmart answers 400 invalid_parameter for a product that has no plans.
            if exc.status_code != 400 or exc.error != "invalid_parameter":
                raise
            self.logger.info("product_plans: product %s has no plans", context["product_id"])


class CouponsStream(ProductChildStream):
    """Discount coupons of each product."""

    name = "coupons"
    path = "/products/api/v1/coupon/product/{product_id}"
    primary_keys = ("account_id", "product_id", "id")
    parent_keys = ("product_id",)

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        assert context is not None
        if row.get("id") is None:
            self.skip_keyless(context)
            return None
        row["start_date"] = ms_to_iso(row.get("start_date"))
        return super().post_process(row, context)
