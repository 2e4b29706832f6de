"""Sentence-boundary precision/recall/F1 on German news, ours next to the libraries we tried.

Run from the project root: ``python -m evaluation.segmentation [--eval-dir DIR] [--errors N]``.

The gold (``evaluation/segmentation_gold_de.json``) holds only references and offsets; the
texts are read from ``--eval-dir``: ten hand-annotated 20 Minuten articles and the two WMT21
German test sets, whose lines are one segment each, so joining them into documents gives
boundaries for free (plus the few hand-checked boundaries inside a line). The NTREX German
set was labelled after the rules were tuned on the others: it is the held-out check.

Boundaries are compared as "number of non-space characters before the boundary", which is
the same for every segmenter whatever it does to whitespace. pysbd, syntok and sentencex are
scored when installed (they are dev dependencies); a missing one is reported, not fatal.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.paths import default_eval_dir
from translation.text.segmentation import split_sentences

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL_DIR = default_eval_dir()
DEFAULT_GOLD = Path(__file__).resolve().parent / "segmentation_gold_de.json"
LANGUAGE = "de"
TARGET_F1 = 0.97
WMT_DEFAULT_LINES = 25
_LINE_END = re.compile(r"[.!?…][\"'“”»«)]*$")
_CANDIDATE = re.compile(r"[.!?…]+[\"'“”»«)]*(?=\s+\S)")

Segmenter = Callable[[str], list[str]]


@dataclass
class Document:
    """A text with gold ends (character offsets) and positions left out of the scoring."""

    name: str
    text: str
    ends: set[int]
    headline_ends: set[int] = field(default_factory=set)
    unscored: set[int] = field(default_factory=set)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Score) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


# -- loading the gold ---------------------------------------------------------------------------


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _twenty_minutes(gold: dict[str, Any], eval_dir: Path) -> list[Document]:
    spec = gold["twenty_minutes"]
    rows = {row["id"]: row for row in _read_jsonl(eval_dir / spec["file"])}
    return [
        Document(
            name=f"20min/{doc['id']}",
            text=rows[doc["id"]][spec["field"]],
            ends=set(doc["ends"]),
            headline_ends=set(doc["headline_ends"]),
        )
        for doc in spec["documents"]
    ]


def _wmt_groups(rows: list[dict[str, Any]], spec: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
    key = spec.get("group_by")
    if key:
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(row[key], []).append(row)
        yield from groups.values()
    else:
        size = spec.get("lines_per_document", WMT_DEFAULT_LINES)
        for start in range(0, len(rows), size):
            yield rows[start : start + size]


def _wmt_document(lines: list[dict[str, Any]], spec: dict[str, Any], name: str) -> Document:
    """Join one group of WMT lines the way the gold's ``wmt_rules`` describe."""
    text = ""
    ends: set[int] = set()
    unscored: set[int] = set()
    internal: dict[str, list[int]] = spec.get("internal_ends", {})
    not_ends = set(spec.get("joins_not_ends", ()))
    for index, row in enumerate(lines):
        line: str = row[spec["field"]].strip()
        ends.update(len(text) + offset for offset in internal.get(row["id"], ()))
        text += line
        if index == len(lines) - 1:
            break
        if line.endswith(":"):
            unscored.add(len(text))
            text += " "
        elif row["id"] in not_ends:
            text += " "
        else:
            ends.add(len(text))
            text += " " if _LINE_END.search(line) else "\n"
    return Document(name=name, text=text, ends=ends, unscored=unscored)


def _line_documents(specs: list[dict[str, Any]], eval_dir: Path) -> list[Document]:
    documents = []
    for spec in specs:
        rows = _read_jsonl(eval_dir / spec["file"])
        for number, lines in enumerate(_wmt_groups(rows, spec), 1):
            documents.append(_wmt_document(lines, spec, f"{spec['file']}/{number}"))
    return documents


def load_gold(gold_path: Path, eval_dir: Path) -> dict[str, list[Document]]:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    return {
        "20 Minuten (hand)": _twenty_minutes(gold, eval_dir),
        "WMT21 de": _line_documents(gold["wmt"], eval_dir),
        "NTREX de (held out)": _line_documents([gold["held_out"]], eval_dir),
    }


WRITTEN_LANGUAGES = ("de", "en", "fr", "ru")
DEFAULT_WRITTEN_DIR = Path(__file__).resolve().parent


def _written_documents(path: Path) -> list[Document]:
    """One sentence a line, blank lines between paragraphs, "---" between documents.

    Sentences of a paragraph are joined by a space (by a line break after a headline, a line
    without closing punctuation), paragraphs by a blank line; every sentence end but a
    document's last is a gold boundary.
    """
    documents: list[Document] = []
    paragraphs: list[list[str]] = [[]]

    def close() -> None:
        kept = [p for p in paragraphs if p]
        text, ends = "", set[int]()
        for number, paragraph in enumerate(kept):
            if number:
                text += "\n\n"
            for index, sentence in enumerate(paragraph):
                heading = index and not _LINE_END.search(paragraph[index - 1])
                text += ("\n" if heading else " " if index else "") + sentence
                ends.add(len(text))
        if kept:
            documents.append(Document(f"{path.stem}/{len(documents) + 1}", text, ends))

    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        if stripped == "---":
            close()
            paragraphs = [[]]
        elif not stripped:
            paragraphs.append([])
        else:
            paragraphs[-1].append(stripped)
    close()
    return documents


def load_written(directory: Path) -> dict[str, list[Document]]:
    """The hand-written gold per language (``segmentation_gold_written_<lang>.txt``)."""
    return {
        language: _written_documents(directory / f"segmentation_gold_written_{language}.txt")
        for language in WRITTEN_LANGUAGES
    }


# -- scoring ------------------------------------------------------------------------------------


def _non_space_count(text: str, end: int) -> int:
    return sum(1 for ch in text[:end] if not ch.isspace())


class _Positions:
    """Maps character offsets of one text to non-space counts in O(1)."""

    def __init__(self, text: str) -> None:
        self.counts = [0]
        for ch in text:
            self.counts.append(self.counts[-1] + (not ch.isspace()))

    def __call__(self, offset: int) -> int:
        return self.counts[offset]


def predicted_boundaries(text: str, sentences: Iterable[str]) -> set[int]:
    """Non-space counts after each sentence but the last, checked against the text."""
    total = 0
    cuts = set()
    for sentence in sentences:
        total += sum(1 for ch in sentence if not ch.isspace())
        cuts.add(total)
    expected = _non_space_count(text, len(text))
    if total != expected:
        raise ValueError(f"segmenter changed the text ({total} vs {expected} characters)")
    cuts.discard(total)
    return cuts


def score_document(doc: Document, sentences: list[str], with_headlines: bool) -> Score:
    position = _Positions(doc.text)
    skip = {position(o) for o in doc.unscored}
    if not with_headlines:
        skip |= {position(o) for o in doc.headline_ends}
    gold = {position(o) for o in doc.ends} - skip
    gold.discard(position(len(doc.text)))
    predicted = predicted_boundaries(doc.text, sentences) - skip
    return Score(len(gold & predicted), len(predicted - gold), len(gold - predicted))


def _category(text: str, match: re.Match[str]) -> str:
    """What kind of ambiguity a candidate boundary is (for the per-category error table)."""
    before = text[max(0, match.start() - 20) : match.start()].split()
    token = before[-1].lstrip("(\"'„“»«") if before else ""
    term = match.group()
    if term.rstrip("\"'“”»«)") != term:
        return "quote/bracket"
    if term[0] in "?!":
        return "?/!"
    if term[0] == "…" or term.startswith(".."):
        return "ellipsis"
    if token.replace(".", "").replace(",", "").isdigit():
        return "number/ordinal"
    if len(token) <= 3 or "." in token:
        return "short token/abbr."
    return "plain word"


def category_errors(doc: Document, sentences: list[str]) -> Counter[tuple[str, str]]:
    position = _Positions(doc.text)
    gold = {position(o) for o in doc.ends}
    predicted = predicted_boundaries(doc.text, sentences)
    errors: Counter[tuple[str, str]] = Counter()
    for match in _CANDIDATE.finditer(doc.text):
        at = position(match.end())
        category = _category(doc.text, match)
        errors[category, "n"] += 1
        errors[category, "wrong"] += (at in gold) != (at in predicted)
    return errors


# -- segmenters -----------------------------------------------------------------------------------


def _ours(text: str) -> list[str]:
    return split_sentences(text, LANGUAGE)


def library_segmenters(
    language: str = LANGUAGE, with_syntok: bool = True
) -> dict[str, Segmenter | str]:
    """Each library's segmenter for the language, or the reason it cannot run.

    syntok has no language setting; it is left out where languages vary.
    """
    found: dict[str, Segmenter | str] = {}
    try:
        import pysbd

        pysbd_segmenter = pysbd.Segmenter(language=language, clean=False)
        found["pysbd"] = lambda text: [str(s) for s in pysbd_segmenter.segment(text)]
    except ImportError:
        found["pysbd"] = "not installed"
    if with_syntok:
        try:
            from syntok import segmenter as syntok_segmenter

            def _syntok(text: str) -> list[str]:
                return [
                    "".join(token.spacing + token.value for token in sentence)
                    for paragraph in syntok_segmenter.analyze(text)
                    for sentence in paragraph
                ]

            found["syntok"] = _syntok
        except ImportError:
            found["syntok"] = "not installed"
    try:
        import sentencex

        found["sentencex"] = lambda text: list(sentencex.segment(language, text))
    except ImportError:
        found["sentencex"] = "not installed"
    return found


# -- report ---------------------------------------------------------------------------------------


def _run(segmenter: Segmenter, docs: list[Document]) -> tuple[list[list[str]], float]:
    started = time.perf_counter()
    outputs = [segmenter(doc.text) for doc in docs]
    return outputs, time.perf_counter() - started


def evaluate(sets: dict[str, list[Document]], segmenters: dict[str, Segmenter | str]) -> int:
    all_docs = [doc for docs in sets.values() for doc in docs]
    chars = sum(len(doc.text) for doc in all_docs)
    gold_count = sum(len(doc.ends) for doc in sets["20 Minuten (hand)"])
    print(f"Gold: {len(all_docs)} documents, {chars:,} characters; 20 Minuten: {gold_count} ends.")
    print(f"Machine: {platform.machine()}, Python {platform.python_version()}\n")
    header = f"{'segmenter':<12}{'set':<28}{'P':>7}{'R':>7}{'F1':>7}{'FP':>5}{'FN':>5}"
    print(header + f"{'k chars/s':>11}")
    print("-" * (len(header) + 11))
    status = 0
    category_tables: dict[str, Counter[tuple[str, str]]] = {}
    for name, segmenter in segmenters.items():
        if isinstance(segmenter, str):
            print(f"{name:<12}{segmenter}")
            continue
        outputs, seconds = _run(segmenter, all_docs)
        by_doc = dict(zip((id(d) for d in all_docs), outputs, strict=True))
        total = Score()
        rows = []
        for set_name, docs in sets.items():
            score, strict = Score(), Score()
            for doc in docs:
                score.add(score_document(doc, by_doc[id(doc)], with_headlines=False))
                strict.add(score_document(doc, by_doc[id(doc)], with_headlines=True))
            total.add(strict)
            rows.append((set_name, score))
            if set_name.startswith("20"):
                rows.append((set_name + " +crossheads", strict))
        rows.append(("all (with crossheads)", total))
        speed = chars / seconds / 1000
        for set_name, score in rows:
            print(
                f"{name:<12}{set_name:<28}{score.precision:>7.3f}{score.recall:>7.3f}"
                f"{score.f1:>7.3f}{score.fp:>5}{score.fn:>5}{speed:>11.0f}"
            )
        categories: Counter[tuple[str, str]] = Counter()
        for doc in all_docs:
            categories.update(category_errors(doc, by_doc[id(doc)]))
        category_tables[name] = categories
        if name == "briefbot" and total.f1 < TARGET_F1:
            status = 1
    _print_categories(category_tables)
    return status


def _print_categories(tables: dict[str, Counter[tuple[str, str]]]) -> None:
    names = sorted({key[0] for table in tables.values() for key in table})
    print("\nWrong decisions at candidate boundaries (punctuation + space), by kind:")
    print(f"{'kind':<20}{'n':>6}" + "".join(f"{name:>12}" for name in tables))
    for kind in names:
        count = next(iter(tables.values()))[kind, "n"]
        print(f"{kind:<20}{count:>6}" + "".join(f"{t[kind, 'wrong']:>12}" for t in tables.values()))


def written_segmenters(language: str) -> dict[str, Segmenter | str]:
    """Ours and the libraries that take a language, for the hand-written gold."""
    ours: Segmenter = lambda text: split_sentences(text, language)  # noqa: E731
    return {"briefbot": ours, **library_segmenters(language, with_syntok=False)}


def evaluate_written(sets: dict[str, list[Document]], errors: int = 0) -> Score:
    """P/R/F1 per language on the hand-written gold; returns our total."""
    gold = sum(len(doc.ends) - 1 for docs in sets.values() for doc in docs)
    print(f"\nHand-written gold (not used for tuning): {gold} boundaries in {', '.join(sets)}.")
    print(f"{'segmenter':<12}{'language':<10}{'P':>7}{'R':>7}{'F1':>7}{'FP':>5}{'FN':>5}")
    ours = Score()
    for language, docs in sets.items():
        for name, segmenter in written_segmenters(language).items():
            if isinstance(segmenter, str):
                print(f"{name:<12}{language:<10}{segmenter}")
                continue
            score = Score()
            for doc in docs:
                score.add(score_document(doc, segmenter(doc.text), with_headlines=True))
            if name == "briefbot":
                ours.add(score)
            print(
                f"{name:<12}{language:<10}{score.precision:>7.3f}{score.recall:>7.3f}"
                f"{score.f1:>7.3f}{score.fp:>5}{score.fn:>5}"
            )
    print(f"{'briefbot':<12}{'all':<10}{ours.precision:>7.3f}{ours.recall:>7.3f}{ours.f1:>7.3f}")
    if errors:
        for language, docs in sets.items():
            show_errors({language: docs}, errors, language)
    return ours


def show_errors(sets: dict[str, list[Document]], limit: int, language: str = LANGUAGE) -> None:
    """Print our segmenter's wrong boundaries with context (for tuning the rules)."""
    shown = 0
    for docs in sets.values():
        for doc in docs:
            position = _Positions(doc.text)
            inverse = {position(i): i for i in range(len(doc.text) + 1)}
            predicted = predicted_boundaries(doc.text, split_sentences(doc.text, language))
            gold = {position(o) for o in doc.ends | doc.headline_ends} - {
                position(o) for o in doc.unscored
            }
            gold.discard(position(len(doc.text)))
            for at in sorted(predicted ^ gold):
                if shown >= limit:
                    return
                offset = inverse[at]
                kind = "FP" if at in predicted else "FN"
                context = doc.text[max(0, offset - 50) : offset + 40].replace("\n", "⏎")
                print(f"{kind} {doc.name}: …{context}…")
                shown += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", default=str(DEFAULT_EVAL_DIR), help="shared eval folder")
    parser.add_argument("--gold", default=str(DEFAULT_GOLD), help="gold boundary file")
    parser.add_argument("--errors", type=int, default=0, help="print up to N of our errors")
    parser.add_argument(
        "--written-dir", default=str(DEFAULT_WRITTEN_DIR), help="hand-written gold folder"
    )
    args = parser.parse_args(argv)
    eval_dir, gold = Path(args.eval_dir), Path(args.gold)
    try:
        sets = load_gold(gold, eval_dir)
        written = load_written(Path(args.written_dir))
    except (OSError, KeyError, ValueError) as exc:
        print(f"error: cannot load the gold set: {exc} (use --eval-dir/--gold)", file=sys.stderr)
        return 2
    segmenters: dict[str, Segmenter | str] = {"briefbot": _ours, **library_segmenters()}
    status = evaluate(sets, segmenters)
    if args.errors:
        print()
        show_errors(sets, args.errors)
    ours = evaluate_written(written, args.errors)
    return status or int(ours.f1 < TARGET_F1)


if __name__ == "__main__":
    sys.exit(main())
