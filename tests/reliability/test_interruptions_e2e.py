"""Interruptions: the pipeline (meltano run: tap-hotmart → target-postgres → PostgreSQL) is
SIGKILLed, whole process group, at seeded random points — while the tap extracts, while
the target writes a batch in the middle of the run, and while the target makes its final
load — and rerun each time from the state Meltano saved. After every kill the saved state
claims nothing that is not in PostgreSQL; after the last run the warehouse equals the
ground truth, with no duplicate key.

Loading happens during extraction too: the loader's batch size is lowered to 500 rows so
the target commits full batches while the tap is still reading.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from hotmart_pipeline import demo
from tests.reliability.pipeline import (
    JOB,
    RecordingEmulator,
    Scenario,
    group_members,
    kill_group,
    scan_for_secrets,
)

pytestmark = pytest.mark.e2e

SEED = 20261129
ACCOUNTS = 2
SALES = 1200
RUN_DIR = demo.PROJECT_ROOT / ".meltano" / "run"

BATCH_ROWS = 500


def _log_lines(pattern: str) -> Callable[[Scenario, str], int]:
    """How many lines of the run's log match ``pattern``."""
    regex = re.compile(pattern)
    return lambda scenario, log: len(regex.findall(log))


def _sales_batches_loaded(scenario: Scenario, log: str) -> int:
    """How many full batches of sales the loader has committed (the table may not exist)."""
    try:
        ((rows,),) = scenario.query(f'SELECT count(*) FROM "{scenario.schema}".sales')
    except psycopg.errors.UndefinedTable:
        return 0
    return int(rows) // BATCH_ROWS


#: (name, what arms the kill, at which count (low, high), extra delay (s)). The loader
#: logs only warnings (meltano.yml), so a batch mid-run is watched in PostgreSQL itself.
KILL_POINTS: list[tuple[str, Callable[[Scenario, str], int], tuple[int, int], float]] = [
    ("extracting", _log_lines(r"tap-hotmart-demo (?:Beginning|Starting incremental) sync"),
     (2, 10), 0.2),
    ("loading a batch mid-run", _sales_batches_loaded, (1, 4), 0.3),
    ("final load", _log_lines(r"tap-hotmart-demo Run summary:"), (1, 1), 0.8),
]  # fmt: skip


def _config_files_with(secret: str) -> list[Path]:
    """Config files Meltano wrote for a run and left behind (a SIGKILL skips its cleanup)."""
    return [p for p in RUN_DIR.glob("*/*.config.json") if secret in p.read_text(errors="ignore")]


def _kill_when(scenario: Scenario, count: Callable[[Scenario, str], int], occurrence: int,
               delay: float, *args: str) -> dict[str, Any]:  # fmt: skip
    """Start the job, SIGKILL its process group once `count` reaches `occurrence`, plus
    `delay` seconds; what happened."""
    process, log = scenario.start("run", JOB, *args)
    deadline = time.monotonic() + 300
    seen = 0
    try:
        while seen < occurrence:
            assert process.poll() is None, (
                f"the run ended before the kill point ({seen}/{occurrence}):\n"
                + log.read_text(errors="replace")[-3000:]
            )
            assert time.monotonic() < deadline, "the kill point never came"
            seen = count(scenario, log.read_text(errors="replace"))
            time.sleep(0.05)
        time.sleep(delay)
        members = len(group_members(process.pid))
    finally:
        kill_group(process)
    return {"log": log, "returncode": process.returncode, "members_killed": members}


@pytest.fixture(scope="module")
def interrupted(warehouse_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[dict[str, Any]]:  # fmt: skip
    """Three kills, a check of the saved state after each, then a run to the end."""
    rng = random.Random(SEED)
    with RecordingEmulator(seed=SEED % 1000, accounts=ACCOUNTS, sales=SALES) as emulator:
        scenario = Scenario(
            emulator, warehouse_env, "interrupted_raw", tmp_path_factory.mktemp("kills"),
            extra_env={"TARGET_POSTGRES_BATCH_SIZE_ROWS": str(BATCH_ROWS)},
        )  # fmt: skip
        secret = emulator.accounts()[0]["client_secret"]
        kills = []
        try:
            for n, (name, count, (low, high), max_delay) in enumerate(KILL_POINTS):
                occurrence = rng.randint(low, high)
                delay = rng.uniform(0, max_delay)
                force = ("--force",) if n else ()  # the killed job still looks "running"
                kill = _kill_when(scenario, count, occurrence, delay, *force)
                kill.update(name=name, occurrence=occurrence, delay=delay)
                kill["left_behind"] = len(_config_files_with(secret))
                state = scenario.saved_state()
                kill["state"] = state
                kill["claimed_but_missing"] = scenario.unloaded_but_claimed(state)
                kill["rows"] = len(scenario.db_keys("sales"))
                kills.append(kill)
            refused = scenario.start("run", JOB)
            refused[0].wait(timeout=300)
            final_log = scenario.run("--force")
            yield {
                "scenario": scenario,
                "kills": kills,
                "final_log": final_log,
                "refused": (refused[0].returncode, refused[1].read_text(errors="replace")),
            }
        finally:
            for path in _config_files_with(secret):
                path.unlink(missing_ok=True)  # they hold this test's (fake) credentials


def test_every_kill_hit_the_whole_group_mid_run(interrupted: dict[str, Any]) -> None:
    for kill in interrupted["kills"]:
        assert kill["returncode"] == -9, kill["name"]
        # meltano and the target at least; the tap too while it still extracts
        assert kill["members_killed"] >= 2, kill["name"]
    assert interrupted["kills"][0]["members_killed"] >= 3, "meltano, tap and target"
    first = interrupted["kills"][0]
    assert "Incremental state has been updated" not in first["log"].read_text()


def test_saved_state_never_claims_what_did_not_reach_postgres(
    interrupted: dict[str, Any],
) -> None:
    for kill in interrupted["kills"]:
        bookmarks = {
            f"{stream}[{p['context']['account_id']}]": p.get("replication_key_value")
            for stream, entry in kill["state"].get("bookmarks", {}).items()
            for p in entry.get("partitions", [])
            if p.get("replication_key_value")
        }
        print(f"kill while {kill['name']} (#{kill['occurrence']} +{kill['delay']:.2f}s): "
              f"{kill['rows']} sales rows, saved bookmarks {bookmarks or 'none'}")  # fmt: skip
        assert not kill["claimed_but_missing"], (
            f"after the kill while {kill['name']}: "
            + "; ".join(f"{k}: {len(v)} missing" for k, v in kill["claimed_but_missing"].items())
        )


def test_kills_left_partial_data_and_the_rerun_completed_it(interrupted: dict[str, Any]) -> None:
    """The kills really interrupted loading (rows were committed without a state to show
    for them), and the run after them repaired everything: at-least-once delivery, made
    exact by upserts on keys that include account_id."""
    kills = interrupted["kills"]
    assert any(k["rows"] > 0 and not k["state"].get("bookmarks", {}).get("sales")
               for k in kills), "no kill left committed rows ahead of the state"  # fmt: skip
    interrupted["scenario"].assert_equals_ground_truth()


def test_a_killed_job_blocks_the_next_run_until_forced(interrupted: dict[str, Any]) -> None:
    """Meltano still sees the killed job as running: a plain rerun is refused with a clear
    message, and `meltano run --force` (or waiting 5 minutes) resumes."""
    returncode, log = interrupted["refused"]
    assert returncode != 0
    assert "pipeline is already running" in log
    assert "'--force'" in log


def test_no_secret_in_the_logs_and_states_of_the_killed_runs(
    interrupted: dict[str, Any],
) -> None:
    scenario = interrupted["scenario"]
    files = [*scenario.logs.glob("*.log"), scenario.home / "meltano.db"]
    hits = scan_for_secrets(files, scenario.secrets())
    assert not hits, f"secrets found: {hits}"
    for kill in interrupted["kills"]:
        state = str(kill["state"])
        assert not [name for name, value in scenario.secrets().items() if value in state]
