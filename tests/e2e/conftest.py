"""Shared set-up of the end-to-end tests: the ``e2e`` marker and the pipeline helpers.

The helpers live in ``scripts/`` (they also drive ``make demo``), which is not a package, so
it is put on ``sys.path`` here: the tests exercise exactly the code users run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))


def pytest_configure(config: pytest.Config) -> None:
    """Register ``e2e`` so ``pytest -m e2e`` / ``-m "not e2e"`` select the slow tests."""
    config.addinivalue_line(
        "markers",
        "e2e: end-to-end test (emulator -> meltano -> target-postgres -> PostgreSQL -> dbt); "
        "needs `make meltano-install`",
    )
