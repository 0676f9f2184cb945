"""Sales-family streams: /payments/api/v1/sales/*.

All of them filter on the order date and send every transaction status. `sales` and the
three detail streams re-read `lookback_days` every run because a sale's status changes
after its order date (warranty completion, boleto expiry, refunds); `refunds` re-reads the
refund statuses over the whole history because a chargeback can come months later.
A dispute (PROTESTED) can also end months later back in COMPLETE, a status no refund
filter returns: `sales` and `refunds` each keep the disputes they saw in their state and
re-read, by transaction code, those that have left the refund statuses since, so that
neither table keeps a status the sale no longer has. `refunds` therefore holds the sales
now in a refund status, and the disputes that left it, with their current status.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from singer_sdk import StreamSchema
from singer_sdk.helpers.types import Context, Record

from tap_hotmart.account_state import ACCOUNT_STREAM
from tap_hotmart.client import SCHEMAS
from tap_hotmart.date_window_stream import DateWindowStream
from tap_hotmart.refund_spool import RefundSpool
from tap_hotmart.status_filter import STATUS_PARAM
from tap_hotmart.streams.statuses import DISPUTED_STATUS, REFUND_STATUSES, TRANSACTION_STATUSES
from tap_hotmart.windows import ms_to_iso

ALL_STATUSES = {"transaction_status": list(TRANSACTION_STATUSES)}
REFUND_FILTER = {"transaction_status": list(REFUND_STATUSES)}
#: Partition state key: transaction codes last seen in the disputed status.
OPEN_DISPUTES_KEY = "open_disputes"


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


@dataclass
class DisputeWatch:
    """One account's disputes in one run: those the last run left open, those seen again
    (in a refund status), and those open now."""

    previously_open: set[str]
    seen_again: set[str] = field(default_factory=set)
    open_now: set[str] = field(default_factory=set)

    def saw(self, record: Record) -> None:
        transaction = record["transaction"]
        if record["status"] == DISPUTED_STATUS:
            self.open_now.add(transaction)
        if transaction in self.previously_open:
            self.seen_again.add(transaction)


class WatchesDisputes(DateWindowStream):
    """A `sales/history` stream that follows the disputes it saw until they end."""

    path = "/payments/api/v1/sales/history"
    primary_keys = ("account_id", "transaction")
    # Whatever statuses are asked for, the rows are sales/history items: one schema file.
    schema = StreamSchema(SCHEMAS, key="sales")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The run's dispute watch of each account being synced.
        self._watches: dict[str, DisputeWatch] = {}

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        assert context is not None
        record = hoist_purchase(row, context)
        if record is None:
            self.skip_keyless(context)
            return None
        self._watches[context["account_id"]].saw(record)
        offer = record["purchase"].get("offer")
        product = record.get("product")
        if isinstance(offer, dict) and isinstance(product, dict):
            catalog = self.hotmart_tap.catalog_watch(context["account_id"])
            catalog.sold(product.get("id"), offer.get("code"))
        return record

    def get_records(self, context: Context | None) -> Iterable[Record]:
        """The windows (and the sweep), then the disputes that ended outside them.

        A run reads every sale in a refund status (the sweep and the windows cover the
        whole history), so a dispute of the last run that this run did not see at all has
        left the refund statuses: it is read again by its code. The open disputes are
        saved only once the run has read everything, so a run that stops earlier leaves
        the previous list, and the next run checks it again. The SDK hands each item
        yielded here to `post_process` before asking for the next, so the watch has seen
        every record by the time a loop below ends.
        """
        assert context is not None
        account_id = context["account_id"]
        state = self.get_context_state(context)
        watch = self._watches[account_id] = DisputeWatch(
            previously_open=set(state.get(OPEN_DISPUTES_KEY) or ())
        )
        yield from self.history_records(context)
        resolved = sorted(watch.previously_open - watch.seen_again)
        if resolved:
            self.logger.info(
                "%s [%s]: %d dispute(s) left the refund statuses; reading them by code",
                self.name,
                account_id,
                len(resolved),
            )
        for transaction in resolved:
            # disputed again since: `saw` keeps watching it
            yield from self._read_one(context, transaction)
        if self.selected:
            state[OPEN_DISPUTES_KEY] = sorted(watch.open_now)

    def history_records(self, context: Context) -> Iterable[Record]:
        """The account's sales this stream reads by order date (its windows, its sweep)."""
        return super().get_records(context)

    def _read_one(self, context: Context, transaction: str) -> list[dict]:
        """One sale by its code, in whatever status it is now (read once per run): the
        items as Hotmart sent them, copies for each stream that reads them."""
        key = (context["account_id"], transaction)
        reads = self.hotmart_tap.reads_by_code
        if key not in reads:
            client = self.hotmart_tap.client(context["account_id"])
            # With a transaction code and no status filter Hotmart applies no default
            # filter (facts §4.1 "Default filter", H for sales/history): one request finds
            # the sale in any status, where the stream's own statuses (17, or the refund
            # ones) would cost one request each on an account read one status at a time.
            params = {STATUS_PARAM: None, "transaction": transaction}
            reads[key] = [
                item
                for items, _ in self.iter_pages(client, self.path, params, context=context)
                for item in items
            ]
        return copy.deepcopy(reads[key])


class SalesStream(WatchesDisputes):
    """Every sale in every status, incremental on order date with a lookback.

    The account stream (`account_state`): its partitions keep what the tap learns about
    each account, among it where the history starts, which its first run finds by reading
    every status from `start_date` (`history_start`). So it syncs first.
    """

    name = ACCOUNT_STREAM
    replication_key = "order_date"
    sweep_filters = REFUND_FILTER
    syncs_after = ()

    def get_url_params(
        self, context: Context | None, next_page_token: str | None
    ) -> dict[str, Any]:
        return {**super().get_url_params(context, next_page_token), **ALL_STATUSES}

    def history_records(self, context: Context) -> Iterable[Record]:
        """The windows and the sweep; their records in a refund status are kept for
        `refunds` (`refund_spool`) when it is to be read in this run."""
        spools = self.hotmart_tap.refund_spools
        account_id = context["account_id"]
        if account_id in spools:
            spools.pop(account_id).discard()
        if not self.hotmart_tap.streams[RefundsStream.name].selected:
            yield from super().history_records(context)
            return
        spools[account_id] = spool = RefundSpool()
        try:
            yield from super().history_records(context)
        except BaseException:  # a failed or abandoned read: no temporary file left open
            spools.pop(account_id, None)
            spool.discard()
            raise
        spool.finish()

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        record = super().post_process(row, context)
        if record is not None and record["status"] in REFUND_STATUSES:
            assert context is not None
            spool = self.hotmart_tap.refund_spools.get(context["account_id"])
            if spool is not None:
                spool.add(record)
        return record


class RefundsStream(WatchesDisputes):
    """Every sale now in a refund status (refunded, partially refunded, charged back,
    disputed) over the whole history, and the disputes that left those statuses since
    the last run, in their current status (e.g. COMPLETE: the seller won)."""

    name = "refunds"
    replication_key = None
    starts_wide = True  # refund statuses are a few percent of sales
    reads_ahead = False  # whether it asks Hotmart at all is known once `sales` is emitted

    def reads_from_api(self, context: Context) -> bool:
        """Not when this run's `sales` read the account's whole history (`refund_spool`)."""
        spool = self.hotmart_tap.refund_spools.get(context["account_id"])
        return spool is None or not spool.complete

    def history_records(self, context: Context) -> Iterable[Record]:
        """What `sales` read in a refund status in this run, if it read the whole history
        (no request then), else the refund statuses read from Hotmart."""
        spool = self.hotmart_tap.refund_spools.pop(context["account_id"], None)
        if spool is not None and spool.complete:
            self.logger.info(
                "%s [%s]: %d records from this run's sales read, no request needed",
                self.name,
                context["account_id"],
                spool.count,
            )
            yield from spool.replay()
            return
        if spool is not None:
            spool.discard()
        yield from super().history_records(context)

    def get_url_params(
        self, context: Context | None, next_page_token: str | None
    ) -> dict[str, Any]:
        return {**super().get_url_params(context, next_page_token), **REFUND_FILTER}


class SaleDetailStream(DateWindowStream):
    """A per-sale detail endpoint read in the same windows and statuses as `sales`.

    These endpoints return no date, so the bookmark column is the end of the order-date
    window a record was read in (`order_window_end`): the sale's order date is before it.
    """

    primary_keys = ("account_id", "transaction")
    replication_key = "order_window_end"
    window_field: ClassVar[str] = "order_window_end"

    def get_url_params(
        self, context: Context | None, next_page_token: str | None
    ) -> dict[str, Any]:
        return {**super().get_url_params(context, next_page_token), **ALL_STATUSES}

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        assert context is not None
        if not row.get("transaction"):
            self.skip_keyless(context)
            return None
        return super().post_process(row, context)


class SaleParticipantsStream(SaleDetailStream):
    """Buyer, producer, co-producers and affiliates of each sale (/sales/users)."""

    name = "sale_participants"
    path = "/payments/api/v1/sales/users"


class SaleCommissionsStream(SaleDetailStream):
    """Who earned what on each sale (/sales/commissions)."""

    name = "sale_commissions"
    path = "/payments/api/v1/sales/commissions"


class SalePriceDetailsStream(SaleDetailStream):
    """Base price, total, VAT, fee and coupon of each sale (/sales/price/details)."""

    name = "sale_price_details"
    path = "/payments/api/v1/sales/price/details"

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        """Also tell the catalogue which coupon each sale used (`catalog`)."""
        assert context is not None
        coupon, product = row.get("coupon"), row.get("product")
        if isinstance(coupon, dict) and isinstance(product, dict):
            catalog = self.hotmart_tap.catalog_watch(context["account_id"])
            catalog.used_coupon(product.get("id"), coupon.get("code"))
        return super().post_process(row, context)
