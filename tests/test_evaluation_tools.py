"""The evaluation scripts' own parts: the written segmentation gold, the split, the intervals."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.segmentation import (
    DEFAULT_WRITTEN_DIR,
    WRITTEN_LANGUAGES,
    load_written,
    predicted_boundaries,
    score_document,
)
from evaluation.summary_stats import paired_gap, split_parts
from translation.text.segmentation import split_sentences


def test_written_gold_format(tmp_path: Path) -> None:
    for language in WRITTEN_LANGUAGES:
        (tmp_path / f"segmentation_gold_written_{language}.txt").write_text(
            "# comment\nTitel ohne Punkt\nErster Satz.\nZweiter Satz.\n\nNeuer Absatz.\n"
            "---\nAnderes Dokument.\nEnde.\n",
            encoding="utf-8",
        )
    documents = load_written(tmp_path)["de"]
    assert [doc.text for doc in documents] == [
        "Titel ohne Punkt\nErster Satz. Zweiter Satz.\n\nNeuer Absatz.",
        "Anderes Dokument. Ende.",
    ]
    first = documents[0]
    assert sorted(first.ends) == [16, 29, 43, len(first.text)]
    score = score_document(first, split_sentences(first.text, "de"), with_headlines=True)
    assert (score.tp, score.fp, score.fn) == (3, 0, 0)
    merged = score_document(first, [first.text], with_headlines=True)
    assert (merged.tp, merged.fn) == (0, 3)


def test_the_shipped_written_gold_has_300_boundaries_in_four_languages() -> None:
    sets = load_written(DEFAULT_WRITTEN_DIR)
    assert set(sets) == {"de", "en", "fr", "ru"}
    boundaries = {
        language: sum(len(doc.ends) - 1 for doc in documents)
        for language, documents in sets.items()
    }
    assert sum(boundaries.values()) >= 300, boundaries
    assert min(boundaries.values()) >= 60, boundaries
    for documents in sets.values():
        for doc in documents:  # every gold end is a real sentence end in the joined text
            assert predicted_boundaries(doc.text, [doc.text]) == set()
            assert all(doc.text[end - 1] not in " \n" for end in doc.ends)


def test_split_is_deterministic_and_halves_each_set() -> None:
    ids = [f"article-{n}" for n in range(41)]
    parts = split_parts(ids)
    assert parts == split_parts(list(reversed(ids)))
    assert sorted(parts.values()).count("test") == 20
    assert set(parts.values()) == {"dev", "test"}


def test_paired_gap_and_its_interval() -> None:
    same = paired_gap([0.5, 0.6, 0.7], [0.5, 0.6, 0.7])
    assert (same.mean, same.low, same.high) == (0.0, 0.0, 0.0)
    better = paired_gap([0.6, 0.7, 0.8, 0.9], [0.5, 0.6, 0.7, 0.7])
    assert better.mean == pytest.approx(12.5)
    assert 9.99 <= better.low <= better.mean <= better.high <= 20.0
    mixed = paired_gap([0.9, 0.1, 0.5, 0.5], [0.1, 0.9, 0.5, 0.5])
    assert mixed.low < 0 < mixed.high
    with pytest.raises(ValueError):
        paired_gap([0.1], [])
