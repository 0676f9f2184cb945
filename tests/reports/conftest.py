"""The reports' data path, built once per session and engine: emulator -> tap-hotmart ->
target-postgres -> embedded PostgreSQL -> dbt build, and emulator -> tap-hotmart ->
target-duckdb -> a DuckDB file -> dbt build (the same dbt project, profile target `duckdb`).

Why session fixtures: loading 2 accounts x 1,500 sales and building every mart takes about
a minute per engine; every reconciliation test then only queries the marts. `pipeline` is
parametrized by engine, so each test that uses it runs on PostgreSQL and on DuckDB;
`postgres_pipeline` is the PostgreSQL one alone, for what only exists there (the dbt
package installed in another project, the report's --dsn). The warehouse is always fresh, in
a temporary folder (never a configured real one), so the tests cannot touch anybody's data.

Executables are looked up in this order, and a missing one fails with what to do:
an environment variable (HOTMART_TAP, HOTMART_TARGET_POSTGRES, HOTMART_TARGET_DUCKDB,
HOTMART_DBT), then the venvs `meltano install` creates under .meltano/, then the running
interpreter's venv, then PATH.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hotmart_emulator import EmulatorServer
from hotmart_pipeline import warehouse
from hotmart_pipeline.executables import ExecutableNotFoundError, venv_executable

ROOT = Path(__file__).resolve().parents[2]
TRANSFORM = ROOT / "transform"
SEED, ACCOUNTS, SALES = 7, 2, 1500
MART_SCHEMA = "hotmart"
RERUN_SCHEMA = "hotmart_rerun"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "e2e: end-to-end test (emulator -> tap -> target-postgres -> PostgreSQL -> dbt)",
    )


def find_executable(name: str, env_var: str, meltano_path: str | None = None) -> Path:
    """The executable ``name``: $env_var, then .meltano/, then this venv, then PATH."""
    override = os.environ.get(env_var)
    if override:
        path = Path(override)
        if not (path.is_file() and os.access(path, os.X_OK)):
            pytest.fail(f"{env_var}={override} is not an executable file")
        return path
    if meltano_path:
        candidate = ROOT / meltano_path
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    try:
        return Path(venv_executable(name))
    except ExecutableNotFoundError:
        hint = f" or run `make meltano-install` (creates {meltano_path})" if meltano_path else ""
        pytest.fail(f"{name} not found: set {env_var} to its path{hint}, or put it on PATH")


ENGINES = ("postgres", "duckdb")


@dataclass
class Pipeline:
    """What the tests need: the connection, the ground truth and the dbt outcome.

    ``env`` is what a report command needs to read this warehouse (``DBT_POSTGRES_*``, or
    ``HOTMART_WAREHOUSE_ENGINE=duckdb`` and ``HOTMART_DUCKDB_PATH``)."""

    engine: str
    env: dict[str, str]
    ground_truth: dict[str, dict[str, list[dict]]]
    dbt_results: list[dict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: second sync: the transactions refunded in the emulator between the two runs
    refunded: dict[str, str] = field(default_factory=dict)
    refunded_at_ms: int = 0
    reload_started_at: float = 0.0

    @property
    def placeholder(self) -> str:
        """The driver's parameter placeholder (psycopg's ``%s``, DuckDB's ``?``)."""
        return "?" if self.engine == "duckdb" else "%s"

    def connect(self):
        """A connection with ``execute(sql).fetchall()``; DuckDB's read-only, so that report
        commands run by the tests can open the file beside it (DuckDB locks a file that a
        process holds open for writing)."""
        if self.engine == "duckdb":
            import duckdb  # noqa: PLC0415 - the reports extra

            return duckdb.connect(self.env["HOTMART_DUCKDB_PATH"], read_only=True)
        import psycopg  # noqa: PLC0415 - the reports extra

        return psycopg.connect(
            host=self.env["DBT_POSTGRES_HOST"],
            port=int(self.env["DBT_POSTGRES_PORT"]),
            user=self.env["DBT_POSTGRES_USER"],
            dbname=self.env["DBT_POSTGRES_DATABASE"],
            password=self.env.get("DBT_POSTGRES_PASSWORD") or None,
            passfile=self.env.get("PGPASSFILE"),
        )

    def entity(self, name: str) -> dict[str, list[dict]]:
        return {account: items[name] for account, items in self.ground_truth.items()}


def _run(cmd: list, env: dict[str, str], log: Path, **kwargs) -> subprocess.CompletedProcess:
    with log.open("w") as err:
        proc = subprocess.run([str(c) for c in cmd], env=env, stderr=err, check=False, **kwargs)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        pytest.fail(
            f"{Path(cmd[0]).name} failed (exit {proc.returncode}); last lines of {log}:\n{tail}"
        )
    return proc


#: Rates for the conversion test: USD changes on 2026-06-01, ARS has no rate at all.
RATES_TABLE = "fx.rates_to_brl"
RATES = [
    ("2020-01-01", "USD", "5.2632"),
    ("2026-06-01", "USD", "5.5"),
    ("2020-01-01", "EUR", "5.7143"),
]


class PostgresWarehouse:
    """A fresh embedded PostgreSQL, loaded by target-postgres."""

    name = "postgres"

    def __init__(self, work: Path) -> None:
        self.server = warehouse.EmbeddedWarehouse(work / "postgres")
        self.connection = self.server.start()
        self.target = find_executable(
            "target-postgres",
            "HOTMART_TARGET_POSTGRES",
            ".meltano/loaders/target-postgres/venv/bin/target-postgres",
        )

    def env(self) -> dict[str, str]:
        return {**self.connection.env(), "DBT_TARGET": "dev"}

    def target_config(self) -> dict[str, object]:
        return {
            "host": self.connection.host,
            "port": self.connection.port,
            "user": self.connection.user,
            "password": "",
            "database": self.connection.database,
            "default_target_schema": "hotmart_raw",
            "add_record_metadata": True,
        }

    def create_rates_table(self) -> None:
        import psycopg  # noqa: PLC0415

        c = self.connection
        with psycopg.connect(
            host=c.host, port=c.port, user=c.user, dbname=c.database,
            passfile=str(c.passfile), autocommit=True,
        ) as conn:  # fmt: skip
            conn.execute("create schema if not exists fx")
            conn.execute(
                f"create table {RATES_TABLE} (rate_date date, currency_code text, rate numeric)"
            )
            with conn.cursor() as cur:
                cur.executemany(f"insert into {RATES_TABLE} values (%s, %s, %s)", RATES)

    def stop(self) -> None:
        self.server.stop()


class DuckDBWarehouse:
    """A fresh DuckDB file, loaded by target-duckdb (meltano.yml's pin of duckdb)."""

    name = "duckdb"

    def __init__(self, work: Path) -> None:
        self.path = work / "warehouse.duckdb"
        self.target = find_executable(
            "target-duckdb",
            "HOTMART_TARGET_DUCKDB",
            ".meltano/loaders/target-duckdb/venv/bin/target-duckdb",
        )

    def env(self) -> dict[str, str]:
        return {
            "DBT_TARGET": "duckdb",
            "HOTMART_WAREHOUSE_ENGINE": "duckdb",
            "HOTMART_DUCKDB_PATH": str(self.path),
        }

    def target_config(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "default_target_schema": "hotmart_raw",
            "add_metadata_columns": True,
        }

    def create_rates_table(self) -> None:
        import duckdb  # noqa: PLC0415

        with duckdb.connect(str(self.path)) as conn:
            conn.execute("create schema if not exists fx")
            conn.execute(
                f"create table {RATES_TABLE} (rate_date date, currency_code text, "
                "rate decimal(38, 6))"
            )
            conn.executemany(f"insert into {RATES_TABLE} values (?, ?, ?)", RATES)

    def stop(self) -> None:
        """Nothing runs: the file stays in the test's temporary folder."""


def _pick(items: list[dict], *, subscription: bool) -> str:
    """A COMPLETE sale (one-time or a subscription renewal) to refund during the test."""
    for item in items:
        p = item["purchase"]
        renewal = (p.get("recurrency_number") or 0) > 1
        if (
            p["status"] == "COMPLETE"
            and bool(p.get("is_subscription")) == subscription
            and (renewal or not subscription)
        ):
            return p["transaction"]
    raise AssertionError("no COMPLETE sale to refund in the emulator data")


def _build(engine: str, work: Path) -> Iterator[Pipeline]:
    """Load the emulator's data into ``engine`` and build the marts, twice (see below)."""
    tap = find_executable("tap-hotmart", "HOTMART_TAP")
    dbt = find_executable("dbt", "HOTMART_DBT", ".meltano/utilities/dbt-postgres/venv/bin/dbt")
    timings: dict[str, float] = {}
    started = time.monotonic()
    side = PostgresWarehouse(work) if engine == "postgres" else DuckDBWarehouse(work)
    try:
        env = {
            **os.environ,
            **side.env(),
            "DBT_POSTGRES_SCHEMA": MART_SCHEMA,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        timings["warehouse"] = time.monotonic() - started
        target_config = work / "target.json"
        target_config.write_text(json.dumps(side.target_config()))

        def extract_load(tap_config: Path, name: str) -> None:
            t0 = time.monotonic()
            with (work / f"{name}-tap.log").open("w") as tap_log:
                tap_proc = subprocess.Popen(
                    [str(tap), "--config", str(tap_config)],
                    stdout=subprocess.PIPE,
                    stderr=tap_log,
                    env=env,
                )
                assert tap_proc.stdout is not None
                _run(
                    [side.target, "--config", target_config],
                    env,
                    work / f"{name}-target.log",
                    stdin=tap_proc.stdout,
                    stdout=subprocess.DEVNULL,
                )
                tap_proc.stdout.close()
                if tap_proc.wait() != 0:
                    pytest.fail(
                        f"tap-hotmart failed (exit {tap_proc.returncode}); see "
                        f"{work / f'{name}-tap.log'}"
                    )
            timings[name] = time.monotonic() - t0

        def dbt_build(name: str, schema: str, *select: str, dbt_vars: str = "") -> Path:
            t0 = time.monotonic()
            dbt_target = work / f"dbt-target-{schema}"  # one per schema: partial parsing
            # cautious: skip tests that also need models outside the selection
            args = ["--select", *select, "--indirect-selection", "cautious"] if select else []
            args += ["--vars", dbt_vars] if dbt_vars else []
            _run(
                [
                    dbt,
                    "build",
                    "--project-dir",
                    TRANSFORM,
                    "--profiles-dir",
                    TRANSFORM / "profiles",
                    "--target-path",
                    dbt_target,
                    "--log-path",
                    work / f"{name}-logs",
                    *args,
                ],
                {**env, "DBT_POSTGRES_SCHEMA": schema},
                work / f"{name}.log",
                stdout=subprocess.DEVNULL,
            )
            timings[name] = time.monotonic() - t0
            return dbt_target

        with EmulatorServer(seed=SEED, accounts=ACCOUNTS, sales=SALES) as emu:
            tap_config = work / "tap.json"
            tap_config.write_text(json.dumps(emu.tap_config()))
            ground_truth = {
                account["account_id"]: {
                    entity: emu.ground_truth(account["account_id"], entity)
                    for entity in ("sales", "subscriptions", "subscription_transactions")
                }
                for account in emu.tap_config()["accounts"]
            }
            extract_load(tap_config, "extract_load")
            dbt_target = dbt_build("dbt_build", MART_SCHEMA)
            results = json.loads((dbt_target / "run_results.json").read_text())["results"]

            # Second sync, for the refund dating: marts in their own schema (the first
            # build's tables stay as they are), a snapshot before the refunds and one after.
            dbt_build("rerun_snapshot_before", RERUN_SCHEMA, "+hotmart__sale_status_snapshot")
            refunded = {
                "one_time": _pick(ground_truth["acct-1"]["sales"], subscription=False),
                "renewal": _pick(ground_truth["acct-1"]["sales"], subscription=True),
            }
            for transaction in refunded.values():
                emu.inject("acct-1", transaction, "REFUNDED")
            refunded_at_ms = emu.now_ms
            before_reload = time.time()
            extract_load(tap_config, "rerun_extract_load")
            # ... and the optional conversion to a reporting currency, from a user's table
            side.create_rates_table()
            dbt_build(
                "rerun_build",
                RERUN_SCHEMA,
                "+hotmart__orders",
                dbt_vars=json.dumps(
                    {"hotmart_reporting_currency": "BRL", "hotmart_exchange_rates": RATES_TABLE}
                ),
            )
        yield Pipeline(
            engine=engine,
            env=env,
            ground_truth=ground_truth,
            dbt_results=results,
            timings=timings,
            refunded=refunded,
            refunded_at_ms=refunded_at_ms,
            reload_started_at=before_reload,
        )
    finally:
        side.stop()


@pytest.fixture(scope="session")
def pipelines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Pipeline]]:
    """Each engine's pipeline, built the first time a test asks for it and kept for the
    session (so ``pipeline[postgres]`` and ``postgres_pipeline`` are the same build)."""
    pytest.importorskip("psycopg", reason="needs the reports extra: pip install -e '.[reports]'")
    with contextlib.ExitStack() as stack:

        class Lazy(dict):
            def __missing__(self, engine: str) -> Pipeline:
                work = tmp_path_factory.mktemp(f"reports-{engine}")
                built = contextlib.contextmanager(_build)(engine, work)
                self[engine] = stack.enter_context(built)
                return self[engine]

        yield Lazy()


@pytest.fixture(scope="session", params=ENGINES)
def pipeline(request: pytest.FixtureRequest, pipelines: dict[str, Pipeline]) -> Pipeline:
    """The pipeline on each engine in turn: a test using it runs on PostgreSQL and DuckDB."""
    return pipelines[request.param]


@pytest.fixture(scope="session")
def postgres_pipeline(pipelines: dict[str, Pipeline]) -> Pipeline:
    """The PostgreSQL pipeline alone."""
    return pipelines["postgres"]
