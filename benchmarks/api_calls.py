"""Benchmark 3: API calls per 1,000 records, on a full sync and on an incremental run.

A full sync of every stream, then the emulator's clock moves one day (and, separately,
30 days) and the tap runs again with the state it left. The incremental cost should
follow the new data plus the lookback, not the history.

    python -m benchmarks.api_calls [--sales 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import config_for
from hotmart_emulator import EmulatorServer


def sync(config_file: Path, state: dict | None, tmp: Path) -> tuple[int, dict]:
    """Run the tap; return (records emitted, last state)."""
    command = [sys.executable, "-m", "tap_hotmart", "--config", str(config_file)]
    if state is not None:
        state_file = tmp / "state.json"
        state_file.write_text(json.dumps(state))
        command += ["--state", str(state_file)]
    done = subprocess.run(command, capture_output=True, check=True)
    records, last_state = 0, {}
    for line in done.stdout.splitlines():
        if line.startswith(b'{"type":"RECORD"'):
            records += 1
        elif line.startswith(b'{"type":"STATE"'):
            last_state = json.loads(line)["value"]
    return records, last_state


def report(label: str, records: int, calls: int) -> None:
    print(
        f"{label}: {calls:,} calls for {records:,} records = "
        f"{calls / max(records, 1) * 1000:.2f} calls per 1,000 records"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=100_000)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp_name,
        EmulatorServer(seed=4, accounts=1, sales=args.sales, rate_limit=1_000_000) as emu,
    ):
        tmp = Path(tmp_name)
        emu.reset_stats()
        records, state = sync(config_for(emu, tmp / "config.json"), None, tmp)
        report("full sync, all streams", records, sum(emu.stats()["requests"].values()))
        for days in (1, 30):
            emu.advance(days)
            emu.reset_stats()
            records, state = sync(config_for(emu, tmp / "config.json"), state, tmp)
            calls = sum(emu.stats()["requests"].values())
            report(f"incremental after {days} day(s), all streams", records, calls)
            print(f"  calls by endpoint: {json.dumps(emu.stats()['requests'])}")


if __name__ == "__main__":
    main()
