"""Every request takes its headers and timeout from the stream's SDK hooks (`http_headers`,
`user_agent`, `timeout`), as an SDK stream's own requests do."""

from __future__ import annotations

import requests

from tap_hotmart import __version__
from tap_hotmart.retries import REQUEST_TIMEOUT_SECONDS
from tests.tap.stub import page, stub_stream


def test_requests_carry_the_streams_user_agent_and_timeout(stub, monkeypatch) -> None:
    url, script = stub
    script.answers = [page([{"id": 1}])]
    stream, client = stub_stream(url)
    sent: list[dict] = []
    get = requests.Session.get

    def spy(self: requests.Session, url: str, **kwargs: object) -> requests.Response:
        sent.append(kwargs)
        return get(self, url, **kwargs)

    monkeypatch.setattr(requests.Session, "get", spy)
    assert [items for items, _ in stream.iter_pages(client, "/p", {})] == [[{"id": 1}]]
    assert stream.user_agent == f"tap-hotmart/{__version__}"
    assert stream.timeout == REQUEST_TIMEOUT_SECONDS
    (kwargs,) = sent
    assert kwargs["headers"]["User-Agent"] == stream.user_agent
    assert kwargs["timeout"][1] == stream.timeout  # (connect, read): reach.timeouts
