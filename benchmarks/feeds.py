"""Feeds at scale: 50 chats following 20 feeds each, from 40 feeds with overlapping articles.

In-process: the core (``bot.bootstrap.Core``: SQLite storage, pipeline, BriefService,
FeedService) with transformer-base sized random-weight de→en packages, feeds and article pages
on a loopback page server, and a chat port that records when each message would have been sent
(the Telegram adapter is measured by the bot benchmarks). Every chat wants English.

1. Every chat follows its 20 feeds (from now: no backlog).
2. ``--rounds`` times: ``--changed`` feeds publish one new article each; half of those
   articles also appear in a second feed (a shared agency story). One tick polls the due
   feeds and delivers.

Figures per round and overall, next to the naive baseline of a bot that fetches and
summarizes per chat (one feed fetch per subscription, one article fetch and one pipeline run
per delivery): feed fetches, article fetches and pipeline runs per new article, delivery
latency from the tick's start (the feeds changed just before), and peak RSS.

Usage: python -m benchmarks.feeds [--rounds 3] [--changed 10] [--work-dir build/bench]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a file, too

from benchmarks.bench_models import (
    DEFAULT_WORK_DIR,
    REALISTIC_LENGTH_RATIO,
    SEED_ARTICLE,
    ensure_packages,
    markdown_table,
    print_machine,
    quantile,
)
from benchmarks.load_test import Article
from bot.bootstrap import Core
from bot.config import DefaultsConfig, FeedsConfig, TranslationConfig
from bot.core.views import FeedArticleView, View
from tests.support.bot_harness import LOOPBACK_ARTICLES, bot_config
from tests.support.feed_fixtures import RSS_TYPE, Item, rss
from tests.support.http_servers import PageServer

CHATS = 50
FEEDS = 40
PER_CHAT = 20
HOUR = 3600.0


class RecordingChat:
    """A ChatPort that notes each delivery's time (no chat platform in this benchmark)."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, float, View]] = []

    async def typing(self, chat_id: int) -> None:
        return None

    async def acknowledge(self, chat_id: int, message_id: int) -> None:
        return None

    async def send(self, chat_id: int, view: View, *, reply_to: int | None = None) -> int:
        self.sent.append((chat_id, time.perf_counter(), view))
        return len(self.sent)

    async def edit(self, chat_id: int, message_id: int, view: View) -> bool:
        return True

    async def deliver(
        self, chat_id: int, view: View, *, reply_to: int | None, replace: int | None
    ) -> int | None:
        return await self.send(chat_id, view)

    async def delete(self, chat_id: int, message_id: int) -> None:
        return None

    async def download(self, file_id: str, max_bytes: int) -> bytes:
        raise NotImplementedError("feeds never download files")


class PeakRss:
    """Samples this process's RSS every 20 ms in a thread."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        process = psutil.Process()
        while not self._stop.is_set():
            self.peak = max(self.peak, process.memory_info().rss)
            self._stop.wait(0.02)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def variant(seed: Article, number: int) -> Article:
    return Article(f"{seed.title} ({number})", [*seed.paragraphs, f"Meldung Nummer {number}."])


def later(seconds: float) -> float:
    """The feeds' clock, ``seconds`` ahead: every feed is due again each round."""
    return time.time() + seconds


def chat_feeds(chat: int) -> list[int]:
    """20 of the 40 feeds, overlapping between chats."""
    return [(chat * 3 + k) % FEEDS for k in range(PER_CHAT)]


async def run(args: argparse.Namespace) -> None:
    packages = ensure_packages(args.work_dir, [("de", "en")])
    seed_text = SEED_ARTICLE.read_text(encoding="utf-8")
    title, *paragraphs = [p.strip() for p in seed_text.split("\n\n") if p.strip()]
    seed = Article(title, paragraphs)
    async with PageServer() as site:
        feed_items: dict[int, list[Item]] = {f: [] for f in range(FEEDS)}

        def publish(feed: int) -> None:
            site.add(f"/feed/{feed}.xml", rss(feed_items[feed], title=f"Quelle {feed}"), RSS_TYPE)

        for feed in range(FEEDS):
            publish(feed)
        with tempfile.TemporaryDirectory() as tmp:
            base = bot_config(Path(tmp), "http://127.0.0.1:9", packages, fetch=LOOPBACK_ARTICLES)
            config = dataclasses.replace(
                base,
                defaults=DefaultsConfig(target_languages=("en",)),
                translation=TranslationConfig(length_ratio=REALISTIC_LENGTH_RATIO),
                feeds=FeedsConfig(
                    host_interval_seconds=0.0, max_feeds_per_chat=PER_CHAT, tick_seconds=60
                ),
            )
            async with Core(config, install_models=False) as core:
                await measure(core, site, feed_items, publish, seed, args)


async def measure(
    core: Core,
    site: PageServer,
    feed_items: dict[int, list[Item]],
    publish: Any,
    seed: Article,
    args: argparse.Namespace,
) -> None:
    feeds = core.feeds
    runs = 0
    original = core.pipeline.summarize_prepared

    def counted(*a: Any, **k: Any) -> Any:
        nonlocal runs
        runs += 1
        return original(*a, **k)

    core.pipeline.summarize_prepared = counted  # type: ignore[method-assign]
    chat = RecordingChat()
    started = time.perf_counter()
    for number in range(CHATS):
        for feed in chat_feeds(number):
            await feeds.follow(10_000 + number, site.url(f"/feed/{feed}.xml"))
    follow_seconds = time.perf_counter() - started
    follow_fetches = len(site.requests)
    print(f"# {CHATS * PER_CHAT} follows in {follow_seconds:.1f} s, {follow_fetches} feed fetches")

    rows = []
    article = 0
    totals = {"new": 0, "deliveries": 0, "feed_fetches": 0, "article_fetches": 0, "runs": 0}
    latencies: list[float] = []
    with PeakRss() as rss_peak:
        for round_number in range(args.rounds):
            new_urls = []
            for k in range(args.changed):
                feed = (round_number * args.changed + k) % FEEDS
                story = variant(seed, article)
                path = f"/artikel/{article}"
                site.add(path, story.page())
                item = Item(story.title, site.url(path))
                feed_items[feed].insert(0, item)
                publish(feed)
                if k % 2 == 0:  # an agency story: a second feed carries it too
                    other = (feed + FEEDS // 2) % FEEDS
                    feed_items[other].insert(0, item)
                    publish(other)
                new_urls.append(path)
                article += 1
            before_requests, before_runs, before_sent = len(site.requests), runs, len(chat.sent)
            feeds.clock = functools.partial(later, (round_number + 1) * HOUR)
            tick_start = time.perf_counter()
            report = await feeds.tick(chat)
            served = site.requests[before_requests:]
            feed_fetches = sum(1 for r in served if r.path.startswith("/feed/"))
            article_fetches = sum(1 for r in served if r.path.startswith("/artikel/"))
            sent = chat.sent[before_sent:]
            delivered_views = [s for s in sent if isinstance(s[2], FeedArticleView)]
            round_latency = [at - tick_start for _chat, at, _view in delivered_views]
            latencies += round_latency
            rows.append(
                (
                    round_number + 1,
                    len(new_urls),
                    report.polled,
                    feed_fetches,
                    article_fetches,
                    runs - before_runs,
                    len(delivered_views),
                    f"{quantile(round_latency, 0.5):.2f}",
                    f"{max(round_latency):.2f}",
                )
            )
            for key, value in (
                ("new", len(new_urls)),
                ("deliveries", len(delivered_views)),
                ("feed_fetches", feed_fetches),
                ("article_fetches", article_fetches),
                ("runs", runs - before_runs),
            ):
                totals[key] += value
    print(
        markdown_table(
            (
                "round",
                "new articles",
                "feeds polled",
                "feed fetches",
                "article fetches",
                "pipeline runs",
                "deliveries",
                "latency p50 s",
                "latency max s",
            ),
            rows,
        )
    )
    new, deliveries = totals["new"], totals["deliveries"]
    naive_feed_fetches = CHATS * PER_CHAT * args.rounds  # every chat polls each of its feeds
    print()
    print(
        markdown_table(
            ("per new article", "feeds (this bot)", "naive per-chat bot", "ratio"),
            [
                (
                    "article fetches",
                    f"{totals['article_fetches'] / new:.2f}",
                    f"{deliveries / new:.2f}",
                    f"{totals['article_fetches'] / deliveries:.3f}",
                ),
                (
                    "pipeline runs",
                    f"{totals['runs'] / new:.2f}",
                    f"{deliveries / new:.2f}",
                    f"{totals['runs'] / deliveries:.3f}",
                ),
                (
                    "feed fetches per round",
                    f"{totals['feed_fetches'] / args.rounds:.1f}",
                    f"{naive_feed_fetches / args.rounds:.1f}",
                    f"{totals['feed_fetches'] / naive_feed_fetches:.3f}",
                ),
            ],
        )
    )
    print()
    print(
        f"delivery latency after the feeds changed: p50 {quantile(latencies, 0.5):.2f} s, "
        f"p95 {quantile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s "
        f"({deliveries} deliveries of {new} new articles)"
    )
    print(f"peak RSS during the rounds: {rss_peak.peak / 2**20:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--changed", type=int, default=10)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    args = parser.parse_args()
    print_machine()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
