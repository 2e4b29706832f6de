"""Feeds in the scaled mode: chats following overlapping feeds through ``briefbot ingress``,
polled and delivered by ``briefbot worker`` processes (one PostgreSQL, procrastinate).

Real processes against the loopback Bot API server and a loopback page server with the feeds
and German article pages. Every chat follows ``--per-chat`` of ``--feeds`` feeds (overlapping)
with ``/follow``; then ``--rounds`` times ``--changed`` feeds publish one new article each
(every other one also in a second feed), every feed is made due (as if their interval had
passed) and the workers' periodic tick (every second) takes over. Measured per round: feed
fetches, article fetches (one per new article is the goal, however many chats get it),
deliveries, and the delivery latency from the moment the feeds were due to each article's
``sendMessage``; at the end each process's peak RSS (VmHWM).

Usage: python -m benchmarks.feeds_scaled [--chats 20] [--workers 2] [--size tiny|base]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a file, too

from benchmarks.bench_models import (
    DEFAULT_WORK_DIR,
    SEED_ARTICLE,
    ensure_packages,
    markdown_table,
    print_machine,
    quantile,
)
from benchmarks.bot_bench import start_briefbot
from benchmarks.bot_process import peak_rss_mb, stop_bot, until
from benchmarks.feeds import variant
from benchmarks.load_test import Article
from tests.support.bot_api_server import BotApiServer
from tests.support.feed_fixtures import RSS_TYPE, Item, rss
from tests.support.http_servers import PageServer
from tests.support.postgres import PostgresServer

FIRST_CHAT = 20_000


def write_config(path: Path, api_url: str, url: str, packages: Path, per_chat: int) -> None:
    path.write_text(
        f"""
[telegram]
api_base_url = {json.dumps(api_url)}

[storage]
url = {json.dumps(url)}

[models]
packages_dir = {json.dumps(str(packages))}

[defaults]
target_languages = ["en"]

[fetch]
allow_private_networks = true
timeout_seconds = 30

[limits]
per_user_per_minute = 1000
per_chat_per_minute = 1000

[feeds]
tick_seconds = 1
host_interval_seconds = 0
max_feeds_per_chat = {per_chat}
max_articles_per_day = 1000

[logging]
level = "INFO"
""",
        encoding="utf-8",
    )


class Site:
    """The feeds and their articles on the page server."""

    def __init__(self, server: PageServer, feeds: int) -> None:
        self.server = server
        self.items: dict[int, list[Item]] = {f: [] for f in range(feeds)}
        for feed in self.items:
            self.publish(feed)

    def publish(self, feed: int) -> None:
        body = rss(self.items[feed], title=f"Quelle {feed}")
        self.server.add(f"/feed/{feed}.xml", body, RSS_TYPE)

    def fetches(self, prefix: str, since: int) -> int:
        return sum(r.path.startswith(prefix) for r in self.server.requests[since:])


def followed(args: argparse.Namespace, chat: int) -> list[int]:
    """The feeds chat number ``chat`` follows: ``per_chat`` of them, overlapping."""
    return [(chat * 3 + k) % args.feeds for k in range(args.per_chat)]


async def run(args: argparse.Namespace) -> None:
    packages = ensure_packages(args.work_dir, [("de", "en")], size=args.size)
    title, *paragraphs = [
        p.strip() for p in SEED_ARTICLE.read_text(encoding="utf-8").split("\n\n") if p.strip()
    ]
    seed = Article(title, paragraphs)
    database = PostgresServer.start()
    try:
        url = database.new_database()
        with tempfile.TemporaryDirectory() as tmp:
            async with PageServer() as pages, BotApiServer() as bot_api:
                await measure(args, Site(pages, args.feeds), bot_api, url, packages, seed, tmp)
    finally:
        database.stop()


async def measure(
    args: argparse.Namespace,
    site: Site,
    bot_api: BotApiServer,
    url: str,
    packages: Path,
    seed: Article,
    tmp: str,
) -> None:
    folder = Path(tmp)
    config = folder / "briefbot.toml"
    write_config(config, bot_api.base_url, url, packages, args.per_chat)
    share = str(max(1, 2 // args.workers))
    env = {"BRIEFBOT_TRANSLATION_INTER_THREADS": share, "BRIEFBOT_LIMITS_WORKERS": share}
    processes = {"ingress": start_briefbot(config, folder / "ingress.log", ("ingress",))}
    for n in range(args.workers):
        role = ("worker", "--concurrency", "2")
        processes[f"worker {n + 1}"] = start_briefbot(config, folder / f"w{n}.log", role, env)
    logs = [folder / f"w{n}.log" for n in range(args.workers)]
    try:
        ready = await until(
            lambda: (
                bool(bot_api.calls("deleteWebhook"))
                and all("Worker ready" in log.read_text("utf-8", "replace") for log in logs)
            ),
            120,
        )
        if not ready:
            raise SystemExit(f"the processes did not start; logs in {folder}")
        chats = [FIRST_CHAT + n for n in range(args.chats)]
        started = time.monotonic()
        for n, chat in enumerate(chats):
            for feed in followed(args, n):
                bot_api.push_message(chat, f"/follow {site.server.url(f'/feed/{feed}.xml')}")
        follows = args.chats * args.per_chat
        if not await until(lambda: len(bot_api.sent_messages()) >= follows, 600, 0.2):
            raise SystemExit(f"the follows were not answered; logs in {folder}")
        print(f"# {follows} follows through the ingress in {time.monotonic() - started:.1f} s")
        rows, latencies = [], []
        article = 0
        for round_number in range(args.rounds):
            expected = 0
            for k in range(args.changed):
                feed = (round_number * args.changed + k) % args.feeds
                carriers = {feed}
                if k % 2 == 0:  # an agency story: a second feed carries it too
                    carriers.add((feed + args.feeds // 2) % args.feeds)
                story = variant(seed, article)
                site.server.add(f"/artikel/{article}", story.page())
                item = Item(story.title, site.server.url(f"/artikel/{article}"))
                for carrier in carriers:
                    site.items[carrier].insert(0, item)
                    site.publish(carrier)
                expected += sum(bool(carriers & set(followed(args, n))) for n in range(args.chats))
                article += 1
            before_requests = len(site.server.requests)
            before_sent = len(bot_api.calls("sendMessage"))
            with psycopg.connect(url) as conn:
                conn.execute("UPDATE feeds SET next_poll_at = 0")
            due = time.monotonic()
            target = before_sent + expected
            if not await until(lambda: len(bot_api.calls("sendMessage")) >= target, 900, 0.2):  # noqa: B023
                raise SystemExit(f"round {round_number + 1}: deliveries missing; logs in {folder}")
            await asyncio.sleep(2.0)  # a duplicate would show up by now
            sent = bot_api.calls("sendMessage")[before_sent:]
            round_latency = [call.time - due for call in sent]
            latencies += round_latency
            rows.append(
                (
                    round_number + 1,
                    args.changed,
                    site.fetches("/feed/", before_requests),
                    site.fetches("/artikel/", before_requests),
                    f"{len(sent)} ({expected} expected)",
                    f"{quantile(round_latency, 0.5):.1f}",
                    f"{quantile(round_latency, 0.95):.1f}",
                    f"{max(round_latency):.1f}",
                )
            )
        rss_mb = {name: peak_rss_mb(p.pid, 0) for name, p in processes.items()}
    finally:
        for process in processes.values():
            await stop_bot(process)
    headers = (
        "round",
        "new articles",
        "feed fetches",
        "article fetches",
        "deliveries",
        "latency p50 s",
        "p95 s",
        "max s",
    )
    print(markdown_table(headers, rows))
    print()
    print(
        f"delivery latency from due: p50 {quantile(latencies, 0.5):.1f} s, "
        f"p95 {quantile(latencies, 0.95):.1f} s ({len(latencies)} deliveries)"
    )
    print("peak RSS MB: " + ", ".join(f"{name} {mb:.0f}" for name, mb in rss_mb.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--per-chat", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--changed", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--size", choices=("tiny", "base"), default="tiny")
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    print_machine()
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
