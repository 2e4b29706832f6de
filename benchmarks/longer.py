"""'Longer' under a summary: time to the edited answer with and without the translation memory.

The seed article becomes a ``--sentences`` (3) sentence summary in English and French (French
by pivot), then the user asks for ``--more`` (2) more sentences: the edited answer is a new
summary of 5 sentences, which shares the first summary's sentences. Without the memory every
sentence is decoded again through both hops; with it (a fresh ``LruTranslationMemory`` per
round, so only the first summary is remembered) only the new ones are. Transformer-base sized
random-weight packages, decoding bound ``--length-factor`` (1.1) × length bucket; both
contenders interleaved in one process, the order rotating every round, with the floor of the
edited answer: its longest new sentence alone through both hops (no memory), since a sentence is
decoded token by token and French needs the English first.

Usage: python -m benchmarks.longer [--runs 10] [--sentences 3] [--more 2]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
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

TARGET_SECONDS = 0.5
WITH, WITHOUT = "with the memory", "without the memory"
FLOOR = "longest new sentence alone"


def edited_answer(
    pipeline: Pipeline, prepared: PreparedDocument, first: int, longer: int, memory: bool
) -> float:
    """The first summary (untimed), then the time to the longer one."""
    pipeline.engine.memory = LruTranslationMemory() if memory else None
    pipeline.summarize_prepared(prepared, TARGETS, SummaryOptions(sentences=first))
    started = time.perf_counter()
    pipeline.summarize_prepared(prepared, TARGETS, SummaryOptions(sentences=longer))
    return time.perf_counter() - started


def longest_new_alone(pipeline: Pipeline, sentence: str, source: str) -> float:
    pipeline.engine.memory = None
    started = time.perf_counter()
    for here, there in itertools.pairwise((source, *TARGETS)):
        sentence = pipeline.engine.translate([sentence], here, there).sentences[0]
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=existing_file, default=str(SEED_ARTICLE))
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--sentences", type=int, default=3, help="the first summary's length")
    parser.add_argument("--more", type=int, default=2, help="sentences 'Longer' adds")
    parser.add_argument("--length-factor", type=float, default=REALISTIC_LENGTH_RATIO)
    args = parser.parse_args(argv)
    print_machine()
    packages_dir = ensure_packages(args.work_dir, PAIRS)
    options = EngineOptions(length_ratio=args.length_factor, length_extra=0)
    pipeline = Pipeline(TranslationEngine(packages_dir, options))
    prepared = asyncio.run(pipeline.prepare(TextInput(args.article.read_text(encoding="utf-8"))))
    first, longer = args.sentences, args.sentences + args.more
    short = pipeline.summarize_prepared(prepared, TARGETS, SummaryOptions(sentences=first))
    long = pipeline.summarize_prepared(prepared, TARGETS, SummaryOptions(sentences=longer))
    new = set(long.summaries["de"]) - set(short.summaries["de"])
    runs: dict[str, list[float]] = {WITH: [], WITHOUT: [], FLOOR: []}
    longest = max(new, key=len)
    names = list(runs)
    for number in range(max(1, args.runs)):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            if name == FLOOR:
                runs[name].append(longest_new_alone(pipeline, longest, prepared.language))
            else:
                runs[name].append(edited_answer(pipeline, prepared, first, longer, name == WITH))
    pipeline.engine.close()
    print(
        f"# {args.article.name}: summary of {first} sentences, then 'Longer' to {longer} "
        f"({len(new)} new); targets {', '.join(TARGETS)} (fr via en); beam "
        f"{options.beam_size}, {options.compute_type}; {args.runs} runs each"
    )
    rows = []
    for name, seconds in runs.items():
        decoded = {WITH: len(new), WITHOUT: longer, FLOOR: 1}[name]
        rows.append(
            [
                name,
                decoded * len(TARGETS),
                f"{quantile(seconds, 0.5):.3f}",
                f"{quantile(seconds, 0.95):.3f}",
            ]
        )
    print(markdown_table(["edited answer", "sentences decoded", "p50 s", "p95 s"], rows))
    ours, theirs = quantile(runs[WITH], 0.5), quantile(runs[WITHOUT], 0.5)
    met = "met" if ours < TARGET_SECONDS else "NOT met"
    floor = quantile(runs[FLOOR], 0.5)
    print(f"# with / without the memory: {theirs / ours:.1f}x faster (p50)")
    print(f"# with the memory / the floor: {ours / floor:.2f}x (p50)")
    print(f"# target p50 < {TARGET_SECONDS} s for {args.more} more sentences: {met} ({ours:.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
