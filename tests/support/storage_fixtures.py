"""pytest fixtures for storage suites (registered in tests/conftest.py): one test PostgreSQL server
per session, and ``storage_opener`` parametrized over both backends.

The server starts only when a PostgreSQL test runs; each such test gets a fresh database.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import DefaultsConfig
from bot.storage import Storage, StorageError
from bot.storage.job_queue import ProcrastinateQueue, ensure_queue_schema, make_app
from bot.storage.postgres import PostgresDatabase
from tests.support.postgres import PostgresServer

BACKENDS = ("sqlite", "postgres")

#: Every table of the schema, the same on SQLite and PostgreSQL.
TABLES = {"chat_settings", "results_cache", "jobs", "requests", "request_timings"} | {
    "rate_limit_keys",
    "rate_limit_events",
    "feeds",
    "feed_subscriptions",
    "feed_seen",
    "feed_digest_schedules",
    "feed_digest_items",
    "feed_unreachable_chats",
    "translation_memory",
    "answers",
}


@dataclass(frozen=True)
class StorageOpener:
    """Opens the same database again and again, as separate processes (or restarts) would."""

    backend: str
    sqlite_path: Path
    postgres_url: str | None

    @property
    def target(self) -> str:
        """The URL or file path, for a child process to open."""
        return self.postgres_url or str(self.sqlite_path)

    async def __call__(self) -> Storage:
        if self.postgres_url is not None:
            return await Storage.open_postgres(self.postgres_url)
        return await Storage.open(self.sqlite_path)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server in a temporary directory, stopped after the session."""
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh empty schema on the session's server (as good as a database for the stores)."""
    return postgres_server.new_database()


@pytest.fixture(params=BACKENDS)
def storage_opener(request: pytest.FixtureRequest, tmp_path: Path) -> StorageOpener:
    """An opener for an empty database of each backend (PostgreSQL started on first use)."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    return StorageOpener(request.param, tmp_path / "state" / "bot.sqlite3", url)


async def assert_settings_write_refused_as_locked(storage: Storage, match: str) -> None:
    """A write to chat 1's settings, which another connection holds, fails fast as "locked"."""
    started = time.monotonic()
    with pytest.raises(StorageError, match=match) as info:
        await storage.settings.update_chat_settings(1, DefaultsConfig(), show_source=True)
    assert info.value.reason == "locked"
    assert time.monotonic() - started < 2.0


@dataclass
class Ingress:
    """One process's storage and procrastinate queue on the scaled mode's database."""

    storage: Storage
    queue: ProcrastinateQueue

    @property
    def db(self) -> PostgresDatabase:
        assert isinstance(self.storage.db, PostgresDatabase)
        return self.storage.db


@pytest.fixture
async def ingresses(postgres_url: str) -> AsyncIterator[list[Ingress]]:
    """Two processes' worth of storage and queue on one database (queue schema created)."""
    opened: list[Ingress] = []
    for _ in range(2):
        storage = await Storage.open_postgres(postgres_url, pool_size=4)
        assert isinstance(storage.db, PostgresDatabase)
        await ensure_queue_schema(storage.db)
        app = make_app(postgres_url)
        await app.open_async()
        opened.append(Ingress(storage, ProcrastinateQueue(app, storage.db)))
    yield opened
    for ingress in opened:
        await ingress.queue.app.close_async()
        await ingress.storage.close()
