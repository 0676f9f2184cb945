"""A scripted Hotmart for CLI-level tests: answers queued per path, empty pages otherwise."""

from __future__ import annotations

import base64
import json
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JSON = "application/json"
HTML = "text/html"
TOKEN_PATH = "/security/oauth/token"
CLIENT_ID = "stub-client-id"
# Real-looking secrets, so a leak would be visible in any output.
CLIENT_SECRET = "stub-Cl13ntS3cret-8f2e41d0a7"
BASIC = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()

Answer = tuple[int, str, str]  # status, content type, body


def page(items: list, next_token: str | None = None) -> Answer:
    info = {"next_page_token": next_token} if next_token else {}
    return 200, JSON, json.dumps({"items": items, "page_info": info})


def error(status: int, code: str, description: str = "") -> Answer:
    return status, JSON, json.dumps({"error": code, "error_description": description})


@dataclass
class Stub:
    """Queued answers per path (prefix) and what was asked."""

    url: str = ""
    #: (path prefix, text the query string must contain) -> answers, in order
    answers: dict[tuple[str, str], list[Answer]] = field(default_factory=lambda: defaultdict(list))
    token_answers: list[Answer] = field(default_factory=list)
    tokens_issued: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def queue(self, path: str, *answers: Answer, when: str = "") -> None:
        """Answer the next requests of `path` (whose query contains `when`) with these."""
        self.answers[(path, when)].extend(answers)

    def answer(self, path: str, query: str) -> Answer:
        for (prefix, when), queued in self.answers.items():
            if path.startswith(prefix) and when in query and queued:
                return queued.pop(0)
        return page([])

    def config(self, **extra: object) -> dict:
        config = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "basic": BASIC,
            "account_id": "shop",
            "api_url": self.url,
            "auth_url": self.url + TOKEN_PATH,
            # One 14-day window per date-filtered stream: a handful of requests a run.
            "start_date": "2026-10-01T00:00:00Z",
            "end_date": "2026-10-15T00:00:00Z",
        }
        config.update(extra)
        return config

    def secrets(self) -> list[str]:
        return [CLIENT_SECRET, BASIC, *self.tokens_issued]


@contextmanager
def running_stub() -> Iterator[Stub]:
    stub = Stub()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, answer: Answer) -> None:
            status, content_type, body = answer
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            if stub.token_answers:
                self._send(stub.token_answers.pop(0))
                return
            token = f"stub-at-{len(stub.tokens_issued)}-5d1c0ffee0ddba11"
            stub.tokens_issued.append(token)
            self._send((200, JSON, json.dumps({"access_token": token, "expires_in": 3600})))

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            stub.calls.append(path)
            self._send(stub.answer(path, query))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
