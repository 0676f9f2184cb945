"""Catalogue streams: products and, per product, its offers, plans and coupons.

Products are few (tens), so their list is read in full every run. The children cost one
request per product (plans only for subscription products), so a product's are read
again only when something says they may have changed (`catalog`), and those due are
requested a few at once as soon as the listing is read (`child_prefetch`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any, ClassVar, cast

from singer_sdk.helpers.types import Context, Record

from tap_hotmart.child_prefetch import ChildPrefetch
from tap_hotmart.client import HotmartStream
from tap_hotmart.errors import HotmartAPIError
from tap_hotmart.settings import setting
from tap_hotmart.windows import ms_to_iso


class ProductsStream(HotmartStream):
    """The account's products."""

    name = "products"
    path = "/products/api/v1/products"
    primary_keys = ("account_id", "id")
    #: The children of the account being synced, requested ahead (`child_prefetch`).
    prefetched: ChildPrefetch | None = None

    def get_records(self, context: Context | None) -> Iterable[Record]:
        """The account's listing, read whole (a page or two) before any product is emitted,
        so that the children due are requested at once while the SDK emits them in turn."""
        assert context is not None
        items = list(super().get_records(context))
        watch = self.hotmart_tap.catalog_watch(context["account_id"])
        for item in items:
            if item.get("id") is not None:
                watch.product_listed(item["id"], item)
        self.prefetched = ChildPrefetch(
            int(setting(self.config, "concurrency")), rank=(self.hotmart_tap.sync_position(self),)
        )
        try:
            for item in items:
                if item.get("id") is not None:
                    record = {**item, "account_id": context["account_id"]}
                    self._prefetch_children(self.get_child_context(record, context))
            yield from items  # the SDK syncs each product's children after its record
        finally:
            self.prefetched.close()
            self.prefetched = None

    def _prefetch_children(self, child_context: Context) -> None:
        assert self.prefetched is not None
        for child in self.child_streams:
            if not (child.selected and isinstance(child, ProductChildStream)):
                continue
            if child.is_due(child_context):
                read = partial(child.read_items, child_context)
                self.prefetched.fetch(child.prefetch_key(child_context), read)

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
    #: The field of an item that `catalog` compares with what sales name.
    code_field: ClassVar[str] = "code"

    def reads_product(self, context: Context) -> bool:
        """Whether this endpoint applies to the product (its `get_child_context`)."""
        return True

    def get_records(self, context: Context | None) -> Iterable[Record]:
        if context and self.reads_product(context):
            yield from self.read_if_due(context)

    def is_due(self, context: Context) -> bool:
        """Whether this run reads the product's items (`catalog`)."""
        watch = self.hotmart_tap.catalog_watch(context["account_id"])
        due = watch.why_read(self.name, context["product_id"]) is not None
        return self.reads_product(context) and due

    def prefetch_key(self, context: Context) -> tuple[str, str, Any]:
        return (self.name, context["account_id"], context["product_id"])

    def read_items(self, context: Context) -> list[Record]:
        """Every item of the product's endpoint (run by `child_prefetch`'s threads)."""
        return list(super().get_records(context))

    def read_if_due(self, context: Context) -> Iterable[Record]:
        """The product's items, if `catalog` says they may have changed since last read:
        requested ahead by `products`, or now."""
        watch = self.hotmart_tap.catalog_watch(context["account_id"])
        why = watch.why_read(self.name, context["product_id"])
        if why is None:
            return
        self.logger.debug("%s: reading product %s (%s)", self.name, context["product_id"], why)
        products = cast(ProductsStream, self.hotmart_tap.streams[ProductsStream.name])
        prefetched = products.prefetched
        items = prefetched.take(self.prefetch_key(context)) if prefetched else None
        codes = []
        for record in super().get_records(context) if items is None else items:
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

    def reads_product(self, context: Context) -> bool:
        return bool(context.get("product_ucode"))


class ProductPlansStream(ProductChildStream):
    """Subscription plans of each subscription product."""

    name = "product_plans"
    path = "/products/api/v1/products/{product_ucode}/plans"
    primary_keys = ("account_id", "product_ucode", "code")
    parent_keys = ("product_ucode",)

    def reads_product(self, context: Context) -> bool:
        return bool(context.get("is_subscription") and context.get("product_ucode"))

    def get_records(self, context: Context | None) -> Iterable[Record]:
        assert context is not None
        try:
            yield from super().get_records(context)
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

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        assert context is not None
        if row.get("id") is None:
            self.skip_keyless(context)
            return None
        row["start_date"] = ms_to_iso(row.get("start_date"))
        return super().post_process(row, context)
