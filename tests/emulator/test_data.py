"""What the generated data looks like: realistic, consistent, exact and deterministic."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

from hotmart_emulator import EmulatorCore, EmulatorServer
from hotmart_emulator import enums as en
from hotmart_emulator.control import ground_truth
from hotmart_emulator.data import DAY_MS, generate_account

from .conftest import SALES, Client, all_status_params

NOW = 1_793_491_200_000  # 2026-11-01


def _d(x: float) -> Decimal:
    return Decimal(str(x))


def test_amounts_are_two_place_decimals_in_raw_json(client: Client) -> None:
    raw = client.get(SALES, [("max_results", 500), *all_status_params()]).text
    raw += client.get("/payments/api/v1/sales/price/details", {"max_results": 500}).text
    raw += client.get("/payments/api/v1/sales/commissions", {"max_results": 500}).text
    numbers = re.findall(r'"(?:value|total|fixed|base)":(-?\d+(?:\.\d+)?)', raw)
    assert numbers
    assert all(len(n.partition(".")[2]) <= 2 for n in numbers)


def test_money_is_internally_consistent(emu: EmulatorServer) -> None:
    sales = {i["purchase"]["transaction"]: i for i in emu.ground_truth("acct-1", "sales")}
    details = emu.ground_truth("acct-1", "sale_price_details")
    commissions = {c["transaction"]: c for c in emu.ground_truth("acct-1", "sale_commissions")}
    coupons = 0
    for d in details:
        sale = sales[d["transaction"]]["purchase"]
        price = _d(sale["price"]["value"])
        assert _d(d["total"]["value"]) == price
        assert _d(d["base"]["value"]) + _d(d["vat"]["value"]) == price
        assert _d(d["fee"]["value"]) == _d(sale["hotmart_fee"]["total"])
        fee = sale["hotmart_fee"]
        assert _d(fee["base"]) + _d(fee["fixed"]) == _d(fee["total"])
        shares = sum(
            _d(c["commission"]["value"]) for c in commissions[d["transaction"]]["commissions"]
        )
        assert shares == price - _d(fee["total"])
        coupons += "coupon" in d
    assert coupons > 0


def test_data_looks_like_a_producer_account(emu: EmulatorServer) -> None:
    sales = emu.ground_truth("acct-1", "sales")
    assert len(sales) == 2000  # --sales is the number visible at start
    cur = Counter(s["purchase"]["price"]["currency_code"] for s in sales)
    assert cur.most_common(1)[0][0] == "BRL" and len(cur) >= 4
    buyers = Counter(s["buyer"]["email"] for s in sales)
    assert buyers.most_common(1)[0][1] >= 3  # buyers come back
    statuses = Counter(s["purchase"]["status"] for s in sales)
    for st in (
        "COMPLETE",
        "APPROVED",
        "REFUNDED",
        "CHARGEBACK",
        "NO_FUNDS",
        "EXPIRED",
        "CANCELLED",
        "OVERDUE",
    ):
        assert statuses[st] > 0, st
    assert len({s["purchase"]["tracking"]["source"] for s in sales}) > 3
    assert any(s["purchase"]["payment"]["installments_number"] > 1 for s in sales)
    roles = Counter(
        u["role"] for p in emu.ground_truth("acct-1", "sale_participants") for u in p["users"]
    )
    assert roles["AFFILIATE"] > 0 and roles["BUYER"] == 2000
    products = emu.ground_truth("acct-1", "products")
    assert 5 <= len(products) <= 12
    periods = {p["periodicity"] for p in emu.ground_truth("acct-1", "product_plans")}
    assert periods <= {"WEEKLY", "MONTHLY", "QUARTERLY", "ANNUAL"}
    subs = Counter(s["status"] for s in emu.ground_truth("acct-1", "subscriptions"))
    assert subs["ACTIVE"] and subs["CANCELLED_BY_CUSTOMER"]
    # accounts differ
    other = emu.ground_truth("acct-2", "sales")
    assert other[0]["purchase"]["transaction"].startswith("HP02")
    assert other[0]["producer"] != sales[0]["producer"]


def test_non_late_changes_happen_within_60_days_of_the_order() -> None:
    """The rule the tap's lookback relies on, with its one exception: a dispute won by the
    seller returns the sale to COMPLETE long after the order (see test_disputes.py)."""
    acct = generate_account(seed=3, number=1, sales=5000, now_ms=NOW)
    late = en.LATE_STATUSES
    order = acct.sales.order
    events = list(zip(acct.ev_t, acct.ev_sale, acct.ev_st, strict=True))
    disputed: set[int] = set()
    normal, won = [], []
    for t, s, st in events:  # in time order: a dispute is opened before it is resolved
        if st == en.PROTESTED:
            disputed.add(s)
        elif st not in late:
            (won if s in disputed else normal).append(t - order[s])
    assert max(normal) <= 60 * DAY_MS
    assert won and max(won) > 60 * DAY_MS  # the exception exists...
    assert max(won) <= 260 * DAY_MS  # ...and is bounded
    late_gaps = [t - order[s] for t, s, st in events if st in late]
    assert max(late_gaps) > 90 * DAY_MS  # chargebacks months later exist
    assert max(late_gaps) <= 260 * DAY_MS  # a dispute opened by day 200 ends by day 260


def test_same_seed_same_data_other_seed_other_data() -> None:
    a = EmulatorCore(seed=42, accounts=1, sales=500)
    b = EmulatorCore(seed=42, accounts=1, sales=500)
    c = EmulatorCore(seed=43, accounts=1, sales=500)
    for entity in ("sales", "subscriptions", "products", "sale_commissions", "coupons"):
        assert ground_truth(a.api, "acct-1", entity) == ground_truth(b.api, "acct-1", entity)
    assert a.accounts() == b.accounts()
    assert ground_truth(a.api, "acct-1", "sales") != ground_truth(c.api, "acct-1", "sales")
    assert a.accounts() != c.accounts()
    assert all(x["client_id"].startswith("emu-") for x in a.accounts())


def test_entities_agree_with_each_other(emu: EmulatorServer) -> None:
    sales = emu.ground_truth("acct-1", "sales")
    users = emu.ground_truth("acct-1", "sale_participants")
    assert [s["purchase"]["transaction"] for s in sales] == [u["transaction"] for u in users]
    for s, u in zip(sales, users, strict=True):
        buyer = next(x["user"] for x in u["users"] if x["role"] == "BUYER")
        assert {k: buyer[k] for k in ("name", "ucode", "email")} == s["buyer"]
        producer = next(x["user"] for x in u["users"] if x["role"] == "PRODUCER")
        assert producer["ucode"] == s["producer"]["ucode"]
    subs = emu.ground_truth("acct-1", "subscriptions")
    tx = emu.ground_truth("acct-1", "subscription_transactions")
    codes = {s["subscriber_code"] for s in subs}
    assert {t["subscriber_code"] for t in tx} == codes
    by_code = {s["purchase"]["transaction"]: s for s in sales}
    for t in tx:
        assert by_code[t["transaction"]]["purchase"]["status"] == t["purchase_status"]
        assert by_code[t["transaction"]]["purchase"]["is_subscription"] is True
