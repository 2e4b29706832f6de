"""Shared fixtures: real CTranslate2 test packages built once per session."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# The per-user data directory (default models and database) of every test, and of every process
# a test starts, is a throwaway one: tests never touch the real ~/.local/share/briefbot.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="briefbot-xdg-")

from tests.support.models import TINY_PAIRS, build_packages, install_test_packages
from translation.models.engine import TranslationEngine

#: Fixtures of the bot's end-to-end suites (env, articles) and of the storage suites (both
#: backends, a PostgreSQL test server) live in tests/support.
pytest_plugins = ("tests.support.bot_fixtures", "tests.support.storage_fixtures")


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where built packages are cached for the whole session (pass as ``cache_dir``)."""
    return tmp_path_factory.mktemp("argos-build-cache")


@pytest.fixture(scope="session")
def test_package_files(model_cache_dir: Path) -> dict[tuple[str, str], Path]:
    """Tiny ``.argosmodel`` files for TINY_PAIRS; treat them as read-only."""
    return build_packages(TINY_PAIRS, model_cache_dir / "files", cache_dir=model_cache_dir)


@pytest.fixture(scope="session")
def packages_dir(
    tmp_path_factory: pytest.TempPathFactory,
    model_cache_dir: Path,
    test_package_files: dict[tuple[str, str], Path],
) -> Path:
    """A packages directory with TINY_PAIRS installed; read-only for tests."""
    directory = tmp_path_factory.mktemp("argos-packages")
    install_test_packages(directory, TINY_PAIRS, cache_dir=model_cache_dir)
    return directory


@pytest.fixture(scope="session")
def engine(packages_dir: Path) -> Iterator[TranslationEngine]:
    """A TranslationEngine over ``packages_dir`` with default options, shared by the session."""
    shared = TranslationEngine(packages_dir)
    yield shared
    shared.close()


# CI runs hypothesis derandomized, so a red build is reproducible and never a roll of the dice;
# locally the default (random) profile keeps exploring new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
