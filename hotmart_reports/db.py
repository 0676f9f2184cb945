"""Connecting to the warehouse the dbt project wrote to.

The report reads the same settings as dbt (``DBT_POSTGRES_*``, see
``transform/profiles/profiles.yml``) so that whatever ran ``dbt build`` can run the report
with no extra configuration; ``--dsn`` overrides them. An empty password is left out on
purpose: libpq then reads ``PGPASSFILE``, which is how the embedded warehouse hands out its
generated password without ever printing it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

DEFAULT_SCHEMA = "hotmart"


class ReportError(RuntimeError):
    """A problem the person running the report can fix; printed without a traceback."""


def connection_kwargs(
    dsn: str | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """psycopg.connect() arguments from ``dsn`` or from the ``DBT_POSTGRES_*`` variables."""
    env = os.environ if environ is None else environ
    if dsn:
        return {"conninfo": dsn}
    if not env.get("DBT_POSTGRES_HOST"):
        raise ReportError(
            "no warehouse given: pass --dsn postgresql://user@host:port/db or set "
            "DBT_POSTGRES_HOST/PORT/USER/PASSWORD/DATABASE (as for dbt)"
        )
    kwargs: dict[str, Any] = {
        "host": env["DBT_POSTGRES_HOST"],
        "port": int(env.get("DBT_POSTGRES_PORT", "5432")),
        "user": env.get("DBT_POSTGRES_USER", "postgres"),
        "dbname": env.get("DBT_POSTGRES_DATABASE", "warehouse"),
    }
    if env.get("DBT_POSTGRES_PASSWORD"):
        kwargs["password"] = env["DBT_POSTGRES_PASSWORD"]
    return kwargs


def connect(dsn: str | None = None, environ: Mapping[str, str] | None = None):
    """Open a read-only psycopg connection, with a clear error when it cannot."""
    try:
        import psycopg  # noqa: PLC0415 - optional dependency (extra "reports")
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ReportError("psycopg is not installed: pip install 'tap-hotmart[reports]'") from exc
    kwargs = connection_kwargs(dsn, environ)
    conninfo = kwargs.pop("conninfo", "")
    try:
        conn = psycopg.connect(conninfo, connect_timeout=10, **kwargs)
    except psycopg.OperationalError as exc:
        raise ReportError(f"cannot connect to the warehouse: {exc}".strip()) from exc
    conn.read_only = True
    return conn
