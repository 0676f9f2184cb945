"""Fixtures of the tap tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.tap.stub import Script, serve


@pytest.fixture
def stub() -> Iterator[tuple[str, Script]]:
    """A scripted Hotmart on a local port: its URL, and the script it answers from."""
    script = Script()
    with serve(script) as url:
        yield url, script
