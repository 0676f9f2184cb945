"""The ``flaky`` fault profile: deterministic, bounded, survivable."""

from __future__ import annotations

import http.client
import json
import time
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import requests

from hotmart_emulator import EmulatorServer
from hotmart_emulator.faults import FLAKY_FAILURES, Faults

from .conftest import SALES, all_status_params


class RetryingClient:
    """What a robust client does: retry transient failures (up to 5 attempts)."""

    def __init__(self, emu: EmulatorServer, account_index: int = 0) -> None:
        self.emu = emu
        self.account = emu.tap_config()["accounts"][account_index]
        self.seen: Counter[str] = Counter()
        self.token = self._with_retries(self._token)

    def _token(self) -> requests.Response:
        a = self.account
        return requests.post(
            self.emu.tap_config()["auth_url"],
            params={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {a['basic']}"},
            timeout=10,
        )

    def _with_retries(self, call):
        for _attempt in range(5):
            try:
                r = call()
            except requests.ConnectionError:
                self.seen["dropped"] += 1
                continue
            if r.status_code == 429:
                self.seen["429"] += 1
                assert "RateLimit-Reset" in r.headers
                continue
            if r.status_code >= 500:
                self.seen["5xx" if "json" in r.headers["Content-Type"] else "html"] += 1
                continue
            try:
                body = r.json()
            except ValueError:
                self.seen["truncated"] += 1
                continue
            assert r.status_code == 200, r.text
            if isinstance(body, dict) and "access_token" in body:
                return body["access_token"]
            return body
        raise AssertionError("a URL failed 5 times in a row")

    def all_pages(self, path: str, params: list[tuple[str, object]]) -> list[dict]:
        items: list[dict] = []
        token = None
        while True:
            p = [*params, ("max_results", 100)] + ([("page_token", token)] if token else [])
            url = f"{self.emu.url}{path}?{urlencode(p)}"
            body = self._with_retries(
                lambda url=url: requests.get(
                    url, headers={"Authorization": f"Bearer {self.token}"}, timeout=10
                )
            )
            items.extend(body["items"])
            token = body["page_info"].get("next_page_token")
            if not token:
                return items


@pytest.fixture(scope="module")
def flaky() -> Iterator[EmulatorServer]:
    with EmulatorServer(seed=5, accounts=1, sales=3000, faults="flaky", rate_limit=100_000) as emu:
        yield emu


def test_decisions_are_pure_and_never_fail_three_times_in_a_row() -> None:
    a, b = Faults("flaky", 1), Faults("flaky", 1)
    kinds: Counter[str] = Counter()
    for n in range(3000):
        url = f"/payments/api/v1/sales/history?page={n}"
        streak = 0
        for _attempt in range(6):
            d = a.decide(url)
            assert d == b.decide(url)
            streak = streak + 1 if d.failure else 0
            assert streak <= 2
            kinds[d.failure or "ok"] += 1
    assert set(kinds) == {"ok", *(k for k, _p in FLAKY_FAILURES)}
    # a different seed gives different fates
    c = Faults("flaky", 2)
    fates_a = [Faults("flaky", 1).decide(f"/x?{n}").failure for n in range(500)]
    fates_c = [c.decide(f"/x?{n}").failure for n in range(500)]
    assert fates_a != fates_c
    assert Faults("none", 1).decide("/x").failure is None


def test_flaky_client_with_retries_gets_exact_ground_truth(flaky: EmulatorServer) -> None:
    client = RetryingClient(flaky)
    got = client.all_pages(SALES, all_status_params())
    truth = flaky.ground_truth("acct-1", "sales")
    assert [i["purchase"]["transaction"] for i in got] == [
        i["purchase"]["transaction"] for i in truth
    ]
    by_code = {i["purchase"]["transaction"]: i for i in truth}
    extra = nulls = 0
    for item in got:
        want = by_code[item["purchase"]["transaction"]]
        p, w = item["purchase"], want["purchase"]
        # never null: keys, statuses, filter dates, amounts
        for key in ("transaction", "status", "order_date", "price", "hotmart_fee"):
            assert p[key] == w[key]
        assert item["product"]["id"] == want["product"]["id"]
        extra += "emulator_unknown_field" in item
        nulls += json.dumps(item).count("null") > json.dumps(want).count("null")
    assert extra > 0 and nulls > 0
    assert sum(client.seen.values()) > 0  # the client did have to retry


def test_every_fault_kind_happens_over_http(flaky: EmulatorServer) -> None:
    client = RetryingClient(flaky)
    flaky.reset_stats()
    kinds: Counter[str] = Counter()
    for n in range(400):
        conn = http.client.HTTPConnection("127.0.0.1", flaky.port, timeout=10)
        try:
            conn.request(
                "GET",
                f"{SALES}?max_results=1&n={n}",
                headers={"Authorization": f"Bearer {client.token}"},
            )
            r = conn.getresponse()
            body = r.read()
            ctype = r.getheader("Content-Type")
            if r.status == 200:
                try:
                    json.loads(body)
                    kinds["ok"] += 1
                except ValueError:
                    kinds["truncated"] += 1
            elif ctype.startswith("text/html"):
                kinds["html"] += 1
            else:
                kinds[str(r.status)] += 1
                assert json.loads(body)["error"] in ("internal_server_error", "too_many_requests")
                if r.status == 429:
                    assert r.getheader("RateLimit-Reset") == "1"
        except (http.client.RemoteDisconnected, ConnectionError):
            kinds["dropped"] += 1
        finally:
            conn.close()
    assert {"ok", "500", "502", "503", "429", "dropped", "html", "truncated"} <= set(kinds)
    assert kinds["ok"] > 300
    stats = flaky.stats()["responses"]
    assert stats["dropped"] == kinds["dropped"]
    assert stats["5xx"] == kinds["500"] + kinds["502"] + kinds["503"] + kinds["html"]
    assert stats["429"] == kinds["429"]


def test_flaky_token_lifetime_is_short(flaky: EmulatorServer) -> None:
    client = RetryingClient(flaky)
    assert client.token
    a = flaky.tap_config()["accounts"][0]
    for _ in range(5):
        r = requests.post(
            flaky.tap_config()["auth_url"] + "?grant_type=client_credentials",
            headers={"Authorization": f"Basic {a['basic']}"},
            timeout=10,
        )
        if r.status_code == 200 and r.headers["Content-Type"].startswith("application/json"):
            try:
                assert r.json()["expires_in"] == 20
                return
            except ValueError:
                pass
    raise AssertionError("no token in 5 attempts")


def test_same_url_same_fate_across_servers() -> None:
    fates = []
    for _ in range(2):
        with EmulatorServer(seed=77, sales=100, faults="flaky") as emu:
            outcomes = []
            for n in range(40):
                conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
                try:
                    conn.request("GET", f"{SALES}?page_n={n}")
                    outcomes.append(conn.getresponse().status)
                except (http.client.RemoteDisconnected, ConnectionError):
                    outcomes.append("dropped")
                finally:
                    conn.close()
            fates.append(outcomes)
    assert fates[0] == fates[1]
    assert set(fates[0]) != {401}  # some requests failed before authentication


def test_faults_never_touch_the_control_api(flaky: EmulatorServer) -> None:
    t0 = time.monotonic()
    for _ in range(150):
        r = requests.get(flaky.url + "/_emulator/health", timeout=10)
        assert r.status_code == 200 and r.json()["status"] == "ok"
    assert time.monotonic() - t0 < 10
