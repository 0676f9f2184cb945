"""Every ``hotmart-report`` report, declared: its mart, filters, grain and columns.

Each column is an SQL expression over the mart (see ``report.Column``): the reports sum the
mart's counts and amounts over the accounts, products or sources they do not split by, and
compute a rate or an average of those sums the way the mart computes its own (rounded half
away from zero), so every figure comes from SQL. The currency is part of every row's key.
The definitions of the figures are in docs/reports.md, one section per mart.
"""

from __future__ import annotations

from hotmart_reports.report import Report, dimensions, key, ratio, total

CURRENCY = key("currency_code", "Currency")
#: how many periods a report shows by default
DAY_WEEK_MONTH = {"day": 14, "week": 8, "month": 6}

NEW_ORDERS = Report(
    name="new-orders",
    mart="hotmart__new_orders",
    title="New orders by {period}",
    help="orders, new buyers, gross revenue and AOV per period",
    footnote=(
        "Orders: approved one-time purchases and first subscription charges, by order date; "
        "New buyers: the buyer's first purchase, Returning: the others (Orders = New buyers + "
        "Returning); per currency: hotmart__new_orders in docs/reports.md.",
    ),
    keys=(CURRENCY,),
    metrics=(
        total("new_orders", "Orders"),
        total("new_buyers", "New buyers"),
        total("returning_orders", "Returning"),
        total("gross_revenue", "Gross revenue", "money"),
        # the mart's average_order_value, over the summed products and sources
        ratio("average_order_value", "AOV", "gross_revenue", "new_orders", "money"),
    ),
    dimensions=dimensions("account", "product", "source", "currency"),
    periods={period: ("period_start", last) for period, last in DAY_WEEK_MONTH.items()},
    period_condition="period_type = {period}",
    totals_order="sum(new_orders)",
    empty="No orders in the warehouse yet.",
)

OVERVIEW = Report(
    name="overview",
    mart="hotmart__daily_overview",
    title="Overview by {period}",
    help="sales, refunds, chargebacks, failed payments, fees and net revenue per period",
    footnote=(
        "Sales by approval date (renewals included), refunds and chargebacks by their event "
        "date, net = sales - refunds - chargebacks, per currency: hotmart__daily_overview "
        "in docs/reports.md.",
    ),
    keys=(CURRENCY,),
    metrics=(
        total("sales_count", "Sales"),
        total("sales_amount", "Sales amount", "money"),
        total("refunds_count", "Refunds"),
        total("refunds_amount", "Refunded", "money"),
        total("chargebacks_count", "Chargebacks"),
        total("chargebacks_amount", "Charged back", "money"),
        total("failed_payments_count", "Failed"),
        total("fees_amount", "Fees", "money"),
        total("net_revenue_amount", "Net revenue", "money"),
        total("net_after_fees_amount", "Net after fees", "money"),
    ),
    dimensions=dimensions("account", "currency"),
    periods={period: (f"date_{period}", last) for period, last in DAY_WEEK_MONTH.items()},
    totals_order="sum(sales_count)",
)

REFUNDS = Report(
    name="refunds",
    mart="hotmart__refunds",
    title="Refunds and chargebacks of the orders of each {period}",
    help="refund and chargeback counts, amounts and rates per order month",
    footnote=(
        "Of the orders approved in each month, those now refunded (fully or partly) or "
        "charged back / disputed; rates over approved orders: hotmart__refunds in "
        "docs/reports.md.",
    ),
    keys=(CURRENCY,),
    metrics=(
        total("approved_orders", "Approved"),
        total("approved_amount", "Approved amount", "money"),
        total("refunded_orders", "Refunded"),
        total("partially_refunded_orders", "Partial"),
        total("chargeback_orders", "Chargebacks"),
        total("disputed_orders", "Disputed"),
        total("refunded_amount", "Refunded amount", "money"),
        total("chargeback_amount", "Chargeback amount", "money"),
        ratio(
            "refund_rate",
            "Refund rate",
            "refunded_orders + partially_refunded_orders",
            "approved_orders",
        ),
        ratio(
            "chargeback_rate",
            "Chargeback rate",
            "chargeback_orders + disputed_orders",
            "approved_orders",
        ),
    ),
    dimensions=dimensions("account", "product", "currency"),
    periods={"month": ("order_month", 6)},
    totals_order="sum(approved_orders)",
)

FAILED_PAYMENTS = Report(
    name="failed-payments",
    mart="hotmart__failed_payments",
    title="Payment attempts by {period} and payment type",
    help="failed, recovered and converted payment attempts per month and payment type",
    footnote=(
        "Attempts: orders placed in every status; recovered: failures followed by an approved "
        "order of the same buyer and product; conversion = paid / settled attempts: "
        "hotmart__failed_payments in docs/reports.md.",
    ),
    keys=(CURRENCY, key("payment_type", "Payment type")),
    metrics=(
        total("attempts", "Attempts"),
        total("paid_attempts", "Paid"),
        total("pending_attempts", "Pending"),
        total("failed_attempts", "Failed"),
        total("failed_amount", "Failed amount", "money"),
        total("recovered_attempts", "Recovered"),
        total("recovered_amount", "Recovered amount", "money"),
        ratio("recovery_rate", "Recovery rate", "recovered_attempts", "failed_attempts"),
        ratio(
            "payment_conversion_rate", "Conversion", "paid_attempts", "attempts - pending_attempts"
        ),
    ),
    dimensions=dimensions("account", "currency"),
    periods={"month": ("order_month", 6)},
    totals_order="sum(attempts)",
)

MRR = Report(
    name="mrr",
    mart="hotmart__mrr_monthly",
    title="MRR by {period}",
    help="MRR, its movements, active subscribers, ARPA and customer churn per month",
    footnote=(
        "MRR at each month end (the as-of instant for the current month), instalment plans "
        "excluded; net new = new + reactivation + expansion - contraction - churned: "
        "hotmart__mrr_monthly in docs/reports.md.",
    ),
    keys=(CURRENCY,),
    metrics=(
        total("mrr", "MRR", "money"),
        total("new_mrr", "New", "money"),
        total("reactivation_mrr", "Reactivation", "money"),
        total("expansion_mrr", "Expansion", "money"),
        total("contraction_mrr", "Contraction", "money"),
        total("churned_mrr", "Churned", "money"),
        total("net_new_mrr", "Net new", "money"),
        total("active_subscriptions", "Subscriptions"),
        total("active_customers", "Subscribers"),
        ratio("arpa", "ARPA", "mrr", "active_customers", "money"),
        ratio("customer_churn_rate", "Churn rate", "churned_customers", "customers_at_start"),
    ),
    dimensions=dimensions("account", "currency"),
    periods={"month": ("date_month", 6)},
)

COHORTS = Report(
    name="cohorts",
    mart="hotmart__cohorts",
    title="Cohorts by first-purchase {period}",
    help="customers retained and revenue per first-purchase month and months since",
    footnote=(
        "Customers by the month of their first purchase and its currency; retained: with an "
        "order that month in any currency; revenue in the cohort currency: hotmart__cohorts "
        "in docs/reports.md.",
    ),
    keys=(CURRENCY, key("months_since_first_purchase", "Months since", "int")),
    metrics=(
        total("cohort_customers", "Customers"),
        total("customers_retained", "Retained"),
        ratio("retention_rate", "Retention", "customers_retained", "cohort_customers"),
        total("orders_count", "Orders"),
        total("net_revenue_amount", "Net revenue", "money"),
        total("cumulative_net_revenue", "Cumulative", "money"),
        ratio(
            "cumulative_revenue_per_customer",
            "Per customer",
            "cumulative_net_revenue",
            "cohort_customers",
            "money",
        ),
    ),
    dimensions=dimensions("account", "currency"),
    periods={"month": ("cohort_month", 3)},
    period_header="Cohort",
    unit="cohort",
)

CUSTOMERS = Report(
    name="customers",
    mart="hotmart__customers",
    title="Customers, top {top} by lifetime value in each currency",
    help="the customers with the highest lifetime value, per currency",
    footnote=(
        "Lifetime value: net revenue to date of the customer's orders in the currency of "
        "the first order; first-touch source and product: hotmart__customers in "
        "docs/reports.md.",
    ),
    keys=(
        key("account_id", "Account"),
        key("buyer_email", "Buyer"),
        key("first_order_date", "First order", "date"),
        key("first_product_name", "First product"),
        key("first_touch_source", "Source"),
        CURRENCY,
    ),
    metrics=(
        key("orders_count", "Orders", "int"),
        key("renewals_count", "Renewals", "int"),
        key("refunded_orders", "Refunded", "int"),
        key("chargeback_orders", "Chargebacks", "int"),
        key("lifetime_value", "LTV", "money"),
    ),
    dimensions=dimensions(
        "account",
        "product",
        "source",
        "currency",
        product="first_product_id",
        source="first_touch_source",
    ),
    listing_order="lifetime_value desc nulls last, customer_key",
)

REPORTS = (NEW_ORDERS, OVERVIEW, REFUNDS, FAILED_PAYMENTS, MRR, COHORTS, CUSTOMERS)
