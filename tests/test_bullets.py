"""A summary sentence must stand alone: openers that point back, datelines and captions."""

from __future__ import annotations

import pytest

from translation.text.bullets import (
    antecedent,
    is_caption,
    is_caption_at,
    is_dateline,
    opens_with_reference,
    strip_dateline,
    unresolved,
)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Berlin (dpa) – Die Polizei hat am Montag einen Mann festgenommen.",
            "Die Polizei hat am Montag einen Mann festgenommen.",
        ),
        ("ZÜRICH (Reuters) - Die UBS meldet einen Gewinn.", "Die UBS meldet einen Gewinn."),
        (
            "Paris (AFP) – Le Premier ministre a présenté mardi son projet.",
            "Le Premier ministre a présenté mardi son projet.",
        ),
        (
            "(SDA) Der Bundesrat hat am Mittwoch entschieden.",
            "Der Bundesrat hat am Mittwoch entschieden.",
        ),
        ("BERLIN – Die Regierung plant neue Steuern.", "Die Regierung plant neue Steuern."),
        ("Москва (ТАСС) – Правительство утвердило план.", "Правительство утвердило план."),
    ],
)
def test_datelines_and_agency_tags_are_stripped(sentence: str, expected: str) -> None:
    assert strip_dateline(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "Die Regierung (SPD) – so heißt es – plant mehr.",
        "USA – Russland 3:1",
        "Berlin (dpa) – Eil",  # nothing left to read: keep it whole
        "Der Bürgermeister von Bern sagte, das sei ein guter Tag.",
    ],
)
def test_other_sentences_keep_their_start(sentence: str) -> None:
    assert strip_dateline(sentence) == sentence


@pytest.mark.parametrize(
    ("sentence", "language"),
    [
        ("Doch das gilt nur für ungeimpfte Personen.", "de"),
        ("Dabei kosten fünf davon bis zu 60 Franken.", "de"),
        ("Dieses Angebot gilt nur heute.", "de"),
        ("Denn der Playboy ist nicht wegzudenken.", "de"),
        ("Er ist mehr als ein Magazin.", "de"),
        ("„Sie kam zu spät“, sagte er.", "de"),
        ("Berlin (dpa) – Doch die Polizei kam zu spät.", "de"),
        ("However, the plan failed.", "en"),
        ("They left on Monday.", "en"),
        ("Cependant, le projet a échoué.", "fr"),
        ("Sin embargo, el plan fracasó.", "es"),
        ("Tuttavia il piano è fallito.", "it"),
        ("Jednak plan się nie powiódł.", "pl"),
        ("Однако план провалился.", "ru"),
        ("Кроме того, он ушёл.", "ru"),
        ("Проте план провалився.", "uk"),
        ("Und es geht auch gar nicht um eine persönliche Frage.", "de"),
        ("And then the plan failed.", "en"),
        ("А потом план провалился.", "ru"),
    ],
)
def test_openers_that_point_back(sentence: str, language: str) -> None:
    assert opens_with_reference(sentence, language)


@pytest.mark.parametrize(
    ("sentence", "language"),
    [
        ("Die Polizei kam zu spät.", "de"),
        ("Aldi verkauft ab Donnerstag Selbsttests.", "de"),
        ("Erst am Abend kam die Polizei.", "de"),
        ("The police arrived late.", "en"),
        ("Le gouvernement a présenté son projet.", "fr"),
        ("Правительство утвердило план.", "ru"),
        ("Doch the police came.", "xx"),  # no list for the language: nothing is flagged
    ],
)
def test_self_contained_openers(sentence: str, language: str) -> None:
    assert not opens_with_reference(sentence, language)


@pytest.mark.parametrize(
    "sentence",
    [
        "Der Kanzler am Montag in Berlin. (Bild: Keystone)",
        "Die Polizei sicherte den Tatort (Foto: dpa).",
        "Feuerwehrleute löschen den Brand. Foto: imago/Ralph Peters",
        "Das zerstörte Haus (Symbolbild)",
    ],
)
def test_captions(sentence: str) -> None:
    assert is_caption(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Er sagte: «Das Bild: schön», und ging.",
        "Das Foto zeigt den Kanzler in Berlin.",
        "Die Quelle der Informationen blieb unklar.",
    ],
)
def test_not_captions(sentence: str) -> None:
    assert not is_caption(sentence)


def test_a_sentence_before_a_bare_credit_line_is_a_caption() -> None:
    sentences = [
        "Auch Herbert Grönemeyer gehört zu den Unterstützern.",
        "Bild: dpa",
        "Die Abogebühr eines Nutzers soll nur noch unter den Künstlern verteilt werden.",
        "Dabei gehe es auch um „kulturelle Vielfalt“.",
    ]
    assert [is_caption_at(sentences, i) for i in range(4)] == [True, True, False, False]
    assert antecedent(sentences, 2) is None  # the caption is not what "Dabei" points at


def test_a_long_sentence_before_a_credit_line_stays_article_text() -> None:
    long = " ".join(["Der Gemeinderat hat am Montag nach langer Debatte beschlossen"] * 5) + "."
    assert not is_caption_at([long, "Foto: Stadt Bern"], 0)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Bergisch Gladbach -", True),
        ("Berlin (dpa) –", True),
        ("Zürich:", True),
        ("Bergisch Gladbach - Die Stadt saniert die Fußgängerzone.", False),
        ("Die Regierung plant neue Steuern –", False),
        ("Die Regierung plant Steuern –", False),
        ("Frankfurt am Main (AFP) –", True),
    ],
)
def test_dateline_only_lines(line: str, expected: bool) -> None:
    assert is_dateline(line) is expected


def test_an_opener_is_unresolved_only_when_its_antecedent_is_left_out() -> None:
    sentences = [
        "Bergisch Gladbach -",
        "Diese Flaniermeile ähnelt einer Stolperfalle.",
        "Die Stadt will das Pflaster erneuern",  # a crosshead
        "Dabei ist es erst sechs Jahre alt.",
        "Der Bürgermeister kündigte eine Prüfung an.",
    ]
    assert antecedent(sentences, 1) is None  # opens the article: refers to the headline
    assert antecedent(sentences, 3) == 1
    assert not unresolved(sentences, 1, {1, 4}, "de")
    assert unresolved(sentences, 3, {3, 4}, "de")
    assert not unresolved(sentences, 3, {1, 3}, "de")
    assert not unresolved(sentences, 4, {4}, "de")  # no opener at all
