"""Which products' offers, plans and coupons a run reads again.

The catalogue's per-product children cost one request per product and stream, and
Hotmart gives them no update date: re-read every run, they were half of a small account's
incremental calls (24 of 51 at 3,000 sales, benchmarks/README.md, section 3). A product's
children are read again only when something says they may have changed:

* the product is new, or its listing (the `products` item) changed;
* a sale read in this run names an offer of the product (`purchase.offer.code`) that the
  last read of its offers and plans did not return, or a coupon (`sale_price_details`'
  `coupon.code`) that its coupons did not: the catalogue follows what is sold;
* its last read is older than `catalog_refresh_days` (0: every run), for what no sale
  shows (an offer not sold yet, a coupon's new discount).

What was read is kept in the account's `products` partition (key `catalog`: per product,
the listing's fingerprint and, per child stream, when it was read and the codes it
returned), saved once the run has read the catalogue. A run that stops earlier leaves the
previous record, so the next run reads at least as much again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import msgspec

STATE_KEY = "catalog"
LISTING = "listing"
READ_AT = "read_at"
CODES = "codes"

#: The child streams whose codes name what sales sell: offers (and subscription plans,
#: sold as offers) by `purchase.offer.code`, coupons by the price details' `coupon.code`.
OFFER_STREAMS = ("product_offers", "product_plans")
COUPON_STREAMS = ("coupons",)
_ENCODER = msgspec.json.Encoder(order="sorted", decimal_format="number")


def listing_fingerprint(item: Mapping[str, Any]) -> str:
    """A short digest of a `products` item, to tell whether its listing changed."""
    return hashlib.sha256(_ENCODER.encode(dict(item))).hexdigest()[:16]


@dataclass
class CatalogWatch:
    """One account's catalogue in one run: what the last runs read, what this one saw."""

    stored: dict[str, dict[str, Any]]
    now: datetime
    refresh: timedelta
    #: Every product's children are read (the target replaces the whole table per run).
    read_everything: bool = False
    listed: dict[str, str] = field(default_factory=dict)
    offers_sold: dict[str, set[str]] = field(default_factory=dict)
    coupons_used: dict[str, set[str]] = field(default_factory=dict)
    read: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_state(
        cls, stored: Any, *, now: datetime, refresh_days: int, read_everything: bool
    ) -> CatalogWatch:
        products = stored if isinstance(stored, Mapping) else {}
        kept = {str(k): dict(v) for k, v in products.items() if isinstance(v, Mapping)}
        return cls(
            stored=kept,
            now=now,
            refresh=timedelta(days=refresh_days),
            read_everything=read_everything or refresh_days == 0,
        )

    def sold(self, product_id: Any, offer_code: Any) -> None:
        """A sale of `product_id` through `offer_code` was read in this run."""
        if product_id is not None and isinstance(offer_code, str):
            self.offers_sold.setdefault(str(product_id), set()).add(offer_code)

    def used_coupon(self, product_id: Any, coupon_code: Any) -> None:
        """A sale of `product_id` with `coupon_code` was read in this run."""
        if product_id is not None and isinstance(coupon_code, str) and coupon_code:
            self.coupons_used.setdefault(str(product_id), set()).add(coupon_code)

    def product_listed(self, product_id: Any, item: Mapping[str, Any]) -> None:
        """The `products` item of `product_id`, as this run read it."""
        self.listed[str(product_id)] = listing_fingerprint(item)

    def why_read(self, stream: str, product_id: Any) -> str | None:
        """Why `stream` must read `product_id`'s children in this run (None: it need not)."""
        key = str(product_id)
        entry = self.stored.get(key)
        if self.read_everything:
            return "every run"
        if entry is None or not isinstance(entry.get(stream), Mapping):
            return "not read before"
        if entry.get(LISTING) != self.listed.get(key):
            return "its listing changed"
        last = entry[stream]
        read_at = _parse(last.get(READ_AT))
        if read_at is None or self.now - read_at >= self.refresh:
            return "last read over catalog_refresh_days ago"
        if stream in OFFER_STREAMS:
            known = {code for name in OFFER_STREAMS for code in _codes(entry.get(name))}
            if not self.offers_sold.get(key, set()) <= known:
                return "a sale names an offer it does not have"
        if stream in COUPON_STREAMS and not self.coupons_used.get(key, set()) <= set(_codes(last)):
            return "a sale names a coupon it does not have"
        return None

    def was_read(self, stream: str, product_id: Any, codes: Iterable[Any]) -> None:
        """`stream` read every child of `product_id` in this run; these were their codes."""
        entry = self.read.setdefault(str(product_id), {})
        entry[stream] = {
            READ_AT: self.now.isoformat(),
            CODES: sorted({code for code in codes if isinstance(code, str)}),
        }

    def to_state(self) -> dict[str, dict[str, Any]]:
        """The record to keep: the products listed in this run, each with its last reads."""
        kept: dict[str, dict[str, Any]] = {}
        for key, fingerprint in sorted(self.listed.items()):
            entry = dict(self.stored.get(key) or {})
            if entry.get(LISTING) != fingerprint:
                # a new or changed product: only what this run read of it holds
                entry = {}
            entry.update(self.read.get(key, {}))
            entry[LISTING] = fingerprint
            kept[key] = entry
        return kept


def _codes(read: Any) -> list[str]:
    codes = read.get(CODES) if isinstance(read, Mapping) else None
    return [code for code in codes or () if isinstance(code, str)]


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
