"""The test-package builder makes real, installable argos packages, deterministically."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import ctranslate2
import pytest
import sentencepiece as spm

from translation.errors import InputError
from translation.models.argos_packages import list_installed
from translation.models.package_builder import build_test_package, shipped_corpus


def test_package_holds_metadata_tokenizer_and_model(
    test_package_files: dict[tuple[str, str], Path],
) -> None:
    with zipfile.ZipFile(test_package_files[("de", "en")]) as archive:
        names = set(archive.namelist())
        metadata = json.loads(archive.read("translate-de_en/metadata.json"))
        vocabulary = json.loads(archive.read("translate-de_en/model/shared_vocabulary.json"))
        sp_model = archive.read("translate-de_en/sentencepiece.model")
    assert {
        "translate-de_en/metadata.json",
        "translate-de_en/sentencepiece.model",
        "translate-de_en/model/model.bin",
        "translate-de_en/model/config.json",
    } <= names
    assert metadata["from_code"] == "de" and metadata["to_code"] == "en"
    assert metadata["from_name"] == "German" and metadata["to_name"] == "English"
    assert metadata["type"] == "translate" and metadata["package_version"]
    assert metadata["briefbot_test_package"]["random_weights"] is True
    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    assert vocabulary == pieces
    assert 900 <= len(pieces) <= 2000


def test_build_is_deterministic_and_seed_dependent(tmp_path: Path) -> None:
    first = build_test_package("de", "en", tmp_path / "a").read_bytes()
    again = build_test_package("de", "en", tmp_path / "b").read_bytes()
    other_seed = build_test_package("de", "en", tmp_path / "c", seed=1).read_bytes()
    assert first == again
    assert first != other_seed


def test_cache_dir_reuses_the_first_build(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = build_test_package("en", "de", tmp_path / "one", cache_dir=cache)
    cached = next(cache.glob("*.argosmodel"))
    stamp = cached.stat().st_mtime_ns
    second = build_test_package("en", "de", tmp_path / "two", cache_dir=cache)
    assert cached.stat().st_mtime_ns == stamp
    assert first.read_bytes() == second.read_bytes()


def test_model_loads_in_ctranslate2_and_never_emits_special_tokens(tmp_path: Path) -> None:
    package = build_test_package("fr", "en", tmp_path)
    with zipfile.ZipFile(package) as archive:
        archive.extractall(tmp_path / "unpacked")
    root = tmp_path / "unpacked" / "translate-fr_en"
    processor = spm.SentencePieceProcessor(model_file=str(root / "sentencepiece.model"))
    translator = ctranslate2.Translator(str(root / "model"), compute_type="int8")
    tokens = processor.encode(["Le conseil municipal a présenté un projet."], out_type=str)
    result = translator.translate_batch(tokens, beam_size=2, max_decoding_length=12)[0]
    assert len(result.hypotheses[0]) == 12
    assert not {"<unk>", "<s>", "</s>"} & set(result.hypotheses[0])


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [("de", "de", "two different"), ("DE", "en", "language code"), ("de", "e n", "code")],
)
def test_bad_arguments_are_refused(tmp_path: Path, source: str, target: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        build_test_package(source, target, tmp_path)


def test_shipped_corpus_covers_the_main_languages() -> None:
    text = "\n".join(shipped_corpus())
    for sample in ("Bürgermeister", "neighbourhood", "régionaux", "велосипедних", "ścieżek"):
        assert sample in text


STOCK_ARGOS = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from argostranslate import package, translate

    package.install_from_path(Path(sys.argv[1]))
    installed = package.get_installed_packages()
    assert [(p.from_code, p.to_code) for p in installed] == [("de", "en")], installed

    class WholeText:
        # Stock splitters (MiniSBD/Stanza/spaCy) download models: treat the text as one sentence.
        def split_sentences(self, text):
            return [text]

    translation = translate.get_translation_from_codes("de", "en")
    translation.underlying.sentencizer = WholeText()
    output = translate.translate("Die Stadt plant neue Radwege.", "de", "en")
    assert isinstance(output, str) and output.strip(), repr(output)
    print("OK", len(output))
    """
)


def test_stock_argostranslate_installs_and_translates_with_it(
    tmp_path: Path, test_package_files: dict[tuple[str, str], Path]
) -> None:
    """Stock argostranslate (in a subprocess: it imports torch) accepts the package."""
    env = {
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "ARGOS_PACKAGES_DIR": str(tmp_path / "packages"),
        "PATH": "/usr/bin:/bin",
    }
    completed = subprocess.run(
        [sys.executable, "-c", STOCK_ARGOS, str(test_package_files[("de", "en")])],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.startswith("OK")
    assert [p.code for p in list_installed(tmp_path / "packages")] == ["de-en"]
