"""A bot on the default configuration never fetches from our own networks (SSRF).

Strangers send links: one to loopback, a private network or the cloud metadata address must be
refused with a reason the user can read, before any connection is made. These tests use the
``env`` fixture, whose fetch policy is the shipped default (only ``web_env`` lets a bot read the
test's loopback articles), so configuration that switched the guard off would fail here.
"""

from __future__ import annotations

import httpx

from bot.config import Config
from tests.support.bot_harness import GERMAN_ARTICLE, PRIVATE_CHAT, ArticleServer, BotEnv
from tests.support.telegram_html import parse_telegram_html


def refused(link: str) -> str:
    """The refusal names the private address (or the name that resolved to one)."""
    host = httpx.URL(link).host
    return (
        f"⚠️ I can't open this link: {host} is a private or local address; "
        "only public web pages are allowed."
    )


async def test_default_bot_refuses_loopback_private_and_metadata_links(
    env: BotEnv, articles: ArticleServer
) -> None:
    assert env.config.fetch == Config().fetch, "this test needs the shipped fetch policy"
    article = articles.add("/politik/artikel.html", f"<p>{GERMAN_ARTICLE}</p>")
    port = articles.base_url.rsplit(":", 1)[1]
    links = [
        article,  # loopback, with a real article behind it
        f"http://localhost:{port}/politik/artikel.html",  # a name that resolves to loopback
        f"http://2130706433:{port}/politik/artikel.html",  # 127.0.0.1 spelled as one number
        f"http://[::ffff:127.0.0.1]:{port}/politik/artikel.html",
        "http://10.0.0.8/intranet",
        "http://192.168.1.1/admin",
        "http://172.16.5.4:8080/",
        "http://[fd00::1]/",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",  # cloud metadata
    ]
    for link in links:
        reply = await env.ask_one(PRIVATE_CHAT, f"Bitte zusammenfassen: {link}")
        assert parse_telegram_html(reply.text or "") == refused(link), link
    assert articles.requested == [], "the guard refuses before connecting"
    stats = await env.storage.stats.summary()
    assert stats.by_outcome == {"error:fetch": len(links)}


async def test_the_refusal_is_told_in_the_users_language(
    env: BotEnv, articles: ArticleServer
) -> None:
    article = articles.add("/artikel", f"<p>{GERMAN_ARTICLE}</p>")
    german = 2700
    for link in (article, "http://169.254.169.254/latest/meta-data/"):
        reply = await env.ask_one(german, link, user_id=german, language_code="de")
        assert parse_telegram_html(reply.text or "") == (
            f"⚠️ Diesen Link kann ich nicht öffnen: {httpx.URL(link).host} ist eine private oder "
            "lokale Adresse; nur öffentliche Webseiten sind erlaubt."
        )
    assert articles.requested == []
