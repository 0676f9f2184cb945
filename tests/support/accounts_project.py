"""A temporary copy of the Meltano project with one pipeline per emulator account
(``hotmart-accounts generate``), for the tests that run several ``meltano run`` at once.

Why a copy: Meltano writes each run's files under the project's ``.meltano/run/`` and the
tests of the checkout itself (tests/conftest.py's group "meltano-in-checkout") clean what a
killed run leaves there; a copy has its own ``.meltano/run`` and its own generated
``accounts.yml`` / ``accounts.meltano.yml``, so these tests run beside them on another
worker. The copy shares the installed plugins (``.meltano/extractors``, ``loaders``,
``utilities``) and ``.venv`` through symlinks: nothing is installed twice.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from hotmart_emulator import EmulatorServer
from hotmart_pipeline import demo
from hotmart_pipeline.account_pipelines import LOADER, AccountPipeline, credential_variable
from tests.support.meltano_cli import start_meltano
from tests.support.streams import REFUND_STATUSES, STREAMS

ROOT = demo.PROJECT_ROOT
RAW = "hotmart_raw"  # target-postgres' default_target_schema (meltano.yml)
#: Inherited settings a developer may have exported; a test sets its own or none.
ISOLATED_PREFIXES = ("TAP_HOTMART", "TARGET_POSTGRES_", "DBT_POSTGRES_", "MELTANO_", "PG")
SHARED_PLUGIN_DIRS = ("extractors", "loaders", "utilities")
COPIED = ("meltano.yml", "logging", "transform")
NOT_COPIED = shutil.ignore_patterns("target", "logs", "dbt_packages", "__pycache__")

Key = tuple[str, ...]


def copy_project(dest: Path, account_ids: list[str]) -> Path:
    """A runnable copy of the project in ``dest`` with an accounts file of ``account_ids``
    and its generated include file (through the real ``hotmart-accounts generate``)."""
    dest.mkdir(parents=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=NOT_COPIED)
        else:
            shutil.copy2(source, dest / name)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    (dest / ".meltano").mkdir()
    for name in SHARED_PLUGIN_DIRS:
        (dest / ".meltano" / name).symlink_to(ROOT / ".meltano" / name)
    lines = ["accounts:", *(f"- id: {account_id}" for account_id in account_ids)]
    (dest / "accounts.yml").write_text("\n".join(lines) + "\n")
    subprocess.run(
        [demo.venv_bin("hotmart-accounts"), "generate", "--project-dir", str(dest)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return dest


def account_env(emulator: EmulatorServer) -> dict[str, str]:
    """The emulator's settings for every account's extractor: the URLs, dates and end date
    on the parent ``tap-hotmart`` (inherited), each account's credentials under its own
    plugin's variables (``TAP_HOTMART__<ID>_CLIENT_ID``...), as a user would set them."""
    config = emulator.tap_config()
    end = datetime.fromtimestamp(emulator.now_ms / 1000, tz=timezone.utc) + timedelta(days=1)
    env = {
        "TAP_HOTMART_API_URL": config["api_url"],
        "TAP_HOTMART_AUTH_URL": config["auth_url"],
        "TAP_HOTMART_START_DATE": config["start_date"],
        "TAP_HOTMART_END_DATE": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    for account in config["accounts"]:
        for setting in ("client_id", "client_secret", "basic"):
            env[credential_variable(account["account_id"], setting)] = account[setting]
    return env


def secrets_of(emulator: EmulatorServer) -> list[str]:
    """Every secret a run could leak: client secrets and Basic keys."""
    return [a[k] for a in emulator.accounts() for k in ("client_secret", "basic")]


@dataclass
class Project:
    """One project copy and the environment its ``meltano`` commands run with."""

    root: Path
    env: dict[str, str] = field(repr=False)  # credentials and the warehouse password
    logs: Path = field(default=Path("logs"))
    runs: int = 0
    log_files: list[Path] = field(default_factory=list)

    def full_env(self) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(ISOLATED_PREFIXES)}
        return {
            **inherited,
            "MELTANO_ENVIRONMENT": "dev",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            **self.env,
            "MELTANO_PROJECT_ROOT": str(self.root),
        }

    def start(self, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
        """``meltano ARGS`` in the copy, output to a new log file."""
        self.runs += 1
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{self.runs:02d}-{'-'.join(args[:2])}.log"
        self.log_files.append(log)
        return start_meltano(args, cwd=self.root, env=self.full_env(), log=log), log

    def run_at_once(self, jobs: list[str], timeout_s: float = 300) -> float:
        """``meltano run JOB`` for every job at the same time; every one must succeed.
        Returns the seconds until the last one ended."""
        started = time.monotonic()
        running = [(job, *self.start("run", job)) for job in jobs]
        failures = []
        for job, process, log in running:
            try:
                process.wait(timeout=max(1.0, timeout_s - (time.monotonic() - started)))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.returncode != 0:
                failures.append(f"meltano run {job} exited {process.returncode}:\n{_why(log)}")
        assert not failures, "\n\n".join(failures)
        return time.monotonic() - started

    def meltano(self, *args: str, timeout_s: float = 300) -> str:
        """``meltano ARGS`` to the end; its output (it must succeed)."""
        process, log = self.start(*args)
        process.wait(timeout=timeout_s)
        output = log.read_text(errors="replace")
        assert process.returncode == 0, f"meltano {' '.join(args)} failed:\n{output[-3000:]}"
        return output

    def state(self, state_id: str) -> dict[str, Any]:
        """The Singer state Meltano saved under ``state_id`` (``{}`` if none)."""
        output = self.meltano("state", "get", state_id)
        start = output.find("{")
        saved = json.loads(output[start:]) if start >= 0 else {}
        return saved.get("singer_state", saved)


def _why(log: Path) -> str:
    """A failed run's error lines (the plugins' exceptions come before Meltano's own
    traceback, which fills the log's tail) and the tail."""
    lines = log.read_text(errors="replace").splitlines()
    errors = [line for line in lines if "Error" in line and "│" not in line][:12]
    return "\n".join([*errors, "...", *lines[-25:]])


def state_id(account: AccountPipeline) -> str:
    """Meltano's state id of an account's job: environment, extractor, loader."""
    return f"dev:{account.extractor}-to-{LOADER}"


def bookmarked_accounts(state: dict[str, Any]) -> set[str]:
    """The account ids of every partition the state holds a bookmark for."""
    return {
        partition["context"]["account_id"]
        for entry in state.get("bookmarks", {}).values()
        for partition in entry.get("partitions", [])
        if "account_id" in partition.get("context", {})
    }


# --------------------------------------------------------------------------- ground truth


def _field(item: dict[str, Any], name: str) -> Any:
    if name in item:
        return item[name]
    return (item.get("purchase") or {}).get(name)


def truth_keys(emulator: EmulatorServer, account_id: str, stream: str) -> set[Key]:
    """An account's keys of ``stream`` in the emulator (refunds: sales in a refund status)."""
    entity, fields = STREAMS[stream]
    return {
        (account_id, *(str(_field(item, f)) for f in fields))
        for item in emulator.ground_truth(account_id, entity)
        if stream != "refunds" or _field(item, "status") in REFUND_STATUSES
    }


def truth_sales(emulator: EmulatorServer, account_id: str) -> dict[Key, tuple[str, str, Decimal]]:
    """(account, transaction) -> (status, currency, amount) of every sale in the emulator."""
    return {
        (account_id, item["purchase"]["transaction"]): (
            item["purchase"]["status"],
            item["purchase"]["price"]["currency_code"],
            Decimal(repr(item["purchase"]["price"]["value"])),  # floats: shortest repr = cents
        )
        for item in emulator.ground_truth(account_id, "sales")
    }


def db_keys(conn: Any, account_id: str, stream: str) -> list[Key]:
    """An account's key of every live row of ``stream`` (soft-deleted rows left out)."""
    cols = ", ".join(f'"{c}"::text' for c in ("account_id", *STREAMS[stream][1]))
    sql = f'SELECT {cols} FROM {RAW}."{stream}" WHERE account_id = %s AND _sdc_deleted_at IS NULL'
    return [tuple(row) for row in conn.execute(sql, (account_id,))]


def db_sales(conn: Any, account_id: str) -> dict[Key, tuple[str, str, Decimal]]:
    rows = conn.execute(
        "SELECT account_id, transaction, status, purchase->'price'->>'currency_code', "
        f"(purchase->'price'->>'value')::numeric FROM {RAW}.sales "
        "WHERE account_id = %s AND _sdc_deleted_at IS NULL",
        (account_id,),
    )
    return {(a, t): (s, c, Decimal(v)) for a, t, s, c, v in rows}


def assert_account_equals_truth(conn: Any, emulator: EmulatorServer, account_id: str) -> None:
    """Every stream's keys of one account, each once; every sale's status and amount."""
    for stream in STREAMS:
        keys = db_keys(conn, account_id, stream)
        duplicates = [k for k, n in Counter(keys).items() if n > 1]
        assert not duplicates, f"{account_id} {stream}: duplicate keys {duplicates[:3]}"
        truth = truth_keys(emulator, account_id, stream)
        missing, extra = truth - set(keys), set(keys) - truth
        if stream == "refunds":
            # A dispute that left a refund status keeps its row (with its current status):
            # full-table rows that leave the source stay (RELIABILITY.md).
            extra = {k for k in extra if k not in _non_refund_rows(conn, account_id)}
        assert not missing and not extra, (
            f"{account_id} {stream}: {len(missing)} missing (e.g. {sorted(missing)[:3]}), "
            f"{len(extra)} unexpected (e.g. {sorted(extra)[:3]})"
        )
    db, truth = db_sales(conn, account_id), truth_sales(emulator, account_id)
    wrong = {k: (db.get(k), truth[k]) for k in truth if db.get(k) != truth[k]}
    assert not wrong, (
        f"{account_id}: {len(wrong)} sales differ (db, truth): {list(wrong.items())[:3]}"
    )


def _non_refund_rows(conn: Any, account_id: str) -> set[Key]:
    rows = conn.execute(
        f"SELECT account_id, transaction::text, status FROM {RAW}.refunds "
        "WHERE account_id = %s AND _sdc_deleted_at IS NULL",
        (account_id,),
    )
    return {(a, t) for a, t, s in rows if s not in REFUND_STATUSES}
