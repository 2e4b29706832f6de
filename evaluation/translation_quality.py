"""chrF and BLEU (sacrebleu) of whatever translation packages are installed, on the shared sets.

Run from the project root: ``python -m evaluation.translation_quality [--config PATH |
--packages-dir DIR] [--eval-dir DIR] [--limit N] [--sets ...] [--json]``.

An operator with real Argos models checks quality and compares packages with it:

* WMT21 de→en (``mt_de_en.jsonl``), German-original news, two references (A and B);
* WMT21 de→fr (``mt_de_fr.jsonl``), through the English pivot when there is no direct pair;
* NTREX-128 (``mt_ntrex_multi.jsonl``), whole documents aligned in en/de/fr/es/ru: every
  pair the installed packages reach. Its source is English; de/fr/es/ru are translations of
  it, so a non-English source is translationese (easier than real text) and scores are not
  comparable with the WMT rows.

Each reference line is one segment; it is split with our own segmentation, all sentences of a
set go to the real ``TranslationEngine`` as one batch (the bot's path), and the outputs are
joined back per segment. Model loading is not timed. Random-weight test packages (marked in
their metadata.json by the builder) give near-zero scores by design; their rows are labelled.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sacrebleu.metrics import BLEU, CHRF

from bot.config import load_config
from translation.errors import BriefbotError, ModelMissingError
from translation.models.argos_packages import InstalledPackage
from translation.models.engine import TranslationEngine
from translation.models.package_builder import TEST_PACKAGE_KEY
from translation.text.segmentation import split_sentences

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL_DIR = PROJECT_ROOT.parent / "shared" / "eval"
NTREX_LANGUAGES = ("en", "de", "fr", "es", "ru")
#: Below both, a score says "this output is unrelated to the reference".
NEAR_ZERO_BLEU, NEAR_ZERO_CHRF = 2.0, 20.0
TEST_LABEL = "random-weight test packages: scores near zero are expected"
EXIT_NO_MODELS = 3


@dataclass(frozen=True)
class EvalSet:
    """One file of aligned segments and the pairs to score on it."""

    key: str
    name: str
    file: str
    pairs: tuple[tuple[str, str], ...]
    references: dict[str, tuple[str, ...]]  # target language -> reference fields
    whole_documents: bool = False


SETS = (
    EvalSet(
        "wmt-de-en", "WMT21 de-en", "mt_de_en.jsonl", (("de", "en"),), {"en": ("en", "en_ref_B")}
    ),
    EvalSet("wmt-de-fr", "WMT21 de-fr", "mt_de_fr.jsonl", (("de", "fr"),), {"fr": ("fr",)}),
    EvalSet(
        "ntrex",
        "NTREX-128",
        "mt_ntrex_multi.jsonl",
        tuple(itertools.permutations(NTREX_LANGUAGES, 2)),
        {lang: (lang,) for lang in NTREX_LANGUAGES},
        whole_documents=True,
    ),
)


@dataclass(frozen=True)
class PairScore:
    """One scored pair; ``sentences`` counts reference segments, ``split_into`` our sentences."""

    set: str
    source: str
    target: str
    route: str  # "direct" or "pivot"
    via: str | None
    sentences: int
    split_into: int
    references: int
    bleu: float
    chrf: float
    seconds: float
    test_packages: bool
    near_zero: bool
    translationese_input: bool


@dataclass(frozen=True)
class Evaluation:
    scores: list[PairScore]
    unreachable: dict[str, list[str]]  # set name -> "de-es (install de→en and en→es …)"
    signatures: dict[str, str]

    @property
    def label(self) -> str | None:
        if self.scores and all(s.test_packages for s in self.scores):
            return TEST_LABEL
        if any(s.test_packages for s in self.scores):
            return TEST_LABEL + " (rows marked 'random weights')"
        return None

    def warnings(self) -> list[str]:
        """Near-zero scores from packages that are NOT test packages: something is broken."""
        return [
            f"{s.set} {s.source}→{s.target}: near-zero scores from real packages; check them"
            for s in self.scores
            if s.near_zero and not s.test_packages
        ]


# -- data --------------------------------------------------------------------------------------


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def load_segments(eval_dir: Path, spec: EvalSet, limit: int | None) -> list[dict[str, Any]]:
    """The first ``limit`` segments; for document sets, whole documents up to ``limit``
    segments (at least one document)."""
    rows = list(_rows(eval_dir / spec.file))
    if limit is None:
        return rows
    if not spec.whole_documents:
        return rows[:limit]
    taken: list[dict[str, Any]] = []
    for _doc, group in itertools.groupby(rows, key=lambda row: row["doc_id"]):
        document = list(group)
        if taken and len(taken) + len(document) > limit:
            break
        taken.extend(document)
    return taken


def _text(row: dict[str, Any], field: str) -> str:
    return str(row[field]).strip()  # NTREX lines end in "\r"


# -- packages ----------------------------------------------------------------------------------


def is_test_package(package: InstalledPackage) -> bool:
    """Marked by ``translation.models.package_builder`` in metadata.json (random weights)."""
    try:
        metadata = json.loads((package.path / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(metadata, dict) and bool(metadata.get(TEST_PACKAGE_KEY))


def route_uses_test_packages(engine: TranslationEngine, path: Sequence[str]) -> bool:
    packages = {(p.from_code, p.to_code): p for p in engine.packages()}
    return any(is_test_package(packages[hop]) for hop in itertools.pairwise(path))


# -- scoring -----------------------------------------------------------------------------------


def translate_segments(
    engine: TranslationEngine, segments: Sequence[str], source: str, target: str
) -> tuple[list[str], int, float]:
    """(one output per segment, sentences translated, seconds): sentences split by our
    segmentation, translated as one batch, joined back per segment."""
    split = [split_sentences(segment, source) for segment in segments]
    flat = [sentence for sentences in split for sentence in sentences]
    engine.translate(flat[:1], source, target)  # load the models outside the timing
    started = time.perf_counter()
    outputs = iter(engine.translate(flat, source, target).sentences)
    seconds = time.perf_counter() - started
    joined = [" ".join(itertools.islice(outputs, len(sentences))) for sentences in split]
    return joined, len(flat), seconds


def score_pair(
    engine: TranslationEngine,
    spec: EvalSet,
    rows: Sequence[dict[str, Any]],
    source: str,
    target: str,
    signatures: dict[str, str],
) -> PairScore:
    path = engine.route(source, target)  # raises ModelMissingError when unreachable
    reference_fields = spec.references[target]
    hypotheses, split_into, seconds = translate_segments(
        engine, [_text(row, source) for row in rows], source, target
    )
    references = [[_text(row, field) for row in rows] for field in reference_fields]
    bleu, chrf = BLEU(), CHRF()
    bleu_score = bleu.corpus_score(hypotheses, references).score
    chrf_score = chrf.corpus_score(hypotheses, references).score
    signatures[f"BLEU nrefs:{len(references)}"] = bleu.get_signature().format()
    signatures[f"chrF nrefs:{len(references)}"] = chrf.get_signature().format()
    return PairScore(
        set=spec.name,
        source=source,
        target=target,
        route="pivot" if len(path) == 3 else "direct",
        via=path[1] if len(path) == 3 else None,
        sentences=len(rows),
        split_into=split_into,
        references=len(references),
        bleu=round(bleu_score, 2),
        chrf=round(chrf_score, 2),
        seconds=round(seconds, 3),
        test_packages=route_uses_test_packages(engine, path),
        near_zero=bleu_score < NEAR_ZERO_BLEU and chrf_score < NEAR_ZERO_CHRF,
        translationese_input=spec.whole_documents and source != "en",
    )


def evaluate(
    engine: TranslationEngine, eval_dir: Path, sets: Sequence[EvalSet], limit: int | None
) -> Evaluation:
    scores: list[PairScore] = []
    unreachable: dict[str, list[str]] = {}
    signatures: dict[str, str] = {}
    for spec in sets:
        rows = load_segments(eval_dir, spec, limit)
        for source, target in spec.pairs:
            try:
                scores.append(score_pair(engine, spec, rows, source, target, signatures))
            except ModelMissingError as exc:
                missing = " and ".join(p.replace("-", "→") for p in exc.needed)
                unreachable.setdefault(spec.name, []).append(f"{source}→{target} (needs {missing})")
    return Evaluation(scores, unreachable, signatures)


# -- output ------------------------------------------------------------------------------------


def markdown_table(evaluation: Evaluation) -> str:
    lines = [
        "| set | pair | route | sentences | BLEU | chrF | time (s) | note |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for s in evaluation.scores:
        route = f"pivot via {s.via}" if s.via else "direct"
        notes = [
            "random weights" if s.test_packages else "",
            "translationese input" if s.translationese_input else "",
            "NEAR ZERO" if s.near_zero and not s.test_packages else "",
        ]
        note = "; ".join(n for n in notes if n)
        lines.append(
            f"| {s.set} | {s.source}→{s.target} | {route} | {s.sentences} | {s.bleu:.1f} "
            f"| {s.chrf:.1f} | {s.seconds:.2f} | {note} |"
        )
    return "\n".join(lines)


def as_json(evaluation: Evaluation, packages_dir: Path) -> dict[str, Any]:
    return {
        "machine": machine(),
        "packages_dir": str(packages_dir),
        "label": evaluation.label,
        "warnings": evaluation.warnings(),
        "rows": [asdict(s) for s in evaluation.scores],
        "unreachable": evaluation.unreachable,
        "signatures": evaluation.signatures,
    }


def print_report(evaluation: Evaluation, packages_dir: Path) -> None:
    print(f"Machine: {machine()}; packages: {packages_dir}\n")
    print(markdown_table(evaluation))
    if evaluation.label:
        print(f"\nNOTE: {evaluation.label}; they do not measure translation quality.")
    for warning in evaluation.warnings():
        print(f"WARNING: {warning}")
    if any(s.translationese_input for s in evaluation.scores):
        print(
            "NTREX-128: the source is English; de/fr/es/ru are translations of it, so rows from "
            "those languages start from translationese and are not comparable with WMT21."
        )
    for name, pairs in evaluation.unreachable.items():
        print(f"{name}, not reachable with the installed packages: {', '.join(pairs)}")
    for metric, signature in evaluation.signatures.items():
        print(f"{metric}: {signature}")


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--config", type=Path, help="bot config (or env BRIEFBOT_CONFIG)")
    parser.add_argument("--packages-dir", type=Path, help="overrides [models] packages_dir")
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--limit", type=int, help="segments per set (NTREX: whole documents)")
    parser.add_argument(
        "--sets", nargs="+", choices=[s.key for s in SETS], default=[s.key for s in SETS]
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    args = parser.parse_args(argv)
    sets = [s for s in SETS if s.key in args.sets]
    missing = [s.file for s in sets if not (args.eval_dir / s.file).is_file()]
    if missing:
        print(
            f"error: {', '.join(missing)} not in {args.eval_dir} (use --eval-dir)", file=sys.stderr
        )
        return 2
    try:
        config = load_config(args.config)
    except BriefbotError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    packages_dir = args.packages_dir or config.models.packages_dir
    engine = TranslationEngine(packages_dir, config.translation)
    try:
        evaluation = evaluate(engine, args.eval_dir, sets, args.limit)
    finally:
        engine.close()
    if not evaluation.scores:
        print(f"error: no installed package in {packages_dir} reaches a pair", file=sys.stderr)
        return EXIT_NO_MODELS
    if args.json:
        print(json.dumps(as_json(evaluation, packages_dir), ensure_ascii=False, indent=2))
    else:
        print_report(evaluation, packages_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
