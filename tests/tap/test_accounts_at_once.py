"""Several accounts read at once: the output and the state of reading them one by one.

Each account has its own request budget, so the tap fetches the next accounts' windows
(`account_concurrency`) while it emits the first (`tap_hotmart.account_reads`); what it
emits must not change: the same records in the same order, the same state messages.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from singer_sdk.singerlib import RecordMessage, StateMessage

from hotmart_emulator import EmulatorServer
from tap_hotmart import account_reads
from tap_hotmart.page_spool import PageSpool
from tap_hotmart.tap import TapHotmart
from tests.support.singer import TapRun, run_tap
from tests.tap.test_learned_rate_limit import Timeline
from tests.tap.test_sync import tap_config

ACCOUNTS = ("acct-1", "acct-2", "acct-3")
SALES_HISTORY = "GET /payments/api/v1/sales/history"


def _states(run: TapRun) -> list[dict]:
    """The run's state messages, without the SDK's signposts (the time the run started)."""
    messages = (json.loads(line, parse_float=Decimal) for line in run.stdout.splitlines())
    states = [message["value"] for message in messages if message["type"] == "STATE"]
    for state in states:
        for bookmark in state.get("bookmarks", {}).values():
            bookmark.pop("replication_key_signpost", None)
    return states


def test_accounts_read_at_once_emit_what_a_run_one_by_one_emits(tmp_path: Path) -> None:
    with EmulatorServer(seed=21, accounts=3, sales=400, latency_ms=5, rate_limit=100_000) as emu:
        config = tap_config(emu, requests_per_minute=100_000)
        one_by_one = run_tap(tmp_path, {**config, "account_concurrency": 1}, name="one")
        assert one_by_one.returncode == 0, one_by_one.stderr[-3000:]
        timeline = Timeline(emu)
        at_once = run_tap(tmp_path, {**config, "account_concurrency": 3}, name="at-once")
        assert at_once.returncode == 0, at_once.stderr[-3000:]

    assert set(at_once.records) == set(one_by_one.records)
    for stream, records in one_by_one.records.items():
        assert at_once.records[stream] == records, stream  # the same records, in order
    assert {r["account_id"] for r in at_once.records["sales"]} == set(ACCOUNTS)
    assert _states(at_once) == _states(one_by_one)

    # ...and the accounts' sales/history requests did overlap in time.
    sales = [(at, account) for at, account, request, _ in timeline.entries
             if request == SALES_HISTORY]  # fmt: skip
    spans = {
        account: (
            min(t for t, a in sales if a == account),
            max(t for t, a in sales if a == account),
        )
        for account in ACCOUNTS
    }
    first_ends = spans["acct-1"][1]
    assert spans["acct-2"][0] < first_ends and spans["acct-3"][0] < first_ends, spans


def test_a_failing_account_stops_the_run_with_its_error_and_no_hang(tmp_path: Path) -> None:
    with EmulatorServer(seed=22, accounts=2, sales=300, rate_limit=100_000) as emu:
        config = tap_config(emu, requests_per_minute=100_000, account_concurrency=2)
        config["accounts"][1]["client_secret"] = "wrong"
        run = run_tap(tmp_path, config, timeout=120)
    assert run.returncode == 1
    assert "acct-2" in run.stderr
    assert "Traceback" not in run.stderr


def _sync_in_process(config: dict, monkeypatch: pytest.MonkeyPatch) -> tuple[list, list]:
    """A whole sync in this process: its RECORD messages' (stream, record), and its states."""
    tap = TapHotmart(config=config, parse_env_config=False)
    messages: list[Any] = []
    monkeypatch.setattr(
        tap.message_writer, "write_message", lambda m: messages.append(copy.deepcopy(m))
    )
    tap.sync_all()
    records = [(m.stream, m.record) for m in messages if isinstance(m, RecordMessage)]
    states = [m.value for m in messages if isinstance(m, StateMessage)]
    for state in states:
        for bookmark in state.get("bookmarks", {}).values():
            bookmark.pop("replication_key_signpost", None)
    return records, states


def test_pages_read_back_from_disk_emit_what_memory_gives(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An account read far ahead of its emission (a large account, a slow loader) waits on
    disk past the spool's memory part. Read back from there, it must emit what it would
    from memory (it once failed: a page's read held the planner, whose closures do not
    pickle). Here every item goes to disk."""
    spools: list[PageSpool] = []

    def all_on_disk(cancel: threading.Event) -> PageSpool:
        spools.append(PageSpool(cancel, memory_bytes=0))
        return spools[-1]

    with EmulatorServer(seed=23, accounts=2, sales=300, rate_limit=100_000) as emu:
        config = tap_config(emu, requests_per_minute=100_000, account_concurrency=2)
        in_memory = _sync_in_process(config, monkeypatch)
        monkeypatch.setattr(account_reads, "PageSpool", all_on_disk)
        caplog.set_level(logging.INFO, logger="tap-hotmart")
        from_disk = _sync_in_process(config, monkeypatch)
    assert spools and all(spool.spilled_bytes > 0 for spool in spools)
    assert from_disk[0] == in_memory[0]
    assert from_disk[1] == in_memory[1]
    said = [
        r.getMessage() for r in caplog.records if "waited in a temporary file" in r.getMessage()
    ]
    assert any(line.startswith("sales [acct-1]: ") for line in said), said
