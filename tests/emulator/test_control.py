"""Control API: health, accounts, advance, inject, ground truth, statistics."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from hotmart_emulator import EmulatorServer

from .conftest import SALES, Client, all_status_params

DAY = 86_400_000


@pytest.fixture
def live() -> Iterator[EmulatorServer]:
    """An emulator that tests may advance and inject into."""
    with EmulatorServer(seed=9, accounts=2, sales=1500, rate_limit=100_000) as emu:
        yield emu


def _ctl(emu: EmulatorServer, method: str, path: str, **kw: object) -> requests.Response:
    return requests.request(method, emu.url + "/_emulator/" + path, timeout=30, **kw)


def test_health_and_accounts(live: EmulatorServer) -> None:
    h = _ctl(live, "GET", "health").json()
    assert h == {"status": "ok", "now": live.now_ms}
    assert h["now"] == 1_793_491_200_000  # default --now 2026-11-01
    accounts = _ctl(live, "GET", "accounts").json()["accounts"]
    assert [a["account_id"] for a in accounts] == ["acct-1", "acct-2"]
    assert accounts == live.tap_config()["accounts"]
    cfg = live.tap_config()
    assert cfg["api_url"] == live.url
    assert cfg["auth_url"] == live.url + "/security/oauth/token"
    assert cfg["start_date"].startswith("2023-11-02")


def test_paging_all_statuses_equals_ground_truth(live: EmulatorServer) -> None:
    for idx, acct in enumerate(("acct-1", "acct-2")):
        c = Client(live, idx)
        got = c.all_pages(SALES, all_status_params())
        assert got == live.ground_truth(acct, "sales")
        for path, entity in (
            ("/payments/api/v1/sales/users", "sale_participants"),
            ("/payments/api/v1/sales/commissions", "sale_commissions"),
            ("/payments/api/v1/sales/price/details", "sale_price_details"),
        ):
            assert c.all_pages(path, all_status_params()) == live.ground_truth(acct, entity)


def test_ground_truth_over_http(live: EmulatorServer) -> None:
    body = _ctl(live, "GET", "ground_truth/acct-1/products").json()
    assert body["items"] == live.ground_truth("acct-1", "products")
    offers = _ctl(live, "GET", "ground_truth/acct-1/product_offers").json()["items"]
    assert all("product_ucode" in o for o in offers)
    summary = _ctl(live, "GET", "ground_truth/acct-1/sales_summary").json()
    total = sum(v["count"] for v in summary["by_status"].values())
    assert total == 1500
    assert all(
        isinstance(a, str) for v in summary["by_status"].values() for a in v["amount"].values()
    )
    assert _ctl(live, "GET", "ground_truth/acct-1/nope").status_code == 404
    assert _ctl(live, "GET", "ground_truth/acct-9/sales").status_code == 404


def test_sales_summary_endpoint_matches_ground_truth(live: EmulatorServer) -> None:
    c = Client(live)
    summary = live.ground_truth("acct-1", "sales_summary")["by_status"]
    got = c.get("/payments/api/v1/sales/summary", [("transaction_status", "REFUNDED")]).json()[
        "items"
    ]
    by_cur = {i["total_value"]["currency_code"]: i for i in got}
    want = summary["REFUNDED"]["amount"]
    assert set(by_cur) == set(want)
    for cur, amount in want.items():
        assert f"{by_cur[cur]['total_value']['value']:.2f}" == amount
    assert sum(i["total_items"] for i in got) == summary["REFUNDED"]["count"]


def test_advance_reveals_sales_and_status_changes(live: EmulatorServer) -> None:
    c = Client(live)
    before = {
        i["purchase"]["transaction"]: i["purchase"]["status"]
        for i in live.ground_truth("acct-1", "sales")
    }
    old_now = live.now_ms
    r = _ctl(live, "POST", "advance", params={"days": 30}).json()
    assert r["now"] == old_now + 30 * DAY == live.now_ms
    assert r["new_sales"] > 0
    after = live.ground_truth("acct-1", "sales")
    assert len(after) + len(live.ground_truth("acct-2", "sales")) == 3000 + r["new_sales"]
    changes = [ch for ch in r["status_changes"] if ch["account_id"] == "acct-1"]
    kinds = {(ch["from"], ch["to"]) for ch in changes}
    assert ("APPROVED", "COMPLETE") in kinds
    assert any(
        ch["to"] in ("CHARGEBACK", "PROTESTED") and ch["order_date"] < old_now - 35 * DAY
        for ch in changes
    )
    now_status = {i["purchase"]["transaction"]: i["purchase"]["status"] for i in after}
    last_to: dict[str, str] = {}
    first_from: dict[str, str] = {}
    for ch in changes:
        last_to[ch["transaction"]] = ch["to"]
        first_from.setdefault(ch["transaction"], ch["from"])
    for code, to in last_to.items():
        assert now_status[code] == to
        if code in before:
            assert before[code] == first_from[code]
    unchanged = set(before) - set(last_to)
    assert all(before[code] == now_status[code] for code in unchanged)
    # the API agrees with the ground truth after the move
    got = c.all_pages(SALES, all_status_params())
    assert got == after
    last = changes[-1]
    api = c.get(SALES, {"transaction": last["transaction"]}).json()["items"][0]
    assert api["purchase"]["status"] == now_status[last["transaction"]]
    with pytest.raises(ValueError, match="forward"):
        live.advance(-1)


def test_advance_changes_subscriptions(live: EmulatorServer) -> None:
    before = {
        s["subscriber_code"]: s["status"] for s in live.ground_truth("acct-1", "subscriptions")
    }
    live.advance(120)
    after = {
        s["subscriber_code"]: s["status"] for s in live.ground_truth("acct-1", "subscriptions")
    }
    assert len(after) > len(before)
    assert any(before[k] == "ACTIVE" and after[k].startswith("CANCELLED") for k in before)


def test_inject_refund(live: EmulatorServer) -> None:
    c = Client(live)
    sale = next(
        i for i in live.ground_truth("acct-1", "sales") if i["purchase"]["status"] == "COMPLETE"
    )
    code = sale["purchase"]["transaction"]
    r = _ctl(
        live,
        "POST",
        "inject",
        json={"account_id": "acct-1", "transaction": code, "status": "REFUNDED"},
    )
    assert r.status_code == 200
    assert r.json() == {
        "account_id": "acct-1",
        "transaction": code,
        "from": "COMPLETE",
        "to": "REFUNDED",
        "order_date": sale["purchase"]["order_date"],
    }
    api = c.get(SALES, {"transaction": code}).json()["items"][0]
    assert api["purchase"]["status"] == "REFUNDED"
    assert c.get(
        SALES,
        {
            "transaction_status": "REFUNDED",
            "start_date": sale["purchase"]["order_date"],
            "end_date": sale["purchase"]["order_date"],
        },
    ).json()["items"] == [api]
    truth = {i["purchase"]["transaction"]: i for i in live.ground_truth("acct-1", "sales")}
    assert truth[code] == api
    live.advance(400)  # nothing scheduled overrides an injected status
    truth = {i["purchase"]["transaction"]: i for i in live.ground_truth("acct-1", "sales")}
    assert truth[code]["purchase"]["status"] == "REFUNDED"
    bad = _ctl(
        live, "POST", "inject", json={"account_id": "acct-1", "transaction": code, "status": "NOPE"}
    )
    assert bad.status_code == 400
    missing = _ctl(
        live,
        "POST",
        "inject",
        json={"account_id": "acct-1", "transaction": "HP0100000000000000", "status": "REFUNDED"},
    )
    assert missing.status_code == 404
    incomplete = _ctl(live, "POST", "inject", json={"account_id": "acct-1"})
    assert incomplete.status_code == 400


def test_stats_count_and_reset(live: EmulatorServer) -> None:
    live.reset_stats()
    c = Client(live)
    c.get(SALES)
    c.get(SALES)
    c.get("/payments/api/v1/subscriptions/ABCDEFGH/purchases")
    requests.get(live.url + SALES, timeout=10)
    s = _ctl(live, "GET", "stats").json()
    assert s["requests"]["GET /payments/api/v1/sales/history"] == 3
    assert s["requests"]["POST /security/oauth/token"] == 1
    assert s["requests"]["GET /payments/api/v1/subscriptions/{subscriber_code}/purchases"] == 1
    assert s["responses"]["200"] == 3 and s["responses"]["401"] == 1
    assert s["responses"]["404"] == 1
    assert s["by_account"]["acct-1"]["requests"]["GET /payments/api/v1/sales/history"] == 2
    assert _ctl(live, "POST", "stats/reset").status_code == 200
    assert _ctl(live, "GET", "stats").json()["requests"] == {}
