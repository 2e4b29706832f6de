"""'Longer' under a summary: time to the edited answer with and without memory and prefetch.

The seed article becomes a ``--sentences`` (3) sentence summary in English and French (French
by pivot), then the user asks for ``--more`` (2) more sentences: the edited answer is a new
summary of 5 sentences, which shares the first summary's sentences. Without the memory every
sentence is decoded again through both hops; with it (a fresh ``LruTranslationMemory`` per
round, so only the first summary is remembered) only the new ones are. Transformer-base sized
random-weight packages, decoding bound ``--length-factor`` (1.1) × length bucket; both
contenders interleaved in one process, the order rotating every round, with the floor of the
edited answer: its longest new sentence alone through both hops (no memory), since a sentence is
decoded token by token and French needs the English first.

With prefetch (the bot's default), the first summary is followed by ``Prefetcher.run``, which
translates the sentences 'Longer' would add into the memory at the lowest CPU priority; the
press comes after it finished (its duration is reported: how soon after a summary the next
press is instant). Finally, what prefetching costs a real request: the 3-sentence summary
(fresh memory, so it is decoded) timed on an idle engine and while a prefetch of ``--more``
sentences is decoding in the background, interleaved.

Usage: python -m benchmarks.longer [--runs 10] [--sentences 3] [--more 2]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import threading
import time
from collections.abc import Sequence
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
from benchmarks.latency import PAIRS, TARGETS
from translation.domain import SummaryOptions
from translation.inputs import TextInput
from translation.models.engine import EngineOptions, TranslationEngine
from translation.models.memory import LruTranslationMemory
from translation.pipeline import Pipeline, PreparedDocument
from translation.prefetch import Prefetcher

TARGET_SECONDS = 0.5
PREFETCH, WITH, WITHOUT = "memory + prefetch", "with the memory", "without the memory"
FLOOR = "longest new sentence alone"
IDLE, DURING = "summary on an idle engine", "summary while a prefetch decodes"


def edited_answer(
    pipeline: Pipeline,
    prepared: PreparedDocument,
    first: int,
    longer: int,
    memory: bool,
    prefetched: list[float] | None = None,
) -> float:
    """The first summary (untimed), with ``prefetched`` its prefetch (timed into that list),
    then the time to the longer one."""
    pipeline.engine.memory = LruTranslationMemory() if memory else None
    pipeline.summarize_prepared(prepared, TARGETS, SummaryOptions(sentences=first))
    if prefetched is not None:
        started = time.perf_counter()
        Prefetcher(pipeline).run(prepared, TARGETS, SummaryOptions(sentences=first))
        prefetched.append(time.perf_counter() - started)
    started = time.perf_counter()
    pipeline.summarize_prepared(prepared, TARGETS, SummaryOptions(sentences=longer))
    return time.perf_counter() - started


def longest_new_alone(pipeline: Pipeline, sentence: str, source: str) -> float:
    pipeline.engine.memory = None
    started = time.perf_counter()
    for here, there in itertools.pairwise((source, *TARGETS)):
        sentence = pipeline.engine.translate([sentence], here, there).sentences[0]
    return time.perf_counter() - started


def summary_latency(
    pipeline: Pipeline, prepared: PreparedDocument, first: int, during: bool
) -> float:
    """A first summary (decoded: fresh memory), alone or while a prefetch is decoding."""
    pipeline.engine.memory = LruTranslationMemory()
    options = SummaryOptions(sentences=first)
    background = threading.Thread(
        target=Prefetcher(pipeline).run, args=(prepared, TARGETS, options)
    )
    if during:
        background.start()
        time.sleep(0.2)  # its first sentence is decoding
    started = time.perf_counter()
    pipeline.summarize_prepared(prepared, TARGETS, options)
    seconds = time.perf_counter() - started
    if during:
        background.join()
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=existing_file, default=str(SEED_ARTICLE))
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--sentences", type=int, default=3, help="the first summary's length")
    parser.add_argument("--more", type=int, default=2, help="sentences 'Longer' adds")
    parser.add_argument("--length-factor", type=float, default=REALISTIC_LENGTH_RATIO)
    parser.add_argument(
        "--cost-runs", type=int, default=10, help="summaries idle / during a prefetch, each"
    )
    args = parser.parse_args(argv)
    print_machine()
    packages_dir = ensure_packages(args.work_dir, PAIRS)
    options = EngineOptions(
        length_ratio=args.length_factor, length_extra=0, prefetch_sentences=args.more
    )
    pipeline = Pipeline(TranslationEngine(packages_dir, options))
    prepared = asyncio.run(pipeline.prepare(TextInput(args.article.read_text(encoding="utf-8"))))
    first, longer = args.sentences, args.sentences + args.more
    short = pipeline.summarize_prepared(prepared, TARGETS, SummaryOptions(sentences=first))
    long = pipeline.summarize_prepared(prepared, TARGETS, SummaryOptions(sentences=longer))
    new = set(long.summaries["de"]) - set(short.summaries["de"])
    runs: dict[str, list[float]] = {PREFETCH: [], WITH: [], WITHOUT: [], FLOOR: []}
    costs: dict[str, list[float]] = {IDLE: [], DURING: []}
    prefetched: list[float] = []
    longest = max(new, key=len)
    names = list(runs)
    for number in range(max(1, args.runs)):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            if name == FLOOR:
                runs[name].append(longest_new_alone(pipeline, longest, prepared.language))
            else:
                memory = name != WITHOUT
                spent = prefetched if name == PREFETCH else None
                runs[name].append(edited_answer(pipeline, prepared, first, longer, memory, spent))
    for number in range(max(1, args.cost_runs)):
        for name in (IDLE, DURING) if number % 2 else (DURING, IDLE):
            costs[name].append(summary_latency(pipeline, prepared, first, name == DURING))
    pipeline.engine.close()
    print(
        f"# {args.article.name}: summary of {first} sentences, then 'Longer' to {longer} "
        f"({len(new)} new); targets {', '.join(TARGETS)} (fr via en); beam "
        f"{options.beam_size}, {options.compute_type}; {args.runs} runs each"
    )
    rows = []
    for name, seconds in runs.items():
        decoded = {PREFETCH: 0, WITH: len(new), WITHOUT: longer, FLOOR: 1}[name]
        rows.append(
            [
                name,
                decoded * len(TARGETS),
                f"{quantile(seconds, 0.5):.3f}",
                f"{quantile(seconds, 0.95):.3f}",
            ]
        )
    print(markdown_table(["edited answer", "sentences decoded", "p50 s", "p95 s"], rows))
    ours, memory_only = quantile(runs[PREFETCH], 0.5), quantile(runs[WITH], 0.5)
    theirs, floor = quantile(runs[WITHOUT], 0.5), quantile(runs[FLOOR], 0.5)
    met = "met" if ours < TARGET_SECONDS else "NOT met"
    print(f"# with / without the memory: {theirs / memory_only:.1f}x faster (p50)")
    print(f"# with the memory / the floor: {memory_only / floor:.2f}x (p50)")
    print(f"# memory + prefetch / memory only: {memory_only / ours:.0f}x faster (p50)")
    print(
        f"# the prefetch itself (after the summary, engine idle): p50 "
        f"{quantile(prefetched, 0.5):.3f} s, max {max(prefetched):.3f} s"
    )
    rows = [
        [name, len(seconds), f"{quantile(seconds, 0.5):.3f}", f"{quantile(seconds, 0.95):.3f}"]
        for name, seconds in costs.items()
    ]
    print(markdown_table(["a real request", "runs", "p50 s", "p95 s"], rows))
    idle, during = quantile(costs[IDLE], 0.5), quantile(costs[DURING], 0.5)
    print(f"# summary during a prefetch / on an idle engine: {during / idle:.2f}x (p50)")
    print(f"# target p50 < {TARGET_SECONDS} s for {args.more} more sentences: {met} ({ours:.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
