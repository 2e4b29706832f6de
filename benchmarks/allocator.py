"""Decoding with glibc's malloc defaults against ``translation.models.allocator``'s thresholds.

Each contender is a fresh process (malloc's settings are per process) that loads the base de→en
package on CTranslate2 exactly as the engine does (int8, ``inter_threads`` 2 × ``intra_threads``
1, beam 2), warms up, then decodes WMT21 sentences the way ``translation_engine``'s plain
CTranslate2 contender does (``run_plain_sorted``: sorted by length, batches of ``--batch``,
each to the realistic bound since random weights never stop early, all submitted
asynchronously so both replicas stay busy). It reports CPU seconds (user and system), minor
page faults and peak RSS; contenders alternate ``--rounds`` times and the medians are compared
as ratios.

Usage: python -m benchmarks.allocator [--batch 8] [--batches 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a file, too

from benchmarks import bench_models as bench

CONTENDERS = ("glibc defaults", "kept freed memory")


def child(mode: str, packages_dir: Path, eval_dir: Path, batch: int, batches: int) -> dict:
    """Decode in this process and return its figures (runs in a fresh interpreter)."""
    if mode == CONTENDERS[1]:
        from translation.models.allocator import keep_freed_memory

        keep_freed_memory()
    import ctranslate2
    import sentencepiece as spm

    from benchmarks.translation_engine import run_plain_sorted

    package = packages_dir / "translate-de_en"
    translator = ctranslate2.Translator(
        str(package / "model"), device="cpu", compute_type="int8", inter_threads=2, intra_threads=1
    )
    tokenizer = spm.SentencePieceProcessor(model_file=str(package / "sentencepiece.model"))
    sentences = bench.load_sentences(eval_dir, limit=batch * batches)
    pieces = [tokenizer.encode(s, out_type=str) for s in sentences]

    def decode_all() -> None:
        run_plain_sorted(translator, pieces, 2, bench.REALISTIC_LENGTH_RATIO, batch)

    decode_all()  # warm-up: oneDNN's kernels, the first arenas
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    decode_all()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "wall": wall,
        "user": after.ru_utime - before.ru_utime,
        "system": after.ru_stime - before.ru_stime,
        "faults": after.ru_minflt - before.ru_minflt,
        "rss_mb": after.ru_maxrss / 1024,
        "sentences": len(pieces),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8, help="sentences per batch")
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--eval-dir", type=Path, default=bench.DEFAULT_EVAL_DIR)
    parser.add_argument("--work-dir", type=Path, default=bench.DEFAULT_WORK_DIR)
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    packages_dir = bench.ensure_packages(args.work_dir, [("de", "en")])
    if args.child:
        figures = child(args.child, packages_dir, args.eval_dir, args.batch, args.batches)
        print(json.dumps(figures))
        return
    bench.print_machine()
    runs: dict[str, list[dict]] = {name: [] for name in CONTENDERS}
    for round_number in range(args.rounds):
        for name in CONTENDERS if round_number % 2 == 0 else CONTENDERS[::-1]:
            command = [sys.executable, "-m", "benchmarks.allocator", "--child", name]
            command += ["--batch", str(args.batch), "--batches", str(args.batches)]
            command += ["--eval-dir", str(args.eval_dir), "--work-dir", str(args.work_dir)]
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                check=True,
            )
            figures = json.loads(done.stdout.splitlines()[-1])
            runs[name].append(figures)
            print(f"# {name}: {figures}", flush=True)
    medians = {
        name: {key: statistics.median(run[key] for run in runs[name]) for key in runs[name][0]}
        for name in CONTENDERS
    }
    base = medians[CONTENDERS[0]]
    rows = []
    for name in CONTENDERS:
        m = medians[name]
        cpu = m["user"] + m["system"]
        rows.append(
            [
                name,
                f"{m['sentences'] / m['wall']:.1f}",
                f"{cpu:.1f} ({cpu / (base['user'] + base['system']):.2f}×)",
                f"{m['system']:.2f}",
                f"{m['faults']:,.0f}",
                f"{m['rss_mb']:.0f}",
            ]
        )
    print(
        f"\nbase de→en, beam 2, int8, 2 replicas × 1 thread, batches of {args.batch}, "
        f"medians of {args.rounds}\n"
    )
    print(
        bench.markdown_table(
            ["malloc", "sentences/s", "CPU s (ratio)", "of which system", "minor faults", "RSS MB"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
