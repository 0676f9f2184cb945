"""`hotmart-report` on DuckDB prints exactly what it prints on PostgreSQL for the same data.

The e2e tests run every report in every format, with and without filters, as a user does
(``HOTMART_WAREHOUSE_ENGINE``, ``HOTMART_DUCKDB_PATH``), on the two pipelines the reports
fixture builds from the same emulator data: PostgreSQL and DuckDB, each loaded by its own
loader and built by dbt. Output and errors must be the same text, byte for byte (decimals
print without trailing zeros, so DuckDB's DECIMAL(38,6) and PostgreSQL's numeric agree). The
other tests need no server: a DuckDB file made here.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hotmart_reports.catalog import REPORTS
from hotmart_reports.report import FORMATS
from tests.reports.test_report_cli import _report

duckdb = pytest.importorskip(
    "duckdb", reason="needs the reports extra: pip install -e '.[reports]'"
)

SCHEMA = "hotmart"
#: Every report as it runs by default, then with filters ("{product}": a product of acct-1
#: without orders in some months, so that zero rows are compared too).
CASES = [
    *([report.name] for report in REPORTS),
    [
        "new-orders",
        "--period",
        "week",
        "--last",
        "4",
        "--account",
        "acct-1",
        "--source",
        "INSTAGRAM",
    ],
    ["new-orders", "--period", "day", "--last", "20", "--product", "{product}"],
    ["overview", "--period", "day", "--last", "10", "--currency", "brl"],
    ["refunds", "--account", "acct-1", "--product", "{product}", "--last", "36"],
    ["failed-payments", "--currency", "BRL", "--last", "3"],
    ["mrr", "--account", "acct-2", "--last", "5"],
    ["cohorts", "--account", "acct-1", "--currency", "BRL", "--last", "4"],
    ["customers", "--account", "acct-1", "--source", "instagram", "--top", "3"],
]
ERRORS = [
    ["new-orders", "--account", "acct-9"],
    ["new-orders", "--product", "123"],
    ["new-orders", "--source", "nosuch"],
    ["refunds", "--account", "acct-1", "--product", "{other_product}"],
    ["overview", "--currency", "xyz"],
    ["customers", "--product", "123"],
    ["new-orders", "--schema", "nosuch"],
    ["new-orders", "--schema", "nosuch", "--account", "acct-1"],
]
MISSING_MART = (
    "hotmart-report: hotmart.hotmart__new_orders does not exist: run the dbt project first "
    "(meltano invoke dbt-postgres:build, or dbt build in transform/)\n"
)


def _duckdb_env(path: Path) -> dict[str, str]:
    return {"HOTMART_WAREHOUSE_ENGINE": "duckdb", "HOTMART_DUCKDB_PATH": str(path)}


@pytest.fixture(scope="module")
def products(postgres_pipeline) -> dict[str, str]:
    """``product``: acct-1's product with the fewest months of refunds rows (some of its
    months have no order); ``other_product``: one that only acct-2 sells."""
    with postgres_pipeline.connect() as conn:
        ((product,),) = conn.execute(
            f"select product_id from {SCHEMA}.hotmart__refunds where account_id = 'acct-1' "
            "group by 1 order by count(*), 1 limit 1"
        ).fetchall()
        ((other,),) = conn.execute(
            f"select min(product_id) from {SCHEMA}.hotmart__refunds where account_id = 'acct-2' "
            f"and product_id not in (select product_id from {SCHEMA}.hotmart__refunds "
            "where account_id = 'acct-1')"
        ).fetchall()
    return {"product": str(product), "other_product": str(other)}


def _both(
    pipelines: dict, args: list[str], products: dict[str, str]
) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """The same command on the PostgreSQL pipeline, then on the DuckDB one."""
    argv = [arg.format(**products) for arg in args]
    on_postgres = _report(*argv, env={**pipelines["postgres"].env, "HOTMART_WAREHOUSE_ENGINE": ""})
    on_duckdb = _report(*argv, env=pipelines["duckdb"].env)
    return on_postgres, on_duckdb


@pytest.mark.e2e
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("args", CASES, ids=[" ".join(case) for case in CASES])
def test_every_report_prints_the_same_on_both_engines(
    pipelines: dict, products: dict[str, str], args: list[str], fmt: str
) -> None:
    on_postgres, on_duckdb = _both(pipelines, [*args, "--format", fmt], products)
    assert (on_postgres.returncode, on_postgres.stderr) == (0, ""), on_postgres.stderr
    assert (on_duckdb.returncode, on_duckdb.stderr) == (0, ""), on_duckdb.stderr
    assert on_postgres.stdout.count("\n") > 2, "the report has no rows: nothing is compared"
    assert on_duckdb.stdout == on_postgres.stdout


@pytest.mark.e2e
@pytest.mark.parametrize("args", ERRORS, ids=[" ".join(case) for case in ERRORS])
def test_errors_are_the_same_one_line_on_both_engines(
    pipelines: dict, products: dict[str, str], args: list[str]
) -> None:
    on_postgres, on_duckdb = _both(pipelines, args, products)
    assert (on_postgres.returncode, on_postgres.stdout) == (2, "")
    assert (on_duckdb.returncode, on_duckdb.stdout, on_duckdb.stderr) == (2, "", on_postgres.stderr)
    assert on_duckdb.stderr.startswith("hotmart-report: ") and on_duckdb.stderr.count("\n") == 1


def _one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert (proc.returncode, proc.stdout) == (2, ""), proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    return proc.stderr


@pytest.mark.parametrize("how", ["environment", "option"])
def test_a_missing_duckdb_file_says_what_to_run(tmp_path: Path, how: str) -> None:
    path = tmp_path / "nosuch.duckdb"
    if how == "option":  # the option wins over the engine variable
        proc = _report("new-orders", "--duckdb", str(path), env={"HOTMART_WAREHOUSE_ENGINE": ""})
    else:
        proc = _report("new-orders", env=_duckdb_env(path))
    assert _one_line_error(proc) == (
        f"hotmart-report: no DuckDB warehouse at {path}: run 'meltano --environment=duckdb run "
        "hotmart-sync' (or 'make demo WAREHOUSE=duckdb') first\n"
    )
    assert not path.exists(), "a read-only report must not create the file"


@pytest.mark.parametrize("args", [[], ["--account", "acct-1"]], ids=["plain", "filtered"])
def test_a_missing_mart_in_duckdb_is_one_line(tmp_path: Path, args: list[str]) -> None:
    """The filter check queries the mart first: it must fail as the report query does."""
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    proc = _report("new-orders", *args, env=_duckdb_env(path))
    assert _one_line_error(proc) == MISSING_MART


def _new_orders_mart(conn: duckdb.DuckDBPyConnection, schema: str) -> None:
    """A small hotmart__new_orders in ``schema``: one month, two currencies."""
    conn.execute(f"create schema if not exists {schema}")
    conn.execute(
        f"create table {schema}.hotmart__new_orders (period_type VARCHAR, period_start DATE, "
        "account_id VARCHAR, product_id BIGINT, source VARCHAR, currency_code VARCHAR, "
        "new_orders BIGINT, new_buyers BIGINT, returning_orders BIGINT, "
        "gross_revenue DECIMAL(38, 6))"
    )
    conn.execute(
        f"insert into {schema}.hotmart__new_orders values "
        "('month', '2026-10-01', 'acct-1', 1, 'email', 'BRL', 1, 1, 0, 100.05), "
        "('month', '2026-10-01', 'acct-1', 2, 'email', 'BRL', 1, 0, 1, 0), "
        "('month', '2026-10-01', 'acct-1', 2, 'email', 'USD', 2, 0, 2, -100.05)"
    )


def test_right_after_the_demo_a_report_shows_the_demos_marts_and_says_so(tmp_path: Path) -> None:
    """`make demo` builds its marts in hotmart_demo; the default schema is the user's, empty
    until their first sync: a report that names no schema shows the demo's, and says so."""
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        _new_orders_mart(conn, "hotmart_demo")
        conn.execute("create table hotmart_demo.hotmart__orders (account_id VARCHAR)")
    proc = _report("new-orders", "--last", "1", "--format", "csv", env=_duckdb_env(path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (
        f"hotmart-report: no marts of your own yet (schema {SCHEMA}); showing the demo's "
        "(hotmart_demo). Yours come with your account's first sync.\n"
    )
    assert proc.stdout.splitlines()[1] == "2026-10-01,BRL,2,1,1,100.05,50.03"
    # a schema named explicitly is never swapped: a missing mart there says where the demo's are
    proc = _report("new-orders", "--schema", SCHEMA, env=_duckdb_env(path))
    assert _one_line_error(proc) == (
        f"hotmart-report: {SCHEMA}.hotmart__new_orders does not exist; the demo's marts are in "
        "hotmart_demo (add --schema hotmart_demo), yours come with your account's first sync "
        "(README, 'Your own Hotmart account')\n"
    )


def test_duckdb_rounds_ratios_half_away_from_zero_exactly(tmp_path: Path) -> None:
    """DuckDB divides decimals as doubles (100.05 / 2 = 50.024999...): the AOV must still be
    the exact 50.03, as on PostgreSQL; ``--duckdb`` names the file without the engine
    variables."""
    path = tmp_path / "marts.duckdb"
    with duckdb.connect(str(path)) as conn:
        _new_orders_mart(conn, SCHEMA)
    args = ["--duckdb", str(path), "--last", "1", "--format", "csv"]
    proc = _report("new-orders", *args, env={"HOTMART_WAREHOUSE_ENGINE": "postgres"})
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines()[1:3] == [
        "2026-10-01,BRL,2,1,1,100.05,50.03",
        "2026-10-01,USD,2,0,2,-100.05,-50.03",
    ]
