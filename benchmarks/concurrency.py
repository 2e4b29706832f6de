"""Bare engine under concurrent requests: the per-model decode scheduler on vs off.

``--clients`` (1, 5, 20) threads each send one 3-sentence de→en request at the same moment
(a barrier), through one ``TranslationEngine`` with a transformer-base sized random-weight
package: with the scheduler (``continuous_batching``, sentences of all waiting requests share
batches of one decoding bound) and without it (each request plans and submits its own
batches). Both engines run interleaved in one process, the order rotating every round, on the
same WMT21 sentences, decoding bound ``--length-factor`` (1.1) × length bucket. Reported:
sentences per second over the whole burst and p50/p95 of the time per request.

Usage: python -m benchmarks.concurrency [--clients 1 5 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a file, too

from benchmarks.bench_models import (
    DEFAULT_EVAL_DIR,
    DEFAULT_WORK_DIR,
    REALISTIC_LENGTH_RATIO,
    ensure_packages,
    load_sentences,
    markdown_table,
    print_machine,
    quantile,
)
from translation.models.engine import EngineOptions, TranslationEngine

SENTENCES_PER_REQUEST = 3


def burst(engine: TranslationEngine, requests: list[list[str]]) -> tuple[float, list[float]]:
    """All requests at once; the burst's wall time and each request's own time."""
    barrier = threading.Barrier(len(requests) + 1)
    seconds = [0.0] * len(requests)

    def client(slot: int) -> None:
        barrier.wait()
        started = time.perf_counter()
        engine.translate(requests[slot], "de", "en")
        seconds[slot] = time.perf_counter() - started

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--length-factor", type=float, default=REALISTIC_LENGTH_RATIO)
    args = parser.parse_args(argv)
    print_machine()
    packages_dir = ensure_packages(args.work_dir, [("de", "en")])
    most = max(args.clients) * SENTENCES_PER_REQUEST
    sentences = load_sentences(args.eval_dir, "de", most * max(1, args.rounds))
    options = EngineOptions(length_ratio=args.length_factor, length_extra=0)
    engines = {
        "scheduler on": TranslationEngine(packages_dir, options),
        "scheduler off": TranslationEngine(
            packages_dir, EngineOptions(**{**vars(options), "continuous_batching": False})
        ),
    }
    for engine in engines.values():
        engine.translate(sentences[:5], "de", "en")  # load + warm up
    walls: dict[tuple[int, str], list[float]] = {}
    latencies: dict[tuple[int, str], list[float]] = {}
    names = list(engines)
    for number in range(max(1, args.rounds)):
        chunk = sentences[number * most : (number + 1) * most]
        for clients in args.clients:
            requests = [
                chunk[i * SENTENCES_PER_REQUEST : (i + 1) * SENTENCES_PER_REQUEST]
                for i in range(clients)
            ]
            shift = number % len(names)
            for name in names[shift:] + names[:shift]:
                wall, each = burst(engines[name], requests)
                walls.setdefault((clients, name), []).append(wall)
                latencies.setdefault((clients, name), []).extend(each)
    rows = []
    for clients in args.clients:
        rate = {}
        for name in names:
            total = SENTENCES_PER_REQUEST * clients * len(walls[(clients, name)])
            rate[name] = total / sum(walls[(clients, name)])
            each = latencies[(clients, name)]
            rows.append(
                [
                    f"{clients} × 3 sentences, {name}",
                    f"{rate[name]:.1f}",
                    f"{quantile(each, 0.5):.2f}",
                    f"{quantile(each, 0.95):.2f}",
                ]
            )
        ratio = rate["scheduler on"] / rate["scheduler off"]
        print(f"# {clients} clients: scheduler on / off = {ratio:.2f}x sentences/s")
    print(
        f"# beam {options.beam_size}, {options.compute_type}, inter_threads "
        f"{options.inter_threads}, decoding bound ceil({args.length_factor} × length bucket), "
        f"{args.rounds} rounds"
    )
    print(markdown_table(["burst", "sentences/s", "p50 s", "p95 s"], rows))
    for engine in engines.values():
        engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
