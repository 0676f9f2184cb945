"""Benchmark 2: how close the tap gets to Hotmart's rate-limit bound.

The emulator enforces 500 requests per sliding minute and adds 150 ms of latency to every
request, like a distant API. The tap reads the sales-family streams (sales and its three
detail endpoints) over the whole history. The bound is 500 requests x 500 records a
minute; we report records per minute achieved as a share of it, and how many 429s the
emulator had to serve (the tap's own limiter should make that zero).

    python -m benchmarks.rate_limit_efficiency [--sales 200000] [--latency-ms 150]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks.common import catalog_selecting, config_for, run_counting
from hotmart_emulator import EmulatorServer

STREAMS = {"sales", "sale_participants", "sale_commissions", "sale_price_details"}
BOUND_RECORDS_PER_MINUTE = 500 * 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=200_000)
    parser.add_argument("--latency-ms", type=int, default=150)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmulatorServer(
            seed=2, accounts=1, sales=args.sales, rate_limit=500, latency_ms=args.latency_ms
        ) as emu,
    ):
        config_file = config_for(emu, Path(tmp) / "config.json", concurrency=args.concurrency)
        catalog = catalog_selecting(config_file, STREAMS, Path(tmp) / "catalog.json")
        emu.reset_stats()
        run = run_counting(
            [
                sys.executable,
                "-m",
                "tap_hotmart",
                "--config",
                str(config_file),
                "--catalog",
                str(catalog),
            ]
        )
        stats = emu.stats()
        requests = sum(stats["requests"].values())
        minutes = run.seconds / 60
        per_minute = run.records / minutes
        print(
            f"{run.records:,} records, {requests:,} requests in {run.seconds:.1f} s: "
            f"{per_minute:,.0f} records/min = {per_minute / BOUND_RECORDS_PER_MINUTE:.1%} of "
            f"the {BOUND_RECORDS_PER_MINUTE:,}/min bound; {requests / minutes:.0f} requests/min; "
            f"429s served: {stats['responses'].get('429', 0)}; tap peak RSS "
            f"{run.peak_rss_mb:.0f} MB"
        )


if __name__ == "__main__":
    main()
