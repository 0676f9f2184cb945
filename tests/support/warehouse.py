"""A test's own embedded PostgreSQL, as the settings of a `meltano run`."""

from __future__ import annotations

from hotmart_pipeline.warehouse import EmbeddedWarehouse


def meltano_env(server: EmbeddedWarehouse) -> dict[str, str]:
    """Start ``server``; its connection with the password given explicitly.

    Why not ``PGPASSFILE`` alone: meltano.yml's environments point ``PGPASSFILE`` at the
    project's embedded warehouse, and an environment's `env` beats the process's, so a
    test's server in a temporary folder is reached with its password in the settings.
    """
    env = server.start().env()
    password = server.password()
    return {**env, "TARGET_POSTGRES_PASSWORD": password, "DBT_POSTGRES_PASSWORD": password}
