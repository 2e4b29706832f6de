"""Live answer in private chats: time to first content and to the complete answer, live vs not.

The real PTB Application and Briefbot's service run in this process, polling the loopback Bot
API server (in a thread with its own event loop, so its timestamps do not wait for the bot's).
Packages: transformer-base sized random-weight de→en and en→fr (decoding bounded to 1.1× the
source tokens); the chats want en and fr (French through the English pivot).

Each round summarizes a fresh variant of the seed article (a cache miss) once with the live
answer (the product: the source-language summary shown at once, each language as it is
translated, edits at most once per second) and once without (one message when everything is
done), alternating which goes first. Clocks start when the update leaves the server in a
``getUpdates`` answer (where the bot receives it):

* first content: the first message or edit in that chat that shows a summary (a progress
  "working…" message does not count);
* complete: the final answer (the summary with its buttons) reaching the server.

One request warms the process up first (lingua, models) and is not counted.

Usage: python -m benchmarks.live_answer [--rounds 5] [--work-dir build/bench]
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
from benchmarks.cache import variant
from benchmarks.replies import is_answered
from bot.core.service import LIVE_INTERVAL_SECONDS, BriefService
from bot.telegram.app import running
from bot.telegram.i18n import EN
from tests.support.telegram_html import parse_telegram_html
from translation.models.engine import EngineOptions, TranslationEngine

PAIRS = (("de", "en"), ("en", "fr"))
TARGETS = ("en", "fr")
CHATS = {"live": 940_001, "one message": 940_002, "warm-up": 940_003}
#: Every summary (partial or final) carries this line; progress messages do not.
SUMMARY_MARK = EN["summary.source_language"].split("{", 1)[0]


@dataclass(frozen=True)
class Timing:
    mode: str
    first_content: float  # seconds from handed over
    complete: float
    messages: int  # sendMessage + editMessageText calls in the chat for this request


def _first_content(server: HandoverServer, chat: int, since: float) -> float | None:
    for call in server.calls():
        if (
            call.time >= since
            and call.status == 200
            and call.method in ("sendMessage", "editMessageText")
            and int(call.params.get("chat_id", 0)) == chat
            and SUMMARY_MARK in parse_telegram_html(str(call.params.get("text", "")))
        ):
            return call.time
    return None


async def ask(server: HandoverServer, service: BriefService, mode: str, text: str) -> Timing:
    chat = CHATS[mode]
    service.live_interval = None if mode == "one message" else LIVE_INTERVAL_SECONDS
    calls_before = len(server.calls())
    request = push_request(server, chat, text, time.monotonic())
    if not await until(lambda: is_answered(server, request), 180.0, step=0.005):
        raise SystemExit(f"no answer in {mode} mode in 180 s")
    await asyncio.sleep(0.3)  # the job's bookkeeping; requests never overlap
    assert request.message_id is not None
    received = server.handed_over[(chat, request.message_id)]
    answered = answer_time(server, request)
    first = _first_content(server, chat, received)
    if answered is None or first is None:
        raise SystemExit(f"the {mode} request was not answered with a summary")
    messages = sum(
        c.method in ("sendMessage", "editMessageText") and int(c.params.get("chat_id", 0)) == chat
        for c in server.calls()[calls_before:]
    )
    return Timing(mode, first - received, answered - received, messages)


async def measure(packages_dir: Path, article: str, rounds: int, temp: Path) -> list[Timing]:
    options = EngineOptions(length_ratio=REALISTIC_LENGTH_RATIO, length_extra=0)
    engine = TranslationEngine(packages_dir, options)
    server = HandoverServer()
    timings: list[Timing] = []
    with server:
        application = in_process_bot(temp, server.base_url, packages_dir, TARGETS, engine)
        async with running(application):
            service = application.bot_data.runtime.service
            await ask(server, service, "warm-up", variant(article, -1).text)
            for number in range(rounds):
                modes = ("live", "one message") if number % 2 == 0 else ("one message", "live")
                for index, mode in enumerate(modes):
                    text = variant(article, 2 * number + index).text
                    timings.append(await ask(server, service, mode, text))
    engine.close()
    return timings


def _ms(values: Sequence[float], q: float | None = None) -> str:
    value = statistics.median(values) if q is None else quantile(values, q)
    return f"{value * 1000:.0f}"


def report(timings: list[Timing]) -> str:
    header = [
        "answer",
        "n",
        "first content p50 ms",
        "p95 ms",
        "complete p50 ms",
        "p95 ms",
        "messages + edits",
    ]
    rows = []
    for mode in ("live", "one message"):
        group = [t for t in timings if t.mode == mode]
        first = [t.first_content for t in group]
        complete = [t.complete for t in group]
        rows.append(
            [
                mode,
                len(group),
                _ms(first),
                _ms(first, 0.95),
                _ms(complete),
                _ms(complete, 0.95),
                f"{statistics.median(t.messages for t in group):.0f}",
            ]
        )
    return markdown_table(header, rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=existing_file, default=str(SEED_ARTICLE))
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--rounds", type=int, default=5, help="requests per mode")
    args = parser.parse_args(argv)
    print_machine()
    packages_dir = ensure_packages(args.work_dir, PAIRS)
    article = args.article.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="briefbot-live-") as temp:
        timings = asyncio.run(measure(packages_dir, article, max(1, args.rounds), Path(temp)))
    print(report(timings))
    live = [t for t in timings if t.mode == "live"]
    plain = [t for t in timings if t.mode == "one message"]
    first = statistics.median(t.first_content for t in plain) / statistics.median(
        t.first_content for t in live
    )
    complete = statistics.median(t.complete for t in live) / statistics.median(
        t.complete for t in plain
    )
    print(f"# first content: live {first:.1f}x sooner than one message (p50)")
    print(f"# complete answer: live takes {complete:.2f}x the time of one message (p50)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
