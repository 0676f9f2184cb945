"""A per-account request budget shared by every stream and worker thread.

Hotmart allows 500 requests per minute per account (reads and writes, token requests
included) and answers 429 beyond that. Waiting for a 429 wastes a round trip and, with
several threads, makes them all collide; so we keep our own sliding window of send times
(`requests_per_minute`) and also follow the server's own count, which can be stricter:
the account's plan may allow fewer requests, and the user's other tools spend the same
budget (it is per user/application, facts §2.5).

The server's count comes as `RateLimit-Remaining` and `RateLimit-Reset` on every answer
(facts §2.5: H for the names, M for "every answer"). An answer that leaves less room than
our window makes it the budget (`_ServerQuota`): no more requests than it says remain,
less those that may still reach the server after it, until its reset; then one request
(a probe), whose answer says what the renewed budget is. So an account's real limit is
learnt from its first answer (the token request, sent before any other: `http.py` takes
the token before a slot) and never exceeded afterwards, not even by requests already in
flight when the budget runs out. `RateLimit-Limit` is not needed for that, and not used:
it says how many requests, not over how long (Hotmart documents a minute, the emulator's
tests use seconds), whereas the remaining count and its reset are what the server enforces.
Nothing of it is kept in the state: the first answer of every run says it afresh, and the
budget it announces depends on what else spent it in the last minute, which a state saved
by an earlier run cannot know.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from tap_hotmart.retries import (
    RATE_LIMIT_SAFETY_SECONDS,
    RATE_LIMIT_WINDOW_SECONDS,
    REQUEST_TIMEOUT_SECONDS,
)

# How long one of our sends stays counted in our window.
_COUNTED_SECONDS = RATE_LIMIT_WINDOW_SECONDS + RATE_LIMIT_SAFETY_SECONDS
#: How long a request yields a free slot to an earlier-ranked one before looking again
#: (that one is waking for the same slot: every wait is for the account's budget).
_YIELD_SECONDS = 0.005

#: How long a request waits for a place in flight before looking again, at most: every
#: answer, and every request that ends in an exception (`RateLimiter.abandon`), wakes it.
_PLACE_RECHECK_SECONDS = 1.0

#: Each thread's rank (`request_rank`); () before any rank was set: first.
_thread_rank = threading.local()


@contextlib.contextmanager
def request_rank(rank: tuple[int, ...]) -> Iterator[None]:
    """Rank the requests this thread sends meanwhile: where an account's budget has fewer
    slots than requests waiting, the lowest rank goes first.

    Ranks follow the order of emission (stream, read, window): records are emitted in that
    order, so a slot given to a later window only makes its pages wait for the earlier
    ones (in memory, or on disk) while the emission waits for the earlier ones' pages.
    Where the budget has room, ranks change nothing: every request goes at once.
    """
    previous = getattr(_thread_rank, "value", ())
    _thread_rank.value = rank
    try:
        yield
    finally:
        _thread_rank.value = previous


@dataclass
class _ServerQuota:
    """The budget the server announced, once it was found stricter than our own window.

    Requests may be sent while `RateLimiter.requests_sent` is below `limit`; once it is
    reached and `renews_at` passed, one probe goes, alone, since a sliding window may have
    freed a single slot; its answer replaces the budget. It is never dropped once the server
    was found stricter, even when a renewed budget has more room than our window: the
    server's window may be shorter than our minute, and then our window alone lets a burst
    it freed go into a server window that the previous burst still fills (12 - 24 429s a
    run in benchmarks/README.md, section 10, before). In between only a 429 lowers it:
    the other answers add nothing for our own requests, and would count twice the ones
    sent before an answer, answered after it, yet counted by the server before it (common
    with several threads), holding the account below its limit.
    """

    limit: int
    renews_at: float
    #: The number (in `requests_sent`) of the probe in flight; None: none is.
    probe: int | None = None


class RateLimiter:
    """At most `per_minute` sends in any 60-second span, and never more than the server allows.

    With `max_in_flight`, at most that many of the account's requests are unanswered at
    once, whatever the streams and workers sending them; places, like slots, go by rank.
    Without it, streams read ahead share a burst of free slots with the stream being
    emitted, and their pages wait for it in memory: at `concurrency` 16 the cap made a run
    as fast (94.3% and 94.1% of the request bound, against 94.2% and 94.0%) with 70 MB
    less at its peak (benchmarks/README.md, section 2).
    """

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        *,
        max_in_flight: int | None = None,
    ) -> None:
        self.per_minute = per_minute
        self.max_in_flight = max_in_flight
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        #: Notified whenever a request takes a slot (those yielding to it look again).
        self._slot_taken = threading.Condition(self._lock)
        #: The rank of each thread waiting in `acquire`.
        self._waiting: dict[int, tuple[int, ...]] = {}
        #: Each thread's unanswered request (requests are synchronous: one per thread):
        #: its number in `requests_sent`, and the room our window had left once it was sent.
        self._in_flight: dict[int, tuple[int, int]] = {}
        self._quota: _ServerQuota | None = None
        #: Every request sent through this limiter (the API calls of the run summary).
        self.requests_sent = 0

    def acquire(self) -> None:
        """Block until a request may be sent, then count it."""
        thread = threading.get_ident()
        rank = getattr(_thread_rank, "value", ())
        try:
            while True:
                with self._lock:
                    now = self._clock()
                    # This thread's previous request, if unanswered, ended in an exception.
                    self._drop_in_flight(thread)
                    self._waiting[thread] = rank
                    if self._no_place():
                        self._answered.wait(_PLACE_RECHECK_SECONDS)
                        continue
                    wait = self._server_wait(now)
                    if wait is None:
                        # Only the probe's answer tells whether the renewed budget has
                        # room; a probe unanswered for a request's whole timeout has failed.
                        if not self._answered.wait(REQUEST_TIMEOUT_SECONDS) and self._quota:
                            self._quota.probe = None
                        continue
                    if self._used(now) >= self.per_minute:
                        wait = max(wait, self._sent[0] + _COUNTED_SECONDS - now)
                    if wait <= 0 and any(
                        other < rank for waiter, other in self._waiting.items() if waiter != thread
                    ):
                        self._slot_taken.wait(_YIELD_SECONDS)
                        continue
                    if wait <= 0:
                        self._take(thread, now)
                        return
                self._sleep(wait)
        finally:
            with self._lock:
                self._waiting.pop(thread, None)

    def _take(self, thread: int, now: float) -> None:
        """Count a request sent now by `thread` (call with the lock held)."""
        self._sent.append(now)
        self.requests_sent += 1
        room = self.per_minute - len(self._sent)
        self._in_flight[thread] = (self.requests_sent, room)
        del self._waiting[thread]
        self._slot_taken.notify_all()
        quota = self._quota
        if quota is not None and self.requests_sent > quota.limit:
            quota.probe = self.requests_sent

    def abandon(self) -> None:
        """This thread's request ended without an answer (it raised): its place in flight is
        free for the others now, not at this thread's next request, which may never come."""
        with self._lock:
            self._drop_in_flight(threading.get_ident())
            self._answered.notify_all()

    def _no_place(self) -> bool:
        """Whether `max_in_flight` requests are unanswered (call with the lock held)."""
        return self.max_in_flight is not None and len(self._in_flight) >= self.max_in_flight

    def _drop_in_flight(self, thread: int) -> None:
        """Forget `thread`'s unanswered request, if any; if it was the probe, another may go.
        Call with the lock held."""
        self._end(self._in_flight.pop(thread, (None, 0))[0])

    def has_room(self, requests: int) -> bool:
        """Whether `requests` more may go at once: the server was not found stricter than our
        window, and our window has that many slots free."""
        with self._lock:
            return self._quota is None and self._used(self._clock()) + requests <= self.per_minute

    def observe(self, headers: Mapping[str, str], status_code: int) -> None:
        """Learn from the server's view of the budget (its headers, or a 429).

        The answer's `RateLimit-Remaining`, less the requests that may reach the server
        after it (those sent before it and still unanswered, and every one sent since),
        is the room left until its `RateLimit-Reset`. It becomes the budget when the
        answer leaves less room than our own window (the account's limit is below
        `requests_per_minute`, or other tools spend part of it), and on any 429; our
        window's room is taken as the request left it, when the server counted it. It is
        read from the answer that finds the server stricter and, from then on, from each
        probe's; in between, only a 429 changes it (`_ServerQuota`). When our window is as
        full, the zero is our own doing, and our window already knows to the millisecond
        when the next slot frees, whereas the server's reset is rounded to a whole second:
        pausing for it would idle the account for up to a second each time a slot frees,
        which at the limit is after every request.
        """
        remaining = _as_float(
            headers.get("RateLimit-Remaining", headers.get("X-RateLimit-Remaining-Minute"))
        )
        reset = _as_float(headers.get("RateLimit-Reset"))
        if status_code == 429:
            remaining = 0.0  # whatever the headers say, nothing was left for this request
            if reset is None:
                reset = _as_float(headers.get("Retry-After"))
        with self._lock:
            now = self._clock()
            sent = self._in_flight.pop(threading.get_ident(), None)
            self._answered.notify_all()
            if sent is None:  # an answer to no request of ours in flight (tests)
                sent = (self.requests_sent, self.per_minute - self._used(now))
            number, room = sent
            quota = self._quota
            probe_answer = quota is not None and number == quota.probe
            if remaining is None:
                self._end(number)  # an answer without the server's count: probe again
                return
            earlier = sum(1 for other, _ in self._in_flight.values() if other < number)
            limit = number + math.floor(remaining) - earlier
            renews_at = now + (RATE_LIMIT_WINDOW_SECONDS if reset is None else reset)
            if quota is None:
                # Certainly stricter: less room than our window had, even if every request
                # sent since had reached the server first.
                stricter = status_code == 429 or remaining < room - (self.requests_sent - number)
                self._quota = _ServerQuota(limit, renews_at) if stricter else None
            elif probe_answer:
                self._quota = _ServerQuota(limit, renews_at)
            elif status_code == 429:  # someone else spent the budget too
                quota.limit = min(quota.limit, limit)
                quota.renews_at = max(quota.renews_at, renews_at)

    def _server_wait(self, now: float) -> float | None:
        """Seconds until the server's budget lets one more request go (0: now; None: not
        before the probe in flight is answered). Call with the lock held."""
        quota = self._quota
        if quota is None or self.requests_sent < quota.limit:
            return 0.0
        if now < quota.renews_at:
            return quota.renews_at - now
        return 0.0 if quota.probe is None else None

    def _end(self, number: int | None) -> None:
        """Request `number` ended without the server's count: if it was the probe, another
        may go. Call with the lock held."""
        if self._quota is not None and number is not None and number == self._quota.probe:
            self._quota.probe = None

    def _used(self, now: float) -> int:
        """Our sends still counted in the window at `now` (call with the lock held)."""
        while self._sent and self._sent[0] <= now - _COUNTED_SECONDS:
            self._sent.popleft()
        return len(self._sent)


def _as_float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
