"""The stores on SQLite (the default) and on PostgreSQL, side by side: what a request's storage
work costs on each, one at a time and with concurrent tasks.

PostgreSQL is the test server of ``tests/support/postgres.py`` (loopback, fsync off, as in the
tests) unless ``--url`` names one. Each operation runs ``--ops`` times per backend, the backends
alternating in rounds of 50 so load changes on the shared machine hit both; p50/p95 are per call.
"Concurrent" runs ``--tasks`` coroutines updating settings of their own chats at once (SQLite
serializes them on its one connection; PostgreSQL spreads them over its pool).

Usage: python -m benchmarks.storage_backends [--ops 500] [--tasks 8] [--url postgresql://…]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a file, too

from benchmarks.bench_models import print_machine
from bot.config import DefaultsConfig
from bot.storage import Storage
from tests.support.postgres import PostgresServer

DEFAULTS = DefaultsConfig()
ROUND = 50
Op = Callable[[Storage, int], Awaitable[object]]


async def _job_cycle(storage: Storage, i: int) -> None:
    job_id = await storage.jobs.create_job(-i, i, i, "summary", {"url": f"https://x.test/{i}"})
    await storage.jobs.claim_job(job_id)
    await storage.jobs.mark_done(job_id)


OPS: dict[str, Op] = {
    "settings get": lambda s, i: s.settings.get_chat_settings(-(i % 100), DEFAULTS),
    "settings toggle (locked r-m-w)": lambda s, i: s.settings.update_chat_settings(
        -(i % 100), DEFAULTS, show_source=lambda v: not v
    ),
    "cache put": lambda s, i: s.cache.put(f"k{i % 200}", {"summary": ["Satz."] * 3, "i": i}),
    "cache get (hit)": lambda s, i: s.cache.get(f"k{i % 200}"),
    "job create+claim+done": _job_cycle,
    "stats record": lambda s, i: s.stats.record_request(-1, "summary", "ok", False, {"total": 1.0}),
    "rate-limit acquire": lambda s, i: s.rate_limits.acquire(f"user:{i % 50}", limit=10**6),
}


async def _timed(op: Op, storage: Storage, indices: range) -> list[float]:
    times = []
    for i in indices:
        started = time.perf_counter()
        await op(storage, i)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def _concurrent(storage: Storage, tasks: int, per_task: int) -> float:
    async def worker(t: int) -> None:
        for _ in range(per_task):
            await storage.settings.update_chat_settings(
                1000 + t, DEFAULTS, show_source=lambda v: not v
            )

    started = time.perf_counter()
    await asyncio.gather(*(worker(t) for t in range(tasks)))
    return tasks * per_task / (time.perf_counter() - started)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(ops: int, tasks: int, url: str, work: Path) -> None:
    backends = {
        "sqlite": await Storage.open(work / "bench.sqlite3"),
        "postgres": await Storage.open_postgres(url, pool_size=max(tasks, 2)),
    }
    try:
        print(
            "| operation (ms per call) | SQLite p50 | p95 | PostgreSQL p50 | p95 | PG/SQLite p50 |"
        )
        print("|---|---:|---:|---:|---:|---:|")
        for name, op in OPS.items():
            times: dict[str, list[float]] = {b: [] for b in backends}
            for start in range(0, ops, ROUND):
                indices = range(start, min(ops, start + ROUND))
                for backend, storage in backends.items():
                    times[backend] += await _timed(op, storage, indices)
            sq, pg = times["sqlite"], times["postgres"]
            print(
                f"| {name} | {statistics.median(sq):.2f} | {_p(sq, 0.95):.2f} "
                f"| {statistics.median(pg):.2f} | {_p(pg, 0.95):.2f} "
                f"| {statistics.median(pg) / statistics.median(sq):.1f}x |"
            )
        rates = {b: await _concurrent(s, tasks, max(1, ops // tasks)) for b, s in backends.items()}
        print(
            f"| {tasks} concurrent tasks, settings toggles per second | "
            f"{rates['sqlite']:.0f} | | {rates['postgres']:.0f} | "
            f"| {rates['postgres'] / rates['sqlite']:.2f}x |"
        )
    finally:
        for storage in backends.values():
            await storage.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--ops", type=int, default=500)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--url", help="an existing PostgreSQL database (default: a test server)")
    args = parser.parse_args(argv)
    print_machine()
    server = None if args.url else PostgresServer.start()
    try:
        url = args.url or (server.new_database() if server else "")
        with tempfile.TemporaryDirectory() as work:
            asyncio.run(run(args.ops, args.tasks, url, Path(work)))
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
