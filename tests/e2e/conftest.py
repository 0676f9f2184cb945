"""Shared set-up of the end-to-end tests: the pipeline helpers on ``sys.path``.

The helpers live in ``scripts/`` (they also drive ``make demo``), which is not a package, so
it is put on ``sys.path`` here: the tests exercise exactly the code users run.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))
