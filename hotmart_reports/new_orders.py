"""The New Orders report: orders, new buyers and returning orders, gross revenue and average
order value per period and currency, read from the ``hotmart__new_orders`` mart.

The mart already holds the day, week and month grains (dated in the dbt project's reporting
time zone), so the report's query only filters, sums over products and sources, and lays out
the last N periods, including the periods without any order (shown as zeros: a silent gap
would read as missing data), then the total of each currency over those periods. Every
figure, the average order value included, comes out of SQL, as in the mart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from hotmart_reports.db import ReportError
from hotmart_reports.marts import Scope, check_scope, run, where
from hotmart_reports.render import fmt_int, fmt_money, table

if TYPE_CHECKING:
    from psycopg import Connection

MART = "hotmart__new_orders"
PERIODS = ("day", "week", "month")
_STEP = {"day": "1 day", "week": "1 week", "month": "1 month"}  # never user input


@dataclass(frozen=True)
class Filters(Scope):
    """What to report on: the scope of every report, plus the periods to lay out."""

    period: str = "month"
    last: int = 6


@dataclass(frozen=True)
class Row:
    """One period x currency.

    ``period_start`` None: the currency's total over the reported periods; ``currency``
    None: a period without any order.
    """

    period_start: date | None
    currency: str | None
    orders: int
    new_buyers: int
    returning_orders: int
    gross_revenue: Decimal
    average_order_value: Decimal | None


def fetch(conn: Connection[Any], schema: str, filters: Filters) -> list[Row]:
    """Rows of the last ``filters.last`` periods, ending at the latest period with data,
    then one total row per currency."""
    from psycopg import sql  # noqa: PLC0415 - optional dependency

    if filters.period not in PERIODS:
        raise ReportError(f"--period must be one of {', '.join(PERIODS)}")
    if filters.last < 1:
        raise ReportError("--last must be at least 1")
    check_scope(conn, schema, MART, filters)
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
            where period_type = %(period)s and {scope}
        )
        select
            periods.period_start,
            selected_orders.currency_code,
            coalesce(sum(selected_orders.new_orders), 0)::bigint,
            coalesce(sum(selected_orders.new_buyers), 0)::bigint,
            coalesce(sum(selected_orders.returning_orders), 0)::bigint,
            coalesce(sum(selected_orders.gross_revenue), 0),
            -- the mart's average_order_value, over the summed products and sources
            round(
                sum(selected_orders.gross_revenue) / nullif(sum(selected_orders.new_orders), 0),
                2
            )
        from periods
        left join selected_orders
            on selected_orders.period_start = periods.period_start
        group by grouping sets (
            (periods.period_start, selected_orders.currency_code),
            (selected_orders.currency_code)
        )
        having grouping(periods.period_start) = 0 or selected_orders.currency_code is not null
        order by
            grouping(periods.period_start),
            periods.period_start,
            -- totals: the biggest currency first
            case when grouping(periods.period_start) = 1 then sum(selected_orders.new_orders) end
                desc,
            selected_orders.currency_code nulls first
    """).format(
        mart=sql.Identifier(schema, MART),
        step=sql.Literal(_STEP[filters.period]),
        scope=where(filters),
    )
    params = {**filters.params(), "period": filters.period, "last": filters.last}
    return [Row(*record) for record in run(conn, schema, MART, query, params)]


def render(rows: list[Row], filters: Filters) -> str:
    """The report as text: one line per period and currency, then totals per currency."""
    unit = filters.period + ("s" if filters.last > 1 else "")
    title = f"New orders by {filters.period}, last {filters.last} {unit} ({filters.describe()})"
    if not rows:
        return f"{title}\n\nNo orders in the warehouse yet."

    headers = ("Period", "Currency", "Orders", "New buyers", "Returning", "Gross revenue", "AOV")
    align = "llrrrrr"

    def cells(row: Row) -> tuple[str, ...]:
        return (
            row.period_start.isoformat() if row.period_start else "Total",
            row.currency or "-",
            fmt_int(row.orders),
            fmt_int(row.new_buyers),
            fmt_int(row.returning_orders),
            fmt_money(row.gross_revenue),
            fmt_money(row.average_order_value),
        )

    periods = [cells(row) for row in rows if row.period_start is not None]
    totals = [cells(row) for row in rows if row.period_start is None]
    parts = [title, "", table(headers, periods, align)]
    if totals:
        parts += ["", table(headers, totals, align)]
    parts += [
        "",
        "Orders: approved one-time purchases and first subscription charges, by order date. "
        "Amounts are per currency, never added across currencies.",
        "New buyers: orders that are the buyer's first purchase; Returning: orders of buyers "
        "who had bought before (Orders = New buyers + Returning).",
    ]
    return "\n".join(parts)
