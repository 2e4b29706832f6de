"""Prometheus metrics of the scaled mode's processes (``--metrics-port`` on ingress and worker).

Requests, refusals, cache hits and per-stage latency are counted where statistics are already
recorded (``MeteredStats`` wraps the stats repository, so the core needs no metrics code);
queue depth is refreshed from the database; stalled-job retries are counted by the sweeper.
Each process exports its own figures; Prometheus adds them up across processes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from bot.core.ports import (
    AnswersRepository,
    JobsRepository,
    ResultsRepository,
    SettingsRepository,
    StatsRepository,
    StoragePort,
)
from bot.core.records import StatsSummary

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "briefbot_requests_total",
    "Requests by kind and outcome (ok, refused:…, error:…)",
    ["kind", "outcome"],
)
CACHE = Counter("briefbot_cache_lookups_total", "Answered requests by cache result", ["result"])
STAGE_SECONDS = Histogram(
    "briefbot_stage_seconds",
    "Time per pipeline stage of answered requests",
    ["stage"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
QUEUE_DEPTH = Gauge("briefbot_queue_depth", "Jobs queued and not yet claimed by a worker")
RETRIES = Counter("briefbot_stalled_jobs_requeued_total", "Jobs of dead workers queued again")


class MeteredStats:
    """A ``StatsRepository`` that also counts what it records."""

    def __init__(self, inner: StatsRepository) -> None:
        self._inner = inner

    async def record_request(
        self,
        chat_id: int,
        kind: str,
        outcome: str,
        cache_hit: bool,
        timings_ms: Mapping[str, float],
    ) -> None:
        REQUESTS.labels(kind, outcome).inc()
        if outcome == "ok":
            CACHE.labels("hit" if cache_hit else "miss").inc()
            for stage, ms in timings_ms.items():
                STAGE_SECONDS.labels(stage).observe(ms / 1000.0)
        await self._inner.record_request(chat_id, kind, outcome, cache_hit, timings_ms)

    async def summary(self, since: float | None = None) -> StatsSummary:
        return await self._inner.summary(since)


class MeteredStorage:
    """A ``StoragePort`` whose statistics are also counted (everything else passes through)."""

    def __init__(self, inner: StoragePort) -> None:
        self._inner = inner
        self._stats = MeteredStats(inner.stats)

    @property
    def settings(self) -> SettingsRepository:
        return self._inner.settings

    @property
    def cache(self) -> ResultsRepository:
        return self._inner.cache

    @property
    def jobs(self) -> JobsRepository:
        return self._inner.jobs

    @property
    def stats(self) -> StatsRepository:
        return self._stats

    @property
    def answers(self) -> AnswersRepository:
        return self._inner.answers

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        await self._inner.migrate_chat(old_chat_id, new_chat_id)

    async def close(self) -> None:
        await self._inner.close()


async def watch_queue_depth(waiting: Callable[[], Awaitable[int]], every: float = 5.0) -> None:
    """Keep ``briefbot_queue_depth`` current until cancelled."""
    while True:
        try:
            QUEUE_DEPTH.set(await waiting())
        except Exception as exc:  # a metric must never stop the process
            log.warning("Could not read the queue depth: %s", exc)
        await asyncio.sleep(every)


def serve_metrics(port: int, address: str = "127.0.0.1") -> None:
    """Export ``/metrics`` on ``address:port`` (a background thread of prometheus-client)."""
    start_http_server(port, addr=address)
    log.info("Metrics on http://%s:%d/metrics", address, port)
