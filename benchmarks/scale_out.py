"""Benchmark 12 (issue #15): pipelines under Hotmart's real limits, one large account and
several accounts, each pipeline a tap piped into its own target-postgres.

The emulator (its own process) serves Hotmart's 500 requests per minute per account
(facts §2.5, H) with 150 ms added to every answer; the tap reads every stream within its
own budget of 500 a minute (`requests_per_minute`, the default). What is asked:

* `one-account`: a 1,000,000-sale account end to end: the wall time against the API bound
  (C requests under a sliding minute of L need at least floor((C - 1) / L) minutes), and
  whether the loader keeps up. If it does not, the same account again with the streams
  split between two pipelines (`--loaders 2`: two taps, 250 requests a minute each, one
  loader each), what a user does with two Meltano jobs selecting disjoint streams.
* `accounts`: N accounts of 100,000 sales, one pipeline per account (as
  `hotmart-accounts` generates), one after the other, then all at once: wall time, and CPU
  seconds and peak RSS of each process.

Each run loads a fresh embedded PostgreSQL; the raw tables are created before the clock
starts (from the tap's own schemas, by target-postgres: what `hotmart-load` does for the
per-account jobs), so loaders started together do not race to create them. dbt is not run
(benchmarks 4 and 7 measure it).

    python -m benchmarks.scale_out one-account [--sales 1000000] [--loaders 1 2]
    python -m benchmarks.scale_out accounts [--accounts 4] [--sales 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.common import (
    EmulatorProcess,
    TreeMonitor,
    banner,
    catalog_selecting,
    config_for,
    load_average,
    request_bound_s,
)
from benchmarks.pipeline_e2e import (
    TARGET,
    PipedRun,
    drop_schemas,
    loader_config,
    postmaster_pid,
    raw_counts,
    write_target_config,
)
from hotmart_emulator import process as emulator_process
from hotmart_pipeline import raw_tables, warehouse

RATE_LIMIT = 500  # requests per sliding minute per account (facts §2.5, H)
LATENCY_MS = 150
#: The second pipeline's streams when an account's streams are split between two: about
#: half the rows (two of the four one-row-per-sale tables and the subscription charges)
#: and half the requests (two of the four sales-family endpoints).
SECOND_LOADER_STREAMS = {"sale_commissions", "sale_price_details", "subscription_transactions"}


@dataclass
class Measured:
    """One measured run: its pipelines, wall time, the emulator's counts, rows loaded."""

    runs: list[PipedRun]
    wall: float
    stats: dict[str, Any]
    rows: int
    postgres_cpu: float
    api_done: float  #: seconds until the last request reached the emulator

    def summary(self) -> str:
        return (
            f"{self.rows:,} rows in {self.wall:.1f} s = {self.rows / self.wall:,.0f} rows/s; "
            f"last request after {self.api_done:.1f} s; 429s "
            f"{self.stats['responses'].get('429', 0)}; PostgreSQL CPU {self.postgres_cpu:.1f} s; "
            f"load {load_average()}"
        )


class Bench:
    """A fresh embedded warehouse, its loader config, and the process monitor."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.server = warehouse.EmbeddedWarehouse(tmp / "postgres")
        self.monitor = TreeMonitor()
        self.runs = 0

    def __enter__(self) -> Bench:
        self.env = self.server.start().env()
        self.child_env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        settings = loader_config("dev", [])
        self.target_config = write_target_config(self.env, settings, self.tmp / "target.json")
        self.monitor.__enter__()
        pg = postmaster_pid(self.env, self.server.home)
        if pg:
            self.monitor.watch(pg, "postgres")
        return self

    def __exit__(self, *exc: object) -> None:
        self.monitor.__exit__()
        self.server.stop()

    def measure(
        self, emu: emulator_process.EmulatorProcess, start: Callable[[], list[PipedRun]]
    ) -> Measured:
        """Run `start` (which starts pipelines and waits for them) on empty raw tables."""
        self.next_run()
        emu.reset_stats()
        pg_before = self.monitor.cpu_seconds("postgres")
        clock = time.perf_counter()
        done = threading.Event()
        last_request = [0.0]

        def watch_requests() -> None:
            """When the request count last grew (the tap reads ahead of what it emits)."""
            seen = 0
            while not done.wait(0.5):
                count = sum(emu.stats()["requests"].values())
                if count != seen:
                    seen, last_request[0] = count, time.perf_counter() - clock

        watcher = threading.Thread(target=watch_requests, daemon=True)
        watcher.start()
        runs = start()
        wall = time.perf_counter() - clock
        done.set()
        watcher.join()
        return Measured(
            runs=runs,
            wall=wall,
            stats=emu.stats(),
            rows=sum(raw_counts(self.env).values()),
            postgres_cpu=self.monitor.cpu_seconds("postgres") - pg_before,
            api_done=last_request[0],
        )

    def next_run(self) -> None:
        """Empty raw tables (created by target-postgres from the streams' SCHEMA messages),
        and, after the first run, a fresh minute of every account's budget."""
        drop_schemas(self.env)
        payload = "".join(s.schema_message() + "\n" for s in raw_tables.tap_streams())
        subprocess.run(
            [str(TARGET), "--config", str(self.target_config)], input=payload.encode(),
            env=self.child_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
        )  # fmt: skip
        if self.runs:
            time.sleep(61)
        self.runs += 1


def report(run: PipedRun, monitor: TreeMonitor) -> None:
    print(
        f"  pipeline {run.label[1:]}: done after {run.seconds:.1f} s (tap "
        f"{run.tap_seconds:.1f} s); CPU s tap "
        f"{monitor.cpu_seconds('tap' + run.label):.1f}, target "
        f"{monitor.cpu_seconds('target' + run.label):.1f}; peak RSS MB tap "
        f"{monitor.peak_mb('tap' + run.label):.0f}, target "
        f"{monitor.peak_mb('target' + run.label):.0f}",
        flush=True,
    )


def run_at_once(b: Bench, pipelines: Sequence[tuple[str, Path, Path | None]]) -> list[PipedRun]:
    """Start every (label, tap config, catalog) pipeline together; wait for all."""
    runs = [
        PipedRun.start(
            label,
            config,
            target_config=b.target_config,
            env=b.child_env,
            logs=b.tmp,
            monitor=b.monitor,
            catalog=catalog,
        )
        for label, config, catalog in pipelines
    ]
    for run in runs:
        run.wait()
    return runs


def one_after_the_other(
    b: Bench, pipelines: Sequence[tuple[str, Path, Path | None]]
) -> list[PipedRun]:
    """Each pipeline started when the one before it ended."""
    return [run_at_once(b, [pipeline])[0] for pipeline in pipelines]


def one_account(args: argparse.Namespace, tmp: Path) -> None:
    started = time.perf_counter()
    with (
        EmulatorProcess(seed=args.seed, accounts=1, sales=args.sales, rate_limit=RATE_LIMIT,
                        latency_ms=LATENCY_MS) as emu,
        Bench(tmp) as b,
    ):  # fmt: skip
        print(f"emulator and warehouse ready in {time.perf_counter() - started:.0f} s", flush=True)
        for loaders in args.loaders:
            per_tap = RATE_LIMIT // loaders
            config = config_for(emu, tmp / f"tap-{loaders}.json", requests_per_minute=per_tap)
            pipelines: list[tuple[str, Path, Path | None]] = [(f"-1of{loaders}", config, None)]
            if loaders == 2:
                names = {s.name for s in raw_tables.tap_streams()}
                first = catalog_selecting(config, names - SECOND_LOADER_STREAMS, tmp / "a.json")
                second = catalog_selecting(config, SECOND_LOADER_STREAMS, tmp / "b.json")
                pipelines = [("-1of2", config, first), ("-2of2", config, second)]
            elif loaders != 1:
                raise SystemExit("--loaders takes 1 or 2")
            m = b.measure(emu, partial(run_at_once, b, pipelines))
            requests = sum(m.stats["requests"].values())
            bound = request_bound_s(requests)
            print(
                f"{loaders} pipeline(s): {m.summary()}; {requests:,} requests, API bound "
                f"{bound:.0f} s, wall / bound {m.wall / bound:.2f}",
                flush=True,
            )
            for run in m.runs:
                report(run, b.monitor)


def accounts(args: argparse.Namespace, tmp: Path) -> None:
    started = time.perf_counter()
    with (
        EmulatorProcess(seed=args.seed, accounts=args.accounts, sales=args.sales,
                        rate_limit=RATE_LIMIT, latency_ms=LATENCY_MS) as emu,
        Bench(tmp) as b,
    ):  # fmt: skip
        print(f"emulator and warehouse ready in {time.perf_counter() - started:.0f} s", flush=True)
        shared = config_for(emu, tmp / "all.json")
        config = json.loads(shared.read_text())
        common = {k: v for k, v in config.items() if k != "accounts"}
        paths = []
        for i, account in enumerate(config["accounts"], 1):
            paths.append(tmp / f"account-{i}.json")
            paths[-1].write_text(json.dumps({**common, **account}))
        for mode in ("one after the other", "all at once"):
            tag = "seq" if mode == "one after the other" else "par"
            configs = [(f"-{tag}{i}", path, None) for i, path in enumerate(paths, 1)]
            if mode == "all at once":
                m = b.measure(emu, partial(run_at_once, b, configs))
            else:
                m = b.measure(emu, partial(one_after_the_other, b, configs))
            by_account = m.stats["by_account"].values()
            per_account = max(sum(a["requests"].values()) for a in by_account)
            print(
                f"{args.accounts} accounts {mode}: {m.summary()}; "
                f"{sum(m.stats['requests'].values()):,} requests (at most {per_account} per "
                f"account: API bound {request_bound_s(per_account):.0f} s each)",
                flush=True,
            )
            for run in m.runs:
                report(run, b.monitor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    one = sub.add_parser("one-account", help="one large account end to end")
    one.add_argument("--sales", type=int, default=1_000_000)
    one.add_argument("--loaders", type=int, nargs="+", default=[1, 2])
    many = sub.add_parser("accounts", help="N accounts, one after the other, then at once")
    many.add_argument("--accounts", type=int, default=4)
    many.add_argument("--sales", type=int, default=100_000, help="sales per account")
    for p in (one, many):
        p.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    banner(f"scale_out {args.mode} --sales {args.sales:,}")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        (one_account if args.mode == "one-account" else accounts)(args, Path(tmp))


if __name__ == "__main__":
    main()
