"""The per-account limiter keeps within the budget and obeys the server's reset."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from tap_hotmart.ratelimit import RateLimiter, request_rank


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_sliding_window_allows_the_budget_then_waits() -> None:
    fake = FakeTime()
    limiter = RateLimiter(3, clock=fake.clock, sleep=fake.sleep)
    for _ in range(3):
        limiter.acquire()
    assert fake.slept == []
    limiter.acquire()
    assert len(fake.slept) == 1
    assert 60 <= fake.slept[0] <= 62


def test_server_reset_blocks_after_429() -> None:
    fake = FakeTime()
    limiter = RateLimiter(500, clock=fake.clock, sleep=fake.sleep)
    limiter.observe({"RateLimit-Remaining": "0", "RateLimit-Reset": "7"}, 429)
    limiter.acquire()
    assert fake.slept == [7.0]


def test_remaining_zero_pauses_even_without_429() -> None:
    fake = FakeTime()
    limiter = RateLimiter(500, clock=fake.clock, sleep=fake.sleep)
    limiter.observe({"RateLimit-Remaining": "0", "RateLimit-Reset": "3"}, 200)
    limiter.acquire()
    assert fake.slept == [3.0]
    limiter.observe({"RateLimit-Remaining": "12", "RateLimit-Reset": "3"}, 200)
    limiter.acquire()
    assert fake.slept == [3.0]


def test_our_own_full_window_is_not_paused_again_for_the_rounded_reset() -> None:
    """At the limit every answer says Remaining 0 with a reset rounded up to whole seconds;
    our window knows the exact second a slot frees, so the zero adds no pause of its own."""
    fake = FakeTime()
    limiter = RateLimiter(3, clock=fake.clock, sleep=fake.sleep)
    for _ in range(3):
        limiter.acquire()
        fake.now += 0.1
    limiter.observe({"RateLimit-Remaining": "0", "RateLimit-Reset": "60"}, 200)
    limiter.acquire()
    # The oldest send (1000.0) leaves our window at 1060.5: no wait for the server's 60 s.
    assert fake.slept == [pytest.approx(1060.5 - 1000.3)]


def test_remaining_zero_with_room_in_our_window_means_other_tools_use_the_budget() -> None:
    fake = FakeTime()
    limiter = RateLimiter(500, clock=fake.clock, sleep=fake.sleep)
    limiter.acquire()
    limiter.observe({"RateLimit-Remaining": "0", "RateLimit-Reset": "5"}, 200)
    limiter.acquire()
    assert fake.slept == [5.0]


def test_where_slots_are_short_the_lowest_rank_goes_first() -> None:
    """Two threads wait for the one slot a full window frees: the one whose records are
    emitted first gets it, though the other began waiting first."""
    fake = FakeTime()
    woken = threading.Event()

    def sleep(seconds: float) -> None:  # every waiter sleeps until the test wakes them
        woken.wait(5)  # only the test moves the clock: a waiter writing it could undo a move

    limiter = RateLimiter(1, clock=fake.clock, sleep=sleep)
    limiter.acquire()  # the window is full until 1060.5
    order, threads, answer = _later_then_earlier_waiting(limiter)
    answer.set()  # answers change nothing here: the window holds them
    fake.now = 1000.0 + 61.0  # the first send has left the window
    woken.set()
    _until(lambda: len(order) == 1)
    assert order == ["earlier window"]
    # The later one waits for the next slot (our window holds one send a minute).
    assert threads["later window"].is_alive()
    fake.now += 61.0
    _join(threads)
    assert order == ["earlier window", "later window"]


@pytest.mark.parametrize("ends", ["answered", "raised"])
def test_places_in_flight_go_by_rank_and_free_when_a_request_ends(ends: str) -> None:
    """With every place in flight taken, the earlier-ranked waiter gets the next one,
    whether the request holding it was answered or ended in an exception."""
    limiter = RateLimiter(500, max_in_flight=1)
    holder_sent, holder_ends = threading.Event(), threading.Event()

    def holder() -> None:
        limiter.acquire()
        holder_sent.set()
        holder_ends.wait(5)
        if ends == "answered":
            limiter.observe({}, 200)
        else:
            limiter.abandon()

    holding = threading.Thread(target=holder)
    holding.start()
    holder_sent.wait(5)
    order, threads, answer = _later_then_earlier_waiting(limiter)
    holder_ends.set()
    _until(lambda: len(order) == 1)
    assert order == ["earlier window"]
    assert threads["later window"].is_alive()  # the earlier one's request is unanswered
    answer.set()
    _join({**threads, "holder": holding})
    assert order == ["earlier window", "later window"]


def _later_then_earlier_waiting(
    limiter: RateLimiter,
) -> tuple[list[str], dict[str, threading.Thread], threading.Event]:
    """Start a later-ranked waiter, then an earlier-ranked one; return once both wait.

    Each notes its name once its request may go, and is answered once the event is set."""
    order: list[str] = []
    answer = threading.Event()

    def waiter(name: str, rank: tuple[int, ...]) -> None:
        with request_rank(rank):
            limiter.acquire()
        order.append(name)
        answer.wait(5)
        limiter.observe({}, 200)

    threads = {
        name: threading.Thread(target=waiter, args=(name, rank))
        for name, rank in (("later window", (0, 1, 7)), ("earlier window", (0, 1, 2)))
    }
    waiting = len(limiter._waiting)
    for started, thread in enumerate(threads.values(), start=1):
        thread.start()
        _until(lambda started=started: len(limiter._waiting) == waiting + started)
    return order, threads, answer


def _join(threads: dict[str, threading.Thread]) -> None:
    for thread in threads.values():
        thread.join(5)


def _until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)
