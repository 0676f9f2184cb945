"""The first-sale mark spares the empty years, and never hides data it did not search."""

from __future__ import annotations

from datetime import datetime, timezone

from tap_hotmart.account_state import ACCOUNT_STREAM
from tap_hotmart.date_window_stream import DateWindowStream
from tap_hotmart.history_start import MARGIN, history_start, mark
from tap_hotmart.tap import STREAM_TYPES, TapHotmart

UTC = timezone.utc
START_2011 = datetime(2011, 1, 1, tzinfo=UTC)
FIRST_WINDOW = datetime(2022, 3, 1, tzinfo=UTC)
ACCOUNT = {"account_id": "acct-1"}


def _state(partition: dict) -> dict:
    return {"bookmarks": {"sales": {"partitions": [{"context": ACCOUNT, **partition}]}}}


def _marked(searched_from: datetime = START_2011) -> dict:
    partition: dict = {"replication_key_value": "2026-11-01T00:00:00+00:00"}
    mark(partition, FIRST_WINDOW, searched_from)
    return _state(partition)


def test_the_mark_moves_the_start_to_a_margin_before_the_first_sale() -> None:
    assert history_start(_marked(), ACCOUNT, START_2011) == FIRST_WINDOW - MARGIN


def test_a_later_start_date_still_wins() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert history_start(_marked(), ACCOUNT, start) == start


def test_a_backfill_from_before_the_searched_span_ignores_the_mark() -> None:
    searched_from = datetime(2020, 1, 1, tzinfo=UTC)
    assert history_start(_marked(searched_from), ACCOUNT, START_2011) == START_2011


def test_no_mark_another_account_or_a_mangled_mark_means_the_whole_history() -> None:
    assert history_start({}, ACCOUNT, START_2011) == START_2011
    assert history_start(_marked(), {"account_id": "acct-2"}, START_2011) == START_2011
    mangled = _state({"first_sale_window": {"start": "soon", "searched_from": "2011-01-01"}})
    assert history_start(mangled, ACCOUNT, START_2011) == START_2011
    assert history_start(_state({"first_sale_window": "x"}), ACCOUNT, START_2011) == START_2011


def test_the_mark_holds_dates_only() -> None:
    partition: dict = {}
    mark(partition, FIRST_WINDOW, START_2011)
    assert partition == {
        "first_sale_window": {
            "start": "2022-03-01T00:00:00+00:00",
            "searched_from": "2011-01-01T00:00:00+00:00",
        }
    }


def test_the_mark_is_read_where_it_is_written() -> None:
    # The date-window stream named ACCOUNT_STREAM writes the mark (`DateWindowStream`).
    marking = [
        t.name for t in STREAM_TYPES if issubclass(t, DateWindowStream) and t.name == ACCOUNT_STREAM
    ]
    first = next(iter(TapHotmart(config={}, validate_config=False).streams))
    assert marking == [ACCOUNT_STREAM] == [first]  # and it syncs first
