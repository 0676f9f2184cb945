"""``max_query_rows``: Hotmart's 502 for a query over 30 s, modelled as a row count.

A client that reads history in date windows (and widens them to save calls) must notice the
502 and narrow the window; these tests pin down what the emulator answers so that it can.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from hotmart_emulator import EmulatorServer
from hotmart_emulator.api import QUERY_TIMEOUT_DESCRIPTION
from hotmart_emulator.cli import build_parser, main
from hotmart_emulator.data import DAY_MS
from hotmart_emulator.paging import encode_token
from hotmart_emulator.server import EmulatorCore

from .conftest import SALES, Client, all_status_params

LIMIT = 100
SUBS = "/payments/api/v1/subscriptions"
SUB_TX = "/payments/api/v1/subscriptions/transactions"

#: Every date-filtered list endpoint and its (start, end) date parameters.
DATE_PARAMS: dict[str, tuple[str, str]] = {
    SALES: ("start_date", "end_date"),
    "/payments/api/v1/sales/users": ("start_date", "end_date"),
    "/payments/api/v1/sales/commissions": ("start_date", "end_date"),
    "/payments/api/v1/sales/price/details": ("start_date", "end_date"),
    "/payments/api/v1/sales/summary": ("start_date", "end_date"),
    SUBS: ("accession_date", "end_accession_date"),
    SUB_TX: ("transaction_date", "end_transaction_date"),
}


@pytest.fixture(scope="module")
def limited() -> Iterator[EmulatorServer]:
    """2000 sales, 155 subscriptions, 700 recurrences: every whole-history query is too wide."""
    with EmulatorServer(
        seed=7,
        accounts=1,
        sales=2000,
        rate_limit=100_000,
        max_query_rows=LIMIT,
        max_range_days=None,  # whole-history ranges: the range limit is tested on its own
    ) as server:
        yield server


@pytest.fixture(scope="module")
def lclient(limited: EmulatorServer) -> Client:
    return Client(limited)


def _history(emu: EmulatorServer) -> tuple[int, int]:
    """(first ms of the history, the clock): the widest date range there is."""
    return emu.core.store.history_start_ms, emu.now_ms


def _range(path: str, lo: int, hi: int) -> list[tuple[str, object]]:
    """Date-range parameters of ``path``, with every status for the sales family."""
    start, end = DATE_PARAMS[path]
    statuses = all_status_params() if path.startswith("/payments/api/v1/sales") else []
    return [(start, lo), (end, hi), *statuses]


def _assert_timeout(r: requests.Response) -> None:
    assert r.status_code == 502, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["error"] == "internal_server_error"
    assert body["error_description"] == QUERY_TIMEOUT_DESCRIPTION
    assert "date range" in body["error_description"]


@pytest.mark.parametrize("path", list(DATE_PARAMS))
def test_wide_range_is_502_and_a_narrow_one_succeeds(
    limited: EmulatorServer, lclient: Client, path: str
) -> None:
    lo, hi = _history(limited)
    _assert_timeout(lclient.get(path, _range(path, lo, hi)))
    narrow = lclient.get(path, _range(path, lo, lo + 60 * DAY_MS))
    assert narrow.status_code == 200, narrow.text
    assert narrow.json()["items"]


def test_every_page_of_a_wide_query_fails_the_same_way(
    limited: EmulatorServer, lclient: Client
) -> None:
    """Hotmart re-runs the query for each page, so a page_token does not get around it."""
    lo, hi = _history(limited)
    params = [*_range(SALES, lo, hi), ("max_results", 50)]
    first = lclient.get(SALES, params)
    _assert_timeout(first)
    _assert_timeout(lclient.get(SALES, [*params, ("page_token", encode_token(50, 3))]))
    assert lclient.get(SALES, params).content == first.content


def test_the_limit_counts_matched_rows_not_the_date_span(
    limited: EmulatorServer, lclient: Client
) -> None:
    """A whole-history query that matches few rows (one rare status) is fast enough."""
    lo, hi = _history(limited)
    r = lclient.get(
        SALES, [("start_date", lo), ("end_date", hi), ("transaction_status", "CHARGEBACK")]
    )
    assert r.status_code == 200, r.text
    assert 0 < r.json()["page_info"]["total_results"] <= LIMIT
    # the default filter (APPROVED and COMPLETE) still matches too many
    _assert_timeout(lclient.get(SALES, [("start_date", lo), ("end_date", hi)]))


def _read_windowed(client: Client, path: str, lo: int, hi: int) -> list[dict]:
    """What a robust client does: read [lo, hi]; on a 502 halve the window and read both."""
    r = client.get(path, [*_range(path, lo, hi), ("max_results", 1)])
    if r.status_code == 502:
        assert lo < hi, "a single millisecond is still too wide"
        mid = (lo + hi) // 2
        return _read_windowed(client, path, lo, mid) + _read_windowed(client, path, mid + 1, hi)
    assert r.status_code == 200, r.text
    return client.all_pages(path, _range(path, lo, hi))


@pytest.mark.parametrize(
    ("path", "entity"), [(SALES, "sales"), (SUB_TX, "subscription_transactions")]
)
def test_narrow_windows_add_up_to_ground_truth(
    limited: EmulatorServer, lclient: Client, path: str, entity: str
) -> None:
    lo, hi = _history(limited)
    got = _read_windowed(lclient, path, lo, hi)
    assert got == limited.ground_truth("acct-1", entity)


def test_a_timeout_counts_against_the_rate_limit_and_in_stats(
    limited: EmulatorServer, lclient: Client
) -> None:
    lo, hi = _history(limited)
    limited.reset_stats()
    first = lclient.get(SALES, _range(SALES, lo, hi))
    second = lclient.get(SALES, _range(SALES, lo, hi))
    _assert_timeout(second)
    remaining = int(first.headers["RateLimit-Remaining"])
    assert int(second.headers["RateLimit-Remaining"]) == remaining - 1
    stats = limited.stats()
    assert stats["responses"] == {"502": 2, "5xx": 2}
    assert stats["requests"] == {f"GET {SALES}": 2}
    assert stats["by_account"]["acct-1"]["responses"]["502"] == 2


def test_without_the_option_the_same_query_succeeds(emu: EmulatorServer, client: Client) -> None:
    lo, hi = _history(emu)
    hi = min(hi, lo + 366 * DAY_MS - 1)  # the widest range the default range limit accepts
    r = client.get(SALES, [*_range(SALES, lo, hi), ("max_results", 5)])
    assert r.status_code == 200, r.text
    in_range = [
        s for s in emu.ground_truth("acct-1", "sales") if lo <= s["purchase"]["order_date"] <= hi
    ]
    assert r.json()["page_info"]["total_results"] == len(in_range) > 0


# --------------------------------------------------------------------------- without a socket


def _bearer(core: EmulatorCore) -> dict[str, str]:
    """A token issued directly (the token endpoint may itself fail under ``flaky``)."""
    basic = core.accounts()[0]["basic"]
    _account, body = core.auth.issue(
        {"grant_type": ["client_credentials"]}, {"authorization": f"Basic {basic}"}
    )
    return {"authorization": f"Bearer {body['access_token']}"}


def _wide_url(core: EmulatorCore) -> str:
    lo, hi = core.store.history_start_ms, core.store.now_ms
    return f"{SALES}?start_date={lo}&end_date={hi}&transaction_status=COMPLETE"


@pytest.mark.parametrize("faults", ["none", "flaky"])
def test_the_timeout_is_independent_of_the_fault_profile(faults: str) -> None:
    """Under ``flaky`` a retry may meet a transient fault first, but never a 200."""
    core = EmulatorCore(
        seed=5,
        sales=600,
        faults=faults,
        rate_limit=100_000,
        max_query_rows=LIMIT,
        max_range_days=None,
    )
    headers = _bearer(core)
    answers = [core.serve("GET", _wide_url(core), headers, b"") for _ in range(8)]
    assert all(a.status != 200 for a in answers)
    ours = [a for a in answers if QUERY_TIMEOUT_DESCRIPTION.encode() in a.body]
    assert all(a.status == 502 for a in ours)
    assert len(ours) == 8 if faults == "none" else len(ours) >= 2


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="max_query_rows"):
        EmulatorCore(sales=10, max_query_rows=0)
    assert main(["serve", "--max-query-rows", "0"]) == 2


def test_cli_flag_is_parsed() -> None:
    args: Any = build_parser().parse_args(["serve", "--max-query-rows", "5000"])
    assert args.max_query_rows == 5000
    assert build_parser().parse_args(["serve"]).max_query_rows is None
