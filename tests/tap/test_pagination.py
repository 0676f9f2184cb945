"""Hotmart's paging runs through the SDK's paginator hook (`get_new_paginator`)."""

from __future__ import annotations

import pytest

from tap_hotmart.errors import PagingLoopError
from tap_hotmart.pagination import HotmartPaginator
from tests.tap.stub import page, stub_stream


def test_the_stream_pages_with_the_hotmart_paginator(stub) -> None:
    url, script = stub
    script.answers = [page([{"id": 1}], "T1"), page([{"id": 2}], "T2"), page([{"id": 3}])]
    stream, client = stub_stream(url)
    assert isinstance(stream.get_new_paginator(), HotmartPaginator)
    pages = [items for items, _ in stream.iter_pages(client, "/p", {})]
    assert pages == [[{"id": 1}], [{"id": 2}], [{"id": 3}]]
    assert script.api_calls == 3


def test_a_token_seen_pages_ago_is_a_loop_too(stub) -> None:
    """The SDK's own check only catches a token repeated on the very next page."""
    url, script = stub
    script.answers = [page([{"id": 1}], "T1"), page([{"id": 2}], "T2"), page([{"id": 3}], "T1")]
    stream, client = stub_stream(url)
    with pytest.raises(PagingLoopError, match="GET /p: Hotmart returned a page token"):
        list(stream.iter_pages(client, "/p", {}))
    assert script.api_calls == 3
