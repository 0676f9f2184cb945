"""The real pipeline (``meltano run``: tap-hotmart → target-postgres → PostgreSQL) against an
in-process emulator, with what the reliability tests need around it: the run in its own
process group (so it can be SIGKILLed whole), the state Meltano saved, the rows that landed,
the emulator's ground truth and every secret the run could leak."""

from __future__ import annotations

import contextlib
import json
import os
import signal
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
from tests.support.meltano_cli import start_meltano
from tests.support.streams import REFUND_STATUSES, STREAMS

JOB = "hotmart-demo-el"  # tap-hotmart-demo target-postgres-demo
STATE_ID = "dev:tap-hotmart-demo-to-target-postgres-demo"
UTC = timezone.utc

#: Incremental streams whose bookmark is an order date (or the end of its window).
ORDER_DATED = ("sales", "sale_participants", "sale_commissions", "sale_price_details")

Key = tuple[str, ...]


def _field(item: dict[str, Any], name: str) -> Any:
    """A key field of an API item: top level, else inside ``purchase``."""
    if name in item:
        return item[name]
    return (item.get("purchase") or {}).get(name)


def _ms_to_dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _parse_iso(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class RecordingEmulator(EmulatorServer):
    """The emulator, remembering every access token it issued (they are secrets too)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.issued_tokens: list[str] = []
        issue = self.core.auth.issue

        def recording_issue(query: dict, headers: dict) -> tuple[str, dict]:
            account, body = issue(query, headers)
            self.issued_tokens.append(body["access_token"])
            return account, body

        self.core.auth.issue = recording_issue  # type: ignore[method-assign]

    @property
    def account_ids(self) -> list[str]:
        return [a["account_id"] for a in self.accounts()]

    def clock(self) -> datetime:
        return _ms_to_dt(self.now_ms)


@dataclass
class Scenario:
    """One emulator, one target schema, one Meltano system DB, one folder of logs."""

    emulator: RecordingEmulator
    warehouse_env: dict[str, str]
    schema: str
    home: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    runs: int = 0

    # ---------------------------------------------------------------- running

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    def env(self) -> dict[str, str]:
        """The whole environment of a ``meltano`` command (inherited plugin settings dropped,
        as ``demo.meltano(isolate=True)`` does, so a developer's real ones are never used)."""
        config = {**self.emulator.tap_config()}
        config["end_date"] = (self.emulator.clock() + timedelta(days=1)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        prefixes = ("TAP_HOTMART", "TARGET_POSTGRES_", "DBT_POSTGRES_", "MELTANO_", "PG")
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
        return {
            **inherited,
            **self.warehouse_env,
            **demo.tap_env(config),
            # target-postgres-demo under Meltano; the bare target (--config ENV) too
            "TARGET_POSTGRES_DEMO_DEFAULT_TARGET_SCHEMA": self.schema,
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": self.schema,
            "MELTANO_DATABASE_URI": f"sqlite:///{self.home / 'meltano.db'}",
            "MELTANO_ENVIRONMENT": "dev",
            "MELTANO_PROJECT_ROOT": str(demo.PROJECT_ROOT),
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            **self.extra_env,
        }

    def start(self, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
        """``meltano ARGS`` in its own process group, output to a new log file."""
        self.runs += 1
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{self.runs:02d}-{args[0]}.log"
        return start_meltano(args, cwd=demo.PROJECT_ROOT, env=self.env(), log=log), log

    def meltano(self, *args: str, timeout_s: float = 600) -> str:
        """Run ``meltano ARGS`` to the end; its output (it must succeed)."""
        process, log = self.start(*args)
        try:
            process.wait(timeout=timeout_s)
        finally:
            kill_group(process)
        output = log.read_text(errors="replace")
        assert process.returncode == 0, f"meltano {' '.join(args)} failed:\n{output[-4000:]}"
        return output

    def run(self, *extra: str) -> str:
        return self.meltano("run", JOB, *extra)

    def saved_state(self) -> dict[str, Any]:
        """The state Meltano would hand the tap on the next run."""
        output = self.meltano("state", "get", STATE_ID)
        start = output.find("{")
        saved = json.loads(output[start:]) if start >= 0 else {}
        return saved.get("singer_state", saved)

    # ---------------------------------------------------------------- warehouse

    def query(self, sql: str, *params: Any) -> list[tuple]:
        with demo.connect(self.warehouse_env) as conn:
            return [tuple(row) for row in conn.execute(sql, params or None)]

    def tables(self) -> set[str]:
        rows = self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            self.schema,
        )
        return {r[0] for r in rows}

    def db_keys(self, stream: str) -> list[Key]:
        """Key of every live row (soft-deleted rows of full-table streams left out)."""
        if stream not in self.tables():
            return []
        cols = ", ".join(f'"{c}"::text' for c in ("account_id", *STREAMS[stream][1]))
        sql = f'SELECT {cols} FROM "{self.schema}"."{stream}" WHERE _sdc_deleted_at IS NULL'
        return self.query(sql)

    def db_sales(self) -> dict[Key, tuple[str, str, Decimal]]:
        """(account, transaction) -> (status, currency, amount) of every loaded sale."""
        rows = self.query(
            "SELECT account_id, transaction, status, purchase->'price'->>'currency_code', "
            f"(purchase->'price'->>'value')::numeric FROM \"{self.schema}\".sales "
            "WHERE _sdc_deleted_at IS NULL"
        )
        return {(a, t): (s, c, Decimal(v)) for a, t, s, c, v in rows}

    # ---------------------------------------------------------------- ground truth

    def truth(self, account_id: str, entity: str) -> list[dict[str, Any]]:
        return self.emulator.ground_truth(account_id, entity)

    def truth_keys(self, stream: str) -> set[Key]:
        entity, fields = STREAMS[stream]
        keys: set[Key] = set()
        for account_id in self.emulator.account_ids:
            for item in self.truth(account_id, entity):
                if stream == "refunds" and _field(item, "status") not in REFUND_STATUSES:
                    continue
                keys.add((account_id, *(str(_field(item, f)) for f in fields)))
        return keys

    def truth_sales(self) -> dict[Key, tuple[str, str, Decimal]]:
        return {
            (a, item["purchase"]["transaction"]): (
                item["purchase"]["status"],
                item["purchase"]["price"]["currency_code"],
                # Ground truth numbers are floats; their shortest repr is the exact cents.
                Decimal(repr(item["purchase"]["price"]["value"])),
            )
            for a in self.emulator.account_ids
            for item in self.truth(a, "sales")
        }

    def assert_equals_ground_truth(self) -> None:
        """Every stream's keys, once each; every sale's status, currency and amount."""
        for stream in STREAMS:
            db_keys = self.db_keys(stream)
            duplicates = [k for k, n in Counter(db_keys).items() if n > 1]
            assert not duplicates, f"{stream}: duplicate keys {duplicates[:5]}"
            truth = self.truth_keys(stream)
            assert truth, f"the emulator has no {stream}: the check would prove nothing"
            missing, extra = truth - set(db_keys), set(db_keys) - truth
            assert not missing and not extra, (
                f"{stream}: {len(missing)} missing (e.g. {sorted(missing)[:3]}), "
                f"{len(extra)} unexpected (e.g. {sorted(extra)[:3]})"
            )
        db, truth = self.db_sales(), self.truth_sales()
        wrong = {k: (db[k], truth[k]) for k in truth if db.get(k) != truth[k]}
        assert not wrong, f"{len(wrong)} sales differ (db, truth): {list(wrong.items())[:3]}"

    def unloaded_but_claimed(self, state: dict[str, Any]) -> dict[str, list[Key]]:
        """For every incremental partition of ``state``: ground-truth records dated before
        its bookmark that are not in PostgreSQL (the state claims them; it must not)."""
        order_dates = {
            (a, item["purchase"]["transaction"]): _ms_to_dt(item["purchase"]["order_date"])
            for a in self.emulator.account_ids
            for item in self.truth(a, "sales")
        }
        problems: dict[str, list[Key]] = {}
        for stream, entry in state.get("bookmarks", {}).items():
            if stream not in (*ORDER_DATED, "subscription_transactions"):
                continue
            loaded = set(self.db_keys(stream))
            for partition in entry.get("partitions", []):
                bookmark = partition.get("replication_key_value")
                if not bookmark:
                    continue
                account_id = partition["context"]["account_id"]
                before = _parse_iso(bookmark)
                entity = STREAMS[stream][0]
                for item in self.truth(account_id, entity):
                    key = (account_id, str(_field(item, "transaction")))
                    if stream == "subscription_transactions":
                        dated = _ms_to_dt(item["purchase"]["order_date"])
                    else:
                        dated = order_dates[key]
                    if dated < before and key not in loaded:
                        problems.setdefault(f"{stream}[{account_id}] < {bookmark}", []).append(key)
        return problems

    # ---------------------------------------------------------------- secrets

    def secrets(self) -> dict[str, str]:
        """name -> value of every secret this scenario's runs could leak."""
        found: dict[str, str] = {}
        for account in self.emulator.accounts():
            found[f"{account['account_id']} client_secret"] = account["client_secret"]
            found[f"{account['account_id']} basic"] = account["basic"]
        for n, token in enumerate(self.emulator.issued_tokens):
            found[f"access token {n}"] = token
        passfile = self.warehouse_env.get("PGPASSFILE")
        if passfile:
            found["database password"] = Path(passfile).read_text().strip().rsplit(":", 1)[1]
        return found


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group of ``process`` (meltano, the tap, the target) and wait
    until none of it is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + 30
    while group_members(process.pid):
        assert time.monotonic() < deadline, f"process group {process.pid} survived SIGKILL"
        time.sleep(0.05)


def scan_for_secrets(paths: list[Path], secrets: dict[str, str]) -> dict[str, list[str]]:
    """file -> names of the secrets found in it (binary-safe: SQLite files too)."""
    hits: dict[str, list[str]] = {}
    for path in paths:
        data = path.read_bytes()
        names = [name for name, value in secrets.items() if value.encode() in data]
        if names:
            hits[str(path)] = names
    return hits
