"""`make help` lists every target of the Makefile, with what it does."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_make_help_lists_every_target() -> None:
    makefile = (ROOT / "Makefile").read_text()
    phony = set(
        re.search(r"^\.PHONY:(.*?)(?<!\\)$", makefile, re.M | re.S)[1].replace("\\", " ").split()
    )
    targets = set(re.findall(r"^([a-z0-9-]+):", makefile, re.M))
    assert phony == targets, "every target is .PHONY and every .PHONY a target"
    shown = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    listed = dict(re.findall(r"^  make (\S+)\s+(.+)$", shown, re.M))
    assert set(listed) == targets
    assert all(listed.values()), listed
