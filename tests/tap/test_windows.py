"""Windows cover a span exactly once, with Hotmart's inclusive bounds."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from tap_hotmart.windows import ms_to_iso, split, to_ms

UTC = timezone.utc


def test_windows_are_consecutive_and_never_overlap() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    end = datetime(2024, 3, 15, tzinfo=UTC)
    windows = split(start, end, 30)
    assert [w.start for w in windows] == [start, start + timedelta(30), start + timedelta(60)]
    assert windows[-1].end == end
    for left, right in itertools.pairwise(windows):
        assert left.last_ms + 1 == right.start_ms


def test_empty_span_has_no_window() -> None:
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    assert split(moment, moment, 30) == []


def test_epoch_ms_to_iso() -> None:
    assert ms_to_iso(1622948400000) == "2021-06-06T03:00:00+00:00"
    assert ms_to_iso(to_ms(datetime(2020, 1, 1, tzinfo=UTC))) == "2020-01-01T00:00:00+00:00"
    assert ms_to_iso(None) is None
    assert ms_to_iso("soon") is None
    assert ms_to_iso(True) is None
