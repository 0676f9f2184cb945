"""Shared set-up of the reliability tests: one embedded PostgreSQL for every end-to-end
module of this folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="package")
def warehouse_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One embedded PostgreSQL for the package; each scenario loads its own schema."""
    from hotmart_pipeline import demo, warehouse  # noqa: PLC0415
    from tests.support.warehouse import meltano_env  # noqa: PLC0415

    if not (demo.PROJECT_ROOT / ".meltano" / "loaders" / "target-postgres").exists():
        pytest.fail("Meltano plugins are not installed: run `make meltano-install` first.")
    server = warehouse.EmbeddedWarehouse(tmp_path_factory.mktemp("reliability") / "postgres")
    env = meltano_env(server)
    try:
        yield env
    finally:
        server.stop()


@pytest.fixture(scope="package", autouse=True)
def no_run_files_left() -> Iterator[None]:
    """Remove the plugin config files that a SIGKILLed `meltano run` could not delete.

    Meltano writes each plugin's config (secrets included) to `.meltano/run/<plugin>/` and
    deletes it when the plugin ends; the interruption tests kill it first, which would leave
    the files in the developer's checkout.
    """
    run_dir = ROOT / ".meltano" / "run"
    before = set(run_dir.glob("*/*.config.json"))
    yield
    for leftover in set(run_dir.glob("*/*.config.json")) - before:
        leftover.unlink(missing_ok=True)
