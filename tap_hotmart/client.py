"""Base streams: Hotmart paging, per-account partitions and date windows.

Two kinds of stream share this module:

* `HotmartStream` reads an endpoint page by page (`page_token` until there is none).
* `DateWindowStream` reads a date-filtered endpoint in consecutive windows. Several
  windows are fetched at once (one rate limiter per account keeps the total within the
  budget) while records are emitted strictly in window order, so the output and the state
  are the same as a sequential run. For incremental streams the bookmark is the end of the
  last window whose records were all emitted — never a record's own date — so an
  interrupted run loses nothing and resumes at the last complete window. Windows are
  sized from the density already seen (`WindowPlanner`) and a window whose query times
  out is read in halves.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import backoff
import msgspec
from singer_sdk import RESTStream, SchemaDirectory, StreamSchema
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.helpers._util import utc_now
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.singerlib import RecordMessage

from tap_hotmart import history_start
from tap_hotmart.errors import PagingLoopError, QueryTimeoutError
from tap_hotmart.http import decode_items
from tap_hotmart.progress import WindowProgress
from tap_hotmart.windows import UTC, Window, WindowPlanner, halves

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, Record

    from tap_hotmart.http import AccountClient, Params
    from tap_hotmart.tap import TapHotmart

SCHEMAS_DIR = Path(__file__).parent / "schemas"
PROGRESS_EVERY_PAGES = 20
# Windows aim at this many full pages: the partial last page of each is then ~2% of its
# requests (about 2.04 requests per 1,000 records with 500-record pages).
TARGET_PAGES_PER_WINDOW = 25
# Server errors in a row on a window's first page before it is read in halves: the
# emulator's `flaky` profile (and a passing outage) never fails one URL 3 times in a row.
TIMEOUTS_BEFORE_SPLIT = 3
# Pages fetched ahead of the window being emitted wait as JSON text, at most this many
# bytes per stream and account (about 150 pages of 500 sales; see _PrefetchBudget).
PREFETCH_BYTES = 64 * 1024 * 1024


class HotmartStream(RESTStream[str]):
    """A Hotmart endpoint read page by page for every configured account."""

    # Nested objects are Hotmart's own, passed through verbatim; walking them per record
    # would cost CPU for nothing.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.ROOT_ONLY
    #: Hotmart's path, relative to the API host; may contain {context keys}.
    endpoint: ClassVar[str]
    #: Keys of the parent's context copied into each record (child streams).
    parent_keys: ClassVar[tuple[str, ...]] = ()

    schema = StreamSchema(SchemaDirectory(SCHEMAS_DIR))  # schemas/<stream name>.json

    def __init__(self, tap: TapHotmart, **kwargs: Any) -> None:
        super().__init__(tap, **kwargs)
        self.hotmart_tap = tap

    @cached_property
    def _get_with_retries(self) -> Callable[..., Any]:
        """`_get_page` wrapped in the SDK's backoff (built on first use)."""
        # The SDK types its decorator for `_request`; any callable raising its exceptions works.
        return self.request_decorator(self._get_page)  # type: ignore[arg-type]

    @cached_property
    def _fast_path(self) -> tuple[bool, frozenset[str]]:
        """Whether records can skip the SDK's prune-and-conform walk, and the known keys."""
        everything_selected = all(self.mask.values())
        plain_maps = all(isinstance(m, SameRecordTransform) for m in self.stream_maps)
        return everything_selected and plain_maps, frozenset(self.schema["properties"])

    def _generate_record_messages(self, record: Record) -> Generator[RecordMessage, None, None]:
        """Emit records as they are when the SDK's walk would not change them."""
        fast, known_keys = self._fast_path
        if not fast or not record.keys() <= known_keys:
            yield from super()._generate_record_messages(record)
            return
        yield RecordMessage(
            stream=self.name,
            record=record,
            version=self._stream_version,
            time_extracted=utc_now(),
        )

    @property
    def url_base(self) -> str:
        return self.hotmart_tap.api_url

    @property
    def partitions(self) -> list[dict] | None:
        """One partition per account: its own bookmarks, its own progress."""
        if self.parent_stream_type is not None:
            return None
        return [{"account_id": account.account_id} for account in self.hotmart_tap.accounts]

    @property
    def page_size(self) -> int:
        return int(self.config.get("page_size", 500))

    # Retries ---------------------------------------------------------------------------

    def backoff_wait_generator(self) -> Generator[float, None, None]:
        return backoff.expo(base=2, factor=1, max_value=60)

    def backoff_max_tries(self) -> int:
        return 8

    def backoff_handler(self, details: Mapping[str, Any]) -> None:
        """One line per retry: which call, why, and how long we wait (no request dump)."""
        self.logger.warning(
            "%s: retry %d in %.1f s after: %s",
            self.name,
            details.get("tries", 0),
            details.get("wait", 0.0),
            details.get("exception"),
        )

    def _get_page(
        self, client: AccountClient, path: str, params: Params, *, lazy_items: bool = False
    ) -> Any:
        body = client.get_page(path, params, lazy_items=lazy_items)
        if isinstance(body, dict) and not isinstance(body.get("items"), (list, msgspec.Raw)):
            # Read as an empty last page, this would end the window early and silently
            # lose its records; retried, and fatal if it persists.
            msg = (
                f"Account {client.account.account_id!r}, GET {path}: the answer has no list "
                "of items; it is not a Hotmart page"
            )
            raise RetriableAPIError(msg)
        return body

    # Paging ----------------------------------------------------------------------------

    def iter_pages(
        self,
        client: AccountClient,
        path: str,
        params: Params,
        *,
        lazy_items: bool = False,
        may_time_out: bool = False,
    ) -> Iterator[tuple[Any, int | None]]:
        """Yield (items, total_results) for every page until Hotmart gives no next token.

        With `lazy_items` the items may come as undecoded JSON (see `page_items`). With
        `may_time_out`, a first page that keeps failing with server errors raises
        `QueryTimeoutError` (before anything is yielded) instead of exhausting the retries.
        """
        token: str | None = None
        seen: set[str] = set()
        while True:
            page_params = {**params, "max_results": self.page_size}
            if token:
                page_params["page_token"] = token
                body = self._get_with_retries(client, path, page_params, lazy_items=lazy_items)
            elif may_time_out:
                body = self._get_first_page(client, path, page_params, lazy_items=lazy_items)
            else:
                body = self._get_with_retries(client, path, page_params, lazy_items=lazy_items)
            items, page_info = _split_body(body)
            if not isinstance(items, msgspec.Raw):
                items = page_items(items)
            yield items, page_info.get("total_results")
            token = page_info.get("next_page_token") or None
            if not token:
                return
            if token in seen:
                msg = (
                    f"Account {client.account.account_id!r}, GET {path}: Hotmart returned a "
                    "page token it had already returned; stopping instead of looping."
                )
                raise PagingLoopError(msg)
            seen.add(token)

    def _get_first_page(
        self, client: AccountClient, path: str, params: Params, *, lazy_items: bool
    ) -> Any:
        """`_get_page` with the usual retries, except that repeated server errors end early.

        Hotmart answers 502 to a query that runs over 30 s, on every attempt: retrying the
        same range only spends the budget, a narrower one works.
        """
        server_errors = 0

        def attempt() -> Any:
            nonlocal server_errors
            try:
                return self._get_page(client, path, params, lazy_items=lazy_items)
            except RetriableAPIError as exc:
                if exc.response is not None and exc.response.status_code >= 500:
                    server_errors += 1
                    if server_errors >= TIMEOUTS_BEFORE_SPLIT:
                        raise QueryTimeoutError(str(exc)) from exc
                raise

        return self.request_decorator(attempt)()  # type: ignore[arg-type,call-arg]

    # Records ---------------------------------------------------------------------------

    def request_params(self, context: Context | None) -> dict[str, Any]:
        """Query parameters every request of this stream sends (besides paging)."""
        return {}

    def transform(self, item: dict, context: Context) -> Record | None:
        """Shape one API item into a record; None drops an item that has no key."""
        item["account_id"] = context["account_id"]
        for key in self.parent_keys:
            item[key] = context[key]
        return item

    def get_records(self, context: Context | None) -> Iterable[Record]:
        assert context is not None
        client = self.hotmart_tap.client(context["account_id"])
        path = self.endpoint.format(**context)
        for items, _ in self.iter_pages(client, path, self.request_params(context)):
            yield from self._transform_page(items, context)

    def _transform_page(self, items: list[dict], context: Context) -> list[Record]:
        records = []
        for item in items:
            record = self.transform(item, context)
            if record is None:
                self.logger.warning(
                    "%s [%s]: skipped an item without its key fields",
                    self.name,
                    context["account_id"],
                )
            else:
                records.append(record)
        return records


def _split_body(body: Any) -> tuple[Any, dict]:
    """Items (a list, or undecoded JSON) and page_info of a paged body.

    A bare array is one final page.
    """
    if isinstance(body, list):
        return body, {}
    if isinstance(body, dict):
        page_info = body.get("page_info")
        return body["items"], (page_info if isinstance(page_info, dict) else {})
    return [], {}


def page_items(items: Any) -> list[dict]:
    """The object items of a page (decoding them if they are still JSON text)."""
    items = decode_items(items)
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


class _PrefetchBudget:
    """Caps the bytes of pages fetched but not yet emitted, across a stream's windows.

    Windows are fetched several at once but emitted in order, so pages of the later
    windows wait in memory until every earlier window is emitted; when the emitting side
    is slower (a target that cannot keep up, a CPU-bound run) they would pile up to whole
    windows, whose size grows with the account's sales per window. A worker may fetch its
    next page only while the pending bytes are under the cap, or when its window is the
    one being emitted and has nothing left to emit: so the emitting window never starves
    and memory stays bounded whatever the account's size.
    """

    def __init__(self, limit_bytes: int, cancel: threading.Event) -> None:
        self.limit_bytes = limit_bytes
        self._cancel = cancel
        self._pending = 0
        self._head: Window | None = None
        self._head_empty = True
        self._condition = threading.Condition()

    def added(self, window: Window, size: int) -> None:
        with self._condition:
            self._pending += size
            if window is self._head:
                self._head_empty = False

    def emitted(self, size: int, *, head_empty: bool) -> None:
        with self._condition:
            self._pending -= size
            self._head_empty = head_empty
            self._condition.notify_all()

    def set_head(self, window: Window, *, empty: bool) -> None:
        with self._condition:
            self._head = window
            self._head_empty = empty
            self._condition.notify_all()

    def wait_for_room(self, window: Window) -> None:
        """Block a worker until it may fetch the next page of `window`."""
        with self._condition:
            while not self._cancel.is_set() and self._pending >= self.limit_bytes:
                if window is self._head and self._head_empty:
                    return
                self._condition.wait(0.5)


class DateWindowStream(HotmartStream):
    """A date-filtered endpoint read in windows, several windows in flight at once."""

    #: Names of Hotmart's inclusive start/end filters for this endpoint.
    date_params: ClassVar[tuple[str, str]] = ("start_date", "end_date")
    #: Filters for the refund sweep over the history before the lookback (None: no sweep).
    sweep_filters: ClassVar[dict[str, Any] | None] = None
    #: Whether the first windows are `max_window_days` wide (sparse endpoints) rather
    #: than `window_days`.
    starts_wide: ClassVar[bool] = False
    #: Column that receives the window end, for endpoints whose items carry no date.
    window_field: ClassVar[str | None] = None
    is_sorted = True  # bookmarks are window ends, which only grow

    def _planner(self, start: datetime, end: datetime, *, wide: bool) -> WindowPlanner:
        max_days = int(self.config.get("max_window_days", 90))
        first_days = max_days if wide else int(self.config.get("window_days", 30))
        return WindowPlanner(
            start,
            end,
            first_days=first_days,
            max_days=max_days,
            target_records=TARGET_PAGES_PER_WINDOW * self.page_size,
        )

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
            sweep = self._planner(history_from, start, wide=True)
            for _, records in self._fetch_in_order(client, sweep, self.sweep_filters, context):
                yield from records
        # Only a read of every status from start_date can tell where the history starts.
        searching = self.name == history_start.MARK_STREAM and start == start_date
        planner = self._planner(start, end, wide=self.starts_wide)
        for window, records in self._fetch_in_order(
            client, planner, self.request_params(context), context
        ):
            yield from records
            if searching and records.count:
                searching = False
                if self.selected:
                    state = self.get_context_state(context)
                    history_start.mark(state, window.start, start_date)
            self._complete_window(context, window)

    def _resume_from(self, context: Context) -> datetime | None:
        """Where an incremental run starts: the bookmark minus the lookback."""
        if not self.replication_key:
            return None
        bookmark = self.get_context_state(context).get("replication_key_value")
        if not bookmark:
            return None
        lookback = timedelta(days=int(self.config.get("lookback_days", 60)))
        return max(self.hotmart_tap.start_date, _parse_iso(bookmark) - lookback)

    def _increment_stream_state(self, latest_record: Record, *, context: Context | None = None):
        """Records never move the bookmark; completed windows do (`_complete_window`)."""

    def _complete_window(self, context: Context, window: Window) -> None:
        if not self.replication_key or not self.selected:
            return
        current = self.get_context_state(context).get("replication_key_value")
        if current and _parse_iso(current) >= window.end:
            return  # re-reading the lookback; the bookmark is already past it
        super()._increment_stream_state(
            {self.replication_key: window.end.isoformat()}, context=context
        )
        # A state message per window makes the window the unit of resumption: a run
        # killed later restarts here. Targets commit the records before passing it on.
        self._write_state_message()

    def _fetch_in_order(
        self, client: AccountClient, planner: WindowPlanner, params: Params, context: Context
    ) -> Iterator[tuple[Window, _WindowDrain]]:
        """Fetch up to `concurrency` windows at once; hand them out in window order.

        Each window's records must be consumed before the next window is asked for. The
        window `concurrency` places after a given one is planned once that one's size is
        known (its first page's `total_results`, else its record count), so the cut never
        depends on which worker was faster.
        """
        account_id = context["account_id"]
        progress = WindowProgress(self.logger, self.name, account_id, planner)
        workers = max(1, int(self.config.get("concurrency", 4)))
        cancel = threading.Event()
        budget = _PrefetchBudget(PREFETCH_BYTES, cancel)
        pending: deque[tuple[Window, queue.Queue]] = deque()
        with ThreadPoolExecutor(workers, thread_name_prefix=f"{self.name}-{account_id}") as pool:

            def submit_next() -> None:
                window = planner.next_window()
                if window is not None:
                    pages: queue.Queue = queue.Queue()
                    pool.submit(
                        self._fill,
                        pages,
                        window,
                        client=client,
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
                    drain = _WindowDrain(
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
        pages: queue.Queue,
        window: Window,
        *,
        client: AccountClient,
        params: Params,
        cancel: threading.Event,
        budget: _PrefetchBudget,
    ) -> None:
        """Worker: read every page of one window into its queue (or the error that stopped it).

        Pages are queued as fetched (items still JSON text when the API allows it); the
        emitting thread decodes and shapes them. `budget` holds the worker back while too
        many bytes wait to be emitted.
        """
        try:
            self._fill_span(pages, window, window, client=client, params=params,
                            cancel=cancel, budget=budget)  # fmt: skip
            pages.put(("done", None, None))
        except BaseException as exc:  # handed to the emitting thread, which re-raises it
            pages.put(("error", exc, None))

    def _fill_span(
        self,
        pages: queue.Queue,
        window: Window,
        span: Window,
        *,
        client: AccountClient,
        params: Params,
        cancel: threading.Event,
        budget: _PrefetchBudget,
    ) -> None:
        """Queue the pages of `span` (part of `window`), in halves if its query times out."""
        start_name, end_name = self.date_params
        span_params = {**params, start_name: span.start_ms, end_name: span.last_ms}
        splittable = span.end - span.start > timedelta(days=1)
        try:
            for items, total in self.iter_pages(
                client, self.endpoint, span_params, lazy_items=True, may_time_out=splittable
            ):
                if cancel.is_set():
                    return
                size = len(items) if isinstance(items, msgspec.Raw) else 0
                budget.added(window, size)
                pages.put(("page", (items, size, span), total))
                budget.wait_for_room(window)
        except QueryTimeoutError as exc:
            # Raised before any page of `span` was queued, so its halves repeat nothing.
            left, right = halves(span)
            self.logger.warning(
                "%s [%s]: %s kept failing (%s); reading it in two halves. Lower "
                "max_window_days if this repeats.",
                self.name,
                client.account.account_id,
                span.label(),
                exc,
            )
            pages.put(("narrowed", left, None))
            for half in (left, right):
                self._fill_span(pages, window, half, client=client, params=params,
                                cancel=cancel, budget=budget)  # fmt: skip


@dataclass(kw_only=True)
class _WindowDrain:
    """The emitting side of one window: decodes its queued pages into records, in order."""

    stream: DateWindowStream
    window: Window
    pages: queue.Queue
    context: Context
    budget: _PrefetchBudget
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
        page_number = 0
        window_end = window.end.isoformat()
        while True:
            kind, payload, total = self.pages.get()
            if kind == "error":
                raise payload
            if kind == "done":
                break
            if kind == "narrowed":
                self.planner.narrow((payload.end - payload.start) / timedelta(days=1))
                continue
            items, size, span = payload
            if total is not None:
                self._report_size(span, total)
            records = stream._transform_page(page_items(items), self.context)
            del items, payload
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


def _parse_iso(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
