"""Several accounts' pipelines at once, into one PostgreSQL: ``meltano run hotmart-sync--<id>``
for three accounts started together, twice (a full sync into empty raw tables, then an
incremental one after the emulator's clock moves 30 days), the second round from another
project directory that shares only Meltano's system database, on PostgreSQL.

Why: scaling out means one process per account (hotmart-accounts), started by an
orchestrator at the same moment. They share the raw tables (primary keys start with
``account_id``), so on a fresh warehouse they race to create the schema and the tables,
and they share the accounts' loader plugin (``target-warehouse-shared``) and its run
folders. And the worker that runs an account tonight is not the one that ran it yesterday
(containers, an orchestrator's pods): with the default system database
(``.meltano/meltano.db``, SQLite, in one project directory) a new worker would start from
``start_date`` every time. The project's choice (docs/pipeline.md, "Many accounts"):
``MELTANO_DATABASE_URI=postgresql+psycopg://...``, Meltano 4.4's own ``postgres`` driver
(psycopg 3, installed with the project). The test proves that nothing is lost, doubled or
mixed between accounts, that each account keeps its own state id, and that the second
round, from the second directory, resumes from each account's bookmarks.

Everything is real: ``hotmart-accounts generate`` in a copy of the project
(tests/support/accounts_project.py), the ``meltano`` CLI, target-postgres through the
``hotmart-load`` wrapper, an embedded PostgreSQL on a temporary folder and a free port (the
warehouse and, in a database of its own, the system database, whose password, in the URI,
no log may show), and an in-process emulator serving the three accounts.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from hotmart_emulator import EmulatorServer
from hotmart_pipeline import demo, warehouse
from hotmart_pipeline.account_pipelines import LOADER, AccountPipeline, read_accounts_file
from tests.support.accounts_project import (
    RAW,
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

ACCOUNTS = 3
SALES = 300
SEED = 11
ADVANCE_DAYS = 30
STATE_DATABASE = "meltano_state"
INCREMENTAL_SALES = re.compile(r"Starting incremental sync of 'sales' with bookmark value: (\S+)")
RUN_SUMMARY = re.compile(r"Run summary: ([\d,]+) records")
#: The run folders of the loader every account's job shares (target-warehouse-shared, whose
#: hotmart-load runs `meltano invoke target-postgres`): `meltano run` keeps a plugin's files
#: in `.meltano/run/<plugin name>/`, so concurrent runs of one loader share them.
LOADER_RUN_DIRS = [Path(".meltano") / "run" / name for name in (LOADER, "target-postgres")]
#: Holds every DDL statement on the raw schema 0.3 s before its transaction ends,
#: so that loaders started together really meet in target-postgres' check-then-create
#: window (without it they met in none of ten tries here; an orchestrator's runs still can).
SLOW_DDL = f"""
CREATE FUNCTION slow_raw_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands()
             WHERE schema_name = '{RAW}' OR object_identity = '{RAW}') THEN
    PERFORM pg_sleep(0.3);
  END IF;
END $$;
CREATE EVENT TRIGGER slow_raw_ddl ON ddl_command_end EXECUTE FUNCTION slow_raw_ddl();
"""


@dataclass
class Setup:
    emulator: EmulatorServer
    project: Project  # machine 1: the first round
    other: Project  # machine 2: the second round, sharing only the system database
    accounts: list[AccountPipeline]
    db_env: dict[str, str] = field(repr=False)  # holds the warehouse password

    def connect(self) -> Any:
        return demo.connect(self.db_env)


class RunDirWatcher:
    """Polls the shared loaders' run folders while the runs go on, and remembers every
    config file Meltano wrote there and how many were there at once."""

    def __init__(self, project: Path) -> None:
        self.folders = [project / folder for folder in LOADER_RUN_DIRS]
        self.seen: dict[str, set[str]] = {folder.name: set() for folder in self.folders}
        self.most_at_once = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            for folder in self.folders:
                names = {p.name for p in folder.glob("target.*.config.json")}
                self.seen[folder.name] |= names
                self.most_at_once = max(self.most_at_once, len(names))
            time.sleep(0.05)

    def __enter__(self) -> RunDirWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    if not (demo.PROJECT_ROOT / ".meltano" / "loaders" / "target-postgres").exists():
        pytest.fail("Meltano plugins are not installed: run `make meltano-install` first.")
    tmp = tmp_path_factory.mktemp("concurrent")
    emulator = EmulatorServer(seed=SEED, accounts=ACCOUNTS, sales=SALES).start()
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
        ids = [a["account_id"] for a in emulator.accounts()]
        first, second = (
            Project(root=copy_project(tmp / name, ids), env=dict(env), logs=tmp / f"{name}-logs")
            for name in ("machine-1", "machine-2")
        )
        accounts = read_accounts_file(first.root / "accounts.yml")
        yield Setup(emulator, first, second, accounts, db_env)
    finally:
        server.stop()
        emulator.stop()


@pytest.fixture(scope="module")
def first_round(setup: Setup) -> dict[str, Any]:
    with setup.connect() as conn:
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace")}
        assert RAW not in schemas, "the raw schema must not exist yet: the runs must race"
        conn.execute(SLOW_DDL)
    # Meltano migrates a new system database on its first command: three first commands at
    # once fail with "table job already exists" (seen here), so it is created first.
    setup.project.meltano("upgrade", "database")
    with RunDirWatcher(setup.project.root) as watcher:
        seconds = setup.project.run_at_once([a.job for a in setup.accounts])
    return {
        "seconds": seconds,
        "watcher": watcher,
        "rows": _rows_per_account(setup),
        "read": _records_read(setup, setup.project),
    }


@pytest.fixture(scope="module")
def second_round(setup: Setup, first_round: dict[str, Any]) -> dict[str, Any]:
    changes = setup.emulator.advance(ADVANCE_DAYS)
    setup.other.env.update(account_env(setup.emulator))  # sync up to the new clock
    with setup.connect() as conn:
        (started,) = conn.execute("SELECT now()").fetchone()
    seconds = setup.other.run_at_once([a.job for a in setup.accounts])
    with setup.connect() as conn:
        touched = dict(
            conn.execute(
                f"SELECT account_id, count(*) FROM {RAW}.sales "
                "WHERE _sdc_extracted_at >= %s GROUP BY 1",
                (started,),
            ).fetchall()
        )
    return {
        "seconds": seconds,
        "changes": changes,
        "touched": touched,
        "read": _records_read(setup, setup.other),
        "logs": _last_logs(setup, setup.other),
    }


def _last_logs(setup: Setup, project: Project) -> dict[str, str]:
    """Each account's log of the last round in ``project``."""
    logs = project.log_files[-len(setup.accounts) :]
    texts = {}
    for account, log in zip(setup.accounts, logs, strict=True):
        assert log.name.endswith(f"{account.job}.log"), (account, log)
        texts[account.account_id] = log.read_text(errors="replace")
    return texts


def _records_read(setup: Setup, project: Project) -> dict[str, int]:
    """Records each account's tap read in the last round (its run summary line)."""
    read = {}
    for account_id, text in _last_logs(setup, project).items():
        found = RUN_SUMMARY.findall(text)
        assert found, f"no run summary in the log of {account_id}"
        read[account_id] = int(found[-1].replace(",", ""))
    return read


def _rows_per_account(setup: Setup) -> dict[str, int]:
    with setup.connect() as conn:
        return dict(conn.execute(f"SELECT account_id, count(*) FROM {RAW}.sales GROUP BY 1"))


def test_first_round_at_once_is_exact(setup: Setup, first_round: dict[str, Any]) -> None:
    print(f"first round, {ACCOUNTS} runs at once: {first_round['seconds']:.1f}s")
    assert set(first_round["rows"]) == {a.account_id for a in setup.accounts}
    with setup.connect() as conn:
        for account in setup.accounts:
            assert_account_equals_truth(conn, setup.emulator, account.account_id)


def test_each_account_has_its_own_state(setup: Setup, first_round: dict[str, Any]) -> None:
    """One state id per account, holding that account's bookmarks only, in PostgreSQL. Read
    from Meltano's system database directly (its ``state`` table): a ``meltano state``
    command per account would cost 3 s each here; the second machine reads one through
    ``meltano state get`` below."""
    with demo.connect({**setup.db_env, "DBT_POSTGRES_DATABASE": STATE_DATABASE}) as conn:
        rows = conn.execute("SELECT state_id, completed_state FROM state").fetchall()
    states = {
        state_id_: (json.loads(state) if isinstance(state, str) else state)["singer_state"]
        for state_id_, state in rows
    }
    assert set(states) == {state_id(a) for a in setup.accounts}, set(states)
    for account in setup.accounts:
        state = states[state_id(account)]
        assert bookmarked_accounts(state) == {account.account_id}, (account, state)
    for project in (setup.project, setup.other):
        assert not (project.root / ".meltano" / "meltano.db").exists(), project.root


def test_the_shared_loader_runs_do_not_share_files(
    setup: Setup, first_round: dict[str, Any]
) -> None:
    """``meltano run`` keeps a plugin's files in ``.meltano/run/<plugin>/``: each account's
    extractor has its own folder (its catalog and state files), while the three runs of the
    shared loader write into the same one. There each invocation's config file is named by
    a fresh uuid (``target.<uuid>.config.json``), so no run reads another's, and each is
    deleted when its run ends (it holds the warehouse password). The other files there are
    Meltano's logging configs, written alike by every run; target-postgres reads its own
    (``SINGER_SDK_LOG_CONFIG`` in meltano.yml), not those."""
    watcher: RunDirWatcher = first_round["watcher"]
    for folder in LOADER_RUN_DIRS:
        # target-warehouse: one per job; target-postgres: one per load and per
        # `--dump=config` or table preparation of hotmart-load.
        assert len(watcher.seen[folder.name]) >= ACCOUNTS, (folder, watcher.seen)
        leftovers = list((setup.project.root / folder).glob("target.*.config.json"))
        assert not leftovers, f"a run left its loader config (with secrets) in {folder}"
    assert watcher.most_at_once >= 2, "the loaders never ran at the same time"
    run = setup.project.root / ".meltano" / "run"
    for account in setup.accounts:
        assert (run / account.extractor / "tap.properties.json").is_file(), account


def test_no_secret_in_the_logs(
    setup: Setup, first_round: dict[str, Any], second_round: dict[str, Any]
) -> None:
    secrets = [*secrets_of(setup.emulator), setup.db_env["TARGET_POSTGRES_PASSWORD"]]
    for log in setup.project.log_files + setup.other.log_files:
        text = log.read_text(errors="replace")
        leaked = [f"{s[:3]}..." for s in secrets if s and s in text]
        assert not leaked, f"secrets in {log.name}: {leaked}"


def test_second_round_at_once_is_incremental_and_exact(
    setup: Setup, first_round: dict[str, Any], second_round: dict[str, Any]
) -> None:
    print(f"second round, {ACCOUNTS} runs at once: {second_round['seconds']:.1f}s")
    changes = second_round["changes"]
    assert changes["status_changes"] or changes["new_sales"], "the advance changed nothing"
    with setup.connect() as conn:
        for account in setup.accounts:
            assert_account_equals_truth(conn, setup.emulator, account.account_id)
    after = _rows_per_account(setup)
    for account in setup.accounts:
        touched = second_round["touched"].get(account.account_id, 0)
        # The lookback (60 days) and the new sales are read again, not the whole history.
        assert 0 < touched < after[account.account_id] / 2, (account, touched, after)
    print(f"records read, first round {first_round['read']}, second {second_round['read']}")
    for account_id, full in first_round["read"].items():
        assert second_round["read"][account_id] < full / 2, (account_id, first_round, second_round)


def test_the_second_machine_resumed_from_the_firsts_state(
    setup: Setup, first_round: dict[str, Any], second_round: dict[str, Any]
) -> None:
    """Machine 2 never ran these jobs: it found each account's bookmarks in PostgreSQL, and
    ``meltano state get`` there shows the state machine 1's first round began."""
    start_date = setup.other.env["TAP_HOTMART_START_DATE"]
    for account_id, log in second_round["logs"].items():
        assert "No state was found" not in log, f"machine 2 found no state for {account_id}"
        bookmark = INCREMENTAL_SALES.findall(log)
        assert bookmark and bookmark[0] > start_date, (account_id, bookmark, start_date)
    account = setup.accounts[0]
    state = setup.other.state(state_id(account))
    assert bookmarked_accounts(state) == {account.account_id}, state
