"""The per-account limiter keeps within the budget and obeys the server's reset."""

from __future__ import annotations

from tap_hotmart.ratelimit import RateLimiter


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
