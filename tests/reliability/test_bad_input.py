"""Bad input at the command line: every mistake ends with one clear line, exit status 1,
no traceback, no secret and no state that claims anything; what can be tolerated is.

The messages themselves are unit-tested in tests/tap/test_settings.py and
tests/tap/test_http_errors.py; here the tap runs as users run it (`python -m tap_hotmart
--config FILE`, a subprocess) so what is checked is what reaches their terminal and their
scheduler: the exit status, stderr and stdout.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hotmart_emulator import EmulatorServer
from tap_hotmart.status_filter import STATE_KEY as STATUS_FILTER_KEY
from tests.reliability.stub import BASIC, CLIENT_ID, CLIENT_SECRET, HTML, JSON, Stub, error, page
from tests.reliability.stub import running_stub as _running_stub
from tests.support.singer import TapRun, run_tap

SALES = "/payments/api/v1/sales/history"
#: Only the `sales` stream asks for pending statuses (`refunds` reads the same path).
SALES_QUERY = "WAITING_PAYMENT"
#: A state in which the account's check of a repeated transaction_status (status_filter) is
#: done: its requests would otherwise take the answers queued for the sales windows.
STATUSES_CHECKED = {"bookmarks": {"sales": {"partitions": [{
    "context": {"account_id": "shop"},
    STATUS_FILTER_KEY: {"honoured": True, "checked_at": "2026-10-15T00:00:00+00:00"},
}]}}}  # fmt: skip
#: Generic lines the SDK adds around the tap's own error line; they name nothing.
SDK_GENERIC_ERRORS = ("Config validation failed", "An unhandled error occurred while syncing")


@pytest.fixture
def stub():
    with _running_stub() as server:
        yield server


@pytest.fixture(scope="module")
def sale_items() -> list[dict]:
    """Three real-shaped sales-history items (epoch-ms dates, exact amounts)."""
    emu = EmulatorServer(seed=3, accounts=1, sales=40)
    return emu.ground_truth("acct-1", "sales")[:3]


def error_lines(stderr: str) -> list[str]:
    """The ERROR lines that say something (the SDK's generic companions left out)."""
    lines = [line for line in stderr.splitlines() if "| ERROR" in line]
    return [line for line in lines if not any(g in line for g in SDK_GENERIC_ERRORS)]


def assert_fails_with_one_line(run: TapRun, expected: str, secrets: list[str]) -> str:
    """Exit 1, one clear error line containing `expected`, no traceback, no secret."""
    assert run.returncode == 1, run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    lines = error_lines(run.stderr)
    assert len(lines) == 1, lines
    assert expected in lines[0], lines[0]
    output = run.stdout + run.stderr
    for secret in secrets:
        assert secret not in output, f"secret {secret[:6]}... leaked"
    return lines[0]


def assert_no_state_for(run: TapRun, stream: str) -> None:
    """A failed stream's bookmark must not appear in any state the tap printed."""
    for line in run.stdout.splitlines():
        message = json.loads(line)
        if message["type"] == "STATE":
            assert stream not in message["value"].get("bookmarks", {}), message


def basic_of(client_id: str, secret: str) -> str:
    return base64.b64encode(f"{client_id}:{secret}".encode()).decode()


OTHER_SECRET = "other-S3cret-f00dfeed"

# (name, config changes, the phrase the single error line must contain)
SETTINGS_MISTAKES = [
    ("no credentials", {"client_id": None, "client_secret": None, "basic": None},
     "No Hotmart credentials: set client_id, client_secret and basic"),
    ("missing basic", {"basic": None}, "missing basic"),
    ("basic of other credentials", {"basic": basic_of(CLIENT_ID, OTHER_SECRET)},
     "the Basic key does not belong to this Client ID and Client Secret"),
    ("accounts entry without secret",
     {"client_id": None, "client_secret": None, "basic": None,
      "accounts": [{"account_id": "a", "client_id": CLIENT_ID, "basic": BASIC}]},
     "'client_secret' is a required property in config['accounts'][0]"),
    # Regression: the SDK's schema check quoted the value, i.e. the secrets themselves.
    ("accounts not a JSON list",
     {"client_id": None, "client_secret": None, "basic": None,
      "accounts": f"[{{'account_id': 'a', 'client_secret': '{CLIENT_SECRET}', "
                  f"'basic': '{BASIC}'}}]"},
     "config['accounts'] must be of type 'array'"),
    ("numeric client_secret", {"client_secret": 86420135797531, "basic": None},
     "config['client_secret'] must be of type 'string'"),
    ("malformed start_date", {"start_date": "31/01/2024"},
     "start_date '31/01/2024' is not a date; use YYYY-MM-DD"),
    ("page_size over 500", {"page_size": 501},
     "page_size is 501; it must be a whole number from 1 to 500"),
    ("page_size of the wrong type", {"page_size": "500 rows"}, "config['page_size']"),
    ("start_date after end_date", {"start_date": "2027-01-01"}, "is not before end_date"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "expected"),
    [pytest.param(c, e, id=name) for name, c, e in SETTINGS_MISTAKES],
)
def test_settings_mistakes_fail_with_one_clear_line(
    tmp_path: Path, stub: Stub, changes: dict, expected: str
) -> None:
    config = {k: v for k, v in {**stub.config(), **changes}.items() if v is not None}
    run = run_tap(tmp_path, config)
    assert_fails_with_one_line(
        run, expected, [CLIENT_SECRET, BASIC, OTHER_SECRET, "86420135797531"]
    )
    assert not stub.calls and not stub.tokens_issued, "settings are checked before any request"
    assert "STATE" not in run.stdout


def test_revoked_credentials_mid_run_fail_with_one_line(tmp_path: Path, stub: Stub) -> None:
    """A token refused even after a refresh (credential revoked): stop, say where, no state."""
    expired = error(401, "token_expired", "Access token expired")
    stub.queue(SALES, expired, expired, when=SALES_QUERY)
    run = run_tap(tmp_path, stub.config())
    line = assert_fails_with_one_line(
        run, "Account 'shop', GET /payments/api/v1/sales/history: HTTP 401 token_expired",
        stub.secrets(),
    )  # fmt: skip
    assert line.split("| ERROR", 1)[1].count("\n") == 0
    assert len(stub.tokens_issued) == 2, "the token is refreshed once before giving up"
    assert_no_state_for(run, "sales")


def test_refused_token_request_fails_with_one_line(tmp_path: Path, stub: Stub) -> None:
    """Wrong or expired credentials at the token endpoint: what to check, where."""
    stub.token_answers = [error(401, "unauthorized", "Bad client credentials")]
    run = run_tap(tmp_path, stub.config())
    assert_fails_with_one_line(
        run, "Account 'shop': Hotmart refused the credentials (HTTP 401 unauthorized)",
        stub.secrets(),
    )  # fmt: skip
    assert "Developer Credentials" in run.stderr
    assert "STATE" not in run.stdout


def test_token_body_cut_short_is_retried(tmp_path: Path, stub: Stub) -> None:
    """Regression: a token answer truncated in transit (200, half a JSON body) used to stop
    the run as "no access_token"; the emulator's flaky profile serves exactly that. It is a
    transient failure like a 502 and is retried."""
    stub.token_answers = [(200, JSON, '{"access_token": "stub-at-cut')]
    stub.queue(SALES, page([]), when=SALES_QUERY)
    run = run_tap(tmp_path, stub.config())
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(stub.tokens_issued) == 1
    for secret in stub.secrets():
        assert secret not in run.stdout + run.stderr


def test_answer_that_is_not_a_token_is_fatal(tmp_path: Path, stub: Stub) -> None:
    """A readable answer without access_token means auth_url points elsewhere: say so."""
    stub.token_answers = [(200, JSON, json.dumps({"status": "ok"}))]
    run = run_tap(tmp_path, stub.config())
    assert_fails_with_one_line(run, "is auth_url pointing at Hotmart's token endpoint?",
                               stub.secrets())  # fmt: skip


def test_transient_bad_bodies_are_retried_and_nothing_is_lost(
    tmp_path: Path, stub: Stub, sale_items: list[dict]
) -> None:
    """Malformed JSON, an nginx HTML 502 and a proxy's HTML page with status 200 are all
    transient: retried with backoff, then every record arrives exactly once."""
    stub.queue(
        SALES,
        (200, JSON, json.dumps({"items": sale_items})[:200]),  # cut short
        (502, HTML, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
        (200, HTML, "<html><body>Please log in to the Wi-Fi</body></html>"),
        page(sale_items),
        when=SALES_QUERY,
    )  # fmt: skip
    run = run_tap(tmp_path, stub.config(), state=STATUSES_CHECKED)
    assert run.returncode == 0, run.stderr[-3000:]
    expected = sorted(item["purchase"]["transaction"] for item in sale_items)
    assert sorted(r["transaction"] for r in run.records["sales"]) == expected
    assert stub.calls.count(SALES) >= 4
    retries = [line for line in run.stderr.splitlines() if "retrying in" in line]
    assert len(retries) == 3, retries
    assert all("GET /payments/api/v1/sales/history window " in line for line in retries)
    assert "not valid JSON" in retries[0]
    assert "HTTP 502 with a non-JSON body (text/html)" in retries[1]
    assert "Traceback" not in run.stderr
    assert run.state["bookmarks"]["sales"]["partitions"][0]["replication_key_value"]


def test_permanent_html_error_is_one_line(tmp_path: Path, stub: Stub) -> None:
    """A 403 HTML page (a firewall in front of the API) is not retried: one line, exit 1."""
    stub.queue(SALES, (403, HTML, "<html><body>Forbidden by WAF</body></html>"), when=SALES_QUERY)
    run = run_tap(tmp_path, stub.config())
    assert_fails_with_one_line(
        run, "GET /payments/api/v1/sales/history: HTTP 403 with a non-JSON body (text/html)",
        stub.secrets(),
    )  # fmt: skip
    assert "Forbidden by WAF" not in run.stderr, "the body is not dumped into the log"
    assert_no_state_for(run, "sales")


def test_missing_extra_and_odd_typed_fields_are_tolerated(
    tmp_path: Path, stub: Stub, sale_items: list[dict]
) -> None:
    """Tolerated, because Hotmart adds fields and leaves optional ones out: extra keys,
    nulls, a date of the wrong type. Skipped, with a warning: an item without its key."""
    good, extra, odd = (json.loads(json.dumps(i)) for i in sale_items)
    extra["added_in_2027"] = {"nested": [1, 2]}
    extra["purchase"]["new_flag"] = True
    odd["purchase"]["approved_date"] = "yesterday"
    odd["buyer"] = None
    keyless = json.loads(json.dumps(good))
    del keyless["purchase"]["transaction"]
    stub.queue(SALES, page([good, extra, odd, keyless, 42, None]), when=SALES_QUERY)
    run = run_tap(tmp_path, stub.config(), state=STATUSES_CHECKED)
    assert run.returncode == 0, run.stderr[-3000:]
    records = {r["transaction"]: r for r in run.records["sales"]}
    assert sorted(records) == sorted(i["purchase"]["transaction"] for i in sale_items)
    assert records[odd["purchase"]["transaction"]]["approved_date"] is None
    assert records[extra["purchase"]["transaction"]]["purchase"]["new_flag"] is True
    assert "sales [shop]: skipped an item without its key fields" in run.stderr
    assert not error_lines(run.stderr)


def test_state_of_another_account_list_is_tolerated(tmp_path: Path) -> None:
    """A state saved for other accounts (an account renamed, one added, one removed):
    accounts the state does not know get a full sync, the stale partition is ignored, the
    known one resumes from its bookmark, and the new state is right for every account."""
    with EmulatorServer(seed=17, accounts=2, sales=400) as emu:
        now = datetime.fromtimestamp(emu.now_ms / 1000, tz=timezone.utc)
        config = {**emu.tap_config(), "end_date": (now + timedelta(days=1)).isoformat()}
        bookmark = (now - timedelta(days=90)).isoformat()
        partition = {"context": {"account_id": "acct-1"}, "replication_key_value": bookmark,
                     "replication_key": "order_date"}  # fmt: skip
        stale = {
            "context": {"account_id": "closed-shop"},
            "replication_key_value": now.isoformat(),
            "replication_key": "order_date",
        }
        state = {"bookmarks": {
            "sales": {"partitions": [partition, stale]},
            "sale_commissions": {"partitions": [{**stale, "replication_key": "order_window_end"}]},
            "a_stream_that_no_longer_exists": {"replication_key_value": "2020-01-01"},
        }}  # fmt: skip
        run = run_tap(tmp_path, config, state=state)
        assert run.returncode == 0, run.stderr[-3000:]

        truth = {
            a: {i["purchase"]["transaction"]: i["purchase"]["order_date"]
                for i in emu.ground_truth(a, "sales")}
            for a in ("acct-1", "acct-2")
        }  # fmt: skip
        emitted: dict[str, set[str]] = {"acct-1": set(), "acct-2": set()}
        for record in run.records["sales"]:
            emitted[record["account_id"]].add(record["transaction"])
        assert emitted["acct-2"] == set(truth["acct-2"]), "the new account got a full sync"
        resume_ms = (now - timedelta(days=90 + 60)).timestamp() * 1000  # bookmark - lookback
        recent = {t for t, ms in truth["acct-1"].items() if ms >= resume_ms}
        assert recent <= emitted["acct-1"] < set(truth["acct-1"]), "acct-1 resumed"
        commissions = {r["account_id"] for r in run.records["sale_commissions"]}
        assert commissions == {"acct-1", "acct-2"}, "a stale partition holds nobody back"

        partitions = run.state["bookmarks"]["sales"]["partitions"]
        end = {p["context"]["account_id"]: p["replication_key_value"] for p in partitions}
        assert end["acct-1"] == end["acct-2"] == config["end_date"]
        assert "closed-shop" not in {r["account_id"] for r in run.records["sales"]}
