"""The scaled mode's shared translation memory on a real PostgreSQL: what one worker decoded,
another (its own process, its own in-memory layer) reuses; bounded; a dead server is a miss."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import psycopg

from bot.bootstrap import translation_memory
from bot.config import Config, StorageConfig
from bot.storage import Storage
from bot.storage.pg_translation_memory import PostgresTranslationMemory
from bot.storage.translation_memory import SqliteTranslationMemory, model_id
from tests.support.postgres import free_port
from translation.models.engine import TranslationEngine, memory_key
from translation.models.memory import LayeredTranslationMemory, LruTranslationMemory, Remembered

GERMAN = ["Die Stadt plant neue Radwege.", "Der Zug kam an."]


def _worker_engine(
    packages_dir: Path, url: str
) -> tuple[TranslationEngine, PostgresTranslationMemory]:
    """What ``briefbot worker`` builds: an LRU in front of the shared PostgreSQL memory."""
    shared = PostgresTranslationMemory(url)
    memory = LayeredTranslationMemory(LruTranslationMemory(), shared)
    return TranslationEngine(packages_dir, memory=memory), shared


async def test_a_sentence_one_worker_decoded_is_reused_by_another(
    packages_dir: Path, postgres_url: str
) -> None:
    storage = await Storage.open_postgres(postgres_url)  # the worker's start migrates
    first, first_memory = _worker_engine(packages_dir, postgres_url)
    second, second_memory = _worker_engine(packages_dir, postgres_url)
    try:
        done = first.translate(GERMAN, "de", "fr")
        assert first_memory.count() == 2 * len(GERMAN)  # both hops, de→en and en→fr
        # Change what the shared table says: only a lookup there can produce this text.
        key = memory_key(next(p for p in second.packages() if p.code == "de-en"), second.options)
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(
                "UPDATE translation_memory SET target = 'from the other worker' "
                "WHERE model = %s AND source = %s",
                (model_id(key), GERMAN[0]),
            )
        again = second.translate(GERMAN, "de", "en")
        assert again.sentences[0] == "from the other worker"
        assert second.translate(GERMAN[1:], "de", "fr").sentences == done.sentences[1:]
        assert second_memory.count() == 2 * len(GERMAN), "nothing new was stored"
    finally:
        for engine, memory in ((first, first_memory), (second, second_memory)):
            engine.close()
            memory.close()
        await storage.close()


async def test_the_shared_memory_is_bounded_and_keeps_recently_used_entries(
    postgres_url: str,
) -> None:
    storage = await Storage.open_postgres(postgres_url)
    clock = iter(float(t) for t in range(100))
    memory = PostgresTranslationMemory(postgres_url, max_entries=2, clock=lambda: next(clock))
    other = PostgresTranslationMemory(postgres_url)
    try:
        memory.remember("m", {"a": Remembered("A", 1), "b": Remembered("B", 2)})
        assert memory.recall("m", ["a"]) == {"a": Remembered("A", 1)}  # a is now the newest
        memory.remember("m", {"c": Remembered("C", 3), "a": Remembered("A2", 4)})
        memory.evict()
        assert memory.count() == 2
        assert other.recall("m", ["a", "b", "c"]) == {
            "a": Remembered("A2", 4),
            "c": Remembered("C", 3),
        }
        assert other.recall("another package", ["a"]) == {}
    finally:
        memory.close()
        other.close()
        await storage.close()


def test_an_unreachable_server_is_a_miss_not_an_error() -> None:
    memory = PostgresTranslationMemory(
        f"postgresql://nobody@127.0.0.1:{free_port()}/nothing", connect_timeout=1
    )
    memory.remember("m", {"a": Remembered("A", 1)})
    assert memory.recall("m", ["a"]) == {} and memory.count() == 0
    memory.close()


def test_the_scaled_mode_puts_the_memory_in_postgresql(tmp_path: Path, postgres_url: str) -> None:
    embedded = Config(storage=StorageConfig(path=tmp_path / "bot.sqlite3"))
    scaled = dataclasses.replace(embedded, storage=StorageConfig(url=postgres_url))
    for config, kind in ((embedded, SqliteTranslationMemory), (scaled, PostgresTranslationMemory)):
        memory = translation_memory(config)
        assert isinstance(memory, LayeredTranslationMemory)
        assert isinstance(memory.back, kind)
