"""The New Orders report: orders, new buyers, first-time vs returning, gross revenue and
average order value per period and currency, read from the ``hotmart__new_orders`` mart.

The mart already holds the day, week and month grains (dated in the dbt project's reporting
time zone), so this module only filters, sums over products and sources, and lays out the
last N periods, including the periods without any order (shown as zeros: a silent gap would
read as missing data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from hotmart_reports.db import ReportError
from hotmart_reports.render import fmt_int, fmt_money, table

PERIODS = ("day", "week", "month")
_STEP = {"day": "1 day", "week": "1 week", "month": "1 month"}  # never user input


@dataclass(frozen=True)
class Filters:
    """What to report on; ``None`` means everything."""

    period: str = "month"
    last: int = 6
    account: str | None = None
    product: int | None = None
    source: str | None = None


@dataclass(frozen=True)
class Row:
    """One period x currency (currency None: a period without orders)."""

    period_start: date
    currency: str | None
    orders: int
    new_buyers: int
    first_time_orders: int
    returning_orders: int
    gross_revenue: Decimal

    @property
    def average_order_value(self) -> Decimal | None:
        if not self.orders:
            return None
        return (self.gross_revenue / self.orders).quantize(Decimal("0.01"))


def fetch(conn, schema: str, filters: Filters) -> list[Row]:
    """Rows of the last ``filters.last`` periods, ending at the latest period with data."""
    from psycopg import errors, sql  # noqa: PLC0415 - optional dependency

    if filters.period not in PERIODS:
        raise ReportError(f"--period must be one of {', '.join(PERIODS)}")
    if filters.last < 1:
        raise ReportError("--last must be at least 1")
    mart = sql.Identifier(schema, "hotmart__new_orders")
    query = sql.SQL("""
        with anchor as (
            select max(period_start) as last_period
            from {mart}
            where period_type = %(period)s
        ),
        periods as (
            select generate_series(
                last_period - (%(last)s - 1) * {step}::interval, last_period, {step}::interval
            )::date as period_start
            from anchor
            where last_period is not null
        ),
        selected_orders as (
            select *
            from {mart}
            where period_type = %(period)s
              and (%(account)s::text is null or account_id = %(account)s::text)
              and (%(product)s::bigint is null or product_id = %(product)s::bigint)
              and (%(source)s::text is null or lower(source) = lower(%(source)s::text))
        )
        select
            periods.period_start,
            selected_orders.currency_code,
            coalesce(sum(selected_orders.new_orders), 0)::bigint,
            coalesce(sum(selected_orders.new_buyers), 0)::bigint,
            coalesce(sum(selected_orders.first_time_orders), 0)::bigint,
            coalesce(sum(selected_orders.returning_orders), 0)::bigint,
            coalesce(sum(selected_orders.gross_revenue), 0)
        from periods
        left join selected_orders
            on selected_orders.period_start = periods.period_start
        group by 1, 2
        order by 1, 2 nulls first
    """).format(mart=mart, step=sql.Literal(_STEP[filters.period]))
    params = {
        "period": filters.period,
        "last": filters.last,
        "account": filters.account,
        "product": filters.product,
        "source": filters.source,
    }
    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            records = cur.fetchall()
    except errors.UndefinedTable as exc:
        raise ReportError(
            f"{schema}.hotmart__new_orders does not exist: run the dbt project first "
            "(meltano invoke dbt-postgres:build, or dbt build in transform/)"
        ) from exc
    return [Row(*record) for record in records]


def render(rows: list[Row], filters: Filters) -> str:
    """The report as text: one line per period and currency, then totals per currency."""
    scope = [f"account {filters.account}" if filters.account else "all accounts"]
    if filters.product is not None:
        scope.append(f"product {filters.product}")
    if filters.source:
        scope.append(f"source {filters.source}")
    unit = filters.period + ("s" if filters.last > 1 else "")
    title = f"New orders by {filters.period}, last {filters.last} {unit} ({', '.join(scope)})"
    if not rows:
        return f"{title}\n\nNo orders in the warehouse yet."

    headers = (
        "Period",
        "Currency",
        "Orders",
        "New buyers",
        "First-time",
        "Returning",
        "Gross revenue",
        "AOV",
    )
    body = [
        (
            row.period_start.isoformat(),
            row.currency or "-",
            fmt_int(row.orders),
            fmt_int(row.new_buyers),
            fmt_int(row.first_time_orders),
            fmt_int(row.returning_orders),
            fmt_money(row.gross_revenue),
            fmt_money(row.average_order_value),
        )
        for row in rows
    ]
    totals: dict[str, list] = {}
    for row in rows:
        if row.currency is None:
            continue
        t = totals.setdefault(row.currency, [0, 0, 0, 0, Decimal(0)])
        t[0] += row.orders
        t[1] += row.new_buyers
        t[2] += row.first_time_orders
        t[3] += row.returning_orders
        t[4] += row.gross_revenue
    total_rows = [
        (
            "Total",
            currency,
            fmt_int(t[0]),
            fmt_int(t[1]),
            fmt_int(t[2]),
            fmt_int(t[3]),
            fmt_money(t[4]),
            fmt_money((t[4] / t[0]).quantize(Decimal("0.01")) if t[0] else None),
        )
        for currency, t in sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ]
    align = "llrrrrrr"
    parts = [title, "", table(headers, body, align)]
    if total_rows:
        parts += ["", table(headers, total_rows, align)]
    parts += [
        "",
        "Orders: approved one-time purchases and first subscription charges, by "
        "order date. Amounts are per currency, never added across currencies.",
    ]
    return "\n".join(parts)
