"""Benchmark 10: several accounts at the rate-limit bound take about the time of one.

Each Hotmart account has its own request budget. The emulator (its own process, a fresh
one per run) serves N equal accounts, each limited to `--per-window` requests per sliding
window of `--window-s` seconds, with `--latency-ms` added to every answer; the tap reads
the sales-family streams of all of them. A run of N accounts should take about as long as
a run of one (`account_concurrency` reads them at once), not N times as long
(`account_concurrency` 1, the tap before issue #17, which read them one after the other).

The bound of one account making C requests under a sliding window of L requests is
(C - L) / L windows (the first L at once, then L a window). Why not Hotmart's 500 a
minute: on this machine (2 cores) four accounts large enough to spend minutes at that
limit would make the run bound by the tap's CPU, not by the API; and accounts small enough
for the CPU fit in their first minute's burst, where reading them one after the other
costs little. A short window with a small budget keeps each account's read API-bound for
its whole length, as a large account's is at 500 a minute; the tap learns the budget from
the emulator's RateLimit headers (its own limiter is set to the same rate a minute).

    python -m benchmarks.accounts_at_once [--sales 10000] [--per-window 10] [--window-s 10]
        [--latency-ms 150]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks.common import (
    EmulatorProcess,
    banner,
    catalog_selecting,
    config_for,
    load_average,
    run_counting,
)

STREAMS = {"sales", "sale_participants", "sale_commissions", "sale_price_details"}
#: (accounts, account_concurrency) of each run, in order.
RUNS = ((1, 4), (2, 4), (4, 4), (4, 1))


def one_run(args: argparse.Namespace, accounts: int, at_once: int, tmp: Path) -> float:
    """Run the tap over `accounts` fresh accounts; print and return its wall time."""
    with EmulatorProcess(
        seed=10,
        accounts=accounts,
        sales=args.sales,
        rate_limit=args.per_window,
        rate_window_s=args.window_s,
        latency_ms=args.latency_ms,
    ) as emu:
        config_file = config_for(
            emu,
            tmp / f"config-{accounts}-{at_once}.json",
            requests_per_minute=round(args.per_window * 60 / args.window_s),
            account_concurrency=at_once,
        )
        catalog = catalog_selecting(config_file, STREAMS, tmp / "catalog.json")
        emu.reset_stats()
        run = run_counting(
            [sys.executable, "-m", "tap_hotmart", "--config", str(config_file),
             "--catalog", str(catalog)]
        )  # fmt: skip
        stats = emu.stats()
    calls = sum(stats["requests"].values())
    per_account = calls / accounts
    bound_s = max(0.0, (per_account - args.per_window) / args.per_window * args.window_s)
    print(
        f"{accounts} account(s), account_concurrency {at_once}: {run.seconds:.1f} s, "
        f"{run.records:,} records, {calls:,} requests ({per_account:.0f} per account; "
        f"bound {bound_s:.0f} s); 429s: {stats['responses'].get('429', 0)}; tap CPU "
        f"{run.cpu_seconds:.1f} s, peak RSS {run.peak_rss_mb:.0f} MB; load {load_average()}",
        flush=True,
    )
    return run.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=10_000, help="sales per account")
    parser.add_argument("--per-window", type=int, default=10, help="requests per window")
    parser.add_argument("--window-s", type=float, default=10.0, help="seconds of the window")
    parser.add_argument("--latency-ms", type=int, default=150)
    args = parser.parse_args()
    banner(
        f"accounts_at_once --sales {args.sales:,} --per-window {args.per_window} "
        f"--window-s {args.window_s:g} --latency-ms {args.latency_ms}"
    )
    with tempfile.TemporaryDirectory() as tmp_name:
        seconds = {
            (accounts, at_once): one_run(args, accounts, at_once, Path(tmp_name))
            for accounts, at_once in RUNS
        }
    one = seconds[(1, 4)]
    for (accounts, at_once), wall in seconds.items():
        print(f"  {accounts} account(s), account_concurrency {at_once}: {wall / one:.2f}x one")


if __name__ == "__main__":
    main()
