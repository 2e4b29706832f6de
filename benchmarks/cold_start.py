"""Cold start: import time of the pipeline, and ``briefbot run`` to its first answered message.

(a) Import time of ``translation`` and ``translation.pipeline`` in fresh interpreters (median of
``--import-runs``, timed inside the child so interpreter start-up is apart), the biggest
imports by ``python -X importtime``, and a check that torch, stanza, spacy and
``argostranslate.translate``/``sbd`` are not in ``sys.modules`` after importing the pipeline
nor after a full request (summary into en and fr, and a full translation).

(b) ``briefbot run`` as a real process (the console script), configured by a TOML file: the
loopback Bot API server runs in a thread of this process, the packages dir holds two
transformer-base sized random-weight packages (de→en, en→fr; decoding bounded to 1.1× the
source tokens) and chats want English and French. A German article is pushed the moment the
process starts; measured until the bot's summary reaches the server, with milestones: first
Bot API call (imports done, Application built), polling started (post_init done: storage,
commands), the update handed over in a getUpdates answer. Every run has a fresh database;
the package files are in the OS page cache after the first run. The bot's memory map is
checked for torch/stanza/spaCy libraries after it answered.

Usage: python -m benchmarks.cold_start [--runs 3] [--import-runs 5] [--work-dir build/bench]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a file, too

from benchmarks.bench_models import (
    DEFAULT_WORK_DIR,
    PROJECT_ROOT,
    SEED_ARTICLE,
    ensure_packages,
    existing_file,
    markdown_table,
    print_machine,
)
from benchmarks.bot_bench import (
    HEAVY_MODULES,
    HandoverServer,
    answer_time,
    ask_owner,
    heavy_libraries,
    push_request,
    stage_medians,
    start_briefbot,
    write_config,
)
from benchmarks.bot_process import stop_bot, until
from benchmarks.replies import is_answered

PAIRS = (("de", "en"), ("en", "fr"))
TARGETS = ("en", "fr")
TARGET_SECONDS = 10.0
CHAT = 910_001
_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|\s+(\S+)")

#: Runs in a fresh interpreter: import the pipeline, then a full request; prints JSON.
_MODULE_PROBE = """
import asyncio, json, sys
from pathlib import Path
HEAVY = {heavy!r}
def heavy():
    return [name for name in HEAVY if name in sys.modules]
import translation.pipeline as tp
from translation.domain import SummaryOptions
from translation.models.engine import EngineOptions, TranslationEngine
from translation.inputs import TextInput
after_import = heavy()
engine = TranslationEngine(Path({packages!r}), EngineOptions(length_ratio=1.1, length_extra=0))
pipeline = tp.Pipeline(engine)
text = Path({article!r}).read_text(encoding="utf-8")
result = asyncio.run(pipeline.summarize(TextInput(text), {targets!r}, SummaryOptions()))
full = asyncio.run(pipeline.translate_full(TextInput(text), "en"))
print(json.dumps({{"after_import": after_import, "after_request": heavy(),
    "summaries": sorted(result.summaries), "full_paragraphs": len(full.paragraphs)}}))
"""


def _child(code: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *options, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )


def import_seconds(module: str, runs: int) -> tuple[float, float]:
    """Median (import time inside the child, whole child process) over ``runs`` interpreters."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    inside, whole = [], []
    for _ in range(max(1, runs)):
        started = time.perf_counter()
        inside.append(float(_child(code).stdout))
        whole.append(time.perf_counter() - started)
    return statistics.median(inside), statistics.median(whole)


def biggest_imports(module: str, count: int = 8) -> list[tuple[str, float]]:
    """Third-party packages that cost most when ``module`` is imported (cumulative ms of each
    package's own import, dependencies included, by ``python -X importtime``)."""
    lines = _child(f"import {module}", "-X", "importtime").stderr.splitlines()
    ours = module.split(".")[0]
    cost: dict[str, float] = {}
    for line in lines:
        found = _IMPORTTIME.match(line)
        if found is None:
            continue
        name = found[3]
        if "." not in name and name != ours and name not in sys.stdlib_module_names:
            cost[name] = int(found[2]) / 1000.0
    return sorted(cost.items(), key=lambda item: -item[1])[:count]


def module_probe(packages_dir: Path, article: Path) -> dict[str, list[str]]:
    code = _MODULE_PROBE.format(
        heavy=HEAVY_MODULES, packages=str(packages_dir), article=str(article), targets=TARGETS
    )
    result: dict[str, list[str]] = json.loads(_child(code).stdout)
    return result


@dataclass(frozen=True)
class StartRun:
    first_call: float  # seconds after launch
    polling: float
    handed_over: float | None
    answered: float | None
    heavy: list[str]
    stages_ms: dict[str, float]  # the first request's, as the bot's /stats reports them


async def start_once(
    server: HandoverServer, packages_dir: Path, article: str, temp: Path, wait_seconds: float
) -> StartRun:
    """Launch ``briefbot run``, push the article at once, wait for the summary, stop it."""
    config, log = temp / "briefbot.toml", temp / "bot.log"
    write_config(config, server.base_url, packages_dir, TARGETS)
    launched = time.monotonic()
    process = start_briefbot(config, log)
    request = push_request(server, CHAT, article, launched)
    try:
        await until(
            lambda: is_answered(server, request) or process.poll() is not None, wait_seconds
        )
        heavy = heavy_libraries(process.pid)
        stages = stage_medians(await ask_owner(server, "/stats")) if process.poll() is None else {}
    finally:
        exit_code = await stop_bot(process)
    if exit_code != 0:
        print(f"# warning: the bot exited with {exit_code}; log: {log}", file=sys.stderr)
    calls = [call for call in server.calls() if call.time >= launched]
    polling = next((c.time for c in calls if c.method == "deleteWebhook"), None)
    assert request.message_id is not None
    handed = server.handed_over.get((CHAT, request.message_id))
    done = answer_time(server, request)
    return StartRun(
        first_call=calls[0].time - launched,
        polling=(polling or launched) - launched,
        handed_over=None if handed is None else handed - launched,
        answered=None if done is None else done - launched,
        heavy=heavy,
        stages_ms=stages,
    )


async def start_runs(
    packages_dir: Path, article: str, runs: int, wait_seconds: float
) -> list[StartRun]:
    results = []
    server = HandoverServer()
    with server:
        for _ in range(max(1, runs)):
            with tempfile.TemporaryDirectory(prefix="briefbot-cold-") as temp:
                run = await start_once(server, packages_dir, article, Path(temp), wait_seconds)
            results.append(run)
    return results


def _median(values: Sequence[float | None], digits: int = 2) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "not reached"
    median = f"{statistics.median(known):.{digits}f}"
    return median if len(known) == len(values) else f"{median} (some runs failed)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=existing_file, default=str(SEED_ARTICLE))
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--runs", type=int, default=3, help="briefbot run starts")
    parser.add_argument("--import-runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=60.0, help="per start, seconds")
    args = parser.parse_args(argv)
    print_machine()
    packages_dir = ensure_packages(args.work_dir, PAIRS)

    rows = []
    for module in ("translation", "translation.pipeline", "bot.telegram.app"):
        inside, whole = import_seconds(module, args.import_runs)
        rows.append([f"`import {module}`", f"{inside * 1000:.0f}", f"{whole * 1000:.0f}"])
    print(f"\n## Import time (median of {args.import_runs} fresh interpreters)\n")
    print(markdown_table(["module", "import ms", "whole process ms"], rows))
    costs = ", ".join(f"{name} {ms:.0f}" for name, ms in biggest_imports("translation.pipeline"))
    print(f"# costliest third-party imports of translation.pipeline (ms, -X importtime): {costs}")
    probe = module_probe(packages_dir, args.article)
    for moment in ("after_import", "after_request"):
        found = probe[moment]
        verdict = "NONE of them loaded" if not found else f"LOADED: {', '.join(found)}"
        print(f"# heavy modules ({', '.join(HEAVY_MODULES)}) {moment.replace('_', ' ')}: {verdict}")

    article = args.article.read_text(encoding="utf-8")
    runs = asyncio.run(start_runs(packages_dir, article, args.runs, args.timeout))
    print(f"\n## `briefbot run` to the first answer (median of {len(runs)} starts, seconds)\n")
    rows = [
        ["first Bot API call (imports, Application built)", _median([r.first_call for r in runs])],
        ["polling started (post_init done)", _median([r.polling for r in runs])],
        ["article handed to the bot (getUpdates)", _median([r.handed_over for r in runs])],
        ["summary in en + fr received (first answer)", _median([r.answered for r in runs])],
    ]
    print(markdown_table(["milestone after process start", "seconds"], rows))
    stages = sorted({stage for run in runs for stage in run.stages_ms})
    rows = [[stage, _median([run.stages_ms.get(stage) for run in runs], 0)] for stage in stages]
    print("\n## The first request's stages, as the bot's /stats reports them (median, ms)\n")
    print(markdown_table(["stage", "ms"], rows))
    heavy = sorted({name for run in runs for name in run.heavy})
    print(f"# heavy libraries mapped by the bot after answering: {', '.join(heavy) or 'none'}")
    answers = [r.answered for r in runs]
    met = (
        all(a is not None for a in answers)
        and statistics.median([a for a in answers if a is not None]) < TARGET_SECONDS
    )
    print(f"# target first answer < {TARGET_SECONDS:.0f} s: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
