"""OAuth client-credentials tokens for one Hotmart account, as a Singer SDK authenticator.

Hotmart's token endpoint wants the client id and secret in the query string and the
account's Basic key in the `Authorization` header. Tokens live 24-48 h; we refresh a
minute (or a tenth of the lifetime, if shorter) before expiry, and once more when the API
answers 401 `token_expired`. One manager per account is shared by every stream and
worker thread, so a run asks for as few tokens as possible. A token endpoint that cannot
be connected to on the first contact ends the run at once (`reach`); one that answered
before and fails later is retried a few times (`retries.TOKEN_ATTEMPTS`).

`TokenManager` is a Singer SDK authenticator (it authenticates a prepared request: the
`auth` of each API request), but not the SDK's `OAuthAuthenticator`, which sends the
client credentials in a POST body (Hotmart wants the query string), refreshes without a
lock for the worker threads, does not count its request against the account's rate
limit, and knows no 401 `token_expired`. Its `auth_headers` and `auth_params` stay empty:
the Basic key and the client secret go only to the token endpoint, never to a log.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import backoff
import requests
from singer_sdk.authenticators import APIAuthenticatorBase

from tap_hotmart.accounts import Account
from tap_hotmart.errors import HotmartAuthError
from tap_hotmart.ratelimit import RateLimiter
from tap_hotmart.reach import HostReach, timeouts
from tap_hotmart.retries import (
    TOKEN_ATTEMPTS,
    TOKEN_TIMEOUT_SECONDS,
    RateLimitWaits,
    retry_waits,
)


class _TokenRequestError(Exception):
    """A token request that failed in a way another attempt may fix; says why."""


class TokenManager(APIAuthenticatorBase):
    """Fetches, caches and refreshes the bearer token of one account (thread-safe).

    Passed as the `auth` of each API request, it sets the request's bearer token.
    """

    def __init__(
        self,
        account: Account,
        auth_url: str,
        session: requests.Session,
        limiter: RateLimiter,
        *,
        reach: HostReach | None = None,
    ) -> None:
        super().__init__()
        self._account = account
        self._auth_url = auth_url
        self._session = session
        self._limiter = limiter  # token requests count against the account's budget
        self._reach = reach or HostReach()
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Set the account's bearer token on an API request (fetching one if needed)."""
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request

    def token(self) -> str:
        """Return a valid access token, fetching a new one when needed."""
        with self._lock:
            if self._token is None or time.monotonic() >= self._refresh_at:
                self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self, rejected: requests.PreparedRequest) -> None:
        """Forget the token the API rejected, unless another thread already replaced it."""
        with self._lock:
            if rejected.headers.get("Authorization") == f"Bearer {self._token}":
                self._token = None

    def _fetch(self) -> None:
        rate_limited = RateLimitWaits()  # shared by the attempts: a 429 is no failed attempt
        fetch = backoff.on_exception(
            retry_waits, _TokenRequestError, max_tries=TOKEN_ATTEMPTS, jitter=None, logger=None
        )(self._request_token)
        try:
            fetch(rate_limited)
        except _TokenRequestError as exc:
            raise HotmartAuthError(
                f"Account {self._account.account_id!r}: no access token after "
                f"{TOKEN_ATTEMPTS} attempts: {exc}."
            ) from None

    def _request_token(self, rate_limited: RateLimitWaits) -> None:
        """One attempt: ask for a token (again after each 429) and keep it.

        Raises:
            _TokenRequestError: the endpoint could not be reached, or answered a 5xx, a
                429 past `MAX_RATE_LIMIT_WAITS` or a body that cannot be read.
            HotmartAuthError: the credentials were refused, or the answer holds no token.
        """
        params = {
            "grant_type": "client_credentials",
            "client_id": self._account.client_id,
            "client_secret": self._account.client_secret,
        }
        headers = {"Authorization": f"Basic {self._account.basic}"}
        while True:
            self._reach.before_request(self._auth_url)
            self._limiter.acquire()
            try:
                response = self._session.post(
                    self._auth_url,
                    params=params,
                    headers=headers,
                    timeout=timeouts(TOKEN_TIMEOUT_SECONDS),
                )
            except BaseException as exc:
                self._limiter.abandon()  # no answer will free its place in flight
                if not isinstance(exc, requests.RequestException):
                    raise
                self._reach.failed(self._auth_url, "token endpoint", exc)
                problem = f"the token endpoint could not be reached ({type(exc).__name__})"
                raise _TokenRequestError(problem) from None
            self._reach.answered(self._auth_url)
            self._limiter.observe(response.headers, response.status_code)
            if response.status_code == 429 and rate_limited.wait_again():
                # The budget is spent (by this run or the user's other tools): the
                # limiter now waits for Hotmart's reset.
                continue
            if response.status_code in (400, 401, 403):
                raise HotmartAuthError(
                    f"Account {self._account.account_id!r}: Hotmart refused the credentials "
                    f"(HTTP {response.status_code} {_error_code(response)}). Check the "
                    "Client ID, Client Secret and Basic key in Hotmart → Tools → Developer "
                    "Credentials, and that sandbox credentials are used with sandbox=true."
                )
            if not response.ok:
                raise _TokenRequestError(f"the token endpoint answered HTTP {response.status_code}")
            try:
                body = response.json()
            except ValueError:
                # A body cut short in transit (or a proxy's page): transient.
                problem = "the token endpoint answered with an unreadable body"
                raise _TokenRequestError(problem) from None
            self._accept(body)
            return

    def _accept(self, body: Any) -> None:
        try:
            if not isinstance(body, dict):
                raise TypeError(type(body).__name__)
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError) as exc:
            raise HotmartAuthError(
                f"Account {self._account.account_id!r}: the token endpoint answered without "
                "an access_token; is auth_url pointing at Hotmart's token endpoint?"
            ) from exc
        margin = min(60.0, lifetime / 10)
        self._token = token
        self._refresh_at = time.monotonic() + lifetime - margin


def _error_code(response: requests.Response) -> str:
    """Hotmart's `error` field, if the body has one (never the body itself)."""
    try:
        return str(response.json().get("error", "")).strip()
    except (ValueError, AttributeError):
        return ""
