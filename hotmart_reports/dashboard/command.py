"""``hotmart-report dashboard --out FILE.html``: its options, and what it prints.

The scope options are the reports' (``--account``, ``--currency``, each checked against the
marts); ``--period`` cuts the New Orders and revenue charts (the other marts are monthly);
``--since`` starts every chart at that date's period. The warehouse options are shared with
every report (``cli.add_warehouse_options``).
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from hotmart_reports.dashboard.build import build, write
from hotmart_reports.dashboard.queries import PERIODS, Options
from hotmart_reports.db import ReportError, Warehouse

NAME = "dashboard"
HELP = "every report as charts in one HTML file that opens offline"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The dashboard's own options."""
    parser.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="the HTML file to write"
    )
    parser.add_argument("--account", metavar="ID", help="only this account_id (e.g. acct-1)")
    parser.add_argument("--currency", metavar="CODE", help="only this currency (e.g. BRL)")
    parser.add_argument(
        "--period",
        choices=PERIODS,
        default="month",
        help="period of the New Orders and revenue charts (default: month)",
    )
    parser.add_argument(
        "--since", metavar="DATE", help="start every chart at the period of this date (YYYY-MM-DD)"
    )


def check(args: argparse.Namespace) -> None:
    """What can be refused before connecting to the warehouse."""
    out: Path = args.out
    if not out.parent.is_dir():
        raise ReportError(f"--out {out}: the folder {out.parent} does not exist")
    if out.is_dir():
        raise ReportError(f"--out {out} is a folder; give a file name such as dashboard.html")
    _since(args.since)


def run(warehouse: Warehouse, schema: str, args: argparse.Namespace) -> str:
    """Write the dashboard; the line to print says where and how big it is."""
    options = Options(
        account=args.account, currency=args.currency, period=args.period, since=_since(args.since)
    )
    text = build(warehouse, schema, options)
    write(args.out, text)
    size = args.out.stat().st_size
    return f"Dashboard written to {args.out} ({size / 1_000_000:.1f} MB)"


def _since(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReportError(f"--since {text!r} is not a date; use YYYY-MM-DD") from None
