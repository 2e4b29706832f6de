"""Decoding at the operating system's lowest priority, for work nobody is waiting for yet.

Prefetching ("Longer" before the press) must never slow a real request. Holding background
batches back until the decode scheduler is idle is not enough: a batch already decoding when a
request arrives would keep a core for up to a second. So background work gets its own
CTranslate2 translator (one replica, one thread) created from a thread running ``SCHED_IDLE``:
CTranslate2 starts its worker threads from the creating thread, and Linux threads inherit its
scheduling policy (checked: the worker shows policy 5 in ``/proc/self/task/*/stat``). Such a
thread runs only when a core has nothing else to run, so a real request arriving mid-batch takes
the cores back at once and the background batch simply waits. Where ``SCHED_IDLE`` is missing,
the thread falls back to nice 19. The cost is a second copy of one model at a time (~100 MB
for a base package: the engine keeps one background translator and rebuilds it when the
prefetch moves to another model, which takes a fraction of a second).

At shutdown a background sentence must not be left decoding (a Python thread waiting inside
CTranslate2 when the interpreter exits aborts the process), so ``restore_priority`` gives the
worker threads normal priority again and the owner waits for the sentence to finish.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def lower_own_priority() -> str:
    """Put the calling thread (and the threads it starts) at the lowest CPU priority."""
    idle = getattr(os, "SCHED_IDLE", None)
    if idle is not None:
        try:
            os.sched_setscheduler(0, idle, os.sched_param(0))
            return "idle"
        except OSError:
            pass
    try:
        os.nice(19 - os.nice(0))
        return "nice 19"
    except OSError:
        return "normal"


def _thread_ids() -> set[int]:
    try:
        return {int(name) for name in os.listdir("/proc/self/task")}
    except OSError:  # not Linux: nothing to restore later
        return set()


def restore_priority(thread_ids: Iterable[int]) -> None:
    """Normal priority again for threads started at the lowest one (where permitted)."""
    other = getattr(os, "SCHED_OTHER", None)
    for thread_id in thread_ids:
        try:
            if other is not None:
                os.sched_setscheduler(thread_id, other, os.sched_param(0))
            os.setpriority(os.PRIO_PROCESS, thread_id, 0)
        except OSError:  # gone, or raising priority is not permitted here
            pass


def build_at_idle_priority(factory: Callable[[], T]) -> tuple[T, set[int]]:
    """``factory()`` called in a fresh thread at the lowest priority, so the threads it starts
    (CTranslate2's replica workers) inherit that priority, and the ids of those threads; its
    exception is re-raised here."""
    box: dict[str, object] = {}

    def build() -> None:
        lower_own_priority()
        before = _thread_ids()
        try:
            box["value"] = factory()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc
        box["threads"] = _thread_ids() - before

    thread = threading.Thread(target=build, name="briefbot-idle-build", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"], box["threads"]  # type: ignore[return-value]
