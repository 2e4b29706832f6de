"""What each lingua configuration costs: build time, memory, speed and accuracy, each measured
in a fresh process so the figures do not mix. The numbers behind the choice documented in
``translation.text.detection`` (low-accuracy lingua + word lists instead of high-accuracy lingua).

Run from the project root: ``python -m evaluation.langid_memory [--eval-dir DIR] [--stride N]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from evaluation.langid import DEFAULT_EVAL_DIR, PROJECT_ROOT, SETS, load_items

CONFIGURATIONS = (
    "lingua-low-preloaded",
    "lingua-low-lazy",
    "lingua-high-preloaded",
    "lingua-high-lazy",
    "briefbot",
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", default=str(DEFAULT_EVAL_DIR))
    parser.add_argument("--stride", type=int, default=5, help="use every N-th test item")
    parser.add_argument("--only", choices=CONFIGURATIONS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    langid_dir = Path(args.eval_dir) / "langid"
    if not langid_dir.is_dir():
        print(f"error: no langid data in {langid_dir} (use --eval-dir)", file=sys.stderr)
        return 2
    if args.only:
        print(json.dumps(_measure(args.only, langid_dir, args.stride)))
        return 0
    print(f"# lingua configurations over the 43 Argos languages (every {args.stride}th item)\n")
    print(
        "| configuration | build s | RSS after build MB | RSS after the run MB | ms/item "
        "| sentences % | word pairs % | single words % |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in CONFIGURATIONS:
        command = [sys.executable, "-m", "evaluation.langid_memory", "--only", name]
        command += ["--eval-dir", args.eval_dir, "--stride", str(args.stride)]
        done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
        row = json.loads(done.stdout)
        accuracy = " | ".join(f"{row['accuracy'][s]:.1f}" for s in SETS)
        print(
            f"| {name} | {row['build_s']:.2f} | {row['rss_built_mb']:.0f} "
            f"| {row['rss_end_mb']:.0f} | {row['ms_per_item']:.2f} | {accuracy} |"
        )
    print("\nRSS is the whole process (Python alone: ~15 MB). Accuracy: top guess, no thresholds.")
    return 0


def _measure(name: str, langid_dir: Path, stride: int) -> dict[str, object]:
    import psutil

    process = psutil.Process()
    items = {s: load_items(langid_dir, s)[::stride] for s in SETS}
    started = time.perf_counter()
    detect = _build(name)
    build_s = time.perf_counter() - started
    rss_built = process.memory_info().rss / 2**20
    accuracy, count, started = {}, 0, time.perf_counter()
    for set_name, set_items in items.items():
        accuracy[set_name] = (
            100.0 * sum(detect(i.text) == i.language for i in set_items) / len(set_items)
        )
        count += len(set_items)
    return {
        "build_s": build_s,
        "rss_built_mb": rss_built,
        "rss_end_mb": process.memory_info().rss / 2**20,
        "ms_per_item": 1000 * (time.perf_counter() - started) / count,
        "accuracy": accuracy,
    }


def _build(name: str) -> Callable[[str], str]:
    if name == "briefbot":
        from translation.text.detection import detect_language, preload

        preload()
        return lambda text: detect_language(text).language
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    from translation.text.detection import ARGOS_LANGUAGES

    codes = [getattr(IsoCode639_1, code.upper()) for code in sorted(ARGOS_LANGUAGES)]
    builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
    if "-low-" in name:
        builder = builder.with_low_accuracy_mode()
    if name.endswith("-preloaded"):
        builder = builder.with_preloaded_language_models()
    detector = builder.build()

    def detect(text: str) -> str:
        language = detector.detect_language_of(text)
        return language.iso_code_639_1.name.lower() if language is not None else ""

    return detect


if __name__ == "__main__":
    sys.exit(main())
