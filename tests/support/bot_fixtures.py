"""pytest fixtures for the bot's end-to-end suites (registered in tests/conftest.py).

The harness is imported inside the fixtures so that collecting other suites never imports the
bot's stack.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.bot_harness import ArticleServer, BotEnv
    from translation.models.engine import TranslationEngine


@pytest.fixture
async def env(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> AsyncIterator[BotEnv]:
    """A running bot with the test config (targets: en; group mode: mention) and the default
    fetch policy: links to loopback or private addresses are refused, as in production."""
    from tests.support.bot_harness import bot_env

    async with bot_env(tmp_path, packages_dir, engine) as running:
        yield running


@pytest.fixture
async def web_env(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> AsyncIterator[BotEnv]:
    """Like ``env``, but allowed to fetch from private networks so that it can read the
    test's loopback ``articles`` server: the one deliberate exception to the default policy."""
    from tests.support.bot_harness import LOOPBACK_ARTICLES, bot_env

    async with bot_env(tmp_path, packages_dir, engine, fetch=LOOPBACK_ARTICLES) as running:
        yield running


@pytest.fixture
async def articles() -> AsyncIterator[ArticleServer]:
    """A loopback web server for article links."""
    from tests.support.bot_harness import ArticleServer

    async with ArticleServer() as server:
        yield server
