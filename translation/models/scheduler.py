"""One decoding scheduler per loaded model: continuous batching across concurrent requests.

Each request is planned on its own (``plan_batches``: length buckets, or for a summary its
longest sentence alone and the rest together), which fixes every sentence's decoding bound
exactly as without the scheduler. Sentences then wait in per-bound queues shared by every
request for that model; up to one worker thread per CTranslate2 replica takes the next batch
whenever its replica is free, so sentences that arrive while a batch is decoding join the next
one and the replicas decode full batches under load. Only sentences with the same bound share
a batch, so an output never depends on the other requests waiting (random-weight models run to
the bound; the bound is the only thing a batch imposes on a sentence).

A lone request keeps its latency floor: its plan's batches go to idle replicas at once (its
longest sentence alone on one). Requests are served oldest first, longest bound first within a
request. Age is the request's, not the hop's (``since``), and the schedulers of all models
share one ``DecodeSlots``: one decoding batch per core, granted to the model whose waiting
work is oldest, so a request's second hop goes before the first hop of requests that came
after it instead of sharing the cores with them.
"""

from __future__ import annotations

import bisect
import itertools
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from translation.models.batching import plan_batches

#: Decodes pre-tokenized sources to at most ``bound`` target tokens: hypotheses, in order.
RunBatch = Callable[[list[list[str]], int], list[list[str]]]


@dataclass
class _Job:
    """One caller's sentences: filled in by whichever workers decode them."""

    results: list[list[str]]
    remaining: int
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


@dataclass(frozen=True)
class _Item:
    age: tuple[float, int]  # (the request's start, arrival order): smaller is older
    job: _Job
    index: int
    tokens: list[str]
    bound: int


def _oldest_first(item: _Item) -> tuple[tuple[float, int], int]:
    return item.age, item.index


class DecodeSlots:
    """Batches decoding at once across every model's scheduler: one per core.

    Each model has its own replicas, so with both hops of de→fr busy four decodes would share
    two cores and the oldest request would get half of one. A free slot goes to the waiting
    scheduler whose oldest sentence belongs to the oldest request.
    """

    def __init__(self, count: int) -> None:
        self._free = max(1, count)
        self._changed = threading.Condition()
        self._waiting: list[Callable[[], tuple[float, int] | None]] = []

    @property
    def free(self) -> int:
        return self._free

    def acquire(self, oldest: Callable[[], tuple[float, int] | None]) -> None:
        """Wait for a slot; ``oldest`` tells the caller's oldest waiting sentence's age (None:
        nothing waits, so the caller goes first and finds nothing to take)."""
        with self._changed:
            self._waiting.append(oldest)
            try:
                self._changed.wait_for(lambda: self._free > 0 and self._first() is oldest)
            finally:
                self._waiting.remove(oldest)
            self._free -= 1

    def release(self) -> None:
        with self._changed:
            self._free += 1
            self._changed.notify_all()

    def changed(self) -> None:
        """New work arrived somewhere: the oldest waiter may be another one now."""
        with self._changed:
            self._changed.notify_all()

    def _first(self) -> Callable[[], tuple[float, int] | None]:
        ages = [(fn() or (-math.inf, 0), i) for i, fn in enumerate(self._waiting)]
        return self._waiting[min(ages)[1]]


class DecodeScheduler:
    """Collects sentences of all callers for one model and decodes them in shared batches."""

    def __init__(
        self,
        run_batch: RunBatch,
        *,
        replicas: int,
        max_batch_size: int,
        bound: Callable[[int], int],
        slots: DecodeSlots | None = None,
    ) -> None:
        self._run_batch = run_batch
        self._replicas = max(1, replicas)
        self._slots = slots if slots is not None else DecodeSlots(self._replicas)
        self._max_batch = max(1, max_batch_size)
        self._bound = bound
        self._lock = threading.Lock()
        self._queues: dict[int, list[_Item]] = {}  # by decoding bound, oldest first
        self._workers = 0
        self._busy = 0
        self._job_numbers = itertools.count()
        self.batches = 0  # decoded so far, for benchmarks and tests

    def decode(
        self, encoded: Sequence[list[str]], lengths: Sequence[int], since: float | None = None
    ) -> list[list[str]]:
        """Hypothesis tokens per sentence ([] where ``lengths`` is 0); blocks until done.
        ``since`` (``time.monotonic()``) is when the caller's request began: older requests'
        sentences go first (default: now)."""
        todo = [i for i, n in enumerate(lengths) if n > 0]
        job = _Job(results=[[] for _ in encoded], remaining=len(todo))
        if not todo:
            return job.results
        age = (time.monotonic() if since is None else since, next(self._job_numbers))
        items: list[_Item] = []
        for batch in plan_batches(lengths, self._max_batch, self._replicas):
            bound = max(self._bound(lengths[i]) for i in batch)
            items.extend(_Item(age, job, i, list(encoded[i]), bound) for i in batch)
        with self._lock:
            for item in items:
                bisect.insort(self._queues.setdefault(item.bound, []), item, key=_oldest_first)
            self._start_workers()
        self._slots.changed()
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.results

    def _units(self) -> int:
        return sum(math.ceil(len(queue) / self._max_batch) for queue in self._queues.values())

    def _start_workers(self) -> None:
        """Called with the lock held: one worker per replica that has a batch to take."""
        wanted = min(self._replicas, self._busy + self._units())
        while self._workers < wanted:
            self._workers += 1
            threading.Thread(target=self._work, name="briefbot-decode", daemon=True).start()

    def _oldest(self) -> tuple[float, int] | None:
        with self._lock:
            return min((queue[0].age for queue in self._queues.values()), default=None)

    def _take(self) -> list[_Item] | None:
        """Called with the lock held: the oldest request's next batch, longest bound first."""
        if not self._queues:
            return None
        bound = min(self._queues, key=lambda b: (self._queues[b][0].age, -b))
        queue = self._queues[bound]
        pieces = math.ceil(len(queue) / self._max_batch)
        free = 1 + min(self._replicas - self._busy - 1, self._slots.free)
        units = self._units()
        if units < free:  # split so that idle replicas get a share of the only work there is
            pieces = min(len(queue), pieces + free - units)
        size = math.ceil(len(queue) / pieces)
        batch, self._queues[bound] = queue[:size], queue[size:]
        if not self._queues[bound]:
            del self._queues[bound]
        return batch

    def _work(self) -> None:
        while True:
            self._slots.acquire(self._oldest)
            with self._lock:
                batch = self._take()
                if batch is None:
                    self._workers -= 1
                    self._slots.release()
                    return
                self._busy += 1
                self._start_workers()
            try:
                hypotheses = self._run_batch([item.tokens for item in batch], batch[0].bound)
            except Exception as exc:  # the callers waiting on this batch re-raise it
                self._finish(batch, None, exc)
            else:
                self._finish(batch, hypotheses, None)
            finally:
                self._slots.release()

    def _finish(
        self,
        batch: list[_Item],
        hypotheses: list[list[str]] | None,
        error: BaseException | None,
    ) -> None:
        with self._lock:
            self._busy -= 1
            self.batches += 1
            for position, item in enumerate(batch):
                job = item.job
                if hypotheses is None:
                    job.error = error
                    job.done.set()
                    continue
                job.results[item.index] = hypotheses[position]
                job.remaining -= 1
                if job.remaining == 0:
                    job.done.set()
