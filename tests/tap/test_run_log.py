"""What a run logs: progress at INFO, no SDK METRIC lines unless asked for, and a summary
at the end that compares an incremental run's API calls with the last full sync."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from hotmart_emulator import EmulatorServer
from tap_hotmart.summary import FULL_SYNC_CALLS_KEY
from tests.support.singer import TapRun, run_tap
from tests.tap.test_sync import ACCOUNTS, tap_config

SUMMARY_TOTAL = re.compile(
    r"\| Run summary: ([\d,]+) records, ([\d,]+) API calls, \d+:\d\d:\d\d elapsed$", re.M
)


def _api_calls(emu: EmulatorServer) -> dict[str, int]:
    """Requests the emulator received per account (token requests included)."""
    by_account = emu.stats()["by_account"]
    return {account: sum(by_account[account]["requests"].values()) for account in ACCOUNTS}


def _summary_line(run: TapRun, account: str, what: str) -> str:
    """The text of the summary line of `account` that starts with `what` (a pattern)."""
    pattern = rf"\|   {account}: ({what}.*)$"
    (line,) = re.findall(pattern, run.stderr, re.M)
    return line


def _full_sync_calls(run: TapRun) -> dict[str, int]:
    partitions = run.state["bookmarks"]["sales"]["partitions"]
    return {p["context"]["account_id"]: p[FULL_SYNC_CALLS_KEY] for p in partitions}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """A full run, then an incremental one from its state (with METRIC lines turned on)."""
    tmp_path = tmp_path_factory.mktemp("run-log")
    with EmulatorServer(seed=41, accounts=2, sales=400) as emu:
        full = run_tap(tmp_path, tap_config(emu), name="full")
        assert full.returncode == 0, full.stderr[-3000:]
        full_calls = _api_calls(emu)
        emu.advance(days=7)
        emu.reset_stats()
        config = tap_config(emu, metrics_log_level="info")
        incremental = run_tap(tmp_path, config, state=full.state, name="incremental")
        assert incremental.returncode == 0, incremental.stderr[-3000:]
        return {
            "full": full,
            "full_calls": full_calls,
            "incremental": incremental,
            "incremental_calls": _api_calls(emu),
        }


def test_a_run_writes_no_metric_line_by_default_but_keeps_its_progress(runs: dict) -> None:
    full: TapRun = runs["full"]
    assert "METRIC" not in full.stderr
    assert "sales [acct-1] window 1 " in full.stderr
    assert "ETA" in full.stderr


def test_metric_lines_come_back_with_metrics_log_level_info(runs: dict) -> None:
    assert "| INFO     | singer_sdk.metrics" in runs["incremental"].stderr
    assert "METRIC: " in runs["incremental"].stderr


def test_the_summary_counts_the_records_emitted_per_account_and_stream(runs: dict) -> None:
    full: TapRun = runs["full"]
    emitted: Counter[tuple[str, str]] = Counter()
    for stream, records in full.records.items():
        for record in records:
            emitted[record["account_id"], stream] += 1
    for account in ACCOUNTS:
        line = _summary_line(full, account, r"[\d,]+ records \(")
        per_stream = dict(re.findall(r"(\w+) ([\d,]+)[,)]", line))
        assert {s: int(n.replace(",", "")) for s, n in per_stream.items()} == {
            stream: n for (a, stream), n in emitted.items() if a == account
        }
    (total,) = SUMMARY_TOTAL.findall(full.stderr)
    assert int(total[0].replace(",", "")) == sum(emitted.values())
    assert int(total[1].replace(",", "")) == sum(runs["full_calls"].values())


def test_a_full_sync_keeps_its_api_calls_in_the_state(runs: dict) -> None:
    full: TapRun = runs["full"]
    full_calls = runs["full_calls"]
    assert _full_sync_calls(full) == full_calls
    for account in ACCOUNTS:
        assert _summary_line(full, account, "API calls") == (
            f"API calls: {full_calls[account]:,} (a full sync; later runs are compared with it)"
        )


def test_an_incremental_run_says_what_share_of_a_full_sync_it_cost(runs: dict) -> None:
    incremental: TapRun = runs["incremental"]
    full_calls, calls = runs["full_calls"], runs["incremental_calls"]
    for account in ACCOUNTS:
        share = round(100 * calls[account] / full_calls[account])
        assert share < 100
        assert _summary_line(incremental, account, "API calls") == (
            f"API calls: {calls[account]:,} (full sync of this account: "
            f"{full_calls[account]:,}, so {share}%)"
        )
    assert _full_sync_calls(incremental) == full_calls, "an incremental run keeps the figure"
