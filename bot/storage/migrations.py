"""The schema as an append-only list of versioned migrations; ``PRAGMA user_version`` records it.

Never edit a released migration: add a new (version, SQL) entry instead. Each SQL text holds
statements ending in ``;`` (one or more per line break is fine; they are split with SQLite's
own ``complete_statement``).
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        -- A NULL column means "follow the configured default", so an operator's new defaults
        -- reach every chat that never chose that setting.
        CREATE TABLE chat_settings (
            chat_id INTEGER PRIMARY KEY,
            target_languages TEXT,
            summary_sentences INTEGER,
            algorithm TEXT,
            group_mode TEXT,
            show_source INTEGER,
            ui_language TEXT,
            updated_at REAL NOT NULL
        );

        CREATE TABLE results_cache (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            created_at REAL NOT NULL,
            last_used REAL NOT NULL
        );
        CREATE INDEX results_cache_last_used ON results_cache (last_used);
        CREATE INDEX results_cache_created_at ON results_cache (created_at);

        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            chat_id INTEGER NOT NULL,
            user_id INTEGER,
            message_id INTEGER,
            reply_to_message_id INTEGER,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('queued', 'running', 'done', 'failed', 'apologized')),
            attempts INTEGER NOT NULL DEFAULT 0,
            progress_message_id INTEGER,
            error TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX jobs_unfinished ON jobs (status, chat_id, user_id)
            WHERE status IN ('queued', 'running');
        CREATE INDEX jobs_finished_at ON jobs (updated_at)
            WHERE status NOT IN ('queued', 'running');

        CREATE TABLE requests (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at REAL NOT NULL,
            chat_id INTEGER NOT NULL,
            kind TEXT NOT NULL,
            outcome TEXT NOT NULL,
            cache_hit INTEGER NOT NULL
        );
        CREATE INDEX requests_at ON requests (at);

        CREATE TABLE request_timings (
            request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
            at REAL NOT NULL,
            stage TEXT NOT NULL,
            ms REAL NOT NULL,
            PRIMARY KEY (request_id, stage)
        );
        CREATE INDEX request_timings_at ON request_timings (at, stage);
        """,
    ),
    (
        2,
        """
        -- Sliding-window rate limits shared by every process using the database: one row per
        -- key to lock, one row per counted event.
        CREATE TABLE rate_limit_keys (
            key TEXT PRIMARY KEY,
            last_at REAL NOT NULL
        );
        CREATE TABLE rate_limit_events (
            key TEXT NOT NULL REFERENCES rate_limit_keys (key) ON DELETE CASCADE,
            at REAL NOT NULL
        );
        CREATE INDEX rate_limit_events_key_at ON rate_limit_events (key, at);
        """,
    ),
    (
        3,
        """
        -- Feeds are shared by every chat that follows them: one fetch serves all.
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            url TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL DEFAULT '',
            etag TEXT,
            last_modified TEXT,
            interval_seconds REAL NOT NULL,
            next_poll_at REAL NOT NULL,
            failures INTEGER NOT NULL DEFAULT 0,
            paused INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX feeds_due ON feeds (next_poll_at) WHERE paused = 0;

        CREATE TABLE feed_subscriptions (
            chat_id INTEGER NOT NULL,
            feed_id INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
            mode TEXT NOT NULL DEFAULT 'each' CHECK (mode IN ('each', 'digest')),
            paused INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            PRIMARY KEY (chat_id, feed_id)
        );
        CREATE INDEX feed_subscriptions_feed ON feed_subscriptions (feed_id);

        -- An article a chat has seen, by canonical URL and by content hash: delivered once
        -- even when several feeds carry it or a feed updates it.
        CREATE TABLE feed_seen (
            chat_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            delivered INTEGER NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (chat_id, key)
        );

        -- Digest mode: new articles wait here until one of the chat's digest hours.
        CREATE TABLE feed_digest_schedules (
            chat_id INTEGER PRIMARY KEY,
            hours TEXT NOT NULL,
            timezone TEXT NOT NULL,
            last_run_at REAL NOT NULL
        );
        CREATE TABLE feed_digest_items (
            chat_id INTEGER NOT NULL,
            url TEXT NOT NULL,
            title TEXT NOT NULL,
            feed_title TEXT NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (chat_id, url)
        );
        """,
    ),
    (
        4,
        """
        -- Sentence-level translation memory (bot.storage.translation_memory): ``model`` is a
        -- hash of the package identity and the options that change an output.
        CREATE TABLE translation_memory (
            model TEXT NOT NULL,
            source TEXT NOT NULL,
            target TEXT NOT NULL,
            tokens INTEGER NOT NULL,
            last_used REAL NOT NULL,
            PRIMARY KEY (model, source)
        );
        CREATE INDEX translation_memory_last_used ON translation_memory (last_used);
        """,
    ),
    (
        5,
        """
        -- The bot's recent answers by the message they answer: an edited request updates its
        -- answer (a bounded window, see bot/storage/answers_store.py).
        CREATE TABLE answers (
            chat_id INTEGER NOT NULL,
            request_message_id INTEGER NOT NULL,
            answer_message_id INTEGER NOT NULL,
            content_key TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (chat_id, request_message_id)
        );
        CREATE INDEX answers_created_at ON answers (created_at);
        """,
    ),
    (
        6,
        """
        -- Chats the bot could not post to (blocked, kicked, gone): their feed subscriptions
        -- rest until the chat comes back (/start, the bot added again), see bot/core/feeds.py.
        CREATE TABLE feed_unreachable_chats (
            chat_id INTEGER PRIMARY KEY,
            reason TEXT NOT NULL,
            at REAL NOT NULL
        );
        """,
    ),
)

LATEST_VERSION = MIGRATIONS[-1][0]


def split_statements(script: str) -> list[str]:
    """Single statements of a script, since ``executescript`` would commit our transaction."""
    statements: list[str] = []
    pending = ""
    for char in script:
        pending += char
        if char == ";" and sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip() and not all(
        line.strip().startswith("--") or not line.strip() for line in pending.splitlines()
    ):
        raise ValueError(f"incomplete SQL statement in migration: {pending.strip()[:60]!r}")
    return statements
