"""How wide a date range each endpoint accepts, learned per account and kept in the state.

Hotmart refuses too wide date ranges with a 400 (a public probe of `sales/history`,
July 2026: 12 months accepted, 2 years refused; the limit is not documented), so a window
it refuses is read in halves, and the widest range an endpoint accepted and the narrowest
it refused are remembered in the account's `sales` partition (`account_state`, key
`range_limits`, by endpoint path, in whole days). Later runs never plan a refused width
again: once a width was refused, windows stop at the widest accepted one; until then the
sparse re-reads may try twice the widest accepted width (`ceiling`).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Mapping
from typing import Any

from tap_hotmart.account_state import account_partitions

STATE_KEY = "range_limits"
ACCEPTED = "accepted_days"
REFUSED = "refused_days"

# Hotmart's body for this 400 was never recorded: a description that speaks of the date
# range (or period, interval) and of its being too wide (long, large, over a maximum).
_RANGE_WORDS = re.compile(r"\b(range|period|interval|intervalo|per[ií]odo|days|dias)\b")
_TOO_WIDE_WORDS = re.compile(
    r"\b(too (wide|long|large|big)|exceed\w*|excede\w*|maxim\w*|m[aá]xim\w*|greater|"
    r"larger|longer|maior|more than|mais de|limit\w*)\b"
)


def says_range_too_wide(description: str) -> bool:
    """Whether a 400's `error_description` says the request's date range is too wide."""
    text = description.lower()
    return bool(_RANGE_WORDS.search(text) and _TOO_WIDE_WORDS.search(text))


class RangeLimits:
    """One account's known range limits, by endpoint path (whole days).

    Its account's read learns them in its own thread while the emitting thread saves them
    in the state (`account_reads`): a lock keeps the two apart.
    """

    def __init__(self, stored: Mapping[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._limits: dict[str, dict[str, int]] = {}
        for endpoint, limit in (stored or {}).items():
            if not isinstance(limit, Mapping):
                continue  # a state edited by hand
            kept = {
                key: int(value)
                for key, value in limit.items()
                if key in (ACCEPTED, REFUSED) and isinstance(value, (int, float)) and value >= 1
            }
            if kept:
                self._limits[str(endpoint)] = kept

    @classmethod
    def from_state(cls, tap_state: Mapping[str, Any], account_id: str) -> RangeLimits:
        partition = account_partitions(tap_state).get(account_id) or {}
        stored = partition.get(STATE_KEY)
        return cls(stored if isinstance(stored, Mapping) else None)

    def accepted(self, endpoint: str, days: float) -> None:
        """Hotmart answered a range of `days` days (a page of it came back)."""
        width = math.floor(days)
        with self._lock:
            limit = self._limits.setdefault(endpoint, {})
            if width >= 1 and width > limit.get(ACCEPTED, 0):
                limit[ACCEPTED] = width

    def refused(self, endpoint: str, days: float) -> None:
        """Hotmart refused a range of `days` days as too wide."""
        width = max(1, math.ceil(days))
        with self._lock:
            limit = self._limits.setdefault(endpoint, {})
            if width < limit.get(REFUSED, math.inf):
                limit[REFUSED] = width

    def is_refused(self, endpoint: str) -> bool:
        return REFUSED in self._limits.get(endpoint, {})

    def ceiling(self, endpoint: str, *, probe_from: float | None = None) -> float:
        """The widest window worth planning for `endpoint`, in days (inf: no limit known).

        Once a width was refused: the widest accepted one (below the refused one), else
        half the refused one. Before that, with `probe_from`, twice the widest width
        accepted (at least `probe_from`): a sparse read can widen while Hotmart accepts.
        """
        with self._lock:
            limit = dict(self._limits.get(endpoint, {}))
        refused = limit.get(REFUSED)
        accepted = limit.get(ACCEPTED, 0)
        if refused is not None:
            if 0 < accepted < refused:
                return float(accepted)
            return max(1.0, float(refused // 2))
        if probe_from is None:
            return math.inf
        return 2.0 * max(float(accepted), probe_from)

    def to_state(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {endpoint: dict(limit) for endpoint, limit in sorted(self._limits.items())}
