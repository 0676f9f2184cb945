"""Helpers of the packaging tests: run a command as a user would, copy what a clone holds.

Why these tests exist: every other test imports the checkout (``pip install -e .``), so a
module left out of the wheel, a schema file missing from the package data or a console
script pointing nowhere would pass them all and fail only for the people who ``pip install
tap-hotmart-oss`` or ``meltano add`` the Hub definition.

``TAP_HOTMART_DIST_DIR`` (set by ``make release-check``) makes the tests check the files in
that directory instead of building their own, so a release tests exactly what it uploads.

This is a module of its own, not ``conftest``, so that test modules can import it; and
tests/packaging has no ``__init__.py`` on purpose: pytest would import it as a package named
``packaging``, the name of the library pytest and the SDK import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST_DIR_ENV = "TAP_HOTMART_DIST_DIR"
#: Seconds for one pip or Meltano installation (the dependencies come from the index).
INSTALL_TIMEOUT = 600


@dataclass(frozen=True)
class Dist:
    """The two files a release uploads."""

    wheel: Path
    sdist: Path


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: no trace of this checkout's virtualenv.

    PYTHONPATH or VIRTUAL_ENV inherited from the test run would let a command import the
    checkout instead of what was installed, which is the very thing these tests rule out.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PIP_REQUIRE_VIRTUALENV"}
        and not key.startswith(("MELTANO_", "TAP_HOTMART_"))
    }
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(extra)
    return env


def run(
    args: Sequence[str | Path],
    *,
    cwd: Path,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; fail the test with its output tail if it fails."""
    proc = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env if env is not None else clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, args))} exited {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-3000:]}"
        )
    return proc


def working_tree_files(*pathspecs: str) -> list[str]:
    """Files a clone of the working tree would have: tracked and new, never ignored ones.

    The working tree, not HEAD, because the tests must judge the change being made; without
    the ignored files (.venv, .meltano, *.egg-info, dist/) that a fresh clone lacks.
    """
    out = run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", *pathspecs],
        cwd=ROOT,
        env=clean_env(),
    ).stdout
    return [name for name in out.split("\0") if name and (ROOT / name).is_file()]


def copy_working_tree(dest: Path, *pathspecs: str) -> Path:
    """Copy the working tree's files (or those under ``pathspecs``) to ``dest``."""
    for name in working_tree_files(*pathspecs):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return dest


def venv_bin(venv: Path) -> Path:
    """The scripts directory of a virtualenv."""
    return venv / ("Scripts" if os.name == "nt" else "bin")


def pyproject() -> dict[str, Any]:
    """pyproject.toml as data (tomllib from 3.11, its backport tomli on 3.10)."""
    if sys.version_info >= (3, 11):
        import tomllib  # noqa: PLC0415
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # noqa: PLC0415

    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def single(directory: Path, pattern: str) -> Path:
    found = sorted(directory.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {directory}, found {found}"
    return found[0]
