"""Benchmark 7: `dbt build` of the same data on PostgreSQL and on DuckDB, and against a
baseline revision of the dbt project, side by side in one run.

The emulator's N sales (one account) are extracted once into a file of Singer messages,
then loaded twice: by target-postgres into an embedded PostgreSQL and by target-duckdb
into a DuckDB file (both with meltano.yml's settings and installs). Then, round after
round, `dbt build` (every model and test) runs on: PostgreSQL with the project at
`--baseline` (a git revision, exported with `git archive`; marts in their own schema),
PostgreSQL with the current project, and DuckDB with the current project. Alternating the
builds spreads the machine's noise over all three; the ratios compare them.

    python -m benchmarks.dbt_engines --sales 200000 --baseline 2797101 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from contextlib import ExitStack
from io import BytesIO
from pathlib import Path

from benchmarks.common import EmulatorProcess, banner, config_for, load_average
from benchmarks.pipeline_e2e import DBT, TARGET, loader_config, raw_counts
from hotmart_pipeline import warehouse

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TARGET_DUCKDB = PROJECT_ROOT / ".meltano/loaders/target-duckdb/venv/bin/target-duckdb"


def run(command: list[str], env: dict[str, str], log: Path, **kwargs: object) -> float:
    """Run ``command``; its wall time, or exit with the log's tail."""
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.run(command, env=env, stderr=out, check=False, **kwargs)  # type: ignore[call-overload]
    if proc.returncode:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise SystemExit(f"{Path(command[0]).name} failed ({proc.returncode}):\n{tail}")
    return time.perf_counter() - started


def export_project(revision: str, into: Path) -> Path:
    """``transform/`` as it was at ``revision``."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, "transform"],
        cwd=PROJECT_ROOT, capture_output=True, check=True,
    ).stdout  # fmt: skip
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "transform"


def dbt_build(project: Path, env: dict[str, str], work: Path, name: str) -> float:
    return run(
        [str(DBT), "build", "--project-dir", str(project), "--profiles-dir",
         str(PROJECT_ROOT / "transform/profiles"), "--target-path", str(work / f"target-{name}"),
         "--log-path", str(work / f"logs-{name}")],
        env, work / f"{name}.log", stdout=subprocess.DEVNULL, cwd=PROJECT_ROOT,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--baseline", default=None, help="git revision of the baseline project")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        metavar="DIR",
        help="work in DIR and keep it (PostgreSQL data in DIR/postgres, DIR/warehouse.duckdb), "
        "e.g. for benchmarks.dashboard on the same data",
    )
    args = parser.parse_args()
    banner(f"dbt_engines --sales {args.sales:,} --baseline {args.baseline}")
    with ExitStack() as stack:
        if args.keep:
            work = args.keep
            work.mkdir(parents=True, exist_ok=False)
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-dbt-")))
        server = warehouse.EmbeddedWarehouse(work / "postgres")
        pg_env = server.start().env()
        stack.callback(server.stop)
        duckdb_file = work / "warehouse.duckdb"
        base = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}

        emu = stack.enter_context(EmulatorProcess(seed=args.seed, accounts=1, sales=args.sales))
        messages = work / "messages.jsonl"
        with messages.open("wb") as out:
            seconds = run(
                [sys.executable, "-m", "tap_hotmart", "--config",
                 str(config_for(emu, work / "tap.json"))],
                base, work / "tap.log", stdout=out, cwd=PROJECT_ROOT,
            )  # fmt: skip
        print(f"extract: {seconds:.1f} s, {messages.stat().st_size / 1e6:.0f} MB", flush=True)

        pg_target = work / "target-postgres.json"
        c = {k.removeprefix("TARGET_POSTGRES_").lower(): v for k, v in pg_env.items()
             if k.startswith("TARGET_POSTGRES_")}  # fmt: skip
        c["port"] = int(c["port"])
        pg_target.write_text(json.dumps({**loader_config("dev", []), **c, "password": ""}))
        duck_target = work / "target-duckdb.json"
        duck_target.write_text(json.dumps({
            "path": str(duckdb_file), "default_target_schema": "hotmart_raw",
            "add_metadata_columns": True, "batch_size_rows": 100_000,
        }))  # fmt: skip
        for name, target, config, env in [
            ("target-postgres", TARGET, pg_target, {**base, **pg_env}),
            ("target-duckdb", TARGET_DUCKDB, duck_target, base),
        ]:
            with messages.open("rb") as source:
                command = [str(target), "--config", str(config)]
                log = work / f"{name}.log"
                seconds = run(command, env, log, stdin=source, stdout=subprocess.DEVNULL)
            print(f"load {name}: {seconds:.1f} s", flush=True)
        print(f"raw rows (PostgreSQL): {raw_counts(pg_env)}", flush=True)

        builds = {
            "postgres": (PROJECT_ROOT / "transform",
                         {**base, **pg_env, "DBT_TARGET": "dev", "DBT_POSTGRES_SCHEMA": "hotmart"}),
            "duckdb": (PROJECT_ROOT / "transform",
                       {**base, "DBT_TARGET": "duckdb", "HOTMART_DUCKDB_PATH": str(duckdb_file),
                        "DBT_POSTGRES_SCHEMA": "hotmart"}),
        }  # fmt: skip
        if args.baseline:
            old = export_project(args.baseline, work / "baseline")
            builds = {
                "postgres-baseline": (old, {**base, **pg_env, "DBT_TARGET": "dev",
                                            "DBT_POSTGRES_SCHEMA": "hotmart_base"}),
                **builds,
            }  # fmt: skip
        times: dict[str, list[float]] = {name: [] for name in builds}
        for round_number in range(args.rounds):
            for name, (project, env) in builds.items():
                seconds = dbt_build(project, env, work, f"{name}-{round_number}")
                times[name].append(seconds)
                print(f"round {round_number + 1} {name}: {seconds:.1f} s "
                      f"(load {load_average()})", flush=True)  # fmt: skip
        medians = {name: statistics.median(values) for name, values in times.items()}
        print(json.dumps({"times_s": times, "median_s": medians}, indent=1))
        reference = medians.get("postgres-baseline")
        if reference:
            for name, value in medians.items():
                print(f"{name} / postgres-baseline: {value / reference:.2f}")


if __name__ == "__main__":
    main()
