"""The PostgreSQL backend's own behaviour: migrations, errors, locks, the `db migrate` command.

The stores' behaviour on PostgreSQL is covered by tests/test_storage.py (both backends); this
file covers what only a server has: concurrent starts, a database from a newer release, an
unreachable server, a row another process holds, a connection that is read-only.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import psycopg
import pytest

from bot.cli import main
from bot.config import DefaultsConfig, load_config
from bot.storage import Storage, StorageError, open_storage
from bot.storage import postgres as postgres_module
from bot.storage.migrations import LATEST_VERSION
from bot.storage.pg_migrations import PG_LATEST_VERSION, PG_MIGRATIONS, VERSION_TABLE
from bot.storage.postgres import PostgresDatabase, describe_url, to_pyformat
from tests.support import postgres as postgres_support
from tests.support.postgres import PostgresServer, PostgresUnavailable, free_port
from tests.support.storage_fixtures import TABLES, assert_settings_write_refused_as_locked

DEFAULTS = DefaultsConfig()


def tables(server: PostgresServer, url: str) -> set[str]:
    sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    return set(server.psql(sql, url).split())


def versions(server: PostgresServer, url: str) -> list[int]:
    out = server.psql(f"SELECT version FROM {VERSION_TABLE} ORDER BY version", url)
    return [int(v) for v in out.split()]


# -- migrations --------------------------------------------------------------------------------


async def test_concurrent_starts_migrate_once(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    opened = await asyncio.gather(*(PostgresDatabase.open(postgres_url) for _ in range(4)))
    try:
        assert [await db.schema_version() for db in opened] == [PG_LATEST_VERSION] * 4
    finally:
        for db in opened:
            await db.close()
    assert tables(postgres_server, postgres_url) == TABLES | {VERSION_TABLE}
    assert versions(postgres_server, postgres_url) == [v for v, _ in PG_MIGRATIONS]
    await (await PostgresDatabase.open(postgres_url)).close()  # reopening changes nothing
    assert versions(postgres_server, postgres_url) == [v for v, _ in PG_MIGRATIONS]


async def test_failed_migration_leaves_the_database_untouched(
    postgres_server: PostgresServer, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = (
        *PG_MIGRATIONS,
        (PG_LATEST_VERSION + 1, "CREATE TABLE extra (x int);\nSELECT no_such_fn();"),
    )
    monkeypatch.setattr(postgres_module, "PG_MIGRATIONS", broken)
    monkeypatch.setattr(postgres_module, "PG_LATEST_VERSION", PG_LATEST_VERSION + 1)
    with pytest.raises(StorageError, match="no_such_fn"):
        await PostgresDatabase.open(postgres_url)
    assert tables(postgres_server, postgres_url) == set()  # one transaction: all or nothing

    monkeypatch.undo()
    await (await PostgresDatabase.open(postgres_url)).close()
    assert versions(postgres_server, postgres_url) == [v for v, _ in PG_MIGRATIONS]


async def test_database_from_a_newer_briefbot_is_refused(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    await (await PostgresDatabase.open(postgres_url)).close()
    newer = PG_LATEST_VERSION + 5
    postgres_server.psql(f"INSERT INTO {VERSION_TABLE} (version) VALUES ({newer})", postgres_url)
    with pytest.raises(StorageError, match=f"schema version {newer}, newer") as info:
        await Storage.open_postgres(postgres_url)
    assert info.value.reason == "newer-schema"


# -- connecting --------------------------------------------------------------------------------


async def test_unreachable_server_is_one_clear_error_without_the_password() -> None:
    url = f"postgresql://briefbot:pg-pass-7@127.0.0.1:{free_port()}/briefbot"
    started = time.monotonic()
    with pytest.raises(StorageError, match="cannot open the database") as info:
        await Storage.open_postgres(url)
    assert time.monotonic() - started < 5.0
    assert info.value.reason == "cannot-open"
    assert "pg-pass-7" not in info.value.message and "\n" not in info.value.message
    assert "postgresql://briefbot@127.0.0.1:" in info.value.message


async def test_missing_database_cannot_be_opened(postgres_server: PostgresServer) -> None:
    with pytest.raises(StorageError, match="no_such_db") as info:
        await Storage.open_postgres(postgres_server.url("no_such_db"))
    assert info.value.reason == "cannot-open"


async def test_open_storage_picks_the_backend_from_the_config(
    tmp_path: Path, postgres_url: str
) -> None:
    sqlite_config = load_config(None, env={"BRIEFBOT_STORAGE_PATH": str(tmp_path / "a.sqlite3")})
    pg_config = load_config(None, env={"BRIEFBOT_STORAGE_URL": postgres_url})
    for config, dialect in ((sqlite_config, "sqlite"), (pg_config, "postgresql")):
        storage = await open_storage(config)
        try:
            assert storage.db.dialect.name == dialect
            await storage.settings.update_chat_settings(1, DEFAULTS, summary_sentences=2)
        finally:
            await storage.close()
    assert (tmp_path / "a.sqlite3").exists()


# -- units of work and faults ------------------------------------------------------------------


async def test_failed_transaction_is_rolled_back_and_nesting_refused(postgres_url: str) -> None:
    storage = await Storage.open_postgres(postgres_url)
    try:
        with pytest.raises(ZeroDivisionError):
            async with storage.db.transaction() as tx:
                await tx.execute("INSERT INTO results_cache VALUES ('k', '{}', 0, 0)")
                _ = 1 / 0
        assert await storage.cache.size() == 0
        async with storage.db.transaction():
            with pytest.raises(RuntimeError, match="nested database use"):
                await storage.db.fetchone("SELECT 1")
        with pytest.raises(StorageError, match="syntax error"):
            await storage.db.execute("SELEC 1")
        await storage.cache.put("after", {"ok": True})  # the pool is usable again
        assert await storage.cache.get("after") == {"ok": True}
    finally:
        await storage.close()
    await storage.close()  # idempotent
    with pytest.raises(StorageError, match="closed"):
        await storage.settings.get_chat_settings(1, DEFAULTS)


async def test_row_held_by_another_process_raises_locked_quickly(postgres_url: str) -> None:
    db = await PostgresDatabase.open(postgres_url, lock_timeout_ms=100)
    storage = await Storage.attach(db, 100, 3600.0)
    await storage.settings.update_chat_settings(1, DEFAULTS, summary_sentences=4)
    async with await psycopg.AsyncConnection.connect(postgres_url) as holder:
        await holder.execute("SELECT * FROM chat_settings WHERE chat_id = 1 FOR UPDATE")
        try:
            await assert_settings_write_refused_as_locked(storage, "busy")
            # Readers do not wait for writers.
            assert (await storage.settings.get_chat_settings(1, DEFAULTS)).summary_sentences == 4
        finally:
            await holder.rollback()
    settings = await storage.settings.update_chat_settings(1, DEFAULTS, show_source=True)
    assert settings.show_source is True
    await storage.close()


async def test_read_only_connection_raises_storage_error(postgres_url: str) -> None:
    db = await PostgresDatabase.open(postgres_url, pool_size=1)
    storage = await Storage.attach(db, 100, 3600.0)
    try:
        await storage.db.execute("SET default_transaction_read_only = on")  # e.g. a standby
        with pytest.raises(StorageError, match="read-only") as info:
            await storage.jobs.create_job(1, 1, 1, "summary", {}, None)
        assert info.value.reason == "readonly"
        assert await storage.jobs.count_unfinished() == 0
    finally:
        await storage.close()


def test_placeholders_and_percent_signs_become_pyformat() -> None:
    assert to_pyformat("SELECT ? WHERE a = '?%' AND b LIKE ? || '%'") == (
        "SELECT %s WHERE a = '?%%' AND b LIKE %s || '%%'"
    )
    assert describe_url("postgresql://u:secret@h:6543/db?sslmode=require") == (
        "postgresql://u@h:6543/db"
    )


# -- the command and the test server -----------------------------------------------------------


def test_db_migrate_command(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "briefbot.toml"
    config.write_text(f"[storage]\nurl = '{postgres_url}'\n", encoding="utf-8")
    assert main(["db", "migrate", "--config", str(config)]) == 0
    assert capsys.readouterr().out.strip() == (
        f"{describe_url(postgres_url)}: schema version {PG_LATEST_VERSION}"
    )
    assert main(["db", "migrate", "--config", str(config)]) == 0  # idempotent
    capsys.readouterr()

    config.write_text("[storage]\npath = 'state/bot.sqlite3'\n", encoding="utf-8")
    assert main(["db", "migrate", "--config", str(config)]) == 0
    assert capsys.readouterr().out.strip().endswith(f"bot.sqlite3: schema version {LATEST_VERSION}")
    assert (tmp_path / "state" / "bot.sqlite3").exists()

    unreachable = f"postgresql://briefbot:pw@127.0.0.1:{free_port()}/x"
    config.write_text(f"[storage]\nurl = '{unreachable}'\n", encoding="utf-8")
    assert main(["db", "migrate", "--config", str(config)]) == 5
    err = capsys.readouterr().err
    assert err.startswith("briefbot: error: cannot open the database") and err.count("\n") == 1


def test_missing_server_binaries_are_an_error_naming_the_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(postgres_support.glob, "glob", lambda pattern: [])
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(PostgresUnavailable, match="apt-get install -y postgresql"):
        PostgresServer.start()
