"""Create the raw tables once, under a lock, before loaders that may run at once write them.

Why: one pipeline per account (``hotmart-accounts``) means several ``meltano run`` at the
same time, all loading into the same raw tables. target-postgres (MeltanoLabs 0.8.1)
prepares its schema and tables with check-then-create and no lock (singer_sdk
``prepare_schema``: ``if not schema_exists: create_schema``; target_postgres
``prepare_table``: ``if not table_exists: create_empty_table``, else ``ALTER TABLE ... ADD
COLUMN`` for each missing column). Two loaders that both check before either commits both
create, and the second fails. Observed (tests/e2e/test_concurrent_accounts.py, three
accounts' first runs into an empty warehouse, each DDL statement held 0.3-0.5 s by an event
trigger to widen the window): ``UniqueViolation: duplicate key value violates unique
constraint "pg_namespace_nspname_index" ... (nspname)=(hotmart_raw)`` and ``...
"pg_type_typname_nsp_index" ... (typname, typnamespace)=(sale_participants, 16387)``, and the
run exits 1. Without the trigger the window is a few milliseconds and the loaders met in none
of ten tries here (two to six loaders at once), but an orchestrator starting tens of
accounts at once on a new warehouse (or after an upgrade that adds a column) can meet in
it, and a failed first load is a failed night.

The fix, in the jobs' loader (``hotmart-load``) before it hands over to the real loader:
if a table or a column of the tap's streams is missing, it takes a PostgreSQL advisory
lock (per schema; the lock is the warehouse's, so it holds across machines too), checks
again, and runs the real loader (``meltano invoke target-postgres``, so the types,
names and flattening are exactly that loader's) on the streams' SCHEMA messages only:
nothing but DDL, one loader at a time. The loads themselves are never serialised: once
the tables are there a load issues no DDL, and the rows of different accounts never share
a key (every primary key starts with ``account_id``). The check costs one ``meltano invoke
--dump=config`` (about 2 s) per run; ``HOTMART_PREPARE_TABLES=false`` turns it off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from hotmart_pipeline.executables import venv_executable

SWITCH_VARIABLE = "HOTMART_PREPARE_TABLES"
DEFAULT_SCHEMA = "hotmart_raw"
#: The advisory lock's key: one lock per raw schema, in every database.
LOCK_SQL = "SELECT pg_advisory_lock(hashtext(%s))"
STDERR_TAIL_LINES = 30


class PrepareError(RuntimeError):
    """The raw tables could not be prepared; said in one line (never with a secret)."""


@dataclass(frozen=True)
class StreamTable:
    """What a stream needs in the warehouse: its table and its top-level columns."""

    name: str
    schema: dict[str, Any]
    key_properties: list[str]

    @property
    def table(self) -> str:
        """The table target-postgres names after the stream (lower case, ``_`` for ``-``)."""
        return self.name.lower().replace("-", "_")

    @property
    def columns(self) -> set[str]:
        return {name.lower() for name in self.schema.get("properties", {})}

    def schema_message(self) -> str:
        return json.dumps(
            {
                "type": "SCHEMA",
                "stream": self.name,
                "schema": self.schema,
                "key_properties": self.key_properties,
            }
        )


def enabled(environ: Mapping[str, str]) -> bool:
    return environ.get(SWITCH_VARIABLE, "true").strip().lower() not in {"0", "false", "no", "off"}


def tap_streams() -> list[StreamTable]:
    """Every stream of tap-hotmart with its full schema, from the tap itself (no request is
    made: discovery needs no credential, the placeholders below are never sent)."""
    from tap_hotmart.tap import TapHotmart  # noqa: PLC0415 - heavy, and only for PostgreSQL

    placeholder = {"client_id": "-", "client_secret": "-", "basic": "LTot", "account_id": "-"}
    tap = TapHotmart(config=placeholder, validate_config=False, parse_env_config=False)
    return [
        StreamTable(stream.name, stream.schema, list(stream.primary_keys or []))
        for stream in tap.streams.values()
    ]


def loader_config(loader: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """The loader's configuration as Meltano builds it (kept in memory, never printed)."""
    command = [venv_executable("meltano"), "invoke", "--dump=config", loader]
    proc = subprocess.run(
        command, env=dict(environ), capture_output=True, text=True, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if proc.returncode != 0:
        _show_tail(proc.stderr)
        raise PrepareError(
            f"'meltano invoke --dump=config {loader}' failed (exit {proc.returncode}); its last "
            "lines are above"
        )
    start = proc.stdout.find("{")
    try:
        return dict(json.loads(proc.stdout[start:]))
    except ValueError:
        raise PrepareError(f"'meltano invoke --dump=config {loader}' printed no JSON") from None


def _one_line(exc: BaseException) -> str:
    """An unexpected error's type and first line (database errors name no password)."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _show_tail(stderr: str) -> None:
    """The last lines of a Meltano command's stderr (Meltano masks secrets in them)."""
    sys.stderr.write("\n".join(stderr.splitlines()[-STDERR_TAIL_LINES:]) + "\n")


def connect(config: Mapping[str, Any]) -> Any:
    """A psycopg connection to the loader's database (its URL, else its parts)."""
    import psycopg  # noqa: PLC0415 - the PostgreSQL path only

    url = config.get("sqlalchemy_url")
    if url:
        parts = urlsplit(str(url))
        plain = urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, ""))
        return psycopg.connect(plain, autocommit=True)
    return psycopg.connect(
        host=config.get("host"),
        port=int(config.get("port") or 5432),
        user=config.get("user"),
        password=config.get("password") or None,
        dbname=config.get("database"),
        autocommit=True,
    )


def missing(conn: Any, schema: str, streams: list[StreamTable]) -> list[str]:
    """The streams whose table or one of whose columns is not in ``schema`` yet."""
    rows = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s",
        (schema,),
    ).fetchall()
    present: dict[str, set[str]] = {}
    for table, column in rows:
        present.setdefault(table, set()).add(column)
    return [s.name for s in streams if not s.columns <= present.get(s.table, set())]


def create_tables(loader: str, streams: list[StreamTable], environ: Mapping[str, str]) -> None:
    """Run the real loader on the streams' SCHEMA messages only: it creates what is missing."""
    payload = "".join(stream.schema_message() + "\n" for stream in streams)
    command = [venv_executable("meltano"), "invoke", loader]
    proc = subprocess.run(
        command, input=payload, env=dict(environ), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        _show_tail(proc.stderr)
        raise PrepareError(
            f"creating the raw tables with 'meltano invoke {loader}' failed (exit "
            f"{proc.returncode}); its last lines are above"
        )


def prepare(loader: str, environ: Mapping[str, str]) -> str | None:
    """Make every raw table and column exist before the load; what was done, or None."""
    streams = tap_streams()
    config = loader_config(loader, environ)
    schema = str(config.get("default_target_schema") or DEFAULT_SCHEMA)
    try:
        conn = connect(config)
    except Exception as exc:  # psycopg's errors name the host, never the password
        raise PrepareError(
            f"cannot connect to the loader's PostgreSQL: {type(exc).__name__}"
        ) from None
    with conn:
        if not missing(conn, schema, streams):
            return None
        conn.execute(LOCK_SQL, (f"hotmart-load:{schema}",))  # released when conn closes
        todo = missing(conn, schema, streams)  # another loader may have created them
        if not todo:
            return None
        create_tables(loader, streams, environ)
        return f"created the raw tables of {', '.join(todo)} in {schema}"


def prepare_quietly(loader: str, environ: Mapping[str, str] | None = None) -> None:
    """``prepare``, reporting on stderr in one line (Meltano logs it with the loader's).

    A failure is a warning, not the run's end: the preparation only guards the first
    loads against each other, and a loader that cannot reach its warehouse or create a
    table fails on its own with its own message (a TLS setting this check connection does
    not copy, say, must not stop loads that would work).
    """
    env = dict(os.environ if environ is None else environ)
    if not enabled(env):
        return
    try:
        done = prepare(loader, env)
    except Exception as exc:  # a guard, never the reason a load fails (see above)
        reason = str(exc) if isinstance(exc, PrepareError) else _one_line(exc)
        print(f"hotmart-load: warning: raw tables not prepared ({reason}); loading anyway, "
              f"{SWITCH_VARIABLE}=false skips this step", file=sys.stderr)  # fmt: skip
        return
    if done:
        print(f"hotmart-load: {done}", file=sys.stderr)
