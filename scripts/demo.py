"""The whole first experience in one command: emulator -> tap -> PostgreSQL -> dbt -> report.

Why a Python script rather than Makefile shell: the steps need real process management
(start the emulator in the background, read the port it picked, always stop what we
started, even on Ctrl-C or failure) and the same helpers serve the end-to-end tests.

What it does (``make demo`` runs it inside ``.venv``):

1. starts ``hotmart-emulator serve --port 0 ... --write-config .local/emulator-config.json``
   (same seed every time, so the data is the same and a second run is incremental);
2. starts the embedded PostgreSQL unless a real one is configured (``scripts/warehouse.py``);
3. runs ``meltano run hotmart-demo`` (tap-hotmart-demo -> target-postgres -> dbt build), with
   the emulator's config passed as ``TAP_HOTMART_DEMO_*`` variables;
4. prints the New Orders report (``hotmart-report new-orders``);
5. stops the emulator and the embedded PostgreSQL it started (data and Meltano state stay).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import warehouse

PROJECT_ROOT = warehouse.PROJECT_ROOT
LOCAL_DIR = PROJECT_ROOT / ".local"
EMULATOR_CONFIG = LOCAL_DIR / "emulator-config.json"
LISTEN_PREFIX = "hotmart-emulator listening on "
RAW_SCHEMA = "hotmart_raw"


class DemoError(RuntimeError):
    """A failure with a message meant for the person running the demo."""


def venv_bin(name: str) -> str:
    """A console script from the running interpreter's venv, else from PATH.

    Why: ``make demo`` runs ``.venv/bin/python scripts/demo.py`` without activating the
    venv, so ``meltano`` and ``hotmart-emulator`` are not necessarily on PATH.
    """
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise DemoError(f"'{name}' not found: run 'make install' (or pip install -e '.[test]').")
    return found


# --------------------------------------------------------------------------- emulator


@dataclass
class Emulator:
    """A running ``hotmart-emulator serve`` subprocess."""

    process: subprocess.Popen[str]
    url: str
    config: dict[str, object]
    output: list[str] = field(default_factory=list)

    def clock(self) -> datetime:
        """The emulator's own clock (fixed at start, moved only by ``/_emulator/advance``)."""
        with urllib.request.urlopen(f"{self.url}/_emulator/health", timeout=30) as response:
            now_ms = json.loads(response.read())["now"]
        return datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc)

    def tap_env(self, plugin: str = "tap-hotmart-demo") -> dict[str, str]:
        """Meltano env vars for ``plugin``: the written config plus an ``end_date``.

        Why ``end_date``: the emulator's clock is not the real one (it starts at 2026-11-01
        and moves only when told to), while the tap syncs up to the real "now" by default.
        Ending the sync one day after the emulator's clock makes the demo and the tests
        independent of the machine's date.
        """
        end = (self.clock() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return tap_env({**self.config, "end_date": end}, plugin)

    def stop(self) -> None:
        """Terminate the emulator (it holds only in-memory data)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_emulator(
    *,
    accounts: int = 2,
    sales: int = 5_000,
    seed: int = 42,
    config_file: Path = EMULATOR_CONFIG,
    extra_args: Sequence[str] = (),
    timeout_s: float = 120.0,
) -> Emulator:
    """Start the emulator on a free port and wait for its URL and written tap config."""
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.unlink(missing_ok=True)
    cmd = [
        venv_bin("hotmart-emulator"), "serve", "--port", "0", "--accounts", str(accounts),
        "--sales", str(sales), "--seed", str(seed), "--write-config", str(config_file),
        *extra_args,
    ]  # fmt: skip
    process = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    assert process.stdout is not None
    lines: list[str] = []
    url_found = threading.Event()

    def pump() -> None:
        # Keep draining the pipe so the emulator never blocks on a full stdout buffer.
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith(LISTEN_PREFIX):
                url_found.set()

    threading.Thread(target=pump, name="emulator-stdout", daemon=True).start()
    deadline = time.monotonic() + timeout_s
    while not url_found.wait(0.1):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            tail = "\n".join(lines[-20:])
            raise DemoError(f"hotmart-emulator did not start (command: {' '.join(cmd)}):\n{tail}")
    url = next(x for x in lines if x.startswith(LISTEN_PREFIX))[len(LISTEN_PREFIX) :].strip()
    while not config_file.exists() or not config_file.read_text().strip():
        if time.monotonic() > deadline:
            process.kill()
            raise DemoError(f"hotmart-emulator did not write {config_file}")
        time.sleep(0.1)
    config = json.loads(config_file.read_text())
    return Emulator(process=process, url=url, config=config, output=lines)


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
    """Print the New Orders report (``hotmart-report new-orders``) from the dbt marts."""
    command = [str(Path(sys.executable).parent / "hotmart-report"), "new-orders"]
    proc = subprocess.run(command, cwd=PROJECT_ROOT, env={**os.environ, **env}, check=False)
    if proc.returncode != 0:
        raise DemoError(f"the report command failed (exit {proc.returncode})")


def connect(env: Mapping[str, str]) -> Any:
    """A psycopg connection from the ``DBT_POSTGRES_*`` settings (password via PGPASSFILE)."""
    import psycopg  # noqa: PLC0415 - only the tests need it; the demo runs without

    extra = {"passfile": env["PGPASSFILE"]} if env.get("PGPASSFILE") else {}
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
def running_warehouse(keep: bool) -> Iterator[dict[str, str]]:
    """The warehouse env; stops the embedded server afterwards if we started it."""
    server = warehouse.EmbeddedWarehouse()
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
    args = parser.parse_args(argv)

    started = time.monotonic()
    try:
        with running_warehouse(args.keep_warehouse) as db_env:
            print(f"==> starting hotmart-emulator (seed {args.seed}, {args.accounts} accounts, "
                  f"{args.sales} sales each)")  # fmt: skip
            emu = start_emulator(accounts=args.accounts, sales=args.sales, seed=args.seed)
            try:
                print(f"==> emulator at {emu.url}")
                env = {**db_env, **emu.tap_env()}
                refresh = ["--full-refresh"] if args.full_refresh else []
                run_args = ["run", "hotmart-demo", *refresh]
                print(f"==> meltano {' '.join(run_args)}")
                meltano(run_args, env)
            finally:
                emu.stop()
                print("==> emulator stopped")
            print("\n==> New Orders")
            print_report(db_env)
    except (DemoError, warehouse.WarehouseError) as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("demo interrupted", file=sys.stderr)
        return 130
    print(f"\n==> done in {time.monotonic() - started:.0f}s. Run 'make demo' again for an "
          "incremental sync (state is in .meltano/).")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
