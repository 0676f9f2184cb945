"""What the dashboard draws: its sections, each with Vega-Lite specifications of its charts.

Why Vega-Lite specifications: a chart is a declaration (mark, fields, scales) that names its
dataset (``data: {"name": ...}``); the page hands it the rows of the account and currency
selected, and Vega draws them. No specification aggregates: every plotted value is a field
of a row the dashboard's queries returned (``queries.py``), so what the page shows is what
SQL computed. Stacked bars only stack rows side by side; the tooltip shows each row's value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Spec = dict[str, Any]

HEIGHT = 200
MONEY = ",.2f"
COUNT = ",d"
RATE = ".2%"
CATEGORY_TITLES = {"payment_type": "Payment type"}


@dataclass(frozen=True)
class Chart:
    """One chart: its title, the dataset it draws and its Vega-Lite specification.
    ``per_currency``: the page shows the rows of the selected currency only (every chart of
    amounts or of counts split by currency); false for the reporting-currency chart."""

    id: str
    title: str
    dataset: str
    spec: Spec
    per_currency: bool = True


@dataclass(frozen=True)
class Section:
    """A part of the page, with what its figures mean (docs/reports.md has the details)."""

    id: str
    title: str
    note: str
    charts: tuple[Chart, ...] = field(default_factory=tuple)


def _period(period: str, *, bar: bool = False) -> Spec:
    """The time axis. The marts' dates are local dates written ``YYYY-MM-DD``: lines read
    them as UTC instants, so that no browser's time zone moves a month to the day before;
    bars take one band per period (of any length: a day, a Monday's week, a month)."""
    if bar:
        label = "slice(datum.label, 0, 7)" if period == "month" else "datum.label"
        return {
            "field": "period_start",
            "type": "ordinal",
            "title": None,
            "axis": {"labelExpr": label, "labelOverlap": "greedy", "labelAngle": -45},
        }
    if period == "month":  # ticks on the 1st of a month, never between two
        return {
            "field": "period_start",
            "type": "temporal",
            "timeUnit": "utcyearmonth",
            "title": None,
            "axis": {"format": "%b %Y", "tickCount": {"interval": "month"}},
        }
    return {
        "field": "period_start",
        "type": "temporal",
        "timeUnit": "utcyearmonthdate",
        "title": None,
        "axis": {"format": "%Y-%m-%d"},
    }


def _labels(labels: Mapping[str, str]) -> str:
    """A Vega expression naming each folded field for the legend."""
    pairs = ", ".join(f"'{name}': '{label}'" for name, label in labels.items())
    return f"{{{pairs}}}[datum.label]"


def _tip(field_name: str, title: str, fmt: str) -> Spec:
    """A tooltip line: ``fmt`` a d3 number format, or ``text``."""
    if fmt == "text":
        return {"field": field_name, "type": "nominal", "title": title}
    return {"field": field_name, "type": "quantitative", "title": title, "format": fmt}


def _when(title: str, *, bar: bool) -> Spec:
    """The period in a tooltip, typed as the chart's axis types it (Vega-Lite parses a field
    as dates for the whole chart when any channel reads it as temporal)."""
    if bar:
        return _tip("period_start", title, "text")
    return {"field": "period_start", "type": "temporal", "timeUnit": "utcyearmonthdate",
            "title": title, "format": "%Y-%m-%d"}  # fmt: skip


def series(
    dataset: str,
    measures: Mapping[str, str],
    fmt: str,
    *,
    period: str = "month",
    mark: str = "line",
    stack: bool = False,
) -> Spec:
    """One line or bar per measure (a field of each row) over the periods, in one chart."""
    folded = list(measures)
    y: Spec = {
        "field": "value",
        "type": "quantitative",
        "title": None,
        "axis": {"format": "~s"},
        "stack": "zero" if stack else None,
    }
    encoding: Spec = {
        "x": _period(period, bar=mark == "bar"),
        "y": y,
        "color": {
            "field": "measure",
            "type": "nominal",
            "scale": {"domain": folded},
            "sort": folded,
            "legend": {"title": None, "orient": "top", "labelExpr": _labels(measures)},
        },
        "tooltip": [
            _when("Period", bar=mark == "bar"),
            {"field": "measure_label", "type": "nominal", "title": "Measure"},
            {"field": "value", "type": "quantitative", "title": "Value", "format": fmt},
        ],
    }
    if mark == "bar" and not stack:
        encoding["xOffset"] = {"field": "measure", "sort": folded}
    return {
        "data": {"name": dataset},
        "transform": [
            {"fold": folded, "as": ["measure", "value"]},
            {
                "calculate": _labels(measures).replace("datum.label", "datum.measure"),
                "as": "measure_label",
            },
        ],
        "mark": {"type": mark, "point": mark == "line", "tooltip": True},
        "encoding": encoding,
    }


def by_category(dataset: str, category: str, measure: str, title: str, fmt: str) -> Spec:
    """A line per value of ``category`` (payment types) over the periods."""
    category_title = CATEGORY_TITLES[category]
    return {
        "data": {"name": dataset},
        "mark": {"type": "line", "point": True, "tooltip": True},
        "encoding": {
            "x": _period("month"),
            "y": {"field": measure, "type": "quantitative", "title": title,
                  "axis": {"format": fmt}},
            "color": {"field": category, "type": "nominal", "title": category_title,
                      "legend": {"orient": "top"}},
            "tooltip": [_when("Month", bar=False), _tip(category, category_title, "text"),
                        _tip(measure, title, fmt)],
        },
    }  # fmt: skip


def stacked_by(dataset: str, category: str, measure: str, title: str, fmt: str) -> Spec:
    """Bars over the periods, one segment per value of ``category`` (each a row)."""
    spec = by_category(dataset, category, measure, title, fmt)
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"]["x"] = _period("month", bar=True)
    spec["encoding"]["tooltip"][0] = _when("Month", bar=True)
    return spec


def ranked(dataset: str, name: str, name_title: str, fmt: str = MONEY) -> Spec:
    """Horizontal bars of net revenue, in the rows' rank order (``row_rank``)."""
    return {
        "data": {"name": dataset},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": name, "type": "nominal", "title": None,
                  "sort": {"field": "row_rank", "order": "ascending"}},
            "x": {"field": "net_revenue_amount", "type": "quantitative", "title": "Net revenue",
                  "axis": {"format": "~s"}},
            "tooltip": [_tip(name, name_title, "text"), _tip("orders", "Orders", COUNT),
                        _tip("gross_amount", "Gross", fmt),
                        _tip("net_revenue_amount", "Net revenue", fmt),
                        _tip("affiliate_commission_amount", "Affiliate commission", fmt)],
        },
    }  # fmt: skip


def bars_by_source(dataset: str, measure: str, title: str, fmt: str) -> Spec:
    """Horizontal bars of one measure per first-touch source, the biggest first."""
    return {
        "data": {"name": dataset},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": "source", "type": "nominal", "title": None,
                  "sort": {"field": measure, "order": "descending"}},
            "x": {"field": measure, "type": "quantitative", "title": title,
                  "axis": {"format": "~s"}},
            "tooltip": [_tip("source", "First-touch source", "text"),
                        _tip("customers", "Customers", COUNT),
                        _tip("repeat_customers", "Repeat customers", COUNT),
                        _tip("lifetime_value", "Lifetime value", MONEY),
                        _tip("average_lifetime_value", "Average LTV", MONEY)],
        },
    }  # fmt: skip


def subscribers_and_churn(dataset: str) -> Spec:
    """Active subscribers (bars) and the customer churn rate (line), two scales."""
    x = _period("month", bar=True)
    tooltip = [_when("Month", bar=True), _tip("active_customers", "Subscribers", COUNT),
               _tip("customer_churn_rate", "Churn rate", RATE)]  # fmt: skip
    return {
        "data": {"name": dataset},
        "layer": [
            {"mark": {"type": "bar", "opacity": 0.5, "tooltip": True},
             "encoding": {"x": x, "y": {"field": "active_customers", "type": "quantitative",
                                        "title": "Active subscribers"}, "tooltip": tooltip}},
            {"mark": {"type": "line", "point": True, "color": "#c0392b", "tooltip": True},
             "encoding": {"x": x, "y": {"field": "customer_churn_rate", "type": "quantitative",
                                        "title": "Churn rate", "axis": {"format": "%"}},
                          "tooltip": tooltip}},
        ],
        "resolve": {"scale": {"y": "independent"}},
    }  # fmt: skip


def retention_heatmap(dataset: str) -> Spec:
    """Cohort month (rows) x months since the first purchase (columns), coloured by the
    share of the cohort's customers with an order that month."""
    return {
        "data": {"name": dataset},
        "mark": {"type": "rect", "tooltip": True},
        "height": {"step": 14},
        "encoding": {
            "x": {"field": "months_since_first_purchase", "type": "ordinal",
                  "title": "Months since the first purchase"},
            "y": {"field": "cohort_month", "type": "ordinal", "title": "Cohort",
                  "timeUnit": "utcyearmonth"},
            "color": {"field": "retention_rate", "type": "quantitative", "title": "Retention",
                      "scale": {"scheme": "blues", "domain": [0, 1]},
                      "legend": {"format": "%"}},
            "tooltip": [
                {"field": "cohort_month", "type": "temporal", "timeUnit": "utcyearmonth",
                 "title": "Cohort", "format": "%Y-%m"},
                _tip("months_since_first_purchase", "Months since", COUNT),
                _tip("cohort_customers", "Customers", COUNT),
                _tip("customers_retained", "Retained", COUNT),
                _tip("retention_rate", "Retention", RATE),
                _tip("net_revenue_amount", "Net revenue", MONEY),
                _tip("cumulative_revenue_per_customer", "Cumulative per customer", MONEY),
            ],
        },
    }  # fmt: skip


def sections(period: str, reporting_currency: str | None) -> tuple[Section, ...]:
    """Every section of the page, the New Orders and revenue charts by ``period`` (the
    other marts are monthly); the reporting-currency chart only when the marts have one
    (``hotmart_reporting_currency``), since without it no figure may add currencies."""
    reporting: Sequence[Chart] = ()
    reporting_note = (
        f" The last chart adds every currency converted to {reporting_currency} "
        "(hotmart__orders' *_reporting columns, by approval date; a period with an order "
        "that has no rate is left empty)."
        if reporting_currency
        else " No reporting currency is configured (dbt variables "
        "hotmart_reporting_currency, hotmart_exchange_rates): each currency stands alone."
    )
    if reporting_currency:
        reporting = (
            Chart(
                "reporting-revenue",
                f"All currencies in {reporting_currency}",
                "reporting_revenue",
                series(
                    "reporting_revenue",
                    {
                        "gross_amount_reporting": "Gross",
                        "net_revenue_amount_reporting": "Net revenue",
                        "hotmart_fee_amount_reporting": "Hotmart fees",
                        "producer_net_amount_reporting": "Producer net",
                    },
                    MONEY,
                    period=period,
                ),
                per_currency=False,
            ),
        )
    return (
        Section(
            "new-orders",
            "New Orders",
            "Approved one-time purchases and first subscription charges by order date; new "
            "buyers: the buyer's first purchase; average order value = gross / orders "
            "(hotmart__new_orders).",
            (
                Chart("orders", "Orders: new and returning buyers", "new_orders", series(
                    "new_orders", {"new_buyers": "New buyers", "returning_orders": "Returning"},
                    COUNT, mark="bar", stack=True, period=period)),
                Chart("gross-revenue", "Gross revenue", "new_orders", series(
                    "new_orders", {"gross_revenue": "Gross revenue"}, MONEY, mark="bar",
                    period=period)),
                Chart("aov", "Average order value", "new_orders", series(
                    "new_orders", {"average_order_value": "Average order value"}, MONEY,
                    period=period)),
            ),
        ),
        Section(
            "revenue",
            "Revenue",
            "Cash view (hotmart__daily_overview): sales by approval date, refunds and "
            "chargebacks by their event date; net = gross - refunds - chargebacks; producer "
            "net = the producer's commission." + reporting_note,
            (
                Chart("revenue-lines", "Gross, net, fees and producer net", "revenue", series(
                    "revenue", {"sales_amount": "Gross", "net_revenue_amount": "Net revenue",
                                "fees_amount": "Hotmart fees",
                                "producer_commission_amount": "Producer net"}, MONEY,
                    period=period)),
                Chart("refunds", "Refunds and chargebacks", "revenue", series(
                    "revenue", {"refunds_amount": "Refunded", "chargebacks_amount":
                                "Charged back"}, MONEY, mark="bar", period=period)),
                *reporting,
            ),
        ),
        Section(
            "failed-payments",
            "Failed payments and recovery",
            "Payment attempts by order month (hotmart__failed_payments); recovered: a failure "
            "followed by an approved order of the same buyer and product; conversion = paid / "
            "settled attempts, on BILLET and PIX the boleto / PIX conversion.",
            (
                Chart("failed", "Failed attempts by payment type", "failed_payments", stacked_by(
                    "failed_payments", "payment_type", "failed_attempts",
                    "Failed attempts", COUNT)),
                Chart("recovery", "Recovery rate", "failed_payments", by_category(
                    "failed_payments", "payment_type", "recovery_rate",
                    "Recovery rate", RATE)),
                Chart("conversion", "Boleto and PIX conversion", "failed_payments", {
                    **by_category("failed_payments", "payment_type",
                                  "payment_conversion_rate", "Conversion", RATE),
                    "transform": [{"filter": {"field": "payment_type",
                                              "oneOf": ["BILLET", "PIX"]}}]}),
            ),
        ),
        Section(
            "mrr",
            "MRR",
            "Monthly recurring revenue at each month end, its movements, active subscribers "
            "and customer churn rate (hotmart__mrr_monthly; instalment plans excluded).",
            (
                Chart("mrr-line", "MRR", "mrr", series("mrr", {"mrr": "MRR"}, MONEY)),
                Chart("movements", "MRR movements", "mrr", series(
                    "mrr", {"new_mrr": "New", "expansion_mrr": "Expansion",
                            "reactivation_mrr": "Reactivation", "contraction_mrr": "Contraction",
                            "churned_mrr": "Churned"}, MONEY, mark="bar")),
                Chart("subscribers", "Active subscribers and churn rate", "mrr",
                      subscribers_and_churn("mrr")),
            ),
        ),
        Section(
            "cohorts",
            "Cohorts",
            "Customers by the month of their first purchase (and its currency); retention: "
            "the share with an order in each later month, in any currency (hotmart__cohorts).",
            (Chart("retention", "Retention by first-purchase month", "cohorts",
                   retention_heatmap("cohorts")),),
        ),
        Section(
            "customers",
            "Customers and LTV by first-touch source",
            "Customers by the tracking source of their first order; lifetime value = net "
            "revenue to date in the currency of the first order (hotmart__customers).",
            (
                Chart("customers-by-source", "Customers", "customers_by_source", bars_by_source(
                    "customers_by_source", "customers", "Customers", COUNT)),
                Chart("ltv-by-source", "Average lifetime value", "customers_by_source",
                      bars_by_source("customers_by_source", "average_lifetime_value",
                                     "Average LTV", MONEY)),
            ),
        ),
        Section(
            "top",
            "Top products, sources and affiliates",
            "The ten with the most net revenue over approved orders (renewals included) by "
            "order date (hotmart__orders); affiliate commission in the order's currency.",
            (
                Chart("top-products", "Products", "top_products",
                      ranked("top_products", "product", "Product")),
                Chart("top-sources", "Sources (last touch)", "top_sources",
                      ranked("top_sources", "source", "Source")),
                Chart("top-affiliates", "Affiliates", "top_affiliates",
                      ranked("top_affiliates", "affiliate", "Affiliate")),
            ),
        ),
    )  # fmt: skip
