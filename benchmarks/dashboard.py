"""Benchmark 8: ``hotmart-report dashboard`` on an existing warehouse: how long it takes to
write the page, and how big the page is.

Against marts that are already built (``--dsn URL`` for PostgreSQL, ``--duckdb FILE``,
``--schema``): each round runs the command as a user does (a new process: connection,
every query, the charting library's bundle, the page) and times it; then one in-process
build splits that time into the queries, the bundling of the library and the rendering.
Targets (issue #14): under 30 s and under 10 MB on a warehouse of 1,000,000 sales.

    python -m benchmarks.dashboard --duckdb .local/warehouse.duckdb --schema hotmart_demo
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import banner
from hotmart_reports.dashboard import charts, library, page, queries
from hotmart_reports.db import Warehouse, connect
from hotmart_reports.sql import sql


def sales_count(warehouse: Warehouse, schema: str) -> tuple[int, int]:
    """Sales in every status and approved orders in ``hotmart__orders``."""
    query = sql(
        "select count(*), count(case when is_approved then 1 end) from {orders}",
        orders=warehouse.table(schema, "hotmart__orders"),
    )
    ((sales, approved),) = warehouse.rows(query)
    return int(sales), int(approved)


def command_seconds(args: argparse.Namespace, out: Path) -> float:
    """One run of ``hotmart-report dashboard`` in a new process, timed from outside."""
    where = ["--dsn", args.dsn] if args.dsn else ["--duckdb", str(args.duckdb)]
    command = [sys.executable, "-m", "hotmart_reports", "dashboard", "--out", str(out),
               "--schema", args.schema, "--period", args.period, *where]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--dsn", metavar="URL", help="PostgreSQL URL of the warehouse")
    where.add_argument("--duckdb", type=Path, metavar="FILE", help="DuckDB file of the marts")
    parser.add_argument("--schema", default=os.environ.get("DBT_POSTGRES_SCHEMA", "hotmart"))
    parser.add_argument("--period", choices=queries.PERIODS, default="month")
    parser.add_argument("--rounds", type=int, default=3, help="runs of the command")
    args = parser.parse_args(argv)

    banner("dashboard")
    with tempfile.TemporaryDirectory(prefix="dashboard-bench-") as folder:
        out = Path(folder) / "dashboard.html"
        seconds = [command_seconds(args, out) for _ in range(args.rounds)]
        size = out.stat().st_size

        options = queries.Options(period=args.period)
        with connect(args.dsn, duckdb_file=args.duckdb) as warehouse:
            sales, approved = sales_count(warehouse, args.schema)
            started = time.perf_counter()
            datasets = queries.fetch(warehouse, args.schema, options)
            queried = time.perf_counter() - started
        started = time.perf_counter()
        script = library.javascript()
        bundled = time.perf_counter() - started
        started = time.perf_counter()
        (summary,) = datasets.pop("summary")
        meta = page.Meta(
            title="benchmark", schema=args.schema, period=args.period, since=None, account=None,
            currency=None, reporting_currency=summary["reporting_currency_code"],
            as_of=summary["latest_order_date"], generated_at="-", libraries=library.versions(),
        )  # fmt: skip
        sections = charts.sections(args.period, meta.reporting_currency)
        text = page.render(meta, sections, datasets, script)
        rendered = time.perf_counter() - started

    rows = sum(len(records) for records in datasets.values())
    print(f"warehouse: {sales:,} sales ({approved:,} approved orders) in {args.schema}")
    print(f"command, {args.rounds} runs: median {statistics.median(seconds):.1f} s, "
          f"min {min(seconds):.1f} s, max {max(seconds):.1f} s")  # fmt: skip
    library_mb = len(script) / 1_000_000
    print(f"page: {size / 1_000_000:.2f} MB ({library_mb:.2f} MB of it the charting library), "
          f"{rows:,} rows in {len(datasets)} datasets, by {args.period}")  # fmt: skip
    print(f"in process: queries {queried:.1f} s, library bundle {bundled:.1f} s, "
          f"page {rendered:.2f} s ({len(text.encode()) / 1_000_000:.2f} MB)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
