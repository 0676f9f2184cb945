"""The order in which streams sync is declared on the streams (`syncs_after`), and kept."""

from __future__ import annotations

import pytest

from tap_hotmart import tap as tap_module
from tap_hotmart.account_state import ACCOUNT_STREAM
from tap_hotmart.date_window_stream import DateWindowStream
from tap_hotmart.tap import STREAM_TYPES, TapHotmart, sync_order


def _tap() -> TapHotmart:
    return TapHotmart(config={}, validate_config=False)


def test_every_stream_syncs_after_the_streams_it_declares() -> None:
    streams = _tap().streams
    names = list(streams)
    for stream in streams.values():
        assert isinstance(stream, tap_module.HotmartStream)
        for earlier in stream.syncs_after:
            assert names.index(earlier) < names.index(stream.name), (stream.name, earlier)


def test_what_reads_where_the_history_starts_syncs_after_what_finds_it() -> None:
    readers = [s for s in _tap().streams.values() if isinstance(s, DateWindowStream)]
    assert readers[0].name == ACCOUNT_STREAM
    assert all(ACCOUNT_STREAM in s.syncs_after for s in readers[1:])


def test_the_order_is_the_listed_one_where_nothing_is_declared() -> None:
    assert list(_tap().streams) == [stream_type.name for stream_type in STREAM_TYPES]


def test_a_declared_order_wins_over_the_listed_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tap_module, "STREAM_TYPES", tuple(reversed(STREAM_TYPES)))
    names = list(_tap().streams)
    first_reader = min(
        names.index(t.name)
        for t in STREAM_TYPES
        if issubclass(t, DateWindowStream) and t.name != ACCOUNT_STREAM
    )
    assert names.index(ACCOUNT_STREAM) < first_reader
    assert names[0] == STREAM_TYPES[-1].name, "the rest keep the listed order"


def test_streams_that_wait_for_one_another_are_refused() -> None:
    streams = list(_tap().streams.values())
    sales = next(s for s in streams if s.name == ACCOUNT_STREAM)
    sales.syncs_after = ("refunds",)  # and refunds syncs after sales
    with pytest.raises(RuntimeError, match="can never sync"):
        sync_order(streams)
