"""`hotmart-connect`: the three credentials, piped as a user's terminal would type them."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotmart_emulator.process import EmulatorProcess
from hotmart_pipeline.executables import venv_executable

CONNECT = venv_executable("hotmart-connect")


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(seed=3, accounts=1, sales=50) as emu:
        yield emu


def _connect(env_file: Path, stdin: str, auth_url: str, *args: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_HOTMART", "MELTANO_"))}
    env["TAP_HOTMART_AUTH_URL"] = auth_url
    return subprocess.run(
        [str(CONNECT), "--env-file", str(env_file), *args], input=stdin, env=env,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def _typed(account: dict[str, str], **override: str) -> str:
    values = {**account, **override}
    return "".join(f"{values[k]}\n" for k in ("client_id", "client_secret", "basic"))


def test_accepted_credentials_are_written_to_dotenv_only(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    account = emulator.config["accounts"][0]
    env_file = tmp_path / ".env"
    env_file.write_text("OTHER='kept'\nTAP_HOTMART_CLIENT_ID='old'\n")
    proc = _connect(env_file, _typed(account, basic="Basic " + account["basic"]),
                    emulator.config["auth_url"], "--account-id", "shop-1")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Hotmart accepted them" in proc.stdout
    lines = env_file.read_text().splitlines()
    assert lines[:2] == ["OTHER='kept'", f"TAP_HOTMART_CLIENT_ID='{account['client_id']}'"]
    assert f"TAP_HOTMART_CLIENT_SECRET='{account['client_secret']}'" in lines
    assert "TAP_HOTMART_BASIC='Basic " + account["basic"] + "'" in lines
    assert "TAP_HOTMART_ACCOUNT_ID='shop-1'" in lines
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    for secret in (account["client_secret"], account["basic"]):
        assert secret not in proc.stdout + proc.stderr


def test_a_basic_key_of_other_credentials_is_refused_before_writing(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    account = emulator.config["accounts"][0]
    other = base64.b64encode(b"someone:else").decode()
    env_file = tmp_path / ".env"
    proc = _connect(env_file, _typed(account, basic=other), emulator.config["auth_url"])
    assert proc.returncode == 1
    assert "Basic key does not belong" in proc.stderr
    assert "Traceback" not in proc.stderr and not env_file.exists()


def test_credentials_hotmart_refuses_are_not_written(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    secret = "fake-test-wrong-secret"
    basic = base64.b64encode(f"unknown-client:{secret}".encode()).decode()
    typed = f"unknown-client\n{secret}\n{basic}\n"
    proc = _connect(tmp_path / ".env", typed, emulator.config["auth_url"])
    assert proc.returncode == 1, proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert secret not in proc.stderr and basic not in proc.stderr
    assert not (tmp_path / ".env").exists()


def test_an_empty_answer_says_what_is_missing(tmp_path: Path) -> None:
    proc = _connect(tmp_path / ".env", "client\n\n", "http://127.0.0.1:9/token")
    assert proc.returncode == 1
    assert "no client_secret given" in proc.stderr
