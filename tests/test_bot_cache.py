"""The results cache through the real bot: a cached summary is reused only for the very same
request, never for other target languages, another algorithm or length, or other models.

``make_cache_key`` has unit tests in test_storage; these check that the bot builds the key from
the chat's actual settings and the installed packages, which a unit test of the key cannot.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from tests.support.bot_api_server import BotApiServer, SentMessage
from tests.support.bot_harness import GERMAN_ARTICLE, PRIVATE_CHAT, BotEnv, bot_config
from tests.support.models import TINY_PAIRS
from tests.support.telegram_html import parse_telegram_html
from translation.models.argos_packages import install_from_path
from translation.models.engine import TranslationEngine


def _sections(reply: SentMessage) -> dict[str, list[str]]:
    """Section heading (the first line of a block; a translated title may follow it) -> its
    bullets, from the visible text of a summary."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    previous = ""
    for line in parse_telegram_html(reply.text or "").splitlines():
        if line.startswith("• ") and current is not None:
            current.append(line[2:])
        elif line and not previous:
            current = sections.setdefault(line, [])
        previous = line
    return {name: bullets for name, bullets in sections.items() if bullets}


async def _hits(env: BotEnv) -> tuple[int, int]:
    stats = await env.storage.stats.summary()
    return stats.total, stats.cache_hits


async def _set(env: BotEnv, setting: str) -> None:
    reply = await env.ask_one(PRIVATE_CHAT, f"/settings {setting}")
    assert "Settings saved." in parse_telegram_html(reply.text or ""), setting


async def test_changed_settings_are_never_answered_from_the_cache(env: BotEnv) -> None:
    await _set(env, "source on")
    first = _sections(await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE))
    assert set(first) == {"English", "German (original)"}
    assert await _hits(env) == (1, 0)

    await _set(env, "languages en,fr")  # the chat adds French: the same text gets French
    second = _sections(await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE))
    assert set(second) == {"English", "French (via English)", "German (original)"}
    assert len(second["French (via English)"]) == 3
    assert second["German (original)"] == first["German (original)"]

    await _set(env, "length 2")  # a shorter summary is computed, not the 3-sentence one
    third = _sections(await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE))
    assert {name: len(bullets) for name, bullets in third.items()} == dict.fromkeys(second, 2)

    await _set(env, "algorithm lsa")  # another algorithm picks other sentences
    fourth = _sections(await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE))
    assert len(fourth["German (original)"]) == 2
    assert fourth["German (original)"] != third["German (original)"]
    assert await _hits(env) == (4, 0), "every changed setting computed a new summary"

    again = _sections(await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE))
    assert again == fourth
    assert await _hits(env) == (5, 1), "the same request with the same settings is a hit"


def _with_version(package: Path, version: str, out_dir: Path) -> Path:
    """A copy of an ``.argosmodel`` whose metadata claims another package version (a release
    of the same pair with other weights, as far as the bot can tell)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / package.name
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(target, "w") as copy:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("/metadata.json"):
                metadata = json.loads(data)
                assert metadata["package_version"] != version
                data = json.dumps({**metadata, "package_version": version}).encode()
            copy.writestr(item, data)
    return target


async def test_a_new_package_version_is_not_answered_from_the_old_cache(
    tmp_path: Path, test_package_files: dict[tuple[str, str], Path]
) -> None:
    packages = tmp_path / "packages"
    for pair in TINY_PAIRS:
        install_from_path(test_package_files[pair], packages_dir=packages)
    async with BotApiServer() as server:
        config = bot_config(tmp_path, server.base_url, packages)
        env = BotEnv(server, config, TranslationEngine(packages))
        async with env.running():
            for _ in range(2):
                await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
            assert await _hits(env) == (2, 1), "the same request is answered from the cache"
        env.engine.close()

        newer = _with_version(test_package_files[("de", "en")], "9.9", tmp_path / "newer")
        installed = install_from_path(newer, packages_dir=packages)
        assert [(p.code, p.version) for p in installed] == [("de-en", "9.9")]
        env.engine = TranslationEngine(packages)  # the bot restarts with the new package
        async with env.running():
            await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
            assert await _hits(env) == (3, 1), "the old de→en model's answer was reused"
            await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
            assert await _hits(env) == (4, 2)
        env.engine.close()
