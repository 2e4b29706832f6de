"""Storage repositories on both real backends: settings, results cache, jobs, statistics.

Every test runs against a SQLite file and a PostgreSQL database (``storage_opener``); opening
the same database twice stands for two processes sharing it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from bot.config import DefaultsConfig
from bot.storage import ChatSettings, Storage, make_cache_key
from bot.storage.rate_limits import RateLimitStore
from bot.storage.results_cache import ResultsCache
from bot.storage.stats_store import StatsStore
from tests.support.storage_fixtures import StorageOpener

DEFAULTS = DefaultsConfig()


@pytest.fixture
async def storage(storage_opener: StorageOpener) -> AsyncIterator[Storage]:
    opened = await storage_opener()
    yield opened
    await opened.close()


class Clock:
    """A settable time source, so TTL and retention are tested without sleeping."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# -- settings ----------------------------------------------------------------------------------


async def test_unknown_chat_gets_the_defaults(storage: Storage) -> None:
    settings = await storage.settings.get_chat_settings(-100, DEFAULTS)
    assert settings == ChatSettings(
        chat_id=-100,
        target_languages=("en",),
        summary_sentences=3,
        algorithm="news",
        group_mode="mention",
        show_source=False,
        ui_language=None,
    )


async def test_settings_round_trip_across_reopen(storage_opener: StorageOpener) -> None:
    chosen = ChatSettings(
        chat_id=42,
        target_languages=("fr", "en"),
        summary_sentences=5,
        algorithm="lexrank",
        group_mode="auto",
        show_source=True,
        ui_language="de",
    )
    first = await storage_opener()
    await first.settings.save_chat_settings(chosen)
    await first.close()
    second = await storage_opener()
    try:
        assert await second.settings.get_chat_settings(42, DEFAULTS) == chosen
        other_defaults = DefaultsConfig(target_languages=("es",), summary_sentences=7)
        assert await second.settings.get_chat_settings(42, other_defaults) == chosen
    finally:
        await second.close()


async def test_unchosen_settings_follow_changed_defaults(storage: Storage) -> None:
    await storage.settings.update_chat_settings(7, DEFAULTS, summary_sentences=2)
    new_defaults = DefaultsConfig(target_languages=("de", "fr"), show_source=True)
    settings = await storage.settings.get_chat_settings(7, new_defaults)
    assert settings.summary_sentences == 2
    assert settings.target_languages == ("de", "fr")
    assert settings.show_source is True
    await storage.settings.reset_chat_settings(7)
    assert (await storage.settings.get_chat_settings(7, DEFAULTS)).summary_sentences == 3


async def test_update_returns_and_stores_the_result(storage: Storage) -> None:
    updated = await storage.settings.update_chat_settings(
        5, DEFAULTS, target_languages=["fr", "fr", "it"], group_mode="off"
    )
    assert updated.target_languages == ("fr", "it")
    assert updated.group_mode == "off"
    assert await storage.settings.get_chat_settings(5, DEFAULTS) == updated


async def test_update_rejects_unknown_fields_and_bad_values(storage: Storage) -> None:
    with pytest.raises(TypeError, match="unknown chat setting"):
        await storage.settings.update_chat_settings(5, DEFAULTS, langs=("fr",))
    with pytest.raises(ValueError, match="group_mode"):
        await storage.settings.update_chat_settings(5, DEFAULTS, group_mode="loud")
    with pytest.raises(ValueError, match="summary_sentences"):
        await storage.settings.update_chat_settings(5, DEFAULTS, summary_sentences=0)
    with pytest.raises(ValueError, match="target_languages"):
        await storage.settings.update_chat_settings(5, DEFAULTS, target_languages="en")
    untouched = await storage.settings.get_chat_settings(999, DEFAULTS)
    assert await storage.settings.get_chat_settings(5, DEFAULTS) == replace(untouched, chat_id=5)


async def test_concurrent_updates_to_different_fields_are_all_kept(storage: Storage) -> None:
    updates: list[dict[str, Any]] = [
        {"summary_sentences": 4},
        {"algorithm": "lsa"},
        {"group_mode": "auto"},
        {"show_source": True},
        {"ui_language": "de"},
    ]
    # 20 concurrent button presses: five field updates plus 15 language toggles, each a
    # read-modify-write of the same list; none may be lost.
    languages = ["de", "fr", "es", "it", "nl", "pt", "pl", "ru", "uk", "sv", "da", "fi", "cs"]
    languages += ["tr", "ja"]
    toggles: list[dict[str, Any]] = [
        {"target_languages": lambda current, code=code: (*current, code)} for code in languages
    ]
    await asyncio.gather(
        *(storage.settings.update_chat_settings(-5, DEFAULTS, **u) for u in updates + toggles)
    )
    final = await storage.settings.get_chat_settings(-5, DEFAULTS)
    assert final.summary_sentences == 4
    assert final.algorithm == "lsa"
    assert final.group_mode == "auto"
    assert final.show_source is True
    assert final.ui_language == "de"
    assert sorted(final.target_languages) == sorted(["en", *languages])


async def test_toggles_from_two_processes_sharing_the_database_are_all_kept(
    storage_opener: StorageOpener,
) -> None:
    first, second = await storage_opener(), await storage_opener()
    try:
        languages = ["de", "fr", "es", "it", "nl", "pt", "pl", "ru", "uk", "sv", "da", "fi"]
        toggles = [
            (first, second)[i % 2].settings.update_chat_settings(
                -1001234567890,  # a supergroup id: wider than 32 bits
                DEFAULTS,
                target_languages=lambda current, code=code: (*current, code),
            )
            for i, code in enumerate(languages)
        ]
        await asyncio.gather(*toggles)
        for store in (first, second):
            final = await store.settings.get_chat_settings(-1001234567890, DEFAULTS)
            assert sorted(final.target_languages) == sorted(["en", *languages])
    finally:
        await first.close()
        await second.close()


async def test_migrate_chat_moves_settings_and_pending_jobs(storage: Storage) -> None:
    old, new = -1001, -100_1001
    await storage.settings.update_chat_settings(old, DEFAULTS, summary_sentences=6)
    pending = await storage.jobs.create_job(old, 1, 10, "summary", {"text": "a"}, 10)
    finished = await storage.jobs.create_job(old, 1, 11, "summary", {"text": "b"}, 11)
    await storage.jobs.mark_done(finished)
    await storage.stats.record_request(old, "summary", "ok", False, {"total": 5.0})

    await storage.migrate_chat(old, new)
    await storage.migrate_chat(old, new)  # idempotent: Telegram reports it in both chats

    assert (await storage.settings.get_chat_settings(new, DEFAULTS)).summary_sentences == 6
    assert (await storage.settings.get_chat_settings(old, DEFAULTS)).summary_sentences == 3
    moved = await storage.jobs.get_job(pending)
    kept = await storage.jobs.get_job(finished)
    assert moved is not None and moved.chat_id == new
    assert kept is not None and kept.chat_id == old
    assert await storage.jobs.count_unfinished(chat_id=new) == 1


async def test_migrate_chat_keeps_settings_the_new_chat_already_has(storage: Storage) -> None:
    await storage.settings.update_chat_settings(-1, DEFAULTS, summary_sentences=6)
    await storage.settings.update_chat_settings(-2, DEFAULTS, summary_sentences=2)
    await storage.migrate_chat(-1, -2)
    assert (await storage.settings.get_chat_settings(-2, DEFAULTS)).summary_sentences == 2
    assert (await storage.settings.get_chat_settings(-1, DEFAULTS)).summary_sentences == 3


# -- results cache -----------------------------------------------------------------------------


def test_cache_key_normalizes_content_and_options() -> None:
    key = make_cache_key("Ein  Text\n über Bern.", ["fr", "en"], 3, "news", "v1")
    assert key == make_cache_key(" Ein Text über Bern. ", ("en", "fr"), 3, "news", "v1")
    assert len(key) == 64
    different = [
        make_cache_key("Ein Text über Bern!", ["en", "fr"], 3, "news", "v1"),
        make_cache_key("Ein Text über Bern.", ["en"], 3, "news", "v1"),
        make_cache_key("Ein Text über Bern.", ["en", "fr"], 4, "news", "v1"),
        make_cache_key("Ein Text über Bern.", ["en", "fr"], 3, "lsa", "v1"),
        make_cache_key("Ein Text über Bern.", ["en", "fr"], 3, "news", "v2"),
        make_cache_key("Ein Text über Bern.", ["en", "fr"], 3, "news", "v1", kind="full"),
    ]
    assert len({key, *different}) == len(different) + 1


def test_cache_keys_are_stable_across_releases() -> None:
    """The cache lives in SQLite across restarts and upgrades: the same request must keep its
    key, or every entry silently stops being found. A deliberate format change updates these
    values (and should bump the pipeline version instead)."""
    key = make_cache_key("Ein Text über Bern.", ["fr", "en"], 3, "news", "v1")
    assert key == "3411a149e6b6f18d49a4140267bf059a67e9d233e782e40f40cb5c827195f43a"
    full = make_cache_key("Ein Text über Bern.", ["fr", "en"], 3, "news", "v1", kind="full")
    assert full == "1f2f6b2d37c86cce5b9103364c4c003fd97a424659895fe2da8faddfd225aa19"


async def test_cache_put_get_and_counters(storage: Storage) -> None:
    value = {"summaries": {"de": ["Satz eins."], "en": ["Sentence one."]}, "title": "Ä <b>"}
    assert await storage.cache.get("k1") is None
    await storage.cache.put("k1", value)
    assert await storage.cache.get("k1") == value
    await storage.cache.put("k1", {"replaced": True})
    assert await storage.cache.get("k1") == {"replaced": True}
    assert (storage.cache.hits, storage.cache.misses) == (2, 1)
    assert storage.cache.hit_rate == pytest.approx(2 / 3)
    assert await storage.cache.size() == 1


async def test_cache_entries_expire_after_ttl(storage: Storage) -> None:
    clock = Clock()
    cache = ResultsCache(storage.db, max_entries=10, ttl_seconds=60, clock=clock)
    await cache.put("old", {"n": 1})
    clock.now += 59
    assert await cache.get("old") == {"n": 1}
    clock.now += 2
    assert await cache.get("old") is None
    assert await cache.size() == 0


async def test_cache_evicts_least_recently_used_beyond_max_entries(storage: Storage) -> None:
    clock = Clock()
    cache = ResultsCache(storage.db, max_entries=3, ttl_seconds=3600, clock=clock)
    for name in ("a", "b", "c"):
        clock.now += 1
        await cache.put(name, {"name": name})
    clock.now += 1
    assert await cache.get("a") is not None  # "a" is now the most recently used
    clock.now += 1
    await cache.put("d", {"name": "d"})
    assert await cache.size() == 3
    assert await cache.get("b") is None
    for name in ("a", "c", "d"):
        assert await cache.get(name) == {"name": name}


# -- jobs --------------------------------------------------------------------------------------


async def test_job_lifecycle(storage: Storage) -> None:
    job_id = await storage.jobs.create_job(
        chat_id=-7, user_id=3, message_id=30, kind="summary", payload={"url": "https://x.test/a"}
    )
    job = await storage.jobs.get_job(job_id)
    assert job is not None
    assert (job.status, job.attempts, job.payload, job.finished) == (
        "queued",
        0,
        {"url": "https://x.test/a"},
        False,
    )
    assert job.created_at == job.updated_at > 0
    who = (job.id, job.chat_id, job.user_id, job.message_id, job.reply_to_message_id, job.kind)
    assert who == (job_id, -7, 3, 30, None, "summary")
    assert (job.progress_message_id, job.error) == (None, None)
    assert await storage.jobs.mark_running(job_id)
    assert await storage.jobs.set_progress_message(job_id, 31)
    assert await storage.jobs.mark_done(job_id)
    done = await storage.jobs.get_job(job_id)
    assert done is not None
    assert (done.status, done.attempts, done.progress_message_id) == ("done", 1, 31)
    assert done.updated_at >= done.created_at
    # Finished jobs never move again, so a reply is never sent twice.
    assert not await storage.jobs.mark_running(job_id)
    assert not await storage.jobs.mark_failed(job_id, "late")
    assert not await storage.jobs.mark_apologized(job_id)
    assert (await storage.jobs.get_job(job_id)).status == "done"  # type: ignore[union-attr]
    assert await storage.jobs.get_job(12345) is None


async def test_answering_tells_whether_a_summary_of_a_message_is_in_flight(
    storage: Storage,
) -> None:
    """What an edit of a message still being answered waits for."""
    jobs = storage.jobs
    summary = await jobs.create_job(-7, 3, 30, "summary", {}, 30)
    await jobs.create_job(-7, 3, 31, "translation", {"target": "fr"}, 31)
    assert await jobs.answering(-7, 30)
    assert not await jobs.answering(-7, 31), "a full translation is not the message's answer"
    assert not await jobs.answering(-7, 32) and not await jobs.answering(-8, 30)
    await jobs.mark_running(summary)
    assert await jobs.answering(-7, 30)
    await jobs.mark_done(summary)
    assert not await jobs.answering(-7, 30)


async def test_failed_and_apologized_jobs(storage: Storage) -> None:
    failed = await storage.jobs.create_job(1, 1, 1, "summary", {}, None)
    apologized = await storage.jobs.create_job(1, 1, 2, "translation", {"target": "fr"}, 2)
    assert await storage.jobs.mark_failed(failed, "fetch: 404")
    assert await storage.jobs.mark_apologized(apologized)
    job = await storage.jobs.get_job(failed)
    assert job is not None and (job.status, job.error) == ("failed", "fetch: 404")
    assert await storage.jobs.unfinished_jobs() == []


async def test_unfinished_jobs_survive_reopen_and_count_attempts(
    storage_opener: StorageOpener,
) -> None:
    first = await storage_opener()
    queued = await first.jobs.create_job(-1, 10, 100, "summary", {"text": "x"}, 100)
    running = await first.jobs.create_job(-2, 20, 200, "summary", {"text": "y"}, 200)
    done = await first.jobs.create_job(-1, 10, 101, "summary", {"text": "z"}, 101)
    await first.jobs.mark_running(running)
    await first.jobs.mark_running(done)
    await first.jobs.mark_done(done)
    await first.close()

    second = await storage_opener()
    try:
        jobs = await second.jobs.unfinished_jobs()
        assert [(j.id, j.status) for j in jobs] == [(queued, "queued"), (running, "running")]
        assert jobs[0].payload == {"text": "x"} and jobs[0].reply_to_message_id == 100
        assert not jobs[1].exhausted
        await second.jobs.mark_running(running)  # the restart retries it once more
        retried = await second.jobs.get_job(running)
        assert retried is not None and retried.attempts == 2 and retried.exhausted
        assert await second.jobs.count_unfinished() == 2
        assert await second.jobs.count_unfinished(chat_id=-1) == 1
        assert await second.jobs.count_unfinished(user_id=20) == 1
        assert await second.jobs.count_unfinished(chat_id=-1, user_id=20) == 0
    finally:
        await second.close()


async def test_a_queued_job_is_claimed_exactly_once(storage_opener: StorageOpener) -> None:
    first, second = await storage_opener(), await storage_opener()
    try:
        job_id = await first.jobs.create_job(-1, 1, 1, "summary", {"text": "x"}, None)
        claims = await asyncio.gather(
            *((first, second)[i % 2].jobs.claim_job(job_id) for i in range(10))
        )
        assert claims.count(True) == 1
        claimed = await second.jobs.get_job(job_id)
        assert claimed is not None and (claimed.status, claimed.attempts) == ("running", 1)
        assert not await first.jobs.claim_job(job_id)  # running, not queued
        assert await first.jobs.mark_done(job_id)
        assert not await second.jobs.claim_job(job_id)
    finally:
        await first.close()
        await second.close()


async def test_claim_next_hands_each_queued_job_to_one_claimer(
    storage_opener: StorageOpener,
) -> None:
    first, second = await storage_opener(), await storage_opener()
    try:
        created = [
            await first.jobs.create_job(-1, 1, n, "summary", {"n": n}, None) for n in range(6)
        ]
        finished = await first.jobs.create_job(-1, 1, 9, "summary", {}, None)
        await first.jobs.mark_done(finished)
        claimed = await asyncio.gather(
            *((first, second)[i % 2].jobs.claim_next() for i in range(10))
        )
        jobs = [job for job in claimed if job is not None]
        assert sorted(job.id for job in jobs) == created
        assert all((job.status, job.attempts) == ("running", 1) for job in jobs)
        assert await second.jobs.claim_next() is None
        assert await first.jobs.count_unfinished() == 6
    finally:
        await first.close()
        await second.close()


async def test_prune_finished_jobs_keeps_unfinished(storage: Storage) -> None:
    done = await storage.jobs.create_job(1, 1, 1, "summary", {}, None)
    open_job = await storage.jobs.create_job(1, 1, 2, "summary", {}, None)
    await storage.jobs.mark_done(done)
    assert await storage.jobs.prune_finished(older_than_seconds=3600) == 0
    assert await storage.jobs.prune_finished(older_than_seconds=-1) == 1
    assert await storage.jobs.get_job(done) is None
    assert await storage.jobs.get_job(open_job) is not None


# -- statistics --------------------------------------------------------------------------------


async def test_stats_summary_counts_and_medians(storage: Storage) -> None:
    clock = Clock()
    stats = StatsStore(storage.db, retention_days=30, clock=clock)
    fetch_ms = [120.0, 80.0, 100.0, 400.0]
    for i, ms in enumerate(fetch_ms):
        await stats.record_request(
            -1, "summary", "ok", cache_hit=i == 0, timings_ms={"fetch": ms, "total": ms * 2}
        )
    await stats.record_request(-1, "summary", "error", False, {"total": 7.0})
    await stats.record_request(-2, "translation", "ok", True, {})

    summary = await stats.summary()
    assert summary.total == 6
    assert summary.by_outcome == {"ok": 5, "error": 1}
    assert summary.by_kind == {"summary": 5, "translation": 1}
    assert summary.cache_hits == 2
    assert summary.cache_hit_rate == pytest.approx(2 / 6)
    assert summary.last_24h == 6
    assert summary.median_ms["fetch"] == pytest.approx(110.0)  # even count: mean of middle two
    assert summary.median_ms["total"] == pytest.approx(200.0)  # 7, 160, 200, 240, 800
    assert summary.p95_ms["fetch"] == pytest.approx(400.0)

    clock.now += 2 * 86400
    await stats.record_request(-1, "summary", "ok", False, {"fetch": 1.0})
    recent = await stats.summary(since=clock.now - 3600)
    assert (recent.total, recent.last_24h, recent.median_ms) == (1, 1, {"fetch": 1.0})
    assert (await stats.summary()).last_24h == 1


async def test_stats_are_pruned_after_retention(storage: Storage) -> None:
    clock = Clock()
    stats = StatsStore(storage.db, retention_days=1, clock=clock)
    await stats.record_request(-1, "summary", "ok", False, {"total": 10.0})
    clock.now += 2 * 86400
    await stats.record_request(-1, "summary", "ok", False, {"total": 20.0})
    assert await stats.prune() == 1
    summary = await stats.summary()
    assert summary.total == 1
    assert summary.median_ms == {"total": 20.0}
    empty = await StatsStore(storage.db, clock=Clock(0)).summary(since=clock.now + 1)
    assert (empty.total, empty.cache_hit_rate, empty.median_ms) == (0, None, {})


# -- rate limits -------------------------------------------------------------------------------


async def test_rate_limit_is_a_sliding_window(storage: Storage) -> None:
    clock = Clock()
    limits = RateLimitStore(storage.db, clock=clock)
    assert [await limits.acquire("user:1", limit=3, window=60) for _ in range(3)] == [None] * 3
    clock.now += 20
    assert await limits.acquire("user:1", limit=3, window=60) == pytest.approx(40.0)
    assert await limits.acquire("user:2", limit=3, window=60) is None  # keys are independent
    assert await limits.acquire("user:1", limit=0, window=60) is None  # 0: unlimited
    clock.now += 40  # the first three events leave the window together
    assert await limits.acquire("user:1", limit=3, window=60) is None
    clock.now += 30
    # Refusals are not counted: one event in the window, so two more fit.
    assert await limits.acquire("user:1", limit=3, window=60) is None
    assert await limits.acquire("user:1", limit=3, window=60) is None
    assert await limits.acquire("user:1", limit=3, window=60) == pytest.approx(30.0)


async def test_rate_limit_holds_across_processes(storage_opener: StorageOpener) -> None:
    first, second = await storage_opener(), await storage_opener()
    try:
        results = await asyncio.gather(
            *((first, second)[i % 2].rate_limits.acquire("chat:-5", limit=5) for i in range(16))
        )
        assert results.count(None) == 5
        assert all(r is not None and 0 < r <= 60 for r in results if r is not None)
    finally:
        await first.close()
        await second.close()


async def test_rate_limit_keys_are_pruned(storage: Storage) -> None:
    clock = Clock()
    limits = RateLimitStore(storage.db, clock=clock)
    await limits.acquire("old", limit=1, window=60)
    clock.now += 120
    await limits.acquire("new", limit=1, window=60)
    assert await limits.prune(older_than_seconds=60) == 1
    assert await limits.acquire("new", limit=1, window=60) is not None  # still counted
    assert await limits.acquire("old", limit=1, window=60) is None
    rows = await storage.db.fetchall("SELECT key FROM rate_limit_keys ORDER BY key")
    assert [row["key"] for row in rows] == ["new", "old"]
