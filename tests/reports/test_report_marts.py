"""Every ``hotmart-report`` report against its mart: what it prints (read back from its JSON
and CSV output) is what a direct SQL query on the mart gives for the same filters, the three
formats hold the same rows, and an unknown filter value is a one-line error.

The expected figures are written here again as plain SQL over the marts (sums over the
window, rates of those sums rounded like the marts'), independently of the report's query.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest

from tests.reports.compare import query
from tests.reports.test_report_cli import _report


@pytest.fixture(scope="module")
def pipeline(postgres_pipeline):
    """PostgreSQL only: this module's expected figures are PostgreSQL SQL of its own (the
    report on DuckDB prints the same text as here: test_report_duckdb.py)."""
    return postgres_pipeline


SCHEMA = "hotmart"


@dataclass(frozen=True)
class Case:
    """A report run, and the SQL on its mart that gives the same figures."""

    args: tuple[str, ...]
    mart: str
    #: SQL over the mart: the keys, then every figure, in the report's column order
    select: str
    where: str
    #: time series: the period column, the period, how many, and the mart rows of it
    period_column: str = ""
    period: str = "month"
    last: int = 0
    period_where: str = "true"
    keys: int = 1
    totals: bool = False

    @property
    def report(self) -> str:
        return self.args[0]


def _ratio(numerator: str, denominator: str, digits: int = 4) -> str:
    return f"round(sum({numerator})::numeric / nullif(sum({denominator}), 0), {digits})"


def _sums(columns: str) -> list[str]:
    """``"a b c"``: the sums of a, b and c; a count (``#a``) stays an integer."""
    return [
        f"sum({column[1:]})::bigint" if column.startswith("#") else f"sum({column})"
        for column in columns.split()
    ]


CASES = [
    Case(
        ("new-orders", "--period", "day", "--last", "10", "--currency", "brl"),
        "hotmart__new_orders",
        ", ".join(
            [
                "currency_code",
                *_sums("#new_orders #new_buyers #returning_orders gross_revenue"),
                _ratio("gross_revenue", "new_orders", 2),
            ]
        ),
        "currency_code = 'BRL'",
        "period_start",
        "day",
        10,
        "period_type = 'day'",
        totals=True,
    ),
    Case(
        ("overview", "--period", "week", "--last", "4", "--account", "acct-1"),
        "hotmart__daily_overview",
        ", ".join(
            [
                "currency_code",
                *_sums("#sales_count sales_amount #refunds_count refunds_amount"),
                *_sums("#chargebacks_count chargebacks_amount #failed_payments_count"),
                *_sums("fees_amount net_revenue_amount net_after_fees_amount"),
            ]
        ),
        "account_id = 'acct-1'",
        "date_week",
        "week",
        4,
        totals=True,
    ),
    Case(
        ("refunds", "--account", "acct-1", "--product", "{product}", "--last", "36"),
        "hotmart__refunds",
        ", ".join(
            [
                "currency_code",
                *_sums("#approved_orders approved_amount #refunded_orders"),
                *_sums("#partially_refunded_orders #chargeback_orders #disputed_orders"),
                *_sums("refunded_amount chargeback_amount"),
                _ratio("refunded_orders + partially_refunded_orders", "approved_orders"),
                _ratio("chargeback_orders + disputed_orders", "approved_orders"),
            ]
        ),
        "account_id = 'acct-1' and product_id = {product}",
        "order_month",
        "month",
        36,
        totals=True,
    ),
    Case(
        ("failed-payments", "--currency", "BRL", "--last", "3"),
        "hotmart__failed_payments",
        ", ".join(
            [
                "currency_code",
                "payment_type",
                *_sums("#attempts #paid_attempts #pending_attempts #failed_attempts"),
                *_sums("failed_amount #recovered_attempts recovered_amount"),
                _ratio("recovered_attempts", "failed_attempts"),
                _ratio("paid_attempts", "attempts - pending_attempts"),
            ]
        ),
        "currency_code = 'BRL'",
        "order_month",
        "month",
        3,
        keys=2,
        totals=True,
    ),
    Case(
        ("mrr", "--account", "acct-2", "--last", "5"),
        "hotmart__mrr_monthly",
        ", ".join(
            [
                "currency_code",
                *_sums("mrr new_mrr reactivation_mrr expansion_mrr contraction_mrr"),
                *_sums("churned_mrr net_new_mrr #active_subscriptions #active_customers"),
                _ratio("mrr", "active_customers", 2),
                _ratio("churned_customers", "customers_at_start"),
            ]
        ),
        "account_id = 'acct-2'",
        "date_month",
        "month",
        5,
    ),
    Case(
        ("cohorts", "--account", "acct-1", "--currency", "BRL", "--last", "4"),
        "hotmart__cohorts",
        ", ".join(
            [
                "currency_code",
                "months_since_first_purchase",
                *_sums("#cohort_customers #customers_retained"),
                _ratio("customers_retained", "cohort_customers"),
                *_sums("#orders_count net_revenue_amount cumulative_net_revenue"),
                _ratio("cumulative_net_revenue", "cohort_customers", 2),
            ]
        ),
        "account_id = 'acct-1' and currency_code = 'BRL'",
        "cohort_month",
        "month",
        4,
        keys=2,
    ),
    Case(
        ("customers", "--account", "acct-1", "--source", "INSTAGRAM", "--top", "3"),
        "hotmart__customers",
        "account_id, buyer_email, first_order_date, first_product_name, first_touch_source, "
        "currency_code, orders_count, renewals_count, refunded_orders, chargeback_orders, "
        "lifetime_value",
        "account_id = 'acct-1' and first_touch_source = 'instagram'",
    ),
]
IDS = [case.report for case in CASES]


def _product(pipeline) -> int:
    """The product of acct-1 with the fewest months of orders in the last 36: its refunds
    report has months without any order."""
    mart = f"{SCHEMA}.hotmart__refunds"
    ((product,),) = query(
        pipeline,
        f"""
        select product_id from {mart} where account_id = 'acct-1'
        group by 1
        order by count(distinct order_month) filter (
            where order_month > (select max(order_month) from {mart}) - interval '36 months'
        ), 1
        limit 1
    """,
    )
    return product


def _args(pipeline, case: Case) -> list[str]:
    product = str(_product(pipeline)) if "{product}" in case.args else ""
    return [arg.format(product=product) for arg in case.args]


def _printed(pipeline, args: list[str], fmt: str) -> str:
    proc = _report(*args, "--format", fmt, env=pipeline.env)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return proc.stdout


def _json(pipeline, args: list[str]) -> list[dict[str, Any]]:
    return json.loads(_printed(pipeline, args, "json"))


def _plain(value: object) -> object:
    """A value of a SQL row as the JSON output gives it."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _expected(pipeline, case: Case) -> tuple[list[tuple], list[tuple], list[str]]:
    """The rows with data, the totals per key (sorted), and the ISO periods of the window."""
    where = case.where.format(product=_product(pipeline) if "{product}" in case.where else "")
    mart = f"{SCHEMA}.{case.mart}"
    if not case.period_column:
        order = "currency_code, lifetime_value desc, customer_key"
        rows = query(pipeline, f"select {case.select} from {mart} where {where} order by {order}")
        return [tuple(map(_plain, row)) for row in rows], [], []
    column, step = case.period_column, f"interval '1 {case.period}'"
    latest = f"(select max({column}) from {mart} where {case.period_where})"
    selected = (
        f"from {mart} where {where} and {case.period_where} "
        f"and {column} > {latest} - {case.last} * {step}"
    )
    keys = ", ".join(str(n) for n in range(2, case.keys + 2))
    rows = query(
        pipeline,
        f"select {column}, {case.select} {selected} group by 1, {keys} order by 1, {keys}",
    )
    totals = (
        query(pipeline, f"select null::date, {case.select} {selected} group by {keys}")
        if case.totals
        else []
    )
    periods = query(
        pipeline,
        f"select generate_series({latest} - {case.last - 1} * {step}, {latest}, {step})::date",
    )
    return (
        [tuple(map(_plain, row)) for row in rows],
        sorted(tuple(map(_plain, row)) for row in totals),
        [period.isoformat() for (period,) in periods],
    )


@pytest.mark.e2e
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_figures_printed_are_the_marts(pipeline, case: Case) -> None:
    """Every row printed is the mart's for the same filters; a period of the window without
    any row is one zero row; the totals are the sums over the window."""
    printed = [tuple(row.values()) for row in _json(pipeline, _args(pipeline, case))]
    rows, totals, periods = _expected(pipeline, case)
    assert rows, f"the filters of {case.args} select nothing: the test tests nothing"
    if not case.period_column:
        top = int(case.args[-1])
        expected = [
            row
            for n, row in enumerate(rows)
            if n < top or rows[n - top][5] != row[5]  # the first `top` of each currency
        ]
        assert sorted(printed) == sorted(expected)
        return
    lines = [row for row in printed if row[0] is not None]
    assert [row for row in lines if row[1] is not None] == rows
    zeros = [row for row in lines if row[1] is None]
    assert [row[0] for row in zeros] == sorted(set(periods) - {row[0] for row in rows})
    for zero in zeros:
        assert set(zero[1 + case.keys :]) <= {"0", 0, None}, zero
    assert sorted({row[0] for row in lines}) == periods
    assert sorted(row for row in printed if row[0] is None) == totals


@pytest.mark.e2e
def test_a_known_value_without_data_in_the_window_prints_zero_months(pipeline) -> None:
    """The product chosen for refunds sold nothing in some months: each is a zero row (no
    currency, zero counts, no rate), not a gap."""
    case = next(case for case in CASES if case.report == "refunds")
    printed = _json(pipeline, _args(pipeline, case))
    zeros = [row for row in printed if row["period_start"] and row["currency_code"] is None]
    assert zeros, "the product sold every month: nothing tested"
    for zero in zeros:
        assert zero["approved_orders"] == 0 and Decimal(zero["approved_amount"]) == 0, zero
        assert zero["refund_rate"] is None


@pytest.mark.e2e
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_filter_narrows_the_report(pipeline, case: Case) -> None:
    """The case's filters select fewer rows or smaller figures than the whole mart."""
    args = _args(pipeline, case)
    whole = _json(pipeline, _filterless(args))
    narrowed = _json(pipeline, args)
    assert narrowed != whole
    if "--currency" in args:
        assert {row["currency_code"] for row in narrowed} <= {"BRL", None}
        assert len({row["currency_code"] for row in whole} - {None}) > 1


def _filterless(args: list[str]) -> list[str]:
    """``args`` without its filters (the grain options stay)."""
    filters = {"--account", "--product", "--source", "--currency"}
    kept = [args[0]]
    pairs = iter(args[1:])
    for option, value in zip(pairs, pairs, strict=True):
        if option not in filters:
            kept += [option, value]
    return kept


def _same(shown: str, value: object) -> bool:
    """A table cell shows ``value`` (as JSON gives it), rounded to the cell's decimals."""
    if value is None:
        return shown in {"-", "Total"}
    if isinstance(value, int):
        return shown == f"{value:,}"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return shown == value
    cell = Decimal(shown.replace(",", ""))
    return cell == number.quantize(cell) and "," not in str(value)


@pytest.mark.e2e
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_table_csv_and_json_hold_the_same_rows(pipeline, case: Case) -> None:
    args = _args(pipeline, case)
    objects = _json(pipeline, args)
    text = _printed(pipeline, args, "csv")
    lines = text.splitlines()
    assert len(lines) == len(objects) + 1, "a header row, then one line per row"
    records = list(csv.DictReader(io.StringIO(text)))
    assert list(records[0]) == list(objects[0])
    for record, obj in zip(records, objects, strict=True):
        assert record == {k: "" if v is None else str(v) for k, v in obj.items()}

    table = _printed(pipeline, args, "table").splitlines()
    title, blank, *body, footnote = table
    assert title and blank == "" and footnote.endswith("in docs/reports.md.")
    cells = [
        re.split(r"\s{2,}", line)
        for line in body
        if line and not line.startswith("---") and not line.startswith(_header(table))
    ]
    cells = [row for row in cells if len(row) == len(objects[0])]
    assert len(cells) == len(objects)
    for row, obj in zip(cells, objects, strict=True):
        assert all(_same(c, v) for c, v in zip(row, obj.values(), strict=True)), (row, obj)


def _header(table: list[str]) -> str:
    return table[2].split()[0]


@pytest.mark.e2e
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_unknown_values_are_one_line_errors(pipeline, case: Case) -> None:
    mart = f"{SCHEMA}.{case.mart}"
    currencies = ", ".join(
        c for (c,) in query(pipeline, f"select distinct currency_code from {mart} order by 1")
    )
    cases = {
        "--account": ("acct-9", f"no account 'acct-9' in {mart}; accounts: acct-1, acct-2"),
        "--currency": ("XYZ", f"no currency 'XYZ' in {mart}; currencies: {currencies}"),
    }
    for option, (value, message) in cases.items():
        proc = _report(case.report, option, value, env=pipeline.env)
        assert (proc.returncode, proc.stdout, proc.stderr) == (
            2,
            "",
            f"hotmart-report: {message}\n",
        )


@pytest.mark.e2e
def test_customers_filter_on_the_first_purchase(pipeline) -> None:
    """The customers' product and source are those of their first purchase."""
    proc = _report("customers", "--product", "123", env=pipeline.env)
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        f"hotmart-report: no product 123 in {SCHEMA}.hotmart__customers; products: "
    )
