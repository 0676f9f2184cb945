"""Subscribers switch plan (upgrade / downgrade) between plans of the same period.

Without switches every subscription keeps one price for life, and the MRR report's expansion
and contraction are always 0, so that logic would go untested. These tests pin down what a
switch looks like: which plans, when, which charges carry which price, what the
subscriptions list shows before and after the clock passes the switch, and that adding
switches (and the price tiers they need) moved no other generated data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from hotmart_emulator import EmulatorServer
from hotmart_emulator import data as gen
from hotmart_emulator.data import DAY_MS, NO_SWITCH, Account, Sales, generate_account
from hotmart_emulator.render import convert

NOW = 1_793_491_200_000  # 2026-11-01, the default clock
SEED = 7
# About 1,100 subscriptions per account: a few dozen switches, generated in well under a second.
N_SALES = 12_000


@dataclass(frozen=True)
class Switch:
    """One subscription's plan switch, read from the generated columns."""

    sub: int
    old: int  # plan index
    new: int
    at: int  # order time of the first charge at the new plan's price
    k: int  # its recurrence number


def switches(acct: Account) -> list[Switch]:
    subs = acct.subs
    out = []
    for si in range(len(subs)):
        if subs.switch_plan[si] == NO_SWITCH:
            assert subs.switch_at[si] == 0
            continue
        charges = subs.sales_of(si)
        ks = [k for k, i in enumerate(charges, 1) if acct.sales.order[i] == subs.switch_at[si]]
        assert len(ks) == 1, "the switch time is the order time of one of its charges"
        out.append(Switch(si, subs.plan[si], subs.switch_plan[si], subs.switch_at[si], ks[0]))
    return out


@pytest.fixture(scope="module")
def accounts() -> list[Account]:
    return [generate_account(SEED, n, N_SALES, NOW) for n in (1, 2, 3)]


def test_switches_go_up_and_down_between_plans_of_one_period(accounts: list[Account]) -> None:
    ups = downs = eligible = 0
    for acct in accounts:
        found = switches(acct)
        for sw in found:
            plans = acct.products[acct.subs.prod[sw.sub]].plans
            old, new = plans[sw.old], plans[sw.new]
            assert sw.old != sw.new and old.period_days == new.period_days
            assert old.tier_of < 0, "subscribers start on a base plan"
            assert new.tier_of == sw.old, "a switch goes to a price tier of the same plan"
            assert 2 <= sw.k <= gen.SWITCH_BY_RECURRENCE
            ups += new.price_cents > old.price_cents
            downs += new.price_cents < old.price_cents
        for si in range(len(acct.subs)):  # could have switched: a tier exists, 2+ charges
            p = acct.products[acct.subs.prod[si]]
            tiers = any(pl.tier_of == acct.subs.plan[si] for pl in p.plans)
            eligible += tiers and len(acct.subs.sales_of(si)) >= 2
    assert ups >= 5 and downs >= 5, (ups, downs)
    rate = (ups + downs) / eligible
    assert 0.5 * gen.PLAN_SWITCH_SHARE < rate < 1.6 * gen.PLAN_SWITCH_SHARE, rate


def test_subscription_products_often_have_same_period_tiers(accounts: list[Account]) -> None:
    products = [p for a in accounts for p in a.products if p.is_subscription]
    tiered = [p for p in products if any(pl.tier_of >= 0 for pl in p.plans)]
    assert len(tiered) >= len(products) / 2
    for p in tiered:
        base = [pl for pl in p.plans if pl.tier_of < 0]
        for j, pl in enumerate(base):
            tiers = [t for t in p.plans if t.tier_of == j]
            assert {t.period_days for t in tiers} == {pl.period_days}
            prices = sorted(t.price_cents for t in tiers)
            assert prices[0] < pl.price_cents < prices[-1], "one cheaper, one dearer tier"
        codes = [pl.code for pl in p.plans]
        assert len(set(codes)) == len(codes)


def test_charges_are_priced_at_the_plan_in_force_when_charged(accounts: list[Account]) -> None:
    for acct in accounts:
        for sw in switches(acct):
            plans = [acct.sales.offer[i] for i in acct.subs.sales_of(sw.sub)]
            assert plans == [sw.old] * (sw.k - 1) + [sw.new] * (len(plans) - sw.k + 1)


def test_switches_are_deterministic() -> None:
    a, b = (generate_account(SEED, 1, 3000, NOW) for _ in range(2))
    for col in gen.Subscriptions.COLUMNS:
        assert getattr(a.subs, col) == getattr(b.subs, col), col
    assert a.sales.offer == b.sales.offer
    assert [p.plans for p in a.products] == [p.plans for p in b.products]


def test_tiers_and_switches_shift_no_other_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiers and switches draw from their own streams: without them (no tiers, so no switch
    either) every sale and subscription is the same, except the plans of switched charges."""
    with_switches = generate_account(SEED, 1, N_SALES, NOW)
    monkeypatch.setattr(gen, "TIER_SHARE", 0.0)
    without = generate_account(SEED, 1, N_SALES, NOW)
    assert not switches(without)
    for col in Sales.COLUMNS:
        if col != "offer":
            assert getattr(with_switches.sales, col) == getattr(without.sales, col), col
    changed = {
        i
        for i, (x, y) in enumerate(zip(with_switches.sales.offer, without.sales.offer, strict=True))
        if x != y
    }
    switched = {
        i for sw in switches(with_switches) for i in with_switches.subs.sales_of(sw.sub)[sw.k - 1 :]
    }
    assert changed == switched and switched
    for col in ("prod", "plan", "buyer", "start", "end_kind", "cancel"):
        assert getattr(with_switches.subs, col) == getattr(without.subs, col), col
    for col in ("ev_t", "ev_sale", "ev_st"):  # every status change, same time and sale
        assert getattr(with_switches, col) == getattr(without, col), col
    for p, q in zip(with_switches.products, without.products, strict=True):
        assert [pl for pl in p.plans if pl.tier_of < 0] == q.plans


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer(seed=SEED, accounts=1, sales=N_SALES, rate_limit=100_000) as server:
        yield server


def test_api_shows_the_plan_of_each_charge_and_the_current_plan(emu: EmulatorServer) -> None:
    acct = emu.core.store.accounts["acct-1"].a
    found = switches(acct)
    # a switch still in the future at the start clock, within the emulator's timeline
    pending = min((sw for sw in found if sw.at > emu.now_ms), key=lambda sw: sw.at)
    past = [sw for sw in found if sw.at <= emu.now_ms]
    assert past, "some switches already happened at the start clock"

    def shown(sw: Switch) -> tuple[dict, list[dict], dict[str, dict]]:
        sub_id = 1_000_000 + acct.number * 10_000_000 + sw.sub
        item = next(
            s for s in emu.ground_truth("acct-1", "subscriptions") if s["subscription_id"] == sub_id
        )
        txs = sorted(
            (
                t
                for t in emu.ground_truth("acct-1", "subscription_transactions")
                if t["subscription_id"] == sub_id
            ),
            key=lambda t: t["recurrency"]["number"],
        )
        sales = {s["purchase"]["transaction"]: s for s in emu.ground_truth("acct-1", "sales")}
        return item, txs, sales

    def check(sw: Switch, switched: bool) -> None:
        p = acct.products[acct.subs.prod[sw.sub]]
        cur = acct.buyer_currency[acct.subs.buyer[sw.sub]]
        item, txs, sales = shown(sw)
        current = p.plans[sw.new if switched else sw.old]
        assert item["plan"] == {
            "name": current.name,
            "id": current.id,
            "recurrency_period": current.period_days,
        }
        assert item["price"]["value"] == convert(current.price_cents, cur) / 100
        assert txs, "the subscription has visible charges"
        for t in txs:
            plan = p.plans[sw.new if t["recurrency"]["number"] >= sw.k else sw.old]
            assert t["plan"]["name"] == plan.name
            assert t["plan"]["offer"]["code"] == plan.code
            assert t["purchase"]["price"]["value"] == convert(plan.price_cents, cur) / 100
            sale = sales[t["transaction"]]["purchase"]
            assert sale["offer"]["code"] == plan.code
            assert sale["price"]["value"] == t["purchase"]["price"]["value"]
        assert (txs[-1]["recurrency"]["number"] >= sw.k) == switched

    check(past[0], switched=True)
    check(pending, switched=False)
    emu.advance((pending.at - emu.now_ms) / DAY_MS + 0.01)
    check(pending, switched=True)
