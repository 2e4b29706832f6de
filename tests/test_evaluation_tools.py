"""The evaluation scripts' own parts: the written segmentation gold, the split, the intervals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation.segmentation import (
    DEFAULT_WRITTEN_DIR,
    WRITTEN_LANGUAGES,
    load_written,
    predicted_boundaries,
    score_document,
)
from evaluation.summaries import (
    HEADLINES,
    Case,
    algorithm_gap_table,
    by_part,
    departures_table,
    evaluate,
    gap_table,
    lead_line_kind,
    load_editor_teaser_set,
    load_headline_set,
    pooled,
    unseen_table,
    without_titles,
)
from evaluation.summary_stats import paired_gap, split_parts
from translation.domain import Algorithm
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


_ARTICLE = [
    "Der Stadtrat von Bern hat am Montag ein neues Verkehrskonzept für die Altstadt beschlossen.",
    "Autos dürfen ab Januar nur noch mit einer Bewilligung in die Gassen fahren.",
    "Velofahrer erhalten breitere Spuren auf den wichtigsten Achsen der Stadt.",
    "Das Gewerbe befürchtet weniger Kundschaft in den Läden der Altstadt.",
    "Die Opposition will das Konzept mit einer Volksabstimmung verhindern.",
]


def _case(case_id: str, reference: str, title: str | None = "Bern sperrt die Altstadt") -> Case:
    return Case(case_id, list(_ARTICLE), title, reference)


def test_parts_and_pools_reuse_one_evaluation() -> None:
    cases = [_case(f"a{n}", _ARTICLE[n % 5]) for n in range(6)]
    results = by_part("set", cases)
    dev, test, whole = results
    assert (dev.part, test.part, whole.part) == ("dev", "test", "all")
    assert dev.articles + test.articles == whole.articles == 6
    assert sorted(dev.case_ids + test.case_ids) == sorted(whole.case_ids)
    lead = whole.scores["lead-3"]
    first = whole.case_ids.index(dev.case_ids[0])
    assert dev.scores["lead-3"].recalls["rouge1"][0] == lead.recalls["rouge1"][first]
    assert dev.scores["lead-3"].picks[0] == [0, 1, 2]
    other = evaluate("other", [_case("b", _ARTICLE[4])], "all")
    both = pooled("both", [whole, other])
    assert both.articles == 7
    assert both.scores["lead-3"].fmeasures["rougeL"] == [
        *lead.fmeasures["rougeL"],
        *other.scores["lead-3"].fmeasures["rougeL"],
    ]
    assert both.scores["lead-3"].bullets == 21
    table = gap_table([both]).splitlines()
    assert table[2].startswith("| both | all | 7 |")
    assert "gap R-L R" in table[0]  # recall beside F: a length gap shows as F only
    assert table[0].count("|") == table[1].count("|") == table[2].count("|") == 14


def test_unresolved_openers_are_counted_per_article_and_survive_subsets() -> None:
    # "Doch" points at the share prompt, which no algorithm shows: Lead-3 strands it
    stranded = ["Teilen Sie diesen Artikel.", "Doch das Gewerbe wehrt sich.", *_ARTICLE]
    cases = [Case("x", stranded, None, "Bern"), _case("y", "Bern", None)]
    lead = evaluate("set", cases, "all").scores["lead-3"]
    assert lead.picks[0] == [1, 2, 3]
    assert lead.unresolved_per_article == [1, 0]
    assert (lead.subset([0]).unresolved, lead.subset([1]).unresolved) == (1, 0)
    assert lead.subset([1, 0]).bullets == 6


def test_editor_teasers_and_withheld_titles(tmp_path: Path) -> None:
    rows = [
        {
            "id": "one",
            "text": " ".join(_ARTICLE),
            "title": "Bern",
            "summary": "x",
            "lead": "Teaser.",
        },
        {"id": "two", "text": " ".join(_ARTICLE), "title": "Bern", "summary": "x"},
    ]
    (tmp_path / "summ_de.jsonl").write_text(
        "\n".join(json.dumps(row) for row in rows), encoding="utf-8"
    )
    editor = load_editor_teaser_set(tmp_path)
    assert [(c.case_id, c.reference, c.title) for c in editor] == [("one", "Teaser.", "Bern")]
    assert [c.title for c in without_titles(editor)] == [None]
    assert editor[0].title == "Bern"


def test_unseen_news_departures_are_counted(tmp_path: Path) -> None:
    segments = ["Bern sperrt die Altstadt für Autos", *_ARTICLE]
    rows = [{"doc_id": "d1", "de": s} for s in segments]
    (tmp_path / "mt_de_fr.jsonl").write_text(
        "\n".join(json.dumps(row) for row in rows), encoding="utf-8"
    )
    table = unseen_table(tmp_path)
    assert "| with headline | 1 | 1/1 | 0/3 / 0/3 |" in table
    assert "| headline withheld | 1 | 1/1 | 0/3 / 0/3 |" in table


def test_headlines_score_news_without_a_teaser_and_are_never_shown(tmp_path: Path) -> None:
    headline = "Bern sperrt die Altstadt für Autos"
    wmt = [{"doc_id": "d1", "de": s} for s in [headline, *_ARTICLE]]
    wmt += [{"doc_id": "short", "de": s} for s in ["Kurz", *_ARTICLE[:3]]]
    ntrex = [{"doc_id": "bbc.1", "de": s + "\r"} for s in ["Velo statt Auto", *_ARTICLE]]
    for name, rows in (("mt_de_fr.jsonl", wmt), ("mt_ntrex_multi.jsonl", ntrex)):
        (tmp_path / name).write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    cases = load_headline_set(tmp_path)
    assert [(c.case_id, c.title, c.reference) for c in cases] == [
        ("WMT21:d1", None, headline),
        ("NTREX:bbc.1", None, "Velo statt Auto"),
    ]
    assert cases[1].sentences == _ARTICLE
    table = algorithm_gap_table(evaluate(HEADLINES, cases)).splitlines()
    # Lead-3 recalls 5 of the first headline's 6 words ("sperrt" is missing), none of "Velo
    # statt Auto" ("Autos" keeps its s under Snowball), and NEWS keeps the lead: (5/6 + 0) / 2
    assert table[2] == "| news | 41.67 | +0.00 [+0.00, +0.00] | +0.00 [+0.00, +0.00] | 2/2 |"
    assert [row.split(" | ")[0] for row in table[2:]] == [
        f"| {a.value}" for a in Algorithm if a is not Algorithm.LEAD
    ]


def test_lead_lines_left_out_are_classified_strictly() -> None:
    assert lead_line_kind("Weltraum-Filme satt!", None) == "kicker (< 3 words)"
    assert lead_line_kind("Die wichtigsten Ticketpreise ab 01.01.2024", None).startswith("heading")
    title = "Niederlage für Johnson: Parlament vertagt Votum über Brexit-Deal"
    restated = f"Tag der Abstimmung: {title}?"
    assert lead_line_kind(restated, title) == "restates the headline"
    assert lead_line_kind(restated, None) == "full sentence"
    assert lead_line_kind("„Wir sind bereit“, sagte sie.", title) == "full sentence"


def test_departures_list_what_news_leaves_out_and_brings() -> None:
    kicker = "Verkehr in Bern"
    # the kicker is Lead-3's first line; NEWS skips it and shows the fourth sentence instead
    cases = [Case("k", [kicker, *_ARTICLE], "Bern sperrt die Altstadt", _ARTICLE[0])]
    cases.append(_case("same", _ARTICLE[0]))
    result = evaluate("set", cases, "all")
    table = departures_table(result, cases)
    rows = table.splitlines()[2:]
    assert len(rows) == 1
    assert f"'{kicker}' (heading (no sentence end))" in rows[0]
    assert f"'{_ARTICLE[2][:60]}'" in rows[0]
    assert rows[0].startswith("| set | ")
