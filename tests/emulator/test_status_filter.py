"""``status_filter``: which values of a repeated ``transaction_status`` the sales endpoints honour.

One source says Hotmart honours every value of the repeated key (hotmart-api-facts.md §2.6, M):
``repeated``, the default. ``first`` honours the first value only, so that a client can be
tested against that source being wrong.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotmart_emulator import EmulatorOptions, EmulatorServer
from hotmart_emulator.api import Api
from hotmart_emulator.cli import build_parser
from hotmart_emulator.enums import TRANSACTION_STATUSES
from hotmart_emulator.options import from_namespace

from .conftest import Client, all_status_params
from .test_range_limit import SALES_FAMILY


def _total(client: Client, path: str, statuses: list[str]) -> int:
    params = [("max_results", 1), *(("transaction_status", s) for s in statuses)]
    r = client.get(path, params)
    assert r.status_code == 200, r.text
    return r.json()["page_info"]["total_results"]


@pytest.fixture(scope="module")
def first_only() -> Iterator[EmulatorServer]:
    with EmulatorServer(seed=7, sales=800, rate_limit=100_000, status_filter="first") as server:
        yield server


def test_every_value_is_honoured_by_default(client: Client) -> None:
    assert EmulatorOptions().status_filter == "repeated"
    each = [_total(client, SALES_FAMILY[0], [s]) for s in TRANSACTION_STATUSES]
    assert sum(1 for n in each if n) >= 2, "the data must have several statuses"
    assert _total(client, SALES_FAMILY[0], list(TRANSACTION_STATUSES)) == sum(each)


@pytest.mark.parametrize("path", SALES_FAMILY[:4])
def test_first_honours_only_the_first_value(first_only: EmulatorServer, path: str) -> None:
    client = Client(first_only)
    approved = _total(client, path, ["APPROVED"])
    refunded = _total(client, path, ["REFUNDED"])
    assert approved and refunded
    assert _total(client, path, ["APPROVED", "REFUNDED"]) == approved
    assert _total(client, path, ["REFUNDED", "APPROVED"]) == refunded
    items = client.all_pages(path, all_status_params())
    assert len(items) == approved  # every status asked, APPROVED only answered


def test_first_still_refuses_an_unknown_later_value(first_only: EmulatorServer) -> None:
    r = Client(first_only).get(
        SALES_FAMILY[0], [("transaction_status", "APPROVED"), ("transaction_status", "FOO")]
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_parameter"


def test_the_flag_and_its_values() -> None:
    parse = build_parser().parse_args
    assert from_namespace(parse(["serve", "--status-filter", "first"])).status_filter == "first"
    with pytest.raises(SystemExit):
        parse(["serve", "--status-filter", "last"])
    with pytest.raises(ValueError, match="status_filter"):
        Api(EmulatorServer(sales=10).core.store, status_filter="last")
