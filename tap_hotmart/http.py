"""One Hotmart account's HTTP access: rate limit, bearer token, Hotmart's error bodies.

Every stream and worker thread of an account goes through its `AccountClient`, so the
account's request budget and token are shared. The streams' `validate_response` decides
what each answer means (with `answer` and `error_fields` here); `retries` decides what is
tried again and how often. The SDK's backoff around
`AccountClient.get_page` retries the failures; the waits after a 429, and the one new
token after a 401 for an expired one, are here.
"""

from __future__ import annotations

import decimal
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import msgspec
import requests

from tap_hotmart.accounts import Account
from tap_hotmart.auth import TokenManager
from tap_hotmart.errors import HotmartAPIError, HotmartAuthError, TransientAPIError
from tap_hotmart.ratelimit import RateLimiter
from tap_hotmart.reach import HostReach, timeouts
from tap_hotmart.retries import (
    EXPIRED_TOKEN_ERRORS,
    MAX_RATE_LIMIT_WAITS,
    RateLimitWaits,
)

# Amounts must stay exact: every JSON number with a fraction becomes a Decimal. Pages are
# decoded here rather than by the SDK's `parse_response` (`json` with Decimal floats, then
# JSONPath): on 500-item pages that costs 26 us of CPU per sales/history record (31 on
# sales/users) against 9 us (18) for the check and decoding below, with the tap's whole
# cost ~60 us per record (2026-12-01, the shared 2-CPU VM).
_DECODER = msgspec.json.Decoder(float_hook=decimal.Decimal)
#: The tap's logger (the SDK names it after the tap).
_LOG = logging.getLogger("tap-hotmart")


class _LazyPage(msgspec.Struct):
    """A paged body whose items stay JSON text (checked, not decoded) until emitted.

    Decoded items take about 4.5 times the memory of their JSON; pages fetched ahead of
    the window being emitted wait in this form.
    """

    items: msgspec.Raw  # required: a body without items is decoded whole (and refused)
    page_info: dict = {}


_LAZY_DECODER = msgspec.json.Decoder(_LazyPage, float_hook=decimal.Decimal)


def decode_items(items: Any) -> Any:
    """The items of a page fetched with `lazy_items`, decoded (a no-op if they already are)."""
    return _DECODER.decode(items) if isinstance(items, msgspec.Raw) else items


#: A request's query; a None value leaves that parameter out (`requests` drops it), e.g. a
#: stream's status filter on a read by transaction code.
Params = Mapping[str, str | int | Sequence[str] | None]


class AccountClient:
    """Sends GET requests to Hotmart on behalf of one account."""

    def __init__(
        self,
        account: Account,
        api_url: str,
        auth_url: str,
        requests_per_minute: int,
        user_agent: str,
        *,
        reach: HostReach,
        max_in_flight: int | None = None,
    ) -> None:
        self.account = account
        self.api_url = api_url.rstrip("/")
        self.limiter = RateLimiter(requests_per_minute, max_in_flight=max_in_flight)
        self.reach = reach  # shared by every account: which hosts answered in this run
        self._user_agent = user_agent
        self._local = threading.local()
        self.tokens = TokenManager(
            account, auth_url, self._new_session(), self.limiter, reach=reach
        )

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.headers.update({"User-Agent": self._user_agent, "Accept": "application/json"})
        return session

    @property
    def session(self) -> requests.Session:
        """A session per thread: requests sessions are not meant to be shared by threads."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._new_session()
        return session

    def get_page(
        self,
        path: str,
        params: Params,
        *,
        validate: Callable[[requests.Response], None],
        headers: Mapping[str, str],
        timeout_s: float,
        lazy_items: bool = False,
    ) -> tuple[requests.Response, dict[str, Any] | list[Any]]:
        """GET one page: the response (the paginator reads it) and its decoded body.

        `headers` and `timeout_s` are the stream's (the SDK's `http_headers` and `timeout`);
        the session is this thread's (requests sessions are not meant to be shared by
        threads, and the SDK keeps one per stream: the windows' workers need their own).

        `validate` (the stream's SDK hook `validate_response`) judges every answer but a
        429 (waited out here, in the account's limiter) and a 401 for an expired token
        (one new token, here); what it raises goes on with the account named.
        With `lazy_items`, a `{"items": [...], "page_info": {...}}` body keeps its items as
        validated JSON text (`decode_items` decodes them); any other body is decoded whole.

        Raises:
            TransientAPIError: a transient failure (5xx, unreadable body) worth retrying.
            requests.RequestException: the connection failed after the API host answered
                once in this run (worth retrying too).
            HotmartUnreachableError: the API host could not be connected to, and never was.
            HotmartAuthError: the credentials or token were refused for good.
            HotmartAPIError: any other 4xx, with Hotmart's own explanation.
        """
        url = self.api_url + path
        token_refreshed = False
        rate_limited = RateLimitWaits()
        while True:
            self.reach.before_request(url)
            # The token first: a slot taken while the token request waits (for the budget,
            # say, after a 429) would be counted as sent long before the request is.
            self.tokens.token()
            self.limiter.acquire()
            response = self._send(url, params, headers, timeout_s)
            if response.status_code == 429:
                # Hotmart's budget was spent before the limiter knew it (a first contact,
                # or another tool on the same credentials): worth a line, with the number.
                _LOG.info(
                    "Account %r: GET %s answered 429 (request %d of the run); waiting for "
                    "Hotmart's reset (%s s)",
                    self.account.account_id, path, self.limiter.requests_sent,
                    response.headers.get("RateLimit-Reset", "?"),
                )  # fmt: skip
                if rate_limited.wait_again():
                    continue  # the limiter now holds every thread until Hotmart's reset
                reason = f"still rate-limited after {MAX_RATE_LIMIT_WAITS} waits"
                raise TransientAPIError(f"{self._where(path)}: {reason}", reason)
            if response.status_code == 401 and not token_refreshed:
                error, _ = error_fields(response)
                if error in EXPIRED_TOKEN_ERRORS:
                    self.tokens.invalidate(response.request)
                    token_refreshed = True
                    continue
            try:
                validate(response)
            except (TransientAPIError, HotmartAPIError, HotmartAuthError) as exc:
                exc.args = (f"{self._where(path)}: {exc}", *exc.args[1:])
                raise
            try:
                if lazy_items:
                    try:
                        page = _LAZY_DECODER.decode(response.content)
                        if bytes(memoryview(page.items)[:1]) == b"[":
                            return response, {"items": page.items, "page_info": page.page_info}
                        # items that are not a list: decoded whole, for the caller to refuse
                    except msgspec.ValidationError:
                        pass  # valid JSON of another shape: decoded whole below
                return response, _DECODER.decode(response.content)
            except msgspec.DecodeError as exc:
                reason = "the response body is not valid JSON (truncated?)"
                raise TransientAPIError(f"{self._where(path)}: {reason}", reason, response) from exc

    def _send(
        self, url: str, params: Params, headers: Mapping[str, str], timeout_s: float
    ) -> requests.Response:
        """One GET; a first contact with the API host that cannot connect ends the run."""
        try:
            response = self.session.get(
                url, params=params, headers=headers, auth=self.tokens, timeout=timeouts(timeout_s)
            )
        except BaseException as exc:
            self.limiter.abandon()  # no answer will free its place in flight
            if isinstance(exc, requests.RequestException):
                self.reach.failed(url, "API", exc)
            raise
        self.reach.answered(url)
        self.limiter.observe(response.headers, response.status_code)
        return response

    def _where(self, path: str) -> str:
        return f"Account {self.account.account_id!r}, GET {path}"


def answer(response: requests.Response) -> str:
    """The status with Hotmart's error and description, or the kind of body it came with.

    Also the reason in retry lines: an HTML 502 (a proxy's page) reads differently from
    Hotmart's own JSON error, and tells the user where the failure is.
    """
    error, description = error_fields(response)
    detail = f"HTTP {response.status_code}"
    if error:
        detail += f" {error}"
    if description:
        detail += f": {description}"
    elif not error:
        content_type = response.headers.get("Content-Type", "unknown")
        detail += f" with a non-JSON body ({content_type.split(';')[0]})"
    return detail


def error_fields(response: requests.Response) -> tuple[str, str]:
    """Hotmart's `error` and `error_description`, if the body carries them."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("error") or ""), str(body.get("error_description") or "")
