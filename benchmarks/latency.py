"""Summarize-then-translate latency vs translate-everything-then-summarize, warm process.

The seed article (``../shared/seed-article-de.txt``) becomes a three-sentence summary in English
and French (French by pivot through English) with transformer-base sized random-weight
packages de→en and en→fr (built once, cached under ``--work-dir``). Random weights never end a
sentence, so decoding runs to the engine's bound, set to ``length_ratio = --length-factor``
(1.1) and ``length_extra = 0`` for both contenders, as a real model's output would be about
that long.

* summary first (the product): ``Pipeline.prepare`` (clean, detect, segment), then
  ``Pipeline.summarize_prepared``: pick 3 German sentences, translate them de→en, en→fr.
* translate first (the alternative): ``prepare``, ``translate_prepared`` of the whole article
  into English, the English translation into French (reusing it, not a second de→en pass),
  then summarize each translation (3 sentences) in its own language.

* longest summary sentence alone (the floor of summary first): that one sentence de→en, then
  en→fr. Each sentence is decoded one token after another and the pivot hop needs the first
  hop's output, so no scheduling makes the summary faster than this; with the output tokens it
  gives the time per decoding step.
* the profile of the gap (issue 17): summary first with the decode scheduler off (each request
  submits its own plan, as before the scheduler), and summary first without the title (the
  title travels as one more sentence in the summary's batch). The process CPU seconds per
  request show the work: with two replicas a summary costs its wall time only while both cores
  are free; on a shared machine it tends to its CPU time.

All run in the same process after one excluded warm-up run each, the order rotating every round
(``--runs`` summary-first runs, ``--compare-runs`` of each other contender, which are slow):
p50/p95 of the wall time per request and the median of each pipeline stage.

Usage: python -m benchmarks.latency [--runs 20] [--compare-runs 5] [--work-dir build/bench]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
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
from translation.domain import SummaryOptions
from translation.inputs import TextInput
from translation.models.engine import EngineOptions, TranslationEngine
from translation.pipeline import Pipeline, PreparedDocument
from translation.text.summarization import summarize

TARGETS = ("en", "fr")
PAIRS = (("de", "en"), ("en", "fr"))
TARGET_P50_SECONDS = 1.5
SUMMARY_FIRST, TRANSLATE_FIRST = "summary first", "translate first"
LONGEST_ALONE = "longest summary sentence alone"
SCHEDULER_OFF, NO_TITLE = "summary first, scheduler off", "summary first, no title"
#: Stages shown per contender, in pipeline order (a stage a contender lacks shows "–").
STAGES = ("clean", "detect", "segment", "summarize", "translate_en", "translate_fr")


@dataclasses.dataclass(frozen=True)
class Work:
    stages_ms: dict[str, float]
    translated: int  # sentences through CTranslate2, all hops
    decoded: int | None = None  # output tokens, all hops, where the contender knows them


@dataclasses.dataclass(frozen=True)
class Run:
    seconds: float  # the whole request: prepare included
    work: Work
    cpu: float = 0.0  # process CPU seconds (all threads) during the request


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def summary_first(pipeline: Pipeline, prepared: PreparedDocument, sentences: int) -> Work:
    result = pipeline.summarize_prepared(prepared, TARGETS, SummaryOptions(sentences=sentences))
    translated = len(result.summaries[prepared.language]) * len(TARGETS)  # de→en, en→fr
    return Work(dict(result.timings_ms), translated)


def translate_first(pipeline: Pipeline, prepared: PreparedDocument, sentences: int) -> Work:
    """The whole article into English, that into French, then a summary of each."""
    stages = dict(prepared.timings_ms)
    english = pipeline.translate_prepared(prepared, "en")
    stages["translate_en"] = english.timings_ms["translate"]
    as_english = dataclasses.replace(
        prepared,
        document=dataclasses.replace(prepared.document, title=english.title, text=english.text),
        detection=dataclasses.replace(prepared.detection, language="en"),
        paragraphs=english.paragraphs,
        timings_ms={},
    )
    french = pipeline.translate_prepared(as_english, "fr")
    stages["translate_fr"] = french.timings_ms["translate"]
    started = time.perf_counter()
    options = SummaryOptions(sentences=sentences)
    for translation in (english, french):
        flat = [s for paragraph in translation.paragraphs for s in paragraph]
        summarize(flat, translation.target_language, options, title=translation.title)
    stages["summarize"] = (time.perf_counter() - started) * 1000.0
    title = 1 if prepared.document.title else 0
    return Work(stages, (len(prepared.sentences) + title) * len(TARGETS))


def longest_alone(pipeline: Pipeline, prepared: PreparedDocument, sentences: int) -> Work:
    """The floor of summary first: its longest sentence alone through both hops, one after
    the other (a sentence is decoded token by token; the second hop needs the first)."""
    picked = summarize(
        prepared.sentences,
        prepared.language,
        SummaryOptions(sentences=sentences),
        title=prepared.document.title,
    )
    longest = max((prepared.sentences[i] for i in picked), key=len)
    stages = dict(prepared.timings_ms)
    text, decoded = [longest], 0
    for source, target in itertools.pairwise((prepared.language, *TARGETS)):
        started = time.perf_counter()
        translation = pipeline.engine.translate(text, source, target)
        stages[f"translate_{target}"] = (time.perf_counter() - started) * 1000.0
        text, decoded = translation.sentences, decoded + sum(translation.output_tokens)
    return Work(stages, len(TARGETS), decoded)


def without_title(pipeline: Pipeline, prepared: PreparedDocument, sentences: int) -> Work:
    """Summary first as before titles were translated: the summary's sentences only."""
    untitled = dataclasses.replace(prepared.document, title="")
    return summary_first(pipeline, dataclasses.replace(prepared, document=untitled), sentences)


def on(other: Pipeline, contender: Contender) -> Contender:
    """``contender`` run with ``other`` (another engine) instead of the benchmark's pipeline."""
    return lambda _pipeline, prepared, sentences: contender(other, prepared, sentences)


Contender = Callable[[Pipeline, PreparedDocument, int], Work]
CONTENDERS: dict[str, Contender] = {
    SUMMARY_FIRST: summary_first,
    TRANSLATE_FIRST: translate_first,
    LONGEST_ALONE: longest_alone,
}


async def measure(
    pipeline: Pipeline,
    article: str,
    runs: dict[str, int],
    sentences: int,
    contenders: dict[str, Contender] = CONTENDERS,
) -> dict[str, list[Run]]:
    """One warm-up run of each contender (excluded), then ``runs[name]`` each; the order
    rotates every round so load drift hits all alike."""
    results: dict[str, list[Run]] = {name: [] for name in contenders}
    for number in range(max(runs.values()) + 1):
        names = [name for name in contenders if number <= runs[name]]
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            started, cpu = time.perf_counter(), cpu_seconds()
            prepared = await pipeline.prepare(TextInput(article))
            work = contenders[name](pipeline, prepared, sentences)
            if number > 0:
                seconds = time.perf_counter() - started
                results[name].append(Run(seconds, work, cpu_seconds() - cpu))
    return results


def report(results: dict[str, list[Run]]) -> str:
    header = ["contender", "runs", "p50 s", "p95 s", "CPU s", "sentences translated", *STAGES]
    rows = []
    for name, runs in results.items():
        seconds = [run.seconds for run in runs]
        stage_cells = []
        for stage in STAGES:
            values = [run.work.stages_ms[stage] for run in runs if stage in run.work.stages_ms]
            stage_cells.append(f"{statistics.median(values):.0f} ms" if values else "–")
        cpu = statistics.median(run.cpu for run in runs)
        row = [name, len(runs), f"{quantile(seconds, 0.5):.3f}", f"{quantile(seconds, 0.95):.3f}"]
        row.append(f"{cpu:.2f}")
        rows.append([*row, runs[0].work.translated, *stage_cells])
    return markdown_table(header, rows)


def step_time_note(runs: list[Run]) -> str:
    """Decoding one sentence is sequential: its output tokens × the time per step is a floor."""
    decoded = runs[0].work.decoded or 1
    translate = statistics.median(
        sum(run.work.stages_ms[f"translate_{t}"] for t in TARGETS) for run in runs
    )
    return (
        f"# longest summary sentence: {decoded} output tokens over {len(TARGETS)} hops in "
        f"{translate:.0f} ms = {translate / decoded:.1f} ms per decoding step (batch 1)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=existing_file, default=str(SEED_ARTICLE))
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--runs", type=int, default=20, help="summary-first runs")
    parser.add_argument(
        "--compare-runs", type=int, default=5, help="runs of the other two contenders"
    )
    parser.add_argument("--sentences", type=int, default=3, help="summary length")
    parser.add_argument("--length-factor", type=float, default=REALISTIC_LENGTH_RATIO)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also summary first with the scheduler off and without the title, "
        "as many runs as summary first (the floor too)",
    )
    args = parser.parse_args(argv)
    print_machine()
    packages_dir = ensure_packages(args.work_dir, PAIRS)
    options = EngineOptions(length_ratio=args.length_factor, length_extra=0)
    engine = TranslationEngine(packages_dir, options)
    pipeline = Pipeline(engine)
    article = args.article.read_text(encoding="utf-8")
    compare = max(1, args.compare_runs)
    runs = {SUMMARY_FIRST: max(1, args.runs), TRANSLATE_FIRST: compare, LONGEST_ALONE: compare}
    contenders = dict(CONTENDERS)
    off = TranslationEngine(packages_dir, dataclasses.replace(options, continuous_batching=False))
    if args.profile:
        contenders[SCHEDULER_OFF] = on(Pipeline(off), summary_first)
        contenders[NO_TITLE] = without_title
        runs.update({SCHEDULER_OFF: runs[SUMMARY_FIRST], NO_TITLE: runs[SUMMARY_FIRST]})
        runs[LONGEST_ALONE] = runs[SUMMARY_FIRST]
    results = asyncio.run(measure(pipeline, article, runs, args.sentences, contenders))
    engine.close()
    off.close()
    print(
        f"# {args.article.name}: {len(article)} characters; beam {options.beam_size}, "
        f"{options.compute_type}, inter_threads {options.inter_threads}, intra_threads "
        f"{options.intra_threads}; decoding bound ceil({args.length_factor} × length bucket)"
    )
    print(report(results))
    ours = quantile([run.seconds for run in results[SUMMARY_FIRST]], 0.5)
    theirs = quantile([run.seconds for run in results[TRANSLATE_FIRST]], 0.5)
    met = "met" if ours < TARGET_P50_SECONDS else "NOT met"
    print(f"# summary first is {theirs / ours:.1f}x faster than translate first (p50 ratio)")
    print(step_time_note(results[LONGEST_ALONE]))
    floor = quantile([run.seconds for run in results[LONGEST_ALONE]], 0.5)
    floor_cpu = statistics.median(run.cpu for run in results[LONGEST_ALONE])
    for name in (n for n in results if n.startswith(SUMMARY_FIRST)):
        p50 = quantile([run.seconds for run in results[name]], 0.5)
        cpu = statistics.median(run.cpu for run in results[name])
        print(f"# {name}: p50 {p50 / floor:.2f}x the floor, CPU {cpu / floor_cpu:.2f}x the floor's")
    print(f"# target p50 < {TARGET_P50_SECONDS} s: {met} ({ours:.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
