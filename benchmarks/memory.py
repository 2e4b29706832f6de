"""Memory: peak RSS of ``briefbot run`` with three base-size pairs in use and 10 concurrent
requests, and the bound on loaded translators (LRU by count).

The bot runs as a real process (the console script) against the loopback Bot API server (a
thread of this process), with transformer-base sized random-weight packages de→en, en→fr and
en→de (decoding bounded to 1.1× the source tokens). Chats want en, fr and de; ten chats send a
different article at the same moment: five German (de→en, en→fr) and five English (en→fr,
en→de), so all three pairs are needed at once. Articles are 12 consecutive sentences of
``mt_de_en.jsonl`` in ``--eval-dir`` (read in place). Peak RSS is the kernel's high-water mark
(VmHWM) of the bot process; "idle" is its RSS once polling started (no model loaded yet: they
load on first use). After the traffic an owner's ``/models`` says how many translators are
loaded, and the log counts loads and LRU unloads. The LRU bounds what stays loaded; while
more pairs than the bound are in use at once, an evicted translator lives on until its running
batches finish and is loaded again for the next request, so the peak need not be lower.

Scenarios: ``max_loaded_models`` 4 (the default; all three stay loaded) and 2 (LRU: at most two
stay loaded, the third is loaded again when needed). A fresh interpreter also measures what
detection (langdetect + lingua) and one loaded base model add to a process.

After the traffic the bot runs on for ``--settle`` seconds: it translates the next sentences
of each summary in the background ("Longer" prefetch) on one lowest-priority translator per
model; "peak with prefetch" is the high-water mark including them.

Usage: python -m benchmarks.memory [--chats 10] [--limits 4,2] [--settle 30]
    [--work-dir build/bench]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a file, too

from benchmarks.bench_models import (
    DEFAULT_EVAL_DIR,
    DEFAULT_WORK_DIR,
    PROJECT_ROOT,
    SEED_ARTICLE,
    ensure_packages,
    load_sentences,
    markdown_table,
    print_machine,
)
from benchmarks.bot_bench import (
    ask_owner,
    loaded_models,
    push_request,
    start_briefbot,
    write_config,
)
from benchmarks.bot_process import peak_rss_mb, stop_bot, until
from benchmarks.replies import Request, is_answered
from tests.support.bot_api_server import BotApiServer

PAIRS = (("de", "en"), ("en", "fr"), ("en", "de"))
TARGETS = ("en", "fr", "de")
TARGET_MB = 1536.0
FIRST_CHAT = 920_001
ARTICLE_SENTENCES = 12

#: Runs in a fresh interpreter; prints the RSS (MB) after each step as JSON.
_SHARE_PROBE = """
import asyncio, json
from pathlib import Path
def rss():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) / 1024 for l in status if l.startswith("VmRSS:"))
steps = {{}}
import translation.pipeline as tp
from translation.text.detection import detect_language
from translation.models.engine import EngineOptions, TranslationEngine
steps["interpreter + pipeline imports"] = rss()
article = Path({article!r}).read_text(encoding="utf-8")
for text in (article, "Guten Morgen, wie geht es dir?", "Bonjour, comment allez-vous ?"):
    detect_language(text)
steps["language detection used (langdetect, lingua, word lists)"] = rss()
engine = TranslationEngine(Path({packages!r}), EngineOptions(length_ratio=1.1, length_extra=0))
engine.translate(article.split(". ")[:8], "de", "en")
steps["one base model loaded, 8 sentences translated"] = rss()
print(json.dumps(steps))
"""


def memory_shares(packages_dir: Path, article: Path) -> dict[str, float]:
    code = _SHARE_PROBE.format(article=str(article), packages=str(packages_dir))
    child = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    shares: dict[str, float] = json.loads(child.stdout)
    return shares


def articles(eval_dir: Path, chats: int) -> list[str]:
    """``chats`` distinct articles, German and English alternating (different sentences)."""
    size = ARTICLE_SENTENCES
    german = load_sentences(eval_dir, "de", size * chats)
    english = load_sentences(eval_dir, "en", size * chats * 2)[size * chats :]
    texts = []
    for number in range(chats):
        pool = german if number % 2 == 0 else english
        start = (number // 2) * size
        texts.append(" ".join(pool[start : start + size]))
    return texts


@dataclass(frozen=True)
class Scenario:
    max_loaded: int
    idle_mb: float
    peak_mb: float
    after_mb: float  # RSS once every request was answered
    settled_peak_mb: float  # peak RSS after --settle seconds more (the prefetch's translators)
    answered: int
    sent: int
    traffic_seconds: float
    loaded: tuple[int, int] | None
    loads: int
    unloads: int


async def run_scenario(
    packages_dir: Path,
    texts: list[str],
    max_loaded: int,
    wait_seconds: float,
    settle_seconds: float = 0.0,
) -> Scenario:
    temp = Path(tempfile.mkdtemp(prefix="briefbot-memory-"))
    config, log = temp / "briefbot.toml", temp / "bot.log"
    server = BotApiServer()
    try:
        with server:
            write_config(
                config,
                server.base_url,
                packages_dir,
                TARGETS,
                limits={"queue_size": max(32, len(texts))},
                translation={"max_loaded_models": max_loaded},
            )
            process = start_briefbot(config, log)
            try:
                ready = await until(
                    lambda: bool(server.calls("deleteWebhook")) or process.poll() is not None,
                    wait_seconds,
                )
                if not ready or process.poll() is not None:
                    raise SystemExit(f"the bot did not start; see {log}")
                await asyncio.sleep(1.0)  # let start-up settle before the idle sample
                idle = psutil.Process(process.pid).memory_info().rss / 2**20
                began = time.monotonic()
                requests: list[Request] = [
                    push_request(server, FIRST_CHAT + number, text, began)
                    for number, text in enumerate(texts)
                ]
                await until(
                    lambda: (
                        all(is_answered(server, r) for r in requests) or process.poll() is not None
                    ),
                    wait_seconds,
                    step=0.1,
                )
                traffic = time.monotonic() - began
                peak = peak_rss_mb(process.pid, 0)
                after = psutil.Process(process.pid).memory_info().rss / 2**20
                loaded = loaded_models(await ask_owner(server, "/models"))
                await asyncio.sleep(settle_seconds)  # background prefetch ("Longer") after it
                settled = peak_rss_mb(process.pid, 0)
            finally:
                await stop_bot(process)
        output = log.read_text("utf-8", errors="replace")
        return Scenario(
            max_loaded=max_loaded,
            idle_mb=idle,
            peak_mb=peak,
            after_mb=after,
            settled_peak_mb=settled,
            answered=sum(is_answered(server, r) for r in requests),
            sent=len(requests),
            traffic_seconds=traffic,
            loaded=loaded,
            loads=output.count(" INFO translation.models.engine: Loaded "),
            unloads=output.count("(LRU)"),
        )
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def report(scenarios: list[Scenario]) -> str:
    header = [
        "max_loaded_models",
        "idle RSS MB",
        "peak RSS MB",
        "RSS after MB",
        "peak with prefetch MB",
        "answered",
        "traffic s",
        "loaded after (of limit)",
        "model loads",
        "LRU unloads",
    ]
    rows = []
    for s in scenarios:
        loaded = "?" if s.loaded is None else f"{s.loaded[0]} of {s.loaded[1]}"
        rows.append(
            [
                s.max_loaded,
                f"{s.idle_mb:.0f}",
                f"{s.peak_mb:.0f}",
                f"{s.after_mb:.0f}",
                f"{s.settled_peak_mb:.0f}",
                f"{s.answered}/{s.sent}",
                f"{s.traffic_seconds:.1f}",
                loaded,
                s.loads,
                s.unloads,
            ]
        )
    return markdown_table(header, rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--chats", type=int, default=10, help="concurrent requests")
    parser.add_argument(
        "--limits", default="4,2", help="max_loaded_models per scenario, comma-separated"
    )
    parser.add_argument("--wait", type=float, default=120.0, help="seconds per phase, at most")
    parser.add_argument(
        "--settle", type=float, default=30.0, help="seconds after the traffic (prefetch)"
    )
    args = parser.parse_args(argv)
    if not (args.eval_dir / "mt_de_en.jsonl").is_file():
        print(f"error: no eval data in {args.eval_dir} (use --eval-dir)", file=sys.stderr)
        return 2

    print_machine()
    packages_dir = ensure_packages(args.work_dir, PAIRS)
    texts = articles(args.eval_dir, args.chats)
    limits = [int(part) for part in args.limits.split(",") if part.strip()]
    scenarios = [
        asyncio.run(run_scenario(packages_dir, texts, n, args.wait, args.settle)) for n in limits
    ]
    print(f"\n## Bot process, {args.chats} concurrent requests, pairs de→en, en→fr, en→de\n")
    print(report(scenarios))
    for s in scenarios:
        peak = max(s.peak_mb, s.settled_peak_mb)
        met = "met" if peak < TARGET_MB and s.answered == s.sent else "NOT met"
        print(f"# max_loaded_models {s.max_loaded}: peak < {TARGET_MB:.0f} MB: {met}")
    if len(scenarios) > 1:
        first, last = scenarios[0], scenarios[-1]
        print(
            f"# max_loaded_models {first.max_loaded} minus {last.max_loaded}: peak RSS "
            f"{first.peak_mb - last.peak_mb:+.0f} MB, RSS after the traffic "
            f"{first.after_mb - last.after_mb:+.0f} MB"
        )
    shares = memory_shares(packages_dir, SEED_ARTICLE)
    print("\n## What a fresh process adds, step by step (RSS)\n")
    rows, before = [], 0.0
    for step, mb in shares.items():
        rows.append([step, f"{mb:.0f}", f"+{mb - before:.0f}"])
        before = mb
    print(markdown_table(["step", "RSS MB", "added MB"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
