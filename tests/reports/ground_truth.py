"""Expected report numbers computed in plain Python from the emulator's ground truth.

Why a second implementation: the dbt marts are SQL over what the tap loaded; these functions
start from the emulator's own record of every sale, subscription and recurrence (its latest
state) and apply the metric definitions of docs/reports.md directly. When both agree to the
cent, the tap loaded everything and the SQL does what the documentation says.

Everything works on the API's item shapes (nested objects, epoch milliseconds, amounts as
JSON numbers that are exact 2-place decimals, hence ``Decimal(str(value))``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("America/Sao_Paulo")
APPROVED_EVER = {
    "APPROVED",
    "COMPLETE",
    "REFUNDED",
    "PARTIALLY_REFUNDED",
    "CHARGEBACK",
    "PROTESTED",
}
LOST = {"REFUNDED", "CHARGEBACK", "PROTESTED"}
KEEPS_PERIOD = {"APPROVED", "COMPLETE", "PARTIALLY_REFUNDED"}
#: Billing types of Hotmart's instalment plans of one-time purchases: never recurring revenue.
INSTALMENTS = {"SMART_INSTALLMENT", "SMART_RECOVERY"}
VOLUNTARY_STATUSES = {"CANCELLED_BY_CUSTOMER", "CANCELLED_BY_SELLER"}
INVOLUNTARY_STATUSES = {"CANCELLED_BY_ADMIN", "OVERDUE", "DELAYED"}
CENT = Decimal("0.01")
MRR_GRACE_DAYS = 1

Items = Mapping[str, list[dict]]  # account_id -> items


def to_utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def local_month(ms: int) -> date:
    return to_utc(ms).astimezone(TIMEZONE).date().replace(day=1)


def amount(money: Mapping) -> Decimal:
    return Decimal(str(money["value"]))


def _is_renewal(purchase: Mapping) -> bool:
    return bool(purchase.get("is_subscription")) and (purchase.get("recurrency_number") or 1) > 1


def first_purchases(sales: Items) -> set[tuple[str, str]]:
    """(account, transaction) of each buyer's first approved order (earliest, then by code)."""
    first: dict[tuple[str, str], tuple[int, str]] = {}
    for account, items in sales.items():
        for item in items:
            p = item["purchase"]
            if p["status"] not in APPROVED_EVER:
                continue
            key = (account, item["buyer"]["ucode"])
            candidate = (p["order_date"], p["transaction"])
            if key not in first or candidate < first[key]:
                first[key] = candidate
    return {(account, tx) for (account, _buyer), (_t, tx) in first.items()}


def monthly_new_orders(sales: Items) -> dict[tuple, tuple[int, int, Decimal]]:
    """(account, order month, currency) -> (new orders, new buyers, gross revenue).

    New orders: approved (ever) orders that are not automatic renewals, dated by order date.
    """
    firsts = first_purchases(sales)
    out: dict[tuple, list] = defaultdict(lambda: [0, 0, Decimal(0)])
    for account, items in sales.items():
        for item in items:
            p = item["purchase"]
            if p["status"] not in APPROVED_EVER or _is_renewal(p):
                continue
            row = out[(account, local_month(p["order_date"]), p["price"]["currency_code"])]
            row[0] += 1
            row[1] += (account, p["transaction"]) in firsts
            row[2] += amount(p["price"])
    return {k: tuple(v) for k, v in out.items()}


def monthly_sales_amount(sales: Items) -> dict[tuple, tuple[int, Decimal]]:
    """(account, approval month, currency) -> (approved orders, gross), renewals included."""
    out: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    for account, items in sales.items():
        for item in items:
            p = item["purchase"]
            if p["status"] not in APPROVED_EVER:
                continue
            when = p.get("approved_date") or p["order_date"]
            row = out[(account, local_month(when), p["price"]["currency_code"])]
            row[0] += 1
            row[1] += amount(p["price"])
    return {k: tuple(v) for k, v in out.items()}


def revenue_per_currency(sales: Items) -> dict[tuple, tuple[Decimal, Decimal]]:
    """(account, currency) -> (gross of approved orders, net revenue).

    Net revenue = gross - fully refunded - charged back or disputed (partial refunds keep
    their gross: Hotmart does not say how much was returned).
    """
    out: dict[tuple, list] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for account, items in sales.items():
        for item in items:
            p = item["purchase"]
            if p["status"] not in APPROVED_EVER:
                continue
            row = out[(account, p["price"]["currency_code"])]
            row[0] += amount(p["price"])
            if p["status"] not in LOST:
                row[1] += amount(p["price"])
    return {k: tuple(v) for k, v in out.items()}


def refund_counts(sales: Items) -> dict[tuple, Counter]:
    """(account, order month) -> Counter of REFUNDED / PARTIALLY_REFUNDED / CHARGEBACK /
    PROTESTED / approved."""
    out: dict[tuple, Counter] = defaultdict(Counter)
    for account, items in sales.items():
        for item in items:
            p = item["purchase"]
            if p["status"] not in APPROVED_EVER:
                continue
            c = out[(account, local_month(p["order_date"]))]
            c["approved"] += 1
            if p["status"] != "APPROVED" and p["status"] != "COMPLETE":
                c[p["status"]] += 1
    return out


def cohorts(sales: Items) -> dict[tuple, tuple[int, int, int, Decimal, Decimal]]:
    """(account, cohort month, currency, months since) -> (cohort customers, retained,
    orders, net revenue, cumulative net revenue), from the cohort month to the as-of month.

    A customer's cohort is the local month and the currency of their first approved order.
    Retained in a month: the customer has an approved order in it, in any currency (month 0
    is everybody); orders counts those orders. Net revenue adds only the orders in the
    cohort currency (amounts are never added across currencies).
    """
    last_month = local_month(as_of_ms(sales))
    out: dict[tuple, tuple[int, int, int, Decimal, Decimal]] = {}
    for account, items in sales.items():
        orders: dict[str, list[dict]] = defaultdict(list)
        for item in items:
            if item["purchase"]["status"] in APPROVED_EVER and item["buyer"].get("ucode"):
                orders[item["buyer"]["ucode"]].append(item["purchase"])
        members: dict[tuple[date, str], list[list[dict]]] = defaultdict(list)
        for buyer_orders in orders.values():
            first = min(buyer_orders, key=lambda p: (p["order_date"], p["transaction"]))
            members[(local_month(first["order_date"]), first["price"]["currency_code"])].append(
                buyer_orders
            )
        for (cohort_month, currency), buyers in members.items():
            cumulative = Decimal(0)
            for since, month in enumerate(_months(cohort_month, last_month)):
                retained = n_orders = 0
                net = Decimal(0)
                for buyer_orders in buyers:
                    in_month = [p for p in buyer_orders if local_month(p["order_date"]) == month]
                    retained += bool(in_month)
                    n_orders += len(in_month)
                    net += sum(
                        (
                            amount(p["price"])
                            for p in in_month
                            if p["price"]["currency_code"] == currency and p["status"] not in LOST
                        ),
                        Decimal(0),
                    )
                cumulative += net
                out[(account, cohort_month, currency, since)] = (
                    len(buyers),
                    retained,
                    n_orders,
                    net,
                    cumulative,
                )
    return out


def instalment_plans(transactions: Items) -> set[tuple[str, str]]:
    """(account, subscriber code) of the instalment plans: any recurrence billed as
    SMART_INSTALLMENT or SMART_RECOVERY (a one-time purchase paid in parts, not MRR)."""
    return {
        (account, t["subscriber_code"])
        for account, items in transactions.items()
        for t in items
        if t.get("billing_type") in INSTALMENTS
    }


def fully_refunded(sales: Items, transactions: Items) -> set[tuple[str, str]]:
    """(account, subscriber code) of the subscriptions that paid and kept nothing: every charge
    that was approved was then fully refunded, charged back or disputed."""
    out = set()
    for account in sales:
        status_of = {
            item["purchase"]["transaction"]: item["purchase"]["status"] for item in sales[account]
        }
        charges: dict[str, list[str]] = defaultdict(list)
        for t in transactions[account]:
            charges[t["subscriber_code"]].append(status_of[t["transaction"]])
        out |= {
            (account, code)
            for code, statuses in charges.items()
            if any(s in APPROVED_EVER for s in statuses)
            and not any(s in KEEPS_PERIOD for s in statuses)
        }
    return out


def churn_types(
    sales: Items, subscriptions: Items, transactions: Items
) -> dict[tuple[str, str], str | None]:
    """(account, subscriber code) -> churn type of the subscription (docs/reports.md).

    None for instalment plans and for subscriptions that never paid; voluntary when every
    charge that was paid was then fully refunded, charged back or disputed (whatever the
    status); otherwise voluntary when cancelled by the customer or the seller, involuntary
    when cancelled by Hotmart's admin, overdue or delayed, None while active.
    """
    plans = instalment_plans(transactions)
    refunded = fully_refunded(sales, transactions)
    out: dict[tuple[str, str], str | None] = {}
    for account in sales:
        status_of = {
            item["purchase"]["transaction"]: item["purchase"]["status"] for item in sales[account]
        }
        paid = {
            t["subscriber_code"]
            for t in transactions[account]
            if status_of[t["transaction"]] in APPROVED_EVER
        }
        for sub in subscriptions[account]:
            code = sub["subscriber_code"]
            kind: str | None = None
            if (account, code) in plans or code not in paid:
                kind = None
            elif (account, code) in refunded or sub["status"] in VOLUNTARY_STATUSES:
                # paid and then took all of it back, or cancelled by the customer / seller
                kind = "voluntary"
            elif sub["status"] in INVOLUNTARY_STATUSES:
                kind = "involuntary"
            out[(account, code)] = kind
    return out


def as_of_ms(sales: Items) -> int:
    """The data's "now": the latest order of any account (what int_hotmart__as_of uses)."""
    return max(item["purchase"]["order_date"] for items in sales.values() for item in items)


def _month_end(month: date) -> datetime:
    nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime(nxt.year, nxt.month, 1, tzinfo=TIMEZONE).astimezone(timezone.utc)


def _months(first: date, last: date) -> Iterable[date]:
    m = first
    while m <= last:
        yield m
        m = (m.replace(day=28) + timedelta(days=4)).replace(day=1)


def monthly_mrr(
    sales: Items, subscriptions: Items, transactions: Items
) -> dict[tuple, tuple[int, Decimal]]:
    """(account, month, currency) -> (active subscribers, MRR), for months with any MRR.

    A subscription counts at the month end (or at the as-of instant for the current month)
    when a kept charge (APPROVED, COMPLETE, PARTIALLY_REFUNDED) made before that instant
    covers it: charge + plan period + 1 grace day. Its MRR is that charge (the latest one)
    x 30 / period days, rounded to the cent. Subscribers are distinct buyers. Instalment
    plans (billing type SMART_INSTALLMENT / SMART_RECOVERY) have no MRR.
    """
    now = to_utc(as_of_ms(sales))
    last_month = now.astimezone(TIMEZONE).date().replace(day=1)
    plans = instalment_plans(transactions)
    out: dict[tuple, list] = defaultdict(lambda: [set(), Decimal(0)])
    for account in sales:
        by_tx = {item["purchase"]["transaction"]: item for item in sales[account]}
        subs = {s["subscriber_code"]: s for s in subscriptions[account]}
        charges: dict[str, list] = defaultdict(list)
        for t in transactions[account]:
            if (account, t["subscriber_code"]) in plans:
                continue
            sale = by_tx[t["transaction"]]
            p = sale["purchase"]
            if p["status"] in KEEPS_PERIOD:
                charges[t["subscriber_code"]].append(
                    (p["order_date"], amount(p["price"]), p["price"]["currency_code"])
                )
        for code, kept in charges.items():
            sub = subs[code]
            period = sub["plan"]["recurrency_period"]
            buyer = sub["subscriber"]["ucode"]
            first = min(local_month(c[0]) for c in kept)
            for month in _months(first, last_month):
                at = min(_month_end(month), now)
                covering = [
                    c
                    for c in kept
                    if to_utc(c[0]) < at
                    and to_utc(c[0]) + timedelta(days=period + MRR_GRACE_DAYS) > at
                ]
                if not covering:
                    continue
                _charge_ms, value, currency = max(covering)
                mrr = (value * 30 / period).quantize(CENT, rounding=ROUND_HALF_UP)
                row = out[(account, month, currency)]
                row[0].add(buyer)
                row[1] += mrr
    return {k: (len(v[0]), v[1]) for k, v in out.items()}


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _month_end_series(
    sales: Items, subscriptions: Items, transactions: Items, *, refunds_are_voluntary: bool = True
) -> Iterable[tuple[tuple, Decimal, Decimal, bool, str | None]]:
    """Each recurring subscription's month-end MRR, month by month, as docs/reports.md walks it:
    ``((account, month, currency), mrr, previous mrr, had MRR before, churn type)``.

    From the month of its first kept charge to the month after its last coverage ends (so a
    churn has its month), capped at the as-of month; the MRR at each month end is the latest
    covering kept charge x 30 / period (0 when none covers it). The churn type is only set
    on a churn (previous > 0, now 0): voluntary when a charge that would cover the month end
    was paid and then refunded, charged back or disputed (the buyer took that period's money
    back), else voluntary when the subscription is cancelled by the customer or the seller,
    else involuntary. Instalment plans are skipped. ``refunds_are_voluntary=False`` drops the
    refund rule (the status alone decides), only to show that the data exercises it.
    """
    now_ms = as_of_ms(sales)
    now = to_utc(now_ms)
    last_month = local_month(now_ms)
    zero = Decimal(0)
    plans = instalment_plans(transactions)
    for account in sales:
        by_tx = {item["purchase"]["transaction"]: item for item in sales[account]}
        subs = {s["subscriber_code"]: s for s in subscriptions[account]}
        charges: dict[str, list] = defaultdict(list)
        lost: dict[str, list[int]] = defaultdict(list)
        for t in transactions[account]:
            if (account, t["subscriber_code"]) in plans:
                continue
            p = by_tx[t["transaction"]]["purchase"]
            if p["status"] in KEEPS_PERIOD:
                charges[t["subscriber_code"]].append(
                    (p["order_date"], amount(p["price"]), p["price"]["currency_code"])
                )
            elif p["status"] in LOST:
                lost[t["subscriber_code"]].append(p["order_date"])
        for code, kept in charges.items():
            period = subs[code]["plan"]["recurrency_period"]
            cover = timedelta(days=period + MRR_GRACE_DAYS)
            first = min(local_month(c[0]) for c in kept)
            end = _next_month(
                max(local_month(c[0] + cover // timedelta(milliseconds=1)) for c in kept)
            )
            latest_currency = max(kept)[2]
            previous, had_mrr = zero, False
            for month in _months(first, min(end, last_month)):
                at = min(_month_end(month), now)
                covering = [c for c in kept if to_utc(c[0]) < at < to_utc(c[0]) + cover]
                if covering:
                    _t, value, currency = max(covering)
                    mrr = (value * 30 / period).quantize(CENT, rounding=ROUND_HALF_UP)
                else:
                    mrr, currency = zero, latest_currency
                churn_type = None
                if previous > 0 and mrr == 0:
                    refunded = refunds_are_voluntary and any(
                        to_utc(t) < at < to_utc(t) + cover for t in lost[code]
                    )
                    voluntary = refunded or subs[code]["status"] in VOLUNTARY_STATUSES
                    churn_type = "voluntary" if voluntary else "involuntary"
                yield (account, month, currency), mrr, previous, had_mrr, churn_type
                had_mrr = had_mrr or mrr > 0
                previous = mrr


def monthly_mrr_movements(
    sales: Items, subscriptions: Items, transactions: Items
) -> dict[tuple, tuple[Decimal, Decimal, Decimal, Decimal, Decimal]]:
    """(account, month, currency) -> (new, reactivation, expansion, contraction, churned) MRR.

    Why its own walk rather than differencing ``monthly_mrr``: movements are per subscription
    (one subscription's upgrade and another's downgrade in the same month must both show),
    so each subscription gets its month-end MRR series (``_month_end_series``). Between
    consecutive months: 0 -> >0 is new (never had MRR before) or reactivation, >0 -> 0 is
    churned (the previous MRR), >0 -> a larger / smaller value is expansion / contraction
    (the difference). A plan switch to a same-period plan at another price is what makes
    expansion and contraction.
    """
    zero = Decimal(0)
    out: dict[tuple, list[Decimal]] = defaultdict(lambda: [zero] * 5)
    for key, mrr, previous, had_mrr, _churn in _month_end_series(
        sales, subscriptions, transactions
    ):
        row = out[key]
        if previous == 0 and mrr > 0:
            row[1 if had_mrr else 0] += mrr
        elif previous > 0 and mrr == 0:
            row[4] += previous
        elif mrr > previous:
            row[2] += mrr - previous
        elif mrr < previous:
            row[3] += previous - mrr
    return {k: (v[0], v[1], v[2], v[3], v[4]) for k, v in out.items()}


def monthly_churn_split(
    sales: Items, subscriptions: Items, transactions: Items, *, refunds_are_voluntary: bool = True
) -> dict[tuple, tuple[Decimal, Decimal, int, int]]:
    """(account, month, currency) -> (voluntary, involuntary churned MRR, voluntary,
    involuntary churned subscriptions), for the months with a churn."""
    out: dict[tuple, list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0, 0])
    for key, _mrr, previous, _had, churn_type in _month_end_series(
        sales, subscriptions, transactions, refunds_are_voluntary=refunds_are_voluntary
    ):
        if churn_type is not None:
            i = 0 if churn_type == "voluntary" else 1
            out[key][i] += previous
            out[key][2 + i] += 1
    return {k: (v[0], v[1], v[2], v[3]) for k, v in out.items()}
