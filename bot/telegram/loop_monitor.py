"""How long the event loop was blocked: a periodic task that measures ``asyncio.sleep`` overshoot.

Blocking CPU work belongs in the worker pool; when something still runs on the loop, every
chat waits. A sleep of ``interval`` that wakes up late by X seconds means the loop could not
run anything for about X seconds, so the worst overshoot is the worst stall users felt. One
wake-up per ``interval`` costs microseconds. The figure is shown in /stats and logged at
shutdown (``benchmarks/load_test.py`` reads it from there).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: A late wake-up above this counts as a stall in the summary (scheduling jitter stays below).
STALL_THRESHOLD_SECONDS = 0.1


@dataclass(frozen=True)
class LoopLag:
    """What the monitor saw so far: the worst overshoot, when it happened, how many stalls."""

    worst_ms: float
    worst_at: float | None  # wall-clock time (time.time()) of the worst stall
    stalls: int  # wake-ups later than STALL_THRESHOLD_SECONDS
    checks: int

    def describe(self) -> str:
        when = time.strftime("%H:%M:%S", time.localtime(self.worst_at)) if self.worst_at else "-"
        return (
            f"worst stall {self.worst_ms:.0f} ms at {when}, {self.stalls} stalls over "
            f"{STALL_THRESHOLD_SECONDS * 1000:.0f} ms in {self.checks} checks"
        )


class LoopLagMonitor:
    """Started in ``post_init``, stopped in ``post_shutdown``; ``lag()`` reads it any time."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self._worst = 0.0
        self._worst_at: float | None = None
        self._stalls = 0
        self._checks = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._watch(), name="briefbot-loop-monitor")

    async def stop(self) -> LoopLag:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        return self.lag()

    def lag(self) -> LoopLag:
        return LoopLag(round(self._worst * 1000.0, 1), self._worst_at, self._stalls, self._checks)

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.record(loop.time() - due)

    def record(self, overshoot: float) -> None:
        """Account one wake-up that came ``overshoot`` seconds late."""
        self._checks += 1
        if overshoot > STALL_THRESHOLD_SECONDS:
            self._stalls += 1
        if overshoot > self._worst:
            self._worst, self._worst_at = overshoot, time.time()
