"""ROUGE of every summarizer on the German eval sets, plus a boilerplate audit of every output.

Run from the project root: ``python -m evaluation.summaries [--eval-dir DIR] [--speed]``.

Set 1 (``summ_de.jsonl``): 20 Minuten articles with human bullet summaries. Set 2
(``summ_de_teaser_from_html.jsonl``): raw pages run end to end (extract, clean, segment,
summarize) and scored against the publisher's teaser, a weak reference.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evaluation.rouge import METRICS, score_summary
from translation.domain import Algorithm, SummaryOptions
from translation.text.cleaning import BOILERPLATE_PATTERNS, clean_article_text, is_boilerplate
from translation.text.segmentation import segment_paragraphs
from translation.text.summarization import summarize
from translation.web.extraction import extract_article

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL_DIR = PROJECT_ROOT.parent / "shared" / "eval"
LANGUAGE = "de"
SUMMARY_SENTENCES = 3
PUBLISHER_LEAD = "publisher lead (human, not extractive)"
RAW_LEAD = "first 3 sentences, boilerplate included"

# An audit independent of the cleaner's own list: things no summary sentence may be.
EXTRA_BOILERPLATE = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^\W*(foto|bild|grafik|video|quelle|credit|illustration|symbolbild)\s*[:/]",
        r"^\W*(imago|keystone|dpa|getty images|afp|reuters|ap)\b[\w /.-]*$",
        r"©",
        r"^\W*(mehr zum thema|lesen sie auch|weiterlesen|jetzt lesen|zum artikel)\b",
        r"\b(schreibe|schreiben sie|hinterlasse) (einen|ihren|deinen) kommentar\b",
        r"(finden sie|lesen sie|hören sie|abonnieren sie|melden sie sich).{0,80}"
        r"\b(newsletter|podcast|app)\b",
        r"^\W*(impressum|datenschutz\w*|startseite|cookies?|nach oben|zurück|menü|suche)\W*$",
        r"^\W*(teilen|share|tweet|drucken)( auf| on)?( facebook| twitter| whatsapp| x)?\W*$",
        r"^\W*$",
    )
)


@dataclass(frozen=True)
class Case:
    """One article: its sentences, title and reference summary."""

    case_id: str
    sentences: list[str]
    title: str | None
    reference: str
    publisher_lead: str | None = None


@dataclass
class SystemScores:
    """Per-article F-scores of one system, by metric."""

    fmeasures: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in METRICS})

    def add(self, candidate: str, reference: str) -> None:
        for metric, score in score_summary(candidate, reference, LANGUAGE).items():
            self.fmeasures[metric].append(score.fmeasure)

    def means(self) -> list[float]:
        """Mean F-score per metric, in percent, in ``METRICS`` order."""
        return [100 * statistics.fmean(self.fmeasures[m] or [0.0]) for m in METRICS]


def _sentences(text: str) -> list[str]:
    """The pipeline's own path from raw article text to sentences."""
    cleaned = clean_article_text(text)
    return [s for paragraph in segment_paragraphs(cleaned, LANGUAGE) for s in paragraph]


def _read_jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_human_set(eval_dir: Path) -> list[Case]:
    return [
        Case(
            case_id=str(row["id"]),
            sentences=_sentences(str(row["text"])),
            title=str(row["title"]) if row.get("title") else None,
            reference=str(row["summary"]),
            publisher_lead=str(row["lead"]) if row.get("lead") else None,
        )
        for row in _read_jsonl(eval_dir / "summ_de.jsonl")
    ]


def load_teaser_set(eval_dir: Path) -> list[Case]:
    """Extract each page from its HTML first: this set measures the whole path from a link."""
    cases = []
    for row in _read_jsonl(eval_dir / "summ_de_teaser_from_html.jsonl"):
        html = (eval_dir / str(row["html"])).read_text(encoding="utf-8", errors="replace")
        document = extract_article(html, str(row.get("url") or "") or None)
        cases.append(
            Case(
                case_id=str(row["id"]),
                sentences=_sentences(document.text),
                title=document.title,
                reference=str(row["summary"]),
            )
        )
    return cases


def boilerplate_violations(sentence: str) -> list[str]:
    """Which boilerplate checks a summary sentence fails (empty: it is clean)."""
    patterns = [*(re.compile(p) if isinstance(p, str) else p for p in BOILERPLATE_PATTERNS)]
    failed = [p.pattern for p in (*patterns, *EXTRA_BOILERPLATE) if p.search(sentence)]
    if is_boilerplate(sentence):
        failed.append("is_boilerplate")
    return failed


@dataclass
class SetResult:
    name: str
    articles: int
    scores: dict[str, SystemScores]
    violations: list[tuple[str, str, str, list[str]]]


def evaluate(name: str, cases: Sequence[Case]) -> SetResult:
    scores: dict[str, SystemScores] = {}
    violations = []
    for case in cases:
        for algorithm in Algorithm:
            options = SummaryOptions(sentences=SUMMARY_SENTENCES, algorithm=algorithm)
            picked = [
                case.sentences[i] for i in summarize(case.sentences, LANGUAGE, options, case.title)
            ]
            label = "lead-3" if algorithm is Algorithm.LEAD else algorithm.value
            scores.setdefault(label, SystemScores()).add(" ".join(picked), case.reference)
            for sentence in picked:
                if failed := boilerplate_violations(sentence):
                    violations.append((case.case_id, label, sentence, failed))
        raw_lead = " ".join(case.sentences[:SUMMARY_SENTENCES])
        scores.setdefault(RAW_LEAD, SystemScores()).add(raw_lead, case.reference)
        if case.publisher_lead:
            scores.setdefault(PUBLISHER_LEAD, SystemScores()).add(
                case.publisher_lead, case.reference
            )
    return SetResult(name, len(cases), scores, violations)


def markdown_table(results: Sequence[SetResult]) -> str:
    lines = [
        "| algorithm | set | articles | ROUGE-1 F | ROUGE-2 F | ROUGE-L F |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for result in results:
        for label, system in result.scores.items():
            r1, r2, rl = system.means()
            lines.append(
                f"| {label} | {result.name} | {result.articles} | {r1:.2f} | {r2:.2f} | {rl:.2f} |"
            )
    return "\n".join(lines)


def speed_table(eval_dir: Path, sizes: Sequence[int] = (30, 300, 1000)) -> str:
    """Median wall (and CPU) milliseconds per algorithm on the first N WMT21 German sentences.

    CPU time is shown because the wall time on a shared 2-core machine includes waiting.
    """
    pool = [str(row["de"]) for row in _read_jsonl(eval_dir / "mt_de_en.jsonl")]
    summarize(pool[:50], LANGUAGE, SummaryOptions(), pool[0])  # load stemmer and stop words
    lines = [
        "| algorithm | " + " | ".join(f"{n} sentences: wall (CPU) ms" for n in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
    ]
    for algorithm in Algorithm:
        cells = []
        for n in sizes:
            options = SummaryOptions(sentences=SUMMARY_SENTENCES, algorithm=algorithm)
            wall, cpu = [], []
            for _ in range(3):
                started, started_cpu = time.perf_counter(), time.process_time()
                summarize(pool[:n], LANGUAGE, options, pool[0])
                wall.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
            cells.append(
                f"{1000 * statistics.median(wall):.0f} ({1000 * statistics.median(cpu):.0f})"
            )
        lines.append(f"| {algorithm.value} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}{load}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--speed", action="store_true", help="also time every algorithm")
    args = parser.parse_args(argv)
    eval_dir: Path = args.eval_dir
    if not (eval_dir / "summ_de.jsonl").is_file():
        print(f"error: no summ_de.jsonl in {eval_dir} (use --eval-dir)", file=sys.stderr)
        return 2

    results = [
        evaluate("summ_de (human bullets)", load_human_set(eval_dir)),
        evaluate("teaser from HTML", load_teaser_set(eval_dir)),
    ]
    print(f"Machine: {machine()}; {SUMMARY_SENTENCES} sentences per summary, German stemming.\n")
    print(markdown_table(results))
    total = sum(len(r.violations) for r in results)
    print(f"\nBoilerplate violations in summaries: {total}")
    for result in results:
        for case_id, label, sentence, failed in result.violations:
            print(f"  [{result.name}] {case_id} {label}: {sentence[:100]!r} ({', '.join(failed)})")
    if args.speed:
        print("\n" + speed_table(eval_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
