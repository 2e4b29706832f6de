"""Inline-button payloads that cannot be forged, tampered with or replayed in another chat.

Telegram hands callback data back verbatim, but any client can send any callback data for a
message it can see. So every payload is ``action|arg|...|tag`` where ``tag`` is a truncated
HMAC-SHA256 over the chat id, the action and the arguments: a copied button stops working in
another chat, and anything not produced by :meth:`CallbackCodec.encode` is refused before a
handler sees it. The whole string stays within Telegram's 64-byte limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.settings import GROUP_MODES, valid_sentences
from translation import Algorithm

MAX_BYTES = 64
SEPARATOR = "|"
TAG_BYTES = 12  # 96 bits; 16 base64url characters, no padding
SETTINGS_PAGES = ("main", "langs", "length", "algo", "mode")
#: A settings button that acts on a channel's settings rather than on the chat it is shown in.
CHANNEL_ACTION = "chan"
#: The settings actions a channel has (its mode and languages).
CHANNEL_SETTINGS = ("nav", "lang", "mode", "done")
NO_ARGUMENT = "-"

Validator = Callable[[str], bool]


class InvalidCallback(ValueError):
    """Callback data that this bot did not produce for this chat; never act on it."""


def _pattern(regex: str) -> Validator:
    compiled = re.compile(regex)
    return lambda value: compiled.fullmatch(value) is not None


def _one_of(values: tuple[str, ...]) -> Validator:
    allowed = frozenset(values)
    return lambda value: value in allowed


_LANGUAGE = _pattern(r"[a-z]{2,3}")
_RESULT_ID = _pattern(r"[A-Za-z0-9_-]{1,24}")


def _sentences(value: str) -> bool:
    return (
        value.isascii()
        and value.isdigit()
        and value == str(int(value))
        and valid_sentences(int(value))
    )


# action -> validators of its positional arguments. The one place that says what a button may do.
ACTIONS: dict[str, tuple[Validator, ...]] = {
    "nav": (_one_of(SETTINGS_PAGES),),  # settings menu navigation
    "lang": (_LANGUAGE,),  # toggle a target language
    "len": (_sentences,),  # summary length in sentences
    "algo": (_one_of(tuple(a.value for a in Algorithm)),),
    "mode": (_one_of(GROUP_MODES),),  # group mode
    "src": (),  # toggle "show source summary"
    "done": (),  # close the settings menu
    "full": (_LANGUAGE, _RESULT_ID),  # full translation into LANG of a result/job
    "orig": (_RESULT_ID,),  # show the source-language summary of a result
    "short": (_RESULT_ID,),  # one sentence fewer
    "long": (_RESULT_ID,),  # one sentence more
    # pause, resume, unfollow or switch the delivery mode of the followed feed with this id
    "feed": (_one_of(("pause", "resume", "unfollow", "mode")), _pattern(r"[0-9]{1,12}")),
    # the same for a channel's feeds listed in another chat (the channel's id last)
    "cfeed": (
        _one_of(("pause", "resume", "unfollow", "mode")),
        _pattern(r"[0-9]{1,12}"),
        _pattern(r"-100[0-9]{5,13}"),
    ),
    # a settings action (nav, lang, mode, done; "-": no argument) on this channel's settings
    CHANNEL_ACTION: (
        _pattern(r"-100[0-9]{1,13}"),
        _one_of(CHANNEL_SETTINGS),
        _pattern(r"-|[a-z]{2,7}"),
    ),
}


@dataclass(frozen=True)
class CallbackPayload:
    """What a button asks for: an action from ACTIONS and its arguments (all strings)."""

    action: str
    args: tuple[str, ...] = ()


def derive_secret(bot_token: str) -> bytes:
    """A callback key derived from the bot token: stable across restarts (old buttons keep
    working) yet not the token itself."""
    return hmac.new(bot_token.encode("utf-8"), b"briefbot/callback-data/v1", "sha256").digest()


def _validate(payload: CallbackPayload) -> None:
    validators = ACTIONS.get(payload.action)
    if validators is None:
        raise InvalidCallback("unknown action")
    if len(payload.args) != len(validators):
        raise InvalidCallback("wrong number of arguments")
    if not all(check(arg) for check, arg in zip(validators, payload.args, strict=True)):
        raise InvalidCallback("malformed argument")


class CallbackCodec:
    """Encodes payloads bound to a chat and decodes only what it encoded for that same chat."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the callback secret must have at least 16 bytes")
        self._secret = secret

    def _tag(self, chat_id: int, fields: list[str]) -> str:
        message = SEPARATOR.join([str(chat_id), *fields]).encode("utf-8")
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()[:TAG_BYTES]
        return base64.urlsafe_b64encode(digest).decode("ascii")

    def encode(self, payload: CallbackPayload, chat_id: int) -> str:
        """The callback_data string for a button shown in ``chat_id``."""
        _validate(payload)
        fields = [payload.action, *payload.args]
        data = SEPARATOR.join([*fields, self._tag(chat_id, fields)])
        if len(data.encode("utf-8")) > MAX_BYTES:
            raise InvalidCallback("payload exceeds 64 bytes")
        return data

    def decode(self, data: str, chat_id: int) -> CallbackPayload:
        """The payload if this codec encoded ``data`` for ``chat_id``; else InvalidCallback."""
        try:
            raw = data.encode("utf-8")
        except (AttributeError, UnicodeEncodeError):  # not a str, or lone surrogates
            raise InvalidCallback("callback data is not valid text") from None
        if len(raw) > MAX_BYTES:
            raise InvalidCallback("callback data exceeds 64 bytes")
        *fields, tag = data.split(SEPARATOR)
        if not fields:
            raise InvalidCallback("no action")
        expected = self._tag(chat_id, fields).encode("ascii")
        if not hmac.compare_digest(tag.encode("utf-8"), expected):
            raise InvalidCallback("bad tag")
        payload = CallbackPayload(fields[0], tuple(fields[1:]))
        _validate(payload)
        return payload


def for_channel(channel_id: int, payload: CallbackPayload) -> CallbackPayload:
    """``payload`` (a settings action) applied to channel ``channel_id``'s settings."""
    args = payload.args or (NO_ARGUMENT,)
    return CallbackPayload(CHANNEL_ACTION, (str(channel_id), payload.action, *args))


def channel_target(payload: CallbackPayload) -> tuple[int, CallbackPayload]:
    """The inverse of :func:`for_channel`: the channel and its settings action, validated
    like any payload (InvalidCallback otherwise)."""
    _validate(payload)
    if payload.action != CHANNEL_ACTION:
        raise InvalidCallback("not a channel action")
    channel, action, arg = payload.args
    inner = CallbackPayload(action, () if arg == NO_ARGUMENT else (arg,))
    _validate(inner)
    return int(channel), inner
