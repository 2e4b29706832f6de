"""ROUGE of every summarizer on the German eval sets, plus a boilerplate audit of every output.

Run from the project root: ``python -m evaluation.summaries [--eval-dir DIR] [--unseen]
[--departures] [--headlines] [--speed]``.

Set 1 (``summ_de.jsonl``): 20 Minuten articles with human bullet summaries, and the same
articles against their editor-written teaser (the ``lead`` field), the kind of reference the
held-out acceptance set uses. Set 2 (``summ_de_teaser_from_html.jsonl``): raw pages run end
to end (extract, clean, segment, summarize) and scored against the publisher's teaser, a weak
reference. The extractor puts the page's meta description (often the teaser itself) first, so
set 2 is also scored without it. The teaser sets are also run with the title withheld, as the
held-out set is scored, and pooled. Every article belongs to the dev or the test part
(``evaluation/summary_stats.py``): tune on dev, quote test. Bullets are scored as the bot
shows them (datelines stripped). ``--unseen`` adds how often NEWS departs from Lead-3 on the
61 WMT21 German news documents, which have no reference but were never looked at for tuning.
``--departures`` lists every article where NEWS is not Lead-3, with what it leaves out (by a
strict full-sentence test) and what it brings in. ``--headlines`` scores every algorithm on
the WMT21 and NTREX German documents, which have no teaser, by how much of their withheld
headline it recalls.
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
from dataclasses import dataclass, field, replace
from pathlib import Path

from evaluation.paths import default_eval_dir
from evaluation.rouge import METRICS, score_summary
from evaluation.summary_stats import PARTS, Gap, paired_gap, split_parts
from translation.domain import Algorithm, SummaryOptions
from translation.text.bullets import strip_dateline, unresolved
from translation.text.cleaning import BOILERPLATE_PATTERNS, clean_article_text, is_boilerplate
from translation.text.segmentation import segment_paragraphs
from translation.text.summarization import summarize
from translation.web.extraction import ExtractionSettings, extract_article

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL_DIR = default_eval_dir()
LANGUAGE = "de"
SUMMARY_SENTENCES = 3
PUBLISHER_LEAD = "publisher lead (human, not extractive)"
RAW_LEAD = "first 3 sentences, boilerplate included"
EDITOR_TEASER = "summ_de, editor teaser"
NO_META = "teaser, no meta lead"
NO_TITLE = ", title withheld"
POOLED = "teasers pooled"

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
        # the UI languages' furniture, written independently of the cleaner's list
        r"^\W*(share|partager|compartir|condividi|udostępnij|поделиться|поділитися)\W*$",
        r"^\W*(read also|see also|lire aussi|lee también|leggi anche|czytaj (także|też)"
        r"|читайте (также|також)|дивіться також)\b",
        r"^\W*(anzeigen?|werbung|advertisement|publicité|publicidad|pubblicità|reklama"
        r"|реклама)\W*$",
        r"\b(gesponsert\w*|sponsored|sponsorisé|patrocinado|sponsorizzato|sponsorowany)\s+"
        r"(\w+[- ]){0,2}(\w*inhalt|content|contenu|contenido|contenuto|artykuł)",
        r"на правах реклам|партн[еёє]рськ?\w* (материал|матеріал)",
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
    recalls: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in METRICS})
    picks: list[list[int]] = field(default_factory=list)
    bullets: int = 0
    unresolved: int = 0
    unresolved_per_article: list[int] = field(default_factory=list)

    def add(self, candidate: str, reference: str) -> None:
        for metric, score in score_summary(candidate, reference, LANGUAGE).items():
            self.fmeasures[metric].append(score.fmeasure)
            self.recalls[metric].append(score.recall)

    def add_picks(self, picked: list[int], sentences: Sequence[str]) -> None:
        """Remember the picks and count bullets whose opener refers to a sentence not shown."""
        dangling = sum(unresolved(sentences, i, picked, LANGUAGE) for i in picked)
        self.picks.append(picked)
        self.bullets += len(picked)
        self.unresolved += dangling
        self.unresolved_per_article.append(dangling)

    def means(self) -> list[float]:
        """Mean F-score per metric, in percent, in ``METRICS`` order."""
        return [100 * statistics.fmean(self.fmeasures[m] or [0.0]) for m in METRICS]

    def recall_means(self) -> list[float]:
        """Mean recall per metric, in percent, in ``METRICS`` order (the held-out set's score)."""
        return [100 * statistics.fmean(self.recalls[m] or [0.0]) for m in METRICS]

    def subset(self, positions: Sequence[int]) -> SystemScores:
        """The scores of the articles at ``positions`` (picks only where they were recorded)."""
        part = SystemScores(
            {m: [v[p] for p in positions] for m, v in self.fmeasures.items()},
            {m: [v[p] for p in positions] for m, v in self.recalls.items()},
        )
        for p in positions:
            if p < len(self.picks):
                part.picks.append(self.picks[p])
        part.bullets = sum(map(len, part.picks))
        part.unresolved = sum(
            self.unresolved_per_article[p] for p in positions if p < len(self.picks)
        )
        return part

    def merged(self, other: SystemScores) -> SystemScores:
        """Both sets of articles as one, for pooled intervals."""
        both = SystemScores(
            {m: [*self.fmeasures[m], *other.fmeasures[m]] for m in METRICS},
            {m: [*self.recalls[m], *other.recalls[m]] for m in METRICS},
            [*self.picks, *other.picks],
            self.bullets + other.bullets,
            self.unresolved + other.unresolved,
        )
        both.unresolved_per_article = [*self.unresolved_per_article, *other.unresolved_per_article]
        return both


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


def load_editor_teaser_set(eval_dir: Path) -> list[Case]:
    """The ``summ_de`` articles against their editor-written teaser (the ``lead`` field).

    This is the kind of reference the held-out acceptance set uses: a teaser written to go
    with the headline, which it does not repeat.
    """
    return [
        replace(case, reference=case.publisher_lead, publisher_lead=None)
        for case in load_human_set(eval_dir)
        if case.publisher_lead
    ]


def without_titles(cases: Sequence[Case]) -> list[Case]:
    """The same articles with the headline withheld, as the held-out set is scored."""
    return [replace(case, title=None) for case in cases]


def load_teaser_set(eval_dir: Path, meta_lead: bool = True) -> list[Case]:
    """Extract each page from its HTML first: this set measures the whole path from a link.

    With ``meta_lead=False`` the extractor does not put the meta description first: that
    description is often the reference itself, which makes Lead-3 look better than it is.
    """
    settings = ExtractionSettings(add_lead=meta_lead)
    cases = []
    for row in _read_jsonl(eval_dir / "summ_de_teaser_from_html.jsonl"):
        html = (eval_dir / str(row["html"])).read_text(encoding="utf-8", errors="replace")
        document = extract_article(html, str(row.get("url") or "") or None, settings)
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
    part: str = "all"
    case_ids: list[str] = field(default_factory=list)

    def subset(self, part: str, case_ids: Sequence[str]) -> SetResult:
        """The result for some of the articles, without summarizing them again."""
        wanted = set(case_ids)
        positions = [p for p, case_id in enumerate(self.case_ids) if case_id in wanted]
        scores = {label: system.subset(positions) for label, system in self.scores.items()}
        violations = [v for v in self.violations if v[0] in wanted]
        ids = [self.case_ids[p] for p in positions]
        return SetResult(self.name, len(positions), scores, violations, part, ids)


def pooled(name: str, results: Sequence[SetResult]) -> SetResult:
    """Several sets of distinct articles as one, so the interval covers them all."""
    first, *rest = results
    scores = dict(first.scores)
    for result in rest:
        scores = {
            label: system.merged(result.scores[label])
            for label, system in scores.items()
            if label in result.scores
        }
    ids = [case_id for result in results for case_id in result.case_ids]
    violations = [v for result in results for v in result.violations]
    return SetResult(name, len(ids), scores, violations, first.part, ids)


def evaluate(name: str, cases: Sequence[Case], part: str = "all") -> SetResult:
    scores: dict[str, SystemScores] = {}
    violations = []
    for case in cases:
        for algorithm in Algorithm:
            options = SummaryOptions(sentences=SUMMARY_SENTENCES, algorithm=algorithm)
            indices = summarize(case.sentences, LANGUAGE, options, case.title)
            picked = [strip_dateline(case.sentences[i]) for i in indices]
            label = "lead-3" if algorithm is Algorithm.LEAD else algorithm.value
            system = scores.setdefault(label, SystemScores())
            system.add(" ".join(picked), case.reference)
            system.add_picks(indices, case.sentences)
            for sentence in picked:
                if failed := boilerplate_violations(sentence):
                    violations.append((case.case_id, label, sentence, failed))
        raw_lead = " ".join(case.sentences[:SUMMARY_SENTENCES])
        scores.setdefault(RAW_LEAD, SystemScores()).add(raw_lead, case.reference)
        if case.publisher_lead:
            scores.setdefault(PUBLISHER_LEAD, SystemScores()).add(
                case.publisher_lead, case.reference
            )
    return SetResult(name, len(cases), scores, violations, part, [c.case_id for c in cases])


def markdown_table(results: Sequence[SetResult]) -> str:
    lines = [
        "| algorithm | set | articles | ROUGE-1 F | ROUGE-2 F | ROUGE-L F | unresolved openers |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for label, system in result.scores.items():
            r1, r2, rl = system.means()
            openers = f"{system.unresolved}/{system.bullets}" if system.bullets else "–"
            lines.append(
                f"| {label} | {result.name} | {result.articles} | {r1:.2f} | {r2:.2f} | {rl:.2f}"
                f" | {openers} |"
            )
    return "\n".join(lines)


def _identical(result: SetResult, label: str = Algorithm.NEWS.value) -> int:
    system, lead = result.scores[label], result.scores["lead-3"]
    return sum(a == b for a, b in zip(system.picks, lead.picks, strict=True))


def _gap(
    result: SetResult, metric: str, recall: bool = False, label: str = Algorithm.NEWS.value
) -> Gap:
    system, lead = result.scores[label], result.scores["lead-3"]
    values = (system.recalls, lead.recalls) if recall else (system.fmeasures, lead.fmeasures)
    return paired_gap(values[0][metric], values[1][metric])


def gap_table(results: Sequence[SetResult]) -> str:
    """NEWS against Lead-3 per set and part: gaps with 95% bootstrap intervals, in points.

    ROUGE-1/2 *recall* against the reference is how the held-out set is scored; ROUGE-L F is
    the score the README targets on the public sets, and ROUGE-L recall shows how much of a
    gap in F comes from length (a heading skipped for a full sentence lengthens the summary).
    Unresolved openers are counted for both systems, since the lead itself can strand a
    pronoun.
    """
    lines = [
        "| set | part | articles | NEWS R-L F | Lead-3 R-L F | gap R-L F [95% CI]"
        " | gap R-L R | NEWS R-1 R | Lead-3 R-1 R | gap R-1 R | gap R-2 R | identical to Lead-3"
        " | unresolved openers NEWS / Lead-3 |",
        "|---|---|---:|---:|---:|---|---|---:|---:|---|---|---:|---:|",
    ]
    for result in results:
        news, lead = result.scores[Algorithm.NEWS.value], result.scores["lead-3"]
        lines.append(
            f"| {result.name} | {result.part} | {result.articles} | {news.means()[2]:.2f}"
            f" | {lead.means()[2]:.2f} | {_gap(result, 'rougeL')}"
            f" | {_gap(result, 'rougeL', recall=True)}"
            f" | {news.recall_means()[0]:.2f} | {lead.recall_means()[0]:.2f}"
            f" | {_gap(result, 'rouge1', recall=True)} | {_gap(result, 'rouge2', recall=True)}"
            f" | {_identical(result)}/{result.articles}"
            f" | {news.unresolved}/{news.bullets} / {lead.unresolved}/{lead.bullets} |"
        )
    return "\n".join(lines)


def by_part(name: str, cases: Sequence[Case], parts: Sequence[str] = PARTS) -> list[SetResult]:
    """The set evaluated once, reported per part (dev, test), then on all of it."""
    whole = evaluate(name, cases, "all")
    part_of = split_parts([case.case_id for case in cases])
    results = [
        whole.subset(part, [c.case_id for c in cases if part_of[c.case_id] == part])
        for part in parts
    ]
    return [*results, whole]


def pooled_by_part(name: str, results: Sequence[SetResult], sets: Sequence[str]) -> list[SetResult]:
    """Per part, the named sets (distinct articles) pooled into one."""
    return [
        pooled(name, [r for r in results if r.part == part and r.name in sets])
        for part in (*PARTS, "all")
    ]


# A strict test, independent of the summarizer's own form factor: a full sentence has a
# sentence end and at least three words (a hyphenated compound is one), and does not merely
# repeat the headline.
_SENTENCE_END = re.compile(r"[.!?…][\"'«»„“”‚‘’‹›)\]]*$")
_WORD = re.compile(r"\w+(?:-\w+)*")  # "Weltraum-Filme" is one word, as for the tokenizer


def lead_line_kind(sentence: str, title: str | None) -> str:
    """What a lead line NEWS leaves out is, by the strict test above."""
    words = [w.lower() for w in _WORD.findall(sentence)]
    if len(words) < 3:
        return "kicker (< 3 words)"
    title_words = {w.lower() for w in _WORD.findall(title or "")}
    if title_words and len(title_words & set(words)) >= 0.8 * len(title_words):
        return "restates the headline"
    if not _SENTENCE_END.search(sentence.strip()):
        return "heading (no sentence end)"
    return "full sentence"


def departures_table(result: SetResult, cases: Sequence[Case]) -> str:
    """Every article where NEWS is not Lead-3: what it leaves out, what it brings, the gaps.

    Each left-out lead line is classified by ``lead_line_kind``; a "full sentence" there would
    be a lead sentence the default drops, which the lead should keep.
    """
    news, lead = result.scores[Algorithm.NEWS.value], result.scores["lead-3"]
    part_of = split_parts(result.case_ids)
    by_id = {case.case_id: case for case in cases}
    lines = [
        "| set | part | article | left out | brought in | gap R-L F | gap R-1 R |",
        "|---|---|---|---|---|---:|---:|",
    ]
    for p, case_id in enumerate(result.case_ids):
        ours, theirs = news.picks[p], lead.picks[p]
        if ours == theirs:
            continue
        case = by_id[case_id]
        out = "; ".join(
            f"{case.sentences[i][:60]!r} ({lead_line_kind(case.sentences[i], case.title)})"
            for i in theirs
            if i not in ours
        )
        added = "; ".join(f"{case.sentences[i][:60]!r}" for i in ours if i not in theirs)
        rouge_l = 100 * (news.fmeasures["rougeL"][p] - lead.fmeasures["rougeL"][p])
        rouge_1 = 100 * (news.recalls["rouge1"][p] - lead.recalls["rouge1"][p])
        lines.append(
            f"| {result.name} | {part_of[case_id]} | {case_id} | {out} | {added}"
            f" | {rouge_l:+.1f} | {rouge_1:+.1f} |"
        )
    return "\n".join(lines)


# The news documents without a teaser, by source: WMT21's are German originals, NTREX's German
# is translated from English.
HEADLINE_SOURCES = {"WMT21": "mt_de_fr.jsonl", "NTREX": "mt_ntrex_multi.jsonl"}
HEADLINES = "headline recall, headline withheld"


def _documents(path: Path) -> dict[str, list[str]]:
    """A sentence-pair file's German documents, headline first, segment by segment."""
    documents: dict[str, list[str]] = {}
    for row in _read_jsonl(path):
        documents.setdefault(str(row["doc_id"]), []).append(str(row["de"]).strip())
    return documents


def load_headline_set(eval_dir: Path) -> list[Case]:
    """News without a teaser, scored against its own headline, which the summarizer never sees.

    The headline is the editor's shortest summary, so how much of it three body sentences
    recall measures whether they carry the story's key facts, on some 90 documents no rule
    was tuned on (the teaser sets have 43). Documents of three sentences or fewer are left
    out: every algorithm would return all of them.
    """
    cases = []
    for source, name in HEADLINE_SOURCES.items():
        for doc_id, (headline, *body) in _documents(eval_dir / name).items():
            sentences = _sentences("\n\n".join(body))
            if len(sentences) > SUMMARY_SENTENCES:
                cases.append(Case(f"{source}:{doc_id}", sentences, None, headline))
    return cases


def algorithm_gap_table(result: SetResult) -> str:
    """Every algorithm against Lead-3 by ROUGE-1/2 recall, with 95% bootstrap intervals."""
    lines = [
        "| algorithm | R-1 R | gap R-1 R [95% CI] | gap R-2 R [95% CI] | identical to Lead-3 |",
        "|---|---:|---|---|---:|",
    ]
    for label, system in result.scores.items():
        if label in ("lead-3", RAW_LEAD, PUBLISHER_LEAD):
            continue
        lines.append(
            f"| {label} | {system.recall_means()[0]:.2f}"
            f" | {_gap(result, 'rouge1', True, label)} | {_gap(result, 'rouge2', True, label)}"
            f" | {_identical(result, label)}/{result.articles} |"
        )
    return "\n".join(lines)


def unseen_table(eval_dir: Path) -> str:
    """How often NEWS departs from Lead-3 on news it was never tuned or scored on.

    The 61 WMT21 documents have no summary, so this measures only how often, and how
    coherently, the default leaves the lead: the first segment is the headline.
    """
    lines = [
        "| WMT21 German documents | documents | identical to Lead-3"
        " | unresolved openers NEWS / Lead-3 |",
        "|---|---:|---:|---:|",
    ]
    documents = _documents(eval_dir / HEADLINE_SOURCES["WMT21"])
    for with_title in (True, False):
        same = 0
        dangling = {Algorithm.NEWS: 0, Algorithm.LEAD: 0}
        bullets = {Algorithm.NEWS: 0, Algorithm.LEAD: 0}
        for segments in documents.values():
            sentences = _sentences("\n\n".join(segments[1:]))
            title = segments[0] if with_title else None
            picks = {}
            for algorithm in dangling:
                options = SummaryOptions(sentences=SUMMARY_SENTENCES, algorithm=algorithm)
                picked = summarize(sentences, LANGUAGE, options, title)
                picks[algorithm] = picked
                bullets[algorithm] += len(picked)
                dangling[algorithm] += sum(
                    unresolved(sentences, i, picked, LANGUAGE) for i in picked
                )
            same += picks[Algorithm.NEWS] == picks[Algorithm.LEAD]
        label = "with headline" if with_title else "headline withheld"
        news, lead = Algorithm.NEWS, Algorithm.LEAD
        lines.append(
            f"| {label} | {len(documents)} | {same}/{len(documents)}"
            f" | {dangling[news]}/{bullets[news]} / {dangling[lead]}/{bullets[lead]} |"
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
    parser.add_argument(
        "--unseen", action="store_true", help="also count departures on WMT21 German news"
    )
    parser.add_argument(
        "--departures", action="store_true", help="also list every departure from Lead-3"
    )
    parser.add_argument(
        "--headlines",
        action="store_true",
        help="also score every algorithm by how much of the withheld headline it recalls",
    )
    args = parser.parse_args(argv)
    eval_dir: Path = args.eval_dir
    if not (eval_dir / "summ_de.jsonl").is_file():
        print(f"error: no summ_de.jsonl in {eval_dir} (use --eval-dir)", file=sys.stderr)
        return 2

    editor = load_editor_teaser_set(eval_dir)
    no_meta = load_teaser_set(eval_dir, meta_lead=False)
    sets = [
        ("summ_de (human bullets)", load_human_set(eval_dir)),
        (EDITOR_TEASER, editor),
        (EDITOR_TEASER + NO_TITLE, without_titles(editor)),
        ("teaser from HTML", load_teaser_set(eval_dir)),
        (NO_META, no_meta),
        (NO_META + NO_TITLE, without_titles(no_meta)),
    ]
    results = [result for name, cases in sets for result in by_part(name, cases)]
    pools = [
        *pooled_by_part(POOLED, results, (EDITOR_TEASER, NO_META)),
        *pooled_by_part(POOLED + NO_TITLE, results, (EDITOR_TEASER + NO_TITLE, NO_META + NO_TITLE)),
    ]
    print(f"Machine: {machine()}; {SUMMARY_SENTENCES} sentences per summary, German stemming.")
    print("Parts: per set, ids in sha256 order, every second one is test; tune on dev only.\n")
    print(gap_table(results))
    print("\nTeasers pooled (editor teasers of summ_de + pages without the meta lead):\n")
    print(gap_table(pools))
    for part in PARTS:
        print(f"\nAll algorithms, {part} part:\n")
        print(markdown_table([r for r in results if r.part == part]))
    whole = [r for r in results if r.part == "all"]
    total = sum(len(r.violations) for r in whole)
    print(f"\nBoilerplate violations in summaries: {total}")
    for result in whole:
        for case_id, label, sentence, failed in result.violations:
            print(f"  [{result.name}] {case_id} {label}: {sentence[:100]!r} ({', '.join(failed)})")
    if args.departures:
        print("\nEvery departure from Lead-3 (whole sets; strict test for the lines left out):\n")
        for (_, cases), result in zip(sets, whole, strict=True):
            print(departures_table(result, cases))
    if args.unseen:
        print("\nDepartures from Lead-3 on unseen news (no reference):\n")
        print(unseen_table(eval_dir))
    if args.headlines:
        headlines = evaluate(HEADLINES, load_headline_set(eval_dir))
        print(f"\nNews without a teaser, {HEADLINES} (WMT21 + NTREX German, no tuning):\n")
        print(gap_table([headlines]))
        print()
        print(algorithm_gap_table(headlines))
    if args.speed:
        print("\n" + speed_table(eval_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
