"""Shared pieces of the benchmarks: run the tap on one stream, time it, measure memory."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hotmart_emulator import EmulatorOptions
from hotmart_emulator import process as emulator_process


@dataclass
class Timed:
    """Wall time, records written, the child's CPU seconds and peak RSS of one run."""

    seconds: float
    records: int
    peak_rss_mb: float
    cpu_seconds: float = 0.0


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
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    records = sum(1 for line in process.stdout if line.startswith(b'{"type":"RECORD"'))
    process.stdout.close()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{command[:3]} failed with exit code {process.returncode}")
    return Timed(seconds, records, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)


def request_bound_s(requests: int, per_minute: int = 500, latency_ms: int = 150) -> float:
    """The least time `requests` can take under a sliding minute of `per_minute`: request
    n + per_minute cannot go before request n + 60 s, so the last goes at least
    floor((requests - 1) / per_minute) minutes after the first, and is answered a round
    trip later."""
    return math.floor(max(requests - 1, 0) / per_minute) * 60 + latency_ms / 1000


# --------------------------------------------------------------------------- machine


def load_average() -> str:
    """The 1/5/15-minute load averages, for the results (the machine is shared)."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def banner(name: str) -> None:
    """First line of every benchmark: what, when, where, how loaded."""
    print(
        f"# {name}: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}, load {load_average()}",
        flush=True,
    )


# --------------------------------------------------------------------------- emulator


#: What suits a benchmark: no rate limit to speak of (the tap's own budget is what it measures).
BENCHMARK_OPTIONS = EmulatorOptions(rate_limit=1_000_000)


class EmulatorProcess(emulator_process.EmulatorProcess):
    """`hotmart-emulator serve` in its own process (its own GIL), with the in-process API.

    The in-process `EmulatorServer` shares the benchmark's interpreter: its request
    threads and the harness's pipe reading then compete for one GIL, which slows the
    emulator and makes the measured program look slower than it is. It starts from
    `BENCHMARK_OPTIONS` (with `changes`, fields by name, applied) and waits long for a
    million-sale generation; a failed start ends the benchmark with the reason.
    """

    def __init__(self, options: EmulatorOptions = BENCHMARK_OPTIONS, **changes: Any) -> None:
        try:
            super().__init__(options, timeout_s=1800.0, **changes)
        except emulator_process.EmulatorStartError as exc:
            raise SystemExit(str(exc)) from exc


# --------------------------------------------------------------------------- processes


_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_sample(pid: int) -> tuple[int, float] | None:
    """(RSS in KiB, user+system CPU seconds) of one process, from /proc."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            rss_pages = int(statm.read().split()[1])
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return rss_pages * _PAGE_KB, (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, IndexError, ValueError):
        return None


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(p) for p in children.read().split()]
    except OSError:
        return []


class TreeMonitor:
    """Polls /proc: peak RSS and CPU seconds of each process of a tree, by label.

    `watch(pid, label)` adds a process; its descendants are found on every poll and
    counted under the same label (CPU summed, RSS summed across the subtree at each
    poll, so the peak is of the whole subtree at one instant).
    """

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self._roots: dict[int, str] = {}
        self.peak_rss_kb: dict[str, int] = {}
        self._cpu: dict[tuple[str, int], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def watch(self, pid: int, label: str) -> None:
        self._roots[pid] = label

    def cpu_seconds(self, label: str) -> float:
        return sum(v for (name, _), v in self._cpu.items() if name == label)

    def peak_mb(self, label: str) -> float:
        return self.peak_rss_kb.get(label, 0) / 1024

    def _poll(self) -> None:
        for root, label in list(self._roots.items()):
            stack, total_rss = [root], 0
            while stack:
                pid = stack.pop()
                sample = _proc_sample(pid)
                if sample is None:
                    continue
                rss, cpu = sample
                total_rss += rss
                self._cpu[(label, pid)] = max(cpu, self._cpu.get((label, pid), 0.0))
                stack.extend(_children(pid))
            self.peak_rss_kb[label] = max(total_rss, self.peak_rss_kb.get(label, 0))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._poll()

    def __enter__(self) -> TreeMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
