"""Seeded generator of one producer account's whole timeline.

The generator decides everything up front, from the first day of history to
``now + 400 days``: every sale (one-time purchases and each subscription recurrence) with
its order time, its initial status and its later status changes (approval, completion after
the warranty, refunds, chargebacks, disputes, expiries). Advancing the emulator's clock only
*reveals* what was already decided, so the data is a pure function of the seed.

Storage is columnar (``array``): about 35 bytes per sale plus ~13 bytes per later status
change. Names, e-mails, codes and money are derived from these few integers when a response
is rendered (see ``render.py``).

Lifecycle constraint the tap relies on: every status change that is NOT into REFUNDED,
PARTIALLY_REFUNDED, CHARGEBACK or PROTESTED happens within 60 days of the order date
(approval/expiry of pending payments <= 15 days, completion = approval + warranty <= 45 days),
with one deliberate exception: a dispute (PROTESTED) that the seller wins returns the sale to
COMPLETE 5-60 days after the dispute, i.e. about 40-260 days after the order, as on Hotmart.
"""

from __future__ import annotations

import base64
import bisect
import itertools
import random
from array import array
from dataclasses import dataclass, field
from operator import itemgetter

from . import enums as en
from .ids import mix, offer_code, person_name, uuid_from

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MIN_MS = 60_000
FUTURE_DAYS = 400
NO_COUPON = 255

#: How an open dispute (PROTESTED) ends, as cumulative shares of the disputes: back to
#: COMPLETE (the seller won), REFUNDED or CHARGEBACK (the buyer won); the remaining 10 %
#: stay PROTESTED. Hotmart publishes no such split: these shares are a guess.
DISPUTE_OUTCOMES = ((0.45, en.COMPLETE), (0.80, en.REFUNDED), (0.90, en.CHARGEBACK))
#: A dispute is resolved between these many days after it was opened.
DISPUTE_RESOLUTION_DAYS = (5, 60)

#: Share of an account's sales that are subscription recurrences (when it sells plans).
SUBSCRIPTION_SHARE = 0.35
#: Per-period probability that a subscriber cancels, by plan period in days.
CHURN = {7: 0.05, 30: 0.08, 90: 0.14, 360: 0.3}
PERIODICITY = {7: "WEEKLY", 30: "MONTHLY", 90: "QUARTERLY", 360: "ANNUAL"}
PLAN_NAMES = {7: "Semanal", 30: "Mensal", 90: "Trimestral", 360: "Anual"}

#: Share of subscription products that also sell two price tiers (a cheaper "Essencial" and a
#: dearer "Premium") of each of their plans, so a subscriber can switch plan without changing
#: period (and MRR stays comparable). The tiers and their prices are a guess.
TIER_SHARE = 0.75
#: (name suffix, price in % of the plan it is a tier of).
TIERS = ((" Essencial", 70), (" Premium", 150))
#: Share of the subscriptions that can switch plan (their plan has a same-period tier and
#: they have at least two charges) which do switch, at a recurrence k >= 2 (and at most
#: SWITCH_BY_RECURRENCE). A guess: Hotmart publishes no switch rate or timing.
PLAN_SWITCH_SHARE = 0.08
SWITCH_BY_RECURRENCE = 13
NO_SWITCH = 255

#: Billing types (index into ``enums.BILLING_TYPES``). Hotmart runs two kinds of instalment
#: plan on its subscription engine, and their recurrences carry a ``billing_type`` other than
#: SUBSCRIPTION (hotmart-api-facts.md §6 item 17, L-M):
#: * SMART_INSTALLMENT ("Intelligent Installment", help article 14844911241741): a purchase
#:   split into monthly instalments, each charged to the buyer's card until the product is
#:   paid; not offered in BRL, COP, CLP, MXN and PEN, where the card issuer splits payments;
#: * SMART_RECOVERY (the Automated Sales Recovery, help article 360057623272): a card
#:   declined for the full price is charged one instalment, and Hotmart bills the rest
#:   monthly "as if it were a subscription" until the total is paid; its instalment options
#:   are for sales in BRL.
#: Both are monthly and finite (up to 12 instalments, help article 360062099252 for the
#: boleto/PIX variant). Which subscriptions qualify follows these rules; the shares are a
#: guess, Hotmart publishes none.
BILLING_SUBSCRIPTION, BILLING_SMART_INSTALLMENT, BILLING_SMART_RECOVERY = range(3)
SMART_INSTALLMENT_UNAVAILABLE = frozenset({"BRL", "COP", "CLP", "MXN", "PEN"})
SMART_RECOVERY_CURRENCIES = frozenset({"BRL"})
MAX_INSTALMENTS = 12
#: Shares of the qualifying subscriptions (monthly plan, card, 2-12 charges, no plan switch)
#: relabelled as SMART_INSTALLMENT (other currencies) or SMART_RECOVERY (BRL).
SMART_INSTALLMENT_SHARE = 0.5
SMART_RECOVERY_SHARE = 0.2

# Subscription end kinds (how the subscription's timeline ends).
SUB_ONGOING, SUB_BY_CUSTOMER, SUB_BY_SELLER, SUB_BY_ADMIN, SUB_INACTIVE = range(5)

_TOPICS = (
    "Marketing Digital",
    "Inglês Fluente",
    "Finanças Pessoais",
    "Confeitaria Lucrativa",
    "Fotografia com Celular",
    "Excel Avançado",
    "Yoga em Casa",
    "Programação Python",
    "Maquiagem Profissional",
    "Investimentos na Bolsa",
    "Violão do Zero",
    "Copywriting",
    "Emagrecimento Saudável",
    "Tráfego Pago",
    "Design no Canva",
    "Espanhol Rápido",
)
_ONE_TIME_FORMATS = (
    "ONLINE_COURSE",
    "EBOOK",
    "VIDEOS",
    "AUDIOS",
    "TEMPLATES",
    "SOFTWARE",
    "ONLINE_EVENT",
    "BUNDLE",
)
_SUB_FORMATS = ("ONLINE_COURSE", "COMMUNITY", "ONLINE_SERVICE")


@dataclass(frozen=True)
class Offer:
    """A one-time offer of a product (``/products/{ucode}/offers``)."""

    code: str
    name: str
    price_cents: int  # BRL
    is_main: bool
    payment_mode: str = "PAY_IN_FULL"


@dataclass(frozen=True)
class Plan:
    """A subscription plan (``/products/{ucode}/plans``); also sold as an offer."""

    id: int
    code: str
    name: str
    period_days: int
    price_cents: int  # BRL per recurrence
    max_installments: int
    trial_days: int
    #: Index of the plan this one is a price tier of (same period), -1 for a base plan.
    #: Nobody subscribes to a tier directly: tiers are reached by switching plan.
    tier_of: int = -1


@dataclass(frozen=True)
class Coupon:
    """A product coupon (``/coupon/product/{product_id}``)."""

    id: int
    code: str
    discount_pct: int
    status: str
    active: bool
    start_date: int


@dataclass
class Product:
    """One product with its offers, plans, coupons and partners' commission shares."""

    index: int
    id: int
    ucode: str
    name: str
    status: str
    created_at: int
    format: str
    is_subscription: bool
    warranty_days: int
    offers: list[Offer]
    plans: list[Plan]
    coupons: list[Coupon]
    coproducer: int  # person index, -1 when the product has no co-producer
    coproducer_pct: int
    affiliate_pct: int


@dataclass
class Sales:
    """Columnar sales, sorted by order date (index = position in this order)."""

    order: array = field(default_factory=lambda: array("q"))  # order_date, epoch ms
    prod: array = field(default_factory=lambda: array("B"))  # product index
    offer: array = field(default_factory=lambda: array("B"))  # offer or plan index
    buyer: array = field(default_factory=lambda: array("I"))  # buyer pool index
    pay: array = field(default_factory=lambda: array("B"))  # index into SALE_PAYMENTS
    inst: array = field(default_factory=lambda: array("B"))  # installments
    coupon: array = field(default_factory=lambda: array("B"))  # coupon index or NO_COUPON
    aff: array = field(default_factory=lambda: array("H"))  # affiliate index + 1, 0 = none
    src: array = field(default_factory=lambda: array("B"))  # index into TRACKING
    sub: array = field(default_factory=lambda: array("i"))  # subscription index, -1 = none
    rec: array = field(default_factory=lambda: array("H"))  # recurrency number, 0 = one-time
    st0: array = field(default_factory=lambda: array("B"))  # status at order time
    appr: array = field(default_factory=lambda: array("q"))  # approval time ms, -1 = never

    COLUMNS = (
        "order",
        "prod",
        "offer",
        "buyer",
        "pay",
        "inst",
        "coupon",
        "aff",
        "src",
        "sub",
        "rec",
        "st0",
        "appr",
    )

    def __len__(self) -> int:
        return len(self.order)


@dataclass
class Subscriptions:
    """Columnar subscriptions, sorted by accession (request) date."""

    prod: array = field(default_factory=lambda: array("B"))
    plan: array = field(default_factory=lambda: array("B"))
    buyer: array = field(default_factory=lambda: array("I"))
    start: array = field(default_factory=lambda: array("q"))  # accession/request date, ms
    end_kind: array = field(default_factory=lambda: array("B"))  # SUB_* constant
    cancel: array = field(default_factory=lambda: array("q"))  # cancellation ms, 0 = none
    # plan switched to (plan index, NO_SWITCH = none) and the order time of the first
    # charge at that plan's price (0 = none)
    switch_plan: array = field(default_factory=lambda: array("B"))
    switch_at: array = field(default_factory=lambda: array("q"))
    # BILLING_* constant: a subscription, or an instalment plan on the subscription engine
    billing: array = field(default_factory=lambda: array("B"))
    # CSR list of each subscription's sales (sale indices, recurrence order)
    sales_ptr: array = field(default_factory=lambda: array("I"))
    sales_idx: array = field(default_factory=lambda: array("I"))

    COLUMNS = (
        "prod",
        "plan",
        "buyer",
        "start",
        "end_kind",
        "cancel",
        "switch_plan",
        "switch_at",
        "billing",
    )

    def __len__(self) -> int:
        return len(self.start)

    def plan_at(self, s: int, now_ms: int) -> int:
        """Plan index of subscription ``s`` as the API shows it at ``now_ms``.

        The switched-to plan once its first charge is revealed: before that the switch is
        still in the (hidden) future, like every other decided-up-front event.
        """
        at = self.switch_at[s]
        return self.switch_plan[s] if at and at <= now_ms else self.plan[s]

    def sales_of(self, s: int) -> array:
        """The sale indices of subscription ``s`` in recurrence order."""
        return self.sales_idx[self.sales_ptr[s] : self.sales_ptr[s + 1]]


@dataclass
class Account:
    """Everything generated for one producer account."""

    number: int
    account_id: str
    client_id: str
    client_secret: str
    seed: int
    producer_name: str
    producer_ucode: str
    products: list[Product]
    buyers: int
    buyer_currency: bytearray
    affiliates: int
    sales: Sales
    subs: Subscriptions
    # later status changes, sorted by time: (time ms, sale index, new status)
    ev_t: array
    ev_sale: array
    ev_st: array

    @property
    def basic(self) -> str:
        """The "Basic" key shown on Hotmart's credentials page: base64(id:secret)."""
        raw = f"{self.client_id}:{self.client_secret}".encode()
        return base64.b64encode(raw).decode()


def _weighted(rnd: random.Random, cum: list[float]) -> int:
    return bisect.bisect_right(cum, rnd.random() * cum[-1])


def _billing_type(
    draw: float,
    *,
    period_days: int,
    charges: int,
    switched: bool,
    kind: int,
    currency: str,
    by_card: bool,
) -> int:
    """BILLING_* of a generated subscription: an instalment plan when its timeline could be one.

    Instalment plans are monthly, charged to a card, of a fixed price, and end after at most
    MAX_INSTALMENTS charges; a plan that never started (INACTIVE) stays a subscription.
    """
    if (
        period_days != 30
        or switched
        or kind == SUB_INACTIVE
        or not by_card
        or not 2 <= charges <= MAX_INSTALMENTS
    ):
        return BILLING_SUBSCRIPTION
    if currency not in SMART_INSTALLMENT_UNAVAILABLE:
        return BILLING_SMART_INSTALLMENT if draw < SMART_INSTALLMENT_SHARE else BILLING_SUBSCRIPTION
    if currency in SMART_RECOVERY_CURRENCIES:
        return BILLING_SMART_RECOVERY if draw < SMART_RECOVERY_SHARE else BILLING_SUBSCRIPTION
    return BILLING_SUBSCRIPTION


def _make_products(r: random.Random, seed: int, acct: int, hist_start: int) -> list[Product]:
    n = r.randint(5, 12)
    n_sub = max(1, round(n * r.uniform(0.2, 0.4)))
    ids: set[int] = set()
    products = []
    topics = r.sample(_TOPICS, n)
    for i in range(n):
        is_sub = i >= n - n_sub
        pid = r.randint(1_000_000, 9_999_999)
        while pid in ids:
            pid = r.randint(1_000_000, 9_999_999)
        ids.add(pid)
        base = r.choice((2700, 4700, 9700, 14700, 19790, 29700, 49700, 99700, 199700))
        offers: list[Offer] = []
        plans: list[Plan] = []
        if is_sub:
            periods = sorted(r.sample((7, 30, 90, 360), r.randint(1, 3)))
            for j, period in enumerate(periods):
                monthly = r.choice((2990, 3990, 4990, 6990, 9700, 14990))
                price = monthly * max(1, period // 30) * (100 - 10 * min(j, 2)) // 100
                if period == 7:
                    price = monthly // 4
                plans.append(
                    Plan(
                        id=r.randint(100_000, 999_999),
                        code=offer_code(seed, acct, i, 100 + j),
                        name=f"Plano {PLAN_NAMES[period]}",
                        period_days=period,
                        price_cents=price,
                        max_installments=12 if period >= 360 else 1,
                        trial_days=7 if r.random() < 0.25 else 0,
                    )
                )
        else:
            for j in range(r.randint(1, 3)):
                price = base if j == 0 else base * r.choice((50, 70, 150)) // 100
                offers.append(
                    Offer(
                        code=offer_code(seed, acct, i, j),
                        name="Oferta principal" if j == 0 else f"Oferta {j + 1}",
                        price_cents=price,
                        is_main=j == 0,
                    )
                )
        coupons = []
        for j in range(r.randint(0, 3)):
            pct = r.choice((10, 15, 20, 30, 50))
            coupons.append(
                Coupon(
                    id=r.randint(1_000_000, 9_999_999),
                    code=f"{r.choice(('BLACK', 'PROMO', 'VIP', 'ALUNO', 'LIVE'))}{pct}{j or ''}",
                    discount_pct=pct,
                    status="valid" if j < 2 else "expired",
                    active=j < 2,
                    start_date=hist_start + r.randint(0, 300) * DAY_MS,
                )
            )
        has_cop = r.random() < 0.35
        products.append(
            Product(
                index=i,
                id=pid,
                ucode=uuid_from(seed, acct, 10, i),
                name=f"{'Clube' if is_sub else 'Curso'} {topics[i]}",
                status="ACTIVE" if r.random() < 0.85 else r.choice(("PAUSED", "DRAFT")),
                created_at=hist_start - r.randint(10, 400) * DAY_MS - r.randint(0, DAY_MS),
                format=r.choice(_SUB_FORMATS if is_sub else _ONE_TIME_FORMATS),
                is_subscription=is_sub,
                warranty_days=r.choice((7, 15, 30)),
                offers=offers,
                plans=plans,
                coupons=coupons,
                coproducer=i if has_cop else -1,
                coproducer_pct=r.choice((10, 20, 30, 40)) if has_cop else 0,
                affiliate_pct=r.choice((30, 40, 50)),
            )
        )
    return products


def _add_price_tiers(products: list[Product], tiers: random.Random, seed: int, acct: int) -> None:
    """Give most subscription products two extra price tiers of each of their plans.

    Drawn from the account's own ``tiers`` stream, and appended after the base plans: the
    main stream, the plan a subscriber starts on and every plan's offer code stay what they
    were before tiers existed, so no other generated data shifts.
    """
    for p in products:
        if not p.is_subscription:
            continue
        if tiers.random() >= TIER_SHARE:
            continue
        used = {pl.id for q in products for pl in q.plans}
        for (j, base), (suffix, pct) in itertools.product(list(enumerate(p.plans)), TIERS):
            plan_id = tiers.randint(100_000, 999_999)
            while plan_id in used:
                plan_id = tiers.randint(100_000, 999_999)
            used.add(plan_id)
            p.plans.append(
                Plan(
                    id=plan_id,
                    code=offer_code(seed, acct, p.index, 100 + len(p.plans)),
                    name=base.name + suffix,
                    period_days=base.period_days,
                    price_cents=base.price_cents * pct // 100 // 10 * 10,
                    max_installments=base.max_installments,
                    trial_days=base.trial_days,
                    tier_of=j,
                )
            )


class _Builder:
    """Accumulates sales and later status changes in generation order."""

    def __init__(self, r: random.Random, disputes: random.Random) -> None:
        self.r = r
        # Dispute resolutions draw from their own stream (seeded per account, consumed in
        # generation order, so still deterministic): drawing them from ``r`` would shift
        # every later draw and change every sale generated after the first dispute.
        self.disputes = disputes
        self.s = Sales()
        self.ev_t = array("q")
        self.ev_sale = array("I")
        self.ev_st = array("B")

    def add(  # noqa: PLR0917 (hot path: positional calls are measurably faster)
        self,
        order: int,
        prod: int,
        offer: int,
        buyer: int,
        pay: int,
        inst: int,
        coupon: int,
        aff: int,
        src: int,
        sub: int,
        rec: int,
        st0: int,
        appr: int,
    ) -> int:
        s = self.s
        idx = len(s.order)
        s.order.append(order)
        s.prod.append(prod)
        s.offer.append(offer)
        s.buyer.append(buyer)
        s.pay.append(pay)
        s.inst.append(inst)
        s.coupon.append(coupon)
        s.aff.append(aff)
        s.src.append(src)
        s.sub.append(sub)
        s.rec.append(rec)
        s.st0.append(st0)
        s.appr.append(appr)
        return idx

    def event(self, t: int, sale: int, status: int) -> None:
        self.ev_t.append(t)
        self.ev_sale.append(sale)
        self.ev_st.append(status)

    def dispute(self, t: int, sale: int) -> None:
        """Open a dispute at ``t`` and schedule how it ends, as Hotmart resolves disputes.

        Only the resolution is decided here; like every event it stays hidden until the
        clock passes it. Runs for the few disputed sales only (about 0.4 % of sales).
        """
        self.event(t, sale, en.PROTESTED)
        rnd = self.disputes.random
        outcome, delay = rnd(), rnd()  # two draws whatever the outcome: disputes stay aligned
        for share, status in DISPUTE_OUTCOMES:
            if outcome < share:
                lo, hi = DISPUTE_RESOLUTION_DAYS
                self.event(t + int((lo + delay * (hi - lo)) * DAY_MS), sale, status)
                return

    def lifecycle(
        self, sale: int, order: int, pay_type: str, warranty_days: int, overdue_first: bool = False
    ) -> int:
        """Decide the sale's statuses; record later changes; return (status at order)."""
        rnd = self.r.random
        x = rnd()
        s = self.s
        if overdue_first:  # a recurrence whose charge failed; recovered within 15 days
            appr = order + DAY_MS + int(rnd() * 14 * DAY_MS)
            self.event(appr, sale, en.APPROVED)
            st0 = en.OVERDUE
        elif pay_type == "PIX":
            st0 = en.WAITING_PAYMENT
            if x >= 0.88:
                self.event(order + DAY_MS, sale, en.EXPIRED)
                return st0
            appr = order + 30_000 + int(rnd() * 30 * MIN_MS)
            self.event(appr, sale, en.APPROVED)
        elif pay_type == "BILLET":
            st0 = en.PRINTED_BILLET
            if x >= 0.55:
                self.event(order + 4 * DAY_MS, sale, en.EXPIRED)
                return st0
            appr = order + DAY_MS + int(rnd() * 2.5 * DAY_MS)
            self.event(appr, sale, en.APPROVED)
        elif x < 0.86:
            st0 = en.APPROVED
            appr = order + 5_000 + int(rnd() * 300_000)
        elif x < 0.92:
            return en.NO_FUNDS
        elif x < 0.95:
            return en.CANCELLED
        elif x < 0.96:
            return en.BLOCKED
        elif x < 0.985:
            st0 = en.UNDER_ANALISYS
            y = rnd()
            if y < 0.8:
                appr = order + HOUR_MS + int(rnd() * 3 * DAY_MS)
                self.event(appr, sale, en.APPROVED)
            else:
                if y < 0.99:  # the rest stays under analysis forever
                    self.event(order + DAY_MS + int(rnd() * 4 * DAY_MS), sale, en.CANCELLED)
                return st0
        else:
            st0 = en.PROCESSING_TRANSACTION
            appr = order + MIN_MS + int(rnd() * 30 * MIN_MS)
            self.event(appr, sale, en.APPROVED)
        s.appr[sale] = appr
        warranty = warranty_days * DAY_MS
        y = rnd()
        if y < 0.06:
            self.event(appr + MIN_MS + int(rnd() * (warranty - 2 * MIN_MS)), sale, en.REFUNDED)
        elif y < 0.066:
            self.event(
                appr + MIN_MS + int(rnd() * (warranty - 2 * MIN_MS)), sale, en.PARTIALLY_REFUNDED
            )
        else:
            done = appr + warranty
            self.event(done, sale, en.COMPLETE)
            if pay_type in en.CARD_LIKE:
                z = rnd()
                if z < 0.012:
                    t = max(done + DAY_MS, order + int((40 + rnd() * 160) * DAY_MS))
                    self.event(t, sale, en.CHARGEBACK)
                elif z < 0.018:
                    t = max(done + DAY_MS, order + int((35 + rnd() * 165) * DAY_MS))
                    self.dispute(t, sale)
        return st0


def generate_account(
    seed: int, number: int, sales: int, now_ms: int, history_days: int = 1095
) -> Account:
    """Generate account ``acct-<number>`` with exactly ``sales`` sales ordered by ``now_ms``."""
    r = random.Random(f"hotmart-emulator:{seed}:{number}")
    rnd = r.random
    hist_start = now_ms - history_days * DAY_MS
    horizon = now_ms + FUTURE_DAYS * DAY_MS
    products = _make_products(r, seed, number, hist_start)
    _add_price_tiers(
        products, random.Random(f"hotmart-emulator:{seed}:{number}:tiers"), seed, number
    )
    # Plan switches draw from their own stream too (three draws per subscription whatever
    # happens), so the main stream ``r`` is consumed exactly as before switches existed.
    switches = random.Random(f"hotmart-emulator:{seed}:{number}:switches").random
    # Billing types too (one draw per subscription): instalment plans only relabel existing
    # subscriptions, so every sale, status change and subscription stays as it was.
    billing = random.Random(f"hotmart-emulator:{seed}:{number}:billing").random
    n_buyers = max(20, sales // 3)
    cur_cum = list(itertools.accumulate(c[2] for c in en.CURRENCIES))
    buyer_currency = bytearray(
        bisect.bisect_right(cur_cum, mix(seed, number, 1, b) % 1_000_000 / 1e6 * cur_cum[-1])
        for b in range(n_buyers)
    )
    n_aff = r.randint(5, 30)
    pay_cum = list(itertools.accumulate(p[2] for p in en.SALE_PAYMENTS))
    src_cum = list(itertools.accumulate(t[2] for t in en.TRACKING))
    pay_types = [p[0] for p in en.SALE_PAYMENTS]
    b = _Builder(r, random.Random(f"hotmart-emulator:{seed}:{number}:disputes"))

    # --- subscriptions: each recurrence is its own sale ---------------------------------
    sub_products = [p for p in products if p.is_subscription]
    sub_prod = array("B")
    sub_plan = array("B")
    sub_buyer = array("I")
    sub_start = array("q")
    sub_kind = array("B")
    sub_cancel = array("q")
    sub_switch_plan = array("B")
    sub_switch_at = array("q")
    sub_billing = array("B")
    # per product: base plans a subscriber can start on, and each plan's same-period
    # alternatives it can switch to
    n_base = {p.index: sum(pl.tier_of < 0 for pl in p.plans) for p in sub_products}
    alternatives = {
        p.index: [
            [k for k, o in enumerate(p.plans) if k != j and o.period_days == pl.period_days]
            for j, pl in enumerate(p.plans)
        ]
        for p in sub_products
    }
    target = round(sales * SUBSCRIPTION_SHARE)
    visible = 0
    skipped = 0
    span = horizon - hist_start
    card_pays = [i for i, p in enumerate(en.SALE_PAYMENTS) if p[0] == "CREDIT_CARD"]
    pix_pay = next(i for i, p in enumerate(en.SALE_PAYMENTS) if p[0] == "PIX")
    billet_pay = next(i for i, p in enumerate(en.SALE_PAYMENTS) if p[0] == "BILLET")
    while visible < target and skipped < 200:
        prod = sub_products[int(rnd() * len(sub_products))]
        plan_i = int(rnd() * n_base[prod.index])
        plan = prod.plans[plan_i]
        period = plan.period_days * DAY_MS
        start = hist_start + int(rnd() * span)
        first = start + plan.trial_days * DAY_MS
        # how many recurrences would be visible, and how the subscription ends
        churn = CHURN[plan.period_days]
        times = [first]
        kind = SUB_ONGOING
        cancel = 0
        unpaid_last = False
        x = rnd()
        pay = (
            card_pays[int(rnd() * len(card_pays))]
            if x < 0.85
            else (pix_pay if x < 0.95 else billet_pay)
        )
        while True:
            nxt = times[-1] + period
            if rnd() < churn:
                kind = SUB_BY_CUSTOMER if rnd() < 0.8 else SUB_BY_SELLER
                cancel = times[-1] + int(rnd() * (period - HOUR_MS)) + MIN_MS
                break
            if nxt > horizon:
                break
            times.append(nxt)
            if rnd() < 0.03:
                kind = SUB_BY_ADMIN
                unpaid_last = True
                cancel = nxt + min(2 * period, 60 * DAY_MS)
                break
        times = [t + int(rnd() * 600_000) for t in times]  # charges are not on the minute
        sw, sw_to, sw_k = switches(), switches(), switches()
        bill = billing()
        alts = alternatives[prod.index][plan_i]
        switch_plan, switch_k = NO_SWITCH, 0
        if sw < PLAN_SWITCH_SHARE and alts and len(times) >= 2:
            switch_plan = alts[int(sw_to * len(alts))]
            # a recurrence in 2..min(len(times), SWITCH_BY_RECURRENCE)
            switch_k = 2 + int(sw_k * (min(len(times), SWITCH_BY_RECURRENCE) - 1))
        v = sum(1 for t in times if t <= now_ms)
        if visible + v > sales:
            skipped += 1
            continue
        visible += v
        si = len(sub_start)
        buyer = int(n_buyers * rnd() ** 2)
        src = _weighted(r, src_cum)
        aff = 1 + int(rnd() * n_aff) if rnd() < 0.1 else 0
        for k, t in enumerate(times, start=1):
            sale = b.add(
                t,
                prod.index,
                switch_plan if switch_k and k >= switch_k else plan_i,
                buyer,
                pay if k == 1 else card_pays[0],
                1,
                NO_COUPON,
                aff,
                src,
                si,
                k,
                0,
                -1,
            )
            last = k == len(times)
            if k > 1 and last and unpaid_last:
                st0 = en.OVERDUE
            else:
                overdue = k > 1 and rnd() < 0.07
                ptype = en.SALE_PAYMENTS[pay if k == 1 else card_pays[0]][0]
                st0 = b.lifecycle(sale, t, ptype, prod.warranty_days, overdue_first=overdue)
                if k == 1 and b.s.appr[sale] < 0:
                    # first payment never confirmed: the subscription never starts
                    kind = SUB_INACTIVE
                    cancel = 0
                    switch_plan, switch_k = NO_SWITCH, 0  # its later charges never happen
                    b.s.st0[sale] = st0
                    if len(times) > 1:
                        v_extra = sum(1 for tt in times[1:] if tt <= now_ms)
                        visible -= v_extra
                    break
            b.s.st0[sale] = st0
        sub_prod.append(prod.index)
        sub_plan.append(plan_i)
        sub_buyer.append(buyer)
        sub_start.append(start)
        sub_kind.append(kind)
        sub_cancel.append(cancel)
        sub_switch_plan.append(switch_plan)
        sub_switch_at.append(times[switch_k - 1] if switch_k else 0)
        sub_billing.append(
            _billing_type(
                bill,
                period_days=plan.period_days,
                charges=len(times),
                switched=switch_plan != NO_SWITCH,
                kind=kind,
                currency=en.CURRENCIES[buyer_currency[buyer]][0],
                by_card=pay in card_pays,
            )
        )
    n_sub_sales = len(b.s.order)

    # --- one-time sales --------------------------------------------------------------
    one_time = [p for p in products if not p.is_subscription]
    choice_cum = list(
        itertools.accumulate((3.0 if o.is_main else 1.0) for p in one_time for o in p.offers)
    )
    choices = [(p, j) for p in one_time for j in range(len(p.offers))]
    past = sales - visible
    hist_len = now_ms - hist_start
    future = round(past * 4 / 3 * (horizon - now_ms) / max(hist_len, 1))
    g = b.s
    a_order, a_prod, a_offer, a_buyer = (
        g.order.append,
        g.prod.append,
        g.offer.append,
        g.buyer.append,
    )
    a_pay, a_inst, a_coupon, a_aff = g.pay.append, g.inst.append, g.coupon.append, g.aff.append
    a_src, a_sub, a_rec, a_appr = g.src.append, g.sub.append, g.rec.append, g.appr.append
    a_st0 = g.st0.append
    lifecycle = b.lifecycle
    src_total = src_cum[-1]
    pay_total = pay_cum[-1]
    sale_base = len(g.order)
    for n in range(past + future):
        if n < past:  # density grows towards "now" (a business that grows)
            order = hist_start + int(hist_len * rnd() ** 0.75)
            order = min(order, now_ms)
        else:
            order = now_ms + 1 + int(rnd() * (horizon - now_ms - 1))
        p, j = choices[bisect.bisect_right(choice_cum, rnd() * choice_cum[-1])]
        buyer = int(n_buyers * rnd() ** 2)
        pay = bisect.bisect_right(pay_cum, rnd() * pay_total)
        ptype = pay_types[pay]
        inst = 1
        if ptype == "CREDIT_CARD" and rnd() < 0.5:
            inst = 2 + int(rnd() * 11)
        coupon = NO_COUPON
        if p.coupons and rnd() < 0.12:
            coupon = int(rnd() * len(p.coupons))
        aff = 1 + int(rnd() * n_aff) if rnd() < 0.25 else 0
        src = bisect.bisect_right(src_cum, rnd() * src_total)
        sale = sale_base + n
        a_order(order)
        a_prod(p.index)
        a_offer(j)
        a_buyer(buyer)
        a_pay(pay)
        a_inst(inst)
        a_coupon(coupon)
        a_aff(aff)
        a_src(src)
        a_sub(-1)
        a_rec(0)
        a_appr(-1)
        a_st0(lifecycle(sale, order, ptype, p.warranty_days))

    # --- sort sales by order date and subscriptions by start; remap references ---------
    perm = sorted(range(len(g.order)), key=g.order.__getitem__)
    inv = array("I", bytes(4 * len(perm)))
    for new, old in enumerate(perm):
        inv[old] = new
    sub_perm = sorted(range(len(sub_start)), key=sub_start.__getitem__)
    sub_inv = array("i", bytes(4 * len(sub_perm)))
    for new, old in enumerate(sub_perm):
        sub_inv[old] = new
    out = Sales()
    take = itemgetter(*perm) if len(perm) > 1 else tuple
    for col in Sales.COLUMNS:
        src_col = getattr(g, col)
        setattr(out, col, array(src_col.typecode, take(src_col)))
        setattr(g, col, None)
    if len(sub_inv):
        sub_inv.append(-1)  # so that sub_inv[-1] maps "no subscription" to -1
        out.sub = array(
            "i",
            itemgetter(*out.sub)(sub_inv) if len(out.sub) > 1 else [sub_inv[x] for x in out.sub],
        )
    del perm, take
    subs = Subscriptions()
    for col, arr in zip(
        Subscriptions.COLUMNS,
        (
            sub_prod,
            sub_plan,
            sub_buyer,
            sub_start,
            sub_kind,
            sub_cancel,
            sub_switch_plan,
            sub_switch_at,
            sub_billing,
        ),
        strict=True,
    ):
        setattr(subs, col, array(arr.typecode, [arr[i] for i in sub_perm]))
    # CSR of each subscription's sales; sales are in time order = recurrence order
    counts = array("I", bytes(4 * (len(sub_perm) + 1)))
    for x in out.sub:
        if x >= 0:
            counts[x + 1] += 1
    ptr = array("I", itertools.accumulate(counts))
    fill = array("I", ptr)
    idx = array("I", bytes(4 * n_sub_sales))
    for i, x in enumerate(out.sub):
        if x >= 0:
            idx[fill[x]] = i
            fill[x] += 1
    subs.sales_ptr = ptr
    subs.sales_idx = idx
    ev_perm = sorted(range(len(b.ev_t)), key=b.ev_t.__getitem__)
    if len(ev_perm) > 1:
        ev_take = itemgetter(*ev_perm)
        ev_t = array("q", ev_take(b.ev_t))
        ev_sale = array("I", itemgetter(*ev_take(b.ev_sale))(inv))
        ev_st = array("B", ev_take(b.ev_st))
    else:
        ev_t = array("q", b.ev_t)
        ev_sale = array("I", [inv[x] for x in b.ev_sale])
        ev_st = array("B", b.ev_st)
    prod_name, prod_last = person_name(seed, number, 4)
    return Account(
        number=number,
        account_id=f"acct-{number}",
        client_id=f"emu-{uuid_from(seed, number, 1)}",
        client_secret=f"emu-secret-{uuid_from(seed, number, 2).replace('-', '')}",
        seed=seed,
        producer_name=f"{prod_name} {prod_last}",
        producer_ucode=uuid_from(seed, number, 3),
        products=products,
        buyers=n_buyers,
        buyer_currency=buyer_currency,
        affiliates=n_aff,
        sales=out,
        subs=subs,
        ev_t=ev_t,
        ev_sale=ev_sale,
        ev_st=ev_st,
    )
