"""The redactor that keeps the bot token out of every log line and start-up error (issue 13)."""

from __future__ import annotations

import pytest

from bot.telegram.logging_setup import REDACTED, Redactor, bot_secrets

TOKEN = "123456789:AAbriefbot-Loopback-Token"


@pytest.mark.parametrize(
    "leak",
    [
        f"GET /bot{TOKEN}/getMe",
        f"invalid path /bot{TOKEN.lower()}/getme",  # proxies and PTB change the case
        f"Bad Gateway for /BOT{TOKEN.upper()}/GETME",
        "path /bot123456789%3AAAbriefbot-Loopback-Token/getMe",  # URL-encoded colon
        "the secret half alone: AAbriefbot-Loopback-Token",
        "webhook secret in a header: Generated_Secret-42",
    ],
)
def test_every_spelling_of_a_secret_is_redacted(leak: str) -> None:
    redact = Redactor(bot_secrets(TOKEN, "Generated_Secret-42"))
    shown = redact(leak)
    assert REDACTED in shown
    lowered = shown.lower()
    assert "aabriefbot-loopback-token" not in lowered and "generated_secret-42" not in lowered


def test_short_or_missing_secrets_redact_nothing() -> None:
    redact = Redactor(["", "abc"])
    assert redact("abc def") == "abc def"
