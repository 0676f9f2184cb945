"""The account's token manager is a Singer SDK authenticator that keeps secrets to itself."""

from __future__ import annotations

import requests
from singer_sdk.authenticators import APIAuthenticatorBase

from tests.tap.stub import BASIC, FAKE_STUB_SECRET, page, stub_stream


def test_api_requests_carry_the_account_s_bearer_token_set_by_the_authenticator(stub) -> None:
    url, script = stub
    script.answers = [page([{"id": 1}])]
    stream, client = stub_stream(url)
    assert isinstance(client.tokens, APIAuthenticatorBase)
    request = client.tokens(requests.Request("GET", f"{url}/p").prepare())
    assert request.headers["Authorization"] == "Bearer tok-1"
    assert [items for items, _ in stream.iter_pages(client, "/p", {})] == [[{"id": 1}]]
    assert script.tokens_issued == 1, "one token for the account, reused"


def test_the_basic_key_and_the_secret_stay_out_of_the_authenticator_s_headers() -> None:
    _, client = stub_stream("http://127.0.0.1:9")
    exposed = repr((client.tokens.auth_headers, client.tokens.auth_params, vars(client.tokens)))
    assert BASIC not in exposed
    assert FAKE_STUB_SECRET not in exposed
