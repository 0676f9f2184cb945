"""Progress lines for long syncs: where a stream is, how many records, and an ETA.

A first import can take hours on a large account (Hotmart allows 500 requests a minute);
a user watching the log must see that it moves and when it will end.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta


class WindowProgress:
    """Counts records per window of one stream partition and logs at INFO."""

    def __init__(self, logger: logging.Logger, stream: str, account_id: str, windows: int) -> None:
        self._logger = logger
        self._prefix = f"{stream} [{account_id}]"
        self._windows = windows
        self._done = 0
        self._records = 0
        self._started = time.monotonic()

    def page(self, label: str, records_so_far: int, total_results: int | None) -> None:
        """Log inside a long window (called every few pages)."""
        total = "?" if total_results is None else f"{total_results:,}"
        self._logger.info(
            "%s window %s: %s of %s records so far",
            self._prefix,
            label,
            f"{records_so_far:,}",
            total,
        )

    def window_done(self, label: str, records: int) -> None:
        """Log one finished window with the stream's totals and an ETA."""
        self._done += 1
        self._records += records
        elapsed = time.monotonic() - self._started
        remaining = self._windows - self._done
        eta = timedelta(seconds=round(elapsed / self._done * remaining)) if self._done else "?"
        self._logger.info(
            "%s window %d/%d %s done: %s records; %s records so far; ETA %s",
            self._prefix,
            self._done,
            self._windows,
            label,
            f"{records:,}",
            f"{self._records:,}",
            eta,
        )
