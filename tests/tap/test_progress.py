"""Progress lines: one at INFO every INTERVAL_SECONDS per stream and account, never fewer."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

from tap_hotmart import progress
from tap_hotmart.windows import Window, WindowPlanner

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _levels_of_daily_windows(
    days: int, seconds_per_clock_read: float, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> list[int]:  # fmt: skip
    """The level of each window's line, for `days` one-day windows on a fake clock."""
    clock = iter(seconds_per_clock_read * n for n in range(1000))
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    planner = WindowPlanner(
        START, START + timedelta(days=days), first_days=1, max_days=1, target_records=100
    )
    report = progress.WindowProgress(logging.getLogger("t"), "sales", "acct-1", planner)
    caplog.set_level(logging.DEBUG)
    for day in range(days):
        window = Window(START + timedelta(days=day), START + timedelta(days=day + 1))
        report.window_done(window, records=5)
    return [r.levelno for r in caplog.records if "window" in r.getMessage()]


def test_a_fast_sync_logs_its_first_and_last_window_at_info(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    levels = _levels_of_daily_windows(10, 0.01, caplog, monkeypatch)
    assert levels == [logging.INFO, *[logging.DEBUG] * 8, logging.INFO]


def test_a_slow_sync_logs_a_line_every_interval(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The clock is read twice per window (level, ETA): a window every half interval.
    levels = _levels_of_daily_windows(7, progress.INTERVAL_SECONDS / 4, caplog, monkeypatch)
    assert levels == [logging.INFO, logging.DEBUG] * 3 + [logging.INFO]
