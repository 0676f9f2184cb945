"""A Hotmart host that cannot be connected to on first contact ends the run in seconds,
with one line naming it; a connection lost after the host answered is retried."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tap_hotmart import reach
from tap_hotmart.errors import HotmartUnreachableError
from tests.tap.stub import BASIC, FAKE_STUB_SECRET, page, stub_stream

#: The whole run, tap start-up included, against a host that is not there.
RUN_BOUND_SECONDS = 30


def _closed_port() -> int:
    """A local port nothing listens on (bound once, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _config(api_url: str, auth_url: str) -> dict:
    return {
        "client_id": "stub-id",
        "client_secret": FAKE_STUB_SECRET,
        "basic": BASIC,
        "api_url": api_url,
        "auth_url": auth_url,
        "start_date": "2024-01-01T00:00:00Z",
    }


def _run(tmp_path: Path, config: dict) -> tuple[subprocess.CompletedProcess, float]:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    command = [sys.executable, "-m", "tap_hotmart", "--config", str(config_file)]
    started = time.monotonic()
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=RUN_BOUND_SECONDS * 4, check=False
    )
    return done, time.monotonic() - started


@pytest.mark.parametrize(
    ("host", "failure"),
    [
        ("127.0.0.1:{port}", "connection refused"),
        ("no-such-host.invalid", "the host name could not be resolved (DNS lookup failed)"),
    ],
)
def test_an_unreachable_token_endpoint_fails_fast_with_one_line(
    tmp_path: Path, host: str, failure: str
) -> None:
    host = host.format(port=_closed_port())
    token_url = f"https://{host}/security/oauth/token"
    done, elapsed = _run(tmp_path, _config(f"https://{host}", token_url))
    assert done.returncode != 0
    assert elapsed < RUN_BOUND_SECONDS, f"took {elapsed:.1f} s"
    shown = host if ":" in host else f"{host}:443"
    expected = (
        f"Cannot reach Hotmart at {shown} (token endpoint {token_url}): {failure}. "
        "Check your network, or the api_url / auth_url settings."
    )
    lines = [line for line in done.stderr.splitlines() if "Cannot reach" in line]
    assert len(lines) == 1, done.stderr
    assert lines[0].endswith(f"Sync failed: {expected}")
    assert "Traceback" not in done.stderr
    assert FAKE_STUB_SECRET not in done.stderr + done.stdout
    assert BASIC not in done.stderr + done.stdout


def test_an_unreachable_api_host_fails_fast_naming_it(tmp_path: Path, stub) -> None:
    url, _ = stub  # answers the token request
    port = _closed_port()
    done, elapsed = _run(tmp_path, _config(f"http://127.0.0.1:{port}", f"{url}/oauth/token"))
    assert done.returncode != 0
    assert elapsed < RUN_BOUND_SECONDS, f"took {elapsed:.1f} s"
    assert (
        f"Sync failed: Cannot reach Hotmart at 127.0.0.1:{port} (API http://127.0.0.1:{port}"
        "/payments/api/v1/sales/history): connection refused." in done.stderr
    )
    assert "Traceback" not in done.stderr


@pytest.fixture
def silent_port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A port whose listen queue is full, so a connection attempt gets no answer at all."""
    monkeypatch.setattr(reach, "CONNECT_TIMEOUT_SECONDS", 0.5)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        fillers = []
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.1)
        yield port
        for filler in fillers:
            filler.close()


def test_a_silent_host_costs_one_short_connect_timeout(silent_port: int) -> None:
    url = f"http://127.0.0.1:{silent_port}"
    stream, client = stub_stream(url)
    started = time.monotonic()
    with pytest.raises(HotmartUnreachableError) as info:
        list(stream.iter_pages(client, "/p", {}))
    assert time.monotonic() - started < 5
    assert str(info.value) == (
        f"Cannot reach Hotmart at 127.0.0.1:{silent_port} (token endpoint "
        f"{url}/security/oauth/token): no connection within 0.5 s (connect timeout). "
        "Check your network, or the api_url / auth_url settings."
    )
    # Every later request (other threads, other accounts) fails at once, without a wait.
    started = time.monotonic()
    with pytest.raises(HotmartUnreachableError):
        client.tokens.token()
    assert time.monotonic() - started < 0.2


def test_a_connection_lost_after_the_host_answered_is_retried(
    stub, caplog: pytest.LogCaptureFixture
) -> None:
    url, script = stub
    script.answers = [page([{"id": 1}])]
    stream, client = stub_stream(url)
    assert [item for items, _ in stream.iter_pages(client, "/p", {}) for item in items] == [
        {"id": 1}
    ]
    script.close()  # the server goes away mid-run: connections are now refused
    params = {"transaction_status": ["APPROVED", "COMPLETE"]}
    with caplog.at_level(logging.INFO), pytest.raises(requests.ConnectionError):
        list(stream.iter_pages(client, "/p", params))
    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert retries[0] == "default GET /p: connection refused, retrying in 0.0 s (attempt 2/8)"
    assert len(retries) == stream.backoff_max_tries() - 1
    assert "transaction_status" not in caplog.text
    assert "?" not in caplog.text


def test_connect_failures_are_told_from_lost_connections() -> None:
    assert reach.connect_failure(requests.exceptions.ConnectTimeout()) is not None
    lost = requests.ConnectionError(ConnectionResetError("reset by peer"))
    assert reach.connect_failure(lost) is None
    assert reach.network_problem(lost) == "connection lost (ConnectionError)"
    assert reach.network_problem(requests.exceptions.ReadTimeout()) == (
        "no answer in time (read timeout)"
    )
    assert reach.public_url("https://user:pw@h.example:8443/t?client_secret=x") == (
        "https://h.example:8443/t"
    )
