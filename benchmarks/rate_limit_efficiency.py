"""Benchmark 2: how close the tap gets to Hotmart's rate-limit bound.

The emulator (its own process) enforces 500 requests per sliding minute and adds 150 ms
of latency to every request, like a distant API. The tap reads the sales-family streams
(sales and its three detail endpoints) over the whole history. The bound is 500 requests
x 500 records a minute; we report records per minute achieved as a share of it, and how
many 429s the emulator had to serve (the tap's own limiter should make that zero).

The share is split into its two factors: requests per minute (share of 500) and page fill
(records per request, share of 500: partial last pages of windows, the token request).
Start-up (process start to the first API request) is reported too.

    python -m benchmarks.rate_limit_efficiency [--sales 200000] [--latency-ms 150]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import (
    EmulatorProcess,
    banner,
    catalog_selecting,
    config_for,
    load_average,
    request_bound_s,
    run_counting,
)

STREAMS = {"sales", "sale_participants", "sale_commissions", "sale_price_details"}
BOUND_RECORDS_PER_MINUTE = 500 * 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=200_000)
    parser.add_argument("--latency-ms", type=int, default=150)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--all-streams", action="store_true", help="every stream, not the sales family only"
    )
    args = parser.parse_args()
    banner(f"rate_limit_efficiency --sales {args.sales:,} --latency-ms {args.latency_ms}")
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmulatorProcess(
            seed=2, accounts=1, sales=args.sales, rate_limit=500, latency_ms=args.latency_ms
        ) as emu,
    ):
        config_file = config_for(emu, Path(tmp) / "config.json", concurrency=args.concurrency)
        streams = ["--catalog", str(catalog_selecting(config_file, STREAMS, Path(tmp) / "c.json"))]
        if args.all_streams:
            streams = []
        emu.reset_stats()
        first_request: list[float] = []
        started = time.perf_counter()
        done = threading.Event()

        def watch_first_request() -> None:
            while not done.is_set() and not first_request:
                if sum(emu.stats()["requests"].values()):
                    first_request.append(time.perf_counter() - started)
                time.sleep(0.05)

        threading.Thread(target=watch_first_request, daemon=True).start()
        run = run_counting(
            [sys.executable, "-m", "tap_hotmart", "--config", str(config_file), *streams]
        )
        done.set()
        stats = emu.stats()
        requests = sum(stats["requests"].values())
        minutes = run.seconds / 60
        per_minute = run.records / minutes
        requests_per_minute = requests / minutes
        fill = run.records / (requests * 500)
        print(
            f"{run.records:,} records, {requests:,} requests in {run.seconds:.1f} s: "
            f"{per_minute:,.0f} records/min = {per_minute / BOUND_RECORDS_PER_MINUTE:.1%} of "
            f"the {BOUND_RECORDS_PER_MINUTE:,}/min bound\n"
            f"  = {requests_per_minute:.0f} requests/min ({requests_per_minute / 500:.1%} of 500) "
            f"x page fill {fill:.1%} ({run.records / requests:.0f} records/request)\n"
            f"  first API request {first_request[0] if first_request else float('nan'):.1f} s "
            f"after start; 429s served: {stats['responses'].get('429', 0)}; tap CPU "
            f"{run.cpu_seconds:.1f} s, peak RSS {run.peak_rss_mb:.0f} MB; load {load_average()}"
        )
        bound = request_bound_s(requests, latency_ms=args.latency_ms)
        print(
            f"  request bound {bound:.1f} s (500 a sliding minute: floor((C - 1) / 500) "
            f"minutes, then a round trip): {bound / run.seconds:.1%} of it"
        )
        print(f"  requests by endpoint: {stats['requests']}")


if __name__ == "__main__":
    main()
