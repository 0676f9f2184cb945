"""Connecting to the warehouse the dbt project wrote to: PostgreSQL or a DuckDB file.

Which one: ``--dsn`` (PostgreSQL) or ``--duckdb`` (a file), else the engine the pipeline
uses (``HOTMART_WAREHOUSE_ENGINE``, see ``hotmart_pipeline.engine``): PostgreSQL by
default, or the DuckDB file of the Meltano environment ``duckdb``, opened read-only.

PostgreSQL: the report reads the same settings as dbt (``DBT_POSTGRES_*``, see
``transform/profiles/profiles.yml``) and, like dbt's profile, falls back to the loader's
(``TARGET_POSTGRES_*``) and then to the embedded warehouse, so that whatever ran
``dbt build`` can run the report with no extra configuration; ``--dsn`` overrides them
all. An empty password is left out on purpose: libpq then reads ``PGPASSFILE``, which is
how the embedded warehouse hands out its generated password without ever printing it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from hotmart_pipeline import engine, warehouse
from hotmart_reports.sql import DUCKDB, POSTGRES, Dialect, Sql, ident

DEFAULT_SCHEMA = "hotmart"


class ReportError(RuntimeError):
    """A problem the person running the report can fix; printed without a traceback."""


def connection_kwargs(
    dsn: str | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """psycopg.connect() arguments: ``dsn``, else dbt's settings, else the pipeline's warehouse.

    The pipeline's warehouse is the one ``meltano run hotmart-sync`` loads: a PostgreSQL
    configured through ``TARGET_POSTGRES_*`` (environment or ``.env``), or else the project's
    embedded one, started here if it is stopped (the demo stops it when it ends), so the
    report works right after any sync.
    """
    env = os.environ if environ is None else environ
    if dsn:
        return {"conninfo": dsn}
    if not env.get("DBT_POSTGRES_HOST"):
        env = _pipeline_warehouse_env(env)
    kwargs: dict[str, Any] = {
        "host": env["DBT_POSTGRES_HOST"],
        "port": int(env.get("DBT_POSTGRES_PORT", "5432")),
        "user": env.get("DBT_POSTGRES_USER", "postgres"),
        "dbname": env.get("DBT_POSTGRES_DATABASE", "warehouse"),
    }
    if env.get("DBT_POSTGRES_PASSWORD"):
        kwargs["password"] = env["DBT_POSTGRES_PASSWORD"]
    if env.get("PGPASSFILE"):
        kwargs["passfile"] = env["PGPASSFILE"]
    return kwargs


def _pipeline_warehouse_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The ``DBT_POSTGRES_*`` view of the configured or embedded warehouse."""
    configured = warehouse.configured_environment(environ if environ is not os.environ else None)
    if configured is not None:
        return configured
    server = warehouse.project_warehouse()
    if not server.initialized():
        raise ReportError(
            "no warehouse yet: run 'meltano run hotmart-sync' (or 'make demo') first, or "
            "point TARGET_POSTGRES_HOST/PORT/USER/PASSWORD/DATABASE at your PostgreSQL"
        )
    try:
        return server.start().env()
    except warehouse.WarehouseError as exc:
        raise ReportError(str(exc)) from exc


class MissingTableError(Exception):
    """A query named a table (or schema) the warehouse does not have."""


class Warehouse:
    """An open connection to either engine, and the one way the reports query it.

    Why: the reports build engine-neutral queries (``hotmart_reports.sql``); here they
    become the engine's text and parameters, and each driver's own "no such table" error
    (psycopg's ``UndefinedTable``, DuckDB's ``CatalogException``) becomes ``MissingTableError``.
    """

    def __init__(
        self,
        connection: Any,
        dialect: Dialect,
        missing_table: tuple[type[Exception], ...],
        *,
        after_error: Callable[[], None] | None = None,
    ) -> None:
        self.connection = connection
        self.dialect = dialect
        self.missing_table = missing_table
        #: what lets the connection query again after a failed query (PostgreSQL: end the
        #: aborted transaction, which refuses every query until then)
        self.after_error = after_error

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.connection.close()

    def execute(self, query: str, params: Sequence[object] | None = None) -> Any:
        """Run ``query``, SQL of this engine (for scripts and tests), and return the cursor."""
        return self.connection.execute(query, params)

    def rows(self, query: Sql) -> list[tuple[Any, ...]]:
        """All rows of ``query``; ``MissingTableError`` when it names a table that is not there."""
        return self._fetch(query)[1]

    def records(self, query: Sql) -> list[dict[str, Any]]:
        """All rows of ``query`` keyed by column name (the dashboard's JSON), as ``rows``."""
        names, rows = self._fetch(query)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _fetch(self, query: Sql) -> tuple[list[str], list[tuple[Any, ...]]]:
        text, params = query.render(self.dialect)
        try:
            cursor = self.execute(text, params)
            return [column[0] for column in cursor.description], cursor.fetchall()
        except self.missing_table as exc:
            if self.after_error is not None:
                self.after_error()
            raise MissingTableError(str(exc)) from exc

    @cached_property
    def catalog(self) -> str:
        """The database the connection is in (DuckDB: the file's catalog)."""
        return str(self.execute("select current_database()").fetchone()[0])

    def table(self, schema: str, name: str) -> Sql:
        """``schema.name``, qualified with the catalog: DuckDB names the catalog of a file
        after it, so in a ``hotmart.duckdb`` a bare ``hotmart.x`` could be the schema
        ``hotmart`` or the catalog ``hotmart``, and DuckDB refuses it as ambiguous
        (PostgreSQL accepts its own database's name the same way)."""
        return ident(self.catalog, schema, name)


def connect(
    dsn: str | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    duckdb_file: Path | None = None,
) -> Warehouse:
    """The marts' warehouse, read-only: ``duckdb_file``, else ``dsn``'s PostgreSQL, else
    the engine ``HOTMART_WAREHOUSE_ENGINE`` selects (DuckDB: ``HOTMART_DUCKDB_PATH``)."""
    env = os.environ if environ is None else environ
    if duckdb_file is None and not dsn and _engine(env) == engine.DUCKDB:
        duckdb_file = engine.duckdb_path(env)
    if duckdb_file is not None:
        return connect_duckdb(duckdb_file)
    return connect_postgres(dsn, environ)


def _engine(environ: Mapping[str, str]) -> str:
    try:
        return engine.engine(environ)
    except engine.EngineError as exc:
        raise ReportError(str(exc)) from exc


def connect_duckdb(path: Path) -> Warehouse:
    """Open the DuckDB file read-only (a sync or dbt can keep writing other files)."""
    try:
        import duckdb  # noqa: PLC0415 - optional dependency (extra "reports")
    except ImportError as exc:  # pragma: no cover - depends on the installation
        msg = "duckdb is not installed: pip install 'tap-hotmart-oss[reports]'"
        raise ReportError(msg) from exc
    if not path.exists():
        raise ReportError(
            f"no DuckDB warehouse at {path}: run 'meltano --environment=duckdb run "
            "hotmart-sync' (or 'make demo WAREHOUSE=duckdb') first"
        )
    try:
        conn = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:  # not a DuckDB file, or a writer holds its lock
        raise ReportError(f"cannot open the DuckDB warehouse at {path}: {exc}") from exc
    return Warehouse(conn, DUCKDB, (duckdb.CatalogException,))


def connect_postgres(dsn: str | None = None, environ: Mapping[str, str] | None = None) -> Warehouse:
    """Open a read-only psycopg connection, with a clear error when it cannot."""
    try:
        import psycopg  # noqa: PLC0415 - optional dependency (extra "reports")
    except ImportError as exc:  # pragma: no cover - depends on the installation
        msg = "psycopg is not installed: pip install 'tap-hotmart-oss[reports]'"
        raise ReportError(msg) from exc
    kwargs = connection_kwargs(dsn, environ)
    conninfo = kwargs.pop("conninfo", "")
    try:
        conn = psycopg.connect(conninfo, connect_timeout=10, **kwargs)
    except psycopg.OperationalError as exc:
        raise ReportError(f"cannot connect to the warehouse: {exc}".strip()) from exc
    except psycopg.ProgrammingError as exc:
        # libpq quotes the malformed part of the URL, which may be the password itself.
        raise ReportError(
            "--dsn is not a valid PostgreSQL URL; use postgresql://user:password@host:port/db "
            "(percent-encode special characters in the password)"
        ) from exc
    conn.read_only = True
    return Warehouse(conn, POSTGRES, (psycopg.errors.UndefinedTable,), after_error=conn.rollback)
