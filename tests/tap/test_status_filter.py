"""The tap checks that Hotmart honours a repeated `transaction_status` instead of assuming it.

That it does rests on one source (hotmart-api-facts.md §2.6, M). Against an emulator that
honours only the first value (`status_filter="first"`) the tap finds out, warns once, keeps
the verdict in the account's state, reads one status at a time, and still gets every sale in
every status; a later run trusts the verdict without probing. Against the default emulator
the check costs exactly its 18 requests per account.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hotmart_emulator import EmulatorServer
from tap_hotmart.ratelimit import RateLimiter
from tap_hotmart.status_filter import (
    RECHECK_AFTER,
    STATE_KEY,
    StatusChecks,
    Verdict,
    _measure,
    one_status_at_a_time,
)
from tap_hotmart.streams.statuses import TRANSACTION_STATUSES
from tap_hotmart.windows import Window
from tests.support.singer import TapRun, run_tap
from tests.tap.test_sync import REFUND_STATUSES, tap_config

SALES_HISTORY = "GET /payments/api/v1/sales/history"
#: One request with every status, then one per status.
PROBE_CALLS = 1 + len(TRANSACTION_STATUSES)
FAST = {"requests_per_minute": 100_000}
WARNING = "Hotmart does not honour a status filter of several values"
#: The per-sale detail streams, read in the same windows and statuses as `sales`.
DETAIL_STREAMS = ("sale_participants", "sale_commissions", "sale_price_details")


def _verdicts(run: TapRun) -> dict[str, dict]:
    partitions = run.state["bookmarks"]["sales"]["partitions"]
    return {p["context"]["account_id"]: p[STATE_KEY] for p in partitions}


def _calls(emu: EmulatorServer) -> dict[str, int]:
    return emu.stats()["requests"]


def _without_verdicts(state: dict) -> dict:
    state = copy.deepcopy(state)
    for partition in state["bookmarks"]["sales"]["partitions"]:
        del partition[STATE_KEY]
    return state


def _truth(emu: EmulatorServer, account: str) -> dict[str, list[dict]]:
    """The emulator's ground truth now, of the streams read by `sales/*`."""
    return {stream: emu.ground_truth(account, stream) for stream in ("sales", *DETAIL_STREAMS)}


def _statuses(truth: dict[str, list[dict]]) -> dict[str, str]:
    return {i["purchase"]["transaction"]: i["purchase"]["status"] for i in truth["sales"]}


def _assert_complete(run: TapRun, truth: dict[str, list[dict]]) -> None:
    """Every sale in its current status, every refund, every detail row: the ground truth."""
    statuses = _statuses(truth)
    assert {r["transaction"]: r["status"] for r in run.records["sales"]} == statuses
    assert len(set(statuses.values()) - {"APPROVED"}) >= 7, "the data must have many statuses"
    refunds = {r["transaction"] for r in run.records["refunds"]}
    assert refunds == {t for t, status in statuses.items() if status in REFUND_STATUSES}
    for stream in DETAIL_STREAMS:
        emitted = {r["transaction"] for r in run.records[stream]}
        assert emitted == {i["transaction"] for i in truth[stream]}, stream


@pytest.fixture(scope="module")
def first_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """An emulator that honours the first status only; a full run, then two incremental ones
    from its state: with its verdict, and without it."""
    tmp_path = tmp_path_factory.mktemp("status-filter-first")
    with EmulatorServer(
        seed=31, sales=500, history_days=365, rate_limit=100_000, status_filter="first"
    ) as emu:
        config = tap_config(emu, **FAST)
        full = run_tap(tmp_path, config, name="full")
        assert full.returncode == 0, full.stderr[-3000:]
        full_truth = _truth(emu, "acct-1")
        emu.advance(days=3)
        emu.reset_stats()
        again = run_tap(tmp_path, tap_config(emu, **FAST), state=full.state, name="again")
        assert again.returncode == 0, again.stderr[-3000:]
        again_calls = _calls(emu)
        again_truth = _truth(emu, "acct-1")
        emu.reset_stats()
        state = _without_verdicts(full.state)
        probed = run_tap(tmp_path, tap_config(emu, **FAST), state=state, name="probed")
        assert probed.returncode == 0, probed.stderr[-3000:]
        yield {
            "full": full,
            "full_end": datetime.fromisoformat(config["end_date"]),
            "full_truth": full_truth,
            "again_truth": again_truth,
            "again": again,
            "again_calls": again_calls,
            "probed": probed,
            "probed_calls": _calls(emu),
        }


def test_the_tap_finds_out_and_warns_once(first_only: dict[str, Any]) -> None:
    full: TapRun = first_only["full"]
    (line,) = [line for line in full.stderr.splitlines() if WARNING in line]
    assert "WARNING" in line
    assert "[acct-1]" in line
    assert "reading this account one status at a time" in line
    verdict = _verdicts(full)["acct-1"]
    assert verdict["honoured"] is False
    assert 0 < verdict["one_request"] < verdict["by_status"]
    # On the tap's clock, the sync end, so that a run's state depends on its settings and data.
    assert datetime.fromisoformat(verdict["checked_at"]) == first_only["full_end"]
    assert "transaction_status" not in full.stderr  # no query string, no parameter name


def test_a_full_run_still_gets_every_sale_in_every_status(first_only: dict[str, Any]) -> None:
    _assert_complete(first_only["full"], first_only["full_truth"])


def test_a_later_run_trusts_the_verdict_without_probing(first_only: dict[str, Any]) -> None:
    again: TapRun = first_only["again"]
    assert WARNING not in again.stderr
    assert "reading one status at a time: Hotmart did not honour" in again.stderr
    assert _verdicts(again) == _verdicts(first_only["full"])
    # The same run without the verdict in its state probes again: exactly the probe's calls.
    probed: TapRun = first_only["probed"]
    assert probed.stderr.count(WARNING) == 1
    again_calls, probed_calls = first_only["again_calls"], first_only["probed_calls"]
    assert probed_calls[SALES_HISTORY] - again_calls[SALES_HISTORY] == PROBE_CALLS
    assert {k: v for k, v in probed_calls.items() if k != SALES_HISTORY} == {
        k: v for k, v in again_calls.items() if k != SALES_HISTORY
    }
    # Read one status at a time, the incremental run brought the latest status of every sale.
    latest = {r["transaction"]: r["status"] for r in first_only["full"].records["sales"]}
    latest.update({r["transaction"]: r["status"] for r in again.records["sales"]})
    assert latest == _statuses(first_only["again_truth"])


def test_where_repeated_values_are_honoured_the_check_costs_its_requests_only(
    tmp_path: Path,
) -> None:
    accounts = ("acct-1", "acct-2")
    with EmulatorServer(seed=32, accounts=2, sales=300, history_days=365) as emu:
        checked = run_tap(tmp_path, tap_config(emu, **FAST), name="checked")
        assert checked.returncode == 0, checked.stderr[-3000:]
        checked_calls = _calls(emu)
        verdicts = _verdicts(checked)
        # The same full sync, with only the verdicts in the state: no probe.
        partitions = [{"context": {"account_id": a}, STATE_KEY: verdicts[a]} for a in accounts]
        state = {"bookmarks": {"sales": {"partitions": partitions}}}
        emu.reset_stats()
        trusted = run_tap(tmp_path, tap_config(emu, **FAST), state=state, name="trusted")
        assert trusted.returncode == 0, trusted.stderr[-3000:]
        trusted_calls = _calls(emu)
    assert sorted(verdicts) == list(accounts)
    assert all(v["honoured"] and v["one_request"] == v["by_status"] > 0 for v in verdicts.values())
    assert checked.stderr.count("Hotmart honours a status filter of several values") == 2
    assert "status filter" not in trusted.stderr
    assert checked_calls[SALES_HISTORY] - trusted_calls[SALES_HISTORY] == 2 * PROBE_CALLS
    assert {k: v for k, v in checked_calls.items() if k != SALES_HISTORY} == {
        k: v for k, v in trusted_calls.items() if k != SALES_HISTORY
    }
    assert checked.keys("sales", ("account_id", "transaction")) == trusted.keys(
        "sales", ("account_id", "transaction")
    )


def test_a_verdict_is_trusted_for_a_month_then_checked_again() -> None:
    now = datetime.now(timezone.utc)

    def state(checked_at: datetime) -> dict:
        verdict = Verdict(False, checked_at, "2026-08-02..2026-10-30", 40, 120).to_state()
        partition = {"context": {"account_id": "a"}, STATE_KEY: verdict}
        return {"bookmarks": {"sales": {"partitions": [partition]}}}

    recent = StatusChecks(state(now - RECHECK_AFTER + timedelta(hours=1)))._check("a", now)
    assert recent.settled and recent.verdict is not None and not recent.verdict.honoured
    old = StatusChecks(state(now - RECHECK_AFTER - timedelta(hours=1)))._check("a", now)
    assert not old.settled and old.verdict is None
    assert Verdict.from_state({"honoured": "yes", "checked_at": now.isoformat()}) is None
    assert Verdict.from_state({"honoured": True, "checked_at": "not a date"}) is None


def test_one_status_at_a_time_reads_each_in_order_with_the_summed_total() -> None:
    pages = {"A": [["a1"], ["a2"]], "B": [[]], "C": [["c1"]]}
    totals = {"A": 2, "B": 0, "C": 1}
    sent: list[str] = []

    def read(params: Any) -> Iterator[tuple[Any, int | None]]:
        (status,) = params["transaction_status"]
        for items in pages[status]:
            sent.append(status)
            yield items, totals[status]

    merged = one_status_at_a_time(read, {"start_date": 1}, ["A", "B", "C"])
    assert next(merged) == (["a1"], 3)
    assert sent == ["A", "B", "C"], "every first page is read before any is handed on"
    assert list(merged) == [(["a2"], 3), ([], 3), (["c1"], 3)]


class _ProbeCounter:
    """A stand-in for a stream reading `sales/history`: counts requests in flight at once."""

    def __init__(self, per_minute: int, concurrency: int) -> None:
        self.config = {"concurrency": concurrency}
        self.hotmart_tap = SimpleNamespace(sync_end=datetime(2026, 12, 1, tzinfo=timezone.utc))
        self.client = SimpleNamespace(limiter=RateLimiter(per_minute))
        self._lock = threading.Lock()
        self.in_flight = self.most_in_flight = 0

    def _get_first_page(self, client: Any, path: str, params: Any, **_: Any) -> Any:
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(0.02)
        with self._lock:
            self.in_flight -= 1
        statuses = params["transaction_status"]
        return None, {"page_info": {"total_results": 3 * len(statuses)}}


@pytest.mark.parametrize(
    ("server_remaining", "at_once"),
    [(None, True), ("5", False)],
    ids=["wide budget: at once", "server stricter: one after the other"],
)
def test_the_check_goes_at_once_only_where_the_budget_has_room(
    server_remaining: str | None, at_once: bool
) -> None:
    """18 requests one after the other cost 3 s at 150 ms, at the run's start, which a
    sliding minute repeats at its end; where the server's budget is the stricter, they
    would wait for it anyway."""
    stream = _ProbeCounter(per_minute=500, concurrency=4)
    if server_remaining is not None:  # the token's answer: 5 left of a smaller budget
        stream.client.limiter.acquire()
        stream.client.limiter.observe({"RateLimit-Remaining": server_remaining}, 200)
    window = Window(
        datetime(2026, 9, 1, tzinfo=timezone.utc), datetime(2026, 11, 30, tzinfo=timezone.utc)
    )
    verdict = _measure(stream, stream.client, window)  # type: ignore[arg-type]
    assert isinstance(verdict, Verdict) and verdict.honoured
    assert verdict.one_request == verdict.by_status == 3 * len(TRANSACTION_STATUSES)
    assert (stream.most_in_flight > 1) is at_once
