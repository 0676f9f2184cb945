"""Disputes (PROTESTED) are resolved later, as on Hotmart, and only when the clock gets there.

A dispute ends back in COMPLETE (the seller won), in REFUNDED or CHARGEBACK (the buyer won),
or stays open. A win for the seller is the one status change that happens months after the
order and is not into a refund status, so these tests pin down when and where it shows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from hotmart_emulator import EmulatorServer
from hotmart_emulator import enums as en
from hotmart_emulator.data import DAY_MS, DISPUTE_RESOLUTION_DAYS, Account, generate_account

from .conftest import SALES, Client

NOW = 1_793_491_200_000  # 2026-11-01, the default clock
SEED = 11
# About 30 visible disputes and ~46 in the whole timeline (future sales included); a few are
# still being decided at the start clock. Generation and serving take well under a second.
N_SALES = 8000
REFUND_STATUSES = sorted(en.TRANSACTION_STATUSES[code] for code in en.LATE_STATUSES)
BUYER_WON = {en.REFUNDED, en.CHARGEBACK}


@dataclass(frozen=True)
class Dispute:
    """One dispute of the generated timeline: when it opened and how/when it ends."""

    sale: int
    order: int
    opened: int
    resolved: int | None  # None: stays open
    outcome: int  # status after the resolution (PROTESTED when it stays open)


def disputes(acct: Account) -> list[Dispute]:
    """Every dispute of an account's timeline, read from its scheduled events."""
    opened: dict[int, int] = {}
    ends: dict[int, tuple[int, int]] = {}
    for t, s, st in zip(acct.ev_t, acct.ev_sale, acct.ev_st, strict=True):
        if st == en.PROTESTED:
            assert s not in opened, "a sale is disputed at most once"
            opened[s] = t
        elif s in opened:
            assert s not in ends, "a dispute is resolved at most once"
            ends[s] = (t, st)
    out = []
    for s, t in opened.items():
        end_t, end_st = ends.get(s, (None, en.PROTESTED))
        out.append(Dispute(s, acct.sales.order[s], t, end_t, end_st))
    return out


def test_disputes_end_every_way_in_plausible_shares() -> None:
    pooled = [d for n in (1, 2, 3) for d in disputes(generate_account(SEED, n, N_SALES, NOW))]
    assert len(pooled) > 100
    shares = Counter(en.TRANSACTION_STATUSES[d.outcome] for d in pooled)
    total = len(pooled)
    # The model's split is 45 / 35 / 10 / 10 %; a deterministic sample, loosely bounded.
    assert 0.30 < shares["COMPLETE"] / total < 0.60, shares
    assert 0.20 < shares["REFUNDED"] / total < 0.50, shares
    assert 0.02 < shares["CHARGEBACK"] / total < 0.20, shares
    assert 0.02 < shares["PROTESTED"] / total < 0.20, shares  # still open
    assert set(shares) == {"COMPLETE", "REFUNDED", "CHARGEBACK", "PROTESTED"}
    lo, hi = DISPUTE_RESOLUTION_DAYS
    for d in pooled:
        assert 35 * DAY_MS <= d.opened - d.order <= 200 * DAY_MS
        if d.resolved is not None:
            assert lo * DAY_MS <= d.resolved - d.opened <= hi * DAY_MS
    won_late = [d.resolved - d.order for d in pooled if d.outcome == en.COMPLETE and d.resolved]
    assert max(won_late) > 150 * DAY_MS  # far beyond any lookback a tap would use


def test_only_card_like_completed_sales_are_disputed_and_the_resolution_is_final() -> None:
    acct = generate_account(SEED, 1, N_SALES, NOW)
    last: dict[int, tuple[int, int]] = {}
    for t, s, st in zip(acct.ev_t, acct.ev_sale, acct.ev_st, strict=True):
        last[s] = (t, st)
    for d in disputes(acct):
        assert en.SALE_PAYMENTS[acct.sales.pay[d.sale]][0] in en.CARD_LIKE
        assert 0 <= acct.sales.appr[d.sale] < d.opened
        # nothing is scheduled after the resolution (or after an open dispute)
        assert last[d.sale] == (d.resolved or d.opened, d.outcome)


def test_same_seed_same_resolutions_other_seed_other_ones() -> None:
    a = disputes(generate_account(SEED, 1, 3000, NOW))
    b = disputes(generate_account(SEED, 1, 3000, NOW))
    c = disputes(generate_account(SEED + 1, 1, 3000, NOW))
    assert a == b and a
    assert a != c


@pytest.fixture(scope="module")
def live() -> Iterator[EmulatorServer]:
    """An emulator these tests advance (module-scoped: the tests below run in order)."""
    with EmulatorServer(seed=SEED, accounts=1, sales=N_SALES, rate_limit=100_000) as emu:
        yield emu


def _acct(emu: EmulatorServer) -> Account:
    return emu.core.store.accounts["acct-1"].a


def _code(emu: EmulatorServer, sale: int) -> str:
    return emu.core.store.accounts["acct-1"].code(sale)


def _by_code(client: Client, code: str, **params: object) -> list[dict]:
    r = client.get(SALES, {"transaction": code, "max_results": 10, **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _status(client: Client, code: str) -> str:
    (item,) = _by_code(client, code)
    return item["purchase"]["status"]


def _refund_history(client: Client) -> set[str]:
    items = client.all_pages(SALES, [("transaction_status", s) for s in REFUND_STATUSES])
    return {i["purchase"]["transaction"] for i in items}


def _truth(emu: EmulatorServer) -> dict[str, str]:
    return {
        i["purchase"]["transaction"]: i["purchase"]["status"]
        for i in emu.ground_truth("acct-1", "sales")
    }


def test_resolutions_before_the_start_clock_are_already_applied(live: EmulatorServer) -> None:
    client = Client(live)
    now = live.now_ms
    seen = [d for d in disputes(_acct(live)) if d.opened <= now]
    assert len(seen) >= 20
    truth = _truth(live)
    done = [d for d in seen if d.resolved is not None and d.resolved <= now]
    assert {d.outcome for d in done} >= {en.COMPLETE, en.REFUNDED, en.CHARGEBACK}
    assert any(d.resolved is None for d in seen), "some disputes stay open"
    for d in seen:
        code = _code(live, d.sale)
        shown = d.outcome if d.resolved is not None and d.resolved <= now else en.PROTESTED
        assert truth[code] == en.TRANSACTION_STATUSES[shown]
    # A won dispute is back in COMPLETE: the refund-status filters no longer return it, the
    # transaction filter (which lifts the APPROVED/COMPLETE default) and the default do.
    refunds = _refund_history(client)
    for d in done:
        code = _code(live, d.sale)
        if d.outcome == en.COMPLETE:
            assert code not in refunds
            assert _status(client, code) == "COMPLETE"
            day = [("start_date", d.order), ("end_date", d.order), ("max_results", 500)]
            default = client.get(SALES, day).json()["items"]  # no status filter
            assert code in {i["purchase"]["transaction"] for i in default}
        else:
            assert code in refunds


def test_a_resolution_shows_only_once_the_clock_passes_it(live: EmulatorServer) -> None:
    client = Client(live)
    start = live.now_ms
    pending = sorted(
        (d for d in disputes(_acct(live)) if d.opened <= start < (d.resolved or 0)),
        key=lambda d: d.resolved or 0,
    )
    outcomes = {d.outcome for d in pending}
    assert en.COMPLETE in outcomes and outcomes & BUYER_WON, "pick a seed with both kinds"
    for d in pending:
        assert d.resolved is not None
        code = _code(live, d.sale)
        # just before: still disputed everywhere
        live.advance((d.resolved - 1000 - live.now_ms) / DAY_MS)
        assert live.now_ms < d.resolved
        assert _status(client, code) == "PROTESTED"
        assert _truth(live)[code] == "PROTESTED"
        assert code in _refund_history(client)
        # just after: resolved everywhere, and reported by advance
        changes = live.advance(2000 / DAY_MS)["status_changes"]
        assert live.now_ms > d.resolved
        after = en.TRANSACTION_STATUSES[d.outcome]
        assert {
            "account_id": "acct-1",
            "transaction": code,
            "from": "PROTESTED",
            "to": after,
            "order_date": d.order,
        } in changes
        assert _status(client, code) == after
        assert _truth(live)[code] == after
        if d.outcome == en.COMPLETE:
            assert code not in _refund_history(client)
            assert not _by_code(client, code, transaction_status="PROTESTED")
            assert _by_code(client, code, transaction_status="COMPLETE")
        else:
            assert code in _refund_history(client)


def test_inject_still_overrides_a_scheduled_resolution(live: EmulatorServer) -> None:
    now = live.now_ms
    d = min(
        (x for x in disputes(_acct(live)) if x.opened > now and x.resolved is not None),
        key=lambda x: x.opened,
    )
    assert d.resolved is not None
    if d.order >= now:  # make the sale visible first
        live.advance((d.order - now) / DAY_MS + 0.01)
    code = _code(live, d.sale)
    live.inject("acct-1", code, "CANCELLED")
    changes = live.advance((d.resolved - live.now_ms) / DAY_MS + 1)["status_changes"]
    assert live.now_ms > d.resolved
    assert code not in {c["transaction"] for c in changes}  # neither opened nor resolved
    assert _truth(live)[code] == "CANCELLED"
