"""Starting the project's ``meltano`` the way the end-to-end tests watch it."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from hotmart_pipeline import demo


def start_meltano(
    args: tuple[str, ...], *, cwd: Path, env: Mapping[str, str], log: Path
) -> subprocess.Popen[bytes]:
    """``meltano ARGS`` from this venv, its output (both streams) into ``log``, in a session
    of its own: a test that kills it (or times it out) reaches its whole process tree."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [demo.venv_bin("meltano"), *args], cwd=cwd, env=dict(env),
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
