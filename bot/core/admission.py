"""Per-key sliding-window rate limits, the bounded admission queue for pipeline work, and the
waiting line in front of the workers."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, field


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


PositionCallback = Callable[[int], Awaitable[None]]


@dataclass(eq=False)
class _Waiter:
    moved: asyncio.Event = field(default_factory=asyncio.Event)
    granted: bool = False


class WaitingLine:
    """At most ``slots`` jobs run at once; the others wait first come, first served and are
    told their place in line (1 = next) whenever it changes, so a user sees it move.

    Each move told is an edit of a message: all waiters together are told at most
    ``moves_per_second`` moves a second, nearest places first (a waiter refused tries again
    when the budget allows), so a long line cannot use up the Bot API budget the answers need
    (150 waiters each edited every 3 s were ~50 edits/s, over PTB's ~30 calls/s). The first
    place is always told: it is shown with the progress message, no extra edit."""

    def __init__(
        self,
        slots: int,
        moves_per_second: int = 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.slots = max(1, slots)
        self._running = 0
        self._waiting: list[_Waiter] = []
        self._moves = SlidingWindowLimiter(moves_per_second, 1.0, clock)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @contextlib.asynccontextmanager
    async def turn(self, on_position: PositionCallback | None = None) -> AsyncIterator[bool]:
        """Hold a slot for the block; yields whether the caller had to wait for it."""
        waited = await self._acquire(on_position)
        try:
            yield waited
        finally:
            self._release()

    async def _acquire(self, on_position: PositionCallback | None) -> bool:
        if self._running < self.slots and not self._waiting:
            self._running += 1
            return False
        waiter = _Waiter()
        self._waiting.append(waiter)
        try:
            shown = 0
            while not waiter.granted:
                position = self._waiting.index(waiter) + 1
                retry = None
                if position != shown and on_position is not None:
                    retry = self._moves.acquire("moves") if shown else None
                    if retry is None:
                        shown = position
                        await on_position(position)
                if waiter.granted:
                    break
                waiter.moved.clear()
                if retry is None:
                    await waiter.moved.wait()
                else:  # out of budget: tell this move when it allows, unless it moves again
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(max(retry, 0.01)):
                            await waiter.moved.wait()
        except BaseException:
            if waiter.granted:
                self._release()  # the slot was handed over while we were being cancelled
            else:
                self._waiting.remove(waiter)
                self._notify()
            raise
        return True

    def _release(self) -> None:
        """Hand the slot to the first in line (it stays taken), or free it."""
        if self._waiting:
            first = self._waiting.pop(0)
            first.granted = True
            first.moved.set()
        else:
            self._running -= 1
        self._notify()

    def _notify(self) -> None:
        for waiter in self._waiting:
            waiter.moved.set()
