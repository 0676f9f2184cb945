"""The next stream's read starts during the last windows of the one before it.

Each window's pages come one after another, so a stream's last windows are fetched on
fewer and fewer workers; the next stream's read of the account starts once the current one
has planned its last window (`TapHotmart.read_ahead`). What the tap emits must not change:
the same records in the same order, the same state messages as a run without it.
"""

from __future__ import annotations

import pytest

from hotmart_emulator import EmulatorServer
from tap_hotmart.tap import TapHotmart
from tests.tap.test_accounts_at_once import _sync_in_process
from tests.tap.test_learned_rate_limit import Timeline
from tests.tap.test_sync import tap_config

HISTORY = "GET /payments/api/v1/sales/history"
#: The stream after `sales` that reads ahead (`refunds` replays what `sales` read).
SUBSCRIPTIONS = "GET /payments/api/v1/subscriptions"


def test_the_next_streams_read_overlaps_the_last_windows_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with EmulatorServer(seed=24, accounts=2, sales=3000, latency_ms=20, rate_limit=100_000) as emu:
        # Small pages and windows: each window is several pages, read one after another.
        config = tap_config(
            emu, requests_per_minute=100_000, page_size=20, window_days=30, max_window_days=30
        )
        with monkeypatch.context() as one_stream_at_a_time:
            one_stream_at_a_time.setattr(TapHotmart, "read_ahead", lambda *_: None)
            reference = _sync_in_process(config, monkeypatch)
        timeline = Timeline(emu)
        read_ahead = _sync_in_process(config, monkeypatch)

    assert read_ahead[0] == reference[0]  # the same records, in the same order
    assert read_ahead[1] == reference[1]  # the same state messages
    # The first account's `sales` windows are emitted as they arrive, so its subscriptions'
    # read starts while its last windows are fetched. (The second account's were read
    # ahead, while the first was emitted: they are all in by the time it is emitted and
    # its next read starts then, still a stream earlier than without reading ahead.)
    history = [at for at, a, request, _ in timeline.entries if a == "acct-1" and request == HISTORY]
    subscriptions = [
        at for at, a, request, _ in timeline.entries if a == "acct-1" and request == SUBSCRIPTIONS
    ]
    assert history and subscriptions
    assert min(subscriptions) < max(history), (min(subscriptions), max(history))
