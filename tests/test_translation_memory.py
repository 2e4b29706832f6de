"""Translation memory: remembered sentences are not decoded again, and the key invalidates."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from bot.storage import Storage
from bot.storage.translation_memory import SqliteTranslationMemory
from tests.support.models import install_test_packages
from translation.models.argos_packages import install_from_path, list_installed
from translation.models.engine import EngineOptions, TranslationEngine, memory_key
from translation.models.memory import LayeredTranslationMemory, LruTranslationMemory, Remembered
from translation.models.package_builder import build_test_package

GERMAN = [
    "Die Stadt plant neue Radwege.",
    "Nach Angaben der Polizei wurde bei dem Unfall niemand schwer verletzt.",
    "Der Zug kam an.",
]


def test_lru_keeps_the_most_recently_used_entries() -> None:
    memory = LruTranslationMemory(max_entries=2)
    memory.remember("m", {"a": Remembered("A", 1), "b": Remembered("B", 1)})
    assert memory.recall("m", ["a"]) == {"a": Remembered("A", 1)}  # a is now the newest
    memory.remember("m", {"c": Remembered("C", 1)})
    assert memory.recall("m", ["a", "b", "c"]) == {"a": Remembered("A", 1), "c": Remembered("C", 1)}
    assert memory.recall("other model", ["a"]) == {}
    assert len(memory) == 2


def test_layered_memory_copies_hits_from_the_back_to_the_front() -> None:
    front, back = LruTranslationMemory(), LruTranslationMemory()
    back.remember("m", {"a": Remembered("A", 3)})
    layered = LayeredTranslationMemory(front, back)
    assert layered.recall("m", ["a", "b"]) == {"a": Remembered("A", 3)}
    assert front.recall("m", ["a"]) == {"a": Remembered("A", 3)}
    layered.remember("m", {"b": Remembered("B", 2)})
    assert front.recall("m", ["b"]) == back.recall("m", ["b"]) == {"b": Remembered("B", 2)}


def test_remembered_sentences_are_not_decoded_again(packages_dir: Path) -> None:
    """A planted entry comes back verbatim: the engine asked the memory instead of decoding."""
    memory = LruTranslationMemory()
    engine = TranslationEngine(packages_dir, memory=memory)
    first = engine.translate(GERMAN, "de", "en")
    assert len(memory) == len(GERMAN)
    key = memory_key(next(p for p in engine.packages() if p.code == "de-en"), engine.options)
    memory.remember(key, {GERMAN[0]: Remembered("planted", 7)})
    again = engine.translate([*GERMAN, "Neu ist nur dieser Satz."], "de", "en")
    assert again.sentences[:3] == ["planted", *first.sentences[1:]]
    assert again.output_tokens[0] == 7
    assert again.sentences[3] and len(memory) == len(GERMAN) + 1


def test_memory_changes_no_output(packages_dir: Path) -> None:
    """With or without a memory, warm or cold, including pivots and repeated sentences."""
    plain = TranslationEngine(packages_dir)
    remembering = TranslationEngine(packages_dir, memory=LruTranslationMemory())
    texts = [*GERMAN, GERMAN[0], ""]
    expected = plain.translate(texts, "de", "fr")
    assert remembering.translate(texts[:2], "de", "fr").sentences == expected.sentences[:2]
    assert remembering.translate(texts, "de", "fr") == expected


def test_key_names_the_package_file_and_the_options_that_change_outputs(
    tmp_path: Path, model_cache_dir: Path
) -> None:
    install_test_packages(tmp_path, [("de", "en")], cache_dir=model_cache_dir)
    package = list_installed(tmp_path)[0]
    options = EngineOptions()
    key = memory_key(package, options)
    assert memory_key(package, dataclasses.replace(options, inter_threads=1)) == key
    assert memory_key(package, dataclasses.replace(options, max_batch_size=8)) == key
    assert memory_key(package, dataclasses.replace(options, beam_size=4)) != key
    assert memory_key(package, dataclasses.replace(options, length_ratio=1.1)) != key
    assert memory_key(dataclasses.replace(package, version="2.0"), options) != key
    upgrade = build_test_package("de", "en", tmp_path / "files", seed=1, cache_dir=model_cache_dir)
    install_from_path(upgrade, packages_dir=tmp_path)  # same path, new model file
    assert memory_key(list_installed(tmp_path)[0], options) != key


async def test_sqlite_memory_survives_a_restart_and_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    storage = await Storage.open(path)  # the bot's own open runs the migration
    clock = iter(float(t) for t in range(100))
    memory = SqliteTranslationMemory(path, max_entries=2, clock=lambda: next(clock))
    memory.remember("m", {"a": Remembered("A", 1), "b": Remembered("B", 2)})
    assert memory.recall("m", ["a"]) == {"a": Remembered("A", 1)}  # a is now the newest
    memory.remember("m", {"c": Remembered("C", 3)})
    memory.evict()
    assert memory.count() == 2
    memory.close()
    await storage.close()

    reopened = SqliteTranslationMemory(path)
    assert reopened.recall("m", ["a", "b", "c"]) == {
        "a": Remembered("A", 1),
        "c": Remembered("C", 3),
    }
    assert reopened.recall("another package", ["a"]) == {}
    reopened.close()


def test_sqlite_memory_misses_until_the_database_exists(tmp_path: Path) -> None:
    """It never creates the bot's file, and a file without the table is only a miss."""
    path = tmp_path / "missing.sqlite3"
    memory = SqliteTranslationMemory(path)
    memory.remember("m", {"a": Remembered("A", 1)})
    assert memory.recall("m", ["a"]) == {}
    assert not path.exists()
    sqlite3.connect(path).close()  # exists now, but was never migrated
    fresh = SqliteTranslationMemory(path)
    assert fresh.recall("m", ["a"]) == {} and fresh.count() == 0


async def test_engine_with_the_bots_memory_reuses_sentences_after_a_restart(
    tmp_path: Path, packages_dir: Path
) -> None:
    path = tmp_path / "bot.sqlite3"
    storage = await Storage.open(path)
    stored = SqliteTranslationMemory(path)
    first = TranslationEngine(packages_dir, memory=stored).translate(GERMAN, "de", "fr")
    assert stored.count() == 2 * len(GERMAN)  # both hops, de→en and en→fr
    stored.close()

    restarted = SqliteTranslationMemory(path)
    engine = TranslationEngine(
        packages_dir, memory=LayeredTranslationMemory(LruTranslationMemory(), restarted)
    )
    assert engine.translate(GERMAN, "de", "fr") == first
    key = memory_key(next(p for p in engine.packages() if p.code == "de-en"), engine.options)
    restarted.remember(key, {"Neu.": Remembered("planted", 1)})  # behind the engine's LRU
    assert engine.translate(["Neu."], "de", "en").sentences == ["planted"]
    assert restarted.count() == 2 * len(GERMAN) + 1
    restarted.close()
    await storage.close()


@pytest.mark.parametrize("entries", [0, -1])
def test_bounds_must_be_positive(tmp_path: Path, entries: int) -> None:
    with pytest.raises(ValueError):
        LruTranslationMemory(entries)
    with pytest.raises(ValueError):
        SqliteTranslationMemory(tmp_path / "x.sqlite3", max_entries=entries)
