"""Shared pieces of the benchmarks: run the tap on one stream, time it, measure memory."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path


@dataclass
class Timed:
    """Wall time, records written and the child's peak RSS of one run."""

    seconds: float
    records: int
    peak_rss_mb: float


def config_for(emulator: object, path: Path, **settings: object) -> Path:
    """Write the emulator's tap config, reading up to the emulator's clock."""
    config = {**emulator.tap_config(), **settings}
    end = datetime.fromtimestamp(emulator.now_ms / 1000, tz=timezone.utc) + timedelta(days=1)
    config["end_date"] = end.isoformat()
    path.write_text(json.dumps(config))
    return path


def catalog_selecting(config_file: Path, streams: set[str], out: Path) -> Path:
    """Discover the catalog and keep only `streams` selected."""
    discovered = subprocess.run(
        [sys.executable, "-m", "tap_hotmart", "--config", str(config_file), "--discover"],
        capture_output=True,
        text=True,
        check=True,
    )
    catalog = json.loads(discovered.stdout)
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    out.write_text(json.dumps(catalog))
    return out


def run_counting(command: list[str]) -> Timed:
    """Run a command that writes JSON lines; count RECORD lines; time it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    records = sum(1 for line in process.stdout if line.startswith(b'{"type":"RECORD"'))
    process.wait()
    seconds = time.perf_counter() - start
    if process.returncode:
        raise SystemExit(f"{command[:3]} failed with exit code {process.returncode}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return Timed(seconds, records, max(peak, before) / 1024)
