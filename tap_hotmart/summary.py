"""The short block a run ends with: records per stream and account, API calls, time taken.

Someone who runs the tap on a schedule wants to see, without reading every progress line,
what a run brought and what it cost against Hotmart's 500 requests a minute. An
incremental run also says what share of a full sync it cost, the figure that tells whether
the lookback and the refund sweep are worth their price; for that, the last run that
started without a bookmark for an account keeps its API calls in the account's state
(`account_state`, key `full_sync_api_calls`), and later runs compare with it.

Records are counted by the SDK's own record counter (`Stream.get_record_counter`), so the
summary counts exactly the records the SDK emitted. API calls are every request sent
within the account's budget (token requests and retries included), as Hotmart counts them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from singer_sdk import metrics
from singer_sdk.helpers.types import Context

from tap_hotmart.account_state import account_partitions

FULL_SYNC_CALLS_KEY = "full_sync_api_calls"


class RecordCounter(metrics.Counter):
    """The SDK's record counter, also tallying each record under (account, stream)."""

    def __init__(
        self,
        stream: str,
        tally: Counter[tuple[str, str]],
        *,
        endpoint: str | None,
        log_interval: float,
    ) -> None:
        tags: dict[str, Any] = {metrics.Tag.STREAM: stream}
        if endpoint:
            tags[metrics.Tag.ENDPOINT] = endpoint
        super().__init__(metrics.Metric.RECORD_COUNT, tags, log_interval=log_interval)
        self._stream = stream
        self._tally = tally
        self._key = ("", stream)

    def with_context(self, value: Context | None) -> None:
        super().with_context(value)
        self._key = (str((value or {}).get("account_id", "")), self._stream)
        self._tally[self._key] += 0  # a stream that emits nothing is listed with 0

    def increment(self, value: int = 1) -> None:
        super().increment(value)
        self._tally[self._key] += value


class RunSummary:
    """What this run emitted and, from the state it started with, what a full sync costs."""

    def __init__(self, tap_state: Mapping[str, Any]) -> None:
        """Read the starting state now, before any stream moves a bookmark."""
        self._started = time.monotonic()
        self._records: Counter[tuple[str, str]] = Counter()
        self._bookmarked: set[str] = set()
        self._full_sync_calls: dict[str, int] = {}
        for account_id, partition in account_partitions(tap_state).items():
            if partition.get("replication_key_value"):
                self._bookmarked.add(account_id)
            calls = partition.get(FULL_SYNC_CALLS_KEY)
            if isinstance(calls, int) and calls > 0:
                self._full_sync_calls[account_id] = calls

    def record_counter(
        self, stream: str, *, endpoint: str | None, log_interval: float
    ) -> RecordCounter:
        """A record counter for one stream's sync (see `Stream.get_record_counter`)."""
        return RecordCounter(stream, self._records, endpoint=endpoint, log_interval=log_interval)

    def is_full_sync(self, account_id: str) -> bool:
        """Whether the account started this run without a bookmark (a full sync)."""
        return account_id not in self._bookmarked

    def lines(self, api_calls: Mapping[str, int], full_syncs: set[str]) -> list[str]:
        """The summary block: a total line, then records and API calls per account.

        `api_calls` maps each account to the requests it sent; `full_syncs` are the
        accounts whose calls are this run's full-sync figure.
        """
        elapsed = timedelta(seconds=round(time.monotonic() - self._started))
        total_records = sum(self._records.values())
        lines = [
            f"Run summary: {total_records:,} records, {sum(api_calls.values()):,} API calls, "
            f"{elapsed} elapsed"
        ]
        for account_id, calls in api_calls.items():
            streams = [(s, n) for (a, s), n in self._records.items() if a == account_id]
            counts = ", ".join(f"{stream} {n:,}" for stream, n in streams)
            records = sum(n for _, n in streams)
            lines.append(f"  {account_id}: {records:,} records ({counts or 'no stream'})")
            lines.append(f"  {account_id}: {self._calls_line(account_id, calls, full_syncs)}")
        return lines

    def _calls_line(self, account_id: str, calls: int, full_syncs: set[str]) -> str:
        if account_id in full_syncs:
            return f"API calls: {calls:,} (a full sync; later runs are compared with it)"
        full = self._full_sync_calls.get(account_id)
        if full is None:
            return f"API calls: {calls:,}"
        share = round(100 * calls / full)
        return f"API calls: {calls:,} (full sync of this account: {full:,}, so {share}%)"
