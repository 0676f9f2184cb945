"""The state a loader saves mid-run never claims records that are not in PostgreSQL.

target-postgres passes the tap's state on only after it has committed every record that
came before it, but it does so only when it drains all its sinks (every 5 minutes, or at
the end), so a short `meltano run` never saves a state before it ends. Here the loader's
drain interval is shortened to a fraction of a second (a test-only launcher patches the
SDK's class constant), the tap is piped into it directly, and the pair is killed once
several mid-run states have been written: the last state written must claim only rows
that are in PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from hotmart_pipeline import demo
from tests.reliability.pipeline import RecordingEmulator, Scenario

pytestmark = pytest.mark.e2e

TARGET_PYTHON = demo.PROJECT_ROOT / ".meltano/loaders/target-postgres/venv/bin/python"
FAST_DRAIN_TARGET = (
    "import sys\n"
    "from target_postgres.target import TargetPostgres\n"
    "TargetPostgres._MAX_RECORD_AGE_IN_MINUTES = 0.005  # drain (and pass state on) ~0.3 s\n"
    "sys.argv = ['target-postgres', '--config', 'ENV']\n"
    "TargetPostgres.cli()\n"
)
STATES_BEFORE_KILL = 4


def test_mid_run_state_of_the_loader_claims_only_loaded_rows(
    warehouse_env: dict[str, str], tmp_path: Path
) -> None:
    with RecordingEmulator(seed=61, accounts=2, sales=1500, latency_ms=15) as emulator:
        scenario = Scenario(emulator, warehouse_env, "claims_raw", tmp_path)
        config = {**emulator.tap_config(), "concurrency": 1}
        config["end_date"] = (emulator.clock() + timedelta(days=1)).isoformat()
        config_file = tmp_path / "tap.json"
        config_file.write_text(json.dumps(config))
        env = {**scenario.env(), "TARGET_POSTGRES_BATCH_SIZE_ROWS": "200"}
        tap = subprocess.Popen(
            [sys.executable, "-m", "tap_hotmart", "--config", str(config_file)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        target = subprocess.Popen(
            [str(TARGET_PYTHON), "-c", FAST_DRAIN_TARGET], stdin=tap.stdout,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, start_new_session=True,
        )  # fmt: skip
        assert tap.stdout is not None and target.stdout is not None
        tap.stdout.close()  # the target holds the pipe now
        saved: list[dict] = []
        try:
            for line in target.stdout:
                state = json.loads(line)  # a target writes each state as a bare JSON line
                if state.get("bookmarks", {}).get("sales"):
                    saved.append(state)
                if len(saved) == STATES_BEFORE_KILL:
                    break
        finally:
            for process in (tap, target):  # SIGKILL: no chance to finish a batch
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        assert len(saved) == STATES_BEFORE_KILL, "the loader saved no state mid-run to check"
        last = saved[-1]
        assert scenario.unloaded_but_claimed(last) == {}
        sales_loaded = len(scenario.db_keys("sales"))
        assert 0 < sales_loaded < len(scenario.truth_sales()), "killed mid-run, as intended"
