"""Per-account sliding-window rate limit with Hotmart's headers on every response.

Hotmart allows 500 requests per minute per account (reads and writes together) and answers
429 ``too_many_requests`` beyond it. ``RateLimit-Reset`` is the number of seconds until a
slot frees. The window length is configurable so tests need not wait a minute.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """Counts accepted requests per key over the last ``window_s`` seconds."""

    def __init__(
        self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window_s
        self.clock = clock
        self.hits: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def hit(self, key: str) -> tuple[bool, dict[str, str]]:
        """Record a request for ``key``; (allowed, rate-limit headers)."""
        with self.lock:
            now = self.clock()
            dq = self.hits.setdefault(key, deque())
            while dq and dq[0] <= now - self.window:
                dq.popleft()
            allowed = len(dq) < self.limit
            if allowed:
                dq.append(now)
            remaining = self.limit - len(dq)
            reset = max(1, math.ceil(dq[0] + self.window - now)) if dq else 0
        return allowed, self.headers(remaining, reset)

    def headers(self, remaining: int, reset: int) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset),
            "X-RateLimit-Limit-Minute": str(self.limit),
            "X-RateLimit-Remaining-Minute": str(remaining),
        }
