"""Build the distributions once per session and install the wheel where a user would.

The build is a copy of what a fresh clone holds (``python -m build`` builds the wheel from
the sdist, so both are proven), and the wheel goes into a virtualenv that has never seen the
checkout. Helpers and the reasons for all this: ``dist_helpers.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from dist_helpers import (
    DIST_DIR_ENV,
    INSTALL_TIMEOUT,
    Dist,
    copy_working_tree,
    run,
    single,
    venv_bin,
)


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """The sdist and wheel: from $TAP_HOTMART_DIST_DIR, else built from a copy of the tree.

    A copy, so that the build sees only what a clone has and leaves nothing (egg-info,
    build/) in the checkout that other test runs are using.
    """
    given = os.environ.get(DIST_DIR_ENV)
    if given:
        out = Path(given).resolve()
    else:
        source = copy_working_tree(tmp_path_factory.mktemp("source"))
        out = tmp_path_factory.mktemp("dist")
        run([sys.executable, "-m", "build", "--outdir", out, source], cwd=source, timeout=300)
    return Dist(wheel=single(out, "*.whl"), sdist=single(out, "*.tar.gz"))


@pytest.fixture(scope="session")
def wheel_venv(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv with only the wheel (and its dependencies) installed by pip."""
    venv = tmp_path_factory.mktemp("wheel-venv") / "venv"
    home = venv.parent
    run([sys.executable, "-m", "venv", venv], cwd=home)
    python = venv_bin(venv) / "python"
    run([python, "-m", "pip", "install", "--quiet", dist.wheel], cwd=home, timeout=INSTALL_TIMEOUT)
    return venv
