"""A scripted local server that plays Hotmart, and a tap stream pointed at it.

Shared by the tests of bad answers (`test_http_errors`) and of unreachable hosts
(`test_reach`); the `stub` fixture (conftest.py) starts one per test.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tap_hotmart.client import HotmartStream
from tap_hotmart.http import AccountClient
from tap_hotmart.tap import TapHotmart

FAKE_STUB_SECRET = "fake-stub-secret-0123456789"  # test data
BASIC = base64.b64encode(f"stub-id:{FAKE_STUB_SECRET}".encode()).decode()

Answer = tuple[int, str, str]  # status, content type, body
JSON = "application/json"


class Script:
    """Answers to send, in order, for API calls (token calls always succeed)."""

    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.token_rate_limited = 0  # how many token requests answer 429 first
        self.tokens_issued = 0
        self.api_calls = 0
        self.close = lambda: None  # stops the server: later connections are refused


@contextmanager
def serve(script: Script) -> Iterator[str]:
    """Serve `script` on a free local port; yield the server's URL."""

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

    def close() -> None:
        server.shutdown()
        server.server_close()

    script.close = close
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        close()


def stub_stream(url: str, name: str = "products") -> tuple[HotmartStream, AccountClient]:
    """A stream of a tap configured for the stub, retrying at once (no wait, no jitter)."""
    tap = TapHotmart(
        config={
            "client_id": "stub-id",
            "client_secret": FAKE_STUB_SECRET,
            "basic": BASIC,
            "api_url": url,
            "auth_url": f"{url}/security/oauth/token",
        },
        parse_env_config=False,
    )
    stream = tap.streams[name]
    stream.backoff_wait_generator = lambda: (0.0 for _ in range(100))  # type: ignore[method-assign]
    stream.backoff_jitter = lambda value: value  # type: ignore[method-assign]
    return stream, tap.client("default")


def page(items: list, next_token: str | None = None) -> Answer:
    info = {"next_page_token": next_token} if next_token else {}
    return 200, JSON, json.dumps({"items": items, "page_info": info})
