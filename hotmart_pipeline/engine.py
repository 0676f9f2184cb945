"""Which warehouse engine the pipeline writes to: PostgreSQL (default) or a DuckDB file.

Why one module: the Meltano environment ``duckdb`` (meltano.yml) sets
``HOTMART_WAREHOUSE_ENGINE=duckdb``, and every companion that touches the warehouse (the
``warehouse`` utility, ``hotmart-report``, the demo) must agree on what that means and on
where the file is. The file is ``$HOTMART_DUCKDB_PATH``, else ``.local/warehouse.duckdb`` in the
project; meltano.yml (target-duckdb's ``path``) and dbt's profile (``transform/profiles``)
name the same default, relative to the project folder Meltano runs its plugins in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ENGINE_VARIABLE = "HOTMART_WAREHOUSE_ENGINE"
POSTGRES = "postgres"
DUCKDB = "duckdb"
ENGINES = (POSTGRES, DUCKDB)
DUCKDB_PATH_VARIABLE = "HOTMART_DUCKDB_PATH"
#: Relative to the project folder (meltano.yml and transform/profiles/profiles.yml agree).
#: Not hotmart.duckdb: DuckDB names the database after the file, and a database `hotmart`
#: beside the marts' schema `hotmart` makes every `hotmart.<mart>` in a query ambiguous.
DEFAULT_DUCKDB_PATH = ".local/warehouse.duckdb"


class EngineError(ValueError):
    """An engine setting the person running the pipeline has to fix."""


def engine(environ: Mapping[str, str] | None = None) -> str:
    """``postgres`` or ``duckdb``, from ``HOTMART_WAREHOUSE_ENGINE`` (unset: ``postgres``)."""
    env = os.environ if environ is None else environ
    value = (env.get(ENGINE_VARIABLE) or POSTGRES).strip().lower()
    if value not in ENGINES:
        raise EngineError(
            f"{ENGINE_VARIABLE}={value!r} is not a warehouse engine; use one of "
            f"{', '.join(ENGINES)} (or run Meltano with --environment=duckdb)"
        )
    return value


def duckdb_path(environ: Mapping[str, str] | None = None, project_root: Path | None = None) -> Path:
    """The DuckDB file: ``$HOTMART_DUCKDB_PATH`` (relative to the project), else the default."""
    env = os.environ if environ is None else environ
    root = project_root or Path(env.get("MELTANO_PROJECT_ROOT") or Path.cwd())
    path = Path(env.get(DUCKDB_PATH_VARIABLE) or DEFAULT_DUCKDB_PATH).expanduser()
    return (path if path.is_absolute() else root / path).resolve()
