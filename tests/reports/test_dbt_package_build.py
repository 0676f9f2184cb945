"""The dbt project as a package: integration_tests/ installs transform/ and builds it.

A dbt user gets the reports as the dbt package `hotmart` (docs/reports.md), in a project of
their own with their own profile and schema. integration_tests/ is such a project; here it
is built against the emulator's data that the reports fixture loaded, every model and data
test of the package must pass, and its marts must equal the ones this repository's own
project builds from the same raw tables.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.reports.conftest import ROOT, find_executable

pytestmark = pytest.mark.e2e

PACKAGE_SCHEMA = "package_user"
SAME_DATA_SCHEMA = "hotmart_same_data"
COMPARED_MARTS = ("hotmart__new_orders", "hotmart__orders", "hotmart__mrr_monthly")
GENERATED = shutil.ignore_patterns("target", "logs", "dbt_packages")


def _dbt(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    dbt = find_executable("dbt", "HOTMART_DBT", ".meltano/utilities/dbt-postgres/venv/bin/dbt")
    proc = subprocess.run(
        [str(dbt), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"dbt {' '.join(args)} failed:\n{proc.stdout[-4000:]}"


@pytest.fixture(scope="module")
def package_build(postgres_pipeline, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A copy of integration_tests/ beside a copy of transform/ (its ../transform), built."""
    work = tmp_path_factory.mktemp("package")
    shutil.copytree(ROOT / "transform", work / "transform", ignore=GENERATED)
    user = shutil.copytree(ROOT / "integration_tests", work / "integration_tests")
    env = {**postgres_pipeline.env, "DBT_POSTGRES_SCHEMA": PACKAGE_SCHEMA}
    _dbt(["deps"], user, env)
    _dbt(["build", "--profiles-dir", str(user)], user, env)
    same = {**postgres_pipeline.env, "DBT_POSTGRES_SCHEMA": SAME_DATA_SCHEMA}
    selection = [f"+{mart}" for mart in COMPARED_MARTS]
    _dbt(
        ["build", "--profiles-dir", "profiles", "--target-path", str(work / "own-target"),
         "--log-path", str(work / "own-logs"), "--select", *selection,
         "--indirect-selection", "cautious"],
        work / "transform", same,
    )  # fmt: skip


@pytest.mark.parametrize("mart", COMPARED_MARTS)
def test_the_package_builds_the_same_marts(postgres_pipeline, package_build, mart: str) -> None:
    with postgres_pipeline.connect() as conn:
        (rows,) = conn.execute(f'select count(*) from "{PACKAGE_SCHEMA}"."{mart}"').fetchone()
        assert rows > 0, f"{PACKAGE_SCHEMA}.{mart} is empty"
        for left, right in ((PACKAGE_SCHEMA, SAME_DATA_SCHEMA), (SAME_DATA_SCHEMA, PACKAGE_SCHEMA)):
            (extra,) = conn.execute(
                f'select count(*) from (select * from "{left}"."{mart}" '
                f'except all select * from "{right}"."{mart}") as only_left'
            ).fetchone()
            assert extra == 0, f"{extra} rows of {left}.{mart} are not in {right}.{mart}"
