"""``max_range_days``: Hotmart refuses too wide date ranges of the sales endpoints with a 400.

A public client probed `sales/history` in July 2026: a 12-month range was accepted, a 2-year
range answered 400 (hotmart-api-facts.md §6 item 7, one source, M). The body of that 400
was not recorded; the emulator's says the range is too wide, in Hotmart's error envelope.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hotmart_emulator import EmulatorOptions, EmulatorServer
from hotmart_emulator.api import DEFAULT_MAX_RANGE_DAYS, range_too_wide_description
from hotmart_emulator.cli import build_parser, main
from hotmart_emulator.data import DAY_MS
from hotmart_emulator.errors import ERROR_URI
from hotmart_emulator.process import serve_args
from hotmart_emulator.server import EmulatorCore

from .conftest import SALES, Client, all_status_params

SALES_FAMILY = (
    SALES,
    "/payments/api/v1/sales/users",
    "/payments/api/v1/sales/commissions",
    "/payments/api/v1/sales/price/details",
    "/payments/api/v1/sales/summary",
)


def _days(lo: int, days: float) -> list[tuple[str, object]]:
    """An inclusive range of exactly ``days`` days from ``lo``, every status."""
    return [("start_date", lo), ("end_date", lo + int(days * DAY_MS) - 1), *all_status_params()]


@pytest.mark.parametrize("path", SALES_FAMILY)
def test_a_range_over_366_days_is_refused_with_a_400(
    emu: EmulatorServer, client: Client, path: str
) -> None:
    lo = emu.core.store.history_start_ms
    assert DEFAULT_MAX_RANGE_DAYS == 366
    r = client.get(path, _days(lo, 366 + 1 / 24))  # an hour too long
    assert r.status_code == 400, r.text
    assert r.json() == {
        "error": "invalid_parameter",
        "error_description": range_too_wide_description(366),
        "error_uri": ERROR_URI,
    }
    assert "range is too wide" in r.json()["error_description"]
    ok = client.get(path, _days(lo, 366))
    assert ok.status_code == 200, ok.text


def test_the_limit_is_on_the_span_not_the_rows(emu: EmulatorServer, client: Client) -> None:
    """Unlike the query timeout, the same 2-year span is refused even for a rare status."""
    lo = emu.core.store.history_start_ms
    params = [
        ("start_date", lo),
        ("end_date", lo + 730 * DAY_MS),
        ("transaction_status", "CHARGEBACK"),
    ]
    assert client.get(SALES, params).status_code == 400
    # one bound only, or a lookup by code: not limited
    assert client.get(SALES, [("start_date", 0), *all_status_params()]).status_code == 200
    assert client.get(SALES, [("end_date", emu.now_ms), *all_status_params()]).status_code == 200


def test_subscription_endpoints_have_no_range_limit(emu: EmulatorServer, client: Client) -> None:
    """Hotmart's own sample asks subscription transactions for 15 years (facts §4.2, M)."""
    lo, hi = emu.core.store.history_start_ms, emu.now_ms
    subs = client.get(
        "/payments/api/v1/subscriptions", [("accession_date", lo), ("end_accession_date", hi)]
    )
    assert subs.status_code == 200, subs.text
    tx = client.get(
        "/payments/api/v1/subscriptions/transactions",
        [("transaction_date", lo), ("end_transaction_date", hi)],
    )
    assert tx.status_code == 200, tx.text


def test_the_limit_is_configurable_and_can_be_switched_off() -> None:
    narrow = EmulatorCore(seed=3, sales=50, max_range_days=30)
    off = EmulatorCore(seed=3, sales=50, max_range_days=None)
    assert narrow.api.max_range_days == 30 and off.api.max_range_days is None
    assert EmulatorCore(seed=3, sales=50).api.max_range_days == DEFAULT_MAX_RANGE_DAYS
    with pytest.raises(ValueError, match="max_range_days"):
        EmulatorCore(seed=3, sales=50, max_range_days=0)
    with EmulatorServer(seed=3, sales=200, max_range_days=30, rate_limit=100_000) as emu:
        client = Client(emu)
        lo = emu.core.store.history_start_ms
        assert client.get(SALES, _days(lo, 31)).status_code == 400
        assert client.get(SALES, _days(lo, 30)).status_code == 200


def test_the_cli_flag() -> None:
    parser = build_parser()
    assert parser.parse_args(["serve"]).max_range_days == DEFAULT_MAX_RANGE_DAYS
    assert parser.parse_args(["serve", "--max-range-days", "0"]).max_range_days == 0
    assert main(["serve", "--max-range-days", "-1"]) == 2
    common: dict[str, Any] = dict(seed=0, accounts=1, sales=1, faults="none", rate_limit=1,
                                  latency_ms=0, port=0, max_query_rows=None)  # fmt: skip
    args = serve_args(EmulatorOptions(max_range_days=90, **common), Path("c.json"))
    assert args[-2:] == ["--max-range-days", "90"]
    assert "--max-range-days" not in serve_args(EmulatorOptions(**common), Path("c.json"))
