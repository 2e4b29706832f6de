"""A first run without translation models explains itself: one warning at start, honest /start
and /help (owners get the install command), and an offline install that says what to do."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.support.bot_harness import OWNER_ID, PRIVATE_CHAT, bot_env
from tests.support.postgres import free_port
from tests.support.telegram_html import parse_telegram_html
from translation.models.engine import TranslationEngine

NOT_AVAILABLE = "Translation into English is not available yet"


@pytest.fixture
def empty_engine(tmp_path: Path) -> Iterator[TranslationEngine]:
    shared = TranslationEngine(tmp_path / "no-models")
    yield shared
    shared.close()


async def test_start_help_and_the_log_say_that_translation_is_not_set_up(
    tmp_path: Path, empty_engine: TranslationEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.telegram.app")
    empty = tmp_path / "no-models"
    async with bot_env(tmp_path, empty, empty_engine) as env:
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1, warnings
        assert "briefbot models install de-en" in warnings[0] and str(empty) in warnings[0]

        user_start = parse_telegram_html((await env.ask_one(PRIVATE_CHAT, "/start")).text or "")
        assert NOT_AVAILABLE in user_start
        assert "briefbot models install" not in user_start, "users get no operator wording"
        user_help = parse_telegram_html((await env.ask_one(PRIVATE_CHAT, "/help")).text or "")
        assert NOT_AVAILABLE in user_help

        owner = parse_telegram_html(
            (await env.ask_one(OWNER_ID, "/start", user_id=OWNER_ID)).text or ""
        )
        assert NOT_AVAILABLE in owner and "briefbot models install de-en" in owner


async def test_with_models_installed_start_promises_nothing_false(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with bot_env(tmp_path, packages_dir, engine) as env:
        text = parse_telegram_html((await env.ask_one(PRIVATE_CHAT, "/start")).text or "")
        assert "Your summary languages: English" in text
        assert "not available" not in text
        owner = await env.ask_one(OWNER_ID, "/help", user_id=OWNER_ID)
        assert "models install" not in (owner.text or "")


def test_models_list_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("BRIEFBOT_CONFIG", raising=False)
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "argos"))
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"Models directory: {tmp_path / 'argos'}"
    assert "No models installed there" in out


def test_installing_by_code_offline_points_to_the_file_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.delenv("BRIEFBOT_CONFIG", raising=False)
    monkeypatch.setenv("BRIEFBOT_MODELS_PACKAGES_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", f"http://127.0.0.1:{port}/index.json")
    assert main(["models", "install", "de-en"]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Cannot reach the argos package index" in err
    assert "briefbot models install PATH/translate-de_en.argosmodel" in err


def test_the_demo_runs_the_whole_pipeline_and_labels_the_random_translation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    article = Path(__file__).resolve().parents[1] / "examples" / "artikel-de.txt"
    monkeypatch.delenv("BRIEFBOT_CONFIG", raising=False)
    assert main(["demo", str(article)]) == 0
    out = capsys.readouterr().out
    assert out.count("[demo] Translation by tiny test models with RANDOM weights") == 2
    assert "Language: de" in out and "\n[en]\n" in out and "\n[fr] (via en)\n" in out
    german = out.split("\n[de]\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(german) == 3
    text = article.read_text(encoding="utf-8")
    assert all(line.startswith("- ") and line[2:] in text for line in german)
