"""Ingress benchmark with tiny models (the machinery's own cost, not the models'): how many
updates per second one ``briefbot ingress`` takes in, how many cache hits it answers itself per
second, and how much the queue hop adds to a lone request, each against the embedded
``briefbot run`` on the same traffic. Not a test: it prints figures.

Per mode (embedded ``briefbot run`` on SQLite; ``briefbot ingress`` + one ``briefbot worker`` on
PostgreSQL with procrastinate), each on a fresh database and Bot API server, polling:

- lone: ``--lone`` requests one at a time (distinct texts): reply latency p50 from the push to
  the final answer's Bot API call. Scaled p50 minus embedded p50 is what the queue hop adds.
- burst: ``--burst`` distinct texts from as many chats pushed at once: the ingress's intake rate
  (updates per second until every one has its first reply: the progress message, its job
  recorded and deferred) and the answered rate (until every final answer), against the
  embedded mode's answered rate.
- hits: ``--burst`` requests of one text already answered (a results-cache hit each): answers
  per second (at the ingress: no job, no worker).

Usage: python -m benchmarks.ingress_rate [--burst 300] [--lone 20]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a file, too

from benchmarks.bench_models import DEFAULT_WORK_DIR, ensure_packages, machine_info
from benchmarks.bot_bench import start_briefbot
from benchmarks.bot_bench import write_config as write_bot_config
from benchmarks.bot_process import stop_bot, until
from benchmarks.cluster import queue_hops
from benchmarks.replies import Request, _answers, classify, is_answered
from tests.support.bot_api_server import BotApiServer
from tests.support.bot_harness import GERMAN_ARTICLE
from tests.support.postgres import PostgresServer

PAIRS = (("de", "en"),)


@dataclass
class ModeFigures:
    name: str
    lone_ms: list[float] = field(default_factory=list)
    intake_per_s: float | None = None
    answered_per_s: float = 0.0
    hits_per_s: float = 0.0
    unanswered: int = 0
    hops_ms: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)


def _text(n: int) -> str:
    return f"{GERMAN_ARTICLE}\nMeldung Nummer {n}: Der Bericht wurde am Abend ergänzt."


def _push(server: BotApiServer, chat: int, text: str) -> Request:
    request = Request(chat, 0.0, "text", 0, pushed=time.monotonic())
    request.message_id = int(server.push_message(chat, text, user_id=chat)["message_id"])
    return request


def _first_reply(server: BotApiServer, request: Request) -> float | None:
    """When the first message answering ``request`` was sent (the ingress's progress message)."""
    times = [
        call.time
        for call in server.calls("sendMessage")
        if call.status == 200
        and int(call.params.get("chat_id", 0)) == request.chat_id
        and (call.params.get("reply_parameters") or {}).get("message_id") == request.message_id
    ]
    return min(times) if times else None


async def _burst(
    server: BotApiServer, texts: Sequence[str], first_chat: int, cap: float
) -> list[Request]:
    """Push every text at once (one chat each); wait (at most ``cap`` s) for every answer."""
    requests = [_push(server, first_chat + n, text) for n, text in enumerate(texts)]
    await until(lambda: all(is_answered(server, r) for r in requests), cap, step=0.2)
    for request in requests:
        classify(server, request)
    return requests


def _rate(began: float, at: Sequence[float | None]) -> float:
    """Requests per second from ``began`` to the last of the moments ``at`` (None: never)."""
    done = [t for t in at if t is not None]
    if not done:
        return 0.0
    return len(done) / max(1e-6, max(done) - began)


def _answered_at(requests: Sequence[Request]) -> list[float | None]:
    """When each summary's final answer went out (refusals and errors do not count)."""
    return [
        r.pushed + r.latency
        for r in requests
        if r.outcome == "summary" and r.pushed is not None and r.latency is not None
    ]


async def run_mode(
    args: argparse.Namespace, packages_dir: Path, folder: Path, url: str | None
) -> ModeFigures:
    name = "embedded run" if url is None else "ingress + 1 worker"
    figures = ModeFigures(name)
    config = folder / "briefbot.toml"
    scaled = {"BRIEFBOT_STORAGE_URL": url} if url else {}
    async with BotApiServer() as server:
        write_bot_config(
            config,
            server.base_url,
            packages_dir,
            ("en",),
            limits={
                "queue_size": 10 * args.burst,
                "workers": 2,
                "per_user_per_minute": 1000,
                "per_chat_per_minute": 1000,
            },
        )
        front = "run" if url is None else "ingress"
        processes = [start_briefbot(config, folder / f"{front}.log", (front,), scaled)]
        if url is not None:
            role = ("worker", "--concurrency", "2")
            processes.append(start_briefbot(config, folder / "worker.log", role, scaled))
        try:
            started = await until(
                lambda: (
                    bool(server.calls("deleteWebhook"))
                    and (
                        url is None or "Worker ready" in (folder / "worker.log").read_text("utf-8")
                    )
                ),
                args.start_timeout,
            )
            if not started:
                raise SystemExit(f"{name} did not start; logs in {folder}")
            # Lone requests, one at a time.
            for n in range(args.lone):
                request = _push(server, 1000 + n, _text(n))
                await until(functools.partial(is_answered, server, request), 60)
                classify(server, request)
                if request.latency is not None:
                    figures.lone_ms.append(request.latency * 1000)
            # A burst of distinct texts: intake (first reply) and answers.
            texts = [_text(10_000 + n) for n in range(args.burst)]
            began = time.monotonic()
            burst = await _burst(server, texts, 100_000, args.timeout)
            figures.outcomes.update(f"burst {r.outcome}" for r in burst)
            figures.unanswered = sum(r.outcome != "summary" for r in burst)
            figures.answered_per_s = _rate(began, _answered_at(burst))
            if url is not None:
                figures.intake_per_s = _rate(began, [_first_reply(server, r) for r in burst])
            # A burst of one text already answered: every request is a cache hit.
            began = time.monotonic()
            hits = await _burst(server, [_text(0)] * args.burst, 200_000, args.timeout)
            figures.outcomes.update(f"hits {r.outcome}" for r in hits)
            figures.unanswered += sum(r.outcome != "summary" for r in hits)
            figures.hits_per_s = _rate(began, _answered_at(hits))
            duplicated = sum(len(_answers(server.sent_messages(r.chat_id), r)) > 1 for r in hits)
            if duplicated:
                print(f"# {name}: {duplicated} cache hits got more than one message")
        finally:
            for process in processes:
                await stop_bot(process)
    figures.hops_ms = queue_hops(folder)[: args.lone]  # the lone requests' jobs come first
    return figures


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "–"


def _p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(results: list[ModeFigures]) -> str:
    base = results[0]
    lines = [
        "| mode | lone p50 ms | added p50 ms | intake updates/s | answered/s | cache hits/s"
        " | not a summary | queue hop p50 ms (lone) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        intake = "–"
        if r.intake_per_s is not None:
            intake = f"{r.intake_per_s:.1f} ({_ratio(r.intake_per_s, base.answered_per_s)})"
        lines.append(
            f"| {r.name} | {_p50(r.lone_ms):.0f} | {_p50(r.lone_ms) - _p50(base.lone_ms):+.0f} "
            f"| {intake} "
            f"| {r.answered_per_s:.1f} ({_ratio(r.answered_per_s, base.answered_per_s)}) "
            f"| {r.hits_per_s:.1f} ({_ratio(r.hits_per_s, base.hits_per_s)}) | {r.unanswered} "
            f"| {_p50(r.hops_ms):.0f} |"
        )
    lines.append("(ratios against the embedded mode's answered/s and cache hits/s)")
    lines += [f"- {r.name}: {dict(sorted(r.outcomes.items()))}" for r in results]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--lone", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=300.0, help="cap per burst")
    parser.add_argument("--start-timeout", type=float, default=90.0)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    args = parser.parse_args(argv)
    print(f"# machine: {machine_info()}")
    print("# shared machine: other jobs may run at the same time (see the load average)")
    packages_dir = ensure_packages(args.work_dir, PAIRS, "tiny")
    temp = Path(tempfile.mkdtemp(prefix="briefbot-ingress-"))
    for mode in ("embedded", "scaled"):
        (temp / mode).mkdir()
    server = PostgresServer.start()
    try:
        results = [asyncio.run(run_mode(args, packages_dir, temp / "embedded", None))]
        print(f"# {results[-1].name}: done", flush=True)
        url = server.new_database()
        results.append(asyncio.run(run_mode(args, packages_dir, temp / "scaled", url)))
        print(f"# {results[-1].name}: done", flush=True)
    finally:
        server.stop()
        shutil.rmtree(temp, ignore_errors=True)
    print(f"# tiny models, {args.lone} lone requests, bursts of {args.burst}")
    print(report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
