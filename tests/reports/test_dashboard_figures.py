"""The dashboard's figures are the marts': every number the page embeds, read back from its
JSON, equals an independent query on the marts (plain SQL written here, one ``group by``
per account and one over all accounts, rates and averages rounded here from the sums).

Also: no row adds two currencies, the filters and ``--since`` / ``--period`` cut what the
page holds, the reporting-currency figures come from the converted columns (and stay empty
when an order has no rate), and every mistake is one line on stderr. Runs on both engines
(``pipeline``); the page is built once per engine, by the command as a user runs it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from hotmart_reports.dashboard import queries
from hotmart_reports.dashboard.charts import sections
from hotmart_reports.db import connect
from tests.reports.compare import diff, query
from tests.reports.conftest import RERUN_SCHEMA

pytestmark = pytest.mark.e2e

SCHEMA = "hotmart"
DATA_BLOCK = re.compile(r'<script type="application/json" id="dashboard-data">(.*?)</script>', re.S)


def _command(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hotmart_reports", "dashboard", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def embedded(page: str) -> dict[str, Any]:
    """The page's data block, amounts as exact decimals, each dataset as a list of dicts."""
    (text,) = DATA_BLOCK.findall(page)
    data = json.loads(text, parse_float=Decimal)
    return {
        "meta": data["meta"],
        **{
            name: [dict(zip(block["columns"], row, strict=True)) for row in block["rows"]]
            for name, block in data["datasets"].items()
        },
    }


@pytest.fixture(scope="module")
def page(pipeline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The dashboard of the whole warehouse, by month, as ``hotmart-report`` writes it."""
    out = tmp_path_factory.mktemp(f"dashboard-{pipeline.engine}") / "dashboard.html"
    proc = _command("--out", str(out), env=pipeline.env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"Dashboard written to {out} ("), proc.stdout
    yield embedded(out.read_text(encoding="utf-8"))


def _ratio(numerator: Decimal | int, denominator: Decimal | int, digits: int) -> Decimal | None:
    """``numerator / denominator`` half away from zero, as the marts round (None for /0)."""
    if not denominator:
        return None
    exact = Decimal(numerator) / Decimal(denominator)
    return exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


#: dataset -> (mart, condition, keys {name: SQL}, sums {name: SQL}, ratios {name: (num, den,
#: digits)} of the sums)
EXPECTED: dict[str, tuple[str, str, dict[str, str], dict[str, str], dict[str, tuple]]] = {
    "new_orders": (
        "hotmart__new_orders",
        "period_type = 'month'",
        {"period_start": "period_start"},
        {
            "new_orders": "sum(new_orders)",
            "new_buyers": "sum(new_buyers)",
            "returning_orders": "sum(returning_orders)",
            "gross_revenue": "sum(gross_revenue)",
        },
        {"average_order_value": ("gross_revenue", "new_orders", 2)},
    ),
    "revenue": (
        "hotmart__daily_overview",
        "true",
        {"period_start": "date_month"},
        {
            name: f"sum({name})"
            for name in (
                "sales_count",
                "sales_amount",
                "refunds_count",
                "refunds_amount",
                "chargebacks_count",
                "chargebacks_amount",
                "failed_payments_count",
                "fees_amount",
                "net_revenue_amount",
                "net_after_fees_amount",
                "producer_commission_amount",
            )
        },
        {},
    ),
    "failed_payments": (
        "hotmart__failed_payments",
        "true",
        {"period_start": "order_month", "payment_type": "payment_type"},
        {
            "attempts": "sum(attempts)",
            "paid_attempts": "sum(paid_attempts)",
            "pending_attempts": "sum(pending_attempts)",
            "failed_attempts": "sum(failed_attempts)",
            "failed_amount": "sum(failed_amount)",
            "recovered_attempts": "sum(recovered_attempts)",
            "recovered_amount": "sum(recovered_amount)",
            "settled": "sum(attempts) - sum(pending_attempts)",
        },
        {
            "recovery_rate": ("recovered_attempts", "failed_attempts", 4),
            "payment_conversion_rate": ("paid_attempts", "settled", 4),
        },
    ),
    "mrr": (
        "hotmart__mrr_monthly",
        "true",
        {"period_start": "date_month"},
        {
            name: f"sum({name})"
            for name in (
                "mrr",
                "new_mrr",
                "reactivation_mrr",
                "expansion_mrr",
                "contraction_mrr",
                "churned_mrr",
                "net_new_mrr",
                "active_subscriptions",
                "active_customers",
                "churned_customers",
                "customers_at_start",
            )
        },
        {
            "arpa": ("mrr", "active_customers", 2),
            "customer_churn_rate": ("churned_customers", "customers_at_start", 4),
        },
    ),
    "cohorts": (
        "hotmart__cohorts",
        "true",
        {
            "cohort_month": "cohort_month",
            "months_since_first_purchase": "months_since_first_purchase",
        },
        {
            name: f"sum({name})"
            for name in (
                "cohort_customers",
                "customers_retained",
                "orders_count",
                "net_revenue_amount",
                "cumulative_net_revenue",
            )
        },
        {
            "retention_rate": ("customers_retained", "cohort_customers", 4),
            "cumulative_revenue_per_customer": ("cumulative_net_revenue", "cohort_customers", 2),
        },
    ),
    "customers_by_source": (
        "hotmart__customers",
        "true",
        {"source": "coalesce(first_touch_source, '(none)')"},
        {
            "customers": "count(*)",
            "repeat_customers": "sum(case when is_repeat_customer then 1 else 0 end)",
            "lifetime_value": "coalesce(sum(lifetime_value), 0)",
        },
        {"average_lifetime_value": ("lifetime_value", "customers", 2)},
    ),
}

#: ranking -> (key SQL over hotmart__orders, condition)
RANKINGS = {
    "top_products": ("product", "product_name", "true"),
    "top_sources": ("source", "coalesce(tracking_source, '(none)')", "true"),
    "top_affiliates": (
        "affiliate",
        "coalesce(affiliate_name, affiliate_ucode)",
        "affiliate_ucode is not null",
    ),
}


def _independent(
    pipeline,
    mart: str,
    condition: str,
    keys: dict,
    sums: dict,
    *,
    schema: str = SCHEMA,
    currency: str = "currency_code",
) -> list[dict]:
    """``sums`` per account, currency and ``keys``, then per currency and ``keys``."""
    select_keys = ", ".join(f"{sql_} as {name}" for name, sql_ in keys.items())
    select_sums = ", ".join(f"{sql_} as {name}" for name, sql_ in sums.items())
    group = ", ".join(str(n + 3) for n in range(len(keys)))
    rows = []
    for account in ("account_id", "null"):
        statement = f"""
            select {account} as account_id, {currency}, {select_keys}, {select_sums}
            from {schema}.{mart} where {condition}
            group by {"1, " if account == "account_id" else ""}2, {group}
        """
        names = ["account_id", "currency_code", *keys, *sums]
        rows += [dict(zip(names, row, strict=True)) for row in query(pipeline, statement)]
    return rows


def _normal(item: object) -> object:
    if isinstance(item, date):
        return item.isoformat()
    if isinstance(item, Decimal):
        return item.normalize()
    return item


def _key(row: dict, names: list[str]) -> tuple:
    return tuple(_normal(row[name]) for name in ("account_id", "currency_code", *names))


@pytest.mark.parametrize("dataset", sorted(EXPECTED))
def test_every_figure_is_the_marts(pipeline, page, dataset: str) -> None:
    """Each dataset, row by row and figure by figure, equals the independent query."""
    mart, condition, keys, sums, ratios = EXPECTED[dataset]
    columns = set(page[dataset][0]) - {"account_id", "currency_code", *keys}
    assert columns <= set(sums) | set(ratios), "a figure of the page is not checked"
    expected = {}
    for row in _independent(pipeline, mart, condition, keys, sums):
        figures = {name: row[name] for name in sums}
        figures |= {name: _ratio(row[n], row[d], digits) for name, (n, d, digits) in ratios.items()}
        expected[_key(row, list(keys))] = {name: _normal(figures[name]) for name in columns}
    shown = {
        _key(row, list(keys)): {name: _normal(row[name]) for name in columns}
        for row in page[dataset]
    }
    assert len(shown) == len(page[dataset]), "one row per account, currency and key"
    assert shown == expected, diff(expected, shown)


@pytest.mark.parametrize("dataset", sorted(RANKINGS))
def test_rankings_are_the_top_ten_by_net_revenue(pipeline, page, dataset: str) -> None:
    name, expression, condition = RANKINGS[dataset]
    rows = _independent(
        pipeline,
        "hotmart__orders",
        f"is_approved and {condition}",
        {name: expression},
        {
            "orders": "count(*)",
            "gross_amount": "sum(gross_amount)",
            "net_revenue_amount": "sum(net_revenue_amount)",
            "affiliate_commission_amount": "coalesce(sum(case when commission_currency_code "
            "= currency_code then affiliate_commission_amount end), 0)",
        },
    )
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["account_id"], row["currency_code"]), []).append(row)
    shown: dict[tuple, list[dict]] = {}
    for row in page[dataset]:
        shown.setdefault((row["account_id"], row["currency_code"]), []).append(row)
    assert set(shown) == set(groups)
    for group, candidates in groups.items():
        ranked = sorted(shown[group], key=lambda row: row["row_rank"])
        assert [row["row_rank"] for row in ranked] == list(range(1, min(10, len(candidates)) + 1))
        by_name = {row[name]: row for row in candidates}
        for row in ranked:
            for figure in ("orders", "gross_amount", "net_revenue_amount",
                           "affiliate_commission_amount"):  # fmt: skip
                assert _normal(row[figure]) == _normal(by_name[row[name]][figure]), (group, row)
        listed = {row[name] for row in ranked}
        lowest = min(row["net_revenue_amount"] for row in ranked)
        assert all(c["net_revenue_amount"] <= lowest for c in candidates if c[name] not in listed)
        nets = [row["net_revenue_amount"] for row in ranked]
        assert nets == sorted(nets, reverse=True)


def test_no_row_adds_two_currencies_and_every_account_is_selectable(pipeline, page) -> None:
    accounts = {
        account
        for (account,) in query(pipeline, f"select account_id from {SCHEMA}.hotmart__orders")
    }
    for name, rows in page.items():
        if name == "meta":
            continue
        for row in rows:
            assert re.fullmatch(r"[A-Z]{3}", row["currency_code"]), (name, row)
            assert row["account_id"] in {None, *accounts}, (name, row)
    selectable = {(row["account_id"], row["currency_code"]) for row in page["currencies"]}
    assert {account for account, _ in selectable} == {None, *accounts}
    assert page["reporting_revenue"] == [], "no reporting currency in this build"
    assert page["meta"]["reporting_currency"] is None
    (latest,) = query(pipeline, f"select max(order_date) from {SCHEMA}.hotmart__orders")[0]
    assert page["meta"]["as_of"] == latest.isoformat()


def test_reporting_currency_figures_are_the_converted_columns(pipeline) -> None:
    """On the second build (BRL, USD and EUR rates, none for ARS): each period's converted
    sums, or null when one of its orders has no rate."""
    with connect(environ=pipeline.env) as warehouse:
        statement = queries.reporting_revenue(
            warehouse.table(RERUN_SCHEMA, "hotmart__orders"), queries.Options()
        )
        shown = warehouse.records(statement)
    rows = _independent(
        pipeline,
        "hotmart__orders",
        "is_approved",
        {"period_start": "CAST(date_trunc('month', CAST(approved_date AS timestamp)) AS date)"},
        {
            "orders": "count(*)",
            "gross": "sum(gross_amount_reporting)",
            "converted": "count(gross_amount_reporting)",
            "grossed": "count(gross_amount)",
            "net": "sum(producer_net_amount_reporting)",
            "nets": "count(producer_net_amount_reporting)",
            "netted": "count(producer_net_amount)",
        },
        schema=RERUN_SCHEMA,
        currency="reporting_currency_code",
    )
    assert {row["currency_code"] for row in shown} == {"BRL"}
    by_key = {(row["account_id"], row["period_start"]): row for row in shown}
    assert len(by_key) == len(shown) == len(rows)
    for row in rows:
        page_row = by_key[(row["account_id"], row["period_start"])]
        assert page_row["orders"] == row["orders"]
        gross = (row["gross"] or 0) if row["converted"] == row["grossed"] else None
        net = (row["net"] or 0) if row["nets"] == row["netted"] else None
        assert page_row["gross_amount_reporting"] == gross, row
        assert page_row["producer_net_amount_reporting"] == net, row
        assert page_row["orders_without_rate"] == row["grossed"] - row["converted"]
    assert any(row["gross_amount_reporting"] is None for row in shown), "ARS has no rate"
    assert any(
        chart.dataset == "reporting_revenue" for s in sections("month", "BRL") for chart in s.charts
    )
    assert not any(
        chart.dataset == "reporting_revenue" for s in sections("month", None) for chart in s.charts
    )


def test_filters_period_and_since_cut_the_figures(pipeline) -> None:
    """``--account``, ``--currency``, ``--period week`` and ``--since`` (the week of that
    date onwards) in the queries the page is built from."""
    since = date(2026, 9, 2)  # a Wednesday: its week starts on Monday 2026-08-31
    options = queries.Options(account="acct-1", currency="brl", period="week", since=since)
    with connect(environ=pipeline.env) as warehouse:
        data = queries.fetch(warehouse, SCHEMA, options)
    expected = query(
        pipeline,
        f"""
        select period_start, sum(new_orders), sum(gross_revenue) from {SCHEMA}.hotmart__new_orders
        where period_type = 'week' and account_id = 'acct-1' and currency_code = 'BRL'
          and period_start >= DATE '2026-08-31'
        group by 1 order by 1
    """,
    )
    rows = [row for row in data["new_orders"] if row["account_id"] == "acct-1"]
    assert [(row["period_start"], row["new_orders"], row["gross_revenue"]) for row in rows] == [
        (period.isoformat(), orders, float(gross)) for period, orders, gross in expected
    ]
    for name, rows in data.items():
        assert {row.get("currency_code", "BRL") for row in rows} <= {"BRL"}, name
        assert {row.get("account_id") for row in rows} <= {None, "acct-1"}, name
    assert min(row["period_start"] for row in data["mrr"]) == "2026-09-01"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "acct-9"], "no account 'acct-9' in hotmart.hotmart__orders; accounts: "),
        (["--schema", "nosuch"], "nosuch.hotmart__orders does not exist: run the dbt project"),
        (["--since", "2026-13-01"], "--since '2026-13-01' is not a date; use YYYY-MM-DD"),
    ],
)
def test_mistakes_are_one_line(pipeline, tmp_path: Path, args: list[str], message: str) -> None:
    proc = _command("--out", str(tmp_path / "d.html"), *args, env=pipeline.env)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.startswith(f"hotmart-report: {message}"), proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert not (tmp_path / "d.html").exists()


def test_an_out_file_in_a_missing_folder_is_refused_before_connecting(tmp_path: Path) -> None:
    out = tmp_path / "nosuch" / "d.html"
    proc = _command("--out", str(out), "--dsn", "postgresql://u@127.0.0.1:1/db")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == f"hotmart-report: --out {out}: the folder {out.parent} does not exist\n"


def test_an_empty_warehouse_is_one_line(pipelines, tmp_path: Path) -> None:
    """Marts built but without a single order (a first sync that found nothing)."""
    import duckdb  # noqa: PLC0415 - the reports extra

    source = pipelines["duckdb"].env["HOTMART_DUCKDB_PATH"]
    empty = tmp_path / "empty.duckdb"
    with duckdb.connect(str(empty)) as conn:
        conn.execute(f"attach '{source}' as source (read_only)")
        conn.execute(f"create schema {SCHEMA}")
        marts = conn.execute(
            "select table_name from information_schema.tables where table_catalog = 'source' "
            f"and table_schema = '{SCHEMA}'"
        ).fetchall()
        for (mart,) in marts:
            conn.execute(
                f"create table {SCHEMA}.{mart} as select * from source.{SCHEMA}.{mart} limit 0"
            )
    proc = _command("--out", str(tmp_path / "d.html"), "--duckdb", str(empty))
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (
        f"hotmart-report: no orders in {SCHEMA}.hotmart__orders yet: nothing to draw\n"
    )
