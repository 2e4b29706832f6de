"""Private chats end to end: every input kind, the buttons under a summary, progress, cache."""

from __future__ import annotations

import html
from pathlib import Path

from bot.telegram.formatting import (
    DOCUMENT_THRESHOLD_MESSAGES,
    render_full_translation,
    should_send_as_document,
)
from tests.support.bot_api_server import SentMessage, channel_origin
from tests.support.bot_harness import (
    GERMAN_ARTICLE,
    PRIVATE_CHAT,
    USER_ID,
    ArticleServer,
    BotEnv,
    bot_env,
    buttons,
    german_article_html,
)
from tests.support.telegram_html import assert_valid_telegram_html, parse_telegram_html
from translation.inputs import TextInput
from translation.models.engine import TranslationEngine


def _is_summary(text: str | None) -> bool:
    """A summary reply: heading, detected German, an English section with bullets."""
    assert text is not None
    visible = parse_telegram_html(text)
    return "Source language: German (de)" in visible and "English" in visible and "• " in visible


async def _jobs_all_done(env: BotEnv) -> None:
    assert await env.storage.jobs.count_unfinished() == 0


async def test_pasted_text_gets_one_summary_with_buttons(env: BotEnv) -> None:
    reply = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
    assert _is_summary(reply.text)
    assert "Stadtrat beschließt neues Verkehrskonzept" in parse_telegram_html(reply.text or "")
    labels = buttons(reply)
    assert set(labels) == {"Full translation: English", "Original summary", "Shorter", "Longer"}
    assert env.server.calls("sendChatAction"), "the bot shows it is typing"
    await _jobs_all_done(env)
    stats = await env.storage.stats.summary()
    assert stats.total == 1 and stats.cache_hits == 0
    assert "translate" in stats.median_ms and "total" in stats.median_ms


async def test_same_text_again_is_a_cache_hit(env: BotEnv) -> None:
    first = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
    # Other whitespace, same content: the same cache entry.
    second = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE.replace("\n\n", "\n\n\n"))
    assert second.text == first.text
    stats = await env.storage.stats.summary()
    assert (stats.total, stats.cache_hits) == (2, 1)


async def test_link_is_fetched_and_the_title_links_to_it(
    web_env: BotEnv, articles: ArticleServer
) -> None:
    url = articles.add("/politik/verkehr.html", german_article_html())
    reply = await web_env.ask_one(PRIVATE_CHAT, f"Schau mal: {url}")
    assert _is_summary(reply.text)
    assert f'<a href="{html.escape(url)}">' in (reply.text or "")
    assert "Impressum" not in (reply.text or "")


async def test_forwarded_channel_post_text_and_caption(env: BotEnv) -> None:
    origin = channel_origin(title="Stadtnachrichten")
    reply = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE, forward_origin=origin)
    assert _is_summary(reply.text)
    caption_reply = await env.ask_one(
        PRIVATE_CHAT, None, caption=GERMAN_ARTICLE[:1000], forward_origin=origin
    )
    assert _is_summary(caption_reply.text)


async def test_a_channel_teaser_with_a_link_behind_its_words_summarizes_the_article(
    web_env: BotEnv, articles: ArticleServer
) -> None:
    """News channels post "Neues Verkehrskonzept. Mehr dazu" with the URL behind "Mehr dazu"."""
    url = articles.add("/politik/teaser.html", german_article_html())
    teaser = "Bern plant ein neues Verkehrskonzept. Mehr dazu"
    link = {"type": "text_link", "offset": teaser.index("Mehr"), "length": 9, "url": url}
    origin = channel_origin(title="Stadtnachrichten")
    reply = await web_env.ask_one(PRIVATE_CHAT, teaser, entities=[link], forward_origin=origin)
    assert _is_summary(reply.text)
    assert f'<a href="{html.escape(url)}">' in (reply.text or ""), "the article, not the teaser"
    short = await web_env.ask_one(PRIVATE_CHAT, "Lesenswert!", entities=[{**link, "offset": 0}])
    assert f'<a href="{html.escape(url)}">' in (short.text or ""), "a linked word is no remark"


async def test_text_html_and_markdown_documents(env: BotEnv) -> None:
    documents = [
        ("artikel.txt", "text/plain", GERMAN_ARTICLE.encode("utf-8")),
        ("artikel.html", "text/html", german_article_html().encode("utf-8")),
        ("artikel.md", "text/markdown", ("# " + GERMAN_ARTICLE).encode("utf-8")),
        # Not UTF-8: Latin-1 bytes are decoded by charset detection, not refused.
        ("latin1.txt", "text/plain", GERMAN_ARTICLE.encode("latin-1")),
    ]
    for name, mime, content in documents:
        reply = await env.ask_one(PRIVATE_CHAT, None, document=(name, mime, content))
        assert _is_summary(reply.text), (name, reply.text)
    assert len(env.server.calls("getFile")) == len(documents)


async def test_progress_message_is_edited_into_the_answer(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with bot_env(tmp_path, packages_dir, engine, progress_delay=0.0) as env:
        reply = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
        assert _is_summary(reply.text)
        edits = [
            c.params["text"]
            for c in env.server.calls("editMessageText")
            if c.params.get("message_id") == reply.message_id
        ]
        assert any("Translating to English" in text for text in edits), edits
        assert reply.edits >= 2  # stages, then the answer: one message throughout
        sends = env.server.calls("sendMessage")
        assert "Working on it" in sends[0].params["text"]
        assert len(sends) == 1
        # A cache hit answers while the progress message is still on its way: that message
        # must become the answer too, not stay behind as a second "Working on it…".
        for _ in range(3):
            again = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
            assert again.text == reply.text


async def test_buttons_shorter_longer_original_and_full_translation(env: BotEnv) -> None:
    reply = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
    chat, message_id = PRIVATE_CHAT, reply.message_id

    def bullets() -> int:
        return (env.server.message_text(chat, message_id) or "").count("• ")

    default = bullets()
    assert default == 3
    await env.press(chat, USER_ID, buttons(reply)["Shorter"], message_id)
    assert bullets() == 2
    current = env.server.sent_messages(chat)[-1]
    await env.press(chat, USER_ID, buttons(current)["Longer"], message_id)
    await env.press(
        chat, USER_ID, buttons(env.server.sent_messages(chat)[-1])["Longer"], message_id
    )
    assert bullets() == 4
    current = env.server.sent_messages(chat)[-1]
    await env.press(chat, USER_ID, buttons(current)["Original summary"], message_id)
    text = env.server.message_text(chat, message_id) or ""
    assert "German (original)" in parse_telegram_html(text)
    assert "Back to translations" in buttons(env.server.sent_messages(chat)[-1])

    await _jobs_all_done(env)


async def _expected_full_translation(env: BotEnv, text: str, target: str) -> list[str]:
    """What the bot must deliver, computed with the same pipeline and formatter."""
    pipeline = env.runtime.service.pipeline
    prepared = await pipeline.prepare(TextInput(text))
    translation = pipeline.translate_prepared(prepared, target)
    return render_full_translation(translation, "en")


async def _press_full(env: BotEnv, reply: SentMessage, label: str) -> list[SentMessage]:
    before = len(env.server.sent_messages(PRIVATE_CHAT))
    await env.press(PRIVATE_CHAT, USER_ID, buttons(reply)[label], reply.message_id)
    return env.server.sent_messages(PRIVATE_CHAT)[before:]


async def test_full_translation_is_split_into_messages(env: BotEnv) -> None:
    text = GERMAN_ARTICLE
    expected = await _expected_full_translation(env, text, "en")
    assert 2 <= len(expected) <= DOCUMENT_THRESHOLD_MESSAGES, "precondition: a split reply"
    reply = await env.ask_one(PRIVATE_CHAT, text)
    sent = await _press_full(env, reply, "Full translation: English")
    assert [m.text for m in sent] == expected
    for part in sent:
        assert part.document is None
        assert_valid_telegram_html(part.text or "")
    assert "Translation German → English" in parse_telegram_html(sent[0].text or "")


async def test_very_long_full_translation_is_sent_as_a_file(env: BotEnv) -> None:
    text = "\n\n".join(GERMAN_ARTICLE.split("\n\n")[1:] * 6)
    expected = await _expected_full_translation(env, text, "en")
    assert should_send_as_document(expected), "precondition: too long for a few messages"
    reply = await env.ask_one(PRIVATE_CHAT, text)
    sent = await _press_full(env, reply, "Full translation: English")
    assert len(sent) == 1 and sent[0].document is not None
    assert sent[0].document.file_name.endswith(".txt")
    body = sent[0].document.content.decode("utf-8")
    assert len(body) > DOCUMENT_THRESHOLD_MESSAGES * 4096 // 2
    assert "Full translation into English" in (sent[0].text or "")


async def test_translate_command_replying_to_a_message(env: BotEnv) -> None:
    original = env.server.push_message(PRIVATE_CHAT, GERMAN_ARTICLE)
    await env.settled()
    expected = await _expected_full_translation(env, GERMAN_ARTICLE, "fr")
    replies = await env.ask(PRIVATE_CHAT, "/translate fr", reply_to=original["message_id"])
    if should_send_as_document(expected):
        assert len(replies) == 1 and replies[0].document is not None
        assert "Full translation into French" in (replies[0].text or "")
    else:
        assert [m.text for m in replies] == expected
        assert "(via English)" in parse_telegram_html(replies[0].text or "")


async def test_an_edited_message_is_not_a_new_request(env: BotEnv) -> None:
    message = env.server.push_message(PRIVATE_CHAT, "/help")
    await env.settled()
    before = len(env.server.sent_messages(PRIVATE_CHAT))
    edited = {**message, "text": GERMAN_ARTICLE, "entities": [], "edit_date": message["date"] + 5}
    env.server.push_raw({"edited_message": edited})
    await env.settled()
    assert len(env.server.sent_messages(PRIVATE_CHAT)) == before


async def test_german_users_get_german_replies_and_buttons(env: BotEnv) -> None:
    reply = await env.ask_one(2500, GERMAN_ARTICLE, user_id=2500, language_code="de")
    assert "Ausgangssprache: Deutsch (de)" in parse_telegram_html(reply.text or "")
    assert {"Kürzer", "Länger", "Original-Zusammenfassung"} <= set(buttons(reply))
    error = await env.ask_one(2500, "😀😀😀", user_id=2500, language_code="de")
    assert "Sprache" in parse_telegram_html(error.text or "")


ENGLISH_ARTICLE = (
    "The city council approved a new transport plan for the town centre on Tuesday. "
    "Buses and trams will run every five minutes during rush hour. "
    "The mayor called the plan an important step for the climate. "
    "The opposition said the money for it has not been found yet."
)


async def test_buttons_offer_only_what_changes_the_message(env: BotEnv) -> None:
    # English text, English target: nothing to translate, the original is what is shown.
    english = await env.ask_one(PRIVATE_CHAT, ENGLISH_ARTICLE)
    assert "Source language: English (en)" in parse_telegram_html(english.text or "")
    assert set(buttons(english)) == {"Shorter", "Longer"}
    # Two sentences, three asked: "Shorter" goes to one sentence, and there is no "Longer".
    two = ". ".join(GERMAN_ARTICLE.split("\n\n")[1].split(". ")[:2]) + "."
    reply = await env.ask_one(PRIVATE_CHAT, two)
    assert (reply.text or "").count("• ") == 2
    assert "Longer" not in buttons(reply)
    await env.press(PRIVATE_CHAT, USER_ID, buttons(reply)["Shorter"], reply.message_id)
    assert (env.server.message_text(PRIVATE_CHAT, reply.message_id) or "").count("• ") == 1
    # One sentence with no model for its language: the summary comes without any buttons.
    arabic = "أعلن مجلس المدينة يوم الثلاثاء عن خطة جديدة للنقل العام في وسط المدينة."
    lone = await env.ask_one(PRIVATE_CHAT, arabic)
    assert "• " + arabic in parse_telegram_html(lone.text or "")
    assert lone.reply_markup is None
