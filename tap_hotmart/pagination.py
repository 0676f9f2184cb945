"""Hotmart's paging, as a Singer SDK paginator: `page_info.next_page_token` until none.

Every list endpoint pages with an opaque token in `page_info.next_page_token`; the last
page has none, and a bare array is one final page. A token Hotmart already returned in
the same read means the paging went round in a circle: reading on would repeat the same
pages forever, so the read stops. The SDK's own check catches only a token repeated on
the very next page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from singer_sdk.pagination import BaseAPIPaginator

from tap_hotmart.errors import PagingLoopError

if TYPE_CHECKING:
    import requests


class _PageInfo(msgspec.Struct):
    next_page_token: Any = None


class _Paged(msgspec.Struct):
    page_info: _PageInfo | None = None


# Only `page_info` is built: the items are skipped (the stream decodes them on its own),
# which costs a scan of the body, well under a millisecond for a 500-item page.
_PAGED = msgspec.json.Decoder(_Paged)


class HotmartPaginator(BaseAPIPaginator[str | None]):
    """The next page's token, never one this read already followed.

    Raises:
        PagingLoopError: from `advance`, when Hotmart returns a token a second time.
    """

    def __init__(self) -> None:
        super().__init__(None)
        self._seen: set[str] = set()

    def get_next(self, response: requests.Response) -> str | None:
        token = _next_page_token(response.content)
        if token is None:
            return None
        if token in self._seen:
            msg = (
                "Hotmart returned a page token it had already returned; stopping instead of looping"
            )
            raise PagingLoopError(msg)
        self._seen.add(token)
        return token


def _next_page_token(content: bytes) -> str | None:
    """The body's `page_info.next_page_token`; None for a last page or a bare array."""
    try:
        page_info = _PAGED.decode(content).page_info
    except msgspec.ValidationError:  # not an object with an object page_info: no token
        return None
    if page_info is None or not page_info.next_page_token:
        return None
    return str(page_info.next_page_token)
