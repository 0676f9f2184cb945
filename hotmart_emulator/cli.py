"""``hotmart-emulator serve …``: run the emulator as a process (demo, tap tests, benchmarks)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from .api import DEFAULT_MAX_RANGE_DAYS
from .faults import PROFILES
from .server import DEFAULT_NOW, EmulatorServer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hotmart-emulator", description="Local Hotmart API emulator"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve the Hotmart API on 127.0.0.1")
    s.add_argument("--port", type=int, default=0, help="0 picks a free port")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--accounts", type=int, default=1)
    s.add_argument(
        "--sales",
        type=int,
        default=1000,
        help="sales per account visible at start (recurrences count)",
    )
    s.add_argument("--faults", choices=PROFILES, default="none")
    s.add_argument("--rate-limit", type=int, default=500, help="requests per minute per account")
    s.add_argument("--latency-ms", type=int, default=0)
    s.add_argument("--now", default=DEFAULT_NOW, help="clock at start, YYYY-MM-DD")
    s.add_argument("--history-days", type=int, default=1095)
    s.add_argument("--write-config", type=Path, help="write a ready tap config (JSON) here")
    s.add_argument(
        "--max-query-rows",
        type=int,
        default=None,
        metavar="N",
        help="a date-filtered list query matching more than N rows answers 502, as "
        "Hotmart does for a query over 30 s (default: no limit)",
    )
    s.add_argument(
        "--max-range-days",
        type=int,
        default=DEFAULT_MAX_RANGE_DAYS,
        metavar="D",
        help="a sales query whose start_date..end_date range is longer than D days "
        f"answers 400, as Hotmart refuses too wide ranges (default {DEFAULT_MAX_RANGE_DAYS}; "
        "0: no limit)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.accounts < 1 or args.accounts > 99:
        print("--accounts must be between 1 and 99", file=sys.stderr)
        return 2
    if args.max_query_rows is not None and args.max_query_rows < 1:
        print("--max-query-rows must be positive", file=sys.stderr)
        return 2
    if args.max_range_days < 0:
        print("--max-range-days must be 0 (no limit) or positive", file=sys.stderr)
        return 2
    emu = EmulatorServer(
        seed=args.seed,
        accounts=args.accounts,
        sales=args.sales,
        faults=args.faults,
        rate_limit=args.rate_limit,
        latency_ms=args.latency_ms,
        now=args.now,
        history_days=args.history_days,
        port=args.port,
        max_query_rows=args.max_query_rows,
        max_range_days=args.max_range_days or None,
    )
    emu.start()
    if args.write_config:
        args.write_config.write_text(json.dumps(emu.tap_config(), indent=2) + "\n")
    print(f"hotmart-emulator listening on {emu.url}", flush=True)

    def _stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        emu.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
