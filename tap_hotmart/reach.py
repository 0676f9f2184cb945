"""Whether Hotmart's hosts can be reached: fail fast on the first contact, retry later on.

A host that cannot even be connected to on the first request of a run (a wrong `api_url`
or `auth_url`, no network, a firewall) will not start answering during the retries: they
only delay, by minutes, the one line that tells the user what to fix. So a connection that
cannot be opened to a host that has not answered yet in this run ends the run at once, with
that line; once a host has answered, a connection failure is a passing outage and is
retried with backoff as before. Connections are opened with a short connect timeout
(`timeouts`), so a silent host costs seconds, not the read timeout.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError

from tap_hotmart.errors import HotmartUnreachableError

#: Seconds to open a connection: a reachable Hotmart host accepts one in well under a second.
CONNECT_TIMEOUT_SECONDS = 10


def timeouts(read_seconds: float) -> tuple[float, float]:
    """The (connect, read) timeouts for requests: a short connect, a patient read."""
    return CONNECT_TIMEOUT_SECONDS, read_seconds


def connect_failure(exc: BaseException) -> str | None:
    """Why no connection could be opened (refused, unknown host, timeout), else None.

    None also for a connection that was opened and then lost: the host is there.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"no connection within {CONNECT_TIMEOUT_SECONDS} s (connect timeout)"
    if not isinstance(exc, requests.exceptions.ConnectionError) or not exc.args:
        return None
    reason = getattr(exc.args[0], "reason", None)  # urllib3's MaxRetryError
    if isinstance(reason, NameResolutionError):
        return "the host name could not be resolved (DNS lookup failed)"
    if isinstance(reason, NewConnectionError):
        cause = reason.__cause__
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        return f"could not connect ({getattr(cause, 'strerror', None) or type(cause).__name__})"
    return None


def network_problem(exc: BaseException) -> str:
    """A short name for a transport failure, for retry lines (never the URL it names)."""
    failure = connect_failure(exc)
    if failure is not None:
        return failure
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "no answer in time (read timeout)"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the answer was cut short"
    return f"connection lost ({type(exc).__name__})"


def host_of(url: str) -> str:
    """`host:port` of a URL, with the scheme's default port when it has none."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def public_url(url: str) -> str:
    """The URL without its query or user info, which may carry credentials."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"


class HostReach:
    """The hosts that answered in this run and those found unreachable (thread-safe).

    One instance is shared by every account's client, so a host that answered one account
    counts as up for all of them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answered: set[str] = set()
        self._unreachable: dict[str, str] = {}  # host -> the message it failed with

    def before_request(self, url: str) -> None:
        """Refuse at once to call a host already found unreachable (no second wait)."""
        with self._lock:
            message = self._unreachable.get(host_of(url))
        if message is not None:
            raise HotmartUnreachableError(message)

    def answered(self, url: str) -> None:
        """Note that the host of `url` answered (with any status)."""
        with self._lock:
            self._answered.add(host_of(url))

    def failed(self, url: str, endpoint: str, exc: requests.RequestException) -> None:
        """Raise `HotmartUnreachableError` if this is the first contact and it never connected.

        Returns (for the caller to retry) when the host answered before in this run or a
        connection was opened. `endpoint` names what was called, e.g. "token endpoint".
        """
        failure = connect_failure(exc)
        host = host_of(url)
        with self._lock:
            if failure is None or host in self._answered:
                return
            message = self._unreachable[host] = (
                f"Cannot reach Hotmart at {host} ({endpoint} {public_url(url)}): {failure}. "
                "Check your network, or the api_url / auth_url settings."
            )
        raise HotmartUnreachableError(message) from None
