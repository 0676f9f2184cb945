"""Meltano's state shared by workers on different machines: an account's first run from one
project directory, its next run from another, which must resume from the first's bookmarks.

Why: with one pipeline per account on ephemeral workers (containers, CI, an orchestrator's
pods), the worker that runs an account tonight is not the one that ran it yesterday. The
default system database (``.meltano/meltano.db``, SQLite) lives in one project directory,
so a new worker would start from ``start_date`` every time (a full sync, hours of the
account's 500 requests/min). The project's choice (docs/pipeline.md, "Many accounts"): the
system database on PostgreSQL, ``MELTANO_DATABASE_URI=postgresql+psycopg://...``, Meltano 4.4's
own ``postgres`` driver (psycopg 3, already installed with the project: ``make install``).

Two copies of the project (tests/support/accounts_project.py) stand for two machines; they
share only the PostgreSQL server (a test-owned embedded one): the warehouse and, in a
database of its own, Meltano's system database, whose password (in the URI) no log may show.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest

from hotmart_emulator import EmulatorServer
from hotmart_pipeline import demo, warehouse
from hotmart_pipeline.account_pipelines import AccountPipeline
from tests.support.accounts_project import (
    Project,
    account_env,
    assert_account_equals_truth,
    bookmarked_accounts,
    copy_project,
    secrets_of,
    state_id,
)
from tests.support.warehouse import meltano_env

pytestmark = pytest.mark.e2e

SALES = 400
SEED = 23
ADVANCE_DAYS = 30
STATE_DATABASE = "meltano_state"
RUN_SUMMARY = re.compile(r"Run summary: ([\d,]+) records")
INCREMENTAL_SALES = re.compile(r"Starting incremental sync of 'sales' with bookmark value: (\S+)")


@dataclass
class Machines:
    emulator: EmulatorServer
    first: Project
    second: Project
    account: AccountPipeline
    db_env: dict[str, str] = field(repr=False)  # holds the warehouse password


def _records_read(log: str) -> int:
    found = RUN_SUMMARY.findall(log)
    assert found, "the tap's run summary is not in the log"
    return int(found[-1].replace(",", ""))


@pytest.fixture(scope="module")
def machines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Machines]:
    if not (demo.PROJECT_ROOT / ".meltano" / "loaders" / "target-postgres").exists():
        pytest.fail("Meltano plugins are not installed: run `make meltano-install` first.")
    tmp = tmp_path_factory.mktemp("shared-state")
    emulator = EmulatorServer(seed=SEED, accounts=1, sales=SALES).start()
    server = warehouse.EmbeddedWarehouse(tmp / "postgres")
    try:
        db_env = meltano_env(server)
        with demo.connect(db_env) as conn:
            conn.execute(f"CREATE DATABASE {STATE_DATABASE}")
        connection = server.connection()
        password = quote(server.password(), safe="")
        env = {
            **db_env,
            **account_env(emulator),
            # The password in the URI, as a user sets it in .env: Meltano masks it in its
            # logs. (PGPASSFILE would not do: the `dev` environment points it at the
            # project's own embedded warehouse for every plugin, and the loader's Meltano
            # opens the system database too.)
            "MELTANO_DATABASE_URI": (
                f"postgresql+psycopg://{connection.user}:{password}@{connection.host}:"
                f"{connection.port}/{STATE_DATABASE}"
            ),
        }
        account_id = emulator.accounts()[0]["account_id"]
        projects = [
            Project(
                root=copy_project(tmp / name, [account_id]),
                env=dict(env),
                logs=tmp / f"{name}-logs",
            )
            for name in ("machine-1", "machine-2")
        ]
        yield Machines(emulator, *projects, AccountPipeline(account_id), db_env)
    finally:
        server.stop()
        emulator.stop()


@pytest.fixture(scope="module")
def rounds(machines: Machines) -> dict[str, Any]:
    """The first round on machine 1; the clock moves 30 days; the next round on machine 2."""
    job = machines.account.job
    machines.first.run_at_once([job])
    first_log = machines.first.log_files[-1].read_text(errors="replace")
    machines.emulator.advance(ADVANCE_DAYS)
    machines.second.env.update(account_env(machines.emulator))
    machines.second.run_at_once([job])
    second_log = machines.second.log_files[-1].read_text(errors="replace")
    return {"first": first_log, "second": second_log}


def test_the_second_machine_resumes_incrementally(
    machines: Machines, rounds: dict[str, Any]
) -> None:
    full, resumed = _records_read(rounds["first"]), _records_read(rounds["second"])
    print(f"records read: {full} on machine 1 (full sync), {resumed} on machine 2")
    assert "No state was found, complete import" in rounds["first"]
    assert "No state was found" not in rounds["second"], "machine 2 did not find the state"
    bookmark = INCREMENTAL_SALES.findall(rounds["second"])
    start_date = machines.second.env["TAP_HOTMART_START_DATE"]
    assert bookmark and bookmark[0] > start_date, (bookmark, start_date)
    assert resumed < full / 2, (full, resumed)


def test_the_warehouse_is_exact_after_both(machines: Machines, rounds: dict[str, Any]) -> None:
    with demo.connect(machines.db_env) as conn:
        assert_account_equals_truth(conn, machines.emulator, machines.account.account_id)


def test_the_state_lives_in_postgresql_only(machines: Machines, rounds: dict[str, Any]) -> None:
    """Both directories read one state id from PostgreSQL; neither has a SQLite database."""
    for project in (machines.first, machines.second):
        assert not (project.root / ".meltano" / "meltano.db").exists(), project.root
        state = project.state(state_id(machines.account))
        assert bookmarked_accounts(state) == {machines.account.account_id}
    with demo.connect({**machines.db_env, "DBT_POSTGRES_DATABASE": STATE_DATABASE}) as conn:
        ids = [r[0] for r in conn.execute("SELECT state_id FROM state")]
    assert ids == [state_id(machines.account)], ids


def test_no_secret_in_the_logs(machines: Machines, rounds: dict[str, Any]) -> None:
    secrets = [*secrets_of(machines.emulator), machines.db_env["TARGET_POSTGRES_PASSWORD"]]
    for project in (machines.first, machines.second):
        for log in project.log_files:
            text = log.read_text(errors="replace")
            leaked = [f"{s[:3]}..." for s in secrets if s and s in text]
            assert not leaked, f"secrets in {log}: {leaked}"
