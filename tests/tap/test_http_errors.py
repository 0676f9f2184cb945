"""How the tap reads bad answers: retry what is transient, stop with one clear line on
what is not, tolerate what can be tolerated. A scripted local server plays Hotmart."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from singer_sdk.exceptions import RetriableAPIError

from tap_hotmart.errors import HotmartAPIError, HotmartAuthError, PagingLoopError
from tap_hotmart.tap import TapHotmart

SECRET = "stub-secret-0123456789"
BASIC = base64.b64encode(f"stub-id:{SECRET}".encode()).decode()

Answer = tuple[int, str, str]  # status, content type, body
JSON = "application/json"


class Script:
    """Answers to send, in order, for API calls (token calls always succeed)."""

    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.token_rate_limited = 0  # how many token requests answer 429 first
        self.tokens_issued = 0
        self.api_calls = 0


@pytest.fixture
def stub() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(
            self, status: int, content_type: str, body: str, headers: dict | None = None
        ) -> None:
            data = body.encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            if script.token_rate_limited:
                script.token_rate_limited -= 1
                reset = {"RateLimit-Remaining": "0", "RateLimit-Reset": "0.05"}
                self._send(429, JSON, json.dumps({"error": "too_many_requests"}), reset)
                return
            script.tokens_issued += 1
            token = {"access_token": f"tok-{script.tokens_issued}", "expires_in": 3600}
            self._send(200, JSON, json.dumps(token))

        def do_GET(self) -> None:
            script.api_calls += 1
            self._send(*script.answers.pop(0))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", script
    server.shutdown()


def _stream(url: str):
    tap = TapHotmart(
        config={
            "client_id": "stub-id",
            "client_secret": SECRET,
            "basic": BASIC,
            "api_url": url,
            "auth_url": f"{url}/security/oauth/token",
        },
        parse_env_config=False,
    )
    stream = tap.streams["products"]
    stream.backoff_wait_generator = lambda: (0.0 for _ in range(100))  # retry at once
    return stream, tap.client("default")


def _page(items: list, next_token: str | None = None) -> Answer:
    info = {"next_page_token": next_token} if next_token else {}
    return 200, JSON, json.dumps({"items": items, "page_info": info})


def _read_all(stream, client) -> list[dict]:
    return [item for items, _ in stream.iter_pages(client, "/p", {}) for item in items]


def test_html_error_page_and_truncated_json_are_retried(stub) -> None:
    url, script = stub
    script.answers = [
        (502, "text/html", "<html><body>Bad Gateway</body></html>"),
        (200, JSON, '{"items": [{"id": 1'),
        _page([{"id": 1}]),
    ]
    stream, client = _stream(url)
    assert _read_all(stream, client) == [{"id": 1}]
    assert script.api_calls == 3


def test_client_error_is_one_line_with_hotmarts_explanation(stub) -> None:
    url, script = stub
    body = {"error": "invalid_parameter", "error_description": "Invalid value for status"}
    script.answers = [(400, JSON, json.dumps(body))]
    stream, client = _stream(url)
    with pytest.raises(HotmartAPIError) as info:
        _read_all(stream, client)
    message = str(info.value)
    assert message == (
        "Account 'default', GET /p: HTTP 400 invalid_parameter: Invalid value for status"
    )
    assert SECRET not in message


def test_expired_token_is_refreshed_once(stub) -> None:
    url, script = stub
    expired = (401, JSON, json.dumps({"error": "token_expired"}))
    script.answers = [expired, _page([{"id": 7}])]
    stream, client = _stream(url)
    assert _read_all(stream, client) == [{"id": 7}]
    assert script.tokens_issued == 2
    script.answers = [expired, expired]
    with pytest.raises(HotmartAuthError):
        _read_all(stream, client)


def test_repeated_page_token_is_an_error_not_a_loop(stub) -> None:
    url, script = stub
    script.answers = [_page([{"id": 1}], "T1"), _page([{"id": 2}], "T1")]
    stream, client = _stream(url)
    with pytest.raises(PagingLoopError):
        _read_all(stream, client)


def test_odd_items_are_tolerated_but_a_page_without_items_is_not(stub) -> None:
    url, script = stub
    script.answers = [
        (200, JSON, json.dumps({"items": [{"id": 3, "surprise": {"new": True}}, 42, None]})),
        (200, JSON, json.dumps({"items": "not a list", "page_info": None})),
        _page([{"id": 4}]),
        *[(200, JSON, json.dumps({"page_info": {}}))] * 8,
    ]
    stream, client = _stream(url)
    assert _read_all(stream, client) == [{"id": 3, "surprise": {"new": True}}]
    assert _read_all(stream, client) == [{"id": 4}], "a page without items is retried"
    with pytest.raises(RetriableAPIError, match="no list of items"):
        _read_all(stream, client)


def test_persistent_server_errors_give_up(stub) -> None:
    url, script = stub
    script.answers = [(503, JSON, json.dumps({"error": "internal_server_error"}))] * 8
    stream, client = _stream(url)
    with pytest.raises(RetriableAPIError, match="HTTP 503 internal_server_error"):
        _read_all(stream, client)


def test_rate_limited_token_requests_wait_for_the_reset(stub) -> None:
    url, script = stub
    script.token_rate_limited = 6  # more than the token's failure attempts
    script.answers = [_page([{"id": 9}])]
    stream, client = _stream(url)
    assert _read_all(stream, client) == [{"id": 9}]
    assert script.tokens_issued == 1
