"""A per-account request budget shared by every stream and worker thread.

Hotmart allows 500 requests per minute per account (reads and writes, token requests
included) and answers 429 beyond that. Waiting for a 429 wastes a round trip and, with
several threads, makes them all collide; so we keep our own sliding window of send times
and also obey the server's `RateLimit-Remaining`/`RateLimit-Reset` headers, which account
for requests made by the user's other tools with the same credentials.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

from tap_hotmart.retries import RATE_LIMIT_SAFETY_SECONDS, RATE_LIMIT_WINDOW_SECONDS

# How long one of our sends stays counted in our window.
_COUNTED_SECONDS = RATE_LIMIT_WINDOW_SECONDS + RATE_LIMIT_SAFETY_SECONDS


class RateLimiter:
    """Sliding-window limiter: at most `per_minute` sends in any 60-second span."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._blocked_until = 0.0
        self._lock = threading.Lock()
        self.waited_seconds = 0.0
        #: Every request sent through this limiter (the API calls of the run summary).
        self.requests_sent = 0

    def acquire(self) -> None:
        """Block until a request may be sent, then count it."""
        while True:
            with self._lock:
                now = self._clock()
                wait = self._blocked_until - now
                if self._used(now) >= self.per_minute:
                    wait = max(wait, self._sent[0] + _COUNTED_SECONDS - now)
                if wait <= 0:
                    self._sent.append(now)
                    self.requests_sent += 1
                    return
                self.waited_seconds += wait
            self._sleep(wait)

    def observe(self, headers: Mapping[str, str], status_code: int) -> None:
        """Learn from the server's view of the budget (its headers, or a 429).

        A 429 always pauses every thread until the server's reset. `RateLimit-Remaining: 0`
        on an accepted request pauses them only if our own window still has room, i.e.
        when someone else (the user's other tools) spent part of the budget. When our
        window is full too, the zero is our own doing and our window already knows to the
        millisecond when the next slot frees, whereas the server's reset is rounded up to
        a whole second: pausing for it would idle the account for up to a second each
        time a slot frees, which at the limit is after every request.
        """
        remaining = _as_float(headers.get("RateLimit-Remaining"))
        reset = _as_float(headers.get("RateLimit-Reset"))
        if status_code == 429 or (remaining is not None and remaining <= 0):
            pause = reset if reset is not None else RATE_LIMIT_WINDOW_SECONDS
            with self._lock:
                now = self._clock()
                if status_code != 429 and self._used(now) >= self.per_minute:
                    return
                self._blocked_until = max(self._blocked_until, now + pause)

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
