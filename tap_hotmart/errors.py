"""Errors the tap raises on purpose, each with a message a user can act on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, RetriableAPIError

if TYPE_CHECKING:
    import requests


def config_error(message: str) -> ConfigValidationError:
    """A settings error the SDK's CLI prints as one line before exiting with status 1."""
    return ConfigValidationError(message, errors=[message])


class HotmartAuthError(FatalAPIError):
    """The account's credentials were refused, or no token could be obtained."""


class HotmartAPIError(FatalAPIError):
    """Hotmart rejected a request in a way retrying cannot fix (a 4xx other than 429)."""

    def __init__(self, message: str, status_code: int, error: str, description: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error = error
        self.description = description


class HotmartUnreachableError(FatalAPIError):
    """A Hotmart host could not be connected to on the first contact of the run (`reach`)."""


class TransientAPIError(RetriableAPIError):
    """A failure worth retrying: the full one-line message, and a short `reason` for the
    retry lines (e.g. "HTTP 503"), which name the endpoint and window themselves."""

    def __init__(
        self, message: str, reason: str, response: requests.Response | None = None
    ) -> None:
        super().__init__(message, response)
        self.reason = reason


class PagingLoopError(FatalAPIError):
    """Hotmart handed back a page token we already followed; paging would never end."""


class QueryTimeoutError(Exception):
    """The first page of a date range failed with a server error several times in a row.

    Hotmart answers 502 when a query runs over 30 s and advises a narrower date range;
    the window is then read in halves instead of retried as it is.
    """


class RangeTooWideError(Exception):
    """Hotmart refused the date range of a request as too wide (a 400 that says so).

    A public probe saw `sales/history` accept 12 months and refuse 2 years with a 400;
    the window is then read in halves, and the refused width remembered
    (`range_limits`).
    """
