"""Render stored sales, subscriptions and products as Hotmart API items.

Amounts are integer cents internally and leave as ``cents / 100``: a correctly rounded
float whose shortest representation (what msgspec writes) is the 2-place decimal, e.g.
``197.9``, never ``197.89999``. Sub-objects that never change (product, producer, offer)
are built once per account and shared between items.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import enums as en
from .data import DAY_MS, NO_COUPON, PERIODICITY, Account, Product
from .ids import (
    CITIES,
    digits_of,
    email_for,
    mix,
    mix_more,
    person_fast,
    person_name,
    subscriber_code,
    uuid_fast,
    uuid_from,
)
from .store import AccountState

FEE_PERCENT_TENTHS = 99  # Hotmart's fee: 9.9 % ...
FEE_FIXED_BRL_CENTS = 100  # ... plus R$ 1.00, converted to the sale currency
_CURRENCY_COUNTRY = {
    "BRL": (0, 7),
    "USD": (11, 12),
    "EUR": (7, 8),
    "MXN": (8, 9),
    "COP": (9, 10),
    "ARS": (10, 11),
    "CLP": (10, 11),
    "PEN": (10, 11),
}
_LOCALE = {
    "BRL": "pt_BR",
    "USD": "en_US",
    "EUR": "pt_PT",
    "MXN": "es_MX",
    "COP": "es_CO",
    "ARS": "es_AR",
    "CLP": "es_CL",
    "PEN": "es_PE",
}


def money(cents: int) -> float:
    """An exact 2-place amount as the JSON number Hotmart sends."""
    return cents / 100


def convert(brl_cents: int, currency: int) -> int:
    """Convert BRL cents to the currency's cents with the fixed emulator rate."""
    return (brl_cents * en.CURRENCIES[currency][1] + 500_000) // 1_000_000


def brl_rate(currency: int) -> float:
    """BRL per unit of the currency (4 places), Hotmart's ``real_conversion_rate``."""
    return round(1_000_000 / en.CURRENCIES[currency][1], 4)


@dataclass(frozen=True)
class Money:
    """All amounts of one sale in its currency (cents). Invariants:
    ``list_price - coupon == price``, ``base + vat == price``,
    ``fee_fixed + fee_variable == fee``, ``producer + coproducer + affiliate == price - fee``.
    """

    currency: str
    list_price: int
    coupon: int
    price: int
    vat: int
    base: int
    fee: int
    fee_fixed: int
    fee_variable: int
    producer: int
    coproducer: int
    affiliate: int


def sale_money(acct: Account, sale: int) -> Money:
    """Compute a sale's amounts from its offer/plan, coupon, currency and partners."""
    s = acct.sales
    p = acct.products[s.prod[sale]]
    cur = acct.buyer_currency[s.buyer[sale]]
    code, _rate, _share, vat_pct = en.CURRENCIES[cur]
    brl = (
        p.plans[s.offer[sale]].price_cents
        if p.is_subscription
        else p.offers[s.offer[sale]].price_cents
    )
    list_price = convert(brl, cur)
    c = s.coupon[sale]
    coupon = list_price * p.coupons[c].discount_pct // 100 if c != NO_COUPON else 0
    price = list_price - coupon
    vat = price * vat_pct // (100 + vat_pct)
    fee_fixed = convert(FEE_FIXED_BRL_CENTS, cur)
    fee_var = (price * FEE_PERCENT_TENTHS + 500) // 1000
    fee = fee_fixed + fee_var
    net = price - fee
    aff = net * p.affiliate_pct // 100 if s.aff[sale] else 0
    cop = (net - aff) * p.coproducer_pct // 100 if p.coproducer >= 0 else 0
    return Money(
        code,
        list_price,
        coupon,
        price,
        vat,
        price - vat,
        fee,
        fee_fixed,
        fee_var,
        net - aff - cop,
        cop,
        aff,
    )


class Renderer:
    """Builds API items for one account. Shared sub-objects are cached per account."""

    def __init__(self, state: AccountState) -> None:
        self.st = state
        a = state.a
        self.a = a
        self.producer = {"name": a.producer_name, "ucode": a.producer_ucode}
        self.prod_small = [{"id": p.id, "name": p.name} for p in a.products]
        self.offer_objs = [
            [{"payment_mode": "SUBSCRIPTION", "code": pl.code} for pl in p.plans]
            if p.is_subscription
            else [{"payment_mode": o.payment_mode, "code": o.code} for o in p.offers]
            for p in a.products
        ]
        self.buyer = lru_cache(maxsize=65536)(self._buyer)
        #: The name and ucode salts of participants by kind (`_user`).
        self._person_salts = {kind: mix(a.seed, a.number, kind) for kind in range(1, 5)}
        # People of `/sales/users` items, up to four per item, each a dozen hashes: cached,
        # a page costs the emulator 9 ms of CPU over HTTP instead of 35 (docs/emulator.md).
        # Items share these dicts; nothing mutates a rendered item (faults copy on write).
        self.user = lru_cache(maxsize=65536)(self._user)
        first, _, last = a.producer_name.partition(" ")
        self.producer_user = {
            **self._user(4, 0),
            "name": a.producer_name,
            "ucode": a.producer_ucode,
            "email": email_for(first, last, a.number, "producer.example.com"),
        }
        self._ext_salt = mix(a.seed, a.number, 9)
        self._buyer_salt = mix(a.seed, a.number, 1)
        self._money: dict[tuple[int, int, int, int, bool], tuple[Money, dict, dict]] = {}
        self._payment: dict[tuple[int, int], dict] = {}

    def money(self, i: int) -> tuple[Money, dict, dict]:
        """(amounts, price object, hotmart_fee object) of a sale, shared between sales with
        the same product, offer, coupon, currency and affiliate presence (a few hundred)."""
        s = self.a.sales
        key = (s.prod[i], s.offer[i], s.coupon[i], self.a.buyer_currency[s.buyer[i]], s.aff[i] > 0)
        hit = self._money.get(key)
        if hit is None:
            m = sale_money(self.a, i)
            hit = (
                m,
                {"value": m.price / 100, "currency_code": m.currency},
                {
                    "total": m.fee / 100,
                    "fixed": m.fee_fixed / 100,
                    "currency_code": m.currency,
                    "base": m.fee_variable / 100,
                    "percentage": FEE_PERCENT_TENTHS / 10,
                },
            )
            self._money[key] = hit
        return hit

    # --- people ---------------------------------------------------------------------
    def _buyer(self, b: int) -> dict:
        first, last = person_fast(self._buyer_salt, b)
        return {
            "name": f"{first} {last}",
            "ucode": uuid_fast(self._buyer_salt, b),
            "email": email_for(first, last, b),
        }

    def _user(self, kind: int, idx: int, currency: int = 0) -> dict:
        a = self.a
        salt = self._person_salts[kind]
        first, last = person_fast(salt, idx)
        code = en.CURRENCIES[currency][0]
        lo, hi = _CURRENCY_COUNTRY[code]
        h = mix(a.seed, kind, idx)  # each field below hashes on from this common prefix
        city, state, country = CITIES[lo + h % (hi - lo)]
        docs = (
            [{"value": digits_of(11, mix_more(h, 5)), "type": "CPF"}]
            if code == "BRL"
            else [{"value": digits_of(9, mix_more(h, 5)), "type": "DOCUMENT"}]
        )
        return {
            "ucode": uuid_fast(salt, idx),
            "locale": _LOCALE[code],
            "name": f"{first} {last}",
            "trade_name": None,
            "cellphone": digits_of(11, mix_more(h, 1)),
            "phone": digits_of(10, mix_more(h, 2)),
            "email": email_for(first, last, idx),
            "documents": docs,
            "address": {
                "city": city,
                "state": state,
                "country": country,
                "zip_code": digits_of(8, mix_more(h, 3)),
                "address": f"Rua {last}",
                "complement": "",
                "neighborhood": "Centro",
                "number": str(1 + mix_more(h, 4) % 2000),
            },
        }

    def _partner(self, kind: int, idx: int) -> dict:
        first, last = person_name(self.a.seed, self.a.number, kind, idx)
        return {
            "ucode": uuid_from(self.a.seed, self.a.number, kind, idx),
            "name": f"{first} {last}",
        }

    def product(self, sale: int) -> Product:
        return self.a.products[self.a.sales.prod[sale]]

    # --- sales family ---------------------------------------------------------------
    def sale(self, i: int, now_ms: int) -> dict:
        """A ``/sales/history`` item (the hot path of a tap: kept to one dict literal)."""
        a = self.a
        s = a.sales
        st = self.st
        p = a.products[s.prod[i]]
        _m, price_obj, fee_obj = self.money(i)
        src, sck, _w2 = en.TRACKING[s.src[i]]
        order = s.order[i]
        approved = st.approved_override.get(i)
        if approved is None:
            approved = s.appr[i]
            if approved < 0 or approved > now_ms:
                approved = None
        pkey = (s.pay[i], s.inst[i])
        payment = self._payment.get(pkey)
        if payment is None:
            pay_type, method, _w = en.SALE_PAYMENTS[pkey[0]]
            payment = {"method": method, "installments_number": pkey[1], "type": pay_type}
            self._payment[pkey] = payment
        rec = s.rec[i]
        num = a.number
        purchase = {
            "transaction": f"HP{num:02d}{i:010d}{(i * 7 + num * 13) % 97:02d}",
            "order_date": order,
            "approved_date": approved,
            "status": en.TRANSACTION_STATUSES[st.cur[i]],
            "recurrency_number": rec,
            "is_subscription": rec > 0,
            "commission_as": "PRODUCER",
            "price": price_obj,
            "payment": payment,
            "tracking": {
                "source_sck": sck,
                "source": src,
                "external_code": uuid_fast(self._ext_salt, i).upper(),
            },
            "warranty_expire_date": (approved or order) + p.warranty_days * DAY_MS,
            "offer": self.offer_objs[p.index][s.offer[i]],
            "hotmart_fee": fee_obj,
        }
        if approved is None:
            del purchase["approved_date"]
        if not rec:
            del purchase["recurrency_number"]
        return {
            "product": self.prod_small[p.index],
            "buyer": self.buyer(s.buyer[i]),
            "producer": self.producer,
            "purchase": purchase,
        }

    def participants(self, i: int) -> dict:
        """A ``/sales/users`` item: producer, buyer and partners of the sale."""
        a = self.a
        s = a.sales
        p = a.products[s.prod[i]]
        b = s.buyer[i]
        users: list[dict[str, Any]] = [
            {"role": "PRODUCER", "user": self.producer_user},
            {"role": "BUYER", "user": self.user(1, b, a.buyer_currency[b])},
        ]
        if p.coproducer >= 0:
            users.append({"role": "COPRODUCER", "user": self.user(3, p.coproducer)})
        if s.aff[i]:
            users.append({"role": "AFFILIATE", "user": self.user(2, s.aff[i] - 1)})
        return {"transaction": self.st.code(i), "product": self.prod_small[p.index], "users": users}

    def commissions(self, i: int) -> dict:
        """A ``/sales/commissions`` item; the shares add up to price minus Hotmart's fee."""
        a = self.a
        s = a.sales
        p = a.products[s.prod[i]]
        m = self.money(i)[0]
        rows = [
            {
                "commission": {"currency_value": m.currency, "value": m.producer / 100},
                "user": self.producer,
                "source": "PRODUCER",
            }
        ]
        if p.coproducer >= 0:
            rows.append(
                {
                    "commission": {"currency_value": m.currency, "value": m.coproducer / 100},
                    "user": self._partner(3, p.coproducer),
                    "source": "COPRODUCER",
                }
            )
        if s.aff[i]:
            rows.append(
                {
                    "commission": {"currency_value": m.currency, "value": m.affiliate / 100},
                    "user": self._partner(2, s.aff[i] - 1),
                    "source": "AFFILIATE",
                }
            )
        return {
            "transaction": self.st.code(i),
            "product": self.prod_small[p.index],
            "exchange_rate_currency_payout": brl_rate(a.buyer_currency[s.buyer[i]]),
            "commissions": rows,
        }

    def price_details(self, i: int) -> dict:
        """A ``/sales/price/details`` item: ``total`` is the sale price (= base + vat)."""
        a = self.a
        s = a.sales
        p = a.products[s.prod[i]]
        m = self.money(i)[0]
        c = s.coupon[i]
        item = {
            "transaction": self.st.code(i),
            "product": self.prod_small[p.index],
            "base": {"value": m.base / 100, "currency_code": m.currency},
            "total": {"value": m.price / 100, "currency_code": m.currency},
            "vat": {"value": m.vat / 100, "currency_code": m.currency},
            "fee": {"value": m.fee / 100, "currency_code": m.currency},
        }
        if c != NO_COUPON:
            item["coupon"] = {"code": p.coupons[c].code, "value": m.coupon / 100}
        item["real_conversion_rate"] = brl_rate(a.buyer_currency[s.buyer[i]])
        return item

    # --- subscriptions ---------------------------------------------------------------
    def _sub_common(self, si: int) -> tuple[Product, dict, str]:
        a = self.a
        subs = a.subs
        p = a.products[subs.prod[si]]
        b = subs.buyer[si]
        return p, self.buyer(b), subscriber_code(a.seed, a.number, 20, si)

    def subscription_id(self, si: int) -> int:
        return 1_000_000 + self.a.number * 10_000_000 + si

    def subscription(self, si: int, now_ms: int) -> dict:
        """A ``/subscriptions`` item."""
        a = self.a
        subs = a.subs
        p, buyer, code = self._sub_common(si)
        plan = p.plans[subs.plan_at(si, now_ms)]  # the current plan, after any switch
        status, end_acc, next_charge, _n = self.st.sub_state(si, now_ms)
        sales = subs.sales_of(si)
        cur = a.buyer_currency[subs.buyer[si]]
        item: dict = {
            "subscriber_code": code,
            "subscription_id": self.subscription_id(si),
            "status": status,
            "accession_date": subs.start[si],
        }
        if end_acc is not None:
            item["end_accession_date"] = end_acc
        item["request_date"] = subs.start[si]
        if next_charge is not None:
            item["date_next_charge"] = next_charge
        item["trial"] = plan.trial_days > 0
        item["transaction"] = self.st.code(sales[0])
        item["plan"] = {"name": plan.name, "id": plan.id, "recurrency_period": plan.period_days}
        item["product"] = {"id": p.id, "name": p.name, "ucode": p.ucode}
        item["price"] = {
            "value": convert(plan.price_cents, cur) / 100,
            "currency_code": en.CURRENCIES[cur][0],
        }
        item["subscriber"] = buyer
        return item

    def subscription_summary(self, si: int, now_ms: int) -> dict:
        """A ``/subscriptions/summary`` item."""
        a = self.a
        subs = a.subs
        st = self.st
        p, buyer, code = self._sub_common(si)
        plan = p.plans[subs.plan_at(si, now_ms)]  # the current plan, after any switch
        status, end_acc, next_charge, n_vis = st.sub_state(si, now_ms)
        sales = subs.sales_of(si)[:n_vis]
        item: dict = {
            "subscriber_code": code,
            "subscription_id": self.subscription_id(si),
            "status": status,
            "lifetime": n_vis,
            "accession_date": subs.start[si],
        }
        if end_acc is not None:
            item["end_accession_date"] = end_acc
        if next_charge is not None:
            item["date_next_charge"] = next_charge
        item["trial"] = plan.trial_days > 0
        item["plan"] = {"name": plan.name, "recurrency_period": plan.period_days}
        item["product"] = {"name": p.name, "id": p.id}
        item["offer"] = {"code": plan.code}
        if sales:
            last = sales[-1]
            item["last_recurrency"] = {
                "number": n_vis,
                "request_date": a.sales.order[last],
                "status": "PAID" if st.cur[last] in en.PAID_STATUSES else "NOT_PAID",
                "transaction_number": n_vis,
                "billing_type": en.BILLING_TYPES[subs.billing[si]],
            }
        item["unpaid_recurrencies"] = [
            {"number": k + 1, "charge_date": a.sales.order[x]}
            for k, x in enumerate(sales)
            if st.cur[x] == en.OVERDUE
        ]
        item["subscriber"] = {
            "name": buyer["name"],
            "id": 10_000_000 + subs.buyer[si],
            "email": buyer["email"],
        }
        return item

    def subscription_purchase(self, i: int, now_ms: int) -> dict:
        """One element of the bare array of ``/subscriptions/{code}/purchases``."""
        a = self.a
        s = a.sales
        st = self.st
        m = self.money(i)[0]
        pay_type, method, _w = en.SALE_PAYMENTS[s.pay[i]]
        approved = st.approved_date(i, now_ms)
        status = st.cur[i]
        item: dict = {"transaction": st.code(i)}
        if approved is not None:
            item["approved_date"] = approved
        item.update(
            {
                "payment_engine": "HotPay",
                "status": en.TRANSACTION_STATUSES[status],
                "price": {"value": m.price / 100, "currency_code": m.currency},
                "payment_type": pay_type,
                "payment_method": method,
                "recurrency_number": s.rec[i],
                "under_warranty": status == en.APPROVED,
                "purchase_subscription": True,
            }
        )
        return item

    def subscription_transaction(self, i: int, now_ms: int) -> dict:
        """A ``/subscriptions/transactions`` item (one per recurrence)."""
        a = self.a
        s = a.sales
        st = self.st
        si = s.sub[i]
        subs = a.subs
        p, buyer, code = self._sub_common(si)
        plan = p.plans[s.offer[i]]  # the plan this charge was made at (a switch changes it)
        m = self.money(i)[0]
        status, end_acc, next_charge, n_vis = st.sub_state(si, now_ms)
        pay_type, method, _w = en.SALE_PAYMENTS[s.pay[i]]
        cur_status = st.cur[i]
        approved = st.approved_date(i, now_ms)
        rec_status = (
            "REFUNDED"
            if cur_status in (en.REFUNDED, en.PARTIALLY_REFUNDED)
            else "CHARGEBACK"
            if cur_status == en.CHARGEBACK
            else "CLAIMED"
            if cur_status == en.PROTESTED
            else "PAID"
            if cur_status in en.PAID_STATUSES
            else "NOT_PAID"
        )
        payment: dict = {
            "payment_type": pay_type,
            "credit_card_flag": method.removeprefix("CREDIT_CARD_").lower()
            if pay_type == "CREDIT_CARD"
            else None,
        }
        if cur_status in en.LATE_STATUSES:
            payment["refund_chargeback_date"] = st.last_change[i]
        purchase: dict = {"transaction": st.code(i), "order_date": s.order[i]}
        if approved is not None:
            purchase["approved_date"] = approved
        purchase.update(
            {
                "status": en.TRANSACTION_STATUSES[cur_status],
                "price": {
                    "value": m.price / 100,
                    "total_value": m.price / 100,
                    "currency": m.currency,
                },
                "installment": {"installment_number": s.inst[i], "installment_type": "NONE"},
                "commission": {
                    "original_value": m.price / 100,
                    "producer_value": m.producer / 100,
                    "currency": m.currency,
                    "conversion_rate": brl_rate(a.buyer_currency[subs.buyer[si]]),
                },
                "payment": payment,
            }
        )
        item: dict = {
            "transaction": st.code(i),
            "transaction_date": s.order[i],
            "purchase_status": en.TRANSACTION_STATUSES[cur_status],
            "subscriber_code": code,
            "subscription_id": self.subscription_id(si),
            "status": status,
            "adoption_date": subs.start[si],
            "last_update": st.last_change[i],
        }
        if cur_status in en.LATE_STATUSES:
            item["refund_chargeback_date"] = st.last_change[i]
        if end_acc is not None:
            item["cancellation_date"] = end_acc
        if next_charge is not None:
            item["date_next_charge"] = next_charge
        item.update(
            {
                # SMART_INSTALLMENT / SMART_RECOVERY: an instalment plan, not a subscription
                "billing_type": en.BILLING_TYPES[subs.billing[si]],
                "last_recurrency_number": n_vis,
                "has_unpaid_recurrency": False,
                "product": self.prod_small[p.index],
                "producer": {"name": a.producer_name},
                "plan": {
                    "name": plan.name,
                    "recurrency_period": plan.period_days,
                    "recurrency_type": "DAY",
                    "coupon_code": None,
                    "offer": {"code": plan.code, "key": plan.code, "description": plan.name},
                },
                "subscriber": {
                    "id": 10_000_000 + subs.buyer[si],
                    "name": buyer["name"],
                    "email": buyer["email"],
                },
                "trial_info": {"trial": plan.trial_days > 0, "trial_period": plan.trial_days},
                "recurrency": {
                    "number": s.rec[i],
                    "status": rec_status,
                    "start_datetime": s.order[i],
                    "transaction_type": "RECURRENCE" if s.rec[i] > 1 else "FIRST_PURCHASE",
                },
                "purchase": purchase,
            }
        )
        return item

    # --- products --------------------------------------------------------------------
    def product_item(self, p: Product) -> dict:
        return {
            "id": p.id,
            "name": p.name,
            "ucode": p.ucode,
            "status": p.status,
            "created_at": p.created_at,
            "format": p.format,
            "is_subscription": p.is_subscription,
            "warranty_period": p.warranty_days,
        }

    def offer_items(self, p: Product) -> list[dict]:
        """Offers of a product; a subscription product's offers are its plans' offers."""
        cur = 0  # catalogue prices are BRL
        if p.is_subscription:
            return [
                {
                    "code": pl.code,
                    "name": pl.name,
                    "description": pl.name,
                    "price": {"value": convert(pl.price_cents, cur) / 100, "currency_code": "BRL"},
                    "payment_mode": "SUBSCRIPTION",
                    "is_currency_conversion_enabled": True,
                    "is_main_offer": j == 0,
                    "is_smart_recovery_enabled": True,
                }
                for j, pl in enumerate(p.plans)
            ]
        return [
            {
                "code": o.code,
                "name": o.name,
                "description": f"{p.name} - {o.name}",
                "price": {"value": o.price_cents / 100, "currency_code": "BRL"},
                "payment_mode": o.payment_mode,
                "is_currency_conversion_enabled": True,
                "is_main_offer": o.is_main,
                "is_smart_recovery_enabled": False,
            }
            for o in p.offers
        ]

    def plan_items(self, p: Product) -> list[dict]:
        return [
            {
                "code": pl.code,
                "name": pl.name,
                "description": pl.name,
                "price": {"value": pl.price_cents / 100, "currency_code": "BRL"},
                "payment_mode": "SUBSCRIPTION",
                "periodicity": PERIODICITY[pl.period_days],
                "max_installments": pl.max_installments,
                "trial_period": pl.trial_days,
                "is_subscription_recovery_enabled": True,
                "is_switch_plan_enabled": True,
            }
            for pl in p.plans
        ]

    def coupon_items(self, p: Product) -> list[dict]:
        return [
            {
                "id": c.id,
                "coupon_code": c.code,
                "discount": c.discount_pct / 100,
                "status": c.status,
                "active": c.active,
                "start_date": c.start_date,
                "time_zone": {
                    "id": "America/Sao_Paulo",
                    "name": "Brasília Time",
                    "offset": "-03:00",
                    "description": "(GMT-03:00) Brasília",
                },
            }
            for c in p.coupons
        ]
