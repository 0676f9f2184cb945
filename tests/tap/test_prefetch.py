"""Windows fetched ahead wait as JSON text, within a byte budget, and nothing is lost."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import msgspec
import pytest

import tap_hotmart.prefetch as prefetch_module
from hotmart_emulator import EmulatorServer
from tap_hotmart.account_reads import AccountRead, Read, WindowPage
from tap_hotmart.client import page_items
from tap_hotmart.streams.sales import hoist_purchase
from tap_hotmart.tap import TapHotmart
from tap_hotmart.windows import WindowPlanner
from tests.tap.stub import JSON, page, stub_stream

UTC = timezone.utc


def test_lazy_pages_keep_items_as_json_until_decoded_exactly(stub) -> None:
    url, script = stub
    script.answers = [
        (200, JSON, '{"items": [{"id": 1, "price": 19.90'),  # truncated: retried
        page([{"id": 1, "price": 19.9}, "not an object"]),
        (200, JSON, '[{"id": 2}]'),  # a bare array: one final page, decoded whole
    ]
    stream, client = stub_stream(url)
    pages = list(stream.iter_pages(client, "/p", {}, lazy_items=True))
    assert isinstance(pages[0][0], msgspec.Raw)
    assert page_items(pages[0][0]) == [{"id": 1, "price": Decimal("19.9")}]
    assert script.api_calls == 2
    pages = list(stream.iter_pages(client, "/p", {}, lazy_items=True))
    assert pages == [([{"id": 2}], None)]


def test_a_tiny_prefetch_budget_bounds_waiting_pages_and_loses_nothing(monkeypatch) -> None:
    with EmulatorServer(seed=5, accounts=1, sales=3000) as emu:
        now = datetime.fromtimestamp(emu.now_ms / 1000, tz=UTC)
        config = {**emu.tap_config(), "end_date": (now + timedelta(days=1)).isoformat()}
        tap = TapHotmart(config={**config, "concurrency": 4, "page_size": 50},
                         parse_env_config=False)  # fmt: skip
        stream = tap.streams["sales"]
        monkeypatch.setattr(prefetch_module, "PREFETCH_BYTES_PER_WORKER", 1)
        pending_peaks: list[int] = []
        page_sizes: list[int] = []
        added = prefetch_module.PrefetchBudget.added

        def spy(self, window, size: int) -> None:
            added(self, window, size)
            pending_peaks.append(self._pending)
            page_sizes.append(size)

        monkeypatch.setattr(prefetch_module.PrefetchBudget, "added", spy)
        context = {"account_id": "acct-1"}
        # Yearly windows, ~20 pages of 50 each.
        planner = WindowPlanner(tap.start_date, tap.sync_end, first_days=365, max_days=365,
                                target_records=10**9)  # fmt: skip
        seen: list[str] = []
        read = Read("windows", planner, {})
        account_read = AccountRead(
            "acct-1",
            [read],
            lambda read: stream._fetch_in_order(tap.client("acct-1"), read, context),
            limits=tap.range_limits("acct-1"),
            path=stream.path,
            page_count=lambda items: len(page_items(items)),
        )
        for event in account_read.start().events():
            if not isinstance(event, WindowPage):
                continue
            for item in page_items(event.items):
                record = hoist_purchase(item, context)
                order_date = datetime.fromisoformat(record["order_date"])
                assert event.window.start <= order_date < event.window.end
                seen.append(record["transaction"])

        truth = [item["purchase"]["transaction"] for item in emu.ground_truth("acct-1", "sales")]
        assert sorted(seen) == sorted(truth)
        assert len(page_sizes) > 40 and min(page_sizes) > 0
        # Unbounded, three windows ahead would pile up (~60 pages); with the budget each of
        # the 4 workers holds at most the page it has just fetched, plus the head window's
        # (the read's thread moves them to its spool in window order).
        assert max(pending_peaks) <= 5 * max(page_sizes)


@pytest.mark.parametrize("limit", [1, 10**12])
def test_the_budget_never_starves_the_emitting_window(limit: int) -> None:
    cancel = threading.Event()
    budget = prefetch_module.PrefetchBudget(limit, cancel)
    head, other = object(), object()
    budget.set_head(head, empty=True)  # type: ignore[arg-type]
    budget.added(other, 100)  # type: ignore[arg-type]
    budget.wait_for_room(head)  # type: ignore[arg-type]  # returns: the head has nothing queued
    budget.added(head, 100)  # type: ignore[arg-type]
    waiter = threading.Thread(target=budget.wait_for_room, args=(head,))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive() is (limit == 1)  # over budget with a page queued: waits...
    budget.emitted(100, head_empty=True)  # ...until the emitting side takes it
    waiter.join(2)
    assert not waiter.is_alive()


@pytest.mark.parametrize("body", ['{"page_info": {}}', '{"items": null}', '{"items": {"id": 1}}'])
def test_a_lazy_page_without_a_list_of_items_is_retried_not_read_as_empty(stub, body) -> None:
    url, script = stub
    script.answers = [(200, JSON, body), page([{"id": 1}])]
    stream, client = stub_stream(url)
    pages = list(stream.iter_pages(client, "/p", {}, lazy_items=True))
    assert [page_items(items) for items, _ in pages] == [[{"id": 1}]]
    assert script.api_calls == 2
