"""Turning a Telegram message into a request Source, with the checks that need no download."""

from __future__ import annotations

import re
from pathlib import PurePath

from telegram import Message, MessageEntity, Update, User

from bot.config import LimitsConfig
from bot.core.requests import Destination, EmptyMessage, NotATextFile, Source, UnsupportedContent
from translation import LimitExceededError, find_urls

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".html", ".htm", ".xhtml"})
#: A message whose text is a link plus at most this many other characters is "a link".
LINK_MESSAGE_SLACK = 200
#: In a group's auto mode, texts longer than this are summarized unasked.
AUTO_TEXT_MIN_CHARS = 400
#: A post of at most this many characters with a link behind its words ("Mehr dazu") is a
#: teaser for that link: the article is summarized, not the teaser.
TEASER_MAX_CHARS = 600
_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff\x00-\x1f\x7f-\x9f]+")


def message_text(message: Message) -> str | None:
    """The text or caption (forwarded channel posts carry either)."""
    return message.text if message.text is not None else message.caption


def hidden_links(message: Message) -> list[str]:
    """Links behind words (text_link entities) of a text or caption, as news channels link
    their articles; they are not in the text itself."""
    entities = message.entities if message.text is not None else message.caption_entities
    return [e.url for e in entities if e.type == MessageEntity.TEXT_LINK and e.url]


def has_link(message: Message) -> bool:
    return bool(find_urls(message_text(message) or "") or hidden_links(message))


def is_visible(text: str) -> bool:
    return bool(_INVISIBLE.sub("", text))


def source_from_text(text: str) -> Source:
    """A link when the message is essentially one URL, else the text itself."""
    if not is_visible(text):
        raise EmptyMessage("The message is empty.")
    urls = find_urls(text)
    if urls and len(text.replace(urls[0], "").strip()) <= LINK_MESSAGE_SLACK:
        return Source("url", urls[0])
    return Source("text", text)


def source_from_message(message: Message, limits: LimitsConfig) -> Source:
    """What to summarize in ``message``; raises InputError subclasses the user should hear."""
    document = message.document
    if document is not None:
        name = document.file_name or "file"
        suffix = PurePath(name).suffix.lower()
        mime = (document.mime_type or "").lower()
        if suffix not in TEXT_SUFFIXES and not mime.startswith("text/"):
            raise NotATextFile(f"{name} is not a text file.", suffix or mime or "?")
        if document.file_size is not None and document.file_size > limits.max_file_bytes:
            raise LimitExceededError(
                f"That file is {document.file_size:,} bytes; the limit is "
                f"{limits.max_file_bytes:,} bytes.",
                limit="max_file_bytes",
            )
        return Source(
            "file",
            document.file_id,
            filename=name,
            file_size=document.file_size,
            file_unique_id=document.file_unique_id,
        )
    text = message_text(message)
    if text is None:
        raise UnsupportedContent("I can only read texts, links and text files.")
    source = source_from_text(text)
    links = hidden_links(message)
    if source.kind == "text" and links and len(text) <= TEASER_MAX_CHARS:
        return Source("url", links[0])
    return source


def destination(update: Update) -> Destination:
    message = update.effective_message
    user = update.effective_user
    chat = update.effective_chat
    assert chat is not None
    return Destination(
        chat_id=chat.id,
        reply_to=message.message_id if message is not None else None,
        user_id=user.id if user is not None else None,
    )


def strip_mentions(message: Message, bot: User) -> tuple[bool, str]:
    """(was the bot mentioned, the text without the mention) for a message or caption."""
    text = message_text(message) or ""
    entities = (
        message.parse_entities() if message.text is not None else message.parse_caption_entities()
    )
    mentioned = False
    for entity, value in entities.items():
        if entity.type == MessageEntity.MENTION and value.lower() == f"@{bot.username}".lower():
            mentioned = True
            text = text.replace(value, " ")
        elif entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id:
            mentioned = True
    return mentioned, text.strip()


def wants_auto_summary(text: str) -> bool:
    """Unasked, a group gets a summary only for links and long texts."""
    return bool(find_urls(text)) or len(text.strip()) > AUTO_TEXT_MIN_CHARS
