"""The control API under ``/_emulator/`` and the ground truth it exposes.

Ground truth is every entity of an account in its latest state, rendered exactly as the API
renders it (no faults, no date windows, no status filter), so a test can compare what a
client extracted with what exists.
"""

from __future__ import annotations

import json
from typing import Any

from . import enums as en
from .api import Api
from .errors import ApiError

ENTITIES = (
    "sales",
    "sale_participants",
    "sale_commissions",
    "sale_price_details",
    "subscriptions",
    "subscription_transactions",
    "products",
    "product_offers",
    "product_plans",
    "coupons",
    "sales_summary",
)


def ground_truth(api: Api, account_id: str, entity: str) -> Any:
    """``{"items": [...]}`` for an entity, or the ``sales_summary`` body."""
    store = api.store
    if entity not in ENTITIES:
        raise ApiError(404, "not_found", f"unknown entity {entity!r}; one of {ENTITIES}")
    with store.lock:
        st = store.accounts.get(account_id)
        if st is None:
            raise ApiError(404, "not_found", f"unknown account {account_id!r}")
        r = api.renderers[account_id]
        now = store.now_ms
        sales = range(st.visible)
        if entity == "sales_summary":
            by_status: dict[str, dict] = {}
            for i in sales:
                m = r.money(i)[0]
                b = by_status.setdefault(
                    en.TRANSACTION_STATUSES[st.cur[i]], {"count": 0, "amount": {}}
                )
                b["count"] += 1
                b["amount"][m.currency] = b["amount"].get(m.currency, 0) + m.price
            for b in by_status.values():
                b["amount"] = {
                    c: f"{v // 100}.{v % 100:02d}" for c, v in sorted(b["amount"].items())
                }
            return {"by_status": by_status}
        items: list[dict]
        if entity == "sales":
            items = [r.sale(i, now) for i in sales]
        elif entity == "sale_participants":
            items = [r.participants(i) for i in sales]
        elif entity == "sale_commissions":
            items = [r.commissions(i) for i in sales]
        elif entity == "sale_price_details":
            items = [r.price_details(i) for i in sales]
        elif entity == "subscriptions":
            items = [r.subscription(si, now) for si in range(st.subs_visible)]
        elif entity == "subscription_transactions":
            items = [r.subscription_transaction(i, now) for i in sales if st.a.sales.sub[i] >= 0]
        elif entity == "products":
            items = [r.product_item(p) for p in st.a.products]
        elif entity == "product_offers":
            items = [
                {**o, "product_ucode": p.ucode} for p in st.a.products for o in r.offer_items(p)
            ]
        elif entity == "product_plans":
            items = [
                {**o, "product_ucode": p.ucode} for p in st.a.products for o in r.plan_items(p)
            ]
        else:  # coupons
            items = [{**c, "product_id": p.id} for p in st.a.products for c in r.coupon_items(p)]
        return {"items": items}


def handle(
    emu: Any, method: str, path: str, query: dict[str, list[str]], body: bytes
) -> tuple[int, Any]:
    """Dispatch one control request; ``emu`` is the server core. Returns (status, body)."""
    parts = [p for p in path.split("/") if p][1:]  # drop "_emulator"
    store = emu.store
    route = "/".join(parts[:1])
    if method == "GET" and route == "health":
        return 200, {"status": "ok", "now": store.now_ms}
    if method == "GET" and route == "accounts":
        return 200, {"accounts": emu.accounts()}
    if method == "POST" and route == "advance":
        try:
            days = float((query.get("days") or ["1"])[-1])
            return 200, store.advance(days)
        except ValueError as exc:
            raise ApiError(400, "invalid_parameter", str(exc)) from exc
    if method == "POST" and route == "inject":
        try:
            req = json.loads(body or b"{}")
            missing = [k for k in ("account_id", "transaction", "status") if k not in req]
            if missing:
                raise ValueError(f"missing fields {missing}")
            return 200, store.inject(req["account_id"], req["transaction"], req["status"])
        except (ValueError, TypeError) as exc:
            raise ApiError(400, "invalid_parameter", str(exc)) from exc
        except KeyError as exc:
            raise ApiError(404, "not_found", f"unknown account or transaction {exc}") from exc
    if method == "GET" and route == "ground_truth" and len(parts) == 3:
        return 200, ground_truth(emu.api, parts[1], parts[2])
    if route == "stats" and len(parts) == 1 and method == "GET":
        return 200, emu.stats.snapshot()
    if route == "stats" and parts[1:] == ["reset"] and method == "POST":
        emu.stats.reset()
        return 200, {"status": "ok"}
    raise ApiError(404, "not_found", f"no control endpoint {method} {path}")
