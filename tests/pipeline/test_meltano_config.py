"""Meltano's own config commands leave meltano.yml as it is (Meltano 4, the pinned version).

Why: `meltano config set` rewrites meltano.yml in its own layout; a file written in another
layout (other key order, `kind: password`) showed up in `git status` and broke the project
tests after one setting. Run in a copy of meltano.yml, with Meltano's CLI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hotmart_pipeline.executables import venv_executable

ROOT = Path(__file__).resolve().parents[2]
MELTANO = venv_executable("meltano")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "meltano.yml", tmp_path / "meltano.yml")
    return tmp_path


def _meltano(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_HOTMART", "MELTANO_"))}
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    proc = subprocess.run(
        [str(MELTANO), *args], cwd=project, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def test_a_secret_goes_to_dotenv_and_meltano_yml_stays_byte_identical(project: Path) -> None:
    before = (project / "meltano.yml").read_bytes()
    _meltano(project, "config", "set", "tap-hotmart", "client_secret", "fake-test-secret")
    assert (project / "meltano.yml").read_bytes() == before
    assert "TAP_HOTMART_CLIENT_SECRET='fake-test-secret'" in (project / ".env").read_text()


def test_a_plain_setting_set_and_unset_leaves_the_file_as_it_was(project: Path) -> None:
    before = (project / "meltano.yml").read_bytes()
    _meltano(project, "config", "set", "tap-hotmart", "lookback_days", "30")
    changed = (project / "meltano.yml").read_text()
    assert "lookback_days: 30" in changed
    _meltano(project, "config", "unset", "tap-hotmart", "lookback_days")
    assert (project / "meltano.yml").read_bytes() == before
