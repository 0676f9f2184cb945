"""Benchmark 4 (and 5): the whole pipeline, emulator -> tap -> target-postgres -> dbt build.

One account with N sales, every stream, no rate limit and no latency (so the pipeline's
own cost is what is measured). The tap's stdout is piped straight into target-postgres,
as `meltano run` would (without Meltano's own relay process), with the loader settings
of `meltano.yml` (the `dev` environment, or `--environment prod`); `--set KEY=VALUE`
overrides one. Then `dbt build` runs on the loaded tables. Finally the floor: the same
rows, exported as CSV, are loaded with one `COPY ... FROM STDIN` per table (psycopg) into
scratch tables of the same shape (primary keys included).

Reported per stage: wall time, rows/s, CPU seconds and peak RSS of each process (tap,
target, dbt; PostgreSQL's CPU too), polled from /proc.

    python -m benchmarks.pipeline_e2e --sales 1000000
    python -m benchmarks.pipeline_e2e --sales 200000 --set batch_size_rows=10000 \
        --set validate_records=true          # a "before" run with other loader settings

The embedded PostgreSQL (hotmart_pipeline/warehouse.py) is started on a temporary data dir and
stopped at the end; `--running` uses the configured or running warehouse instead (its
`hotmart_raw`, `hotmart*` schemas are dropped first: never point it at real data).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from benchmarks.common import EmulatorProcess, TreeMonitor, banner, config_for, load_average
from hotmart_pipeline import warehouse

PROJECT_ROOT = Path(__file__).resolve().parent.parent

TARGET = PROJECT_ROOT / ".meltano/loaders/target-postgres/venv/bin/target-postgres"
DBT = PROJECT_ROOT / ".meltano/utilities/dbt-postgres/venv/bin/dbt"
RAW = "hotmart_raw"
CONNECTION_SETTINGS = {"host", "port", "user", "password", "database", "sqlalchemy_url"}


def loader_config(environment: str, overrides: list[str]) -> dict[str, Any]:
    """target-postgres settings as Meltano would pass them (meltano.yml + environment)."""
    project = yaml.safe_load((PROJECT_ROOT / "meltano.yml").read_text())
    loader = next(p for p in project["plugins"]["loaders"] if p["name"] == "target-postgres")
    config = {
        s["name"]: s["value"]
        for s in loader.get("settings", [])
        if "value" in s and s["name"] not in CONNECTION_SETTINGS and not s["name"].startswith("ssl")
    }
    config.update(loader.get("config") or {})
    for env in project.get("environments", []):
        if env["name"] == environment:
            for plugin in (env.get("config") or {}).get("plugins", {}).get("loaders", []):
                if plugin["name"] == "target-postgres":
                    config.update(plugin.get("config") or {})
    for item in overrides:
        key, _, value = item.partition("=")
        config[key] = yaml.safe_load(value)
    return config


def write_target_config(env: dict[str, str], settings: dict[str, Any], path: Path) -> Path:
    """target-postgres' config: the warehouse of `env` and the loader `settings`."""
    connection = {
        "host": env["TARGET_POSTGRES_HOST"],
        "port": int(env.get("TARGET_POSTGRES_PORT", "5432")),
        "user": env["TARGET_POSTGRES_USER"],
        "password": env.get("TARGET_POSTGRES_PASSWORD", ""),
        "database": env["TARGET_POSTGRES_DATABASE"],
    }
    path.write_text(json.dumps({**connection, **settings}))
    return path


@dataclass
class PipedRun:
    """One tap piped into one target-postgres, as `meltano run` pipes them (without
    Meltano's relay process), each watched by the monitor under its label."""

    label: str
    tap: subprocess.Popen[bytes]
    target: subprocess.Popen[bytes]
    logs: Path
    started: float
    tap_seconds: float = 0.0
    seconds: float = 0.0

    @classmethod
    def start(
        cls, label: str, tap_config: Path, *, target_config: Path, env: dict[str, str],
        logs: Path, monitor: TreeMonitor, catalog: Path | None = None,
    ) -> PipedRun:  # fmt: skip
        """Start the pair; the tap reads `catalog` if given (else every stream)."""
        selection = ["--catalog", str(catalog)] if catalog else []
        started = time.perf_counter()
        with (
            (logs / f"tap{label}.log").open("wb") as tap_log,
            (logs / f"target{label}.log").open("wb") as target_log,
        ):
            tap = subprocess.Popen(
                [sys.executable, "-m", "tap_hotmart", "--config", str(tap_config), *selection],
                stdout=subprocess.PIPE, stderr=tap_log, env=env, cwd=PROJECT_ROOT,
            )  # fmt: skip
            target = subprocess.Popen(
                [str(TARGET), "--config", str(target_config)],
                stdin=tap.stdout, stdout=subprocess.DEVNULL, stderr=target_log, env=env,
            )  # fmt: skip
        assert tap.stdout is not None
        tap.stdout.close()  # the target holds the pipe now
        monitor.watch(tap.pid, f"tap{label}")
        monitor.watch(target.pid, f"target{label}")
        return cls(label, tap, target, logs, started)

    def wait(self) -> None:
        """Wait for both; a failure ends the benchmark with the last lines of their logs."""
        tap_rc = self.tap.wait()
        self.tap_seconds = time.perf_counter() - self.started
        target_rc = self.target.wait()
        self.seconds = time.perf_counter() - self.started
        if tap_rc or target_rc:
            for name in (f"tap{self.label}.log", f"target{self.label}.log"):
                lines = (self.logs / name).read_text().splitlines()[-30:]
                print(f"--- {name}\n" + "\n".join(lines))
            raise SystemExit(f"tap{self.label} exit {tap_rc}, target exit {target_rc}")


def postmaster_pid(env: dict[str, str], home: Path | None) -> int | None:
    if home is None:
        return None
    pid_file = home / "data" / "postmaster.pid"
    return int(pid_file.read_text().split()[0]) if pid_file.exists() else None


def connect(env: dict[str, str]) -> Any:
    import psycopg  # noqa: PLC0415

    extra = {"passfile": env["PGPASSFILE"]} if env.get("PGPASSFILE") else {}
    return psycopg.connect(
        host=env["DBT_POSTGRES_HOST"], port=int(env.get("DBT_POSTGRES_PORT", "5432")),
        user=env["DBT_POSTGRES_USER"], password=env.get("DBT_POSTGRES_PASSWORD", ""),
        dbname=env["DBT_POSTGRES_DATABASE"], autocommit=True, **extra,
    )  # fmt: skip


def raw_counts(env: dict[str, str]) -> dict[str, int]:
    with connect(env) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                "ORDER BY 1",
                (RAW,),
            )
        ]
        return {t: conn.execute(f'SELECT count(*) FROM {RAW}."{t}"').fetchone()[0] for t in tables}


def drop_schemas(env: dict[str, str]) -> None:
    with connect(env) as conn:
        for (schema,) in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'hotmart%' "
            "OR nspname = 'bench_copy'"
        ).fetchall():
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def copy_floor(env: dict[str, str], tmp: Path) -> tuple[float, int]:
    """COPY the loaded raw rows (as CSV files) into scratch tables; return (seconds, rows)."""
    seconds, rows = 0.0, 0
    with connect(env) as conn:
        conn.execute("DROP SCHEMA IF EXISTS bench_copy CASCADE")
        conn.execute("CREATE SCHEMA bench_copy")
        for table in raw_counts(env):
            path = tmp / f"{table}.csv"
            with (
                path.open("wb") as out,
                conn.cursor().copy(f'COPY {RAW}."{table}" TO STDOUT (FORMAT csv)') as copy,
            ):
                for chunk in copy:
                    out.write(chunk)
            conn.execute(f'CREATE TABLE bench_copy."{table}" (LIKE {RAW}."{table}" INCLUDING ALL)')
            started = time.perf_counter()
            with (
                conn.transaction(),
                path.open("rb") as source,
                conn.cursor().copy(f'COPY bench_copy."{table}" FROM STDIN (FORMAT csv)') as copy,
            ):
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
            seconds += time.perf_counter() - started
            rows += conn.execute(f'SELECT count(*) FROM bench_copy."{table}"').fetchone()[0]
            path.unlink()
        conn.execute("DROP SCHEMA bench_copy CASCADE")
    return seconds, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--environment", default="dev", help="meltano.yml environment")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a target-postgres setting")  # fmt: skip
    parser.add_argument("--running", action="store_true", help="use the running warehouse")
    parser.add_argument(
        "--warehouse-home", type=Path, default=None, help="embedded warehouse in DIR, left up"
    )
    parser.add_argument("--skip-dbt", action="store_true")
    parser.add_argument("--skip-floor", action="store_true")
    args = parser.parse_args()
    banner(f"pipeline_e2e --sales {args.sales:,}")
    target_settings = loader_config(args.environment, args.set)
    print(f"target-postgres settings: {json.dumps(target_settings, sort_keys=True)}", flush=True)

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-e2e-")))
        home = None
        if args.running:
            env, server = warehouse.ensure_warehouse()
            if server is not None:
                home = server.home
        elif args.warehouse_home:
            server = warehouse.EmbeddedWarehouse(args.warehouse_home)
            env = server.start().env()
            home = server.home
        else:
            server = warehouse.EmbeddedWarehouse(tmp / "postgres")
            env = server.start().env()
            home = server.home
            stack.callback(server.stop)
        drop_schemas(env)

        started = time.perf_counter()
        emu = stack.enter_context(EmulatorProcess(seed=args.seed, accounts=1, sales=args.sales))
        print(f"emulator ready in {time.perf_counter() - started:.1f} s", flush=True)
        tap_config = config_for(emu, tmp / "tap.json")
        target_config = write_target_config(env, target_settings, tmp / "target.json")
        child_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}

        # ---- extract + load, piped
        monitor = stack.enter_context(TreeMonitor())
        pg = postmaster_pid(env, home)
        if pg:
            monitor.watch(pg, "postgres")
        cpu_pg_before = 0.0
        time.sleep(0.5)
        cpu_pg_before = monitor.cpu_seconds("postgres")
        run = PipedRun.start(
            "", tap_config, target_config=target_config, env=child_env, logs=tmp, monitor=monitor
        )
        run.wait()
        tap_seconds, el_seconds = run.tap_seconds, run.seconds
        counts = raw_counts(env)
        rows = sum(counts.values())
        print(
            f"extract+load: {rows:,} rows in {el_seconds:.1f} s = {rows / el_seconds:,.0f} rows/s "
            f"(tap done after {tap_seconds:.1f} s); CPU s: tap {monitor.cpu_seconds('tap'):.1f}, "
            f"target {monitor.cpu_seconds('target'):.1f}, postgres "
            f"{monitor.cpu_seconds('postgres') - cpu_pg_before:.1f}; peak RSS MB: tap "
            f"{monitor.peak_mb('tap'):.0f}, target {monitor.peak_mb('target'):.0f}; "
            f"load {load_average()}",
            flush=True,
        )
        print(f"  rows per table: {json.dumps(counts)}", flush=True)
        stack.callback(emu.stop)  # also stopped here to free its memory for dbt
        emu.stop()

        # ---- dbt build
        if not args.skip_dbt:
            cpu_pg_before = monitor.cpu_seconds("postgres")
            started = time.perf_counter()
            dbt = subprocess.Popen(
                [str(DBT), "build", "--project-dir", str(PROJECT_ROOT / "transform"),
                 "--profiles-dir", str(PROJECT_ROOT / "transform/profiles"),
                 "--target-path", str(tmp / "dbt-target"), "--log-path", str(tmp / "dbt-logs")],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=child_env,
                cwd=PROJECT_ROOT / "transform",
            )  # fmt: skip
            monitor.watch(dbt.pid, "dbt")
            output, _ = dbt.communicate()
            dbt_seconds = time.perf_counter() - started
            if dbt.returncode:
                print(output.decode()[-4000:])
                raise SystemExit(f"dbt build failed (exit {dbt.returncode})")
            print(
                f"dbt build: {dbt_seconds:.1f} s ({rows / dbt_seconds:,.0f} raw rows/s); CPU s: "
                f"dbt {monitor.cpu_seconds('dbt'):.1f}, postgres "
                f"{monitor.cpu_seconds('postgres') - cpu_pg_before:.1f}; peak RSS MB: dbt "
                f"{monitor.peak_mb('dbt'):.0f}; load {load_average()}",
                flush=True,
            )
            results = json.loads((tmp / "dbt-target" / "run_results.json").read_text())
            slow = sorted(results["results"], key=lambda r: -r["execution_time"])[:8]
            print(
                "  slowest nodes: "
                + ", ".join(
                    f"{r['unique_id'].split('.', 2)[-1]} {r['execution_time']:.1f}s" for r in slow
                ),
                flush=True,
            )

        # ---- the floor: COPY of the same rows
        if not args.skip_floor:
            seconds, copied = copy_floor(env, tmp)
            print(
                f"COPY floor: {copied:,} rows in {seconds:.1f} s = {copied / seconds:,.0f} rows/s; "
                f"extract+load / COPY = {el_seconds / seconds:.1f}x; load {load_average()}",
                flush=True,
            )
        if args.running or args.warehouse_home:
            print("(the warehouse keeps the loaded tables and stays up)")


if __name__ == "__main__":
    main()
