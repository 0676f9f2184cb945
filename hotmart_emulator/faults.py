"""Fault profiles: deterministic misbehaviour a robust client must survive.

A decision is a pure function of (seed, full request URL with query, attempt number of that
URL): the n-th request of the same URL always gets the same fate, whatever else happens.
No URL fails more than twice in a row, so a client that retries 5 times always gets
through. Faults never touch the control API (``/_emulator/``).

``flaky`` mixes: transient 500/502/503, dropped connections (socket closed without a
response), latency with jitter, bursts of 429 with ``RateLimit-Reset``, rare truncated
bodies and HTML error pages, unknown extra fields in items, and nulls in optional fields
(never in keys, statuses, dates used for filtering, or amounts). Its short token lifetime
(~20 s) is applied by the server.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from .ids import mix

PROFILES = ("none", "flaky")
FLAKY_TOKEN_TTL_S = 20.0

#: (kind, probability) of a failing response, tried in order on one uniform draw.
FLAKY_FAILURES: tuple[tuple[str, float], ...] = (
    ("500", 0.025),
    ("502", 0.015),
    ("503", 0.015),
    ("drop", 0.02),
    ("429", 0.02),
    ("html", 0.008),
    ("truncate", 0.008),
)

#: Optional fields that may come back null (paths inside an item).
NULLABLE_PATHS: tuple[tuple[str, ...], ...] = (
    ("purchase", "tracking", "source_sck"),
    ("purchase", "tracking", "external_code"),
    ("purchase", "offer", "payment_mode"),
    ("purchase", "payment", "method"),
    ("buyer", "name"),
    ("subscriber", "name"),
    ("plan", "name"),
    ("product", "name"),
    ("trial_info", "trial_period"),
)

HTML_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body>"
    b"<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>"
    b"</body></html>"
)


@dataclass(frozen=True)
class Decision:
    """What happens to one request."""

    failure: str | None  # None, or a kind from FLAKY_FAILURES
    delay_ms: int
    mutate_seed: int | None  # seed for item mutations (extra fields, nulls), None = none


NO_FAULT = Decision(None, 0, None)


def _url_hash(url: str) -> int:
    return int.from_bytes(hashlib.blake2b(url.encode(), digest_size=8).digest(), "big")


class Faults:
    """Decides each request's fate under a profile."""

    def __init__(self, profile: str, seed: int) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown fault profile {profile!r}; choose from {PROFILES}")
        self.profile = profile
        self.seed = seed
        self.lock = threading.Lock()
        # url -> (attempts so far, consecutive failures at the end)
        self.history: dict[str, tuple[int, int]] = {}

    def decide(self, url: str) -> Decision:
        """The fate of the next attempt of ``url`` (advances that URL's attempt counter)."""
        if self.profile == "none":
            return NO_FAULT
        uh = _url_hash(url)
        with self.lock:
            attempt, streak = self.history.get(url, (0, 0))
            h = mix(self.seed, uh, attempt)
            failure = None
            if streak < 2:
                x = (h % 1_000_000) / 1_000_000
                acc = 0.0
                for kind, p in FLAKY_FAILURES:
                    acc += p
                    if x < acc:
                        failure = kind
                        break
            self.history[url] = (attempt + 1, streak + 1 if failure else 0)
        h2 = mix(h, 1)
        delay = h2 % 15  # jitter on every request
        if h2 % 100 < 2:
            delay += 100 + (h2 >> 8) % 150  # the occasional slow response
        return Decision(failure, delay, mix(h, 2))

    @staticmethod
    def mutate(body: Any, seed: int) -> Any:
        """Add unknown fields and null some optional fields in the items (copy on write)."""
        items = body.get("items") if isinstance(body, dict) else body
        if not isinstance(items, list):
            return body
        out = []
        for k, original in enumerate(items):
            h = mix(seed, k)
            if not isinstance(original, dict) or h % 4:
                out.append(original)
                continue
            item = dict(original)
            item["emulator_unknown_field"] = {"added_in": "a future API version"}
            if isinstance(item.get("purchase"), dict):
                item["purchase"] = {**item["purchase"], "is_funnel": False}
            path = NULLABLE_PATHS[(h >> 8) % len(NULLABLE_PATHS)]
            out.append(_null_path(item, path))
        if isinstance(body, dict):
            return {**body, "items": out}
        return out


def _null_path(obj: dict, path: tuple[str, ...]) -> dict:
    """A copy of ``obj`` with ``path`` set to None when the path exists."""
    head = path[0]
    if head not in obj:
        return obj
    new = dict(obj)
    if len(path) == 1:
        new[head] = None
    elif isinstance(obj[head], dict):
        new[head] = _null_path(obj[head], path[1:])
    return new
