"""How TranslationEngine throughput and latency change with CTranslate2 threads and batch size.

For each configuration: throughput on the first ``--limit`` German sentences of
``mt_de_en.jsonl`` translated as one request, and the median latency of a 3-sentence request
(a typical summary), on the transformer-base sized de→en test package, and the CPU time
per sentence (all threads), which other processes on a shared machine disturb far less than
wall time. Decoding is bounded
to ``ceil(1.1 × length bucket)`` tokens, as in ``translation_engine.py``. Used to choose the
``EngineOptions`` defaults.

Usage: python -m benchmarks.thread_scaling [--limit 100] [--configs 2x1x32,1x1x32 ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a file, too

from benchmarks.bench_models import (
    DEFAULT_EVAL_DIR,
    DEFAULT_WORK_DIR,
    ensure_packages,
    load_sentences,
    machine_info,
    timed,
)
from translation.models.engine import EngineOptions, TranslationEngine

#: inter_threads x intra_threads x max_batch_size
DEFAULT_CONFIGS = (
    "1x1x32",
    "1x2x32",
    "2x1x8",
    "2x1x16",
    "2x1x32",
    "2x1x64",
    "2x2x32",
)


def parse_config(text: str) -> tuple[int, int, int]:
    inter, intra, batch = (int(part) for part in text.split("x"))
    return inter, intra, batch


def _engine(packages_dir: Path, config: str, beam_size: int) -> TranslationEngine:
    inter, intra, batch = parse_config(config)
    options = EngineOptions(
        beam_size=beam_size,
        inter_threads=inter,
        intra_threads=intra,
        max_batch_size=batch,
        length_ratio=1.1,
        length_extra=0,
    )
    engine = TranslationEngine(packages_dir, options)
    engine.translate(["Warm-up."], "de", "en")  # load the model
    return engine


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--beam-size", type=int, default=EngineOptions().beam_size)
    parser.add_argument("--latency-runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--configs", nargs="+", default=list(DEFAULT_CONFIGS))
    args = parser.parse_args(argv)

    print(f"# machine: {machine_info()}")
    packages_dir = ensure_packages(args.work_dir, [("de", "en")])
    sentences = load_sentences(args.eval_dir, "de", args.limit)
    summary = sentences[:3]
    print(f"# {len(sentences)} sentences, beam {args.beam_size}, int8, length 1.1x bucket")
    engines = {config: _engine(packages_dir, config, args.beam_size) for config in args.configs}
    throughput: dict[str, list[tuple[float, int, float]]] = {config: [] for config in engines}
    latency: dict[str, list[float]] = {config: [] for config in engines}
    for _ in range(max(1, args.rounds)):  # interleaved rounds: the machine is shared
        for config, engine in engines.items():
            cpu_before = time.process_time()  # all threads of this process
            seconds, result = timed(partial(engine.translate, sentences, "de", "en"))
            cpu = time.process_time() - cpu_before
            throughput[config].append((seconds, sum(result.output_tokens), cpu))
            latency[config].extend(
                timed(partial(engine.translate, summary, "de", "en"))[0]
                for _ in range(args.latency_runs)
            )
    print(
        f"{'inter':>5} {'intra':>5} {'batch':>5} {'sent/s':>8} {'tok/s':>8} {'3-sent p50 ms':>14}"
        f" {'CPU ms/sent':>12}"
    )
    for config in engines:
        inter, intra, batch = parse_config(config)
        seconds, tokens, _ = sorted(throughput[config])[len(throughput[config]) // 2]
        cpu = statistics.median(run[2] for run in throughput[config])
        print(
            f"{inter:>5} {intra:>5} {batch:>5} {len(sentences) / seconds:>8.2f} "
            f"{tokens / seconds:>8.0f} {statistics.median(latency[config]) * 1000:>14.0f} "
            f"{cpu * 1000 / len(sentences):>12.0f}"
        )
    print(f"# load average at end: {machine_info().rsplit('load average ', 1)[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
