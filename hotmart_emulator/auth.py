"""OAuth client-credentials tokens, as Hotmart's ``/security/oauth/token`` issues them.

Credentials may come as query parameters (Hotmart's official sample), as a form body, or
only through ``Authorization: Basic base64(id:secret)``; when several are sent they must
agree. Tokens expire after ``token_ttl_s`` of real (monotonic) time, independent of the
emulator's data clock, so tests can exercise refresh with a short lifetime.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
import uuid
from collections.abc import Callable

from .errors import ApiError

TOKEN_PATH = "/security/oauth/token"
UNAUTHORIZED = "Full authentication is required to access this resource."


class Auth:
    """Issues and checks bearer tokens for the configured accounts."""

    def __init__(
        self,
        credentials: dict[str, tuple[str, str]],
        token_ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.by_client = {cid: (acct, secret) for acct, (cid, secret) in credentials.items()}
        self.ttl = token_ttl_s
        self.clock = clock
        self.tokens: dict[str, tuple[str, float]] = {}
        self.lock = threading.Lock()

    def _credentials(
        self, query: dict[str, list[str]], headers: dict[str, str]
    ) -> list[tuple[str, str]]:
        pairs = []
        cid = next(reversed(query.get("client_id", [])), None)
        secret = next(reversed(query.get("client_secret", [])), None)
        if cid is not None or secret is not None:
            pairs.append((cid or "", secret or ""))
        auth = headers.get("authorization", "")
        if auth[:6].lower() == "basic ":
            try:
                raw = base64.b64decode(auth[6:].strip(), validate=True).decode()
                bid, _, bsecret = raw.partition(":")
            except (binascii.Error, UnicodeDecodeError):
                bid, bsecret = "", ""
            pairs.append((bid, bsecret))
        return pairs

    def account_of_credentials(
        self, query: dict[str, list[str]], headers: dict[str, str]
    ) -> str | None:
        """The account whose credentials the request carries (all must agree), else None."""
        pairs = self._credentials(query, headers)
        accounts = set()
        for cid, secret in pairs:
            hit = self.by_client.get(cid)
            if hit is None or hit[1] != secret:
                return None
            accounts.add(hit[0])
        return accounts.pop() if len(accounts) == 1 else None

    def issue(self, query: dict[str, list[str]], headers: dict[str, str]) -> tuple[str, dict]:
        """(account_id, token response) or a 400/401 ``ApiError``.

        ``query`` must already merge the query string and a form body.
        """
        grant = (query.get("grant_type") or [""])[-1]
        if grant != "client_credentials":
            raise ApiError(400, "invalid_request", "grant_type must be client_credentials")
        account = self.account_of_credentials(query, headers)
        if account is None:
            raise ApiError(401, "unauthorized", "Bad client credentials")
        token = "emu-at-" + uuid.uuid4().hex + uuid.uuid4().hex
        with self.lock:
            now = self.clock()
            self.tokens = {k: v for k, v in self.tokens.items() if v[1] > now - 3600}
            self.tokens[token] = (account, now + self.ttl)
        return account, {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": int(self.ttl),
            "scope": "read write",
            "jti": str(uuid.uuid4()),
        }

    def identify(self, headers: dict[str, str]) -> str | None:
        """The account of a valid, unexpired bearer token, without raising."""
        try:
            return self.require(headers)
        except ApiError:
            return None

    def require(self, headers: dict[str, str]) -> str:
        """The account of the request's bearer token; 401 unauthorized/invalid/expired."""
        auth = headers.get("authorization", "")
        if auth[:7].lower() != "bearer " or not auth[7:].strip():
            raise ApiError(401, "unauthorized", UNAUTHORIZED)
        hit = self.tokens.get(auth[7:].strip())
        if hit is None:
            raise ApiError(401, "invalid_token", "Invalid access token")
        if hit[1] <= self.clock():
            raise ApiError(401, "token_expired", "Access token expired")
        return hit[0]
