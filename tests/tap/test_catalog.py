"""When a product's offers, plans and coupons are read again (`tap_hotmart.catalog`)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tap_hotmart.catalog import CatalogWatch

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
PRODUCT = {"id": 7, "name": "Course", "ucode": "u-7"}


def _watch(stored: object = None, **kwargs: object) -> CatalogWatch:
    options = {"now": NOW, "refresh_days": 30, "read_everything": False, **kwargs}
    watch = CatalogWatch.from_state(stored, **options)  # type: ignore[arg-type]
    watch.product_listed(7, PRODUCT)
    return watch


def _read_yesterday() -> dict:
    """The record a run left a day ago: offers A and B, coupon C."""
    earlier = _watch(now=NOW - timedelta(days=1))
    earlier.was_read("product_offers", 7, ["A", "B"])
    earlier.was_read("coupons", 7, ["C", None])
    return earlier.to_state()


def test_nothing_changed_nothing_read() -> None:
    watch = _watch(_read_yesterday())
    watch.sold(7, "A")
    watch.used_coupon(7, "C")
    assert watch.why_read("product_offers", 7) is None
    assert watch.why_read("coupons", 7) is None


def test_what_makes_a_product_read_again() -> None:
    stored = _read_yesterday()
    assert _watch(None).why_read("product_offers", 7) == "not read before"
    assert _watch(stored).why_read("product_plans", 7) == "not read before"
    unknown_offer = _watch(stored)
    unknown_offer.sold(7, "Z")
    assert unknown_offer.why_read("product_offers", 7) == "a sale names an offer it does not have"
    assert unknown_offer.why_read("coupons", 7) is None
    unknown_coupon = _watch(stored)
    unknown_coupon.used_coupon(7, "NEW10")
    assert unknown_coupon.why_read("coupons", 7) == "a sale names a coupon it does not have"
    edited = CatalogWatch.from_state(stored, now=NOW, refresh_days=30, read_everything=False)
    edited.product_listed(7, {**PRODUCT, "name": "Course, 2nd edition"})
    assert edited.why_read("coupons", 7) == "its listing changed"
    old = _watch(stored, now=NOW + timedelta(days=29))
    assert old.why_read("coupons", 7) == "last read over catalog_refresh_days ago"
    assert _watch(stored, refresh_days=0).why_read("coupons", 7) == "every run"
    assert _watch(stored, read_everything=True).why_read("coupons", 7) == "every run"


def test_the_record_keeps_earlier_reads_and_forgets_an_edited_product() -> None:
    stored = _read_yesterday()
    watch = _watch(stored)
    watch.was_read("product_plans", 7, ["P"])
    kept = watch.to_state()["7"]
    assert kept["product_offers"]["codes"] == ["A", "B"]  # not read in this run: kept
    assert kept["coupons"]["codes"] == ["C"]
    assert kept["product_plans"] == {"read_at": NOW.isoformat(), "codes": ["P"]}
    edited = CatalogWatch.from_state(stored, now=NOW, refresh_days=30, read_everything=False)
    edited.product_listed(7, {**PRODUCT, "name": "Renamed"})
    assert set(edited.to_state()["7"]) == {"listing"}  # its old reads no longer hold
    gone = CatalogWatch.from_state(stored, now=NOW, refresh_days=30, read_everything=False)
    assert gone.to_state() == {}  # a product no longer listed is forgotten
