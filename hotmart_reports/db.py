"""Connecting to the warehouse the dbt project wrote to.

The report reads the same settings as dbt (``DBT_POSTGRES_*``, see
``transform/profiles/profiles.yml``) and, like dbt's profile, falls back to the loader's
(``TARGET_POSTGRES_*``) and then to the embedded warehouse, so that whatever ran
``dbt build`` can run the report with no extra configuration; ``--dsn`` overrides them
all. An empty password is left out on purpose: libpq then reads ``PGPASSFILE``, which is
how the embedded warehouse hands out its generated password without ever printing it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from hotmart_pipeline import warehouse

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


def connect(dsn: str | None = None, environ: Mapping[str, str] | None = None):
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
    return conn
