"""TranslationEngine on real CTranslate2 models from the test-package builder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import ctranslate2
import pytest
import sentencepiece as spm

from tests.support.models import install_test_packages
from translation.errors import ModelLoadError, ModelMissingError
from translation.models.batching import length_bucket
from translation.models.engine import EngineOptions, TranslationEngine

GERMAN = [
    "Die Stadt plant neue Radwege.",
    "Nach Angaben der Polizei wurde bei dem Unfall niemand schwer verletzt.",
    "Der Zug kam an.",
    "Am Wochenende wird mit sonnigem Wetter und Temperaturen bis zu dreißig Grad gerechnet.",
    "Die Feuerwehr rückte mit vier Fahrzeugen aus.",
]


def test_pairs_languages_and_routes(engine: TranslationEngine) -> None:
    assert engine.pairs() == {("de", "en"), ("en", "fr"), ("en", "de"), ("fr", "en")}
    assert engine.languages() == {"de", "en", "fr"}
    assert engine.route("de", "en") == ["de", "en"]
    assert engine.route("de", "fr") == ["de", "en", "fr"]
    assert engine.route("fr", "de") == ["fr", "en", "de"]
    assert engine.route("de", "de") == ["de"]
    assert engine.reachable_targets("de") == {"en", "fr"}
    assert engine.reachable_targets("en") == {"de", "fr"}
    assert engine.reachable_targets("es") == set()


@pytest.mark.parametrize(
    ("source", "target", "message", "needed"),
    [
        ("es", "fr", "No model for es→fr: install es→en (or a direct es→fr package)", ("es-en",)),
        (
            "es",
            "it",
            "No model for es→it: install es→en and en→it (or a direct es→it package)",
            ("es-en", "en-it"),
        ),
        ("en", "es", "No model for en→es: install a en→es package", ("en-es",)),
    ],
)
def test_missing_pair_names_the_packages_to_install(
    engine: TranslationEngine, source: str, target: str, message: str, needed: tuple[str, ...]
) -> None:
    with pytest.raises(ModelMissingError) as caught:
        engine.translate(["Hola."], source, target)
    assert caught.value.message == message
    assert caught.value.needed == needed
    assert (caught.value.source, caught.value.target) == (source, target)


def test_direct_translation_is_aligned_and_non_empty(engine: TranslationEngine) -> None:
    result = engine.translate(GERMAN, "de", "en")
    assert result.pivot is None
    assert len(result.sentences) == len(GERMAN) == len(result.output_tokens)
    assert all(sentence.strip() for sentence in result.sentences)
    assert len(set(result.sentences)) == len(GERMAN)
    assert all(count > 0 for count in result.output_tokens)


def test_blank_sentences_stay_blank_and_in_place(engine: TranslationEngine) -> None:
    result = engine.translate(["", GERMAN[0], "   ", GERMAN[2]], "de", "en")
    assert result.sentences[0] == "" and result.sentences[2] == ""
    assert result.sentences[1] and result.sentences[3]
    assert result.output_tokens[0] == 0 == result.output_tokens[2]


def test_empty_request_and_same_language(engine: TranslationEngine) -> None:
    assert engine.translate([], "de", "en").sentences == []
    same = engine.translate(GERMAN, "de", "de")
    assert same.sentences == GERMAN and same.pivot is None


def test_a_sentence_translates_the_same_alone_or_in_a_batch(engine: TranslationEngine) -> None:
    """Outputs depend only on the sentence: bounds are per length bucket, not per batch."""
    batch = engine.translate(GERMAN * 3, "de", "en").sentences
    alone = [engine.translate([sentence], "de", "en").sentences[0] for sentence in GERMAN]
    assert batch == alone * 3


def test_pivot_goes_through_english(engine: TranslationEngine) -> None:
    result = engine.translate(GERMAN, "de", "fr")
    assert result.pivot == "en"
    english = engine.translate(GERMAN, "de", "en").sentences
    assert result.sentences == engine.translate(english, "en", "fr").sentences
    assert engine.translate(GERMAN, "en", "fr").pivot is None


def _tokens(packages_dir: Path, text: str) -> list[str]:
    processor = spm.SentencePieceProcessor(
        model_file=str(packages_dir / "translate-de_en" / "sentencepiece.model")
    )
    return list(processor.encode(text, out_type=str))


def test_decoding_length_is_bounded_by_the_input_length(
    engine: TranslationEngine, packages_dir: Path
) -> None:
    """Random weights never emit end-of-sentence, so every output runs to its bound."""
    short = "Die Stadt kam an."
    assert len(_tokens(packages_dir, short)) == 5
    options = engine.options
    assert options.decoding_bound(5) == 2 * 5 + 10
    result = engine.translate([short, GERMAN[3]], "de", "en")
    assert result.output_tokens[0] == 20
    long_tokens = len(_tokens(packages_dir, GERMAN[3]))
    assert result.output_tokens[1] == options.decoding_bound(long_tokens)
    assert long_tokens <= length_bucket(long_tokens) <= long_tokens * 1.25


def test_a_summary_shares_a_batch_yet_each_sentence_keeps_its_own_bound(
    engine: TranslationEngine, packages_dir: Path
) -> None:
    """Five sentences of different buckets run as two batches (longest alone); the shared
    batch decodes to its longest bound and each output is cut back to its own."""
    lengths = [len(_tokens(packages_dir, sentence)) for sentence in GERMAN]
    assert len({length_bucket(n) for n in lengths}) > 2
    result = engine.translate(GERMAN, "de", "en")
    assert result.output_tokens == [engine.options.decoding_bound(n) for n in lengths]


def test_max_decoding_length_caps_huge_inputs(packages_dir: Path) -> None:
    capped = TranslationEngine(packages_dir, EngineOptions(max_decoding_length=40))
    result = capped.translate([" ".join(GERMAN * 6)], "de", "en")
    assert result.output_tokens == [40]


def test_loaded_models_are_bounded_by_lru(packages_dir: Path) -> None:
    small = TranslationEngine(packages_dir, EngineOptions(max_loaded_models=1))
    small.translate(GERMAN[:1], "de", "en")
    assert small.loaded_count() == 1
    small.translate(GERMAN[:1], "en", "fr")
    assert small.loaded_count() == 1
    assert small.translate(GERMAN[:1], "de", "fr").pivot == "en"
    assert small.loaded_count() == 1
    small.close()
    assert small.loaded_count() == 0


def test_concurrent_requests_get_their_own_aligned_results(engine: TranslationEngine) -> None:
    requests = [(GERMAN[i:] + GERMAN[:i], "de", "en" if i % 2 else "fr") for i in range(8)]
    expected = [engine.translate(*request).sentences for request in requests]
    results: list[list[str] | None] = [None] * len(requests)
    barrier = threading.Barrier(len(requests))

    def work(slot: int) -> None:
        barrier.wait()
        results[slot] = engine.translate(*requests[slot]).sentences

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == expected


def test_concurrent_first_use_loads_each_model_once(packages_dir: Path) -> None:
    fresh = TranslationEngine(packages_dir)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            fresh.translate(GERMAN, "de", "fr")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert fresh.loaded_count() == 2


@pytest.fixture
def own_packages(tmp_path: Path, model_cache_dir: Path) -> Path:
    """A packages dir this test may damage."""
    install_test_packages(tmp_path, [("de", "en"), ("en", "fr")], cache_dir=model_cache_dir)
    return tmp_path


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("garble", "cannot be loaded"),
        ("truncate", "cannot be loaded"),
        ("delete", "has no model/model.bin"),
        ("no-tokenizer", "has no sentencepiece.model or bpe.model"),
    ],
)
def test_corrupt_model_fails_clearly_and_other_pairs_still_work(
    own_packages: Path, damage: str, message: str
) -> None:
    package = own_packages / "translate-de_en"
    model_bin = package / "model" / "model.bin"
    if damage == "garble":
        model_bin.write_bytes(b"\x00garbage" * 1000)
    elif damage == "truncate":
        model_bin.write_bytes(model_bin.read_bytes()[:5000])
    elif damage == "delete":
        model_bin.unlink()
    else:
        (package / "sentencepiece.model").unlink()
    damaged = TranslationEngine(own_packages)
    with pytest.raises(ModelLoadError, match=message):
        damaged.translate(GERMAN, "de", "en")
    with pytest.raises(ModelLoadError):
        damaged.translate(GERMAN, "de", "fr")
    assert damaged.translate(["The city plans new cycle lanes."], "en", "fr").sentences[0]


def test_refresh_sees_new_and_removed_packages(
    tmp_path: Path, model_cache_dir: Path, packages_dir: Path
) -> None:
    fresh = TranslationEngine(tmp_path)
    assert fresh.pairs() == set()
    install_test_packages(tmp_path, [("de", "en")], cache_dir=model_cache_dir)
    assert fresh.pairs() == set()
    fresh.refresh()
    assert fresh.pairs() == {("de", "en")}
    fresh.translate(GERMAN[:1], "de", "en")
    shutil.rmtree(tmp_path / "translate-de_en")
    fresh.refresh()
    assert fresh.pairs() == set() and fresh.loaded_count() == 0


IMPORTS = textwrap.dedent(
    """
    import sys
    import translation.models.argos_packages, translation.models.engine
    heavy = {"torch", "stanza", "spacy", "argostranslate.translate", "argostranslate.sbd"}
    print(sorted(heavy & set(sys.modules)))
    """
)


def test_engine_imports_stay_light(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", IMPORTS],
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path.cwd())},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.strip() == "[]"


def test_target_prefix_from_metadata_is_forced_then_stripped(own_packages: Path) -> None:
    """Multilingual argos packages name a target-language token the decoder must start with."""
    package = own_packages / "translate-de_en"
    metadata = json.loads((package / "metadata.json").read_text())
    metadata["target_prefix"] = "▁Le"
    (package / "metadata.json").write_text(json.dumps(metadata))
    prefixed = TranslationEngine(own_packages)
    result = prefixed.translate([GERMAN[2]], "de", "en")

    processor = spm.SentencePieceProcessor(model_file=str(package / "sentencepiece.model"))
    tokens = processor.encode(GERMAN[2], out_type=str)
    bound = prefixed.options.decoding_bound(len(tokens))
    translator = ctranslate2.Translator(str(package / "model"), compute_type="int8")
    expected = translator.translate_batch(
        [tokens],
        target_prefix=[["▁Le"]],
        beam_size=prefixed.options.beam_size,
        length_penalty=0.2,
        max_decoding_length=bound + 1,
    )[0].hypotheses[0]
    assert expected[0] == "▁Le"
    assert result.output_tokens == [bound]
    assert result.sentences == [processor.decode_pieces(expected[1:]).strip()]


def test_moses_bpe_packages_translate_too(own_packages: Path) -> None:
    """Some older argos packages ship bpe.model (Moses + subword-nmt) instead of SentencePiece."""
    package = own_packages / "translate-de_en"
    (package / "sentencepiece.model").unlink()
    (package / "bpe.model").write_text("#version: 0.2\nS t\nSt a\nSta d\nStad t</w>\n")
    bpe = TranslationEngine(own_packages)
    result = bpe.translate(["Die Stadt plant neue Radwege.", "", "Der Zug kam an."], "de", "en")
    assert result.sentences[1] == ""
    assert result.sentences[0] and result.sentences[2]
    assert "@@" not in " ".join(result.sentences)
    assert result.output_tokens[0] > 0
