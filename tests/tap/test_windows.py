"""Windows cover a span exactly once, with Hotmart's inclusive bounds, sized from density."""

from __future__ import annotations

import itertools
from collections import deque
from datetime import datetime, timedelta, timezone

from tap_hotmart.windows import Window, WindowPlanner, halves, ms_to_iso, to_ms

UTC = timezone.utc
START = datetime(2024, 1, 1, tzinfo=UTC)


def _planner(end: datetime, **kwargs: int) -> WindowPlanner:
    options = {"first_days": 30, "max_days": 90, "target_records": 10_000, **kwargs}
    return WindowPlanner(START, end, **options)


def _all(planner: WindowPlanner, records_per_day: float = 0.0) -> list[Window]:
    windows = []
    while (window := planner.next_window()) is not None:
        windows.append(window)
        days = (window.end - window.start) / timedelta(days=1)
        planner.observe(window, round(records_per_day * days))
    return windows


def test_windows_are_consecutive_and_never_overlap() -> None:
    end = datetime(2024, 3, 15, tzinfo=UTC)
    windows = []
    planner = _planner(end)
    while (window := planner.next_window()) is not None:
        windows.append(window)  # nothing observed: every window keeps the first size
    assert [w.start for w in windows] == [START, START + timedelta(30), START + timedelta(60)]
    assert windows[-1].end == end
    for left, right in itertools.pairwise(windows):
        assert left.last_ms + 1 == right.start_ms


def test_empty_span_has_no_window() -> None:
    assert _planner(START).next_window() is None


def test_sparse_history_gets_the_widest_windows() -> None:
    windows = _all(_planner(START + timedelta(days=400)))
    assert [(w.end - w.start).days for w in windows] == [30, 90, 90, 90, 90, 10]


def test_windows_aim_at_the_target_number_of_records() -> None:
    # 200 records a day: 10,000 records fit in 50 days.
    windows = _all(_planner(START + timedelta(days=365)), records_per_day=200)
    assert [(w.end - w.start).days for w in windows][:3] == [30, 50, 50]
    # Denser than the target per day: one day, never less.
    windows = _all(_planner(START + timedelta(days=5)), records_per_day=50_000)
    assert [(w.end - w.start).days for w in windows] == [5]
    planner = _planner(START + timedelta(days=5), first_days=1)
    assert [(w.end - w.start).days for w in _all(planner, 50_000)] == [1] * 5


def test_first_windows_never_exceed_the_maximum() -> None:
    windows = _all(_planner(START + timedelta(days=100), first_days=365, max_days=45))
    assert [(w.end - w.start).days for w in windows] == [45, 45, 10]


def test_a_timed_out_width_is_never_planned_again() -> None:
    planner = _planner(START + timedelta(days=365))
    planner.observe(planner.next_window(), 0)  # type: ignore[arg-type]
    planner.narrow(22.5)
    window = planner.next_window()
    assert window is not None and window.end - window.start == timedelta(days=22)
    planner.observe(window, 0)
    nxt = planner.next_window()
    assert nxt is not None and nxt.end - nxt.start == timedelta(days=22)


def test_halves_split_at_a_millisecond_without_gap_or_overlap() -> None:
    window = Window(START, START + timedelta(days=3))
    left, right = halves(window)
    assert left.start == window.start and right.end == window.end
    assert left.end == right.start == START + timedelta(days=1, hours=12)
    assert left.last_ms + 1 == right.start_ms


def test_covered_share_of_the_span() -> None:
    planner = _planner(START + timedelta(days=100))
    assert planner.covered(START) == 0
    assert planner.covered(START + timedelta(days=25)) == 0.25
    assert planner.covered(START + timedelta(days=200)) == 1


def test_epoch_ms_to_iso() -> None:
    assert ms_to_iso(1622948400000) == "2021-06-06T03:00:00+00:00"
    assert ms_to_iso(to_ms(datetime(2020, 1, 1, tzinfo=UTC))) == "2020-01-01T00:00:00+00:00"
    assert ms_to_iso(None) is None
    assert ms_to_iso("soon") is None
    assert ms_to_iso(True) is None


def test_the_tail_is_cut_for_every_worker_where_it_holds_enough_records() -> None:
    """8 windows at once: once the rest of the span (125 days) fits in 3 windows of the
    planned 50 days, it is cut into 8, so 8 workers read the last records, not 3; a sparse
    rest (1,250 records, under an eighth of the target per worker) and one worker at a
    time keep the planned width."""
    end = START + timedelta(days=365)
    widths = _in_order(_planner(end, parallel=8), 8, records_per_day=200)
    assert widths == [timedelta(days=30)] * 8 + [timedelta(days=125 / 8)] * 8
    widths = _in_order(_planner(end, parallel=8), 8, records_per_day=10)
    assert [w.days for w in widths] == [30] * 8 + [90, 35]
    widths = _in_order(_planner(end, parallel=1), 1, records_per_day=200)
    assert [w.days for w in widths] == [30, 50, 50, 50, 50, 50, 50, 35]


def _in_order(planner: WindowPlanner, parallel: int, records_per_day: float) -> list[timedelta]:
    """Plan as the streams do: `parallel` windows ahead, each observed in window order."""
    planned: deque[Window] = deque()
    spans = []
    for _ in range(parallel):
        if (window := planner.next_window()) is not None:
            planned.append(window)
    while planned:
        window = planned.popleft()
        spans.append(window.end - window.start)
        planner.observe(window, round(records_per_day * spans[-1] / timedelta(days=1)))
        if (window := planner.next_window()) is not None:
            planned.append(window)
    return spans
