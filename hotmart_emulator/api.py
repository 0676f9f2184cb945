"""The Hotmart REST endpoints: routing, parameter validation, filters and the traps.

Each handler gets the account's state and the parsed query (``{key: [values]}``, so
repeated keys such as ``transaction_status=A&transaction_status=B`` work) and returns the
JSON-ready body. Filtered index lists are cached in the store per query until the clock
moves, so paging through a large result costs one scan, then O(page) per page.

``max_query_rows`` stands in for Hotmart's 30-second query timeout: a date-filtered list
query matching more rows than that answers 502 on every page, as Hotmart does.
``max_range_days`` is Hotmart's limit on wide date ranges of the sales endpoints: a
``start_date``..``end_date`` range longer than that answers 400 (a public probe saw a
12-month range accepted and a 2-year range refused).
``status_filter`` says which values of a repeated ``transaction_status`` the sales endpoints
honour: all of them (``repeated``, the one source's word), or only the first (``first``).
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from itertools import compress
from typing import Any

from . import enums as en
from .data import DAY_MS
from .errors import ApiError
from .paging import Query, page_request, paginate
from .render import Renderer
from .store import AccountState, Store

Handler = Callable[[AccountState, Renderer, Query, dict[str, str]], Any]

SALES_PREFIX = "/payments/api/v1/sales"
SUBS_PREFIX = "/payments/api/v1/subscriptions"
PRODUCTS_PREFIX = "/products/api/v1"

QUERY_TIMEOUT_DESCRIPTION = (
    "The query took longer than 30 seconds and was cancelled. "
    "Narrow the date range of the request and try again."
)
#: The default ``max_range_days``: a year, leap day included (12 months were accepted).
DEFAULT_MAX_RANGE_DAYS = 366
#: Values of ``status_filter``: every value of a repeated ``transaction_status`` is honoured,
#: or only the first one.
STATUS_FILTERS = ("repeated", "first")


def range_too_wide_description(max_days: int) -> str:
    """The ``error_description`` of the 400 for a date range over ``max_days`` days."""
    return (
        f"The date range is too wide: the period between start_date and end_date "
        f"cannot exceed {max_days} days."
    )


@dataclass(frozen=True)
class Route:
    """A path template (used in statistics) bound to its handler."""

    template: str
    regex: re.Pattern[str]
    handler: Handler


def _param(query: Query, key: str) -> str | None:
    vals = query.get(key)
    return vals[-1] if vals and vals[-1] != "" else None


def _int_param(query: Query, key: str) -> int | None:
    raw = _param(query, key)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise ApiError(400, "invalid_parameter", f"{key} must be an integer") from exc


def _enum_values(query: Query, key: str, allowed: tuple[str, ...]) -> list[str]:
    """All values of a repeatable enum parameter; 400 invalid_parameter for unknown ones."""
    out = []
    for raw in query.get(key, []):
        for part in raw.split(","):
            v = part.strip()
            if not v:
                continue
            if v not in allowed:
                raise ApiError(400, "invalid_parameter", f"Invalid value '{v}' for parameter {key}")
            out.append(v)
    return out


def _filters(query: Query) -> tuple:
    """The query's filters (not its paging or field selection), as a cache key part."""
    ignored = ("max_results", "page_token", "select")
    return tuple(sorted((k, tuple(v)) for k, v in query.items() if k not in ignored))


def _bool_param(query: Query, key: str) -> bool | None:
    raw = _param(query, key)
    if raw is None:
        return None
    if raw.lower() not in ("true", "false"):
        raise ApiError(400, "invalid_parameter", f"{key} must be true or false")
    return raw.lower() == "true"


class Api:
    """All Hotmart endpoints the emulator serves."""

    def __init__(
        self,
        store: Store,
        default_page_size: int = 10,
        product_page_size: int = 50,
        subscriptions_default_days: int = 30,
        transactions_default_days: int = 30,
        *,
        max_query_rows: int | None = None,
        max_range_days: int | None = DEFAULT_MAX_RANGE_DAYS,
        status_filter: str = "repeated",
    ) -> None:
        if max_query_rows is not None and max_query_rows < 1:
            raise ValueError(f"max_query_rows must be positive or None, not {max_query_rows}")
        if max_range_days is not None and max_range_days < 1:
            raise ValueError(f"max_range_days must be positive or None, not {max_range_days}")
        if status_filter not in STATUS_FILTERS:
            raise ValueError(f"status_filter must be in {STATUS_FILTERS}, not {status_filter!r}")
        self.store = store
        self.status_filter = status_filter
        self.max_query_rows = max_query_rows
        self.max_range_days = max_range_days
        self.default_page_size = default_page_size
        self.product_page_size = product_page_size
        self.subs_default_days = subscriptions_default_days
        self.tx_default_days = transactions_default_days
        self.renderers = {k: Renderer(v) for k, v in store.accounts.items()}
        self._sub_sales: dict[str, array] = {}
        self._sub_codes: dict[str, dict[str, int]] = {}
        routes = [
            ("/payments/api/v1/sales/history", self.sales_history),
            ("/payments/api/v1/sales/summary", self.sales_summary),
            ("/payments/api/v1/sales/users", self.sales_users),
            ("/payments/api/v1/sales/commissions", self.sales_commissions),
            ("/payments/api/v1/sales/price/details", self.sales_price_details),
            ("/payments/api/v1/subscriptions", self.subscriptions),
            ("/payments/api/v1/subscriptions/summary", self.subscriptions_summary),
            ("/payments/api/v1/subscriptions/transactions", self.subscription_transactions),
            (
                "/payments/api/v1/subscriptions/{subscriber_code}/purchases",
                self.subscription_purchases,
            ),
            ("/products/api/v1/products", self.products),
            ("/products/api/v1/products/{ucode}/offers", self.product_offers),
            ("/products/api/v1/products/{ucode}/plans", self.product_plans),
            ("/products/api/v1/coupon/product/{product_id}", self.coupons),
        ]
        self.routes = [
            Route(t, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", t) + "/?$"), h)
            for t, h in routes
        ]

    def route(self, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route matching ``path`` and its path parameters, or None."""
        for r in self.routes:
            m = r.regex.match(path)
            if m:
                return r, m.groupdict()
        return None

    def call(self, route: Route, account_id: str, query: Query, params: dict[str, str]) -> Any:
        """Run a handler under the store lock (reads must not interleave with ``advance``)."""
        with self.store.lock:
            st = self.store.accounts[account_id]
            return route.handler(st, self.renderers[account_id], query, params)

    def _check_query_size(self, matched: int) -> None:
        """Answer 502 like Hotmart's query timeout when a query matches too many rows.

        Hotmart cancels a query that runs over 30 s and answers 502 ``internal_server_error``,
        on every page, because it re-runs the query per page. Its real cost model is
        unknown, so the rows the filters match (before paging) stand in for the time.
        """
        if self.max_query_rows is not None and matched > self.max_query_rows:
            raise ApiError(502, "internal_server_error", QUERY_TIMEOUT_DESCRIPTION)

    def _check_range(self, start: int | None, end: int | None) -> None:
        """Answer 400 like Hotmart to a sales date range wider than ``max_range_days``.

        Both bounds are inclusive milliseconds, so a range of exactly N days is
        ``end - start + 1 == N * DAY_MS``. A query with one bound only is not limited
        (how Hotmart treats it is unknown).
        """
        if self.max_range_days is None or start is None or end is None:
            return
        if end - start + 1 > self.max_range_days * DAY_MS:
            description = range_too_wide_description(self.max_range_days)
            raise ApiError(400, "invalid_parameter", description)

    # --- sales family ------------------------------------------------------------------
    def _sales_filter_key(self, st: AccountState, query: Query) -> tuple:
        return (
            "sales",
            st.a.account_id,
            _filters(query),
        )

    def _sales_indices(self, st: AccountState, rnd: Renderer, query: Query) -> array:
        """Sale indices matching the sales-family filters, in order-date order."""
        statuses = _enum_values(query, "transaction_status", en.TRANSACTION_STATUSES)
        if self.status_filter == "first":
            statuses = statuses[:1]  # the rest are validated, then ignored
        pay_types = _enum_values(query, "payment_type", en.PAYMENT_TYPES)
        commission_as = _enum_values(query, "commission_as", en.COMMISSION_AS)
        start = _int_param(query, "start_date")
        end = _int_param(query, "end_date")
        self._check_range(start, end)
        product_id = _int_param(query, "product_id")
        transaction = _param(query, "transaction")
        buyer_email = _param(query, "buyer_email")
        buyer_name = _param(query, "buyer_name")
        sales_source = _param(query, "sales_source")
        offer_code = _param(query, "offer_code")

        def compute() -> array:
            a = st.a
            s = a.sales
            order = s.order
            lo = 0 if start is None else bisect.bisect_left(order, start, 0, st.visible)
            hi = st.visible if end is None else bisect.bisect_right(order, end, 0, st.visible)
            # THE TRAP: without transaction/transaction_status only APPROVED and COMPLETE
            if statuses:
                allowed = {en.ST[x] for x in statuses}
            elif transaction is not None:
                allowed = set(range(len(en.TRANSACTION_STATUSES)))
            else:
                allowed = set(en.DEFAULT_SALES_STATUSES)
            if commission_as and "PRODUCER" not in commission_as:
                return array("I")  # every sale of this account is its own (as PRODUCER)
            if transaction is not None:
                i = st.sale_index(transaction)
                cand: list[int] | range = [i] if i is not None and lo <= i < hi else []
            else:
                cand = range(lo, hi)
            table = bytes(1 if c in allowed else 0 for c in range(256))
            if isinstance(cand, range):
                idx = array("I", compress(cand, st.cur[lo:hi].translate(table)))
            else:
                idx = array("I", [i for i in cand if table[st.cur[i]]])
            conds: list[Callable[[int], bool]] = []
            if product_id is not None:
                pidx = next((p.index for p in a.products if p.id == product_id), -1)
                conds.append(lambda i: s.prod[i] == pidx)
            if pay_types:
                codes = {k for k, p in enumerate(en.SALE_PAYMENTS) if p[0] in pay_types}
                conds.append(lambda i: s.pay[i] in codes)
            if sales_source is not None:
                srcs = {k for k, t in enumerate(en.TRACKING) if t[0] == sales_source}
                conds.append(lambda i: s.src[i] in srcs)
            if buyer_email is not None:
                conds.append(lambda i: rnd.buyer(s.buyer[i])["email"] == buyer_email)
            if buyer_name is not None:
                low = buyer_name.lower()
                conds.append(lambda i: low in rnd.buyer(s.buyer[i])["name"].lower())
            if offer_code is not None:
                conds.append(lambda i: rnd.offer_objs[s.prod[i]][s.offer[i]]["code"] == offer_code)
            if conds:
                idx = array("I", [i for i in idx if all(c(i) for c in conds)])
            return idx

        return self.store.cached(self._sales_filter_key(st, query), compute)  # type: ignore[return-value]

    def _sales_page(
        self, st: AccountState, rnd: Renderer, query: Query, render: Callable[[int], dict]
    ) -> dict:
        idx = self._sales_indices(st, rnd, query)
        self._check_query_size(len(idx))
        size, page = page_request(query, self.default_page_size)
        chunk, info = paginate(idx, size, page)
        return {"items": [render(i) for i in chunk], "page_info": info}

    def sales_history(self, st: AccountState, rnd: Renderer, query: Query, _p: dict) -> dict:
        now = self.store.now_ms
        return self._sales_page(st, rnd, query, lambda i: rnd.sale(i, now))

    def sales_users(self, st: AccountState, rnd: Renderer, query: Query, _p: dict) -> dict:
        return self._sales_page(st, rnd, query, rnd.participants)

    def sales_commissions(self, st: AccountState, rnd: Renderer, query: Query, _p: dict) -> dict:
        return self._sales_page(st, rnd, query, rnd.commissions)

    def sales_price_details(self, st: AccountState, rnd: Renderer, query: Query, _p: dict) -> dict:
        return self._sales_page(st, rnd, query, rnd.price_details)

    def sales_summary(self, st: AccountState, rnd: Renderer, query: Query, _p: dict) -> dict:
        idx = self._sales_indices(st, rnd, query)
        self._check_query_size(len(idx))

        def compute() -> list[dict]:
            totals: dict[str, list[int]] = {}
            for i in idx:
                m = rnd.money(i)[0]
                t = totals.setdefault(m.currency, [0, 0])
                t[0] += 1
                t[1] += m.price
            return [
                {"total_items": n, "total_value": {"value": cents / 100, "currency_code": cur}}
                for cur, (n, cents) in sorted(totals.items())
            ]

        items = self.store.cached(("summary", self._sales_filter_key(st, query)), compute)
        size, page = page_request(query, self.default_page_size)
        chunk, info = paginate(items, size, page)  # type: ignore[arg-type]
        return {"items": list(chunk), "page_info": info}

    # --- subscriptions -----------------------------------------------------------------
    def _sub_code_index(self, st: AccountState, rnd: Renderer) -> dict[str, int]:
        acct = st.a.account_id
        if acct not in self._sub_codes:
            self._sub_codes[acct] = {rnd._sub_common(si)[2]: si for si in range(len(st.a.subs))}
        return self._sub_codes[acct]

    def _subs_indices(
        self, st: AccountState, rnd: Renderer, query: Query, default_window: bool
    ) -> list[int]:
        statuses = _enum_values(query, "status", en.SUBSCRIPTION_STATUSES)
        start = _int_param(query, "accession_date")
        end = _int_param(query, "end_accession_date")
        c_start = _int_param(query, "cancelation_date")
        c_end = _int_param(query, "end_cancelation_date")
        product_id = _int_param(query, "product_id")
        plan_id = _int_param(query, "plan_id")
        plans = query.get("plan", [])
        sub_code = _param(query, "subscriber_code")
        email = _param(query, "subscriber_email")
        transaction = _param(query, "transaction")
        trial = _bool_param(query, "trial")
        now = self.store.now_ms
        if start is None and default_window:
            # THE TRAP: without accession_date only the last 30 days of accession
            start = now - self.subs_default_days * DAY_MS

        def compute() -> list[int]:
            subs = st.a.subs
            lo = 0 if start is None else bisect.bisect_left(subs.start, start, 0, st.subs_visible)
            hi = (
                st.subs_visible
                if end is None
                else bisect.bisect_right(subs.start, end, 0, st.subs_visible)
            )
            cand: range | list[int] = range(lo, hi)
            if sub_code is not None:
                si = self._sub_code_index(st, rnd).get(sub_code)
                cand = [si] if si is not None and lo <= si < hi else []
            out = []
            for si in cand:
                p = st.a.products[subs.prod[si]]
                plan = p.plans[subs.plan_at(si, now)]  # filters see the current plan
                if product_id is not None and p.id != product_id:
                    continue
                if plan_id is not None and plan.id != plan_id:
                    continue
                if plans and plan.name not in plans:
                    continue
                if trial is not None and (plan.trial_days > 0) != trial:
                    continue
                if email is not None and rnd.buyer(subs.buyer[si])["email"] != email:
                    continue
                if transaction is not None and st.code(subs.sales_of(si)[0]) != transaction:
                    continue
                if statuses or c_start is not None or c_end is not None:
                    status, end_acc, _n, _v = st.sub_state(si, now)
                    if statuses and status not in statuses:
                        continue
                    if c_start is not None and (end_acc is None or end_acc < c_start):
                        continue
                    if c_end is not None and (end_acc is None or end_acc > c_end):
                        continue
                out.append(si)
            return out

        key = (
            "subs",
            default_window,
            st.a.account_id,
            start,
            _filters(query),
        )
        return self.store.cached(key, compute)  # type: ignore[return-value]

    def subscriptions(self, st: AccountState, rnd: Renderer, query: Query, _p: dict) -> dict:
        idx = self._subs_indices(st, rnd, query, default_window=True)
        self._check_query_size(len(idx))
        size, page = page_request(query, self.default_page_size)
        chunk, info = paginate(idx, size, page)
        now = self.store.now_ms
        return {"items": [rnd.subscription(si, now) for si in chunk], "page_info": info}

    def subscriptions_summary(
        self, st: AccountState, rnd: Renderer, query: Query, _p: dict
    ) -> dict:
        idx = self._subs_indices(st, rnd, query, default_window=False)
        size, page = page_request(query, self.default_page_size)
        chunk, info = paginate(idx, size, page, with_total=False)
        now = self.store.now_ms
        return {"items": [rnd.subscription_summary(si, now) for si in chunk], "page_info": info}

    def _all_sub_sales(self, st: AccountState) -> array:
        acct = st.a.account_id
        if acct not in self._sub_sales:
            self._sub_sales[acct] = array("I", [i for i, x in enumerate(st.a.sales.sub) if x >= 0])
        return self._sub_sales[acct]

    def subscription_transactions(
        self, st: AccountState, rnd: Renderer, query: Query, _p: dict
    ) -> dict:
        purchase_statuses = _enum_values(query, "purchase_status", en.TRANSACTION_STATUSES)
        sub_statuses = _enum_values(query, "subscription_status", en.SUBSCRIPTION_TX_STATUSES)
        rec_statuses = _enum_values(query, "recurrency_status", en.RECURRENCY_STATUSES)
        _enum_values(query, "billing_type", en.BILLING_TYPES)
        _enum_values(query, "purchase_payment_type", en.PAYMENT_TYPES)
        start = _int_param(query, "transaction_date")
        end = _int_param(query, "end_transaction_date")
        product_id = _int_param(query, "product_id")
        sub_code = _param(query, "subscriber_code")
        email = _param(query, "subscriber_email")
        transaction = _param(query, "transaction")
        now = self.store.now_ms
        if start is None:
            # THE TRAP: without transaction_date only the last 30 days
            start = now - self.tx_default_days * DAY_MS

        def compute() -> list[int]:
            order = st.a.sales.order
            all_sub = self._all_sub_sales(st)
            lo = bisect.bisect_left(all_sub, start, key=order.__getitem__)
            hi = bisect.bisect_right(all_sub, st.visible - 1)
            if end is not None:
                hi = min(hi, bisect.bisect_right(all_sub, end, key=order.__getitem__))
            out = []
            codes = self._sub_code_index(st, rnd) if sub_code is not None else {}
            want_si = codes.get(sub_code, -2) if sub_code is not None else None
            for k in range(lo, hi):
                i = all_sub[k]
                si = st.a.sales.sub[i]
                if want_si is not None and si != want_si:
                    continue
                if transaction is not None and st.code(i) != transaction:
                    continue
                if product_id is not None and st.a.products[st.a.sales.prod[i]].id != product_id:
                    continue
                if (
                    purchase_statuses
                    and en.TRANSACTION_STATUSES[st.cur[i]] not in purchase_statuses
                ):
                    continue
                if email is not None and rnd.buyer(st.a.sales.buyer[i])["email"] != email:
                    continue
                if sub_statuses or rec_statuses:
                    item = rnd.subscription_transaction(i, now)
                    if (
                        sub_statuses
                        and item["status"] not in sub_statuses
                        and not ("CANCELLED" in sub_statuses and item["status"].startswith("CANC"))
                    ):
                        continue
                    if rec_statuses and item["recurrency"]["status"] not in rec_statuses:
                        continue
                out.append(i)
            return out

        key = (
            "subtx",
            st.a.account_id,
            start,
            _filters(query),
        )
        idx: list[int] = self.store.cached(key, compute)  # type: ignore[assignment]
        self._check_query_size(len(idx))
        size, page = page_request(query, self.default_page_size)
        chunk, info = paginate(idx, size, page)
        return {"items": [rnd.subscription_transaction(i, now) for i in chunk], "page_info": info}

    def subscription_purchases(
        self, st: AccountState, rnd: Renderer, query: Query, params: dict
    ) -> list:
        si = self._sub_code_index(st, rnd).get(params["subscriber_code"])
        if si is None or si >= st.subs_visible:
            raise ApiError(404, "not_found", "Subscription not found")
        now = self.store.now_ms
        return [rnd.subscription_purchase(i, now) for i in st.a.subs.sales_of(si) if i < st.visible]

    # --- products ----------------------------------------------------------------------
    def products(self, st: AccountState, rnd: Renderer, query: Query, _p: dict) -> dict:
        statuses = _enum_values(query, "status", en.PRODUCT_STATUSES)
        formats = _enum_values(query, "format", en.PRODUCT_FORMATS)
        pid = _int_param(query, "id")
        rows = [
            p
            for p in st.a.products
            if (pid is None or p.id == pid)
            and (not statuses or p.status in statuses)
            and (not formats or p.format in formats)
        ]
        size, page = page_request(query, self.product_page_size)
        chunk, info = paginate(rows, size, page, with_total=False)
        return {"items": [rnd.product_item(p) for p in chunk], "page_info": info}

    def _product_by_ucode(self, st: AccountState, ucode: str):
        for p in st.a.products:
            if p.ucode == ucode:
                return p
        raise ApiError(404, "not_found", f"Product {ucode} not found")

    def product_offers(self, st: AccountState, rnd: Renderer, query: Query, params: dict) -> dict:
        p = self._product_by_ucode(st, params["ucode"])
        size, page = page_request(query, self.product_page_size)
        chunk, info = paginate(rnd.offer_items(p), size, page, with_total=False)
        return {"items": list(chunk), "page_info": info}

    def product_plans(self, st: AccountState, rnd: Renderer, query: Query, params: dict) -> dict:
        p = self._product_by_ucode(st, params["ucode"])
        if not p.plans:
            # real quirk: a product without plans is a 400, not an empty list
            raise ApiError(400, "invalid_parameter", "Product does not have plans")
        size, page = page_request(query, self.product_page_size)
        chunk, info = paginate(rnd.plan_items(p), size, page, with_total=False)
        return {"items": list(chunk), "page_info": info}

    def coupons(self, st: AccountState, rnd: Renderer, query: Query, params: dict) -> dict:
        try:
            pid = int(params["product_id"])
        except ValueError as exc:
            raise ApiError(400, "invalid_parameter", "product_id must be an integer") from exc
        p = next((p for p in st.a.products if p.id == pid), None)
        if p is None:
            raise ApiError(404, "not_found", f"Product {pid} not found")
        code = _param(query, "code")
        rows = [c for c in rnd.coupon_items(p) if code is None or c["coupon_code"] == code]
        size, page = page_request(query, self.product_page_size)
        chunk, info = paginate(rows, size, page, with_total=False)
        return {"items": list(chunk), "page_info": info}
