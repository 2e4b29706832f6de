"""Language detection scored on lingua's test sets (20 languages x sentences, word pairs, single
words) next to plain langdetect and the published figures.

Run from the project root: ``python -m evaluation.langid [--eval-dir DIR] [--verbose]``;
``--calibrate`` reprints the threshold sweep behind ``translation.text.detection.DEFAULT_POLICY``.

Two accuracies, because an "uncertain" answer is neither right nor wrong on its own:
*top guess* scores every answer by its language, uncertain or not (comparable with the
published numbers); *strict* counts uncertain answers as wrong. Beside them: how often the
answer is uncertain, and how often a confident answer is wrong.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from translation.domain import Detection
from translation.text.detection import (
    DEFAULT_POLICY,
    Evidence,
    UncertaintyPolicy,
    detect_language,
    gather_evidence,
    preload,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL_DIR = PROJECT_ROOT.parent / "shared" / "eval"
SETS = ("sentences", "word-pairs", "single-words")
TARGETS = {"sentences": 99.0, "word-pairs": 90.0, "single-words": 70.0}
DETERMINISM_STRIDE = 10
LANGDETECT_CODES = {"zh-cn": "zh", "zh-tw": "zh", "no": "nb"}
PUBLISHED_COLUMNS = (
    ("langdetect", "langdetect"),
    ("lingua high accuracy", "lingua-high-accuracy"),
    ("lingua low accuracy", "lingua-low-accuracy"),
)


@dataclass(frozen=True)
class Item:
    language: str
    text: str
    line: int


@dataclass
class Score:
    """Counts for one set (or one language of a set)."""

    total: int = 0
    correct: int = 0
    uncertain: int = 0
    confident_wrong: int = 0
    baseline_correct: int = 0

    def add(self, item: Item, detection: Detection, baseline: str) -> None:
        self.total += 1
        self.correct += detection.language == item.language
        self.uncertain += detection.uncertain
        self.confident_wrong += not detection.uncertain and detection.language != item.language
        self.baseline_correct += baseline == item.language

    @property
    def confident(self) -> int:
        return self.total - self.uncertain

    def pct(self, count: int, of: int | None = None) -> float:
        base = self.total if of is None else of
        return 100.0 * count / base if base else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    langid_dir = Path(args.eval_dir) / "langid"
    if not langid_dir.is_dir():
        print(f"error: no langid data in {langid_dir} (use --eval-dir)", file=sys.stderr)
        return 2
    items = {name: load_items(langid_dir, name) for name in args.sets}
    if args.calibrate:
        _calibrate(items, args.max_confident_error)
        return 0
    print(f"# Language detection on {langid_dir}\n")
    print(
        f"Machine: {platform.machine()}, {_cpu_count()} cores, Python {platform.python_version()}"
    )
    started = time.perf_counter()
    preload()
    print(f"Detectors built in {time.perf_counter() - started:.2f} s\n")
    results: dict[str, list[Detection]] = {}
    elapsed: dict[str, float] = {}
    for name, set_items in items.items():
        timer = time.perf_counter()
        results[name] = [detect_language(item.text) for item in set_items]
        elapsed[name] = time.perf_counter() - timer
    _print_performance(started, elapsed, items)
    published = _published(langid_dir / "published_accuracy_lingua-py.csv")
    for name, set_items in items.items():
        baseline = _plain_langdetect([item.text for item in set_items])
        scores = _score(set_items, results[name], baseline)
        _print_set(name, scores, published.get(name, {}))
        if args.verbose:
            _print_languages(scores, published.get(name, {}))
    if not args.no_determinism:
        _print_determinism(items, results)
    return 0


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", default=str(DEFAULT_EVAL_DIR), help="shared eval folder")
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--verbose", action="store_true", help="per-language breakdown")
    parser.add_argument("--no-determinism", action="store_true", help="skip the 2-process check")
    parser.add_argument("--calibrate", action="store_true", help="threshold sweep, even/odd lines")
    parser.add_argument(
        "--max-confident-error",
        type=float,
        default=0.5,
        help="calibration target: at most this %% of confident answers wrong (default 0.5)",
    )
    return parser.parse_args(argv)


def load_items(langid_dir: Path, name: str) -> list[Item]:
    """One test set, every language, blank lines skipped; ``line`` numbers the file's lines."""
    items = []
    for path in sorted(langid_dir.glob(f"*.{name}.txt")):
        language = path.name.split(".")[0]
        lines = path.read_text(encoding="utf-8").splitlines()
        items += [Item(language, text, n) for n, text in enumerate(lines) if text.strip()]
    return items


def _published(path: Path) -> dict[str, dict[str, dict[str, float]]]:
    """test set -> detector -> language -> accuracy %, as lingua-py publishes them."""
    table: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    if not path.exists():
        return table
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for detector in ("langdetect", "lingua-high-accuracy", "lingua-low-accuracy"):
                table[row["test_set"]][detector][row["code"]] = float(row[detector])
    return table


def _plain_langdetect(texts: Iterable[str]) -> list[str]:
    """langdetect as its README shows it, seeded: ``DetectorFactory.seed = 0; detect(text)``."""
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    answers = []
    for text in texts:
        try:
            code = detect(text)
        except LangDetectException:
            code = ""
        answers.append(LANGDETECT_CODES.get(code, code))
    return answers


def _score(
    items: Sequence[Item], detections: Sequence[Detection], baseline: Sequence[str]
) -> dict[str, Score]:
    scores: dict[str, Score] = defaultdict(Score)
    for item, detection, guess in zip(items, detections, baseline, strict=True):
        scores["all"].add(item, detection, guess)
        scores[item.language].add(item, detection, guess)
    return scores


def _mean(values: dict[str, float]) -> str:
    return f"{statistics.fmean(values.values()):.1f}" if values else "n/a"


def _print_set(name: str, scores: dict[str, Score], published: dict[str, dict[str, float]]) -> None:
    s = scores["all"]
    verdict = "met" if s.pct(s.correct) >= TARGETS[name] else "NOT met"
    print(f"## {name}: {s.total} items, target {TARGETS[name]:.0f}% (top guess): {verdict}\n")
    print(
        "| detector | accuracy, top guess | accuracy, uncertain = wrong | uncertain "
        "| wrong among confident | confident and wrong |"
    )
    print("|---|---|---|---|---|---|")
    print(
        f"| Briefbot `detect_language` | **{s.pct(s.correct):.1f}** "
        f"| {s.pct(s.confident - s.confident_wrong):.1f} | {s.pct(s.uncertain):.1f} "
        f"| {s.pct(s.confident_wrong, s.confident):.2f} | {s.pct(s.confident_wrong):.2f} |"
    )
    dash = "| – | – | – | – |"
    print(f"| langdetect 1.0.9 plain, seed 0 (this run) | {s.pct(s.baseline_correct):.1f} {dash}")
    for label, key in PUBLISHED_COLUMNS:
        print(f"| {label} (published) | {_mean(published.get(key, {}))} {dash}")
    print()


def _print_languages(scores: dict[str, Score], published: dict[str, dict[str, float]]) -> None:
    print(
        "| language | items | top guess | uncertain | confident and wrong "
        "| langdetect plain | langdetect (published) | lingua high (published) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for code in sorted(lang for lang in scores if lang != "all"):
        s = scores[code]
        ld = published.get("langdetect", {}).get(code)
        lingua = published.get("lingua-high-accuracy", {}).get(code)
        print(
            f"| {code} | {s.total} | {s.pct(s.correct):.1f} | {s.pct(s.uncertain):.1f} "
            f"| {s.pct(s.confident_wrong):.1f} | {s.pct(s.baseline_correct):.1f} "
            f"| {_fmt(ld)} | {_fmt(lingua)} |"
        )
    print()


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _print_performance(
    started: float, elapsed: dict[str, float], items: dict[str, list[Item]]
) -> None:
    peak = _peak_rss_mb()  # before the plain-langdetect baseline loads its own profiles
    article = _hundred_kb_article()
    timings = []
    for _ in range(20):
        timer = time.perf_counter()
        detection = detect_language(article)
        timings.append(1000 * (time.perf_counter() - timer))
    print("## Speed and memory\n")
    for name, seconds in elapsed.items():
        count = len(items[name])
        print(f"- {name}: {count / seconds:,.0f} items/s ({1000 * seconds / count:.2f} ms/item)")
    print(
        f"- 100 kB article ({len(article):,} chars) -> {detection.language!r}: median "
        f"{statistics.median(timings):.1f} ms, max {max(timings):.1f} ms over 20 runs"
    )
    print(
        f"- peak RSS of this process with every detector loaded: {peak:.0f} MB; "
        f"all sets detected in {time.perf_counter() - started:.1f} s (build included)\n"
    )


def _hundred_kb_article() -> str:
    seed = DEFAULT_EVAL_DIR.parent / "seed-article-de.txt"
    paragraph = seed.read_text(encoding="utf-8") if seed.exists() else "Das ist ein Satz. " * 50
    return ((paragraph + "\n\n") * (100_000 // len(paragraph) + 1))[:100_000]


def _print_determinism(items: dict[str, list[Item]], results: dict[str, list[Detection]]) -> None:
    """Every ``DETERMINISM_STRIDE``-th item again, in this process and in a fresh one."""
    texts, expected = [], []
    for name, set_items in items.items():
        texts += [item.text for item in set_items[::DETERMINISM_STRIDE]]
        expected += [_key(d) for d in results[name][::DETERMINISM_STRIDE]]
    again = [_key(detect_language(text)) for text in texts]
    other = _detect_in_subprocess(texts)
    print("## Determinism\n")
    print(f"- same process, second pass: {_same(expected, again)} of {len(texts)} identical")
    print(f"- fresh process: {_same(expected, other)} of {len(texts)} identical\n")


def _same(left: Sequence[object], right: Sequence[object]) -> int:
    return sum(a == b for a, b in zip(left, right, strict=True))


def _key(detection: Detection) -> list[object]:
    """Everything a caller sees, comparable across processes through JSON."""
    guesses = [[g.language, g.probability] for g in detection.candidates]
    return [detection.language, detection.confidence, detection.uncertain, guesses]


def _detect_in_subprocess(texts: list[str]) -> list[list[object]]:
    code = (
        "import json, sys\n"
        "from evaluation.langid import _key\n"
        "from translation.text.detection import detect_language\n"
        "texts = json.load(sys.stdin)\n"
        "json.dump([_key(detect_language(t)) for t in texts], sys.stdout)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    )
    answers: list[list[object]] = json.loads(done.stdout)
    return answers


# -- calibration ----------------------------------------------------------------------------


def _calibrate(items: dict[str, list[Item]], max_error: float) -> None:
    """Pick each short-text threshold on even lines (the lowest value, from 0.5 up, whose confident
    answers are wrong at most ``max_error`` %), then report it on the odd lines it never saw.
    A winner under 0.5 is never confident: the other languages together are likelier. The
    long-text and mixture thresholds are not swept: these sets hold no long or mixed texts."""
    evidence = {
        name: [(item, gather_evidence(item.text)) for item in its] for name, its in items.items()
    }
    policy = DEFAULT_POLICY
    grid = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999]
    sweeps: list[tuple[str, Callable[[UncertaintyPolicy, float], UncertaintyPolicy]]] = [
        ("single-words", lambda p, t: replace(p, short_thresholds=(t, *p.short_thresholds[1:]))),
        ("word-pairs", lambda p, t: replace(p, short_thresholds=_set(p.short_thresholds, 1, t))),
        ("sentences", lambda p, t: replace(p, short_thresholds=_set(p.short_thresholds, 2, t))),
    ]
    print(f"# Calibration: confident answers wrong at most {max_error}% (chosen on even lines)\n")
    for name, change in sweeps:
        if name not in evidence:
            continue
        even = [pair for pair in evidence[name] if pair[0].line % 2 == 0]
        chosen = next(
            (t for t in sorted(grid) if _rates(even, change(policy, t))[1] <= max_error),
            max(grid),
        )
        policy = change(policy, chosen)
        odd = [pair for pair in evidence[name] if pair[0].line % 2 == 1]
        uncertain, wrong = _rates(odd, policy)
        print(
            f"- {name}: threshold {chosen} -> odd lines: {uncertain:.1f}% uncertain, "
            f"{wrong:.2f}% of confident answers wrong"
        )
    print(f"\nPolicy: {policy}")
    print(f"Shipped: {DEFAULT_POLICY}")


def _set(values: tuple[float, ...], index: int, value: float) -> tuple[float, ...]:
    return tuple(value if n == index else v for n, v in enumerate(values))


def _rates(
    pairs: Sequence[tuple[Item, Evidence]], policy: UncertaintyPolicy
) -> tuple[float, float]:
    """(% uncertain, % of confident answers that are wrong)."""
    flags = [(item, ev, policy.is_uncertain(ev)) for item, ev in pairs]
    confident = [(item, ev) for item, ev, unsure in flags if not unsure]
    wrong = sum(ev.language != item.language for item, ev in confident)
    uncertain = 100.0 * (len(pairs) - len(confident)) / len(pairs) if pairs else 0.0
    return uncertain, 100.0 * wrong / len(confident) if confident else 0.0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main())
