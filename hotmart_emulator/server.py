"""HTTP front end: the request pipeline and the in-process :class:`EmulatorServer`.

Pipeline of a Hotmart request: attribute it to an account (bearer token, or credentials on
the token endpoint) -> rate limit -> fault decision -> authentication -> handler -> item
mutations (flaky) -> msgspec encoding. The control API (``/_emulator/``) bypasses rate
limits, faults and statistics.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import msgspec

from . import control
from .api import Api
from .auth import TOKEN_PATH, Auth
from .errors import ApiError, error_body
from .faults import FLAKY_TOKEN_TTL_S, HTML_PAGE, Faults
from .options import EmulatorOptions, resolve
from .ratelimit import RateLimiter
from .stats import Stats
from .store import Store

DEFAULT_TOKEN_TTL_S = 86_400.0
_encoder = msgspec.json.Encoder()


def parse_day(day: str) -> int:
    """``YYYY-MM-DD`` (midnight UTC) as epoch milliseconds."""
    d = dt.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
    return int(d.timestamp() * 1000)


class Response:
    """A response to write, or ``drop`` to close the socket without one."""

    __slots__ = ("body", "content_type", "drop", "headers", "status")

    def __init__(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json;charset=UTF-8",
        drop: bool = False,
    ) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.content_type = content_type
        self.drop = drop


class EmulatorCore:
    """Everything but the socket: store, API, auth, rate limiter, faults, statistics.

    ``options`` (default: the defaults) with ``changes`` (fields of :class:`EmulatorOptions`
    by name) applied; ``options`` keeps the result.
    """

    def __init__(self, options: EmulatorOptions | None = None, **changes: Any) -> None:
        self.options = o = resolve(options, changes)
        self.faults = Faults(o.faults, o.seed)
        self.store = Store(o.seed, o.accounts, o.sales, parse_day(o.now), o.history_days)
        self.api = Api(
            self.store,
            default_page_size=o.default_page_size,
            subscriptions_default_days=o.subscriptions_default_days,
            max_query_rows=o.max_query_rows,
            max_range_days=o.max_range_days,
            status_filter=o.status_filter,
        )
        token_ttl_s = o.token_ttl_s
        if token_ttl_s is None:
            token_ttl_s = FLAKY_TOKEN_TTL_S if o.faults == "flaky" else DEFAULT_TOKEN_TTL_S
        self.auth = Auth(
            {k: (v.a.client_id, v.a.client_secret) for k, v in self.store.accounts.items()},
            token_ttl_s,
        )
        self.limiter = RateLimiter(o.rate_limit, o.rate_window_s)
        self.stats = Stats()

    def accounts(self) -> list[dict]:
        """The accounts with their (fake) credentials, as the tap config lists them."""
        return [
            {
                "account_id": k,
                "client_id": v.a.client_id,
                "client_secret": v.a.client_secret,
                "basic": v.a.basic,
            }
            for k, v in self.store.accounts.items()
        ]

    def tap_config(self, url: str) -> dict:
        start = dt.datetime.fromtimestamp(self.store.history_start_ms / 1000, dt.timezone.utc)
        return {
            "api_url": url,
            "auth_url": url + TOKEN_PATH,
            "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "accounts": self.accounts(),
        }

    # --- request pipeline -----------------------------------------------------------
    def control(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> Response:
        try:
            status, obj = control.handle(self, method, path, query, body)
        except ApiError as exc:
            status, obj = exc.status, exc.body()
        return Response(status, _encoder.encode(obj))

    def serve(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Response:
        """Answer one Hotmart API request (``url`` is path plus query string)."""
        parts = urlsplit(url)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        is_token = path.rstrip("/") == TOKEN_PATH
        if is_token:
            ctype = headers.get("content-type", "")
            if body and "application/x-www-form-urlencoded" in ctype:
                for k, v in parse_qs(
                    body.decode("utf-8", "replace"), keep_blank_values=True
                ).items():
                    query.setdefault(k, []).extend(v)
            template = f"{method} {TOKEN_PATH}"
            account = self.auth.account_of_credentials(query, headers)
            found = None
        else:
            found = self.api.route(path)
            template = f"{method} {found[0].template}" if found else f"{method} (unknown)"
            account = self.auth.identify(headers)
        allowed, rl_headers = self.limiter.hit(account or "(anonymous)")
        decision = self.faults.decide(url)
        delay = self.options.latency_ms + decision.delay_ms
        if delay:
            time.sleep(delay / 1000)
        resp = self._answer(
            method=method,
            path=path,
            query=query,
            headers=headers,
            account=account,
            found=found,
            is_token=is_token,
            allowed=allowed,
            decision=decision,
        )
        resp.headers = {**rl_headers, **resp.headers}
        self.stats.record(template, "dropped" if resp.drop else resp.status, account)
        return resp

    def _answer(
        self,
        *,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        account: str | None,
        found: Any,
        is_token: bool,
        allowed: bool,
        decision: Any,
    ) -> Response:
        failure = decision.failure
        if failure == "drop":
            return Response(0, b"", drop=True)
        if failure in ("500", "502", "503"):
            return _error(
                int(failure),
                "internal_server_error",
                "An unexpected error occurred, try again later.",
            )
        if failure == "html":
            return Response(502, HTML_PAGE, content_type="text/html")
        if failure == "429" or not allowed:
            r = _error(429, "too_many_requests", "Rate limit exceeded, try again later.")
            if failure == "429":
                r.headers = self.limiter.headers(0, 1)
            return r
        try:
            if is_token:
                if method != "POST":
                    raise ApiError(405, "method_not_allowed", "Use POST")
                _acct, obj = self.auth.issue(query, headers)
            else:
                if found is None:
                    raise ApiError(404, "not_found", f"No endpoint {path}")
                if method != "GET":
                    raise ApiError(405, "method_not_allowed", f"{method} is not allowed")
                account = self.auth.require(headers)
                route, params = found
                obj = self.api.call(route, account, query, params)
                if decision.mutate_seed is not None:
                    obj = Faults.mutate(obj, decision.mutate_seed)
        except ApiError as exc:
            return _error(exc.status, exc.error, exc.description)
        data = _encoder.encode(obj)
        if failure == "truncate":
            data = data[: max(1, len(data) // 2)]
        return Response(200, data)


def _error(status: int, error: str, description: str) -> Response:
    return Response(status, _encoder.encode(error_body(error, description)))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # header and body go out in separate writes
    server_version = "hotmart-emulator"
    sys_version = ""
    core: EmulatorCore  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging (it would dominate the cost of a request)."""

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path.startswith("/_emulator/"):
            parts = urlsplit(self.path)
            resp = self.core.control(method, parts.path, parse_qs(parts.query), body)
        else:
            resp = self.core.serve(method, self.path, headers, body)
        if resp.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(resp.body)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class EmulatorServer:
    """The emulator in a background thread: ``with EmulatorServer(...) as emu: emu.url``.

    Takes what :class:`EmulatorCore` takes; ``port`` of the options is where it listens.
    """

    def __init__(self, options: EmulatorOptions | None = None, **changes: Any) -> None:
        self.core = EmulatorCore(options, **changes)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> EmulatorServer:
        handler = type("Handler", (_Handler,), {"core": self.core})
        self._httpd = _Server(("127.0.0.1", self.core.options.port), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="hotmart-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (the CLI)."""
        assert self._httpd is not None, "call start() first"
        assert self._thread is not None
        self._thread.join()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tap_config(self) -> dict:
        """The tap config ``--write-config`` writes."""
        return self.core.tap_config(self.url)

    def accounts(self) -> list[dict]:
        return self.core.accounts()

    def ground_truth(self, account_id: str, entity: str) -> Any:
        """Items (list) of an entity in latest state, or the ``sales_summary`` dict."""
        body = control.ground_truth(self.core.api, account_id, entity)
        return body if entity == "sales_summary" else body["items"]

    def advance(self, days: float) -> dict:
        return self.core.store.advance(days)

    def inject(self, account_id: str, transaction: str, status: str) -> dict:
        return self.core.store.inject(account_id, transaction, status)

    def stats(self) -> dict:
        return self.core.stats.snapshot()

    def reset_stats(self) -> None:
        self.core.stats.reset()

    @property
    def now_ms(self) -> int:
        return self.core.store.now_ms
