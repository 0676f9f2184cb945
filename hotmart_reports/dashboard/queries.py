"""The dashboard's figures: one SQL query per dataset, over the dbt marts.

Why every figure is a query (DESIGN.md decision 13): the page only draws and filters what
these return. Each dataset is aggregated twice in one query, with grouping sets: per account
and over all accounts (``account_id`` null), so that the page's account selector picks rows
and never adds any; the currency is always part of a row's key, so no figure adds two
currencies. Metrics reuse the columns of the terminal reports (``catalog``), and so their
sums, rates and rounding.

``--since`` keeps the periods that contain or follow that date (the cohorts that started
then or later, the orders placed then or later for the rankings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from hotmart_reports.catalog import COHORTS, FAILED_PAYMENTS, MRR, NEW_ORDERS, OVERVIEW
from hotmart_reports.db import ReportError, Warehouse
from hotmart_reports.marts import Scope, check_scope, run_records, where
from hotmart_reports.report import Column, dimensions, ratio, total
from hotmart_reports.sql import Sql, code_point_order, ident, join, raw, sql, value

PERIODS = ("day", "week", "month")
#: rows of each ranking per account (and all accounts) and currency
TOP = 10
#: the filters the dashboard offers, on every mart it reads
SCOPE_DIMENSIONS = dimensions("account", "currency")


@dataclass(frozen=True)
class Options(Scope):
    """What a dashboard shows: the scope, the period of its time series and its start."""

    period: str = "month"
    since: date | None = None


@dataclass(frozen=True)
class Dataset:
    """One query of the dashboard: its mart and how to build its SQL for ``options``."""

    name: str
    mart: str
    build: Callable[[Sql, Options], Sql]


def period_start(options: Options) -> Sql:
    """The first day of the period that holds ``options.since`` (a day, a Monday, the 1st),
    so that ``--since 2026-10-15 --period month`` keeps October."""
    return sql(
        "CAST(date_trunc({unit}, CAST({since} AS timestamp)) AS date)",
        unit=value(options.period),
        since=value(options.since),
    )


def since_filter(column: str, options: Options, *, truncate: bool = True) -> Sql:
    """``column`` on or after ``--since`` (its period's start when ``truncate``)."""
    if options.since is None:
        return raw("true")
    start = period_start(options) if truncate else value(options.since)
    return sql("{column} >= {start}", column=ident(column), start=start)


def grouped(
    mart: Sql,
    keys: tuple[Column, ...],
    metrics: tuple[Column, ...],
    condition: Sql,
) -> Sql:
    """``metrics`` per account, currency and ``keys``, and per currency and ``keys`` over
    all accounts (``account_id`` null), ordered so that the page draws them as they come."""
    key_sql = join(", ", (column.sql for column in keys))
    return sql(
        """
        select
            account_id,
            currency_code,
            {keys},
            {metrics}
        from {mart}
        where {condition}
        group by grouping sets (
            (account_id, currency_code, {key_sql}), (currency_code, {key_sql})
        )
        order by account_id nulls first, {currency}, {key_order}
    """,
        keys=join(",\n            ", (sql("{k} as {n}", k=c.sql, n=ident(c.name)) for c in keys)),
        metrics=join(
            ",\n            ", (sql("{m} as {n}", m=c.sql, n=ident(c.name)) for c in metrics)
        ),
        mart=mart,
        condition=condition,
        currency=code_point_order(raw("currency_code")),
        key_sql=key_sql,
        key_order=join(", ", (column.sort_key() for column in keys)),
    )


def _key(name: str, expression: str | None = None, kind: str = "text") -> Column:
    """A key of a dataset: ``expression`` over the mart (the column ``name`` by default)."""
    return Column(name, name, raw(expression or name), kind)


def _scoped(options: Options, *conditions: Sql) -> Sql:
    return join(" and ", (where(options, SCOPE_DIMENSIONS), *conditions))


def new_orders(mart: Sql, options: Options) -> Sql:
    """The New Orders report's figures per period: orders, new and returning buyers, gross
    revenue, average order value."""
    return grouped(
        mart,
        (_key("period_start", kind="date"),),
        NEW_ORDERS.metrics,
        _scoped(
            options,
            sql("period_type = {period}", period=value(options.period)),
            since_filter("period_start", options),
        ),
    )


def revenue(mart: Sql, options: Options) -> Sql:
    """The cash view per period (daily overview): gross sales, refunds, chargebacks, Hotmart
    fees, producer net and net revenue."""
    column = f"date_{options.period}"
    metrics = (
        *OVERVIEW.metrics,
        total("producer_commission_amount", "Producer net", "money"),
    )
    return grouped(
        mart,
        (_key("period_start", column, "date"),),
        metrics,
        _scoped(options, since_filter(column, options)),
    )


def converted(name: str, source: str) -> Column:
    """The sum of ``name``, an amount converted to the reporting currency, or null when an
    order with a ``source`` amount has none: the mart leaves an amount without a rate null
    (never 0), and a sum without it would be too low without saying so."""
    return Column(
        name,
        name,
        raw(f"case when count({source}) = count({name}) then coalesce(sum({name}), 0) end"),
        "money",
    )


def reporting_revenue(mart: Sql, options: Options) -> Sql:
    """Approved orders per approval period in the reporting currency (``hotmart__orders``'s
    ``*_reporting`` columns); no rows when no reporting currency is configured.

    The currency of these rows is the reporting currency; ``orders_without_rate`` counts the
    orders of the row whose gross could not be converted (the amounts are then null)."""
    metrics = (
        total("orders", "Orders"),
        converted("gross_amount_reporting", "gross_amount"),
        converted("net_revenue_amount_reporting", "net_revenue_amount"),
        converted("hotmart_fee_amount_reporting", "hotmart_fee_amount"),
        converted("producer_net_amount_reporting", "producer_net_amount"),
        Column(
            "orders_without_rate",
            "orders_without_rate",
            raw(
                "CAST(count(case when gross_amount is not null "
                "and gross_amount_reporting is null then 1 end) AS bigint)"
            ),
        ),
    )
    return sql(
        """
        with m as (
            select reporting_currency_code as currency_code, account_id, 1 as orders,
                   CAST(date_trunc({unit}, CAST(approved_date AS timestamp)) AS date)
                       as period_start,
                   gross_amount, gross_amount_reporting, net_revenue_amount,
                   net_revenue_amount_reporting, hotmart_fee_amount,
                   hotmart_fee_amount_reporting, producer_net_amount,
                   producer_net_amount_reporting
            from {mart}
            where is_approved and reporting_currency_code is not null and {scope}
        )
        {grouped}
    """,
        unit=value(options.period),
        mart=mart,
        # --currency filters the orders' own currency: the reporting rows are theirs
        scope=_scoped(options, since_filter("approved_date", options)),
        grouped=grouped(raw("m"), (_key("period_start", kind="date"),), metrics, raw("true")),
    )


def failed_payments(mart: Sql, options: Options) -> Sql:
    """Failed payment attempts and their recovery, and the conversion of each payment type
    (on BILLET and PIX: the boleto / PIX conversion), per order month."""
    return grouped(
        mart,
        (_key("period_start", "order_month", "date"), _key("payment_type")),
        FAILED_PAYMENTS.metrics,
        _scoped(options, since_filter("order_month", _monthly(options))),
    )


def mrr(mart: Sql, options: Options) -> Sql:
    """MRR, its movements, active subscribers and customer churn per month."""
    return grouped(
        mart,
        (_key("period_start", "date_month", "date"),),
        MRR.metrics,
        _scoped(options, since_filter("date_month", _monthly(options))),
    )


def cohorts(mart: Sql, options: Options) -> Sql:
    """Retention and revenue per first-purchase month and months since."""
    return grouped(
        mart,
        (_key("cohort_month", kind="date"), _key("months_since_first_purchase", kind="int")),
        COHORTS.metrics,
        _scoped(options, since_filter("cohort_month", _monthly(options))),
    )


def customers_by_source(mart: Sql, options: Options) -> Sql:
    """Customers and their lifetime value by first-touch source (the tracking of their
    first order); ``(none)`` for orders without a source."""
    return grouped(
        mart,
        (_key("source", "coalesce(first_touch_source, '(none)')"),),
        (
            Column("customers", "customers", raw("CAST(count(*) AS bigint)")),
            Column(
                "repeat_customers",
                "repeat_customers",
                raw("CAST(count(case when is_repeat_customer then 1 end) AS bigint)"),
            ),
            total("lifetime_value", "LTV", "money"),
            ratio("average_lifetime_value", "Average LTV", "lifetime_value", "1", "money"),
        ),
        _scoped(options, since_filter("first_order_date", options, truncate=False)),
    )


def ranking(dimension: str, expression: str, condition: str = "true") -> Callable[..., Sql]:
    """The top ``TOP`` values of ``expression`` over approved orders, by net revenue, per
    account (and over all accounts) and currency."""

    def build(mart: Sql, options: Options) -> Sql:
        metrics = (
            Column("orders", "orders", raw("CAST(count(*) AS bigint)")),
            total("gross_amount", "Gross", "money"),
            total("net_revenue_amount", "Net revenue", "money"),
            # commissions of the same currency as the order (as the daily overview sums fees)
            Column(
                "affiliate_commission_amount",
                "Affiliate commission",
                raw(
                    "coalesce(sum(case when commission_currency_code = currency_code "
                    "then affiliate_commission_amount end), 0)"
                ),
                "money",
            ),
        )
        rows = grouped(
            mart,
            (_key(dimension, expression),),
            metrics,
            _scoped(
                options,
                raw(f"is_approved and {condition}"),
                since_filter("order_date", options, truncate=False),
            ),
        )
        return sql(
            """
            with grouped as ({rows}),
            ranked as (
                select *, row_number() over (
                    partition by account_id, currency_code
                    order by net_revenue_amount desc, gross_amount desc, {name}
                ) as row_rank
                from grouped
            )
            select * from ranked where row_rank <= {top}
            order by account_id nulls first, {currency}, row_rank
        """,
            rows=rows,
            name=code_point_order(ident(dimension)),
            top=value(TOP),
            currency=code_point_order(raw("currency_code")),
        )

    return build


def currencies(mart: Sql, options: Options) -> Sql:
    """Every account and currency with approved orders, the most orders first: the page's
    selectors, and the currency it opens on."""
    return sql(
        """
        select account_id, currency_code, CAST(count(*) AS bigint) as orders
        from {mart}
        where is_approved and currency_code is not null and {scope}
        group by grouping sets ((account_id, currency_code), (currency_code))
        order by account_id nulls first, orders desc, {currency}
    """,
        mart=mart,
        scope=where(options, SCOPE_DIMENSIONS),
        currency=code_point_order(raw("currency_code")),
    )


def summary(mart: Sql, options: Options) -> Sql:
    """The latest order date (what the data describes) and the reporting currency the marts
    were built with (null without one), for the page's header and its revenue section."""
    return sql(
        """
        select max(order_date) as latest_order_date,
               max(reporting_currency_code) as reporting_currency_code
        from {mart}
        where {scope}
    """,
        mart=mart,
        scope=where(options, SCOPE_DIMENSIONS),
    )


def _monthly(options: Options) -> Options:
    """The monthly marts start at the month of ``--since``, whatever ``--period``."""
    return Options(account=options.account, currency=options.currency, since=options.since)


DATASETS = (
    Dataset("summary", "hotmart__orders", summary),
    Dataset("currencies", "hotmart__orders", currencies),
    Dataset("new_orders", "hotmart__new_orders", new_orders),
    Dataset("revenue", "hotmart__daily_overview", revenue),
    Dataset("reporting_revenue", "hotmart__orders", reporting_revenue),
    Dataset("failed_payments", "hotmart__failed_payments", failed_payments),
    Dataset("mrr", "hotmart__mrr_monthly", mrr),
    Dataset("cohorts", "hotmart__cohorts", cohorts),
    Dataset("customers_by_source", "hotmart__customers", customers_by_source),
    Dataset("top_products", "hotmart__orders", ranking("product", "product_name")),
    Dataset(
        "top_sources", "hotmart__orders", ranking("source", "coalesce(tracking_source, '(none)')")
    ),
    Dataset(
        "top_affiliates",
        "hotmart__orders",
        ranking(
            "affiliate",
            "coalesce(affiliate_name, affiliate_ucode)",
            "affiliate_ucode is not null",
        ),
    ),
)


def plain(item: object) -> Any:
    """A value for the page's JSON: amounts and rates as numbers (the charts need numbers;
    a float's shortest form gives back the decimal of any amount below 10^13 to the cent),
    dates ISO."""
    if isinstance(item, Decimal):
        return float(item)
    if isinstance(item, date):
        return item.isoformat()
    return item


def fetch(warehouse: Warehouse, schema: str, options: Options) -> dict[str, list[dict[str, Any]]]:
    """Every dataset's rows as JSON objects; ``ReportError`` for a bad filter, a period
    that is not one, a mart dbt has not built, or a warehouse without orders."""
    if options.period not in PERIODS:
        raise ReportError(f"--period must be one of {', '.join(PERIODS)}")
    check_scope(warehouse, schema, "hotmart__orders", options, SCOPE_DIMENSIONS)
    results: dict[str, list[dict[str, Any]]] = {}
    for dataset in DATASETS:
        query = dataset.build(warehouse.table(schema, dataset.mart), options)
        records = run_records(warehouse, schema, dataset.mart, query)
        if dataset.name == "currencies" and not records:
            raise ReportError(f"no orders in {schema}.hotmart__orders yet: nothing to draw")
        results[dataset.name] = [
            {name: plain(item) for name, item in record.items()} for record in records
        ]
    return results
