"""Finding the project's commands: the one lookup every companion uses.

Why: ``make demo`` and Meltano run ``.venv/bin/...`` without activating the virtualenv, so
``meltano``, ``hotmart-emulator`` or ``hotmart-report`` are not necessarily on PATH; the
commands of the running interpreter's environment come first, then PATH.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


class ExecutableNotFoundError(RuntimeError):
    """A command that is neither in this virtualenv nor on PATH."""


def venv_executable(name: str) -> str:
    """``name`` from the running interpreter's virtualenv, else from PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise ExecutableNotFoundError(
            f"'{name}' not found beside {sys.executable} nor on PATH: run 'make install' "
            "(or pip install -e '.[reports,pipeline]')"
        )
    return found
