"""Date-filtered streams: history read in windows, several at once, emitted in order.

`DateWindowStream` reads a date-filtered endpoint in consecutive windows. Several windows
are fetched at once (one rate limiter per account keeps the total within the budget)
while records are emitted strictly in window order, so the output and the state are the
same as a sequential run. For incremental streams the bookmark is the end of the last
window whose records were all emitted — never a record's own date — so an interrupted
run loses nothing and resumes at the last complete window. Windows are sized from the
density already seen (`WindowPlanner`), and a window whose query times out, or whose
range Hotmart refuses as too wide, is read in halves; the ranges each endpoint accepted
and refused are kept in the account's state (`range_limits`).
"""

from __future__ import annotations

import math
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec

from tap_hotmart import history_start, prefetch, range_limits
from tap_hotmart.account_state import ACCOUNT_STREAM
from tap_hotmart.client import HotmartStream, page_items
from tap_hotmart.errors import QueryTimeoutError, RangeTooWideError
from tap_hotmart.prefetch import PrefetchBudget
from tap_hotmart.progress import WindowProgress
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


# What a window's worker hands the emitting thread through the window's queue, in order:
# pages and what it learnt about the date range, then `Done` or `Failed`.


@dataclass(frozen=True)
class Page:
    """A page of `span` (the window, or a part of it read on its own)."""

    items: Any  #: a list of items, or their JSON text (`msgspec.Raw`) until emitted
    size: int  #: bytes of JSON text held against the prefetch budget (0: decoded)
    span: Window
    total: int | None  #: Hotmart's `total_results` for `span`, if it said


@dataclass(frozen=True)
class Narrowed:
    """A span's query timed out: it is read in halves, and later windows are no wider."""

    half: Window


@dataclass(frozen=True)
class Refused:
    """Hotmart refused `span` as too wide a date range: it is read in halves."""

    span: Window


@dataclass(frozen=True)
class Done:
    """Every page of the window is queued."""


@dataclass(frozen=True)
class Failed:
    """The error that stopped the worker, for the emitting thread to raise."""

    error: BaseException


WindowMessage = Page | Narrowed | Refused | Done | Failed


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
    is_sorted = True  # bookmarks are window ends, which only grow

    def window_label(self, params: Params) -> str | None:
        """The window of this endpoint's date filters in `params`, e.g. 2024-01-01..2024-03-31."""
        start_ms, last_ms = (params.get(name) for name in self.date_params)
        if not isinstance(start_ms, int) or not isinstance(last_ms, int):
            return None  # a request by transaction code
        return sent_window(start_ms, last_ms).label()

    def _planner(
        self, start: datetime, end: datetime, context: Context, *, wide: bool, read: str
    ) -> WindowPlanner:
        """Dense reads: `window_days` first, up to `max_window_days`. Sparse ones: a year
        first, then as wide as the density asks and Hotmart accepts. Never a width this
        endpoint refused (`range_limits`). Where the last run measured the density of this
        `read`, the first windows are cut to it."""
        limits = self.hotmart_tap.range_limits(context["account_id"])
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
        )

    def _remembered_density(self, context: Context, read: str) -> int | None:
        """Records per year that `read` found in the last run that made it."""
        stored = self.get_context_state(context).get(DENSITY_KEY)
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

    def save_range_limits(self, context: Context) -> None:
        """Keep what this account's endpoints accepted and refused in its `sales` partition."""
        account_id = context["account_id"]
        known = self.hotmart_tap.range_limits(account_id).to_state()
        if known:
            sales = self.hotmart_tap.streams[ACCOUNT_STREAM]
            sales.get_context_state({"account_id": account_id})[range_limits.STATE_KEY] = known

    def get_records(self, context: Context | None) -> Iterable[Record]:
        assert context is not None
        account_id = context["account_id"]
        client = self.hotmart_tap.client(account_id)
        start_date = self.hotmart_tap.start_date
        history_from = history_start.history_start(self.tap_state, context, start_date)
        start = self._resume_from(context) or history_from
        end = self.hotmart_tap.sync_end
        if self.sweep_filters and start > history_from:
            # Refunds and chargebacks reach sales of any age; a lookback cannot cover
            # them, so the history before it is swept for those statuses only (few rows:
            # wide windows from the start).
            self.logger.info(
                "%s [%s]: sweeping %s..%s for refunds and chargebacks",
                self.name,
                account_id,
                f"{history_from:%Y-%m-%d}",
                f"{start:%Y-%m-%d}",
            )
            sweep = self._planner(history_from, start, context, wide=True, read=SWEEP_READ)
            sweep_reads = self._fetch_in_order(client, sweep, self.sweep_filters, context)
            for _, records in sweep_reads:
                yield from records
            self._remember_density(context, SWEEP_READ, sweep)
        # Only the account stream's read of every status from start_date can tell where
        # the history starts.
        searching = self.name == ACCOUNT_STREAM and start == start_date
        planner = self._planner(start, end, context, wide=self.starts_wide, read=WINDOWS_READ)
        for window, records in self._fetch_in_order(client, planner, {}, context):
            yield from records
            if searching and records.count:
                searching = False
                if self.selected:
                    state = self.get_context_state(context)
                    history_start.mark(state, window.start, start_date)
            self._complete_window(context, window)
        self._remember_density(context, WINDOWS_READ, planner)

    def _resume_from(self, context: Context) -> datetime | None:
        """Where an incremental run starts: the bookmark minus the lookback."""
        if not self.replication_key:
            return None
        bookmark = self.get_context_state(context).get("replication_key_value")
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
        self, client: AccountClient, planner: WindowPlanner, params: Params, context: Context
    ) -> Iterator[tuple[Window, WindowDrain]]:
        """Fetch up to `concurrency` windows at once; hand them out in window order.

        `params` goes on top of `get_url_params` and the window's dates (the sweep's
        statuses, say).

        Each window's records must be consumed before the next window is asked for. The
        window `concurrency` places after a given one is planned once that one's size is
        known (its first page's `total_results`, else its record count), so the cut never
        depends on which worker was faster.
        """
        account_id = context["account_id"]
        progress = WindowProgress(self.logger, self.name, account_id, planner)
        workers = max(1, int(setting(self.config, "concurrency")))
        cancel = threading.Event()
        budget = PrefetchBudget(prefetch.PREFETCH_BYTES, cancel)
        pending: deque[tuple[Window, queue.Queue[WindowMessage]]] = deque()
        with ThreadPoolExecutor(workers, thread_name_prefix=f"{self.name}-{account_id}") as pool:

            def submit_next() -> None:
                window = planner.next_window()
                if window is not None:
                    pages: queue.Queue[WindowMessage] = queue.Queue()
                    pool.submit(
                        self._fill,
                        pages,
                        window,
                        client=client,
                        context=context,
                        params=params,
                        cancel=cancel,
                        budget=budget,
                    )
                    pending.append((window, pages))

            def sized(span: Window, records: int) -> None:
                planner.observe(span, records)
                submit_next()

            for _ in range(workers):
                submit_next()
            try:
                while pending:
                    window, pages = pending.popleft()
                    budget.set_head(window, empty=pages.empty())
                    drain = WindowDrain(
                        stream=self,
                        window=window,
                        pages=pages,
                        context=context,
                        budget=budget,
                        planner=planner,
                        sized=sized,
                        progress=progress,
                    )
                    yield window, drain
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
    ) -> None:
        """Worker: read every page of one window into its queue (or the error that stopped it).

        Pages are queued as fetched (items still JSON text when the API allows it); the
        emitting thread decodes and shapes them. `budget` holds the worker back while too
        many bytes wait to be emitted.
        """
        try:
            self._fill_span(pages, window, window, client=client, context=context,
                            params=params, cancel=cancel, budget=budget)  # fmt: skip
            pages.put(Done())
        except BaseException as exc:  # handed to the emitting thread, which re-raises it
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


@dataclass(kw_only=True)
class WindowDrain:
    """The emitting side of one window: decodes its queued pages into records, in order."""

    stream: DateWindowStream
    window: Window
    pages: queue.Queue[WindowMessage]
    context: Context
    budget: PrefetchBudget
    planner: WindowPlanner
    #: Called once with the window's density (a span and its record count).
    sized: Callable[[Window, int], None] | None
    progress: WindowProgress
    #: Records emitted so far (all of the window's once iterated to the end).
    count: int = 0

    def _report_size(self, span: Window, records: int) -> None:
        """Tell the planner how dense this window is, once."""
        if self.sized is not None:
            sized, self.sized = self.sized, None
            sized(span, records)

    def __iter__(self) -> Iterator[Record]:
        stream, window = self.stream, self.window
        limits = stream.hotmart_tap.range_limits(self.context["account_id"])
        page_number = 0
        window_end = window.end.isoformat()
        while True:
            message = self.pages.get()
            if isinstance(message, Failed):
                raise message.error
            if isinstance(message, Done):
                break
            if isinstance(message, Narrowed):
                self.planner.narrow(_days(message.half))
                continue
            if isinstance(message, Refused):
                limits.refused(stream.path, _days(message.span))
                continue
            span, size, total = message.span, message.size, message.total
            limits.accepted(stream.path, _days(span))
            if total is not None:
                self._report_size(span, total)
            records = page_items(message.items)  # shaped by the stream's `post_process`
            del message  # the JSON text, no longer needed while the records are emitted
            self.budget.emitted(size, head_empty=self.pages.empty())
            if stream.window_field:
                for record in records:
                    record[stream.window_field] = window_end
            page_number += 1
            self.count += len(records)
            if page_number % PROGRESS_EVERY_PAGES == 0:
                self.progress.page(window.label(), self.count, total)
            yield from records
        self._report_size(window, self.count)
        self.progress.window_done(window, self.count)
        stream.save_range_limits(self.context)


def _days(span: Window) -> float:
    return (span.end - span.start) / timedelta(days=1)
