"""``hotmart-report``: print a report of the Hotmart marts in the terminal.

Only ``new-orders`` exists for now; the command is a sub-command parser so that the other
marts (daily overview, MRR...) can be added without changing how it is called.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from hotmart_reports import new_orders
from hotmart_reports.db import DEFAULT_SCHEMA, ReportError, connect


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hotmart-report",
        description="Reports over the dbt marts built from tap-hotmart data.",
    )
    sub = parser.add_subparsers(dest="report", required=True, metavar="REPORT")
    p = sub.add_parser(
        "new-orders",
        help="orders, new buyers, gross revenue and AOV per period",
        description=new_orders.__doc__.split("\n\n")[0],
    )
    p.add_argument(
        "--period",
        choices=new_orders.PERIODS,
        default="month",
        help="period of each line (default: month)",
    )
    p.add_argument(
        "--last",
        type=int,
        default=None,
        metavar="N",
        help="how many periods up to the latest one (default: 14 days, 8 weeks or 6 months)",
    )
    p.add_argument("--account", metavar="ID", help="only this account_id (e.g. acct-1)")
    p.add_argument("--product", type=int, metavar="ID", help="only this Hotmart product id")
    p.add_argument(
        "--source",
        metavar="SRC",
        help="only orders whose tracking source is SRC ('(none)' = no source)",
    )
    p.add_argument(
        "--dsn",
        metavar="URL",
        help="PostgreSQL URL; default: the DBT_POSTGRES_* variables dbt uses",
    )
    p.add_argument(
        "--schema",
        default=None,
        help="schema of the marts (default: $DBT_POSTGRES_SCHEMA or 'hotmart')",
    )
    return parser


DEFAULT_LAST = {"day": 14, "week": 8, "month": 6}


def one_line(message: str) -> str:
    """``message`` on one line: libpq adds its hints on further lines (``Connection
    refused`` then ``Is the server running...``), and an error must stay one line on stderr
    so that a wrapper script or a log can show it whole."""
    return "; ".join(line.strip() for line in message.splitlines() if line.strip())


def main(argv: Sequence[str] | None = None) -> int:
    """Run one report; exit code 2, one line on stderr, for anything the user can fix."""
    args = build_parser().parse_args(argv)
    schema = args.schema or os.environ.get("DBT_POSTGRES_SCHEMA") or DEFAULT_SCHEMA
    filters = new_orders.Filters(
        period=args.period,
        last=args.last if args.last is not None else DEFAULT_LAST[args.period],
        account=args.account,
        product=args.product,
        source=args.source,
    )
    try:
        with connect(args.dsn) as conn:
            rows = new_orders.fetch(conn, schema, filters)
    except ReportError as exc:
        print(f"hotmart-report: {one_line(str(exc))}", file=sys.stderr)
        return 2
    try:
        print(new_orders.render(rows, filters))
    except BrokenPipeError:  # `hotmart-report ... | head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
