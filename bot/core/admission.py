"""Per-key sliding-window rate limits and the bounded admission queue for pipeline work."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable


class SlidingWindowLimiter:
    """At most ``limit`` events per key in any ``window`` seconds (``limit`` <= 0: unlimited).

    A sliding log rather than a fixed bucket, so a burst straddling a minute boundary cannot
    get twice the rate through.
    """

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[Hashable, deque[float]] = {}

    def acquire(self, key: Hashable) -> float | None:
        """Record an event and return None, or return the seconds until one would be allowed."""
        if self.limit <= 0:
            return None
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return max(0.0, events[0] + self.window - now)
        events.append(now)
        self._forget_idle(now)
        return None

    def _forget_idle(self, now: float) -> None:
        """Drop keys whose events have all expired, so memory stays bounded by active keys."""
        if len(self._events) < 1024:
            return
        for key in [k for k, ev in self._events.items() if not ev or ev[-1] <= now - self.window]:
            del self._events[key]


class QueueFull(Exception):
    """The bounded queue has no free slot; the caller answers "busy"."""


class AdmissionQueue:
    """Counts accepted requests (waiting for a worker or running) and refuses past ``capacity``.

    Pipeline work waits for the bounded thread pool; this bound keeps that wait from growing
    without limit: past it the user is told the bot is busy instead.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._pending = 0

    @property
    def pending(self) -> int:
        return self._pending

    def enter(self, *, force: bool = False) -> None:
        """Take a slot; ``force`` (resumed jobs, already accepted once) ignores the bound."""
        if self._pending >= self.capacity and not force:
            raise QueueFull
        self._pending += 1

    def leave(self) -> None:
        self._pending = max(0, self._pending - 1)
