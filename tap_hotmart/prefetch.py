"""A byte budget for pages fetched ahead of the date window being emitted."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tap_hotmart.windows import Window

# Pages fetched ahead of the window being emitted wait as JSON text, at most this many
# bytes per window worker (`concurrency`) of a stream and account (see PrefetchBudget):
# windows in flight advance at one pace, so when the head window is taken the others hold
# about as many pages each, and a bound that did not grow with the workers would keep the
# extra ones waiting. 16 MB: about 37 pages of 500 sales, 28 of `/sales/users` (566 KB),
# more than a window's ~25; a flat 64 MB held 8 workers to ~18 requests/s on
# `/sales/users` at 150 ms (benchmarks/README.md, section 2).
PREFETCH_BYTES_PER_WORKER = 16 * 1024 * 1024


class PrefetchBudget:
    """Caps the bytes of pages fetched but not yet taken in window order, across one read's
    windows.

    Windows are fetched several at once but taken in order by the account's read thread
    (`account_reads`, which moves them to its spool), so pages of the later windows wait in
    memory until every earlier window is taken; when a window is slow to arrive they would
    pile up to whole windows, whose size grows with the account's sales per window. A
    worker may fetch its next page only while the pending bytes are under the cap, or when
    its window is the one being taken and has nothing left queued: so the head window
    never starves and memory stays bounded whatever the account's size.
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
