"""Runtime state over the generated timelines: the clock, current statuses, injections.

``generate_account`` decides the whole future; this module keeps "where we are": the clock
(moved only by :meth:`Store.advance`), each sale's current status (one byte per sale),
the time of its last change, and the changes injected through the control API. Queries are
answered from here; derived per-query index lists are cached until the clock moves.
"""

from __future__ import annotations

import bisect
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Hashable

from . import enums as en
from .data import (
    DAY_MS,
    SUB_BY_ADMIN,
    SUB_BY_CUSTOMER,
    SUB_BY_SELLER,
    Account,
    generate_account,
)
from .ids import parse_transaction, transaction_code

_CANCEL_STATUS = {
    SUB_BY_CUSTOMER: "CANCELLED_BY_CUSTOMER",
    SUB_BY_SELLER: "CANCELLED_BY_SELLER",
    SUB_BY_ADMIN: "CANCELLED_BY_ADMIN",
}


class AccountState:
    """One account's generated data plus its state at the current clock."""

    def __init__(self, account: Account, now_ms: int) -> None:
        self.a = account
        s = account.sales
        self.cur = bytearray(s.st0)
        self.last_change = array("q", s.order)
        self.approved_override: dict[int, int] = {}
        self.overridden: set[int] = set()
        self.ev_pos = 0
        self.visible = 0
        self.subs_visible = 0
        self.move_to(now_ms)

    def move_to(self, now_ms: int) -> list[tuple[int, int, int, int]]:
        """Apply every scheduled change up to ``now_ms``; return (sale, from, to, time)."""
        a = self.a
        end = bisect.bisect_right(a.ev_t, now_ms)
        changes = []
        cur = self.cur
        for e in range(self.ev_pos, end):
            sale = a.ev_sale[e]
            if sale in self.overridden:
                continue
            to = a.ev_st[e]
            changes.append((sale, cur[sale], to, a.ev_t[e]))
            cur[sale] = to
            self.last_change[sale] = a.ev_t[e]
        self.ev_pos = end
        self.visible = bisect.bisect_right(a.sales.order, now_ms)
        self.subs_visible = bisect.bisect_right(a.subs.start, now_ms)
        return changes

    def approved_date(self, sale: int, now_ms: int) -> int | None:
        """When the sale was approved, if it has been by ``now_ms``."""
        t = self.approved_override.get(sale)
        if t is not None:
            return t
        t = self.a.sales.appr[sale]
        return t if 0 <= t <= now_ms else None

    def sale_index(self, code: str) -> int | None:
        """The sale index of a visible transaction code of this account, else None."""
        parsed = parse_transaction(code)
        if parsed is None or parsed[0] != self.a.number or parsed[1] >= self.visible:
            return None
        return parsed[1]

    def code(self, sale: int) -> str:
        """The transaction code (``HP…``) of a sale."""
        return transaction_code(self.a.number, sale)

    def sub_state(self, si: int, now_ms: int) -> tuple[str, int | None, int | None, int]:
        """(status, end_accession_date, date_next_charge, visible recurrences) at ``now_ms``."""
        subs = self.a.subs
        sales = subs.sales_of(si)
        order = self.a.sales.order
        n_vis = bisect.bisect_right(sales, self.visible - 1) if sales else 0
        plan = self.a.products[subs.prod[si]].plans[subs.plan[si]]
        period = plan.period_days * DAY_MS
        first_charge = subs.start[si] + plan.trial_days * DAY_MS
        next_charge = first_charge + n_vis * period
        kind = subs.end_kind[si]
        cancel = subs.cancel[si]
        if n_vis == 0:
            return "ACTIVE", None, first_charge, 0
        first = self.cur[sales[0]]
        if first in en.PENDING_STATUSES:
            return "STARTED", None, None, n_vis
        if first in en.FAILED_STATUSES:
            return "INACTIVE", None, None, n_vis
        if cancel and cancel <= now_ms and kind in _CANCEL_STATUS:
            return _CANCEL_STATUS[kind], cancel, order[sales[n_vis - 1]] + period, n_vis
        if self.cur[sales[n_vis - 1]] == en.OVERDUE:
            return "DELAYED", None, next_charge, n_vis
        return "ACTIVE", None, next_charge, n_vis


class Store:
    """All accounts, the shared clock and a small cache of query results."""

    def __init__(
        self, seed: int, accounts: int, sales: int, now_ms: int, history_days: int = 1095
    ) -> None:
        self.seed = seed
        self.now_ms = now_ms
        self.history_days = history_days
        self.history_start_ms = now_ms - history_days * DAY_MS
        self.lock = threading.RLock()
        self.version = 0
        self.accounts: dict[str, AccountState] = {}
        for n in range(1, accounts + 1):
            acct = generate_account(seed, n, sales, now_ms, history_days)
            self.accounts[acct.account_id] = AccountState(acct, now_ms)
        self._cache: OrderedDict[Hashable, object] = OrderedDict()

    def cached(self, key: Hashable, compute: Callable[[], object]) -> object:
        """Memoise ``compute()`` under ``key`` until the clock or a status changes."""
        with self.lock:
            full = (self.version, key)
            hit = self._cache.get(full)
            if hit is not None:
                self._cache.move_to_end(full)
                return hit
            value = compute()
            self._cache[full] = value
            while len(self._cache) > 64:
                self._cache.popitem(last=False)
            return value

    def _bump(self) -> None:
        self.version += 1
        self._cache.clear()

    def advance(self, days: float) -> dict:
        """Move the clock ``days`` forward, revealing new sales and scheduled changes."""
        if days < 0:
            raise ValueError("the clock only moves forward")
        with self.lock:
            new_now = self.now_ms + int(days * DAY_MS)
            new_sales = 0
            changes = []
            for acct_id, st in self.accounts.items():
                before = st.visible
                for sale, frm, to, _t in st.move_to(new_now):
                    changes.append(
                        {
                            "account_id": acct_id,
                            "transaction": st.code(sale),
                            "from": en.TRANSACTION_STATUSES[frm],
                            "to": en.TRANSACTION_STATUSES[to],
                            "order_date": st.a.sales.order[sale],
                        }
                    )
                new_sales += st.visible - before
            self.now_ms = new_now
            self._bump()
            return {"now": new_now, "new_sales": new_sales, "status_changes": changes}

    def inject(self, account_id: str, transaction: str, status: str) -> dict:
        """Change one sale's status at the current clock; later scheduled changes are dropped.

        Raises ``KeyError`` for an unknown account/transaction, ``ValueError`` for an
        unknown status.
        """
        if status not in en.ST:
            raise ValueError(f"unknown status {status!r}")
        with self.lock:
            st = self.accounts[account_id]
            sale = st.sale_index(transaction)
            if sale is None:
                raise KeyError(transaction)
            to = en.ST[status]
            frm = st.cur[sale]
            st.cur[sale] = to
            st.last_change[sale] = self.now_ms
            st.overridden.add(sale)
            if to in en.PAID_STATUSES and st.approved_date(sale, self.now_ms) is None:
                st.approved_override[sale] = self.now_ms
            self._bump()
            return {
                "account_id": account_id,
                "transaction": transaction,
                "from": en.TRANSACTION_STATUSES[frm],
                "to": status,
                "order_date": st.a.sales.order[sale],
            }
