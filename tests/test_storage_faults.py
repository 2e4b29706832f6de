"""The SQLite database under stress: migrations, newer files, locks, a full disk, corruption,
and (on both backends) a SIGKILLed writer.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import DefaultsConfig
from bot.storage import Storage, StorageError, sql
from bot.storage import database as database_module
from bot.storage.database import Database
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS, split_statements
from tests.support.storage_fixtures import (
    TABLES,
    StorageOpener,
    assert_settings_write_refused_as_locked,
)
from translation.errors import BriefbotError

DEFAULTS = DefaultsConfig()


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await Storage.open(tmp_path / "bot.sqlite3", busy_timeout_ms=100)
    yield opened
    await opened.close()


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows} - {"sqlite_sequence"}


async def pragma(db: sql.Database, name: str) -> object:
    row = await db.fetchone(f"PRAGMA {name}")
    assert row is not None
    return row[0]


def has_wal(path: Path) -> bool:
    return Path(f"{path}-wal").exists()


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


# -- opening and migrations --------------------------------------------------------------------


async def test_fresh_file_is_created_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "bot.sqlite3"
    db = await Database.open(path)
    try:
        assert await db.schema_version() == LATEST_VERSION
        assert await pragma(db, "journal_mode") == "wal"
        assert await pragma(db, "foreign_keys") == 1
        assert await pragma(db, "synchronous") == 1  # NORMAL
        assert await pragma(db, "busy_timeout") == 5000
    finally:
        await db.close()
    assert tables(path) == TABLES
    assert user_version(path) == LATEST_VERSION


async def test_reopening_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    for round_number in range(3):
        storage = await Storage.open(path)
        try:
            settings = await storage.settings.update_chat_settings(
                1, DEFAULTS, summary_sentences=round_number + 1
            )
            assert settings.summary_sentences == round_number + 1
            await storage.cache.put(f"k{round_number}", {"round": round_number})
            assert await storage.cache.size() == round_number + 1
        finally:
            await storage.close()
    assert user_version(path) == LATEST_VERSION
    assert tables(path) == TABLES


async def test_failed_migration_leaves_the_file_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bot.sqlite3"
    broken = (*MIGRATIONS, (LATEST_VERSION + 1, "CREATE TABLE extra (x);\nSELECT no_such_fn();"))
    monkeypatch.setattr(database_module, "MIGRATIONS", broken)
    monkeypatch.setattr(database_module, "LATEST_VERSION", LATEST_VERSION + 1)
    with pytest.raises(StorageError, match="no_such_fn"):
        await Database.open(path)
    assert user_version(path) == 0
    assert tables(path) == set()  # all pending migrations run in one transaction

    monkeypatch.undo()
    db = await Database.open(path)
    await db.close()
    assert user_version(path) == LATEST_VERSION


async def test_file_from_a_newer_briefbot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    await (await Database.open(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 5}")
    with pytest.raises(StorageError, match=f"schema version {LATEST_VERSION + 5}, newer") as info:
        await Storage.open(path)
    assert info.value.reason == "newer-schema"
    assert isinstance(info.value, BriefbotError)
    assert user_version(path) == LATEST_VERSION + 5


def test_split_statements_handles_comments_and_strings() -> None:
    script = "-- a comment; with semicolon\nCREATE TABLE a (x TEXT DEFAULT ';');\nSELECT 1;  \n"
    assert split_statements(script) == [
        "-- a comment; with semicolon\nCREATE TABLE a (x TEXT DEFAULT ';');",
        "SELECT 1;",
    ]
    with pytest.raises(ValueError, match="incomplete"):
        split_statements("SELECT 1; SELECT")


# -- transactions ------------------------------------------------------------------------------


async def test_failed_transaction_is_rolled_back(storage: Storage) -> None:
    with pytest.raises(ZeroDivisionError):
        async with storage.db.transaction() as tx:
            await tx.execute("INSERT INTO results_cache VALUES ('k', '{}', 0, 0)")
            _ = 1 / 0
    assert await storage.cache.size() == 0
    await storage.cache.put("after", {"ok": True})  # the connection is usable again
    assert await storage.cache.get("after") == {"ok": True}


async def test_nested_use_is_refused_instead_of_deadlocking(storage: Storage) -> None:
    async with storage.db.transaction():
        with pytest.raises(RuntimeError, match="nested database use"):
            await storage.db.fetchone("SELECT 1")


async def test_closed_database_raises_storage_error(tmp_path: Path) -> None:
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    await storage.close()
    await storage.close()  # idempotent
    with pytest.raises(StorageError, match="closed"):
        await storage.settings.get_chat_settings(1, DEFAULTS)


# -- faults ------------------------------------------------------------------------------------


async def test_locked_database_raises_storage_error_quickly(storage: Storage) -> None:
    holder = sqlite3.connect(storage.db.location, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    try:
        await assert_settings_write_refused_as_locked(storage, "locked")
        # Reads still work in WAL mode while another connection writes.
        assert (await storage.settings.get_chat_settings(1, DEFAULTS)).show_source is False
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    settings = await storage.settings.update_chat_settings(1, DEFAULTS, show_source=True)
    assert settings.show_source is True


async def test_full_disk_raises_storage_error_and_keeps_old_data(storage: Storage) -> None:
    await storage.settings.update_chat_settings(1, DEFAULTS, summary_sentences=4)
    pages = await pragma(storage.db, "page_count")
    await storage.db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StorageError, match="full") as info:
        await storage.cache.put("big", {"text": "x" * 200_000})
    assert info.value.reason == "full"
    assert await storage.cache.get("big") is None
    assert (await storage.settings.get_chat_settings(1, DEFAULTS)).summary_sentences == 4

    await storage.db.execute("PRAGMA max_page_count = 1073741823")  # space freed again
    await storage.cache.put("big", {"text": "x" * 200_000})
    assert await storage.cache.size() == 1


async def test_read_only_database_raises_storage_error(storage: Storage) -> None:
    await storage.db.execute("PRAGMA query_only = ON")
    with pytest.raises(StorageError, match="read-only") as info:
        await storage.jobs.create_job(1, 1, 1, "summary", {}, None)
    assert info.value.reason == "readonly"
    assert await storage.jobs.count_unfinished() == 0


async def test_garbage_file_is_reported_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    path.write_bytes(b"this is not a database at all\n" * 200)
    with pytest.raises(StorageError, match="corrupt") as info:
        await Storage.open(path)
    assert info.value.reason == "corrupt"
    assert str(path) in info.value.message


async def test_damaged_pages_are_reported_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    storage = await Storage.open(path)
    for i in range(200):
        await storage.cache.put(f"k{i}", {"text": f"value {i} " * 50})
    await storage.close()
    with sqlite3.connect(path) as conn:
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    data = bytearray(path.read_bytes())
    data[page_size:] = b"\xa5" * (len(data) - page_size)  # keep only the header page intact
    path.write_bytes(bytes(data))
    with pytest.raises(StorageError, match="corrupt") as info:
        reopened = await Storage.open(path)
        try:
            await reopened.cache.get("k1")
        finally:
            await reopened.close()
    assert info.value.reason == "corrupt"


async def test_unopenable_path_raises_storage_error(tmp_path: Path) -> None:
    (tmp_path / "a-directory").mkdir()
    with pytest.raises(StorageError, match="cannot open") as info:
        await Storage.open(tmp_path / "a-directory")
    assert info.value.reason == "cannot-open"
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="cannot create the directory"):
        await Storage.open(tmp_path / "file" / "sub" / "bot.sqlite3")


# -- crash safety ------------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from pathlib import Path
    from bot.config import DefaultsConfig
    from bot.storage import Storage

    async def main() -> None:
        target = sys.argv[1]
        if target.startswith("postgresql://"):
            storage = await Storage.open_postgres(target)
        else:
            storage = await Storage.open(Path(target))
        await storage.settings.update_chat_settings(
            -42, DefaultsConfig(), target_languages=("fr", "it"), group_mode="auto"
        )
        job_id = await storage.jobs.create_job(-42, 7, 70, "summary", {"url": "u"}, 70)
        await storage.jobs.mark_running(job_id)
        await storage.cache.put("key", {"cached": True})
        print(job_id, flush=True)
        async with storage.db.transaction() as tx:  # never committed
            await tx.execute("UPDATE chat_settings SET group_mode = 'off'")
            await tx.execute("DELETE FROM jobs")
            os.kill(os.getpid(), signal.SIGKILL)

    asyncio.run(main())
    """
)


async def test_committed_data_survives_a_sigkilled_writer(storage_opener: StorageOpener) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        WRITER,
        storage_opener.target,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == -signal.SIGKILL, stderr.decode()
    job_id = int(stdout.decode().strip())
    if storage_opener.backend == "sqlite":
        assert has_wal(storage_opener.sqlite_path)  # the process died without checkpointing

    storage = await storage_opener()
    try:
        settings = await storage.settings.get_chat_settings(-42, DEFAULTS)
        assert settings.target_languages == ("fr", "it")
        assert settings.group_mode == "auto"  # the uncommitted change is gone
        jobs = await storage.jobs.unfinished_jobs()
        assert [(j.id, j.status, j.attempts, j.chat_id) for j in jobs] == [
            (job_id, "running", 1, -42)
        ]
        assert await storage.cache.get("key") == {"cached": True}
    finally:
        await storage.close()


async def _database_with_damaged_pages(path: Path, pages: int) -> None:
    """A cache full of entries, then ``pages`` pages in the middle of the file overwritten."""
    storage = await Storage.open(path)
    for i in range(600):
        await storage.cache.put(f"k{i}", {"text": f"value {i} " * 50})
    await storage.close()
    _overwrite_middle_pages(path, pages)


def _overwrite_middle_pages(path: Path, pages: int) -> None:
    with sqlite3.connect(path) as conn:
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        page_count = int(conn.execute("PRAGMA page_count").fetchone()[0])
    data = bytearray(path.read_bytes())
    for page in range(page_count // 2, page_count // 2 + pages):
        data[page * page_size : (page + 1) * page_size] = b"\xa5" * page_size
    path.write_bytes(bytes(data))


async def test_a_few_damaged_pages_are_refused_at_start(tmp_path: Path) -> None:
    """Issue 13: three bad pages in a 1,000-page file opened fine and served every request
    that missed them; ``PRAGMA quick_check`` at start refuses the file in one line."""
    path = tmp_path / "bot.sqlite3"
    await _database_with_damaged_pages(path, pages=3)
    with pytest.raises(StorageError, match="is corrupt") as info:
        await Storage.open(path)
    assert info.value.reason == "corrupt"
    assert info.value.exit_code == 5
    assert str(path) in info.value.message and "\n" not in info.value.message
