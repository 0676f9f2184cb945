"""The catalogue children of an account's products, fetched at once before the SDK asks.

Why: the Singer SDK syncs a parent's children record by record: for each product its
offers, then its plans, then its coupons, each a request waited for before the next. On a
first sync that is up to three requests per product one after the other, with the
account's budget idle: against an API 150 ms away, 27 requests for the emulator's 12
products took about 4 s of a 200,000-sale account's full sync, 1.1 s now
(benchmarks/README.md, section 2; issue #17), and an account with hundreds of products
waits minutes. So once `products` has read an account's
listing, the children due are requested `concurrency` at a time, and each child stream
takes its product's items from here when the SDK reaches it. What is emitted, in which
order, and what the catalogue notes are unchanged: only the requests move earlier. An
error is raised where the child stream takes the items, as if it had made the request.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from tap_hotmart.ratelimit import request_rank


def _ranked(rank: tuple[int, ...], read: Callable[[], list[Any]]) -> list[Any]:
    with request_rank(rank):
        return read()


class ChildPrefetch:
    """Reads submitted by key, run by a few threads; each taken once, by its stream."""

    def __init__(self, workers: int, rank: tuple[int, ...]) -> None:
        """`rank`: the stream's place in the order of emission (`ratelimit.request_rank`)."""
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="catalogue")
        self._reads: dict[Hashable, Future[list[Any]]] = {}
        self._rank = rank
        self._submitted = itertools.count()

    def fetch(self, key: Hashable, read: Callable[[], list[Any]]) -> None:
        """Start `read` (every item of one product's child endpoint); reads submitted
        earlier, emitted earlier, go first where the account's budget is short."""
        rank = (*self._rank, next(self._submitted))
        self._reads[key] = self._pool.submit(_ranked, rank, read)

    def take(self, key: Hashable) -> list[Any] | None:
        """The items read for `key` (raising what the read raised); None: not fetched here."""
        read = self._reads.pop(key, None)
        return None if read is None else read.result()

    def close(self) -> None:
        """Drop what nobody took (the run is ending) and stop the threads."""
        for read in self._reads.values():
            read.cancel()
        self._reads.clear()
        self._pool.shutdown(wait=True)
