"""One account's reads of a date-window stream, fetched in the background, emitted later.

The Singer SDK syncs a stream's partitions (here: accounts) one after the other, and the
output must stay what a sequential run gives. But each account has its own rate budget
(Hotmart's 500 requests a minute are per account), so reading them one after the other
made a run with N accounts take N times as long. So the stream starts the reads of the
next accounts (`account_concurrency` at once) while it emits the first: each read runs in
its own thread (its windows' workers under it), does in window order everything that
decides what to fetch next (planning from each window's size, narrowing, range limits),
and queues its pages in a `PageSpool` (memory, then disk). The emitting thread drains an
account's spool when the SDK reaches its partition; the records, their order, and the
state messages are those of a sequential run.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from tap_hotmart.page_spool import PageSpool, SpoolClosedError
from tap_hotmart.windows import Window, WindowPlanner

if TYPE_CHECKING:
    from tap_hotmart.http import Params
    from tap_hotmart.range_limits import RangeLimits


@dataclass(frozen=True)
class Read:
    """One pass over a date span: the stream's windows, or the refund sweep before them."""

    name: str  #: "windows" or "sweep" (`date_window_stream`)
    planner: WindowPlanner
    params: Params  #: on top of the stream's own (the sweep's statuses)


# What a read hands the emitting thread, in order: for each window its pages, then its
# end; after each read its end; `ReadFailed` if it stopped. They may wait on disk
# (`PageSpool` pickles them), so they name their read (`Read.name`) instead of holding it:
# a copy read back would be another planner, and the planner holds closures, which do not
# pickle; and the error that stopped a read stays in memory (`AccountRead.error`), since
# not every exception pickles back.


@dataclass(frozen=True)
class WindowPage:
    read: str  #: `Read.name`
    window: Window
    span: Window  #: the part of `window` this page is of (the window, or a half of it)
    items: Any  #: a list of items, or their JSON text (`msgspec.Raw`)
    total: int | None  #: Hotmart's `total_results` for `span`, if it said


@dataclass(frozen=True)
class SpanRefused:
    """Hotmart refused `span` of the window as too wide a date range."""

    span: Window


@dataclass(frozen=True)
class WindowEnd:
    read: str  #: `Read.name`
    window: Window


@dataclass(frozen=True)
class ReadEnd:
    read: str  #: `Read.name`


@dataclass(frozen=True)
class ReadFailed:
    """The reads stopped on `AccountRead.error`."""


Event = WindowPage | SpanRefused | WindowEnd | ReadEnd | ReadFailed


# What a window's workers queue for the read's thread (`date_window_stream._fill`).


@dataclass(frozen=True)
class Page:
    """A page of `span` (the window, or a part of it read on its own)."""

    items: Any  #: a list of items, or their JSON text (`msgspec.Raw`)
    size: int  #: bytes of JSON text held against the prefetch budget (0: decoded)
    span: Window
    total: int | None


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
    """The error that stopped the worker, for the read's thread to raise."""

    error: BaseException


WindowMessage = Page | Narrowed | Refused | Done | Failed


@dataclass(frozen=True)
class WindowFetch:
    """One window being fetched (`date_window_stream._fetch_in_order`)."""

    window: Window
    pages: queue.Queue[WindowMessage]
    #: Report the window's size to the planner, once: (a span of it, its records).
    sized: Callable[[Window, int], None]
    #: A page of so many bytes left `pages` (the prefetch budget frees them); whether
    #: `pages` is now empty.
    taken: Callable[[int, bool], None]


#: Fetches one read's windows, in order; closing the iterator stops its workers.
Fetcher = Callable[[Read], Generator[WindowFetch, None, None]]


class AccountRead:
    """The reads of one account for one stream, in a thread of their own.

    `limits` are the read's own copy of the account's range limits: it learns from every
    page at once, to plan its next windows, while the state learns them from the events
    as they are emitted (`WindowPage.span`, `SpanRefused`), so that the state messages
    do not depend on how far ahead the read is.
    """

    def __init__(
        self,
        name: str,
        reads: list[Read],
        fetch: Fetcher,
        *,
        limits: RangeLimits,
        path: str,
        page_count: Callable[[Any], int],
    ) -> None:
        self.reads = reads
        self._fetch = fetch
        self._limits = limits
        self._path = path
        self._page_count = page_count
        self._cancel = threading.Event()
        self._spool = PageSpool(self._cancel)
        #: The error that stopped the reads, raised by `events` after `ReadFailed`.
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> AccountRead:
        self._thread.start()
        return self

    def events(self) -> Iterator[Event]:
        """What the reads found, in order (raises the error that stopped them)."""
        try:
            while True:
                event = self._spool.get()
                if isinstance(event, ReadFailed):
                    assert self.error is not None
                    raise self.error
                yield event
                if isinstance(event, ReadEnd) and event.read == self.reads[-1].name:
                    return
        finally:
            self.stop()

    @property
    def spilled_bytes(self) -> int:
        """Bytes of pages that waited on disk (the run's log says so)."""
        return self._spool.spilled_bytes

    def planned(self) -> bool:
        """Whether every window is planned: only the last windows in flight remain to be
        fetched, on fewer and fewer workers, as each ends."""
        return all(read.planner.exhausted() for read in self.reads)

    def planner(self, name: str) -> WindowPlanner:
        """The planner of the read named `name`."""
        return next(read.planner for read in self.reads if read.name == name)

    def stop(self) -> None:
        """Stop fetching (nothing more will be emitted) and free the spool."""
        self._cancel.set()
        self._thread.join(timeout=30)
        self._spool.close()

    def _run(self) -> None:
        try:
            for read in self.reads:
                with contextlib.closing(self._fetch(read)) as fetches:
                    for fetch in fetches:
                        self._relay(read, fetch)
                self._spool.put(ReadEnd(read.name), 0)
        except SpoolClosedError:
            return
        except BaseException as exc:  # handed to the emitting thread, which re-raises it
            self.error = exc
            try:
                self._spool.put(ReadFailed(), 0)
            except SpoolClosedError:
                return

    def _relay(self, read: Read, fetch: WindowFetch) -> None:
        """Move one window's pages to the spool, in order, learning from them on the way:
        the window's size (which plans the window `concurrency` places later), the ranges
        Hotmart accepted or refused, and the spans that timed out."""
        window, pages = fetch.window, fetch.pages
        reported = False
        count = 0
        while True:
            message = pages.get()
            if isinstance(message, Failed):
                raise message.error
            if isinstance(message, Done):
                break
            if isinstance(message, Narrowed):
                read.planner.narrow(_days(message.half))
                continue
            if isinstance(message, Refused):
                self._limits.refused(self._path, _days(message.span))
                self._spool.put(SpanRefused(message.span), 0)
                continue
            self._limits.accepted(self._path, _days(message.span))
            if message.total is not None and not reported:
                reported = True
                fetch.sized(message.span, message.total)
            elif message.total is None:
                count += self._page_count(message.items)
            page = WindowPage(read.name, window, message.span, message.items, message.total)
            self._spool.put(page, message.size)
            fetch.taken(message.size, pages.empty())
        if not reported:
            fetch.sized(window, count)
        self._spool.put(WindowEnd(read.name, window), 0)


def _days(span: Window) -> float:
    return (span.end - span.start) / timedelta(days=1)
