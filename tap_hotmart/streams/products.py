"""Catalogue streams: products and, per product, its offers, plans and coupons.

Products are few (tens), so their list is read in full every run. The children cost one
request per product (plans only for subscription products), so a product's are read
again only when something says they may have changed (`catalog`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, ClassVar

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
        self.hotmart_tap.catalog_watch(context["account_id"]).product_listed(row["id"], row)
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
    #: The field of an item that `catalog` compares with what sales name.
    code_field: ClassVar[str] = "code"

    def read_if_due(self, context: Context) -> Iterable[Record]:
        """The product's items, if `catalog` says they may have changed since last read."""
        watch = self.hotmart_tap.catalog_watch(context["account_id"])
        why = watch.why_read(self.name, context["product_id"])
        if why is None:
            return
        self.logger.debug("%s: reading product %s (%s)", self.name, context["product_id"], why)
        codes = []
        for record in super().get_records(context):
            codes.append(record.get(self.code_field))
            yield record
        watch.was_read(self.name, context["product_id"], codes)

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
            yield from self.read_if_due(context)


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
            yield from self.read_if_due(context)
        except HotmartAPIError as exc:
            # Hotmart answers 400 invalid_parameter for a product that has no plans.
            if exc.status_code != 400 or exc.error != "invalid_parameter":
                raise
            self.logger.info("product_plans: product %s has no plans", context["product_id"])
            self.hotmart_tap.catalog_watch(context["account_id"]).was_read(
                self.name, context["product_id"], ()
            )


class CouponsStream(ProductChildStream):
    """Discount coupons of each product."""

    name = "coupons"
    path = "/products/api/v1/coupon/product/{product_id}"
    primary_keys = ("account_id", "product_id", "id")
    parent_keys = ("product_id",)
    code_field = "coupon_code"

    def get_records(self, context: Context | None) -> Iterable[Record]:
        if context:
            yield from self.read_if_due(context)

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        assert context is not None
        if row.get("id") is None:
            self.skip_keyless(context)
            return None
        row["start_date"] = ms_to_iso(row.get("start_date"))
        return super().post_process(row, context)
