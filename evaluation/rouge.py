"""ROUGE-N and ROUGE-L F-scores over stemmed tokens in any language.

The reference package ``rouge-score`` only stems English, so German summaries would be
under-credited for every inflected word. The metric itself is small: n-gram overlap for
ROUGE-N and the longest common subsequence for ROUGE-L (Lin, 2004).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from translation.text.segmentation import split_words
from translation.text.summarization import language_stemmer


@dataclass(frozen=True)
class RougeScore:
    precision: float
    recall: float
    fmeasure: float


def _score(overlap: int, candidate_total: int, reference_total: int) -> RougeScore:
    precision = overlap / candidate_total if candidate_total else 0.0
    recall = overlap / reference_total if reference_total else 0.0
    total = precision + recall
    fmeasure = 2 * precision * recall / total if total else 0.0
    return RougeScore(precision, recall, fmeasure)


def _ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def rouge_n(candidate: Sequence[str], reference: Sequence[str], n: int) -> RougeScore:
    """Clipped n-gram overlap: a reference n-gram matches at most as often as it occurs."""
    cand, ref = _ngrams(candidate, n), _ngrams(reference, n)
    overlap = sum((cand & ref).values())
    return _score(overlap, sum(cand.values()), sum(ref.values()))


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence, in O(len(a) * len(b)) time and O(len(b)) memory."""
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b):
            current.append(previous[j] + 1 if token == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_l(candidate: Sequence[str], reference: Sequence[str]) -> RougeScore:
    """ROUGE-L on the whole token sequences (as ``rouge-score``'s ``rougeL``, not ``rougeLsum``)."""
    return _score(lcs_length(candidate, reference), len(candidate), len(reference))


def rouge_tokens(text: str, language: str) -> list[str]:
    """Lowercased, stemmed word tokens; punctuation-only tokens are dropped, as in ROUGE-1.5.5."""
    stem = language_stemmer(language)
    words = (w.lower() for w in split_words(text, language))
    return [stem(w) for w in words if any(ch.isalnum() for ch in w)]


METRICS = ("rouge1", "rouge2", "rougeL")


def score_summary(candidate: str, reference: str, language: str) -> dict[str, RougeScore]:
    """ROUGE-1, ROUGE-2 and ROUGE-L (keys as in ``METRICS``) of a candidate against a reference."""
    cand, ref = rouge_tokens(candidate, language), rouge_tokens(reference, language)
    return {
        "rouge1": rouge_n(cand, ref, 1),
        "rouge2": rouge_n(cand, ref, 2),
        "rougeL": rouge_l(cand, ref),
    }
