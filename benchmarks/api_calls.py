"""Benchmark 3: API calls per 1,000 records, on a full sync and on incremental runs.

A full sync of every stream, then the emulator's clock moves one day, then 10 more, then
30 more, and each time the tap runs again with the state the last run left. The
incremental cost should follow the new data plus the lookback, not the history. For each
run, the calls and records of every endpoint are listed, so the overhead can be traced: a
date-window endpoint pays about one partial page per window, the product children one
request per product they read, and the token one request per account.

    python -m benchmarks.api_calls [--sales 100000] [--start-date 2011-01-01] [--set KEY=VALUE]

`--start-date` reads from that date instead of the emulator's first sale (the tap's
default is 2011-01-01: a producer's history usually starts years later); `--set` passes
a tap setting, e.g. `--set max_window_days=30` for fixed 30-day windows.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from benchmarks.common import EmulatorProcess, banner, config_for, load_average


def sync(config_file: Path, state: dict | None, tmp: Path) -> tuple[Counter, dict]:
    """Run the tap; return (records emitted per stream, last state), streaming its output."""
    command = [sys.executable, "-m", "tap_hotmart", "--config", str(config_file)]
    if state is not None:
        state_file = tmp / "state.json"
        state_file.write_text(json.dumps(state))
        command += ["--state", str(state_file)]
    records: Counter = Counter()
    last_state: dict = {}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(b'{"type":"RECORD"'):
            records[line[27 : line.index(b'"', 27)].decode()] += 1
        elif line.startswith(b'{"type":"STATE"'):
            last_state = json.loads(line)["value"]
    if process.wait():
        raise SystemExit(f"the tap failed with exit code {process.returncode}")
    return records, last_state


def report(label: str, records: Counter, stats: dict) -> None:
    calls = sum(stats["requests"].values())
    total = sum(records.values())
    print(
        f"{label}: {calls:,} calls for {total:,} records = "
        f"{calls / max(total, 1) * 1000:.2f} calls per 1,000 records; load {load_average()}"
    )
    print(f"  records by stream: {json.dumps(dict(sorted(records.items())))}")
    print(f"  calls by endpoint: {json.dumps(dict(sorted(stats['requests'].items())))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=100_000)
    parser.add_argument("--start-date", help="read from this date (default: the first sale)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a tap setting (integer value)")  # fmt: skip
    args = parser.parse_args()
    settings: dict[str, object] = {
        key: int(value) for key, value in (item.split("=", 1) for item in args.set)
    }
    if args.start_date:
        settings["start_date"] = args.start_date
    banner(f"api_calls --sales {args.sales:,} {json.dumps(settings)}")
    with (
        tempfile.TemporaryDirectory() as tmp_name,
        EmulatorProcess(seed=4, accounts=1, sales=args.sales) as emu,
    ):
        tmp = Path(tmp_name)
        emu.reset_stats()
        config_file = config_for(emu, tmp / "config.json", **settings)
        records, state = sync(config_file, None, tmp)
        report("full sync, all streams", records, emu.stats())
        for days in (1, 10, 30):
            emu.advance(days)
            emu.reset_stats()
            config_file = config_for(emu, tmp / "config.json", **settings)
            records, state = sync(config_file, state, tmp)
            report(f"incremental after {days} day(s), all streams", records, emu.stats())


if __name__ == "__main__":
    main()
