"""Inline mode: how fast ``@bot <link>`` is answered (Telegram drops answers after ~10 s), and
how long a chosen "Summarizing…" placeholder takes to become the summary.

The real PTB Application and Briefbot's service run in this process, polling the loopback Bot
API server (in a thread with its own event loop); articles come from a loopback page server.
Packages: transformer-base sized random-weight de→en and en→fr (decoding bounded to 1.1× the
source tokens); the user reads en and fr (French through the English pivot).

Each round takes a fresh variant of the seed article (a cache miss) and measures, from the
moment the update is pushed to the server:

* uncached query: until answerInlineQuery (the placeholders and the deep link);
* placeholder → summary: from pushing the chosen result (French) until the inline message is
  edited into the summary (fetch, summary, both translations);
* cached query: the same link again, until answerInlineQuery (the summaries themselves).

One link warms the process up first (lingua, models) and is not counted.

Usage: python -m benchmarks.inline_answer [--rounds 5] [--work-dir build/bench]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a file, too

from benchmarks import bench_models as bench
from benchmarks.bot_bench import in_process_bot
from benchmarks.bot_process import until
from benchmarks.cache import variant
from benchmarks.live_answer import PAIRS, TARGETS  # the same packages and languages
from bot.telegram.app import running
from tests.support.bot_api_server import BotApiServer
from tests.support.http_servers import PageServer
from translation.models.engine import EngineOptions, TranslationEngine

USER = 950_001


@dataclass(frozen=True)
class Timing:
    uncached: float  # seconds from push to answerInlineQuery
    placeholder: float  # from pushing the chosen result to the inline message's edit
    cached: float


async def _timed(condition: Callable[[], bool], what: str) -> float:
    started = time.monotonic()
    if not await until(condition, 180.0, step=0.002):
        raise SystemExit(f"{what}: nothing in 180 s")
    return time.monotonic() - started


async def _query(server: BotApiServer, url: str) -> tuple[float, dict[str, Any]]:
    query_id = server.push_inline_query(USER, url)["id"]
    seconds = await _timed(lambda: server.inline_answer(query_id) is not None, "inline answer")
    answer = server.inline_answer(query_id)
    assert answer is not None
    return seconds, answer


async def _round(server: BotApiServer, url: str) -> Timing:
    uncached, answer = await _query(server, url)
    french = answer["results"][-1]
    chosen = server.push_chosen_inline_result(USER, french["id"], url)
    inline_id = chosen.get("inline_message_id")
    if inline_id is None:
        raise SystemExit("the placeholder has no inline message (no keyboard?)")

    def edited() -> bool:
        message = server.inline_message(inline_id)
        return message is not None and message["edits"] > 0

    placeholder = await _timed(edited, "placeholder edit")
    cached, again = await _query(server, url)
    if len(again["results"]) != len(TARGETS) or "button" in again:
        raise SystemExit(f"the second query was not answered from the cache: {again}")
    return Timing(uncached, placeholder, cached)


async def measure(packages_dir: Path, article: str, rounds: int, temp: Path) -> list[Timing]:
    options = EngineOptions(length_ratio=bench.REALISTIC_LENGTH_RATIO, length_extra=0)
    engine = TranslationEngine(packages_dir, options)
    server = BotApiServer()
    timings: list[Timing] = []
    with server:
        async with PageServer() as pages:
            application = in_process_bot(temp, server.base_url, packages_dir, TARGETS, engine)
            async with running(application):
                await _round(server, pages.add("/warm-up", variant(article, -1).page()))
                for number in range(rounds):
                    url = pages.add(f"/artikel-{number}", variant(article, number).page())
                    timings.append(await _round(server, url))
    engine.close()
    return timings


def report(timings: list[Timing]) -> str:
    rows = []
    for label, values in (
        ("uncached query → answer (placeholders)", [t.uncached for t in timings]),
        ("placeholder chosen → summary in it", [t.placeholder for t in timings]),
        ("cached query → answer (summaries)", [t.cached for t in timings]),
    ):
        p50, p95 = bench.quantile(values, 0.5), bench.quantile(values, 0.95)
        rows.append([label, len(values), f"{p50 * 1000:.0f}", f"{p95 * 1000:.0f}"])
    return bench.markdown_table(["step", "n", "p50 ms", "p95 ms"], rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=bench.existing_file, default=str(bench.SEED_ARTICLE))
    parser.add_argument("--work-dir", type=Path, default=bench.DEFAULT_WORK_DIR)
    parser.add_argument("--rounds", type=int, default=5, help="links, each a cache miss once")
    args = parser.parse_args(argv)
    bench.print_machine()
    packages_dir = bench.ensure_packages(args.work_dir, PAIRS)
    article = args.article.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="briefbot-inline-") as temp:
        timings = asyncio.run(measure(packages_dir, article, max(1, args.rounds), Path(temp)))
    print(report(timings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
