"""``hotmart-load``: the jobs' loader, which hands the stream to the selected engine's loader.

Why it exists: ``meltano --environment=duckdb run hotmart-sync`` must load into DuckDB with
the same job that loads PostgreSQL everywhere else, and Meltano 4.4 cannot change which
plugin a job's task names per environment (an environment overrides a plugin's config and
env, never the plugin). So the jobs name the loader ``target-warehouse``, whose command is
this one: it runs ``meltano invoke <loader>`` for the engine the environment selects
(``HOTMART_WAREHOUSE_ENGINE``, hotmart_pipeline/engine.py), the loader's name taken from
the plugin's env (``HOTMART_POSTGRES_LOADER`` / ``HOTMART_DUCKDB_LOADER`` in meltano.yml).

``meltano invoke`` and not the target's executable: Meltano then builds that loader's own
configuration (its settings, ``.env``, the environment's overrides), so each real loader
is configured as itself (``meltano config target-duckdb ...``) and this command holds no
setting and sees no secret. The Singer stream passes through untouched: stdin, stdout
(the state messages Meltano saves) and stderr are the real loader's, and the process is
replaced (exec), so signals reach it directly. It costs one Meltano start-up per run
(about 2 s; benchmarks/README.md, pipeline_e2e, measures the whole run).

Into PostgreSQL, where ``HOTMART_PREPARE_TABLES=true`` (the per-account jobs' loader), it
first makes sure the raw tables exist (``raw_tables.py``: loaders of several accounts
started together would race to create them).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping

from hotmart_pipeline import engine, raw_tables
from hotmart_pipeline.executables import ExecutableNotFoundError, venv_executable

LOADER_VARIABLES = {
    engine.POSTGRES: "HOTMART_POSTGRES_LOADER",
    engine.DUCKDB: "HOTMART_DUCKDB_LOADER",
}


class LoaderError(RuntimeError):
    """A misconfiguration of the warehouse loader, said in one line."""


def loader_name(environ: Mapping[str, str]) -> str:
    """The Meltano loader plugin to run for the selected engine."""
    selected = engine.engine(environ)
    variable = LOADER_VARIABLES[selected]
    name = environ.get(variable, "").strip()
    if not name:
        raise LoaderError(
            f"{variable} is not set: the warehouse loader's plugin in meltano.yml names the "
            f"loader of each engine in its env (engine selected: {selected})"
        )
    return name


def loader_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The real loader's environment: ``HOTMART_DUCKDB_PATH`` made explicit (absolute), since
    meltano.yml can give target-duckdb's ``path`` no default of its own."""
    env = dict(environ)
    env[engine.DUCKDB_PATH_VARIABLE] = str(engine.duckdb_path(environ))
    return env


def meltano_command(environ: Mapping[str, str]) -> list[str]:
    """``meltano invoke <loader>``, with the Meltano of this virtualenv (else PATH)."""
    return [venv_executable("meltano"), "invoke", loader_name(environ)]


def main(argv: list[str] | None = None) -> int:
    """Replace this process with the selected loader; Meltano's ``--config`` for this shim
    (which declares no setting) is not passed on: the real loader gets its own."""
    parser = argparse.ArgumentParser(
        prog="hotmart-load",
        description="Run the Meltano loader of the selected warehouse engine "
        f"({', '.join(f'{variable} for {name}' for name, variable in LOADER_VARIABLES.items())};"
        f" engine: ${engine.ENGINE_VARIABLE}).",
    )
    parser.add_argument("--config", help="this plugin's config from Meltano (empty; ignored)")
    parser.parse_args(argv)
    try:
        command = meltano_command(os.environ)
        env = loader_environment(os.environ)
        postgres = engine.engine(os.environ) == engine.POSTGRES
    except (LoaderError, engine.EngineError, ExecutableNotFoundError) as exc:
        print(f"hotmart-load: {exc}", file=sys.stderr)
        return 2
    if postgres:
        # Loaders started together must not race to create the raw tables (when asked).
        raw_tables.prepare_quietly(command[-1], env)
    sys.stdout.flush()
    os.execve(command[0], command, env)
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
