"""The real ``hotmart-emulator serve`` process with ``--write-config``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import requests

from hotmart_emulator.process import emulator_command

from .conftest import SALES


def test_serve_subprocess_writes_config_and_serves(tmp_path: Path) -> None:
    cfg_path = tmp_path / "tap-config.json"
    proc = subprocess.Popen(
        [*emulator_command(), "serve", "--port", "0", "--seed", "3", "--accounts", "2",
         "--sales", "300", "--rate-limit", "50", "--write-config", str(cfg_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line:
            proc.wait(timeout=10)
            raise AssertionError(proc.stderr.read() if proc.stderr else "no output")
        assert line.startswith("hotmart-emulator listening on http://127.0.0.1:"), line
        url = line.rsplit(" ", 1)[1]
        cfg = json.loads(cfg_path.read_text())
        assert cfg["api_url"] == url
        assert cfg["auth_url"] == url + "/security/oauth/token"
        assert cfg["start_date"].startswith("2023-11-02")
        assert [a["account_id"] for a in cfg["accounts"]] == ["acct-1", "acct-2"]
        assert set(cfg["accounts"][0]) == {"account_id", "client_id", "client_secret", "basic"}
        a = cfg["accounts"][1]
        tok = requests.post(
            cfg["auth_url"],
            params={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {a['basic']}"},
            timeout=10,
        ).json()["access_token"]
        r = requests.get(url + SALES, headers={"Authorization": f"Bearer {tok}"}, timeout=10)
        assert r.status_code == 200
        assert r.headers["RateLimit-Limit"] == "50"
        assert r.json()["items"][0]["purchase"]["transaction"].startswith("HP02")
        truth = requests.get(url + "/_emulator/ground_truth/acct-2/sales", timeout=10).json()
        assert len(truth["items"]) == 300
        adv = requests.post(url + "/_emulator/advance?days=10", timeout=10).json()
        assert adv["new_sales"] > 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0
