"""The subprocess launcher the demo, the end-to-end tests and the benchmarks share."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import requests

from hotmart_emulator import EmulatorOptions
from hotmart_emulator.process import EmulatorProcess, EmulatorStartError, serve_args

from .conftest import SALES


def _token(config: dict) -> str:
    account = config["accounts"][0]
    r = requests.post(
        config["auth_url"],
        params={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {account['basic']}"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def test_start_read_config_stats_advance_stop() -> None:
    emu = EmulatorProcess(seed=3, accounts=2, sales=300, rate_limit=50, max_query_rows=100)
    with emu:
        assert emu.url.startswith("http://127.0.0.1:")
        assert emu.config["api_url"] == emu.url
        assert emu.tap_config() == emu.config
        assert [a["account_id"] for a in emu.config["accounts"]] == ["acct-1", "acct-2"]
        assert emu.output[0].endswith(emu.url)
        headers = {"Authorization": f"Bearer {_token(emu.config)}"}
        wide = [("transaction_status", "COMPLETE"), ("transaction_status", "APPROVED")]
        r = requests.get(
            emu.url + SALES, params=[*wide, ("start_date", 0)], headers=headers, timeout=10
        )
        assert r.status_code == 502  # --max-query-rows reached the child
        assert r.headers["RateLimit-Limit"] == "50"
        stats = emu.stats()
        assert stats["requests"][f"GET {SALES}"] == 1
        assert stats["responses"]["502"] == 1
        emu.reset_stats()
        assert emu.stats()["requests"] == {}
        before = emu.now_ms
        assert emu.advance(2)["now"] == emu.now_ms == before + 2 * 86_400_000
        config_file = emu.config_file
        assert config_file.exists()
    assert emu.process.returncode == 0
    assert not config_file.exists()  # its temporary directory is gone
    emu.stop()  # a second stop is harmless


def test_a_given_config_file_is_rewritten_and_kept(tmp_path: Path) -> None:
    config_file = tmp_path / "nested" / "emulator-config.json"
    config_file.parent.mkdir()
    config_file.write_text('{"stale": true}')
    with EmulatorProcess(sales=50, config_file=config_file) as emu:
        assert "stale" not in emu.config
    assert config_file.exists()


def test_serve_args_leave_unset_options_to_the_cli(tmp_path: Path) -> None:
    common = {"seed": 1, "accounts": 1, "sales": 10, "faults": "none", "rate_limit": 5}
    args = serve_args(
        EmulatorOptions(latency_ms=0, port=0, max_query_rows=None, **common), tmp_path / "c.json"
    )
    assert "--max-query-rows" not in args and "--now" not in args
    args = serve_args(
        EmulatorOptions(latency_ms=0, port=0, now="2026-01-01", history_days=30,
                        max_query_rows=7, **common),
        tmp_path / "c.json",
    )  # fmt: skip
    assert args[-6:] == ["--now", "2026-01-01", "--history-days", "30", "--max-query-rows", "7"]


def test_a_child_that_exits_gives_its_command_and_output() -> None:
    with pytest.raises(EmulatorStartError) as info:
        EmulatorProcess(accounts=0, sales=10)
    message = str(info.value)
    assert "exited with code 2" in message
    assert "--accounts 0" in message  # the command
    assert "--accounts must be between 1 and 99" in message  # its output


def test_a_silent_child_is_stopped_after_the_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    script = tmp_path / "silent-emulator"
    script.write_text(f"#!/bin/sh\necho $$ > {pid_file}\necho starting\nexec sleep 60\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(EmulatorStartError, match=r"printed no URL within 1 s") as info:
        EmulatorProcess(executable=str(script), timeout_s=1)
    assert "starting" in str(info.value)
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)  # killed and reaped, not left running


def test_a_missing_executable_is_a_start_error(tmp_path: Path) -> None:
    with pytest.raises(EmulatorStartError, match="could not be run"):
        EmulatorProcess(executable=str(tmp_path / "no-such-emulator"))
