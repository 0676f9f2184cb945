"""Date-filtered streams: history read in windows, several at once, emitted in order.

`DateWindowStream` reads a date-filtered endpoint in consecutive windows. Several windows
are fetched at once (one rate limiter per account keeps the total within the budget)
while records are emitted strictly in window order, so the output and the state are the
same as a sequential run. For incremental streams the bookmark is the end of the last
window whose records were all emitted — never a record's own date — so an interrupted
run loses nothing and resumes at the last complete window. Windows are sized from the
density already seen (`WindowPlanner`), and a window whose query times out, or whose
range Hotmart refuses as too wide, is read in halves; the ranges each endpoint accepted
and refused are kept in the account's state (`range_limits`). The next accounts' reads
run while one account is emitted (`account_reads`), each within its own rate budget,
and once a stream has planned its last window of an account, the next stream's read of
that account starts while its last windows are fetched (`read_ahead`).
"""

from __future__ import annotations

import math
import queue
import threading
from collections import deque
from collections.abc import Generator, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec

from tap_hotmart import history_start, prefetch
from tap_hotmart.account_reads import (
    AccountRead,
    Done,
    Failed,
    Narrowed,
    Page,
    Read,
    ReadEnd,
    Refused,
    SpanRefused,
    WindowEnd,
    WindowFetch,
    WindowMessage,
    WindowPage,
)
from tap_hotmart.account_state import ACCOUNT_STREAM
from tap_hotmart.client import HotmartStream, page_items
from tap_hotmart.errors import QueryTimeoutError, RangeTooWideError
from tap_hotmart.prefetch import PrefetchBudget
from tap_hotmart.progress import WindowProgress
from tap_hotmart.range_limits import RangeLimits
from tap_hotmart.ratelimit import request_rank
from tap_hotmart.settings import setting
from tap_hotmart.windows import (
    SPARSE_WINDOW_DAYS,
    Window,
    WindowPlanner,
    halves,
    parse_iso,
    sent_window,
)

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, Record

    from tap_hotmart.http import AccountClient, Params

PROGRESS_EVERY_PAGES = 20
# Windows aim at this many full pages: the partial last page of each is then ~2% of its
# requests (about 2.04 requests per 1,000 records with 500-record pages).
TARGET_PAGES_PER_WINDOW = 25
#: Partition state key: records per year (a whole number: state numbers stay integers)
#: each read of the stream found last time, by read ("windows"; "sweep": the refund
#: sweep), so that the next run's first windows are cut to the account's density instead
#: of `window_days` (an incremental run of a small account then reads its lookback in one
#: window, not three).
DENSITY_KEY = "records_per_year"
_DAYS_PER_YEAR = 365
WINDOWS_READ = "windows"
SWEEP_READ = "sweep"


class DateWindowStream(HotmartStream):
    """A date-filtered endpoint read in windows, several windows in flight at once."""

    #: Names of Hotmart's inclusive start/end filters for this endpoint.
    date_params: ClassVar[tuple[str, str]] = ("start_date", "end_date")
    #: Filters for the refund sweep over the history before the lookback (None: no sweep).
    sweep_filters: ClassVar[dict[str, Any] | None] = None
    #: Whether windows start `SPARSE_WINDOW_DAYS` wide and may widen past
    #: `max_window_days` while Hotmart accepts them (sparse whole-history re-reads),
    #: rather than start at `window_days`.
    starts_wide: ClassVar[bool] = False
    #: Column that receives the window end, for endpoints whose items carry no date.
    window_field: ClassVar[str | None] = None
    #: It starts where the account stream found that the account's history starts
    #: (`history_start`), so it syncs after that stream.
    syncs_after: ClassVar[tuple[str, ...]] = (ACCOUNT_STREAM,)
    #: Whether its read may start while the stream before it is still emitting (see
    #: `read_ahead`): not when what it reads depends on that emission (`refunds`).
    reads_ahead: ClassVar[bool] = True
    is_sorted = True  # bookmarks are window ends, which only grow

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Reads started ahead of their partition, by account (with `searching`).
        self._reads: dict[str, tuple[AccountRead, bool]] = {}

    def window_label(self, params: Params) -> str | None:
        """The window of this endpoint's date filters in `params`, e.g. 2024-01-01..2024-03-31."""
        start_ms, last_ms = (params.get(name) for name in self.date_params)
        if not isinstance(start_ms, int) or not isinstance(last_ms, int):
            return None  # a request by transaction code
        return sent_window(start_ms, last_ms).label()

    def _planner(
        self,
        start: datetime,
        end: datetime,
        context: Context,
        *,
        wide: bool,
        read: str,
        limits: RangeLimits,
    ) -> WindowPlanner:
        """Dense reads: `window_days` first, up to `max_window_days`. Sparse ones: a year
        first, then as wide as the density asks and Hotmart accepts. Never a width this
        endpoint refused (`range_limits`). Where the last run measured the density of this
        `read`, the first windows are cut to it."""
        path = self.path
        target_records = TARGET_PAGES_PER_WINDOW * self.page_size
        density = self._remembered_density(context, read)
        if wide:
            first_days = SPARSE_WINDOW_DAYS
            max_days = math.inf

            def ceiling() -> float:
                return limits.ceiling(path, probe_from=SPARSE_WINDOW_DAYS)

        else:
            first_days = int(setting(self.config, "window_days"))
            max_days = int(setting(self.config, "max_window_days"))

            def ceiling() -> float:
                return limits.ceiling(path)

        if density is not None:
            per_day = density / _DAYS_PER_YEAR
            first_days = max(1, int(min(target_records / max(per_day, 1e-9), 36_500)))
        return WindowPlanner(
            start,
            end,
            first_days=first_days,
            max_days=max_days,
            target_records=target_records,
            ceiling=ceiling,
            parallel=int(setting(self.config, "concurrency")),
        )

    def _remembered_density(self, context: Context, read: str) -> int | None:
        """Records per year that `read` found in the last run that made it."""
        stored = self._stored_partition(context).get(DENSITY_KEY)
        value = stored.get(read) if isinstance(stored, dict) else None
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return value if ok else None

    def _remember_density(self, context: Context, read: str, planner: WindowPlanner) -> None:
        density = planner.density()
        if density is None or not self.selected:
            return
        known = {
            name: self._remembered_density(context, name) for name in (WINDOWS_READ, SWEEP_READ)
        }
        known[read] = math.ceil(density * _DAYS_PER_YEAR)
        self.get_context_state(context)[DENSITY_KEY] = {
            name: value for name, value in known.items() if value is not None
        }

    def reads_from_api(self, context: Context) -> bool:
        """Whether this partition's records come from Hotmart in this run (see `refunds`)."""
        return True

    def _plan_reads(self, context: Context, limits: RangeLimits) -> tuple[list[Read], bool]:
        """The account's reads (the refund sweep, then the windows), and whether the first
        window with a sale marks where its history starts."""
        start_date = self.hotmart_tap.start_date
        history_from = history_start.history_start(self.tap_state, context, start_date)
        start = self._resume_from(context) or history_from
        end = self.hotmart_tap.sync_end
        reads = []
        if self.sweep_filters and start > history_from:
            # Refunds and chargebacks reach sales of any age; a lookback cannot cover
            # them, so the history before it is swept for those statuses only (few rows:
            # wide windows from the start).
            self.logger.info(
                "%s [%s]: sweeping %s..%s for refunds and chargebacks",
                self.name,
                context["account_id"],
                f"{history_from:%Y-%m-%d}",
                f"{start:%Y-%m-%d}",
            )
            sweep = self._planner(
                history_from, start, context, wide=True, read=SWEEP_READ, limits=limits
            )
            reads.append(Read(SWEEP_READ, sweep, self.sweep_filters))
        planner = self._planner(
            start, end, context, wide=self.starts_wide, read=WINDOWS_READ, limits=limits
        )
        reads.append(Read(WINDOWS_READ, planner, {}))
        # Only the account stream's read of every status from start_date can tell where
        # the history starts.
        return reads, self.name == ACCOUNT_STREAM and start == start_date

    def _account_read(self, context: Context) -> tuple[AccountRead, bool]:
        """This partition's read, started earlier or now, and the next partitions' reads
        started, up to `account_concurrency` in all."""
        partitions: list[Context] = list(self.partitions or ()) or [context]
        ids = [partition["account_id"] for partition in partitions]
        here = ids.index(context["account_id"]) if context["account_id"] in ids else 0
        at_once = int(setting(self.config, "account_concurrency"))
        for partition in [context, *partitions[here + 1 : here + at_once]]:
            account_id = partition["account_id"]
            if account_id not in self._reads and (
                partition is context or self.reads_from_api(partition)
            ):
                self._reads[account_id] = self._start_read(partition)
        return self._reads.pop(context["account_id"])

    def _start_read(self, context: Context) -> tuple[AccountRead, bool]:
        account_id = context["account_id"]
        client = self.hotmart_tap.client(account_id)
        limits = RangeLimits(self.hotmart_tap.range_limits(account_id).to_state())
        reads, searching = self._plan_reads(context, limits)

        def fetch(read: Read) -> Generator[WindowFetch, None, None]:
            return self._fetch_in_order(client, read, context)

        account_read = AccountRead(
            f"{self.name}-{account_id}",
            reads,
            fetch,
            limits=limits,
            path=self.path,
            page_count=lambda items: len(page_items(items)),
        )
        return account_read.start(), searching

    def read_ahead(self, context: Context) -> bool:
        """Start this stream's read of the account now, ahead of its turn, unless started;
        return whether that read has planned all its windows (the next stream may start).

        The stream syncing before this one has planned its last window of the account:
        its last windows are being fetched on fewer and fewer workers (each window's pages
        come one after another), and then emitted. Without this the account's budget
        would idle through that tail, and under a sliding minute a gap returns every
        minute after (benchmarks/README.md, section 2). What decides the read is settled
        by then: its own partition state (untouched until it syncs), and what `sales`
        learns (where the history starts, the status filter, range limits), since the
        caller waits for those. Called from the emitting thread only.
        """
        account_id = context["account_id"]
        if account_id not in self._reads:
            self._reads[account_id] = self._start_read(context)
            return False
        return self._reads[account_id][0].planned()

    def stop_reads(self) -> None:
        """Stop the reads started ahead (the run is ending early)."""
        while self._reads:
            _, (account_read, _) = self._reads.popitem()
            account_read.stop()

    def get_records(self, context: Context | None) -> Iterable[Record]:
        """Emit the account's reads in order; bookmark each window of the `windows` read."""
        assert context is not None
        account_read, searching = self._account_read(context)
        limits = self.hotmart_tap.range_limits(context["account_id"])
        progress = {
            read.name: WindowProgress(self.logger, self.name, context["account_id"], read.planner)
            for read in account_read.reads
        }
        count = page_number = 0
        try:
            for event in account_read.events():
                if isinstance(event, WindowPage):
                    limits.accepted(self.path, _days(event.span))
                    records = page_items(event.items)  # shaped by the stream's `post_process`
                    if self.window_field:
                        window_end = event.window.end.isoformat()
                        for record in records:
                            record[self.window_field] = window_end
                    page_number += 1
                    count += len(records)
                    if page_number % PROGRESS_EVERY_PAGES == 0:
                        progress[event.read].page(event.window.label(), count, event.total)
                    yield from records
                elif isinstance(event, SpanRefused):
                    limits.refused(self.path, _days(event.span))
                elif isinstance(event, WindowEnd):
                    progress[event.read].window_done(event.window, count)
                    self.hotmart_tap.save_account_facts(context["account_id"])
                    if not searching and account_read.planned():
                        self.hotmart_tap.read_ahead(self, context)
                    if event.read == WINDOWS_READ:
                        if searching and count:
                            searching = False
                            if self.selected:
                                state = self.get_context_state(context)
                                history_start.mark(
                                    state, event.window.start, self.hotmart_tap.start_date
                                )
                        self._complete_window(context, event.window)
                    count = page_number = 0
                elif isinstance(event, ReadEnd):
                    self._remember_density(context, event.read, account_read.planner(event.read))
        except BaseException:
            self.hotmart_tap.stop_reads()
            raise
        self.hotmart_tap.read_ahead(self, context)
        if account_read.spilled_bytes:
            self.logger.info(
                "%s [%s]: %.0f MB of pages waited in a temporary file for their turn (read "
                "ahead of the loader, or while another account was emitted)",
                self.name, context["account_id"], account_read.spilled_bytes / 2**20,
            )  # fmt: skip

    def _stored_partition(self, context: Context) -> Mapping[str, Any]:
        """The partition's state if there is one, else nothing; unlike the SDK's
        `get_context_state` (and `stream_state`, which adds the stream's entry), never adds
        one: a read planned ahead of its partition or stream must leave the state messages
        what a run one account and one stream after the other writes."""
        stream_state = self.tap_state.get("bookmarks", {}).get(self.name, {})
        for partition in stream_state.get("partitions", ()):
            if partition.get("context") == dict(context):
                return partition
        return {}

    def _resume_from(self, context: Context) -> datetime | None:
        """Where an incremental run starts: the bookmark minus the lookback."""
        if not self.replication_key:
            return None
        bookmark = self._stored_partition(context).get("replication_key_value")
        if not bookmark:
            return None
        lookback = timedelta(days=int(setting(self.config, "lookback_days")))
        return max(self.hotmart_tap.start_date, parse_iso(bookmark) - lookback)

    def _increment_stream_state(self, latest_record: Record, *, context: Context | None = None):
        """Records never move the bookmark; completed windows do (`_complete_window`).

        This private SDK hook, and the SDK's `_write_state_message`, have no public
        counterpart: `tests/tap/test_sdk_hooks.py` fails if the SDK changes them.
        """

    def _complete_window(self, context: Context, window: Window) -> None:
        if not self.replication_key or not self.selected:
            return
        current = self.get_context_state(context).get("replication_key_value")
        if current and parse_iso(current) >= window.end:
            return  # re-reading the lookback; the bookmark is already past it
        super()._increment_stream_state(
            {self.replication_key: window.end.isoformat()}, context=context
        )
        # A state message per window makes the window the unit of resumption: a run
        # killed later restarts here. Targets commit the records before passing it on.
        self._write_state_message()

    def _fetch_in_order(
        self, client: AccountClient, read: Read, context: Context
    ) -> Generator[WindowFetch, None, None]:
        """Fetch up to `concurrency` windows of `read` at once; hand them out in order.

        Closing the generator stops the workers.

        `read.params` goes on top of `get_url_params` and the window's dates (the sweep's
        statuses, say). The window `concurrency` places after a given one is planned once
        that one's size is reported (`WindowFetch.sized`: its first page's
        `total_results`, else its record count), and sizes are reported in window order,
        so the cut never depends on which worker was faster.
        """
        planner = read.planner
        workers = max(1, int(setting(self.config, "concurrency")))
        cancel = threading.Event()
        budget = PrefetchBudget(prefetch.PREFETCH_BYTES_PER_WORKER * workers, cancel)
        pending: deque[tuple[Window, queue.Queue[WindowMessage]]] = deque()
        name = f"{self.name}-{context['account_id']}-{read.name}"
        # Emission order: this stream's place in the run, the sweep before the windows.
        order = (self.hotmart_tap.sync_position(self), int(read.name != SWEEP_READ))
        planned = 0
        with ThreadPoolExecutor(workers, thread_name_prefix=name) as pool:

            def submit_next() -> None:
                nonlocal planned
                window = planner.next_window()
                if window is not None:
                    pages: queue.Queue[WindowMessage] = queue.Queue()
                    planned += 1
                    pool.submit(
                        self._fill,
                        pages,
                        window,
                        client=client,
                        context=context,
                        params=read.params,
                        cancel=cancel,
                        budget=budget,
                        rank=(*order, planned),
                    )
                    pending.append((window, pages))

            def sized(span: Window, records: int) -> None:
                planner.observe(span, records)
                submit_next()

            def taken(size: int, empty: bool) -> None:
                budget.emitted(size, head_empty=empty)

            for _ in range(workers):
                submit_next()
            try:
                while pending:
                    window, pages = pending.popleft()
                    budget.set_head(window, empty=pages.empty())
                    yield WindowFetch(window, pages, sized, taken)
            finally:
                cancel.set()

    def _fill(
        self,
        pages: queue.Queue[WindowMessage],
        window: Window,
        *,
        client: AccountClient,
        context: Context,
        params: Params,
        cancel: threading.Event,
        budget: PrefetchBudget,
        rank: tuple[int, ...],
    ) -> None:
        """Worker: read every page of one window into its queue (or the error that stopped it).

        Pages are queued as fetched (items still JSON text when the API allows it); the
        read's thread relays them in order and the emitting thread decodes and shapes them.
        `budget` holds the worker back while too many bytes wait to be taken in order;
        `rank` (the window's place in the order of emission) puts its requests behind the
        earlier windows' where the account's budget is short (`ratelimit.request_rank`).
        """
        try:
            with request_rank(rank):
                self._fill_span(pages, window, window, client=client, context=context,
                                params=params, cancel=cancel, budget=budget)  # fmt: skip
            pages.put(Done())
        except BaseException as exc:  # handed to the read's thread, which re-raises it
            pages.put(Failed(exc))

    def _fill_span(
        self,
        pages: queue.Queue[WindowMessage],
        window: Window,
        span: Window,
        *,
        client: AccountClient,
        context: Context,
        params: Params,
        cancel: threading.Event,
        budget: PrefetchBudget,
    ) -> None:
        """Queue the pages of `span` (part of `window`), in halves if its query times out
        or Hotmart refuses its range as too wide."""
        start_name, end_name = self.date_params
        span_params = {**params, start_name: span.start_ms, end_name: span.last_ms}
        splittable = span.end - span.start > timedelta(days=1)
        try:
            for items, total in self.iter_pages(
                client,
                self.path,
                span_params,
                context=context,
                lazy_items=True,
                may_time_out=splittable,
            ):
                if cancel.is_set():
                    return
                size = len(items) if isinstance(items, msgspec.Raw) else 0
                budget.added(window, size)
                pages.put(Page(items, size, span, total))
                budget.wait_for_room(window)
        except (RangeTooWideError, QueryTimeoutError) as exc:
            # Raised before any page of `span` was queued, so its halves repeat nothing.
            left, right = halves(span)
            account_id = client.account.account_id
            if isinstance(exc, RangeTooWideError):
                self.logger.warning(
                    "%s [%s]: Hotmart refused %s (%s days) as too wide a date range (%s); "
                    "reading it in two halves, and no window that wide again.",
                    self.name, account_id, span.label(), f"{_days(span):g}", exc,
                )  # fmt: skip
                pages.put(Refused(span))
            else:
                self.logger.warning(
                    "%s [%s]: %s kept failing (%s); reading it in two halves. Lower "
                    "max_window_days if this repeats.",
                    self.name, account_id, span.label(), exc,
                )  # fmt: skip
                pages.put(Narrowed(left))
            for half in (left, right):
                self._fill_span(pages, window, half, client=client, context=context,
                                params=params, cancel=cancel, budget=budget)  # fmt: skip


def _days(span: Window) -> float:
    return (span.end - span.start) / timedelta(days=1)
