"""``hotmart-report``: print a report of the Hotmart marts in the terminal.

One sub-command per report of ``catalog.REPORTS``, and ``dashboard`` (all of them as charts
in one HTML file, ``hotmart_reports.dashboard``); each report offers the filters its mart has,
``--period`` / ``--last`` when it is a time series (``--top`` when it is a listing),
``--format table|csv|json``, ``--dsn`` (PostgreSQL) or ``--duckdb`` (a DuckDB file), and
``--schema``; without ``--dsn`` or ``--duckdb``, the warehouse is the pipeline's
(``HOTMART_WAREHOUSE_ENGINE``, see ``db.connect``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from hotmart_pipeline.engine import DEFAULT_DUCKDB_PATH
from hotmart_reports.catalog import REPORTS
from hotmart_reports.dashboard import command as dashboard
from hotmart_reports.db import ReportError, Warehouse, connect
from hotmart_reports.marts import default_schema
from hotmart_reports.report import FORMATS, Options, Report, fetch, render

#: each filter's option: (argument type, metavar, help)
FILTERS = {
    "account": (str, "ID", "only this account_id (e.g. acct-1)"),
    "product": (int, "ID", "only this Hotmart product id"),
    "source": (str, "SRC", "only this tracking source, any case ('(none)' = no source)"),
    "currency": (str, "CODE", "only this currency (e.g. BRL)"),
}


def add_report(sub: argparse._SubParsersAction, report: Report) -> None:
    p = sub.add_parser(report.name, help=report.help, description=report.help)
    if report.periods:
        defaults = ", ".join(f"{n} {period}s" for period, (_, n) in report.periods.items())
        if len(report.periods) > 1:
            p.add_argument(
                "--period",
                choices=tuple(report.periods),
                default=None,
                help="period of each line (default: month)",
            )
        p.add_argument(
            "--last",
            type=int,
            default=None,
            metavar="N",
            help=f"how many periods up to the latest one (default: {defaults})",
        )
    else:
        p.add_argument(
            "--top", type=int, default=None, metavar="N", help="rows per currency (default: 20)"
        )
    for name in report.filters:
        kind, metavar, text = FILTERS[name]
        p.add_argument(f"--{name}", type=kind, metavar=metavar, help=text)
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table (default), csv (a header row, plain numbers) or json (decimals as strings)",
    )
    add_warehouse_options(p)
    p.set_defaults(report=report, run=run_report)


def add_warehouse_options(p: argparse.ArgumentParser) -> None:
    """Where the marts are: ``--dsn`` or ``--duckdb``, and ``--schema`` (every command)."""
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--dsn",
        metavar="URL",
        help="PostgreSQL URL; default: the DBT_POSTGRES_* variables dbt uses",
    )
    where.add_argument(
        "--duckdb",
        type=Path,
        metavar="PATH",
        help="DuckDB file of the marts; default with HOTMART_WAREHOUSE_ENGINE=duckdb: "
        f"$HOTMART_DUCKDB_PATH or {DEFAULT_DUCKDB_PATH}",
    )
    p.add_argument(
        "--schema",
        default=None,
        help="schema of the marts (default: $DBT_POSTGRES_SCHEMA or 'hotmart')",
    )


def add_dashboard(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(dashboard.NAME, help=dashboard.HELP, description=dashboard.HELP)
    dashboard.add_arguments(p)
    add_warehouse_options(p)
    p.set_defaults(check=dashboard.check, run=dashboard.run)


def run_report(warehouse: Warehouse, schema: str, args: argparse.Namespace) -> str:
    """One report of ``catalog.REPORTS``, rendered in ``--format``."""
    report: Report = args.report
    given = {name: getattr(args, name, None) for name in (*report.filters, "period", "last", "top")}
    return render(fetch(warehouse, schema, report, Options(**given)), args.format)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hotmart-report",
        description="Reports over the dbt marts built from tap-hotmart data.",
    )
    sub = parser.add_subparsers(dest="name", required=True, metavar="REPORT")
    for report in REPORTS:
        add_report(sub, report)
    add_dashboard(sub)
    return parser


def one_line(message: str) -> str:
    """``message`` on one line: libpq adds its hints on further lines (``Connection
    refused`` then ``Is the server running...``), and an error must stay one line on stderr
    so that a wrapper script or a log can show it whole."""
    return "; ".join(line.strip() for line in message.splitlines() if line.strip())


def main(argv: Sequence[str] | None = None) -> int:
    """Run one report or the dashboard; exit code 2, one line on stderr, for anything the
    user can fix."""
    args = build_parser().parse_args(argv)
    named = args.schema or os.environ.get("DBT_POSTGRES_SCHEMA")
    try:
        if hasattr(args, "check"):
            args.check(args)
        with connect(args.dsn, duckdb_file=args.duckdb) as warehouse:
            output = args.run(warehouse, named or default_schema(warehouse), args)
    except ReportError as exc:
        print(f"hotmart-report: {one_line(str(exc))}", file=sys.stderr)
        return 2
    try:
        print(output)
    except BrokenPipeError:  # `hotmart-report ... | head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
