"""Token endpoint and bearer checks, as Hotmart does them."""

from __future__ import annotations

import base64
import time

import requests

from hotmart_emulator import EmulatorServer

from .conftest import SALES, Client

UNAUTHORIZED = "Full authentication is required to access this resource."


def _credentials(account: dict) -> dict[str, str]:
    """The client-credentials grant of one account, as the token endpoint reads it."""
    return {
        "grant_type": "client_credentials",
        "client_id": account["client_id"],
        "client_secret": account["client_secret"],
    }


def _auth_url(emu: EmulatorServer) -> str:
    return emu.tap_config()["auth_url"]


def test_token_with_query_credentials_and_basic(emu: EmulatorServer) -> None:
    a = emu.tap_config()["accounts"][0]
    r = requests.post(
        _auth_url(emu),
        params=_credentials(a),
        headers={"Authorization": f"Basic {a['basic']}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "jti"}
    assert body["token_type"] == "bearer"
    assert body["scope"] == "read write"
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 3600


def test_token_with_form_body(emu: EmulatorServer) -> None:
    a = emu.tap_config()["accounts"][1]
    r = requests.post(
        _auth_url(emu),
        data=_credentials(a),
        timeout=10,
    )
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    r2 = requests.get(emu.url + SALES, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r2.status_code == 200
    assert emu.stats()["by_account"]["acct-2"]["requests"]


def test_token_with_basic_only(emu: EmulatorServer) -> None:
    a = emu.tap_config()["accounts"][0]
    basic = base64.b64encode(f"{a['client_id']}:{a['client_secret']}".encode()).decode()
    assert basic == a["basic"]
    r = requests.post(
        _auth_url(emu),
        params={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
        timeout=10,
    )
    assert r.status_code == 200


def test_bad_credentials_are_401_json(emu: EmulatorServer) -> None:
    a = emu.tap_config()["accounts"][0]
    r = requests.post(
        _auth_url(emu),
        params={**_credentials(a), "client_secret": "wrong"},
        timeout=10,
    )
    assert r.status_code == 401
    assert set(r.json()) == {"error", "error_description", "error_uri"}
    # a Basic key of another account contradicts the query credentials
    b = emu.tap_config()["accounts"][1]
    r = requests.post(
        _auth_url(emu),
        params=_credentials(a),
        headers={"Authorization": f"Basic {b['basic']}"},
        timeout=10,
    )
    assert r.status_code == 401
    r = requests.post(
        _auth_url(emu),
        params={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic bm90OmFuYWNjb3VudA=="},
        timeout=10,
    )
    assert r.status_code == 401


def test_missing_and_invalid_bearer(emu: EmulatorServer) -> None:
    r = requests.get(emu.url + SALES, timeout=10)
    assert r.status_code == 401
    assert r.json()["error"] == "unauthorized"
    assert r.json()["error_description"] == UNAUTHORIZED
    assert r.json()["error_uri"].startswith("https://developers.hotmart.com/")
    r = requests.get(emu.url + SALES, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_token"


def test_every_api_endpoint_requires_a_bearer(emu: EmulatorServer) -> None:
    for path in (
        "/payments/api/v1/sales/summary",
        "/payments/api/v1/subscriptions",
        "/payments/api/v1/subscriptions/ABCDEFGH/purchases",
        "/products/api/v1/products",
        "/products/api/v1/coupon/product/1",
    ):
        assert requests.get(emu.url + path, timeout=10).status_code == 401, path


def test_expired_token_is_token_expired() -> None:
    with EmulatorServer(seed=1, sales=50, token_ttl_s=0.3) as emu:
        c = Client(emu)
        assert c.get(SALES).status_code == 200
        time.sleep(0.35)
        r = c.get(SALES)
        assert r.status_code == 401
        assert r.json()["error"] == "token_expired"
        c.token = c.fetch_token()
        assert c.get(SALES).status_code == 200
        assert emu.stats()["responses"]["401"] == 1
