"""Translation throughput: Briefbot's engine vs stock argostranslate vs raw CTranslate2.

Runs the first ``--limit`` German sentences of ``mt_de_en.jsonl`` through a transformer-base
sized de→en test package (random weights, built once and cached under ``--work-dir``), with
the same beam size and compute type for every contender, and the same decoding amount:

* plain CTranslate2 (the baseline to reach): pre-tokenized input sorted by length (longest
  first), fixed batches of ``--baseline-batch`` (32), each batch bounded to
  ``ceil(factor × its longest source)``, all submitted asynchronously to 2 replicas with one
  thread each: CTranslate2 used the simple way.
* raw CTranslate2 (the ceiling): pre-tokenized input, sentences grouped by exact token count,
  every group forced to ``min = max decoding length = ceil(factor × source tokens)``;
  all groups submitted asynchronously to a Translator with inter_threads 2, intra_threads 1.
* ours: ``TranslationEngine.translate`` on the whole list, with ``length_ratio = factor`` and
  ``length_extra = 0``. Random weights never emit end-of-sentence, so each sentence runs to
  its bound, ``ceil(factor × length bucket)``: buckets are up to ~8% above the exact length,
  so ours decodes slightly MORE tokens than the others (the table shows the totals).
* stock: ``argostranslate.translate.translate()`` per sentence, with its sentence splitter
  replaced by ours (``translation.text.segmentation.split_sentences``) and its CTranslate2
  translator wrapped so each ``translate_batch`` call is forced to the same
  ``min = max = ceil(factor × source tokens)``. Shown with argostranslate's default threads
  (inter 1, intra 0 = all cores) and tuned (intra 1), since intra > 1 is much slower here.

Usage: python -m benchmarks.translation_engine [--limit 1000] [--stock-limit N] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a file, too

import ctranslate2
import sentencepiece as spm

from benchmarks.bench_models import (
    DEFAULT_EVAL_DIR,
    DEFAULT_WORK_DIR,
    ensure_packages,
    load_sentences,
    machine_info,
    timed,
)
from translation.models.batching import plan_batches
from translation.models.engine import EngineOptions, TranslationEngine


@dataclass(frozen=True)
class Outcome:
    """``cpu`` is this process's CPU time (all threads): on a shared, overloaded machine the
    work done is steadier than the wall time, which depends on what else runs."""

    name: str
    sentences: int
    seconds: float
    tokens: int
    cpu: float | None = None

    def row(self) -> str:
        cpu = "–" if self.cpu is None else f"{self.cpu:.1f}"
        return (
            f"{self.name:<28} {self.sentences:>6} {self.seconds:>9.2f} "
            f"{self.sentences / self.seconds:>10.1f} {self.tokens:>9} "
            f"{self.tokens / self.seconds:>9.0f} {cpu:>9}"
        )


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_cpu(run: Callable[[], int]) -> tuple[float, int, float]:
    """Wall seconds, the run's result (tokens) and the CPU seconds it took."""
    started = cpu_seconds()
    seconds, tokens = timed(run)
    return seconds, tokens, cpu_seconds() - started


def forced_length(tokens: int, factor: float) -> int:
    return max(1, math.ceil(factor * tokens))


def run_raw(
    translator: Any, tokenized: list[list[str]], beam: int, factor: float, batch: int
) -> int:
    """Exact per-sentence decoding amount: one forced length per group of equal lengths."""
    groups: dict[int, list[list[str]]] = {}
    for tokens in tokenized:
        groups.setdefault(len(tokens), []).append(tokens)
    pending = []
    for length, group in groups.items():
        forced = forced_length(length, factor)
        pending.extend(
            translator.translate_batch(
                group,
                asynchronous=True,
                max_batch_size=batch,
                beam_size=beam,
                length_penalty=0.2,
                min_decoding_length=forced,
                max_decoding_length=forced,
                replace_unknowns=True,
            )
        )
    return sum(len(result.result().hypotheses[0]) for result in pending)


def run_plain_sorted(
    translator: Any, tokenized: list[list[str]], beam: int, factor: float, batch: int
) -> int:
    """The simple way: sort by length, cut into fixed batches, one bound per batch."""
    ordered = sorted(tokenized, key=len, reverse=True)
    pending = []
    for start in range(0, len(ordered), batch):
        chunk = ordered[start : start + batch]
        pending.extend(
            translator.translate_batch(
                chunk,
                asynchronous=True,
                max_batch_size=batch,
                beam_size=beam,
                length_penalty=0.2,
                max_decoding_length=forced_length(len(chunk[0]), factor),
                replace_unknowns=True,
            )
        )
    return sum(len(result.result().hypotheses[0]) for result in pending)


def run_raw_planned(translator: Any, tokenized: list[list[str]], options: EngineOptions) -> int:
    """Ours minus the engine: the same batches and bounds, pre-tokenized, no decoding."""
    lengths = [len(tokens) for tokens in tokenized]
    pending = []
    for batch in plan_batches(lengths, options.max_batch_size, options.inter_threads):
        forced = options.decoding_bound(lengths[batch[-1]])
        pending.extend(
            translator.translate_batch(
                [tokenized[i] for i in batch],
                asynchronous=True,
                max_batch_size=options.max_batch_size,
                beam_size=options.beam_size,
                length_penalty=0.2,
                min_decoding_length=forced,
                max_decoding_length=forced,
                replace_unknowns=True,
            )
        )
    return sum(len(result.result().hypotheses[0]) for result in pending)


class ForcedLengthTranslator:
    """Wraps stock argostranslate's CTranslate2 translator to force the decoding amount."""

    def __init__(self, translator: Any, factor: float) -> None:
        self.translator = translator
        self.factor = factor
        self.tokens = 0

    def translate_batch(self, source: list[list[str]], **kwargs: Any) -> Any:
        forced = forced_length(max(len(tokens) for tokens in source), self.factor)
        kwargs.update(min_decoding_length=forced, max_decoding_length=forced)
        results = self.translator.translate_batch(source, **kwargs)
        self.tokens += sum(len(result.hypotheses[0]) for result in results)
        return results


class OurSplitter:
    """Stands in for MiniSBD/Stanza (which download models): Briefbot's own segmentation."""

    def __init__(self, language: str) -> None:
        from translation.text.segmentation import split_sentences

        self.language = language
        self.split = split_sentences

    def split_sentences(self, text: str) -> list[str]:
        return self.split(text, self.language) or [text]


def run_stock(
    packages_dir: Path,
    sentences: list[str],
    beam: int,
    compute_type: str,
    intra_threads: int,
    factor: float,
) -> Outcome:
    """Stock argostranslate, configured through its settings module as a user would."""
    from argostranslate import settings, translate

    settings.beam_size = beam
    settings.compute_type = compute_type
    translation: Any = translate.get_translation_from_codes("de", "en")
    underlying = translation.underlying
    underlying.sentencizer = OurSplitter("de")
    # The same constructor call stock makes on first use (PackageTranslation.hypotheses).
    forced = ForcedLengthTranslator(
        ctranslate2.Translator(
            str(underlying.pkg.package_path / "model"),
            device=settings.device,
            inter_threads=settings.inter_threads,
            intra_threads=intra_threads,
            compute_type=settings.compute_type,
        ),
        factor,
    )
    underlying.translator = forced
    translate.translate(sentences[0], "de", "en")  # warm-up
    translation.cache = {}
    forced.tokens = 0
    seconds, _ = timed(lambda: [translate.translate(s, "de", "en") for s in sentences])
    label = f"stock argos (intra {intra_threads})"
    return Outcome(label, len(sentences), seconds, forced.tokens)


def measure_batched(
    packages_dir: Path, sentences: list[str], tokenized: list[list[str]], args: Any
) -> list[Outcome]:
    """Ours and both raw CTranslate2 variants, interleaved so load drift hits all alike."""
    defaults = EngineOptions()
    options = EngineOptions(
        beam_size=args.beam_size,
        compute_type=args.compute_type,
        length_ratio=args.length_factor,
        length_extra=0,
    )
    engine = TranslationEngine(packages_dir, options)
    raw = ctranslate2.Translator(
        str(packages_dir / "translate-de_en" / "model"),
        compute_type=args.compute_type,
        inter_threads=defaults.inter_threads,
        intra_threads=defaults.intra_threads,
    )
    engine.translate(sentences[:50], "de", "en")  # load + warm up both
    run_raw(raw, tokenized[:50], args.beam_size, args.length_factor, defaults.max_batch_size)
    contenders = {
        "ours (TranslationEngine)": lambda: sum(
            engine.translate(sentences, "de", "en").output_tokens
        ),
        "plain CT2, sorted batches": lambda: run_plain_sorted(
            raw, tokenized, args.beam_size, args.length_factor, args.baseline_batch
        ),
        "raw CT2, same batches": lambda: run_raw_planned(raw, tokenized, options),
        "raw CT2, exact lengths": lambda: run_raw(
            raw, tokenized, args.beam_size, args.length_factor, defaults.max_batch_size
        ),
    }
    runs: dict[str, list[tuple[float, int, float]]] = {name: [] for name in contenders}
    names = list(contenders)
    for round_number in range(max(1, args.repeat)):
        shift = round_number % len(names)  # rotate the order: no contender always goes first
        for name in names[shift:] + names[:shift]:
            runs[name].append(timed_cpu(contenders[name]))
    engine.close()
    return [_median_outcome(name, len(sentences), runs[name]) for name in contenders]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--stock-limit", type=int, default=None, help="default: --limit")
    parser.add_argument(
        "--stock-default-limit",
        type=int,
        default=100,
        help="sentences for stock with its default intra_threads=0 (very slow here); 0 skips",
    )
    parser.add_argument("--beam-size", type=int, default=EngineOptions().beam_size)
    parser.add_argument("--compute-type", default=EngineOptions().compute_type)
    parser.add_argument("--length-factor", type=float, default=1.1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-batch", type=int, default=32)
    parser.add_argument("--skip-stock", action="store_true")
    args = parser.parse_args(argv)

    print(f"# machine: {machine_info()}")
    packages_dir = ensure_packages(args.work_dir, [("de", "en")])
    os.environ["ARGOS_PACKAGES_DIR"] = str(packages_dir)
    sentences = load_sentences(args.eval_dir, "de", args.limit)
    package = packages_dir / "translate-de_en"
    processor = spm.SentencePieceProcessor(model_file=str(package / "sentencepiece.model"))
    tokenized = [list(t) for t in processor.encode(sentences, out_type=str)]
    source_tokens = sum(len(t) for t in tokenized)
    forced_total = sum(forced_length(len(t), args.length_factor) for t in tokenized)
    print(
        f"# {len(sentences)} sentences, {source_tokens} source tokens; forced target tokens "
        f"{forced_total} (ceil({args.length_factor} × source) each); beam {args.beam_size}, "
        f"{args.compute_type}"
    )

    outcomes = measure_batched(packages_dir, sentences, tokenized, args)
    ours = outcomes[0]
    if not args.skip_stock:
        limit = args.stock_limit or len(sentences)
        outcomes.append(
            run_stock(
                packages_dir,
                sentences[:limit],
                args.beam_size,
                args.compute_type,
                1,
                args.length_factor,
            )
        )
        if args.stock_default_limit:
            outcomes.append(
                run_stock(
                    packages_dir,
                    sentences[: args.stock_default_limit],
                    args.beam_size,
                    args.compute_type,
                    0,
                    args.length_factor,
                )
            )

    print(
        f"{'contender':<28} {'sent':>6} {'seconds':>9} {'sent/s':>10} {'tokens':>9} "
        f"{'tok/s':>9} {'CPU s':>9}"
    )
    for outcome in outcomes:
        print(outcome.row())
    _ratios(ours, outcomes[1:])
    print(f"# load average at end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


def _median_outcome(name: str, sentences: int, runs: list[tuple[float, int, float]]) -> Outcome:
    ordered = sorted(runs)
    seconds, tokens, _ = ordered[len(ordered) // 2]
    cpu = sorted(run[2] for run in runs)[len(runs) // 2]
    return Outcome(name, sentences, seconds, tokens, cpu)


def _ratios(ours: Outcome, others: list[Outcome]) -> None:
    for other in others:
        sentences = (ours.sentences / ours.seconds) / (other.sentences / other.seconds)
        tokens = (ours.tokens / ours.seconds) / (other.tokens / other.seconds)
        cpu = f", {other.cpu / ours.cpu:.2f}x by CPU time" if ours.cpu and other.cpu else ""
        print(f"# ours / {other.name}: {sentences:.2f}x sentences/s, {tokens:.2f}x tokens/s{cpu}")


if __name__ == "__main__":
    raise SystemExit(main())
