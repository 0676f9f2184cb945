"""The Hotmart tap: settings, accounts, the list of streams, and what a run logs.

A run logs, at INFO, the tap's progress lines (per stream and account: windows, records,
ETA) and ends with a short summary (records per stream and account, API calls, elapsed
time; `summary`). The Singer SDK's METRIC lines (a record count and a timing for every
stream, and for every product of the per-product streams) are hidden by default: the SDK
writes them at INFO through the `singer_sdk.metrics` logger, and the tap sets that
logger's level from the `metrics_log_level` setting, WARNING unless set. To see them
again, set `metrics_log_level` to INFO: `meltano config tap-hotmart set metrics_log_level
INFO`, `"metrics_log_level": "INFO"` in the config file, or
`TAP_HOTMART_METRICS_LOG_LEVEL=INFO` (under Meltano, or with `--config ENV`). This is the
setting the SDK documents for the purpose; `SINGER_SDK_LOG_CONFIG` still formats and
routes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, cast

import requests
from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, RetriableAPIError
from singer_sdk.helpers.capabilities import PluginCapabilities, TapCapabilities

from tap_hotmart import __version__, catalog, range_limits, status_filter
from tap_hotmart.account_state import ACCOUNT_STREAM, account_partitions
from tap_hotmart.accounts import Account, resolve_accounts
from tap_hotmart.client import HotmartStream
from tap_hotmart.date_window_stream import DateWindowStream
from tap_hotmart.http import AccountClient
from tap_hotmart.output import BufferedMsgSpecWriter
from tap_hotmart.range_limits import RangeLimits
from tap_hotmart.reach import HostReach
from tap_hotmart.refund_spool import RefundSpool
from tap_hotmart.settings import (
    SyncSettings,
    config_schema,
    parse_settings,
    reword_config_errors,
    setting,
)
from tap_hotmart.status_filter import StatusChecks
from tap_hotmart.streams.products import (
    CouponsStream,
    ProductOffersStream,
    ProductPlansStream,
    ProductsStream,
)
from tap_hotmart.streams.sales import (
    RefundsStream,
    SaleCommissionsStream,
    SaleParticipantsStream,
    SalePriceDetailsStream,
    SalesStream,
)
from tap_hotmart.streams.subscriptions import SubscriptionsStream, SubscriptionTransactionsStream
from tap_hotmart.summary import FULL_SYNC_CALLS_KEY, RunSummary

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

#: The stream whose per-account partitions keep the catalogue's record (`catalog`).
CATALOG_STREAM = ProductsStream.name
#: Every stream, in the order they sync unless one declares it `syncs_after` another.
STREAM_TYPES: tuple[type[HotmartStream], ...] = (
    SalesStream,
    RefundsStream,
    SubscriptionsStream,
    SubscriptionTransactionsStream,
    SaleParticipantsStream,
    SaleCommissionsStream,
    SalePriceDetailsStream,
    ProductsStream,
    ProductOffersStream,
    ProductPlansStream,
    CouponsStream,
)


class TapHotmart(Tap):
    """Singer tap for Hotmart: sales in every status, refunds, subscriptions, products."""

    name = "tap-hotmart"
    #: The distribution (PyPI's `tap-hotmart` is another project): the SDK reads the version
    #: and supported Pythons that --about shows from this package's metadata.
    package_name = "tap-hotmart-oss"
    config_jsonschema = config_schema()
    message_writer_class = BufferedMsgSpecWriter  # msgspec, exact decimals, few syscalls
    # BATCH is left out: the SDK's batch files carry no state, and state is what makes
    # incremental runs correct.
    capabilities: ClassVar[list] = [
        TapCapabilities.CATALOG,
        TapCapabilities.STATE,
        TapCapabilities.DISCOVER,
        TapCapabilities.ACTIVATE_VERSION,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        PluginCapabilities.STRUCTURED_LOGGING,
    ]

    @cached_property
    def settings(self) -> SyncSettings:
        return parse_settings(self.config, datetime.now(timezone.utc))

    @cached_property
    def accounts(self) -> list[Account]:
        return resolve_accounts(self.config)

    @property
    def api_url(self) -> str:
        return self.settings.api_url

    @property
    def start_date(self) -> datetime:
        return self.settings.start_date

    @property
    def sync_end(self) -> datetime:
        """Every stream reads up to the same instant, fixed when the run starts."""
        return self.settings.end_date

    @cached_property
    def user_agent(self) -> str:
        """What every request says it comes from: the tap and its release."""
        return f"tap-hotmart/{_version()}"

    @cached_property
    def _clients(self) -> dict[str, AccountClient]:
        per_minute = int(setting(self.config, "requests_per_minute"))
        reach = HostReach()  # a host that answered one account is up for all of them
        return {
            account.account_id: AccountClient(
                account,
                self.api_url,
                self.settings.auth_url,
                per_minute,
                self.user_agent,
                reach=reach,
                max_in_flight=int(setting(self.config, "concurrency")),
            )
            for account in self.accounts
        }

    def client(self, account_id: str) -> AccountClient:
        """The HTTP client of one account, shared by every stream."""
        return self._clients[account_id]

    @cached_property
    def _range_limits(self) -> dict[str, RangeLimits]:
        return {
            account.account_id: RangeLimits.from_state(self.state, account.account_id)
            for account in self.accounts
        }

    def range_limits(self, account_id: str) -> RangeLimits:
        """The date ranges one account's endpoints accepted and refused, shared by its streams.

        Read from the state as the run started; kept up to date in the account's `sales`
        partition by `save_account_facts`.
        """
        return self._range_limits[account_id]

    def save_account_facts(self, account_id: str) -> None:
        """Put what this run learnt about the account (range limits, whether Hotmart honours
        repeated statuses) in its `sales` partition, for the next state message.

        Called from the emitting thread only (after each window, and at the end): the reads
        that learn them run in other threads, while the state may be being written out.
        """
        facts = {
            range_limits.STATE_KEY: self.range_limits(account_id).to_state(),
            status_filter.STATE_KEY: self.status_checks.probed_state(account_id),
        }
        if any(facts.values()):
            sales = self.streams[ACCOUNT_STREAM]
            partition = sales.get_context_state({"account_id": account_id})
            partition.update({key: value for key, value in facts.items() if value})

    @cached_property
    def _catalogs(self) -> dict[str, catalog.CatalogWatch]:
        stored = account_partitions(self.state, CATALOG_STREAM)
        # With ACTIVATE_VERSION the target keeps only the rows of this run's version: a
        # product whose children were not read would lose them.
        replaced = bool(self.config.get("emit_activate_version_messages"))
        return {
            account.account_id: catalog.CatalogWatch.from_state(
                (stored.get(account.account_id) or {}).get(catalog.STATE_KEY),
                now=self.sync_end,
                refresh_days=int(setting(self.config, "catalog_refresh_days")),
                read_everything=replaced,
            )
            for account in self.accounts
        }

    def catalog_watch(self, account_id: str) -> catalog.CatalogWatch:
        """What one account's catalogue streams read before and what this run saw sold."""
        return self._catalogs[account_id]

    def discover_streams(self) -> list[HotmartStream]:
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]

    @property
    def streams(self) -> dict[str, Stream]:
        """The streams in the order they sync (`sync_order`; the SDK sorts them by name)."""
        ordered = sync_order(cast("Iterable[HotmartStream]", super().streams.values()))
        return {stream.name: stream for stream in ordered}

    def __init__(self, *args: Any, validate_config: bool = True, **kwargs: Any) -> None:
        try:
            super().__init__(*args, validate_config=validate_config, **kwargs)
        except ConfigValidationError as exc:
            # The SDK's schema check quotes the offending values (a secret's must not show)
            # and words a range error its own way: say what parse_settings says.
            raise ConfigValidationError(
                str(exc), errors=reword_config_errors(exc.errors), schema=exc.schema
            ) from None
        self.run_summary = RunSummary(self.state)  # the state as given, before any sync
        #: Sales read by transaction code in this run, by (account, code): the disputes
        #: `sales` and `refunds` both re-read are requested once.
        self.reads_by_code: dict[tuple[str, str], list[dict]] = {}
        #: What `sales` read in a refund status, per account, for `refunds` to replay.
        self.refund_spools: dict[str, RefundSpool] = {}
        #: Whether each account's Hotmart honours a repeated `transaction_status`: read from
        #: the state, probed when unknown or old, kept in the account's `sales` partition.
        self.status_checks = StatusChecks(self.state)
        if validate_config:
            _ = self.settings, self.accounts  # every setting checked before any request
            self.metrics_logger.setLevel(self.settings.metrics_log_level)

    def sync_position(self, stream: Stream) -> int:
        """`stream`'s place in the order streams sync, and so emit (the ranks of their
        requests where an account's budget is short: `ratelimit.request_rank`)."""
        return list(self.streams).index(stream.name)

    def read_ahead(self, stream: Stream, context: Context) -> None:
        """Start the account's read of the next stream after `stream` that reads ahead.

        `stream` has planned its last window of the account (`DateWindowStream.read_ahead`).
        Streams that do not read ahead (`refunds`, whose source depends on what `sales`
        emits) or read nothing for the account are passed over, and so is one whose read
        ahead has planned its last window too: the one after it starts then (a short
        stream, `subscriptions`, would otherwise leave the budget idle through the
        next one's start).
        """
        names = list(self.streams)
        for name in names[names.index(stream.name) + 1 :]:
            later = self.streams[name]
            if (
                isinstance(later, DateWindowStream)
                and later.reads_ahead
                and later.selected
                and later.reads_from_api(context)
                and not later.read_ahead(context)
            ):
                return

    def stop_reads(self) -> None:
        """Stop every stream's reads started ahead (the run is ending early)."""
        for stream in self.streams.values():
            if isinstance(stream, DateWindowStream):
                stream.stop_reads()

    def end_run(self) -> None:
        """Log the run summary and remember a full sync's cost, once every stream synced.

        Called by the last stream's `log_sync_costs`, the SDK's end-of-run hook
        (`Tap.sync_all` itself is final).
        """
        api_calls = {
            account.account_id: self.client(account.account_id).limiter.requests_sent
            for account in self.accounts
        }
        for account_id in api_calls:
            self.save_account_facts(account_id)
        full_syncs = self._remember_full_syncs(api_calls)
        self._remember_catalogs()
        self.state_writer.write_state(self.state)
        for line in self.run_summary.lines(api_calls, full_syncs):
            self.logger.info(line)

    def _remember_full_syncs(self, api_calls: dict[str, int]) -> set[str]:
        """Note the API calls of the accounts synced in full in their state; return those.

        Only a run that read `sales` (whose partition keeps the figure) counts as one.
        """
        sales = self.streams[ACCOUNT_STREAM]
        if not sales.selected:
            return set()
        full_syncs = {a for a in api_calls if self.run_summary.is_full_sync(a)}
        for account_id in full_syncs:
            partition = sales.get_context_state({"account_id": account_id})
            partition[FULL_SYNC_CALLS_KEY] = api_calls[account_id]
        return full_syncs

    def _remember_catalogs(self) -> None:
        """Keep what the catalogue streams read in each account's `products` partition.

        Only once the run read the catalogue: a run that stops earlier keeps the old
        record, so the next one reads at least as much again.
        """
        products = self.streams[CATALOG_STREAM]
        if not (products.selected or products.has_selected_descendents):
            return
        for account in self.accounts:
            partition = products.get_context_state({"account_id": account.account_id})
            partition[catalog.STATE_KEY] = self.catalog_watch(account.account_id).to_state()

    @classmethod
    def invoke(cls, **kwargs: Any) -> None:  # type: ignore[override]
        """Run the CLI; known failures end with one clear line and exit status 1.

        The SDK's default prints a traceback, which hides the one line that matters
        (which account, which endpoint, what Hotmart said).
        """
        try:
            super().invoke(**kwargs)
        except (FatalAPIError, RetriableAPIError) as exc:
            cls.logger.error("Sync failed: %s", exc)
            raise SystemExit(1) from None
        except requests.RequestException as exc:
            cls.logger.error(
                "Sync failed: Hotmart could not be reached after several retries (%s).",
                type(exc).__name__,
            )
            raise SystemExit(1) from None


def sync_order(streams: Iterable[HotmartStream]) -> list[HotmartStream]:
    """`streams` in `STREAM_TYPES` order, each moved after the streams it `syncs_after`.

    Raises:
        RuntimeError: some streams wait for one another, or for a stream that is not there.
    """
    pending = sorted(streams, key=lambda stream: STREAM_TYPES.index(type(stream)))
    ordered: list[HotmartStream] = []
    while pending:
        synced = {stream.name for stream in ordered}
        ready = next((s for s in pending if synced.issuperset(s.syncs_after)), None)
        if ready is None:
            waiting = {stream.name: stream.syncs_after for stream in pending}
            raise RuntimeError(f"These streams can never sync (syncs_after): {waiting}")
        ordered.append(ready)
        pending.remove(ready)
    return ordered


def _version() -> str:
    """This release, so Hotmart sees which tap release is calling."""
    return __version__


if __name__ == "__main__":
    TapHotmart.cli()
