"""`hotmart-report` as a user runs it: what it prints, and how it fails.

A filter value the mart does not hold (a mistyped account, product or source) must stop the
report with the values that exist, not print months of zeros; any error is one line on
stderr with exit code 2, and never shows a password. The tests without ``pipeline`` need no
warehouse.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from hotmart_reports.catalog import NEW_ORDERS
from hotmart_reports.marts import DIMENSIONS, Scope, unknown_value_message
from hotmart_reports.report import Options, Result, render
from tests.reports.compare import query

MART = "hotmart.hotmart__new_orders"


def _report(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hotmart_reports", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def _free_port() -> int:
    """A local port nothing listens on (the OS's pick, released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("userinfo", ["u", "u:secret"])
def test_unreachable_warehouse_is_one_line_without_the_password(userinfo: str) -> None:
    """libpq's hint on a second line must not break the one-line error."""
    proc = _report("new-orders", "--dsn", f"postgresql://{userinfo}@127.0.0.1:{_free_port()}/db")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("hotmart-report: cannot connect to the warehouse: ")
    assert proc.stderr.count("\n") == 1 and proc.stderr.endswith("\n"), proc.stderr
    assert "Traceback" not in proc.stderr
    assert "secret" not in proc.stderr


@pytest.mark.parametrize(
    "dsn", ["postgresql://u:secret@[::1/db", "postgresql://u:sec%zzret@127.0.0.1:9/db"]
)
def test_a_malformed_dsn_is_one_line_that_never_quotes_it(dsn: str) -> None:
    proc = _report("new-orders", "--dsn", dsn)
    assert proc.returncode == 2
    assert proc.stderr.startswith("hotmart-report: --dsn is not a valid PostgreSQL URL")
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "sec" not in proc.stderr.replace("special", "")


def test_the_report_shows_new_buyers_once() -> None:
    """New buyers and Returning split the orders: one column each, no synonym."""
    rows = [
        (date(2026, 10, 1), "BRL", 3, 1, 2, Decimal("30.00"), Decimal("10.00")),
        (None, "BRL", 3, 1, 2, Decimal("30.00"), Decimal("10.00")),
    ]
    result = Result(NEW_ORDERS, Options(period="month", last=1), rows)
    header = render(result).splitlines()[2]
    assert re.split(r"\s{2,}", header) == [
        "Period",
        "Currency",
        "Orders",
        "New buyers",
        "Returning",
        "Gross revenue",
        "AOV",
    ]


def test_an_unknown_value_lists_ten_values_and_counts_the_others() -> None:
    product = next(d for d in DIMENSIONS if d.name == "product")
    listed = [str(n) for n in range(1, 11)]
    message = unknown_value_message(
        product, 99, mart=MART, within=Scope(account="acct-1"), listed=listed, count=14
    )
    assert message == (
        f"no product 99 in {MART} for account acct-1; "
        "products: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 4 more"
    )


def _listing(pipeline, column: str, where: str = "true") -> str:
    """The existing values as the error lists them: the first ten, then how many more."""
    values = [
        str(v)
        for (v,) in query(
            pipeline, f"select distinct {column} from {MART} where {where} order by 1"
        )
    ]
    more = f" and {len(values) - 10} more" if len(values) > 10 else ""
    return ", ".join(values[:10]) + more


@pytest.mark.e2e
def test_unknown_filter_values_are_errors(pipeline) -> None:
    """Each unknown value: one line naming it and listing the values the mart holds."""
    (other_accounts_product,) = query(
        pipeline,
        f"""
        select min(product_id) from {MART} where account_id = 'acct-2'
          and product_id not in (select product_id from {MART} where account_id = 'acct-1')
    """,
    )[0]
    cases = [
        (["--account", "acct-9"], f"no account 'acct-9' in {MART}; accounts: acct-1, acct-2"),
        (
            ["--product", "123"],
            f"no product 123 in {MART}; products: {_listing(pipeline, 'product_id')}",
        ),
        (
            ["--source", "nosuch"],
            f"no source 'nosuch' in {MART}; sources: {_listing(pipeline, 'source')}",
        ),
        (
            ["--account", "acct-1", "--product", str(other_accounts_product)],
            f"no product {other_accounts_product} in {MART} for account acct-1; products: "
            + _listing(pipeline, "product_id", "account_id = 'acct-1'"),
        ),
    ]
    assert " more" in cases[1][1], "the data should have more than ten products"
    for args, message in cases:
        proc = _report("new-orders", *args, env=pipeline.env)
        assert (proc.returncode, proc.stdout, proc.stderr) == (
            2,
            "",
            f"hotmart-report: {message}\n",
        ), args


@pytest.mark.e2e
def test_a_known_filter_without_orders_in_the_window_prints_zeros(pipeline) -> None:
    """A source that exists but sold nothing in the last month is a zero, not an error."""
    account, source, month = query(
        pipeline,
        f"""
        with months as (select * from {MART} where period_type = 'month')
        select account_id, source, (select max(period_start) from months) from months
        group by 1, 2
        having max(period_start) < (select max(period_start) from months)
        order by 1, 2 limit 1
    """,
    )[0]
    # upper case: a source matches whatever its case
    args = ["--account", account, "--source", source.upper(), "--last", "1"]
    proc = _report("new-orders", *args, env=pipeline.env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[4].split() == [month.isoformat(), "-", "0", "0", "0", "0.00", "-"]
    assert lines[5] == "", "one zero line, no total (there is no currency to total)"


@pytest.mark.e2e
def test_every_line_adds_up_and_rounds_like_the_mart(pipeline) -> None:
    """Orders = New buyers + Returning; AOV rounded half away from zero, as the mart's
    ``average_order_value`` (PEN 96.25 / 2 orders = 48.13, never 48.12)."""
    proc = _report("new-orders", "--account", "acct-1", "--last", "3", env=pipeline.env)
    assert proc.returncode == 0, proc.stderr
    lines = [
        line.split()
        for line in proc.stdout.splitlines()
        if re.match(r"\d{4}-\d\d-\d\d  |Total  ", line)
    ]
    assert len(lines) > 10
    ties = 0
    for _period, _currency, orders, new_buyers, returning, gross, aov in lines:
        assert int(orders) == int(new_buyers) + int(returning)
        exact = Decimal(gross.replace(",", "")) / int(orders)
        assert Decimal(aov.replace(",", "")) == exact.quantize(Decimal("0.01"), ROUND_HALF_UP)
        ties += exact * 1000 % 10 == 5
    assert ties, "no AOV ending in half a cent: the rounding is not tested"


@pytest.mark.e2e
@pytest.mark.parametrize("args", [[], ["--account", "acct-1"]], ids=["plain", "filtered"])
def test_a_missing_mart_is_one_line(pipeline, args: list[str]) -> None:
    """The filter check queries the mart first: it must fail as the report query does."""
    proc = _report("new-orders", "--schema", "nosuch", *args, env=pipeline.env)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("hotmart-report: nosuch.hotmart__new_orders does not exist: ")
    assert proc.stderr.count("\n") == 1, proc.stderr
