"""The limiter learns a budget stricter than `requests_per_minute` from the server's answers
and never exceeds it, not even with requests in flight (issue #17). Fake time throughout;
`test_learned_rate_limit.py` runs the same against the emulator."""

from __future__ import annotations

import threading

from hotmart_emulator.ratelimit import RateLimiter as ServerLimiter
from tap_hotmart.ratelimit import RateLimiter
from tests.tap.test_ratelimit import FakeTime


def answer(limiter: RateLimiter, remaining: int, reset: int = 10, status: int = 200) -> None:
    limiter.observe({"RateLimit-Remaining": str(remaining), "RateLimit-Reset": str(reset)}, status)


def send_elsewhere(limiter: RateLimiter) -> None:
    """A request sent by another thread and still unanswered."""
    thread = threading.Thread(target=limiter.acquire)
    thread.start()
    thread.join()


def test_a_budget_below_the_setting_is_learnt_from_the_first_answer() -> None:
    fake = FakeTime()
    limiter = RateLimiter(500, clock=fake.clock, sleep=fake.sleep)
    limiter.acquire()  # the token request: the first contact
    answer(limiter, remaining=9)
    for remaining in range(8, -1, -1):
        limiter.acquire()
        answer(limiter, remaining)
    assert fake.slept == [], "the 10 requests the server allows went at once"
    limiter.acquire()  # the 11th: only once the server's budget renews, as a probe
    assert fake.slept == [10.0]
    answer(limiter, remaining=9)  # the renewed budget: 9 more
    for _ in range(9):
        limiter.acquire()
    assert fake.slept == [10.0]
    limiter.acquire()
    assert fake.slept == [10.0, 10.0]


def test_requests_in_flight_count_against_what_the_server_said_remains() -> None:
    """The cause of the 429s: threads already past the limiter when the budget ran out."""
    fake = FakeTime()
    limiter = RateLimiter(500, clock=fake.clock, sleep=fake.sleep)
    limiter.acquire()
    answer(limiter, remaining=3)
    for _ in range(3):
        send_elsewhere(limiter)  # the 3 remaining slots, taken by requests in flight
    limiter.acquire()
    assert fake.slept == [10.0]


def test_requests_sent_before_the_answer_and_unanswered_are_taken_as_not_counted_yet() -> None:
    fake = FakeTime()
    limiter = RateLimiter(500, clock=fake.clock, sleep=fake.sleep)
    send_elsewhere(limiter)  # sent first, may reach the server after the next one
    limiter.acquire()
    answer(limiter, remaining=2)
    limiter.acquire()
    assert fake.slept == [], "one slot left for us"
    limiter.acquire()
    assert fake.slept == [10.0]


def test_out_of_order_answers_never_raise_the_budget_before_its_reset() -> None:
    fake = FakeTime()
    limiter = RateLimiter(500, clock=fake.clock, sleep=fake.sleep)
    limiter.acquire()
    answer(limiter, remaining=1)
    limiter.acquire()
    answer(limiter, remaining=5)  # an older figure, overtaken by the first one
    limiter.acquire()
    assert fake.slept == [10.0]


def test_a_renewed_budget_with_more_room_than_our_window_lifts_the_servers() -> None:
    fake = FakeTime()
    limiter = RateLimiter(20, clock=fake.clock, sleep=fake.sleep)
    limiter.acquire()
    answer(limiter, remaining=0, reset=4)  # other tools spent it all
    limiter.acquire()
    assert fake.slept == [4.0]
    answer(limiter, remaining=400)  # they stopped: our own window is the limit again
    for _ in range(18):
        limiter.acquire()
    assert fake.slept == [4.0]
    limiter.acquire()
    assert len(fake.slept) == 2
    assert fake.slept[1] > 50


def test_a_429_without_headers_waits_for_retry_after() -> None:
    fake = FakeTime()
    limiter = RateLimiter(500, clock=fake.clock, sleep=fake.sleep)
    limiter.acquire()
    limiter.observe({"Retry-After": "4"}, 429)
    limiter.acquire()
    assert fake.slept == [4.0]


def test_a_probe_that_failed_lets_another_go() -> None:
    """A probe that ended in an exception (no answer) must not hold the account forever."""
    fake = FakeTime()
    limiter = RateLimiter(500, clock=fake.clock, sleep=fake.sleep)
    limiter.acquire()
    answer(limiter, remaining=0, reset=2)
    limiter.acquire()  # the probe, whose connection drops
    limiter.acquire()  # its retry, by the same thread: a new probe, at once
    assert fake.slept == [2.0]


def test_a_server_window_shorter_than_ours_governs_to_the_end() -> None:
    """Our window holds 60 a minute, the server's 10 per 10 s. Once our window is full, the
    slots it frees come in the bursts the server allowed a minute ago, into a server window
    the last burst still fills: the server's budget must keep governing then (it used to be
    dropped, for our window, at the first renewal with less room in ours: 429s every few
    seconds from then on). One thread, 150 ms a round trip, the emulator's own limiter as
    the server, on the same fake clock."""
    fake = FakeTime()
    server = ServerLimiter(10, window_s=10, clock=fake.clock)
    limiter = RateLimiter(60, clock=fake.clock, sleep=fake.sleep)
    started, refused = fake.now, 0
    for _ in range(200):
        limiter.acquire()
        fake.now += 0.075  # on the way
        allowed, headers = server.hit("account")
        fake.now += 0.075  # the answer on its way back
        refused += not allowed
        limiter.observe(headers, 200 if allowed else 429)
    assert refused == 0
    # At the bound: 200 requests under 10 per sliding 10 s need 190 s; the server's reset,
    # rounded up to a whole second, costs up to a second per renewal on top.
    assert fake.now - started <= 190 * 1.15, fake.now - started
