"""How the tap reads bad answers: retry what is transient, stop with one clear line on
what is not, tolerate what can be tolerated. A scripted local server plays Hotmart."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

import pytest
from singer_sdk.exceptions import RetriableAPIError

from tap_hotmart.errors import HotmartAPIError, HotmartAuthError, PagingLoopError
from tap_hotmart.streams.sales import ALL_STATUSES
from tap_hotmart.windows import Window
from tests.tap.stub import FAKE_STUB_SECRET, JSON, page, stub_stream


def _read_all(stream, client) -> list[dict]:
    return [item for items, _ in stream.iter_pages(client, "/p", {}) for item in items]


def test_html_error_page_and_truncated_json_are_retried(stub) -> None:
    url, script = stub
    script.answers = [
        (502, "text/html", "<html><body>Bad Gateway</body></html>"),
        (200, JSON, '{"items": [{"id": 1'),
        page([{"id": 1}]),
    ]
    stream, client = stub_stream(url)
    assert _read_all(stream, client) == [{"id": 1}]
    assert script.api_calls == 3


def test_client_error_is_one_line_with_hotmarts_explanation(stub) -> None:
    url, script = stub
    body = {"error": "invalid_parameter", "error_description": "Invalid value for status"}
    script.answers = [(400, JSON, json.dumps(body))]
    stream, client = stub_stream(url)
    with pytest.raises(HotmartAPIError) as info:
        _read_all(stream, client)
    message = str(info.value)
    assert message == (
        "Account 'default', GET /p: HTTP 400 invalid_parameter: Invalid value for status"
    )
    assert FAKE_STUB_SECRET not in message


def test_expired_token_is_refreshed_once(stub) -> None:
    url, script = stub
    expired = (401, JSON, json.dumps({"error": "token_expired"}))
    script.answers = [expired, page([{"id": 7}])]
    stream, client = stub_stream(url)
    assert _read_all(stream, client) == [{"id": 7}]
    assert script.tokens_issued == 2
    script.answers = [expired, expired]
    with pytest.raises(HotmartAuthError):
        _read_all(stream, client)


def test_repeated_page_token_is_an_error_not_a_loop(stub) -> None:
    url, script = stub
    script.answers = [page([{"id": 1}], "T1"), page([{"id": 2}], "T1")]
    stream, client = stub_stream(url)
    with pytest.raises(PagingLoopError):
        _read_all(stream, client)


def test_odd_items_are_tolerated_but_a_page_without_items_is_not(stub) -> None:
    url, script = stub
    script.answers = [
        (200, JSON, json.dumps({"items": [{"id": 3, "surprise": {"new": True}}, 42, None]})),
        (200, JSON, json.dumps({"items": "not a list", "page_info": None})),
        page([{"id": 4}]),
        *[(200, JSON, json.dumps({"page_info": {}}))] * 8,
    ]
    stream, client = stub_stream(url)
    assert _read_all(stream, client) == [{"id": 3, "surprise": {"new": True}}]
    assert _read_all(stream, client) == [{"id": 4}], "a page without items is retried"
    with pytest.raises(RetriableAPIError, match="no list of items"):
        _read_all(stream, client)


def test_persistent_server_errors_give_up(stub) -> None:
    url, script = stub
    script.answers = [(503, JSON, json.dumps({"error": "internal_server_error"}))] * 8
    stream, client = stub_stream(url)
    with pytest.raises(RetriableAPIError, match="HTTP 503 internal_server_error"):
        _read_all(stream, client)


def test_rate_limited_token_requests_wait_for_the_reset(stub) -> None:
    url, script = stub
    script.token_rate_limited = 6  # more than the token's failure attempts
    script.answers = [page([{"id": 9}])]
    stream, client = stub_stream(url)
    assert _read_all(stream, client) == [{"id": 9}]
    assert script.tokens_issued == 1


def test_a_retry_line_names_account_endpoint_and_window_not_the_query(stub, caplog) -> None:
    url, script = stub
    unavailable = (503, JSON, json.dumps({"error": "internal_server_error"}))
    script.answers = [unavailable, page([]), unavailable, page([])]
    stream, client = stub_stream(url, "sales")
    utc = timezone.utc
    window = Window(datetime(2024, 1, 1, tzinfo=utc), datetime(2024, 4, 1, tzinfo=utc))
    params = {**ALL_STATUSES, "start_date": window.start_ms, "end_date": window.last_ms}
    path = "/payments/api/v1/sales/history"
    with caplog.at_level(logging.INFO):
        list(stream.iter_pages(client, path, params))
        list(stream.iter_pages(client, path, params, may_time_out=True))  # a window's first page
    expected = (
        "default GET /payments/api/v1/sales/history window 2024-01-01..2024-03-31: "
        "HTTP 503 internal_server_error, retrying in 0.0 s (attempt 2/8)"
    )
    assert [r.getMessage() for r in caplog.records] == [expected, expected]
    assert "transaction_status" not in caplog.text
