"""The tap against the emulator: complete, exact, incremental, resilient, and quiet
about secrets."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from hotmart_emulator import EmulatorServer
from tests.support.singer import TapRun, run_tap

ACCOUNTS = ("acct-1", "acct-2")
UTC = timezone.utc
DAY_MS = 86_400_000

# stream → (key columns in the record, how to read the same key from a ground-truth item)
KEYS = {
    "sales": (("account_id", "transaction"), lambda a, i: (a, i["purchase"]["transaction"])),
    "sale_participants": (("account_id", "transaction"), lambda a, i: (a, i["transaction"])),
    "sale_commissions": (("account_id", "transaction"), lambda a, i: (a, i["transaction"])),
    "sale_price_details": (("account_id", "transaction"), lambda a, i: (a, i["transaction"])),
    "subscriptions": (("account_id", "subscriber_code"), lambda a, i: (a, i["subscriber_code"])),
    "subscription_transactions": (
        ("account_id", "transaction"),
        lambda a, i: (a, i["purchase"]["transaction"]),
    ),
    "products": (("account_id", "id"), lambda a, i: (a, i["id"])),
    "product_offers": (
        ("account_id", "product_ucode", "code"),
        lambda a, i: (a, i["product_ucode"], i["code"]),
    ),
    "product_plans": (
        ("account_id", "product_ucode", "code"),
        lambda a, i: (a, i["product_ucode"], i["code"]),
    ),
    "coupons": (("account_id", "product_id", "id"), lambda a, i: (a, i["product_id"], i["id"])),
}
REFUND_STATUSES = {"REFUNDED", "PARTIALLY_REFUNDED", "CHARGEBACK", "PROTESTED"}


def emulator_now(emu: EmulatorServer) -> datetime:
    now_ms = requests.get(f"{emu.url}/_emulator/health", timeout=10).json()["now"]
    return datetime.fromtimestamp(now_ms / 1000, tz=UTC)


def tap_config(emu: EmulatorServer, **extra: object) -> dict:
    """The emulator's config, reading up to the emulator's clock (not the real one)."""
    config = emu.tap_config()
    config["end_date"] = (emulator_now(emu) + timedelta(days=1)).isoformat()
    config.update(extra)
    return config


def truth_keys(emu: EmulatorServer, stream: str) -> list[tuple]:
    _, from_item = KEYS[stream]
    return [
        from_item(account, item)
        for account in ACCOUNTS
        for item in emu.ground_truth(account, stream)
    ]


def truth_sales(emu: EmulatorServer) -> dict[tuple, dict]:
    return {
        (account, item["purchase"]["transaction"]): item
        for account in ACCOUNTS
        for item in emu.ground_truth(account, "sales")
    }


@pytest.fixture(scope="module")
def clean_emulator():
    with EmulatorServer(seed=11, accounts=2, sales=1500) as emu:
        yield emu


@pytest.fixture(scope="module")
def full_run(clean_emulator, tmp_path_factory) -> TapRun:
    run = run_tap(tmp_path_factory.mktemp("full"), tap_config(clean_emulator))
    assert run.returncode == 0, run.stderr[-3000:]
    return run


@pytest.mark.parametrize("stream", sorted(KEYS))
def test_every_stream_equals_ground_truth(full_run: TapRun, clean_emulator, stream: str) -> None:
    key, _ = KEYS[stream]
    emitted = full_run.keys(stream, key)
    expected = truth_keys(clean_emulator, stream)
    assert expected, f"the emulator has no {stream}: the test would prove nothing"
    assert sorted(set(emitted)) == sorted(set(expected))
    assert len(emitted) == len(set(emitted)), "a full run emits each key once"


def test_sales_carry_every_status_with_exact_money(full_run: TapRun, clean_emulator) -> None:
    truth = truth_sales(clean_emulator)
    statuses = Counter()
    for record in full_run.records["sales"]:
        item = truth[(record["account_id"], record["transaction"])]
        assert record["status"] == item["purchase"]["status"]
        price, expected = record["purchase"]["price"], item["purchase"]["price"]
        assert price["currency_code"] == expected["currency_code"]
        # The ground truth comes back as Python floats; their shortest repr is the cents.
        assert Decimal(str(price["value"])) == Decimal(repr(expected["value"]))
        statuses[record["status"]] += 1
    assert {"APPROVED", "COMPLETE", "REFUNDED", "CHARGEBACK"} <= set(statuses)
    assert len(statuses) >= 8, statuses


def test_records_have_iso_utc_dates_and_account(full_run: TapRun) -> None:
    for record in full_run.records["sales"][:200]:
        assert record["account_id"] in ACCOUNTS
        assert record["order_date"].endswith("+00:00")
        datetime.fromisoformat(record["order_date"])


def test_progress_is_logged_per_window_with_an_eta(full_run: TapRun) -> None:
    assert "sales [acct-1] window 1 " in full_run.stderr
    assert "ETA" in full_run.stderr


def test_default_rate_limit_is_never_exceeded(full_run: TapRun, clean_emulator) -> None:
    assert clean_emulator.stats()["responses"].get("429", 0) == 0


def test_state_is_per_account_and_holds_no_secret(full_run: TapRun, clean_emulator) -> None:
    partitions = full_run.state["bookmarks"]["sales"]["partitions"]
    assert sorted(p["context"]["account_id"] for p in partitions) == list(ACCOUNTS)
    assert all(p["replication_key_value"] for p in partitions)
    assert_no_secret(clean_emulator, str(full_run.state), full_run.stderr)


def assert_no_secret(emu: EmulatorServer, *outputs: str) -> None:
    secrets = []
    for account in emu.tap_config()["accounts"]:
        secrets += [account["client_secret"], account["basic"]]
    for output in outputs:
        for secret in secrets:
            assert secret not in output


def _old_settled_sale(sales: dict[tuple, dict], account: str, now: datetime, days: int) -> str:
    """A COMPLETE sale about `days` days old, to be refunded or charged back now."""
    target = now - timedelta(days=days)
    candidates = [
        (abs(item["purchase"]["order_date"] - target.timestamp() * 1000), key[1])
        for key, item in sales.items()
        if key[0] == account and item["purchase"]["status"] == "COMPLETE"
    ]
    return min(candidates)[1]


def test_incremental_run_brings_new_sales_and_late_refunds(tmp_path: Path) -> None:
    with EmulatorServer(seed=23, accounts=2, sales=1500) as emu:
        full = run_tap(tmp_path, tap_config(emu), name="full")
        assert full.returncode == 0, full.stderr[-3000:]
        full_stats = emu.stats()["requests"]
        full_calls = sum(full_stats.values())

        now = emulator_now(emu)
        before = truth_sales(emu)
        injected = {}
        for days, status in ((20, "REFUNDED"), (75, "CHARGEBACK"), (200, "CHARGEBACK")):
            transaction = _old_settled_sale(before, "acct-1", now, days)
            emu.inject("acct-1", transaction, status)
            injected[("acct-1", transaction)] = status
        emu.advance(days=30)
        emu.reset_stats()

        incremental = run_tap(tmp_path, tap_config(emu), state=full.state, name="incremental")
        assert incremental.returncode == 0, incremental.stderr[-3000:]
        incremental_stats = emu.stats()["requests"]
        incremental_calls = sum(incremental_stats.values())

        latest = {(r["account_id"], r["transaction"]): r for r in full.records["sales"]}
        latest.update(
            {(r["account_id"], r["transaction"]): r for r in incremental.records["sales"]}
        )
        truth = truth_sales(emu)
        assert set(latest) == set(truth), "every new sale arrived, none was invented"
        stale = {
            k for k, item in truth.items() if latest[k]["status"] != item["purchase"]["status"]
        }
        assert not stale, f"{len(stale)} sales kept an old status"
        for key, status in injected.items():
            assert latest[key]["status"] == status
        new_keys = set(truth) - set(before)
        assert new_keys, "advancing 30 days must create sales"
        print(f"API calls: full run {full_calls}, incremental run {incremental_calls}")
        # What only the lookback re-reads costs a fraction of the full history; the
        # refund statuses and subscriptions are re-read over the whole history (few rows,
        # but a fixed number of windows), which a 1,500-sale account feels most.
        details = "GET /payments/api/v1/sales/users"
        assert incremental_stats[details] <= full_stats[details] / 3
        assert incremental_calls < full_calls * 0.7


def test_faults_still_give_exact_ground_truth(tmp_path: Path) -> None:
    with EmulatorServer(seed=5, accounts=2, sales=800, faults="flaky") as emu:
        run = run_tap(tmp_path, tap_config(emu))
        assert run.returncode == 0, run.stderr[-3000:]
        truth = truth_sales(emu)
        emitted = {(r["account_id"], r["transaction"]): r["status"] for r in run.records["sales"]}
        assert emitted == {k: v["purchase"]["status"] for k, v in truth.items()}
        stats = emu.stats()["responses"]
        served_faults = sum(
            n for code, n in stats.items() if code in {"429", "5xx", "500", "502", "503"}
        )
        assert served_faults > 0, f"the fault profile served no fault: {stats}"
        assert_no_secret(emu, run.stdout, run.stderr)
        assert_retry_lines_are_short(run.stderr)


# "acct-1 GET /payments/api/v1/sales/history window 2024-01-01..2024-03-31: HTTP 503
# internal_server_error, retrying in 2.0 s (attempt 2/8)": the endpoint and the window,
# never the query string.
RETRY_LINE = re.compile(
    r"\| acct-\d GET /[\w/-]+( window \d{4}-\d\d-\d\d\.\.\d{4}-\d\d-\d\d)?: "
    r"[^=&]+, retrying in \d+\.\d s \(attempt \d/8\)$"
)


def assert_retry_lines_are_short(stderr: str) -> None:
    retries = [line for line in stderr.splitlines() if "retrying in" in line]
    assert retries, "the fault profile caused no retry"
    for line in retries:
        assert RETRY_LINE.search(line), line
    assert "window " in " ".join(retries)
    assert "transaction_status" not in stderr
    assert "Backing off" not in stderr, "backoff's own line repeats each retry"


def test_wrong_credentials_fail_clearly_without_leaking(tmp_path: Path, clean_emulator) -> None:
    config = tap_config(clean_emulator)
    account = config["accounts"][0]
    wrong_secret = "wrong-" + account["client_secret"]
    account["client_secret"] = wrong_secret
    # A Basic key that matches the wrong secret, so only Hotmart can tell it is wrong.
    account["basic"] = base64.b64encode(f"{account['client_id']}:{wrong_secret}".encode()).decode()
    run = run_tap(tmp_path, config)
    assert run.returncode == 1
    assert "refused the credentials" in run.stderr
    assert "acct-1" in run.stderr
    assert "Traceback" not in run.stderr
    assert wrong_secret not in run.stderr + run.stdout
    assert account["basic"] not in run.stderr + run.stdout


def test_killed_run_resumes_from_its_last_state_without_loss(tmp_path: Path) -> None:
    with EmulatorServer(seed=31, accounts=2, sales=1500) as emu:
        config_file = tmp_path / "config.json"
        config_file.write_text(json.dumps(tap_config(emu, concurrency=1)))
        command = [sys.executable, "-m", "tap_hotmart", "--config", str(config_file)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert process.stdout is not None
        seen: set[tuple] = set()
        state = None
        states = 0
        for line in process.stdout:
            message = json.loads(line)
            if message["type"] == "RECORD" and message["stream"] == "sales":
                record = message["record"]
                seen.add((record["account_id"], record["transaction"]))
            elif message["type"] == "STATE" and "sales" in message["value"].get("bookmarks", {}):
                state, states = message["value"], states + 1
                if states == 10:
                    process.kill()  # SIGKILL: no cleanup, like a machine dying
                    break
        process.wait()
        assert state is not None, "the tap wrote no state before it was killed"
        resumed = run_tap(tmp_path, tap_config(emu), state=state, name="resumed")
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        resumed_keys = set(resumed.keys("sales", ("account_id", "transaction")))
        truth = set(truth_sales(emu))
        assert seen | resumed_keys == truth
        assert len(resumed_keys) < len(truth), "the second run resumed, it did not start over"
