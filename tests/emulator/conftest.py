"""Fixtures for the emulator contract tests: small in-process emulators and a raw client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from hotmart_emulator import EmulatorServer
from hotmart_emulator.enums import TRANSACTION_STATUSES

SALES = "/payments/api/v1/sales/history"


class Client:
    """A raw HTTP client for one account: token, GET with bearer, paging."""

    def __init__(self, emu: EmulatorServer, account_index: int = 0) -> None:
        self.emu = emu
        self.account = emu.tap_config()["accounts"][account_index]
        self.session = requests.Session()
        self.token = self.fetch_token()

    def fetch_token(self) -> str:
        a = self.account
        r = self.session.post(
            self.emu.tap_config()["auth_url"],
            params={
                "grant_type": "client_credentials",
                "client_id": a["client_id"],
                "client_secret": a["client_secret"],
            },
            headers={"Authorization": f"Basic {a['basic']}"},
            timeout=10,
        )
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def get(self, path: str, params: object = None) -> requests.Response:
        return self.session.get(
            self.emu.url + path,
            params=params,  # type: ignore[arg-type]
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )

    def all_pages(
        self, path: str, params: list[tuple[str, object]] | None = None, size: int = 500
    ) -> list[dict]:
        """Every item of a paginated endpoint, following ``next_page_token``."""
        items: list[dict] = []
        token = None
        for _ in range(10_000):
            p = [*(params or []), ("max_results", size)]
            if token:
                p.append(("page_token", token))
            r = self.get(path, p)
            assert r.status_code == 200, r.text
            body = r.json()
            items.extend(body["items"])
            token = body["page_info"].get("next_page_token")
            if not token:
                return items
        raise AssertionError("paging never ended")


def all_status_params() -> list[tuple[str, object]]:
    return [("transaction_status", s) for s in TRANSACTION_STATUSES]


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    """A read-only emulator shared by a module (never advanced or injected)."""
    with EmulatorServer(seed=7, accounts=2, sales=2000, rate_limit=100_000) as server:
        yield server


@pytest.fixture(scope="module")
def client(emu: EmulatorServer) -> Client:
    return Client(emu)
