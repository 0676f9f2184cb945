"""Benchmark 1: CPU throughput of the tap's `sales` stream against a minimal extractor.

The emulator serves with no rate limit and no latency, so both programs are CPU-bound;
they run alternately, several rounds, on the same data in the same session.

    python benchmarks/tap_throughput.py [--sales 200000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.common import catalog_selecting, config_for, run_counting
from hotmart_emulator import EmulatorServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmulatorServer(
            seed=1, accounts=1, sales=args.sales, rate_limit=1_000_000, latency_ms=0
        ) as emu,
    ):
        config_file = config_for(emu, Path(tmp) / "config.json")
        catalog = catalog_selecting(config_file, {"sales"}, Path(tmp) / "catalog.json")
        tap = [
            sys.executable,
            "-m",
            "tap_hotmart",
            "--config",
            str(config_file),
            "--catalog",
            str(catalog),
        ]
        raw = [sys.executable, "benchmarks/raw_extractor.py", str(config_file)]
        tap_times, raw_times = [], []
        for round_number in range(1, args.rounds + 1):
            raw_run = run_counting(raw)
            tap_run = run_counting(tap)
            raw_times.append(raw_run.seconds)
            tap_times.append(tap_run.seconds)
            print(
                f"round {round_number}: raw {raw_run.records:,} records in "
                f"{raw_run.seconds:.2f} s; tap {tap_run.records:,} records in "
                f"{tap_run.seconds:.2f} s ({tap_run.records / tap_run.seconds:,.0f} rec/s); "
                f"ratio {tap_run.seconds / raw_run.seconds:.2f}"
            )
            assert tap_run.records == raw_run.records, "both must read the same records"
        tap_median, raw_median = statistics.median(tap_times), statistics.median(raw_times)
        print(
            f"median: tap {tap_median:.2f} s ({tap_run.records / tap_median:,.0f} rec/s), "
            f"raw {raw_median:.2f} s, tap/raw {tap_median / raw_median:.2f}"
        )


if __name__ == "__main__":
    main()
