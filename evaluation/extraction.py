"""Article extraction quality on the shared eval data, for several extractor configurations.

- ``html_gold.json`` (60 pages, trafilatura's own test set): every ``with`` snippet must be in
  the extracted text, no ``without`` snippet may be; titles where the gold has one.
- ``html_scrapinghub_gold.json`` (20 pages): token-level precision/recall/F1 against the gold
  ``articleBody`` (``\\w+`` tokens as bags; per-page scores averaged and F1 taken of the means, as
  the scrapinghub benchmark does), plus that benchmark's own 4-gram shingle F1.

Run from the project root: ``.venv/bin/python -m evaluation.extraction [--eval-dir DIR]``.
Prints a Markdown table; exits 1 when Briefbot's default configuration misses a target.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from translation.domain import Document
from translation.errors import InputError
from translation.text.cleaning import clean_article_text
from translation.web.decoding import decode_bytes
from translation.web.extraction import DEFAULT_SETTINGS, ExtractionSettings, extract_article

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL_DIR = PROJECT_ROOT.parent / "shared" / "eval"
TARGET_WITH = 0.95
TARGET_LEAK = 0.05
TARGET_F1 = 0.92
SHINGLE = 4

T = TypeVar("T", bound=Hashable)

_TOKEN = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({c: '"' for c in "„“”«»‚‘’'"})


@dataclass(frozen=True)
class Contender:
    name: str
    settings: ExtractionSettings
    postprocess: Callable[[str], str] | None = None


CONTENDERS = (
    Contender(
        "trafilatura defaults",
        ExtractionSettings(favor_precision=False, add_lead=False, clean_title=False),
    ),
    Contender(
        "favor_recall",
        ExtractionSettings(
            favor_precision=False, favor_recall=True, add_lead=False, clean_title=False
        ),
    ),
    Contender("favor_precision", ExtractionSettings(add_lead=False, clean_title=False)),
    Contender(
        "favor_precision, no tables",
        ExtractionSettings(include_tables=False, add_lead=False, clean_title=False),
    ),
    Contender("defaults + lead + title", ExtractionSettings(favor_precision=False)),
    Contender("**Briefbot: favor_precision + lead + title**", DEFAULT_SETTINGS),
    Contender("Briefbot + pipeline cleaning", DEFAULT_SETTINGS, clean_article_text),
)
DEFAULT_NAME = "**Briefbot: favor_precision + lead + title**"


@dataclass(frozen=True)
class Page:
    key: str
    html: str
    url: str | None
    gold: dict[str, object]


@dataclass
class Scores:
    with_found: int = 0
    with_total: int = 0
    leaked: int = 0
    without_total: int = 0
    titles_present: int = 0
    titles_exact: int = 0
    title_f1: list[float] = field(default_factory=list)
    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    shingle_precision: list[float] = field(default_factory=list)
    shingle_recall: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    @property
    def with_rate(self) -> float:
        return self.with_found / self.with_total

    @property
    def leak_rate(self) -> float:
        return self.leaked / self.without_total

    @property
    def f1(self) -> float:
        return _f1(statistics.mean(self.precision), statistics.mean(self.recall))

    @property
    def shingle_f1(self) -> float:
        return _f1(statistics.mean(self.shingle_precision), statistics.mean(self.shingle_recall))


def load_pages(eval_dir: Path, gold_file: str) -> list[Page]:
    data = json.loads((eval_dir / gold_file).read_text(encoding="utf-8"))
    pages = []
    for key, gold in data["pages"].items():
        raw = (eval_dir / gold["file"]).read_bytes()
        if gold["file"].endswith(".gz"):
            raw = gzip.decompress(raw)
        html, _ = decode_bytes(raw, is_html=True)
        pages.append(Page(key, html, gold.get("url"), gold))
    return pages


def run(contender: Contender, snippet_pages: list[Page], body_pages: list[Page]) -> Scores:
    scores = Scores()
    for page in snippet_pages:
        document = _extract(contender, page, scores)
        _score_snippets(scores, page, document)
    for page in body_pages:
        document = _extract(contender, page, scores)
        text = document.text if document else ""
        gold = str(page.gold["articleBody"])
        precision, recall = _bag_overlap(Counter(_tokens(gold)), Counter(_tokens(text)))
        scores.precision.append(precision)
        scores.recall.append(recall)
        precision, recall = _bag_overlap(_shingles(gold), _shingles(text))
        scores.shingle_precision.append(precision)
        scores.shingle_recall.append(recall)
    return scores


def _extract(contender: Contender, page: Page, scores: Scores) -> Document | None:
    started = time.perf_counter()
    try:
        document = extract_article(page.html, page.url, contender.settings)
    except InputError:
        document = None
    if document is not None and contender.postprocess is not None:
        document = Document(contender.postprocess(document.text), document.title, document.url)
    scores.seconds.append(time.perf_counter() - started)
    return document


def _score_snippets(scores: Scores, page: Page, document: Document | None) -> None:
    text = _normalize(document.text if document else "")
    for snippet in _strings(page.gold["with"]):
        scores.with_total += 1
        if _normalize(snippet) in text:
            scores.with_found += 1
        else:
            scores.misses.append(f"{page.key}: missing {snippet!r}")
    for snippet in _strings(page.gold["without"]):
        scores.without_total += 1
        if _normalize(snippet) in text:
            scores.leaked += 1
            scores.misses.append(f"{page.key}: leaked {snippet!r}")
    gold_title = str(page.gold.get("title") or "").strip()
    if gold_title:
        title = document.title if document and document.title else ""
        scores.titles_present += bool(title)
        scores.titles_exact += _title_key(title) == _title_key(gold_title)
        scores.title_f1.append(
            _f1(*_bag_overlap(Counter(_tokens(gold_title)), Counter(_tokens(title))))
        )


def _strings(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _normalize(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def _title_key(title: str) -> str:
    return _normalize(title).translate(_QUOTES).casefold()


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _tokens(text)
    return Counter(tuple(tokens[i : i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1)))


def _bag_overlap(gold: Counter[T], found: Counter[T]) -> tuple[float, float]:
    """Precision and recall of ``found`` against ``gold`` as multisets (1.0 when both empty)."""
    shared = sum((gold & found).values())
    total_found, total_gold = sum(found.values()), sum(gold.values())
    if not total_found and not total_gold:
        return 1.0, 1.0
    precision = shared / total_found if total_found else 0.0
    recall = shared / total_gold if total_gold else 0.0
    return precision, recall


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def table(results: dict[str, Scores]) -> str:
    header = (
        "| configuration | `with` found | `without` leaked | titles present | titles exact "
        "| title token F1 | token P | token R | **token F1** | 4-gram F1 | ms/page |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|"
    )
    rows = [header]
    for name, s in results.items():
        rows.append(
            f"| {name} | {s.with_found}/{s.with_total} ({s.with_rate:.1%}) "
            f"| {s.leaked}/{s.without_total} ({s.leak_rate:.1%}) "
            f"| {s.titles_present}/{len(s.title_f1)} | {s.titles_exact}/{len(s.title_f1)} "
            f"| {statistics.mean(s.title_f1):.3f} | {statistics.mean(s.precision):.3f} "
            f"| {statistics.mean(s.recall):.3f} | **{s.f1:.3f}** | {s.shingle_f1:.3f} "
            f"| {1000 * statistics.mean(s.seconds):.0f} |"
        )
    return "\n".join(rows)


def missed_targets(scores: Scores) -> list[str]:
    missed = []
    if scores.with_rate < TARGET_WITH:
        missed.append(f"`with` found {scores.with_rate:.1%} < {TARGET_WITH:.0%}")
    if scores.leak_rate > TARGET_LEAK:
        missed.append(f"`without` leaked {scores.leak_rate:.1%} > {TARGET_LEAK:.0%}")
    if scores.f1 < TARGET_F1:
        missed.append(f"token F1 {scores.f1:.3f} < {TARGET_F1}")
    if scores.titles_present < len(scores.title_f1):
        missed.append(f"titles present {scores.titles_present}/{len(scores.title_f1)}")
    return missed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--details", action="store_true", help="list misses of the default")
    args = parser.parse_args(argv)
    try:
        snippet_pages = load_pages(args.eval_dir, "html_gold.json")
        body_pages = load_pages(args.eval_dir, "html_scrapinghub_gold.json")
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: cannot read eval data in {args.eval_dir}: {exc}", file=sys.stderr)
        return 2
    results = {c.name: run(c, snippet_pages, body_pages) for c in CONTENDERS}
    print(
        f"Article extraction: {len(snippet_pages)} snippet pages (html_gold.json), "
        f"{len(body_pages)} full-body pages (html_scrapinghub_gold.json)\n"
    )
    print(table(results))
    default = results[DEFAULT_NAME]
    if args.details:
        print("\n" + "\n".join(f"- {miss}" for miss in default.misses))
    missed = missed_targets(default)
    verdict = "all met" if not missed else "MISSED: " + "; ".join(missed)
    print(
        f"\nTargets (default configuration): `with` >= {TARGET_WITH:.0%}, leaked <= "
        f"{TARGET_LEAK:.0%}, token F1 >= {TARGET_F1}, a title wherever the gold has one: {verdict}"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
