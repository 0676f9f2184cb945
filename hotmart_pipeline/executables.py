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


def venv_executable(name: str, *, or_on_path: bool = True) -> str:
    """``name`` from the running interpreter's virtualenv, else (``or_on_path``) from PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name) if or_on_path else None
    if found is None:
        where = "nor on PATH" if or_on_path else "(PATH not searched)"
        raise ExecutableNotFoundError(
            f"'{name}' not found beside {sys.executable} {where}: run 'make install' "
            "(or pip install -e '.[reports,pipeline]')"
        )
    return found
