"""The suite runs on two pytest-xdist workers (`make test`: ``-n 2 --dist loadgroup``).

Why groups: a worker builds the fixtures of the tests it runs, so tests that share an
expensive fixture, or a resource of the checkout, must run on the same worker. Each test
module is one group (its module fixtures are built once), and:

* every report test shares the session's warehouses (``tests/reports/conftest.py``: the
  pipeline on PostgreSQL and on DuckDB, a few minutes each to build);
* the tests that run ``meltano run`` in this checkout share its ``.meltano/run/``, where
  Meltano writes each plugin's config and state during a run (and the reliability tests
  clean what a killed run leaves there), so they never run at the same time.

Without xdist (``pytest`` alone) the groups mean nothing and everything runs in order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Path prefixes (relative to the project) whose tests run on one worker together.
SHARED_GROUPS = {
    "tests/reports/": "reports",
    "tests/reliability/": "meltano-in-checkout",
    "tests/e2e/test_pipeline.py": "meltano-in-checkout",
}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups off the items
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.relative_to(ROOT).as_posix()
        group = next((g for prefix, g in SHARED_GROUPS.items() if path.startswith(prefix)), path)
        item.add_marker(pytest.mark.xdist_group(group))
