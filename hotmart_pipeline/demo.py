"""The whole first experience in one command: emulator -> tap -> PostgreSQL -> dbt -> report.

Why a Python script rather than Makefile shell: the steps need real process management
(start the emulator in the background, read the port it picked, always stop what we
started, even on Ctrl-C or failure) and the same helpers serve the end-to-end tests.

What it does (``make demo`` runs it, ``hotmart-demo`` from ``.venv``):

1. starts ``hotmart-emulator serve --port 0 ... --write-config .local/emulator-config.json``
   (same seed every time, so the data is the same and a second run is incremental);
2. starts the embedded PostgreSQL unless a real one is configured
   (``hotmart_pipeline/warehouse.py``);
3. runs ``meltano run hotmart-demo`` (tap-hotmart-demo -> target-postgres-demo -> dbt build),
   with the emulator's config passed as ``TAP_HOTMART_DEMO_*`` variables, into the demo's own
   schemas (``hotmart_demo_raw``, ``hotmart_demo``) so that it never mixes with real data;
4. prints the New Orders report (``hotmart-report new-orders --schema hotmart_demo``) and
   writes the dashboard (``hotmart-report dashboard``) to ``.local/dashboard.html``;
5. stops the emulator and the embedded PostgreSQL it started (data and Meltano state stay).

``--warehouse duckdb`` (``make demo WAREHOUSE=duckdb``) does the same with no server at all:
``meltano --environment=duckdb run hotmart-demo`` loads with target-duckdb and builds with
dbt-duckdb into the DuckDB file (``$HOTMART_DUCKDB_PATH``, else ``.local/warehouse.duckdb``),
and the report reads it there.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hotmart_emulator import EmulatorOptions
from hotmart_emulator.process import EmulatorProcess, EmulatorStartError
from hotmart_pipeline import engine, warehouse
from hotmart_pipeline.executables import ExecutableNotFoundError, venv_executable
from hotmart_reports.marts import DEMO_SCHEMA

#: The Meltano project the demo runs in (MELTANO_PROJECT_ROOT, else the current folder).
PROJECT_ROOT = warehouse.PROJECT_ROOT
LOCAL_DIR = PROJECT_ROOT / ".local"
EMULATOR_CONFIG = LOCAL_DIR / "emulator-config.json"
#: The demo's schemas (meltano.yml: target-postgres-demo, dbt-postgres-demo).
RAW_SCHEMA = "hotmart_demo_raw"
MART_SCHEMA = DEMO_SCHEMA


class DemoError(RuntimeError):
    """A failure with a message meant for the person running the demo."""


def venv_bin(name: str) -> str:
    """A console script of this environment (``executables.venv_executable``), as a
    ``DemoError`` when it is missing."""
    try:
        return venv_executable(name)
    except ExecutableNotFoundError as exc:
        raise DemoError(str(exc)) from exc


# --------------------------------------------------------------------------- emulator


class Emulator(EmulatorProcess):
    """A running ``hotmart-emulator serve`` subprocess, with what the demo needs on top."""

    def clock(self) -> datetime:
        """The emulator's own clock (fixed at start, moved only by ``/_emulator/advance``)."""
        return datetime.fromtimestamp(self.now_ms / 1000, tz=timezone.utc)

    def tap_env(self, plugin: str = "tap-hotmart-demo") -> dict[str, str]:
        """Meltano env vars for ``plugin``: the written config plus an ``end_date``.

        Why ``end_date``: the emulator's clock is not the real one (it starts at 2026-11-01
        and moves only when told to), while the tap syncs up to the real "now" by default.
        Ending the sync one day after the emulator's clock makes the demo and the tests
        independent of the machine's date.
        """
        end = (self.clock() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return tap_env({**self.config, "end_date": end}, plugin)


def start_emulator(
    *,
    accounts: int = 2,
    sales: int = 5_000,
    seed: int = 42,
    config_file: Path = EMULATOR_CONFIG,
    timeout_s: float = 120.0,
) -> Emulator:
    """Start the emulator on a free port and wait for its URL and written tap config."""
    try:
        return Emulator(
            EmulatorOptions(seed=seed, accounts=accounts, sales=sales),
            config_file=config_file,
            executable=venv_bin("hotmart-emulator"),
            timeout_s=timeout_s,
        )
    except EmulatorStartError as exc:
        raise DemoError(str(exc)) from exc


def tap_env(config: Mapping[str, object], plugin: str = "tap-hotmart-demo") -> dict[str, str]:
    """Meltano env vars that configure ``plugin`` from an emulator's written tap config."""
    prefix = plugin.upper().replace("-", "_")
    env: dict[str, str] = {}
    for key, value in config.items():
        env[f"{prefix}_{key.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env


# --------------------------------------------------------------------------- meltano


def meltano(
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    log_file: Path | None = None,
    timeout_s: float | None = None,
    isolate: bool = False,
) -> None:
    """Run ``meltano ARGS`` in the project with ``env`` added; raise with the log tail.

    ``isolate`` drops inherited plugin settings (``TAP_HOTMART_*``, ``TARGET_POSTGRES_*``,
    ``DBT_POSTGRES_*``, ``MELTANO_*``) that ``env`` does not set, so tests never pick up a
    developer's real credentials, warehouse or Meltano database.
    """
    inherited = dict(os.environ)
    if isolate:
        prefixes = ("TAP_HOTMART", "TARGET_POSTGRES_", "DBT_POSTGRES_", "MELTANO_", "PG")
        inherited = {k: v for k, v in inherited.items() if not k.startswith(prefixes)}
    full_env = {**inherited, **env, "MELTANO_PROJECT_ROOT": str(PROJECT_ROOT)}
    full_env.setdefault("MELTANO_SEND_ANONYMOUS_USAGE_STATS", "false")
    cmd = [venv_bin("meltano"), *args]
    if log_file is None:
        proc = subprocess.run(cmd, cwd=PROJECT_ROOT, env=full_env, timeout=timeout_s, check=False)
        if proc.returncode != 0:
            raise DemoError(f"'meltano {' '.join(args)}' failed (exit {proc.returncode}).")
        return
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("w") as log:
        proc = subprocess.run(
            cmd, cwd=PROJECT_ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
            timeout=timeout_s, check=False,
        )  # fmt: skip
    if proc.returncode != 0:
        tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-40:])
        raise DemoError(
            f"'meltano {' '.join(args)}' failed (exit {proc.returncode}); log: {log_file}\n{tail}"
        )


# --------------------------------------------------------------------------- report


def print_report(env: Mapping[str, str]) -> None:
    """Print the New Orders report (``hotmart-report new-orders``) from the demo's marts."""
    command = [venv_bin("hotmart-report"), "new-orders", "--schema", MART_SCHEMA]
    proc = subprocess.run(command, cwd=PROJECT_ROOT, env={**os.environ, **env}, check=False)
    if proc.returncode != 0:
        raise DemoError(f"the report command failed (exit {proc.returncode})")


def write_dashboard(env: Mapping[str, str]) -> Path:
    """Write the dashboard of the demo's marts (``hotmart-report dashboard``) into .local/."""
    out = LOCAL_DIR / "dashboard.html"
    command = [venv_bin("hotmart-report"), "dashboard", "--schema", MART_SCHEMA, "--out", str(out)]
    proc = subprocess.run(command, cwd=PROJECT_ROOT, env={**os.environ, **env}, check=False)
    if proc.returncode != 0:
        raise DemoError(f"the dashboard command failed (exit {proc.returncode})")
    return out


def connect(env: Mapping[str, str]) -> Any:
    """A psycopg connection from the ``DBT_POSTGRES_*`` settings (password via PGPASSFILE)."""
    import psycopg  # noqa: PLC0415 - only the tests need it; the demo runs without

    extra: dict[str, Any] = {"passfile": env["PGPASSFILE"]} if env.get("PGPASSFILE") else {}
    return psycopg.connect(
        host=env["DBT_POSTGRES_HOST"],
        port=int(env.get("DBT_POSTGRES_PORT", "5432")),
        user=env["DBT_POSTGRES_USER"],
        password=env.get("DBT_POSTGRES_PASSWORD", ""),
        dbname=env["DBT_POSTGRES_DATABASE"],
        autocommit=True,
        **extra,
    )


# --------------------------------------------------------------------------- main


@contextlib.contextmanager
def running_warehouse(keep: bool, kind: str = engine.POSTGRES) -> Iterator[dict[str, str]]:
    """The warehouse env; stops the embedded server afterwards if we started it. A DuckDB
    file needs no server: its env only selects the engine (the path stays the default or
    the one exported)."""
    if kind == engine.DUCKDB:
        env = {engine.ENGINE_VARIABLE: engine.DUCKDB}
        print(f"==> warehouse (DuckDB file): {engine.duckdb_path()}")
        yield env
        return
    server = warehouse.project_warehouse()
    was_running = server.is_running() if warehouse.configured_environment() is None else True
    env, server_or_none = warehouse.ensure_warehouse()
    where = "configured" if server_or_none is None else "embedded"
    print(f"==> warehouse ({where}): {warehouse.describe(env)}")
    try:
        yield env
    finally:
        if server_or_none is not None and not was_running and not keep:
            server_or_none.stop()
            print("==> embedded PostgreSQL stopped (data kept in .local/postgres)")


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns a process exit code."""
    parser = argparse.ArgumentParser(description="Run the tap-hotmart demo pipeline.")
    parser.add_argument("--accounts", type=int, default=2)
    parser.add_argument("--sales", type=int, default=5_000, help="sales per account")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep-warehouse", action="store_true", help="leave PostgreSQL running")
    parser.add_argument("--full-refresh", action="store_true", help="ignore the saved state")
    parser.add_argument(
        "--warehouse", choices=engine.ENGINES, default=engine.POSTGRES,
        help="postgres (embedded unless configured) or duckdb (a file, no server)",
    )  # fmt: skip
    args = parser.parse_args(argv)

    started = time.monotonic()
    try:
        with running_warehouse(args.keep_warehouse, args.warehouse) as db_env:
            print(f"==> starting hotmart-emulator (seed {args.seed}, {args.accounts} accounts, "
                  f"{args.sales} sales each)")  # fmt: skip
            emu = start_emulator(accounts=args.accounts, sales=args.sales, seed=args.seed)
            try:
                print(f"==> emulator at {emu.url}")
                env = {**db_env, **emu.tap_env()}
                refresh = ["--full-refresh"] if args.full_refresh else []
                environment = ["--environment=duckdb"] if args.warehouse == engine.DUCKDB else []
                run_args = [*environment, "run", "hotmart-demo", *refresh]
                print(f"==> meltano {' '.join(run_args)}")
                meltano(run_args, env)
            finally:
                emu.stop()
                print("==> emulator stopped")
            print("\n==> New Orders")
            print_report(db_env)
            dashboard = write_dashboard(db_env)
    except (DemoError, warehouse.WarehouseError) as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("demo interrupted", file=sys.stderr)
        return 130
    where = f" of {engine.duckdb_path()}" if args.warehouse == engine.DUCKDB else ""
    print(f"\n==> done in {time.monotonic() - started:.0f}s. The demo's data is in the schemas "
          f"{RAW_SCHEMA} and {MART_SCHEMA}{where}; 'make demo' again syncs incrementally.\n"
          "==> next, your own account: .venv/bin/hotmart-connect (README, 'Your own "
          "Hotmart account')")  # fmt: skip
    print(f"==> dashboard (open it in a browser): {dashboard}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
