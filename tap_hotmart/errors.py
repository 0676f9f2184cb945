"""Errors the tap raises on purpose, each with a message a user can act on."""

from __future__ import annotations

from singer_sdk.exceptions import ConfigValidationError, FatalAPIError


def config_error(message: str) -> ConfigValidationError:
    """A settings error the SDK's CLI prints as one line before exiting with status 1."""
    return ConfigValidationError(message, errors=[message])


class HotmartAuthError(FatalAPIError):
    """The account's credentials were refused, or no token could be obtained."""


class HotmartAPIError(FatalAPIError):
    """Hotmart rejected a request in a way retrying cannot fix (a 4xx other than 429)."""

    def __init__(self, message: str, status_code: int, error: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error = error


class PagingLoopError(FatalAPIError):
    """Hotmart handed back a page token we already followed; paging would never end."""


class QueryTimeoutError(Exception):
    """The first page of a date range failed with a server error several times in a row.

    Hotmart answers 502 when a query runs over 30 s and advises a narrower date range;
    the window is then read in halves instead of retried as it is.
    """
