"""The marts equal an independent computation from the emulator's ground truth.

Counts must be exact and money equal to the cent; every comparison is per account and per
currency, never across currencies. See ground_truth.py for the Python side and
docs/reports.md for the definitions both sides implement.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal

import pytest

from tests.reports import ground_truth as gt
from tests.reports.compare import diff, query

pytestmark = pytest.mark.e2e


def test_dbt_build_passes_every_model_and_test(pipeline) -> None:
    failed = [
        r["unique_id"] for r in pipeline.dbt_results if r["status"] not in ("success", "pass")
    ]
    tests = [r for r in pipeline.dbt_results if r["unique_id"].startswith("test.")]
    assert not failed, f"dbt nodes not passing: {failed}"
    assert len(tests) >= 100, f"only {len(tests)} dbt tests ran"


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("sales", '"transaction"'),
        ("subscriptions", "subscriber_code"),
        ("subscription_transactions", '"transaction"'),
    ],
)
def test_the_loader_kept_every_row(pipeline, table: str, key: str) -> None:
    """The raw table holds each item of the emulator once: a loader that loses rows would
    make every mart quietly short (target-duckdb with DuckDB 1.3 or later dropped the first
    row of each batch; meltano.yml pins the DuckDB it loads with)."""
    expected = {account: len(items) for account, items in pipeline.entity(table).items()}
    rows = query(
        pipeline,
        f"select account_id, count(*), count(distinct {key}) from hotmart_raw.{table} group by 1",
    )
    assert {a: int(n) for a, n, _ in rows} == expected
    assert all(n == distinct for _, n, distinct in rows), "a row was loaded twice"


def test_monthly_new_orders_new_buyers_and_gross(pipeline) -> None:
    expected = gt.monthly_new_orders(pipeline.entity("sales"))
    actual = {
        (a, m, c): (int(o), int(b), g)
        for a, m, c, o, b, g in query(
            pipeline,
            """
        select account_id, period_start, currency_code, sum(new_orders), sum(new_buyers),
               sum(gross_revenue)
        from hotmart.hotmart__new_orders
        where period_type = 'month'
        group by 1, 2, 3
    """,
        )
    }
    assert actual == expected, diff(expected, actual)


@pytest.mark.parametrize("period_type", ["day", "week"])
def test_new_orders_grains_add_up_to_the_month(pipeline, period_type: str) -> None:
    """Day and week rows hold the same orders, buyers and money as the month rows."""
    rows = query(
        pipeline,
        f"""
        select account_id, currency_code, sum(new_orders), sum(new_buyers), sum(gross_revenue)
        from hotmart.hotmart__new_orders where period_type = '{period_type}' group by 1, 2
        except
        select account_id, currency_code, sum(new_orders), sum(new_buyers), sum(gross_revenue)
        from hotmart.hotmart__new_orders where period_type = 'month' group by 1, 2
    """,
    )
    assert rows == []


def test_monthly_sales_in_the_daily_overview(pipeline) -> None:
    expected = gt.monthly_sales_amount(pipeline.entity("sales"))
    actual = {
        (a, m, c): (int(n), amount)
        for a, m, c, n, amount in query(
            pipeline,
            """
        select account_id, date_month, currency_code, sum(sales_count), sum(sales_amount)
        from hotmart.hotmart__daily_overview
        group by 1, 2, 3
        having sum(sales_count) > 0
    """,
        )
    }
    assert actual == expected, diff(expected, actual)


def test_gross_and_net_revenue_per_currency(pipeline) -> None:
    expected = gt.revenue_per_currency(pipeline.entity("sales"))
    overview = {
        (a, c): (gross, net)
        for a, c, gross, net in query(
            pipeline,
            """
        select account_id, currency_code, sum(sales_amount), sum(net_revenue_amount)
        from hotmart.hotmart__daily_overview
        group by 1, 2
    """,
        )
    }
    assert overview == expected, diff(expected, overview)
    # the last running total is the same number
    rolling = {
        (a, c): (gross, net)
        for a, c, gross, net in query(
            pipeline,
            """
        select distinct on (account_id, currency_code) account_id, currency_code,
               rolling_sales_amount, rolling_net_revenue_amount
        from hotmart.hotmart__daily_overview
        order by account_id, currency_code, date_day desc
    """,
        )
    }
    assert rolling == expected, diff(expected, rolling)
    # customers' lifetime value adds up to the same net revenue (one currency per buyer here)
    customers = {
        (a, c): net
        for a, c, net in query(
            pipeline,
            """
        select account_id, currency_code, sum(lifetime_value)
        from hotmart.hotmart__customers group by 1, 2
    """,
        )
    }
    assert customers == {k: v[1] for k, v in expected.items()}


def test_refund_and_chargeback_counts_by_order_month(pipeline) -> None:
    expected = {
        key: (
            c["approved"],
            c["REFUNDED"],
            c["PARTIALLY_REFUNDED"],
            c["CHARGEBACK"],
            c["PROTESTED"],
        )
        for key, c in gt.refund_counts(pipeline.entity("sales")).items()
    }
    actual = {
        (a, m): tuple(int(x) for x in rest)
        for a, m, *rest in query(
            pipeline,
            """
        select account_id, order_month, sum(approved_orders), sum(refunded_orders),
               sum(partially_refunded_orders), sum(chargeback_orders), sum(disputed_orders)
        from hotmart.hotmart__refunds
        group by 1, 2
    """,
        )
    }
    assert actual == expected, diff(expected, actual)
    totals = Counter()
    for counts in expected.values():
        totals.update({"refunds": counts[1], "chargebacks": counts[3] + counts[4]})
    assert totals["refunds"] > 0 and totals["chargebacks"] > 0, "data has no refund to test"
    overview = query(
        pipeline,
        """
        select sum(refunds_count), sum(chargebacks_count) from hotmart.hotmart__daily_overview
    """,
    )[0]
    assert (int(overview[0]), int(overview[1])) == (totals["refunds"], totals["chargebacks"])


def test_active_subscribers_and_mrr_per_month(pipeline) -> None:
    expected = gt.monthly_mrr(
        pipeline.entity("sales"),
        pipeline.entity("subscriptions"),
        pipeline.entity("subscription_transactions"),
    )
    actual = {
        (a, m, c): (int(n), mrr)
        for a, m, c, n, mrr in query(
            pipeline,
            """
        select account_id, date_month, currency_code, active_customers, mrr
        from hotmart.hotmart__mrr_monthly
        where mrr > 0
    """,
        )
    }
    assert len(expected) > 12, "too little subscription data to test MRR"
    assert actual == expected, diff(expected, actual)


def test_mrr_movements_roll_forward(pipeline) -> None:
    """mrr = previous mrr + new + reactivation + expansion - contraction - churn, every month."""
    broken = query(
        pipeline,
        """
        select mrr_monthly_key, mrr, previous_mrr, net_new_mrr
        from hotmart.hotmart__mrr_monthly
        where mrr <> previous_mrr + net_new_mrr
    """,
    )
    assert broken == []


def test_mrr_movements_per_month(pipeline) -> None:
    """New, reactivation, expansion, contraction and churned MRR equal the ground truth's.

    Expansion and contraction come from the emulator's plan switches (same period, another
    price); the data must contain both, or this test would not check them at all.
    """
    expected = gt.monthly_mrr_movements(
        pipeline.entity("sales"),
        pipeline.entity("subscriptions"),
        pipeline.entity("subscription_transactions"),
    )
    actual = {
        (a, m, c): tuple(values)
        for a, m, c, *values in query(
            pipeline,
            """
        select account_id, date_month, currency_code, new_mrr, reactivation_mrr,
               expansion_mrr, contraction_mrr, churned_mrr
        from hotmart.hotmart__mrr_monthly
    """,
        )
    }
    totals = [sum(v[i] for v in expected.values()) for i in range(5)]
    new, _reactivation, expansion, contraction, churned = totals
    assert new > 0 and churned > 0
    assert expansion > 0, "no upgrade in the test data: expansion is not tested"
    assert contraction > 0, "no downgrade in the test data: contraction is not tested"
    assert actual == expected, diff(expected, actual)


def test_new_orders_command_prints_the_report(pipeline) -> None:
    """`hotmart-report new-orders` reads the mart through the DBT_POSTGRES_* settings."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hotmart_reports",
            "new-orders",
            "--period",
            "month",
            "--last",
            "3",
            "--account",
            "acct-1",
        ],
        env={**os.environ, **pipeline.env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "New orders by month, last 3 months (account acct-1)" in proc.stdout
    assert "BRL" in proc.stdout and "Gross revenue" in proc.stdout
    # the printed BRL total equals the mart's
    (gross,) = query(
        pipeline,
        """
        with last_months as (
            select distinct period_start from hotmart.hotmart__new_orders
            where period_type = 'month' order by period_start desc limit 3
        )
        select sum(gross_revenue) from hotmart.hotmart__new_orders
        where period_type = 'month' and account_id = 'acct-1' and currency_code = 'BRL'
          and period_start in (select period_start from last_months)
    """,
    )[0]
    total_line = next(
        line for line in proc.stdout.splitlines() if line.startswith("Total") and " BRL " in line
    )
    assert f"{Decimal(gross):,.2f}" in total_line
