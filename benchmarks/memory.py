"""Benchmark 5 (tap side): peak RSS of the tap at several account sizes; it should be flat.

For each size, the emulator (its own process, no rate limit, no latency) serves one
account and the tap syncs the chosen streams into a counting reader. Without a rate limit
the tap is CPU-bound, so its emitting thread is the slow side and pages fetched ahead
pile up as much as the tap lets them: the worst case for its memory. Peak RSS comes from
the kernel's accounting of the finished child (wait4). The target's and dbt's memory are
measured by `benchmarks.pipeline_e2e`.

    python -m benchmarks.memory --sales 100000 1000000 [--streams sale_participants]
    python -m benchmarks.memory --tap-dir /path/to/other/checkout   # e.g. a "before"
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

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--streams", default="", help="comma-separated; default: every stream")
    parser.add_argument("--tap-dir", type=Path, default=ROOT, help="checkout whose tap runs")
    args = parser.parse_args()
    banner(f"memory --sales {' '.join(map(str, args.sales))} --tap-dir {args.tap_dir}")
    for sales in args.sales:
        with (
            tempfile.TemporaryDirectory() as tmp,
            EmulatorProcess(seed=6, accounts=1, sales=sales) as emu,
        ):
            config_file = config_for(emu, Path(tmp) / "config.json")
            # `python -m tap_hotmart` run from the checkout imports that checkout's package.
            command = ["env", "-C", str(args.tap_dir), sys.executable, "-m", "tap_hotmart",
                       "--config", str(config_file)]  # fmt: skip
            if args.streams:
                streams = set(args.streams.split(","))
                catalog = catalog_selecting(config_file, streams, Path(tmp) / "catalog.json")
                command += ["--catalog", str(catalog)]
            run = run_counting(command)
            print(
                f"{sales:,} sales: {run.records:,} records in {run.seconds:.1f} s "
                f"({run.records / run.seconds:,.0f} rec/s, CPU {run.cpu_seconds:.1f} s); "
                f"tap peak RSS {run.peak_rss_mb:.0f} MB; load {load_average()}",
                flush=True,
            )


if __name__ == "__main__":
    main()
