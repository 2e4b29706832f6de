"""Language detection with the real langdetect and lingua: answers, uncertainty, determinism."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from translation.domain import Detection
from translation.text.detection import detect_language, prepare_text

PROJECT_ROOT = Path(__file__).resolve().parent.parent

GERMAN = (
    "Der Stadtrat hat am Dienstagabend nach langer Debatte beschlossen, die Buslinien im Norden "
    "der Stadt ab dem kommenden Frühjahr häufiger fahren zu lassen. Die Verkehrsbetriebe müssen "
    "dafür zusätzliche Fahrerinnen und Fahrer einstellen, was nach Angaben des Bürgermeisters "
    "rund zwei Millionen Euro im Jahr kosten wird. Kritik kam vor allem von der Opposition, die "
    "eine bessere Anbindung der Vororte an den Bahnhof gefordert hatte."
)
ENGLISH = (
    "The city council decided on Tuesday evening, after a long debate, that buses in the northern "
    "part of the city will run more often from next spring. The transport company will have to "
    "hire additional drivers, which according to the mayor will cost about two million euros a "
    "year. Criticism came mainly from the opposition, which had called for better connections "
    "between the suburbs and the railway station."
)
FRENCH = (
    "Le conseil municipal a décidé mardi soir, après un long débat, que les bus du nord de la "
    "ville circuleront plus souvent à partir du printemps prochain. La société de transport devra "
    "embaucher des chauffeurs supplémentaires, ce qui coûtera environ deux millions d'euros par "
    "an selon le maire. Les critiques sont venues surtout de l'opposition, qui réclamait une "
    "meilleure liaison entre les banlieues et la gare."
)
RUSSIAN = (
    "Городской совет во вторник вечером после долгих споров решил, что автобусы в северной части "
    "города будут ходить чаще начиная со следующей весны. Транспортной компании придётся нанять "
    "дополнительных водителей, что, по словам мэра, обойдётся примерно в два миллиона евро в год. "
    "Критика прозвучала прежде всего со стороны оппозиции, которая требовала лучшего сообщения "
    "между пригородами и вокзалом."
)
UKRAINIAN = (
    "Міська рада у вівторок увечері після тривалих суперечок вирішила, що автобуси в північній "
    "частині міста їздитимуть частіше починаючи з наступної весни. Транспортній компанії "
    "доведеться найняти додаткових водіїв, що, за словами мера, коштуватиме приблизно два "
    "мільйони євро на рік. Критика пролунала насамперед з боку опозиції, яка вимагала кращого "
    "сполучення між передмістями та вокзалом."
)
CHINESE = (
    "市议会周二晚上经过长时间辩论后决定，从明年春天开始，城市北部的公交车将更加频繁地运行。"
    "交通公司必须雇用更多的司机，据市长说，这每年将花费大约两百万欧元。批评主要来自反对派，"
    "他们一直要求改善郊区与火车站之间的交通连接。"
)
MALAY = (
    "Majlis bandaraya memutuskan pada malam Selasa, selepas perbahasan yang panjang, bahawa bas di "
    "bahagian utara bandar akan bergerak lebih kerap mulai musim bunga akan datang. Syarikat "
    "pengangkutan perlu mengambil pemandu tambahan, yang menurut datuk bandar akan menelan "
    "belanja kira-kira dua juta euro setahun. Kritikan datang terutamanya daripada pembangkang."
)
NORWEGIAN = (
    "Bystyret vedtok tirsdag kveld, etter en lang debatt, at bussene i den nordlige delen av byen "
    "skal gå oftere fra neste vår. Transportselskapet må ansette flere sjåfører, noe som ifølge "
    "ordføreren vil koste rundt to millioner euro i året. Kritikken kom først og fremst fra "
    "opposisjonen, som hadde krevd bedre forbindelser mellom forstedene og jernbanestasjonen."
)
CROATIAN = (
    "Gradsko vijeće odlučilo je u utorak navečer, nakon duge rasprave, da će autobusi u sjevernom "
    "dijelu grada od sljedećeg proljeća voziti češće. Prijevozničko poduzeće morat će zaposliti "
    "dodatne vozače, što će prema riječima gradonačelnika stajati oko dva milijuna eura godišnje."
)
ARTICLES = {
    "de": GERMAN,
    "en": ENGLISH,
    "fr": FRENCH,
    "ru": RUSSIAN,
    "uk": UKRAINIAN,
    "zh": CHINESE,
}

INPUTS = [
    GERMAN,
    ENGLISH,
    FRENCH,
    RUSSIAN,
    UKRAINIAN,
    CHINESE,
    GERMAN + "\n\n" + ENGLISH,
    "Hotel",
    "Wärmebelastung",
    "unterstützung finden",
    "the weather is nice today",
    "Καλημέρα",
    "Das ist ein kurzer Satz über das Wetter in Berlin.",
    "Ceci est une phrase courte sur la météo à Paris.",
    "12 345 678",
    "😀🎉👍",
    "",
    "   \n\t ",
    "https://example.com/news/article?id=1",
    "Nachricht von @redaktion: Die Wahl ist vorbei #wahl2025 https://t.me/x mehr unter a@b.de",
]


def _key(detection: Detection) -> list[object]:
    guesses = [[g.language, g.probability] for g in detection.candidates]
    return [detection.language, detection.confidence, detection.uncertain, guesses]


@pytest.mark.parametrize("language", sorted(ARTICLES))
def test_article_paragraphs_are_detected_confidently(language: str) -> None:
    detection = detect_language(ARTICLES[language])
    assert detection.language == language
    assert not detection.uncertain
    assert detection.confidence >= 0.9
    # 110 Chinese characters are fewer than LONG_TEXT_LETTERS: the short-text path answers
    assert detection.method == ("lingua+words" if language == "zh" else "langdetect")


def test_codes_are_normalized_to_two_letters() -> None:
    assert detect_language(NORWEGIAN).language == "nb"  # langdetect says "no"
    assert detect_language(CHINESE + CHINESE).language == "zh"  # langdetect says "zh-cn"


def test_malay_which_langdetect_cannot_name_is_not_called_indonesian() -> None:
    detection = detect_language(MALAY)
    assert (detection.language, detection.uncertain) == ("ms", False)


def test_an_article_in_a_language_without_argos_models_is_still_named() -> None:
    detection = detect_language(CROATIAN)
    assert (detection.language, detection.uncertain) == ("hr", False)


def test_short_sentence_is_detected_by_lingua() -> None:
    detection = detect_language("Das ist ein kurzer Satz über das Wetter in Berlin.")
    assert (detection.language, detection.uncertain) == ("de", False)
    assert detection.method == "lingua+words"


@pytest.mark.parametrize("word", ["Hotel", "Information", "Taxi"])
def test_an_ambiguous_single_word_is_uncertain(word: str) -> None:
    detection = detect_language(word)
    assert detection.uncertain
    assert detection.language  # still a best guess, with runner-ups
    assert detection.candidates


def test_a_single_word_in_a_script_only_one_language_uses_is_certain() -> None:
    detection = detect_language("Καλημέρα")
    assert (detection.language, detection.uncertain) == ("el", False)


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t  ", "12 345 678,90 %", "😀🎉👍🔥", "🙂 42 😡 7", "https://example.com/a?b=1"],
)
def test_input_without_letters_gives_no_language(text: str) -> None:
    detection = detect_language(text)
    assert detection == Detection(language="", confidence=0.0, uncertain=True, method="none")


def test_urls_mails_mentions_and_hashtags_only_give_no_language() -> None:
    text = "https://example.com/x www.example.org/y mail@example.com @someone #topic t.me/chan"
    assert detect_language(text).language == ""


URL_ONLY_TEXTS = [
    # issue 13: a long list of links, one a line, was French ("la-politique-de-la-france")
    "\n".join(
        f"https://www.example.com/actualites/{i}/la-politique-de-la-france-et-l-europe-{i}.html"
        for i in range(300)
    ),
    " ".join(
        f"https://www.tagesschau.de/inland/stadt-baut-neue-radwege-{i}.html" for i in range(300)
    ),
    "tagesschau.de spiegel.de lemonde.fr",
    "example.com\nexample.org/path",
    "<lemonde.fr>, (zeit.de) 👉 HTTPS://T.CO/Xyz",
]


@pytest.mark.parametrize("text", URL_ONLY_TEXTS, ids=range(len(URL_ONLY_TEXTS)))
def test_a_text_of_only_links_gives_no_language(text: str) -> None:
    assert detect_language(text).language == ""


def test_a_long_text_is_sampled_in_whole_words() -> None:
    text = "\n".join(["Die Stadt baut neue Radwege für alle Menschen in Köln."] * 200)
    assert detect_language(text).language == "de"


def test_normalization_strips_what_skews_detectors() -> None:
    prepared = prepare_text("Siehe https://example.com/x, @anna #news mail@x.de 2024 🎉 Wetter!")
    assert prepared.text.split() == ["Siehe", "Wetter"]


@pytest.mark.parametrize(
    "garbage",
    [
        bytes(range(256)).decode("latin-1") * 4,
        random.Random(7).randbytes(4000).decode("utf-8", errors="replace"),
        "\x00\x01\x02 ÿþ ¤¤ §§ \x7f" * 100,
    ],
)
def test_binary_garbage_is_uncertain(garbage: str) -> None:
    assert detect_language(garbage).uncertain


@pytest.mark.parametrize("text", ["x" * 4000, "xxxx " * 800, "ha" * 2000, "lol " * 500])
def test_a_few_words_repeated_at_length_are_not_prose(text: str) -> None:
    """langdetect calls 4,000 × "x" Somali with confidence 1.0; it must not be believed."""
    detection = detect_language(text)
    assert (detection.language, detection.uncertain, detection.method) == ("", True, "not-prose")


def test_a_repeated_real_sentence_is_still_prose() -> None:
    detection = detect_language("Der Bundestag hat heute ein neues Gesetz beschlossen. " * 30)
    assert (detection.language, detection.uncertain) == ("de", False)


def test_mixed_languages_without_a_clear_winner_are_uncertain_with_both_candidates() -> None:
    detection = detect_language(GERMAN + "\n\n" + ENGLISH)
    assert detection.uncertain
    named = {detection.language} | {guess.language for guess in detection.candidates}
    assert {"de", "en"} <= named


def test_mixed_text_without_punctuation_is_still_cut_into_chunks_and_uncertain() -> None:
    unpunctuated = (GERMAN + " " + ENGLISH).replace(".", "").replace(",", "")
    detection = detect_language(unpunctuated)
    assert detection.uncertain
    assert {"de", "en"} <= {detection.language} | {g.language for g in detection.candidates}


def test_a_short_mixed_text_is_uncertain_with_both_candidates() -> None:
    detection = detect_language("Hello my friend, how are you today? Wie geht es dir heute Abend?")
    assert detection.uncertain
    named = {detection.language} | {guess.language for guess in detection.candidates}
    assert {"de", "en"} <= named


def test_text_with_a_clear_majority_language_is_certain() -> None:
    detection = detect_language(
        GERMAN + " " + GERMAN.replace("Stadtrat", "Gemeinderat") + ENGLISH[:80]
    )
    assert (detection.language, detection.uncertain) == ("de", False)


def test_candidates_are_runner_ups_best_first() -> None:
    detection = detect_language("the weather is nice today")
    probabilities = [guess.probability for guess in detection.candidates]
    assert detection.language not in {guess.language for guess in detection.candidates}
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(p <= detection.confidence for p in probabilities)


def test_a_megabyte_of_text_is_sampled_not_read_whole() -> None:
    text = ((GERMAN + "\n\n") * 3000)[:1_000_000]
    detection = detect_language(text)
    assert (detection.language, detection.uncertain) == ("de", False)
    assert prepare_text(text).letters <= 2_000


def test_prose_after_a_megabyte_of_numbers_is_still_found() -> None:
    detection = detect_language("1234 5678 " * 100_000 + GERMAN)
    assert detection.language == "de"


def test_repeated_calls_give_identical_results() -> None:
    first = [_key(detect_language(text)) for text in INPUTS]
    second = [_key(detect_language(text)) for text in reversed(INPUTS)]
    assert first == list(reversed(second))


def test_two_fresh_processes_agree_with_this_one() -> None:
    """The second process also builds its detectors from eight threads at once (cold start)."""
    code = (
        "import json, sys\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from tests.test_detection import INPUTS, _key\n"
        "from translation.text.detection import detect_language\n"
        "workers = int(sys.argv[1])\n"
        "with ThreadPoolExecutor(max_workers=workers) as pool:\n"
        "    print(json.dumps([_key(d) for d in pool.map(detect_language, INPUTS)]))\n"
    )
    outputs = [
        subprocess.run(
            [sys.executable, "-c", code, str(workers)],
            capture_output=True,
            text=True,
            check=True,
            cwd=PROJECT_ROOT,
            env={"PYTHONHASHSEED": str(workers), "PATH": ""},
        ).stdout
        for workers in (1, 8)
    ]
    here = json.loads(json.dumps([_key(detect_language(text)) for text in INPUTS]))
    assert json.loads(outputs[0]) == json.loads(outputs[1]) == here


def test_concurrent_calls_from_eight_threads_match_sequential_results() -> None:
    sequential = [_key(detect_language(text)) for text in INPUTS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(lambda text: _key(detect_language(text)), INPUTS * 3))
    assert concurrent == sequential * 3
