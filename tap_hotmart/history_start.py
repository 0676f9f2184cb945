"""Where an account's history really starts, so that empty years are not read every run.

`start_date` defaults to 2011-01-01, and a producer's first sale is usually years later.
Streams that re-read the whole history on every run (the refund sweep of `sales`,
`refunds`, `subscriptions`) would otherwise spend a request per empty window on each run.
The `sales` stream reads every status from `start_date` on its first run, so the first
window in which it found a sale is where the history starts: no sale, refund,
subscription charge or subscription can be older than that, give or take a trial period
(the margin). The mark lives in the account's `sales` partition state (`account_state`),
next to its bookmark, and names the `start_date` it was searched from, so moving
`start_date` earlier (a backfill) ignores it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from tap_hotmart.account_state import account_partitions
from tap_hotmart.windows import parse_iso

MARK_KEY = "first_sale_window"
# A subscription can start (and a trial run) before its first paid charge.
MARGIN = timedelta(days=365)


def mark(partition_state: dict[str, Any], window_start: datetime, searched_from: datetime) -> None:
    """Remember that no sale exists before the window starting at `window_start`."""
    partition_state[MARK_KEY] = {
        "start": window_start.isoformat(),
        "searched_from": searched_from.isoformat(),
    }


def is_marked(partition_state: Mapping[str, Any]) -> bool:
    return isinstance(partition_state.get(MARK_KEY), dict)


def history_start(
    tap_state: Mapping[str, Any], context: Mapping[str, Any], start_date: datetime
) -> datetime:
    """The earliest date worth reading for this account: `start_date`, or later if known."""
    partition = account_partitions(tap_state).get(context["account_id"])
    if partition is None or not is_marked(partition):
        return start_date
    found = partition[MARK_KEY]
    try:
        searched_from = parse_iso(found["searched_from"])
        first_window = parse_iso(found["start"])
    except (KeyError, TypeError, ValueError):
        return start_date  # a state edited by hand: fall back to the whole history
    if searched_from <= start_date:
        return max(start_date, first_window - MARGIN)
    return start_date
