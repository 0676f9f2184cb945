"""Where `hotmart-report` finds the warehouse when nothing names one."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotmart_pipeline import warehouse
from hotmart_reports.db import ReportError, connection_kwargs


def test_no_warehouse_yet_says_how_to_make_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warehouse, "DEFAULT_HOME", tmp_path / ".local" / "postgres")
    monkeypatch.setattr(warehouse, "PROJECT_ROOT", tmp_path)
    with pytest.raises(ReportError, match=r"no warehouse yet: run 'meltano run hotmart-sync'"):
        connection_kwargs(environ={})


def test_the_loaders_settings_are_the_reports_too() -> None:
    env = {
        "TARGET_POSTGRES_HOST": "db.example.com",
        "TARGET_POSTGRES_PORT": "6543",
        "TARGET_POSTGRES_USER": "loader",
        "TARGET_POSTGRES_PASSWORD": "pw",
        "TARGET_POSTGRES_DATABASE": "analytics",
    }
    assert connection_kwargs(environ=env) == {
        "host": "db.example.com",
        "port": 6543,
        "user": "loader",
        "dbname": "analytics",
        "password": "pw",
    }
