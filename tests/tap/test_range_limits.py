"""Windows that learn how wide a date range Hotmart accepts, and remember it.

A public probe saw `sales/history` accept a 12-month range and answer 400 to a 2-year one
(hotmart-api-facts.md §6 item 7, M); the emulator refuses ranges over 366 days by default.
The sparse whole-history re-reads (`refunds`, the refund sweep of `sales`, `subscriptions`)
start a year wide and widen while Hotmart accepts; a refused window is read in halves,
and the widest accepted and narrowest refused widths stay in the account's state.
"""

from __future__ import annotations

import copy
from pathlib import Path

from hotmart_emulator import EmulatorServer
from tap_hotmart.range_limits import RangeLimits, says_range_too_wide
from tests.support.singer import TapRun, run_tap
from tests.tap.test_sync import REFUND_STATUSES, tap_config

SALES_PATH = "/payments/api/v1/sales/history"
SUBS_PATH = "/payments/api/v1/subscriptions"
SALES_HISTORY = f"GET {SALES_PATH}"
SUBSCRIPTIONS = f"GET {SUBS_PATH}"
FAST = {"requests_per_minute": 100_000}


def _limits(run: TapRun) -> dict:
    (partition,) = run.state["bookmarks"]["sales"]["partitions"]
    return partition["range_limits"]


def _with_limits(state: dict, limits: dict) -> dict:
    state = copy.deepcopy(state)
    (partition,) = state["bookmarks"]["sales"]["partitions"]
    partition["range_limits"] = limits
    return state


def test_a_long_history_is_read_whole_and_the_refused_width_is_never_planned_again(
    tmp_path: Path,
) -> None:
    # About 7 years of history, and the emulator's default limit (366 days). The full sync
    # reads sales/history in dense windows (`refunds` replays what `sales` read); the
    # first sparse read of it is the next run's refund sweep, which meets the limit.
    with EmulatorServer(
        seed=12, accounts=1, sales=3000, history_days=2500, rate_limit=100_000
    ) as emu:
        full = run_tap(tmp_path, tap_config(emu, **FAST), name="full")
        assert full.returncode == 0, full.stderr[-3000:]
        full_truth = emu.ground_truth("acct-1", "sales")

        emu.advance(days=1)
        emu.reset_stats()
        again = run_tap(tmp_path, tap_config(emu, **FAST), state=full.state, name="again")
        assert again.returncode == 0, again.stderr[-3000:]
        again_answers = emu.stats()["responses"]
        truth = emu.ground_truth("acct-1", "sales")

        emu.reset_stats()
        third = run_tap(tmp_path, tap_config(emu, **FAST), state=again.state, name="third")
        assert third.returncode == 0, third.stderr[-3000:]
        learned = emu.stats()
        # The same run, from the same state, as if only 90-day windows were accepted.
        emu.reset_stats()
        ninety = {"accepted_days": 90, "refused_days": 91}
        state_90 = _with_limits(again.state, {SALES_PATH: ninety, SUBS_PATH: ninety})
        narrow = run_tap(tmp_path, tap_config(emu, **FAST), state=state_90, name="narrow")
        assert narrow.returncode == 0, narrow.stderr[-3000:]
        windows_90 = emu.stats()

    # Every sale, every refund, no fatal error: the refused windows were read in halves.
    assert {r["transaction"] for r in full.records["sales"]} == {
        i["purchase"]["transaction"] for i in full_truth
    }
    refunded_now = {
        i["purchase"]["transaction"] for i in truth if i["purchase"]["status"] in REFUND_STATUSES
    }
    assert {r["transaction"] for r in again.records["refunds"]} == refunded_now
    assert again_answers.get("400", 0) > 0, again_answers
    assert "as too wide a date range" in again.stderr
    assert "reading it in two halves, and no window that wide again" in again.stderr
    # The state remembers what sales/history accepted and refused.
    assert _limits(again)[SALES_PATH] == {"accepted_days": 360, "refused_days": 720}
    assert "refused_days" not in _limits(again)[SUBS_PATH]  # subscriptions: no limit met
    assert _limits(again)[SUBS_PATH]["accepted_days"] >= 360
    # The next run starts from it: not one 400.
    assert learned["responses"].get("400", 0) == 0, learned["responses"]
    assert "too wide" not in third.stderr
    assert _limits(third)[SALES_PATH] == {"accepted_days": 360, "refused_days": 720}
    # The whole-history re-reads cost fewer calls than in 90-day windows.
    calls, calls_90 = learned["requests"], windows_90["requests"]
    print(f"\nincremental run, learned widths: {calls}\nthe same run in 90-day windows: {calls_90}")
    assert calls[SALES_HISTORY] < calls_90[SALES_HISTORY], (calls, calls_90)
    assert calls[SUBSCRIPTIONS] < calls_90[SUBSCRIPTIONS], (calls, calls_90)
    assert narrow.keys("refunds", ("transaction", "status")) == third.keys(
        "refunds", ("transaction", "status")
    )


def test_a_narrower_limit_is_learned_from_the_first_sparse_windows(tmp_path: Path) -> None:
    """Hotmart's real limit is unknown: one under a year halves the first sweep windows."""
    with EmulatorServer(
        seed=13, accounts=1, sales=1500, max_range_days=200, rate_limit=100_000
    ) as emu:
        full = run_tap(tmp_path, tap_config(emu, **FAST), name="full")
        assert full.returncode == 0, full.stderr[-3000:]
        emu.reset_stats()
        again = run_tap(tmp_path, tap_config(emu, **FAST), state=full.state, name="again")
        assert again.returncode == 0, again.stderr[-3000:]
        assert emu.stats()["responses"].get("400", 0) > 0
        truth = emu.ground_truth("acct-1", "sales")
        emu.reset_stats()
        third = run_tap(tmp_path, tap_config(emu, **FAST), state=again.state, name="third")
        assert third.returncode == 0, third.stderr[-3000:]
        assert emu.stats()["responses"].get("400", 0) == 0
    limit = _limits(again)[SALES_PATH]
    assert limit["accepted_days"] <= 200 < limit["refused_days"], limit
    refunded = {
        i["purchase"]["transaction"] for i in truth if i["purchase"]["status"] in REFUND_STATUSES
    }
    assert {r["transaction"] for r in again.records["refunds"]} == refunded
    assert {r["transaction"] for r in third.records["refunds"]} == refunded


def test_what_counts_as_a_too_wide_range() -> None:
    assert says_range_too_wide(
        "The date range is too wide: the period between start_date and end_date cannot "
        "exceed 366 days."
    )
    assert says_range_too_wide("O intervalo de datas excede o máximo permitido")
    assert says_range_too_wide("Date range exceeds the maximum of 1 year")
    assert not says_range_too_wide("Invalid value 'FOO' for parameter transaction_status")
    assert not says_range_too_wide("start_date must be an integer")
    assert not says_range_too_wide("")


def test_the_ceiling_of_a_learned_limit() -> None:
    limits = RangeLimits({"/a": {"accepted_days": 360, "refused_days": 720}, "/b": "junk"})
    assert limits.ceiling("/a") == limits.ceiling("/a", probe_from=360) == 360
    assert limits.ceiling("/b") == float("inf")
    assert limits.ceiling("/b", probe_from=360) == 720  # nothing known: try twice as wide
    limits.accepted("/b", 720.5)
    assert limits.ceiling("/b", probe_from=360) == 1440
    limits.refused("/b", 1440)
    assert limits.ceiling("/b") == 720
    limits.refused("/c", 30)  # refused before anything was accepted: half of it
    assert limits.ceiling("/c") == 15
    assert limits.to_state()["/b"] == {"accepted_days": 720, "refused_days": 1440}
