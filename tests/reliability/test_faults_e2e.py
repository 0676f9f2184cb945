"""Faults: the whole history of two accounts through the real pipeline (meltano run:
tap-hotmart → target-postgres → PostgreSQL) while the API misbehaves, and the warehouse
still equals the emulator's ground truth; no secret reaches any log, output or state.

The emulator's ``flaky`` profile serves transient 500/502/503, dropped connections,
latency jitter, bursts of 429, truncated bodies, HTML error pages, unknown fields and
nulls; on top of that the access token lives 8 s (so it expires several times during the
run), the server's own rate limit is 60 requests per 3 s per account (so the tap must
wait out 429s it did not plan for), and a query matching more than 250 rows times out
with 502 as Hotmart's do after 30 s (so the tap must read some windows in halves).
Pages of 100 records make enough requests for every kind of fault to be served.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotmart_pipeline import demo
from tests.reliability.pipeline import (
    RecordingEmulator,
    Scenario,
    scan_for_secrets,
)

pytestmark = pytest.mark.e2e

SEED = 5
ACCOUNTS = 2
SALES = 900
HISTORY_DAYS = 400
TOKEN_TTL_S = 8.0
MAX_QUERY_ROWS = 250


@pytest.fixture(scope="module")
def flaky(warehouse_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Scenario]:  # fmt: skip
    emulator = RecordingEmulator(
        seed=SEED, accounts=ACCOUNTS, sales=SALES, faults="flaky", history_days=HISTORY_DAYS,
        token_ttl_s=TOKEN_TTL_S, rate_limit=60, rate_window_s=3.0, max_query_rows=MAX_QUERY_ROWS,
    )  # fmt: skip
    with emulator:
        scenario = Scenario(
            emulator, warehouse_env, "flaky_raw", tmp_path_factory.mktemp("flaky"),
            extra_env={"TAP_HOTMART_DEMO_PAGE_SIZE": "50"},
        )  # fmt: skip
        scenario.run()
        yield scenario


def test_flaky_api_still_gives_exact_ground_truth(flaky: Scenario) -> None:
    flaky.assert_equals_ground_truth()
    assert {r[0] for r in flaky.db_keys("sales")} == set(flaky.emulator.account_ids)


def test_every_kind_of_fault_was_served(flaky: Scenario) -> None:
    """The run above proves something only if the faults really happened."""
    responses = flaky.emulator.stats()["responses"]
    for kind in ("500", "502", "503", "429", "dropped"):
        assert responses.get(kind, 0) > 0, f"no {kind} was served: {responses}"
    log = "".join(p.read_text(errors="replace") for p in sorted(flaky.logs.glob("*-run.log")))
    assert "not valid JSON" in log, "no truncated body was served"
    assert "non-JSON body (text/html)" in log, "no HTML error page was served"
    assert "reading it in two halves" in log, "no query timed out"
    # Tokens expire every 8 s: each account needed several.
    assert len(flaky.emulator.issued_tokens) >= 2 * ACCOUNTS + 1, flaky.emulator.issued_tokens
    assert "Sync failed" not in log


def test_no_secret_in_any_log_output_or_state(flaky: Scenario) -> None:
    """Client secrets, Basic keys, every access token issued and the database password:
    in none of the run's logs, the saved state (Meltano's system DB and ``state get``),
    or the state file Meltano hands the tap."""
    state = flaky.saved_state()
    assert state.get("bookmarks", {}).get("sales"), "no state was saved: nothing to scan"
    files = [*flaky.logs.glob("*.log"), flaky.home / "meltano.db"]
    state_file = demo.PROJECT_ROOT / ".meltano" / "run" / "tap-hotmart-demo" / "state.json"
    if state_file.exists():
        files.append(state_file)
    secrets = flaky.secrets()
    assert len(secrets) >= 2 * ACCOUNTS + 2 + 1
    hits = scan_for_secrets(files, secrets)
    assert not hits, f"secrets found: {hits}"
