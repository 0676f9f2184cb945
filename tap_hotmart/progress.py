"""Progress lines for long syncs: where a stream is, how many records, and an ETA.

A first import can take hours on a large account (Hotmart allows 500 requests a minute);
a user watching the log must see that it moves and when it will end. One line per window
made a small demo print 300 of them, so a partition's lines come at most every
``INTERVAL_SECONDS`` at INFO (its first and last window always); the others go to DEBUG.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tap_hotmart.windows import Window, WindowPlanner

#: Seconds between two INFO progress lines of one stream and account.
INTERVAL_SECONDS = 10.0


class WindowProgress:
    """Counts records per window of one stream partition and logs at INFO.

    Windows are sized as the sync goes, so progress is the share of the date span
    covered; the ETA assumes the rest of the span is as dense as the last window (or as
    the average so far, if denser), because sales usually grow over time and the early,
    sparse years alone would make it far too low.
    """

    def __init__(
        self, logger: logging.Logger, stream: str, account_id: str, planner: WindowPlanner
    ) -> None:
        self._logger = logger
        self._prefix = f"{stream} [{account_id}]"
        self._planner = planner
        self._done = 0
        self._records = 0
        self._started = time.monotonic()
        self._last_info: float | None = None

    def _level(self, *, last: bool = False) -> int:
        """INFO for the first line, the last window and a line every INTERVAL_SECONDS."""
        now = time.monotonic()
        if last or self._last_info is None or now - self._last_info >= INTERVAL_SECONDS:
            self._last_info = now
            return logging.INFO
        return logging.DEBUG

    def page(self, label: str, records_so_far: int, total_results: int | None) -> None:
        """Log inside a long window (called every few pages)."""
        total = "?" if total_results is None else f"{total_results:,}"
        self._logger.log(
            self._level(),
            "%s window %s: %s of %s records so far",
            self._prefix,
            label,
            f"{records_so_far:,}",
            total,
        )

    def window_done(self, window: Window, records: int) -> None:
        """Log one finished window with the stream's totals, the share done and an ETA."""
        self._done += 1
        self._records += records
        self._logger.log(
            self._level(last=window.end >= self._planner.end),
            "%s window %d %s done: %s records; %s records so far; %.0f%% of %s..%s; ETA %s",
            self._prefix,
            self._done,
            window.label(),
            f"{records:,}",
            f"{self._records:,}",
            100 * self._planner.covered(window.end),
            f"{self._planner.start:%Y-%m-%d}",
            f"{self._planner.end:%Y-%m-%d}",
            self._eta(window, records),
        )

    def _eta(self, window: Window, records: int) -> timedelta | str:
        elapsed = time.monotonic() - self._started
        remaining_span = self._planner.end - window.end
        if remaining_span <= timedelta(0):
            return timedelta(0)
        if not self._records:
            return "?"
        days = timedelta(days=1)
        last_density = records / ((window.end - window.start) / days)
        average_density = self._records / ((window.end - self._planner.start) / days)
        remaining_records = max(last_density, average_density) * (remaining_span / days)
        return timedelta(seconds=round(elapsed / self._records * remaining_records))
