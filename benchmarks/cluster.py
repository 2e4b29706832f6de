"""Cluster benchmark: the load test's traffic against the embedded ``briefbot run`` (SQLite),
then ``briefbot ingress`` + 1 worker and + 2 workers (one PostgreSQL, procrastinate), side by
side in one run.

Each mode gets a fresh Bot API server, article server and database; the traffic is the load
test's (``benchmarks.load_test``: N chats × 2 requests plus bursts, the same seed). The workers
together use both cores: with two workers each gets ``inter_threads = 1`` and one pipeline
thread, with one worker (and embedded) it is 2 and 2. Measured per mode: answered, refused
(busy, rate limited), errors, lost (unanswered by the cap: must be 0), duplicated (requests
with more than one final answer: must be 0), reply p50/p95 from push to the delivering Bot API
call, summaries per second over the traffic phase, and each process's peak RSS (VmHWM). Not a
test: it prints figures, with ratios to the embedded mode.

Usage: python -m benchmarks.cluster [--chats 50] [--size tiny|base] [--modes embedded,1,2]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a file, too

from benchmarks.bench_models import ensure_packages, machine_info, markdown_table
from benchmarks.bot_bench import start_briefbot
from benchmarks.bot_process import peak_rss_mb, stop_bot, until
from benchmarks.load_test import (
    PAIRS,
    add_traffic_options,
    load_articles,
    plan_traffic,
    send_traffic,
    write_config,
)
from benchmarks.replies import Request, _answers, classify, is_answered, is_final
from tests.support.bot_api_server import BotApiServer
from tests.support.bot_harness import ArticleServer
from tests.support.postgres import PostgresServer


@dataclass
class ModeResult:
    name: str
    requests: list[Request]
    duplicated: int
    traffic_seconds: float
    rss_mb: dict[str, float]
    hops_ms: list[float]


def _threads(workers: int) -> dict[str, str]:
    """Both cores for the pipeline, split between the worker processes."""
    share = str(max(1, 2 // max(1, workers)))
    return {"BRIEFBOT_TRANSLATION_INTER_THREADS": share, "BRIEFBOT_LIMITS_WORKERS": share}


async def run_mode(
    args: argparse.Namespace, workers: int, packages_dir: Path, temp: Path, url: str | None
) -> ModeResult:
    """One mode: ``workers`` = 0 is the embedded ``briefbot run``."""
    name = "embedded run" if workers == 0 else f"ingress + {workers} worker(s)"
    articles = load_articles(args.eval_dir)
    plan = [r for r in plan_traffic(args, len(articles)) if r.at < args.duration]
    folder = temp / f"mode-{workers}"
    folder.mkdir()
    config = folder / "briefbot.toml"
    scaled = {"BRIEFBOT_STORAGE_URL": url} if url else {}
    async with BotApiServer() as server, ArticleServer() as pages:
        urls = [pages.add(f"/artikel/{i}", a.page()) for i, a in enumerate(articles)]
        write_config(config, server.base_url, packages_dir, args)
        front = "run" if workers == 0 else "ingress"
        processes = {front: start_briefbot(config, folder / f"{front}.log", (front,), scaled)}
        for n in range(workers):
            role = ("worker", "--concurrency", str(args.workers))
            env = {**scaled, **_threads(workers)}
            processes[f"worker {n + 1}"] = start_briefbot(config, folder / f"w{n}.log", role, env)
        try:
            ready = await until(
                lambda: (
                    bool(server.calls("deleteWebhook"))
                    and all(
                        "Worker ready" in (folder / f"w{n}.log").read_text("utf-8", "replace")
                        for n in range(workers)
                    )
                ),
                args.start_timeout,
            )
            if not ready:
                raise SystemExit(f"{name} did not start; logs in {folder}")
            began = time.monotonic()
            sender = asyncio.create_task(send_traffic(server, articles, urls, plan))
            await until(
                lambda: sender.done() and all(is_answered(server, r) for r in plan),
                args.duration,
                step=0.2,
            )
            sender.cancel()
            traffic = time.monotonic() - began
            await asyncio.sleep(1.0)  # a duplicate answer would be on its way by now
            rss = {role: peak_rss_mb(p.pid, 0) for role, p in processes.items()}
        finally:
            for process in processes.values():
                await stop_bot(process)
        for request in plan:
            classify(server, request)
        duplicated = sum(
            len([m for m in _answers(server.sent_messages(r.chat_id), r) if is_final(m)]) > 1
            for r in plan
        )
    return ModeResult(name, plan, duplicated, traffic, rss, queue_hops(folder))


_LOGGED = re.compile(r"^(\S+ \S+) .*(?:Queued job|Working on job) (\d+)")


def queue_hops(folder: Path) -> list[float]:
    """Milliseconds from "Queued job N" (ingress log) to the first "Working on job N" (a
    worker's log): the queue's own share of a reply's latency."""
    queued: dict[str, float] = {}
    started: dict[str, float] = {}
    for log in sorted(folder.glob("*.log")):
        for line in log.read_text("utf-8", "replace").splitlines():
            found = _LOGGED.match(line)
            if found:
                at = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
                into = queued if "Queued job" in line else started
                into.setdefault(found.group(2), at)
    return [(started[j] - queued[j]) * 1000 for j in queued if j in started]


def _cuts(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    if not ordered:
        return float("nan"), float("nan")
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def report(results: list[ModeResult]) -> str:
    rows = []
    base_rate = base_p50 = None
    for result in results:
        counts = Counter(r.outcome for r in result.requests)
        latencies = [r.latency for r in result.requests if r.outcome == "summary" and r.latency]
        p50, p95 = _cuts([latency for latency in latencies if latency is not None])
        rate = counts["summary"] / result.traffic_seconds if result.traffic_seconds else 0.0
        base_rate = base_rate or rate
        base_p50 = base_p50 or p50
        rows.append(
            [
                result.name,
                len(result.requests),
                counts["summary"],
                counts["busy"],
                counts["rate limited"],
                counts["error"],
                counts["unanswered"],
                result.duplicated,
                f"{p50 * 1000:.0f} ({p50 / base_p50:.2f}x)",
                f"{p95 * 1000:.0f}",
                f"{rate:.2f} ({rate / base_rate:.2f}x)",
                ", ".join(f"{role} {mb:.0f}" for role, mb in result.rss_mb.items()),
            ]
        )
    hops = [
        f"{r.name}: p50 {_cuts(r.hops_ms)[0]:.0f} ms, p95 {_cuts(r.hops_ms)[1]:.0f} ms"
        for r in results
        if r.hops_ms
    ]
    header = ["mode", "sent", "answered", "busy", "rate limited", "errors", "lost", "duplicated",
              "p50 ms", "p95 ms", "summaries/s", "peak RSS MB"]  # fmt: skip
    lines = [markdown_table(header, rows)]
    lines += [f"- queue hop (ingress 'Queued job' to worker 'Working on job'), {h}" for h in hops]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="0,1,2", help="worker counts; 0 = embedded run")
    add_traffic_options(parser)  # --workers: pipeline threads (embedded), jobs per worker
    parser.set_defaults(duration=180.0, start_timeout=90.0)
    args = parser.parse_args(argv)
    if not (args.eval_dir / "mt_de_fr.jsonl").is_file():
        print(f"error: no eval data in {args.eval_dir} (use --eval-dir)", file=sys.stderr)
        return 2
    modes = [int(m) for m in args.modes.split(",")]
    print(f"# machine: {machine_info()}")
    print("# shared machine: other jobs may run at the same time (see the load average)")
    packages_dir = ensure_packages(args.work_dir, PAIRS, args.size)
    temp = Path(tempfile.mkdtemp(prefix="briefbot-cluster-"))
    server = PostgresServer.start() if any(modes) else None
    try:
        results = []
        for workers in modes:
            url = server.new_database() if server is not None and workers else None
            results.append(asyncio.run(run_mode(args, workers, packages_dir, temp, url)))
            print(f"# {results[-1].name}: done", flush=True)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(temp, ignore_errors=True)
    print(f"# {args.chats} chats, {args.size} models, queue {args.queue_size}")
    print(report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
