"""Rate limits and the admission bound: how many requests get through, and when again.

The limiter takes its clock as a parameter, so these tests step time by hand instead of
sleeping; the bot tests (test_bot_faults) cover the same parts through Telegram.
"""

from __future__ import annotations

import pytest

from bot.core.admission import AdmissionQueue, QueueFull, SlidingWindowLimiter


class Clock:
    """Time that moves only when a test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_limit_events_pass_then_the_wait_until_the_oldest_expires() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(3, window=60.0, clock=clock)
    assert limiter.acquire("u") is None
    clock.now += 5
    assert [limiter.acquire("u"), limiter.acquire("u")] == [None, None]
    clock.now += 5
    assert limiter.acquire("u") == pytest.approx(50.0)
    clock.now += 49.5
    assert limiter.acquire("u") == pytest.approx(0.5)
    clock.now += 0.5  # exactly one window after the first event: it no longer counts
    assert limiter.acquire("u") is None
    assert limiter.acquire("u") == pytest.approx(5.0), "the next oldest expires 5 s later"


def test_refused_attempts_do_not_count() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(1, window=10.0, clock=clock)
    assert limiter.acquire("u") is None
    for _ in range(5):
        clock.now += 1
        assert limiter.acquire("u") is not None
    clock.now = 1010.0
    assert limiter.acquire("u") is None, "hammering while refused must not extend the wait"


def test_a_window_slides_instead_of_resetting_at_a_boundary() -> None:
    clock = Clock(0.0)
    limiter = SlidingWindowLimiter(2, window=60.0, clock=clock)
    clock.now = 59.0
    assert limiter.acquire("u") is None
    assert limiter.acquire("u") is None
    clock.now = 61.0  # a fixed minute bucket would start afresh here
    assert limiter.acquire("u") == pytest.approx(58.0)


def test_keys_are_limited_separately() -> None:
    limiter = SlidingWindowLimiter(1, clock=Clock())
    assert limiter.acquire(("user", 1)) is None
    assert limiter.acquire(("user", 2)) is None
    assert limiter.acquire(("user", 1)) is not None
    assert limiter.acquire(("chat", 1)) is None


@pytest.mark.parametrize("limit", [0, -1])
def test_a_limit_of_zero_or_less_means_unlimited(limit: int) -> None:
    limiter = SlidingWindowLimiter(limit, clock=Clock())
    assert all(limiter.acquire("u") is None for _ in range(500))
    assert limiter._events == {}, "an unlimited limiter keeps no log"


def test_default_window_is_a_minute() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(1, clock=clock)
    limiter.acquire("u")
    assert limiter.acquire("u") == pytest.approx(60.0)


def test_idle_keys_are_forgotten_once_there_are_many() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(1, window=60.0, clock=clock)
    for key in range(1023):
        limiter.acquire(key)
    clock.now += 30
    limiter.acquire("recent")  # 1024 keys, none expired: all kept
    assert len(limiter._events) == 1024
    clock.now += 30  # the first 1023 expire now; "recent" is 30 s old
    limiter.acquire("new")
    assert set(limiter._events) == {"recent", "new"}
    assert limiter.acquire("recent") == pytest.approx(30.0), "an active key keeps its log"


def test_the_sweep_starts_at_1024_keys() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(1, window=60.0, clock=clock)
    for key in range(1022):
        limiter.acquire(key)
    clock.now += 120
    limiter.acquire("a")  # 1023 keys: below the threshold, nothing is swept
    assert len(limiter._events) == 1023
    limiter.acquire("b")  # 1024 keys: the expired ones go
    assert set(limiter._events) == {"a", "b"}


def test_queue_refuses_past_capacity_and_frees_slots() -> None:
    queue = AdmissionQueue(2)
    queue.enter()
    queue.enter()
    assert queue.pending == 2
    with pytest.raises(QueueFull):
        queue.enter()
    assert queue.pending == 2, "a refused request takes no slot"
    queue.leave()
    queue.enter()
    assert queue.pending == 2


def test_forced_entries_pass_a_full_queue_and_still_count() -> None:
    queue = AdmissionQueue(1)
    queue.enter()
    queue.enter(force=True)
    assert queue.pending == 2
    queue.leave()
    with pytest.raises(QueueFull):
        queue.enter()
    queue.leave()
    queue.enter()
    assert queue.pending == 1


def test_capacity_is_at_least_one_and_leaving_never_goes_negative() -> None:
    queue = AdmissionQueue(0)
    assert queue.capacity == 1
    queue.enter()
    with pytest.raises(QueueFull):
        queue.enter()
    queue.leave()
    queue.leave()
    assert queue.pending == 0
    queue.enter()
    assert queue.pending == 1
