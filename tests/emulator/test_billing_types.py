"""Some "subscriptions" are instalment plans: billing_type SMART_INSTALLMENT or SMART_RECOVERY.

Hotmart runs its instalment plans of one-time purchases on the subscription engine, so they
show up in the subscription endpoints with their own billing type (hotmart-api-facts.md §6
item 17). A report that takes every subscription for recurring revenue inflates MRR with
them; these tests pin down which plans the emulator makes instalment plans, where the API
shows the billing type, and that adding them moved no other generated data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from hotmart_emulator import EmulatorServer
from hotmart_emulator import data as gen
from hotmart_emulator import enums as en
from hotmart_emulator.data import NO_SWITCH, SUB_INACTIVE, Account, Sales, generate_account

from .conftest import Client

NOW = 1_793_491_200_000  # 2026-11-01, the default clock
SEED = 7
# About 1,100 subscriptions per account, of which a few dozen are instalment plans.
N_SALES = 12_000
CARD = {i for i, p in enumerate(en.SALE_PAYMENTS) if p[0] == "CREDIT_CARD"}


def qualifies(acct: Account, si: int) -> bool:
    """Could subscription ``si`` be an instalment plan (monthly, card, 2-12 charges, fixed)?"""
    subs = acct.subs
    plan = acct.products[subs.prod[si]].plans[subs.plan[si]]
    charges = subs.sales_of(si)
    return (
        plan.period_days == 30
        and subs.switch_plan[si] == NO_SWITCH
        and subs.end_kind[si] != SUB_INACTIVE
        and 2 <= len(charges) <= gen.MAX_INSTALMENTS
        and acct.sales.pay[charges[0]] in CARD
    )


def currency(acct: Account, si: int) -> str:
    return en.CURRENCIES[acct.buyer_currency[acct.subs.buyer[si]]][0]


@pytest.fixture(scope="module")
def accounts() -> list[Account]:
    return [generate_account(SEED, n, N_SALES, NOW) for n in (1, 2, 3)]


def test_only_plans_that_can_be_instalments_are_and_in_the_right_currencies(
    accounts: list[Account],
) -> None:
    kinds: Counter = Counter()
    eligible: Counter = Counter()
    for acct in accounts:
        for si in range(len(acct.subs)):
            billing = acct.subs.billing[si]
            cur = currency(acct, si)
            if qualifies(acct, si):
                eligible["BRL" if cur == "BRL" else "other"] += cur in ("BRL", "USD", "EUR", "ARS")
            if billing == gen.BILLING_SUBSCRIPTION:
                continue
            assert qualifies(acct, si), "an instalment plan is monthly, by card, 2-12 charges"
            kinds[en.BILLING_TYPES[billing]] += 1
            if billing == gen.BILLING_SMART_INSTALLMENT:
                # Intelligent Installment is not offered in BRL, COP, CLP, MXN and PEN
                assert cur in ("USD", "EUR", "ARS"), cur
            else:
                assert cur == "BRL", cur
    assert kinds["SMART_INSTALLMENT"] >= 5 and kinds["SMART_RECOVERY"] >= 5, kinds
    installment_rate = kinds["SMART_INSTALLMENT"] / eligible["other"]
    recovery_rate = kinds["SMART_RECOVERY"] / eligible["BRL"]
    assert 0.5 * gen.SMART_INSTALLMENT_SHARE < installment_rate < 1.5 * gen.SMART_INSTALLMENT_SHARE
    assert 0.5 * gen.SMART_RECOVERY_SHARE < recovery_rate < 1.6 * gen.SMART_RECOVERY_SHARE


def test_billing_types_are_deterministic() -> None:
    a, b = (generate_account(SEED, 1, 3000, NOW) for _ in range(2))
    assert a.subs.billing == b.subs.billing


def test_instalment_plans_shift_no_other_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """The billing types draw from their own stream: without instalment plans every sale,
    status change and subscription is the same; only the billing column differs."""
    with_plans = generate_account(SEED, 1, N_SALES, NOW)
    monkeypatch.setattr(gen, "SMART_INSTALLMENT_SHARE", 0.0)
    monkeypatch.setattr(gen, "SMART_RECOVERY_SHARE", 0.0)
    without = generate_account(SEED, 1, N_SALES, NOW)
    assert set(without.subs.billing) == {gen.BILLING_SUBSCRIPTION}
    assert set(with_plans.subs.billing) > {gen.BILLING_SUBSCRIPTION}
    for col in Sales.COLUMNS:
        assert getattr(with_plans.sales, col) == getattr(without.sales, col), col
    for col in gen.Subscriptions.COLUMNS:
        if col != "billing":
            assert getattr(with_plans.subs, col) == getattr(without.subs, col), col
    assert with_plans.subs.sales_idx == without.subs.sales_idx
    for col in ("ev_t", "ev_sale", "ev_st"):
        assert getattr(with_plans, col) == getattr(without, col), col


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer(seed=SEED, accounts=1, sales=N_SALES, rate_limit=100_000) as server:
        yield server


def test_api_shows_the_billing_type_on_every_recurrence_and_in_the_summary(
    emu: EmulatorServer,
) -> None:
    acct = emu.core.store.accounts["acct-1"].a
    expected = {
        1_000_000 + acct.number * 10_000_000 + si: en.BILLING_TYPES[acct.subs.billing[si]]
        for si in range(len(acct.subs))
    }
    seen: Counter = Counter()
    for t in emu.ground_truth("acct-1", "subscription_transactions"):
        assert t["billing_type"] == expected[t["subscription_id"]]
        seen[t["billing_type"]] += 1
    assert set(seen) == set(en.BILLING_TYPES), seen
    summaries = [
        s
        for s in Client(emu).all_pages("/payments/api/v1/subscriptions/summary")
        if "last_recurrency" in s
    ]
    assert summaries
    for s in summaries:
        assert s["last_recurrency"]["billing_type"] == expected[s["subscription_id"]]
    # an instalment plan's charges are still sales with their recurrence number, as the
    # facts describe recurrences: a client tells them apart by the billing type only
    sales = {
        s["purchase"]["transaction"]: s["purchase"] for s in emu.ground_truth("acct-1", "sales")
    }
    instalments = [
        t
        for t in emu.ground_truth("acct-1", "subscription_transactions")
        if t["billing_type"] != "SUBSCRIPTION"
    ]
    assert instalments
    for t in instalments:
        sale = sales[t["transaction"]]
        assert sale["is_subscription"] is True
        assert sale["recurrency_number"] == t["recurrency"]["number"]
