"""The warehouse engine selection and the jobs' loader (hotmart_pipeline/engine.py, loader.py).

Meltano's environment `duckdb` only sets HOTMART_WAREHOUSE_ENGINE; everything else (which
loader runs, where the DuckDB file is) follows from these functions, so they are what the
environment means.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hotmart_pipeline import engine, loader

LOADERS = {"HOTMART_POSTGRES_LOADER": "target-postgres", "HOTMART_DUCKDB_LOADER": "target-duckdb"}


def test_postgres_unless_the_environment_says_duckdb() -> None:
    assert engine.engine({}) == "postgres"
    assert engine.engine({"HOTMART_WAREHOUSE_ENGINE": " DuckDB "}) == "duckdb"
    with pytest.raises(engine.EngineError, match="use one of postgres, duckdb"):
        engine.engine({"HOTMART_WAREHOUSE_ENGINE": "sqlite"})


def test_the_duckdb_file_is_relative_to_the_project(tmp_path: Path) -> None:
    assert engine.duckdb_path({}, tmp_path) == tmp_path / ".local" / "warehouse.duckdb"
    relative = {"HOTMART_DUCKDB_PATH": "data/h.duckdb"}
    assert engine.duckdb_path(relative, tmp_path) == tmp_path / "data" / "h.duckdb"
    absolute = {"HOTMART_DUCKDB_PATH": str(tmp_path / "elsewhere.duckdb")}
    assert engine.duckdb_path(absolute, Path("/nowhere")) == tmp_path / "elsewhere.duckdb"


def test_the_loader_follows_the_engine() -> None:
    assert loader.meltano_command(LOADERS)[1:] == ["invoke", "target-postgres"]
    duckdb = {**LOADERS, "HOTMART_WAREHOUSE_ENGINE": "duckdb"}
    assert loader.meltano_command(duckdb)[1:] == ["invoke", "target-duckdb"]
    assert Path(loader.meltano_command(duckdb)[0]).name == "meltano"


def test_the_real_loader_gets_the_duckdb_file_explicitly(tmp_path: Path) -> None:
    """target-duckdb's `path` is $HOTMART_DUCKDB_PATH, which Meltano cannot default."""
    env = loader.loader_environment({"MELTANO_PROJECT_ROOT": str(tmp_path)})
    assert env["HOTMART_DUCKDB_PATH"] == str(tmp_path / ".local" / "warehouse.duckdb")
    mine = {"HOTMART_DUCKDB_PATH": str(tmp_path / "mine.duckdb")}
    assert loader.loader_environment(mine)["HOTMART_DUCKDB_PATH"] == str(tmp_path / "mine.duckdb")


def test_a_loader_missing_for_the_engine_is_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "hotmart_pipeline.loader", "--config", "ignored.json"],
        env={"HOTMART_WAREHOUSE_ENGINE": "duckdb", "PATH": ""},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.startswith("hotmart-load: HOTMART_DUCKDB_LOADER is not set")
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
