"""Meltano never shows the credentials: ``meltano config list`` and ``meltano config print``
mask every secret of the tap (single account and `accounts`) and of the loader, when they
come from the environment as they do in production. (That they are marked secret in the
tap and sensitive in meltano.yml and the Hub file is checked by
tests/test_hub_definition.py; the scans of real run outputs are in test_faults_e2e.py and
test_interruptions_e2e.py.)"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest

from hotmart_pipeline import demo

pytestmark = pytest.mark.e2e

# Fake, real-looking test credentials (UUID-shaped like Hotmart's), never real ones.
CLIENT_ID = "3f1d2c4b-8e7a-4b6c-9d0e-1a2b3c4d5e6f"
FAKE_TEST_SECRET = "9b8c7d6e-5f4a-3b2c-1d0e-7f6a5b4c3d2e"
CLIENT_SECRET = FAKE_TEST_SECRET
BASIC = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
ACCOUNT_SECRET = "c0ffee11-2233-4455-6677-8899aabbccdd"
ACCOUNT_BASIC = base64.b64encode(f"acct-b-id:{ACCOUNT_SECRET}".encode()).decode()
DB_PASSWORD = "Pg-w4rehouse-S3cret"
SECRETS = {
    "client_secret": CLIENT_SECRET,
    "basic": BASIC,
    "accounts[].client_secret": ACCOUNT_SECRET,
    "accounts[].basic": ACCOUNT_BASIC,
    "database password": DB_PASSWORD,
}


def _meltano(tmp_path: Path, *args: str) -> str:
    prefixes = ("TAP_HOTMART", "TARGET_POSTGRES_", "DBT_POSTGRES_", "MELTANO_", "PG")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    accounts = [{"account_id": "b", "client_id": "acct-b-id", "client_secret": ACCOUNT_SECRET,
                 "basic": ACCOUNT_BASIC}]  # fmt: skip
    env.update({
        "TAP_HOTMART_CLIENT_ID": CLIENT_ID,
        "TAP_HOTMART_CLIENT_SECRET": CLIENT_SECRET,
        "TAP_HOTMART_BASIC": f"Basic {BASIC}",
        "TAP_HOTMART_ACCOUNTS": json.dumps(accounts),
        "TARGET_POSTGRES_PASSWORD": DB_PASSWORD,
        "TARGET_POSTGRES_SQLALCHEMY_URL": f"postgresql+psycopg://loader:{DB_PASSWORD}@db:5432/dw",
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "MELTANO_PROJECT_ROOT": str(demo.PROJECT_ROOT),
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
    })  # fmt: skip
    done = subprocess.run(
        [demo.venv_bin("meltano"), *args], cwd=demo.PROJECT_ROOT, env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("config", "list", "tap-hotmart"),
        ("config", "print", "tap-hotmart"),
        ("config", "list", "target-postgres"),
        ("config", "print", "target-postgres"),
    ],
    ids=" ".join,
)
def test_meltano_config_masks_every_secret(tmp_path: Path, args: tuple[str, ...]) -> None:
    output = _meltano(tmp_path, *args)
    leaked = [name for name, value in SECRETS.items() if value in output]
    assert not leaked, f"`meltano {' '.join(args)}` shows {leaked}"
    if args[1] == "list" and args[2] == "tap-hotmart":
        # The values were really set (so masking, not absence, hides them).
        assert CLIENT_ID in output
        for name in ("client_secret", "basic", "accounts"):
            assert f"{name} (required by group" in output
        assert output.count("current value: (redacted)") >= 3
