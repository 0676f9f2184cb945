"""Incremental runs that cost what changed, not the history, and still find every change.

Issue #17: at 3,000 sales an incremental run after 1 and after 10 days costs at most 25%
of the full sync's calls. What makes it so, each tested here: the catalogue's children
are read only when something says they changed (`catalog`), `refunds` replays what
`sales` read in a refund status (`refund_spool`), and the first windows are cut to the
density the last run measured (`records_per_year`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hotmart_emulator import EmulatorServer
from tests.support.singer import TapRun, run_tap, selected_catalog
from tests.tap.test_sync import REFUND_STATUSES, tap_config

ACCOUNT = "acct-1"
SALES_HISTORY = "GET /payments/api/v1/sales/history"
CHILD_ENDPOINTS = {
    "product_offers": "GET /products/api/v1/products/{ucode}/offers",
    "product_plans": "GET /products/api/v1/products/{ucode}/plans",
    "coupons": "GET /products/api/v1/coupon/product/{product_id}",
}
CHILD_KEYS = {
    "product_offers": ("product_ucode", "code"),
    "product_plans": ("product_ucode", "code"),
    "coupons": ("product_id", "id"),
}
FAST = {"requests_per_minute": 100_000}


@dataclass
class Run:
    output: TapRun
    calls: int
    requests: dict[str, int]
    #: The sales' (transaction → status) in Hotmart right after the run.
    truth: dict[str, str]


def _run(emu: EmulatorServer, folder: Path, name: str, state: dict | None, **settings) -> Run:
    emu.reset_stats()
    output = run_tap(folder, tap_config(emu, **FAST, **settings), state, name=name)
    assert output.returncode == 0, output.stderr[-3000:]
    stats = emu.stats()
    truth = {
        i["purchase"]["transaction"]: i["purchase"]["status"]
        for i in emu.ground_truth(ACCOUNT, "sales")
    }
    return Run(output, sum(stats["requests"].values()), stats["requests"], truth)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Run]]:
    """A full sync of 3,000 sales, then incremental runs 1 and 10 days later."""
    folder = tmp_path_factory.mktemp("incremental-cost")
    with EmulatorServer(seed=4, accounts=1, sales=3000, rate_limit=100_000) as emu:
        runs = [_run(emu, folder, "full", None)]
        for days in (1, 10):
            emu.advance(days=days)
            runs.append(_run(emu, folder, f"after-{days}", runs[-1].output.state))
        yield runs


def _table(runs: list[Run], stream: str) -> dict[str, dict]:
    """What a target holds after these runs: the last record of each transaction."""
    table: dict[str, dict] = {}
    for run in runs:
        for record in run.output.records[stream]:
            table[record["transaction"]] = record
    return table


def test_incremental_runs_cost_at_most_a_quarter_of_the_full_sync(history: list[Run]) -> None:
    full, *incremental = history
    for run in incremental:
        share = run.calls / full.calls
        print(f"\n{run.calls} of {full.calls} calls ({share:.0%}): {run.requests}")
        assert share <= 0.25, (run.calls, full.calls, run.requests)
        # Nothing said the catalogue changed: only the list of products is read again.
        assert not {run.requests.get(endpoint) for endpoint in CHILD_ENDPOINTS.values()} - {None}, (
            run.requests
        )


def test_every_status_change_is_found(history: list[Run]) -> None:
    for end in range(1, len(history) + 1):
        runs = history[:end]
        truth = runs[-1].truth
        sales = _table(runs, "sales")
        assert {t: r["status"] for t, r in sales.items()} == truth
        # raw refunds: every sale now in a refund status, and no row with a status the
        # sale no longer has
        refunds = _table(runs, "refunds")
        refunded = {t for t, status in truth.items() if status in REFUND_STATUSES}
        assert refunded <= refunds.keys()
        assert {t: r["status"] for t, r in refunds.items()} == {t: truth[t] for t in refunds}


def test_refunds_cost_no_request_when_sales_read_the_whole_history(
    history: list[Run], tmp_path: Path
) -> None:
    """The refunds of a run come from `sales`' read; without `sales` they are read."""
    full = history[0]
    assert "records from this run's sales read, no request needed" in full.output.stderr
    with EmulatorServer(seed=4, accounts=1, sales=3000, rate_limit=100_000) as emu:
        config = tap_config(emu, **FAST)
        alone = run_tap(tmp_path, config, catalog=selected_catalog(config, {"refunds"}))
        assert alone.returncode == 0, alone.stderr[-3000:]
        refunds_alone = emu.stats()["requests"][SALES_HISTORY]
        emu.reset_stats()
        sales = run_tap(tmp_path, config, catalog=selected_catalog(config, {"sales"}))
        assert sales.returncode == 0, sales.stderr[-3000:]
        sales_alone = emu.stats()["requests"][SALES_HISTORY]
    assert refunds_alone > 0
    # sales and refunds together cost what sales costs alone (and its status check)
    assert full.requests[SALES_HISTORY] == sales_alone
    assert alone.keys("refunds", ("transaction", "status")) and sorted(
        alone.keys("refunds", ("transaction", "status"))
    ) == sorted(full.output.keys("refunds", ("transaction", "status")))


def test_the_lookback_of_a_small_account_is_one_window(history: list[Run]) -> None:
    """The last run measured the density: 61 days of 3,000 sales fit one window."""
    after_one_day = history[1]
    for endpoint in ("sales/commissions", "sales/users", "sales/price/details"):
        assert after_one_day.requests[f"GET /payments/api/v1/{endpoint}"] == 1
    (partition,) = history[0].output.state["bookmarks"]["sale_commissions"]["partitions"]
    assert partition["records_per_year"]["windows"] > 0


def _without(state: dict, product_id: str, stream: str, code: str) -> dict:
    """`state` as if the last read of `stream` for the product had not returned `code`."""
    state = copy.deepcopy(state)
    (partition,) = state["bookmarks"]["products"]["partitions"]
    entry = partition["catalog"][product_id].get(stream)  # no plans: not a subscription
    if entry is not None:
        entry["codes"] = [c for c in entry["codes"] if c != code]
    return state


def test_a_sale_of_an_unknown_offer_or_coupon_reads_that_product_again(
    history: list[Run], tmp_path: Path
) -> None:
    full = history[0]
    # a product sold with a coupon in the lookback of the next run, and its latest sale
    with_coupon = next(
        r
        for r in reversed(full.output.records["sale_price_details"])
        if (r.get("coupon") or {}).get("code")
    )
    product_id, coupon = str(with_coupon["product"]["id"]), with_coupon["coupon"]["code"]
    sold = next(
        r
        for r in reversed(full.output.records["sales"])
        if str(r["product"]["id"]) == product_id and r["purchase"].get("offer", {}).get("code")
    )
    offer = sold["purchase"]["offer"]["code"]
    state = _without(full.output.state, product_id, "product_offers", offer)
    state = _without(state, product_id, "product_plans", offer)
    state = _without(state, product_id, "coupons", coupon)
    with EmulatorServer(seed=4, accounts=1, sales=3000, rate_limit=100_000) as emu:
        emu.advance(days=1)
        run = _run(emu, tmp_path, "stale-offer", state)
    assert run.requests.get(CHILD_ENDPOINTS["product_offers"]) == 1, run.requests
    assert {r["product_ucode"] for r in run.output.records["product_offers"]} == {
        next(p["ucode"] for p in full.output.records["products"] if str(p["id"]) == product_id)
    }
    assert run.requests.get(CHILD_ENDPOINTS["coupons"]) == 1, run.requests
    assert {str(r["product_id"]) for r in run.output.records["coupons"]} == {product_id}
    # the next run knows the code again
    (partition,) = run.output.state["bookmarks"]["products"]["partitions"]
    reads = partition["catalog"][product_id]
    known = [code for stream in ("product_offers", "product_plans") for code in
             reads.get(stream, {}).get("codes", [])]  # fmt: skip
    assert sold["purchase"]["offer"]["code"] in known


def test_a_changed_listing_or_an_old_read_reads_the_children_again(
    history: list[Run], tmp_path: Path
) -> None:
    full = history[0]
    products = full.output.records["products"]
    state = copy.deepcopy(full.output.state)
    (partition,) = state["bookmarks"]["products"]["partitions"]
    changed = str(products[0]["id"])
    partition["catalog"][changed]["listing"] = "0" * 16  # as if the product was edited
    with EmulatorServer(seed=4, accounts=1, sales=3000, rate_limit=100_000) as emu:
        emu.advance(days=1)
        edited = _run(emu, tmp_path, "edited", state)
        refresh = _run(emu, tmp_path, "refresh", full.output.state, catalog_refresh_days=1)
        every = _run(emu, tmp_path, "every", full.output.state, catalog_refresh_days=0)
    assert {str(r["product_id"]) for r in edited.output.records["coupons"]} <= {changed}
    assert edited.requests[CHILD_ENDPOINTS["coupons"]] == 1
    assert edited.requests[CHILD_ENDPOINTS["product_offers"]] == 1
    # past catalog_refresh_days (0: every run) the whole catalogue is read, as in full
    for run in (refresh, every):
        for stream, endpoint in CHILD_ENDPOINTS.items():
            assert run.requests.get(endpoint) == full.requests[endpoint], run.requests
            key = CHILD_KEYS[stream]
            assert sorted(run.output.keys(stream, key)) == sorted(full.output.keys(stream, key))
