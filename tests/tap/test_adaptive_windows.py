"""Windows sized from the data: fewer requests, the same records, timeouts read in halves."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from hotmart_emulator import EmulatorServer
from tap_hotmart import history_start
from tests.support.singer import run_tap
from tests.tap.test_sync import tap_config

SALES_HISTORY = "GET /payments/api/v1/sales/history"
SALES_USERS = "GET /payments/api/v1/sales/users"
SUBSCRIPTIONS = "GET /payments/api/v1/subscriptions"
# These tests count requests, not wait for the budget.
UNLIMITED = {"rate_limit": 100_000}


def _windows(stderr: str, stream: str) -> list[str]:
    """The window labels a run logged as done, in order."""
    prefix = f"{stream} [acct-1] window "
    return [
        line.split(prefix, 1)[1].split()[1]
        for line in stderr.splitlines()
        if prefix in line and " done: " in line
    ]


def _truth(emu: EmulatorServer) -> set[str]:
    return {item["purchase"]["transaction"] for item in emu.ground_truth("acct-1", "sales")}


def test_empty_years_cost_a_few_requests_and_lose_nothing(tmp_path: Path) -> None:
    # The account's first sale is ~400 days old; the default start is 2011.
    with EmulatorServer(seed=8, accounts=1, sales=2000, history_days=400, **UNLIMITED) as emu:
        config = tap_config(emu, requests_per_minute=100_000, start_date="2011-01-01")
        full = run_tap(tmp_path, config, log_level="DEBUG")
        assert full.returncode == 0, full.stderr[-3000:]
        assert {r["transaction"] for r in full.records["sales"]} == _truth(emu)
        assert len(full.records["subscriptions"]) == len(
            emu.ground_truth("acct-1", "subscriptions")
        )
        full_calls = emu.stats()["requests"]

        emu.advance(days=1)
        emu.reset_stats()
        config = tap_config(emu, requests_per_minute=100_000, start_date="2011-01-01")
        incremental = run_tap(
            tmp_path, config, state=full.state, name="incremental", log_level="DEBUG"
        )
        assert incremental.returncode == 0, incremental.stderr[-3000:]
        incremental_calls = emu.stats()["requests"]

    # `sales` reads ~16 years from 2011 (190 windows of 30 days), widening to 90 days over
    # the empty years; the first 4 windows are 30 days, sized before any density is known.
    # ... plus the 18 requests of the check of a repeated transaction_status (status_filter).
    assert full_calls[SALES_HISTORY] < 80 + 18, full_calls
    assert _windows(full.stderr, "sales")[:5] == [
        "2011-01-01..2011-01-30",
        "2011-01-31..2011-03-01",
        "2011-03-02..2011-03-31",
        "2011-04-01..2011-04-30",
        "2011-05-01..2011-07-29",  # sized from the first (empty) window: the widest
    ]
    # It remembers where the history starts; the streams after it skip the empty years.
    (partition,) = full.state["bookmarks"]["sales"]["partitions"]
    first_window = datetime.fromisoformat(partition["first_sale_window"]["start"])
    first_sale = min(datetime.fromisoformat(r["order_date"]) for r in full.records["sales"])
    assert timedelta(0) <= first_sale - first_window <= timedelta(days=90)
    assert full_calls[SALES_USERS] < 20, full_calls
    assert _windows(full.stderr, "sale_participants")[0].startswith(
        f"{first_window - history_start.MARGIN:%Y-%m-%d}.."
    )
    # Later runs: the refund sweep, `refunds` and `subscriptions` re-read the history
    # since the mark, not since 2011.
    assert "sweeping 2011" not in incremental.stderr
    assert incremental_calls[SALES_HISTORY] < 25, incremental_calls
    assert incremental_calls[SUBSCRIPTIONS] < 12, incremental_calls


def test_window_cut_is_deterministic(tmp_path: Path) -> None:
    with EmulatorServer(seed=9, accounts=1, sales=3000, latency_ms=3, **UNLIMITED) as emu:
        config = tap_config(emu, requests_per_minute=100_000, page_size=50)
        first = run_tap(tmp_path, config, name="first", log_level="DEBUG")
        second = run_tap(tmp_path, config, name="second", log_level="DEBUG")
    assert first.returncode == 0 and second.returncode == 0, first.stderr[-3000:]
    # Different thread timings, the same windows, records and states.
    assert _windows(first.stderr, "sales") == _windows(second.stderr, "sales")
    assert len(set(_windows(first.stderr, "sales"))) > 10
    assert first.keys("sales", ("transaction",)) == second.keys("sales", ("transaction",))
    assert first.state == second.state


def test_a_timed_out_window_is_read_in_halves_and_narrows_the_rest(tmp_path: Path) -> None:
    with EmulatorServer(seed=10, accounts=1, sales=4000, max_query_rows=400, **UNLIMITED) as emu:
        config = tap_config(emu, requests_per_minute=100_000, window_days=90, max_window_days=90)
        run = run_tap(tmp_path, config, log_level="DEBUG")
        assert run.returncode == 0, run.stderr[-3000:]
        assert {r["transaction"] for r in run.records["sales"]} == _truth(emu)
        assert len(run.records["sales"]) == len(_truth(emu)), "a record was read twice"
        calls = emu.stats()["responses"]
    assert "reading it in two halves" in run.stderr
    assert calls.get("502", 0) > 0
    # Later windows are planned no wider than what worked, so the timeouts stop early
    # instead of costing three failed requests per window.
    assert calls["502"] < 3 * 4 * 6, calls
    state = run.state["bookmarks"]["sales"]["partitions"][0]
    assert state["replication_key_value"] == config["end_date"]
