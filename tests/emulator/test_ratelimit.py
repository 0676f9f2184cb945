"""Per-account sliding-window rate limit and its headers."""

from __future__ import annotations

import time

import requests

from hotmart_emulator import EmulatorServer

from .conftest import SALES, Client

HEADERS = (
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "X-RateLimit-Limit-Minute",
    "X-RateLimit-Remaining-Minute",
)


def test_rate_limit_headers_and_429() -> None:
    with EmulatorServer(seed=2, accounts=2, sales=100, rate_limit=5, rate_window_s=1.0) as emu:
        c1 = Client(emu, 0)  # the token request counts: 1 of 5
        remaining = []
        for _ in range(4):
            r = c1.get(SALES)
            assert r.status_code == 200
            assert all(h in r.headers for h in HEADERS)
            assert r.headers["RateLimit-Limit"] == "5"
            remaining.append(int(r.headers["RateLimit-Remaining"]))
        assert remaining == [3, 2, 1, 0]
        r = c1.get(SALES)
        assert r.status_code == 429
        assert r.json()["error"] == "too_many_requests"
        assert r.headers["RateLimit-Remaining"] == "0"
        reset = int(r.headers["RateLimit-Reset"])
        assert 1 <= reset <= 1
        # another account has its own budget
        c2 = Client(emu, 1)
        assert c2.get(SALES).status_code == 200
        # unauthenticated responses carry the headers too
        r = requests.get(emu.url + SALES, timeout=10)
        assert r.status_code == 401 and all(h in r.headers for h in HEADERS)
        time.sleep(reset)
        assert c1.get(SALES).status_code == 200
        stats = emu.stats()
        assert stats["responses"]["429"] == 1
        assert stats["by_account"]["acct-1"]["responses"]["429"] == 1
