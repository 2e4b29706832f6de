"""Results cache: a repeated text or link answered from the cache, end to end inside the process.

The real PTB Application and Briefbot's service layer run in this process (as the bot harness
runs them), polling the loopback Bot API server, which runs in a thread with its own event loop
so its timestamps do not wait for the bot's. Links are served by a loopback page server
(``allow_private_networks``). Packages: transformer-base sized random-weight de→en and en→fr
(decoding bounded to 1.1× the source tokens); chats want en and fr.

For each of ``--misses`` variants of the seed article (a text, and the same article as a page
behind a link): the first request (a miss: fetch, detect, segment, summarize, translate) and
``--hits`` repeats (answered from the results cache). Per request, three clocks:

* pushed → answered: from the moment the update is queued at the server to the bot's
  sendMessage (or the edit of its progress message) reaching the server;
* handed over → answered: from the ``getUpdates`` answer that carried the update, i.e. where
  the bot receives it (a long poll is woken at once, so this is normally within a few ms of
  the push) — the figure the target is about;
* handled → answered: from the moment the Application starts handling the update (a
  ``TypeHandler`` in group -1 notes it).

One request warms the process up first (lingua, models) and is not counted.

Usage: python -m benchmarks.cache [--misses 3] [--hits 10] [--work-dir build/bench]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a file, too

from benchmarks.bench_models import (
    DEFAULT_WORK_DIR,
    REALISTIC_LENGTH_RATIO,
    SEED_ARTICLE,
    ensure_packages,
    existing_file,
    markdown_table,
    print_machine,
    quantile,
)
from benchmarks.bot_bench import HandoverServer, answer_time, in_process_bot, push_request
from benchmarks.bot_process import until
from benchmarks.load_test import Article
from benchmarks.replies import is_answered
from bot.telegram.app import running
from tests.support.http_servers import PageServer
from translation.models.engine import EngineOptions, TranslationEngine

PAIRS = (("de", "en"), ("en", "fr"))
TARGETS = ("en", "fr")
TARGET_HIT_MS = 50.0
CHATS = {"text": 930_001, "link": 930_002, "warm-up": 930_003}


@dataclass(frozen=True)
class Timing:
    """Seconds from each clock's start to the answer reaching the server."""

    kind: str
    hit: bool
    pushed: float
    handed_over: float
    handled: float
    job_started: float | None  # handled → the job's first Bot API call (sendChatAction)


class HandledClock:
    """Notes when the Application starts handling each message (group -1: before any handler)."""

    def __init__(self) -> None:
        self.at: dict[tuple[int, int], float] = {}

    async def __call__(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        now = time.monotonic()
        if isinstance(update, Update) and update.message is not None:
            self.at.setdefault((update.message.chat_id, update.message.message_id), now)

    def install(self, application: Application) -> None:
        application.add_handler(TypeHandler(Update, self), group=-1)


def variant(article: str, number: int) -> Article:
    """The seed article with a distinct closing line, so each variant is a cache miss once."""
    title, *paragraphs = [p.strip() for p in article.split("\n\n") if p.strip()]
    return Article(title, [*paragraphs, f"Aktualisiert: Fassung {number + 1} dieses Berichts."])


async def ask(
    server: HandoverServer, clock: HandledClock, kind: str, content: str, hit: bool
) -> Timing:
    """Push one message, wait for the summary, read the three clocks."""
    chat = CHATS[kind]
    request = push_request(server, chat, content, time.monotonic())
    if not await until(lambda: is_answered(server, request), 120.0, step=0.005):
        raise SystemExit(f"no answer to the {kind} request in 120 s")
    await asyncio.sleep(0.3)  # the job's bookkeeping after the answer; requests never overlap
    assert request.message_id is not None and request.pushed is not None
    answered = answer_time(server, request)
    key = (chat, request.message_id)
    if answered is None:
        raise SystemExit(f"the {kind} request was not answered with a summary")
    handled = clock.at[key]
    typing = next(
        (
            c
            for c in server.calls("sendChatAction")
            if c.time >= handled and int(c.params["chat_id"]) == chat
        ),
        None,
    )
    return Timing(
        kind,
        hit,
        answered - request.pushed,
        answered - server.handed_over[key],
        answered - handled,
        None if typing is None else typing.time - handled,
    )


@dataclass(frozen=True)
class Measured:
    timings: list[Timing]
    fetched: int  # pages the page server served
    loop_lag: str  # the bot's own event-loop monitor over the whole run


async def measure(packages_dir: Path, article: str, misses: int, hits: int, temp: Path) -> Measured:
    options = EngineOptions(length_ratio=REALISTIC_LENGTH_RATIO, length_extra=0)
    engine = TranslationEngine(packages_dir, options)
    server = HandoverServer()
    timings: list[Timing] = []
    with server:
        async with PageServer() as pages:
            application = in_process_bot(temp, server.base_url, packages_dir, TARGETS, engine)
            clock = HandledClock()
            clock.install(application)
            async with running(application):
                await ask(server, clock, "warm-up", variant(article, -1).text, hit=False)
                for number in range(misses):
                    page = variant(article, number)
                    url = pages.add(f"/artikel/{number}", page.page())
                    for kind, content in (("text", page.text), ("link", url)):
                        for repeat in range(hits + 1):
                            timings.append(await ask(server, clock, kind, content, repeat > 0))
                monitor = application.bot_data.monitor
                lag = monitor.lag().describe() if monitor is not None else "not monitored"
            fetched = len(pages.requests)
    engine.close()
    return Measured(timings, fetched, lag)


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.1f}"


def report(timings: list[Timing]) -> str:
    header = [
        "request",
        "n",
        "pushed → answered p50 ms",
        "handed over → answered p50 ms",
        "p95 ms",
        "max ms",
        "handled → answered p50 ms",
        "of which handled → job started",
    ]
    rows = []
    for kind in ("text", "link"):
        for hit in (False, True):
            group = [t for t in timings if t.kind == kind and t.hit == hit]
            if not group:
                continue
            bot = [t.handed_over for t in group]
            started = [t.job_started for t in group if t.job_started is not None]
            label = f"{kind}, {'hit (repeat)' if hit else 'miss (first time)'}"
            rows.append(
                [
                    label,
                    len(group),
                    _ms(statistics.median(t.pushed for t in group)),
                    _ms(statistics.median(bot)),
                    _ms(quantile(bot, 0.95)),
                    _ms(max(bot)),
                    _ms(statistics.median(t.handled for t in group)),
                    _ms(statistics.median(started) if started else None),
                ]
            )
    return markdown_table(header, rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=existing_file, default=str(SEED_ARTICLE))
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--misses", type=int, default=3, help="distinct articles (first times)")
    parser.add_argument("--hits", type=int, default=10, help="repeats of each")
    args = parser.parse_args(argv)
    print_machine()
    packages_dir = ensure_packages(args.work_dir, PAIRS)
    article = args.article.read_text(encoding="utf-8")
    misses, hits = max(1, args.misses), max(1, args.hits)
    with tempfile.TemporaryDirectory(prefix="briefbot-cache-") as temp:
        measured = asyncio.run(measure(packages_dir, article, misses, hits, Path(temp)))
    timings = measured.timings
    print(report(timings))
    links = sum(t.kind == "link" for t in timings)
    fetched = measured.fetched
    verdict = "hits did not fetch again" if fetched == misses else "hits FETCHED again"
    print(f"# link requests {links}, pages fetched {fetched} ({misses} distinct): {verdict}")
    print(f"# the bot's event loop over the run: {measured.loop_lag}")
    for number, t in enumerate(timings):
        if t.hit and t.handed_over * 1000 >= TARGET_HIT_MS:
            print(
                f"# slow hit: request {number} ({t.kind}): {_ms(t.handed_over)} ms, of which "
                f"{_ms(t.job_started)} ms until the job started"
            )
    for kind in ("text", "link"):
        miss = statistics.median(t.handed_over for t in timings if t.kind == kind and not t.hit)
        hit = statistics.median(t.handed_over for t in timings if t.kind == kind and t.hit)
        met = "met" if hit * 1000 < TARGET_HIT_MS else "NOT met"
        print(
            f"# {kind}: cache hit {miss / hit:.0f}x faster than a miss; "
            f"target hit < {TARGET_HIT_MS:.0f} ms (handed over → answered): {met} "
            f"({hit * 1000:.1f} ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
