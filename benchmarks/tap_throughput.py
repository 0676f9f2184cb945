"""Benchmark 1: CPU throughput of the tap's `sales` stream against a minimal extractor.

The emulator serves with no rate limit and no latency, so both programs are CPU-bound;
they run alternately, several rounds, on the same data in the same session. The emulator
runs in its own process (`--in-process` puts it in this one, sharing the harness's GIL).
Besides wall time, each program's own CPU time (user + system) is reported: on a shared
machine it is the steadier figure.

    python -m benchmarks.tap_throughput [--sales 200000] [--rounds 3] [--in-process]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from benchmarks.common import (
    EmulatorProcess,
    banner,
    catalog_selecting,
    config_for,
    load_average,
    run_counting,
)
from hotmart_emulator import EmulatorServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--in-process", action="store_true", help="emulator in this process")
    args = parser.parse_args()
    banner(f"tap_throughput --sales {args.sales:,} --rounds {args.rounds}")
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        settings = {"seed": 1, "accounts": 1, "sales": args.sales, "rate_limit": 1_000_000}
        if args.in_process:
            emu = stack.enter_context(EmulatorServer(**settings, latency_ms=0))
        else:
            emu = stack.enter_context(EmulatorProcess(**settings))
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
        tap_runs, raw_runs = [], []
        for round_number in range(1, args.rounds + 1):
            raw_run = run_counting(raw)
            tap_run = run_counting(tap)
            raw_runs.append(raw_run)
            tap_runs.append(tap_run)
            print(
                f"round {round_number}: raw {raw_run.records:,} records in "
                f"{raw_run.seconds:.2f} s (CPU {raw_run.cpu_seconds:.2f} s); tap "
                f"{tap_run.records:,} records in {tap_run.seconds:.2f} s "
                f"(CPU {tap_run.cpu_seconds:.2f} s, {tap_run.records / tap_run.seconds:,.0f} "
                f"rec/s, peak RSS {tap_run.peak_rss_mb:.0f} MB); wall ratio "
                f"{tap_run.seconds / raw_run.seconds:.2f}, CPU ratio "
                f"{tap_run.cpu_seconds / raw_run.cpu_seconds:.2f}; load {load_average()}",
                flush=True,
            )
            assert tap_run.records == raw_run.records, "both must read the same records"
        records = tap_runs[0].records

        def median(runs: list, field: str) -> float:
            return statistics.median(getattr(run, field) for run in runs)

        tap_s, raw_s = median(tap_runs, "seconds"), median(raw_runs, "seconds")
        tap_cpu, raw_cpu = median(tap_runs, "cpu_seconds"), median(raw_runs, "cpu_seconds")
        print(
            f"median: tap {tap_s:.2f} s ({records / tap_s:,.0f} rec/s; CPU {tap_cpu:.2f} s = "
            f"{tap_cpu / records * 1e6:.0f} us/record), raw {raw_s:.2f} s (CPU {raw_cpu:.2f} s = "
            f"{raw_cpu / records * 1e6:.0f} us/record); tap/raw wall {tap_s / raw_s:.2f}, "
            f"CPU {tap_cpu / raw_cpu:.2f}"
        )


if __name__ == "__main__":
    main()
