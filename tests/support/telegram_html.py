"""A strict model of Telegram's HTML parse mode, so tests and the loopback Bot API catch what
Telegram would refuse ("can't parse entities") before a real user ever sees the error.

It is deliberately stricter than Telegram where Telegram is lenient (bare ``&``, ``>``, unquoted
attributes): Briefbot must never rely on leniency.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

MESSAGE_LIMIT = 4096

# Tag -> attributes it may carry (value None: any value; a string: exactly that value).
_ALLOWED_TAGS: dict[str, dict[str, str | None]] = {
    "b": {},
    "strong": {},
    "i": {},
    "em": {},
    "u": {},
    "ins": {},
    "s": {},
    "strike": {},
    "del": {},
    "a": {"href": None},
    "code": {"class": None},
    "pre": {},
    "blockquote": {"expandable": None},
    "tg-spoiler": {},
    "span": {"class": "tg-spoiler"},
}
_REQUIRED_ATTRS = {"a": "href", "span": "class"}
_VERBATIM = {"code", "pre"}  # no other entity may nest inside these (except code in pre)

_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_AMPERSAND = re.compile(r"&")
_START_TAG = re.compile(r'<[a-z][a-z-]*(?:\s+[a-z-]+(?:="[^"<>]*")?)*\s*>')


class TelegramHtmlError(ValueError):
    """The text would be refused by Telegram (or is outside what Briefbot allows itself)."""


def utf16_units(text: str) -> int:
    """Telegram measures lengths in UTF-16 code units: an emoji outside the BMP counts twice."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _check_entities(text: str) -> None:
    for match in _AMPERSAND.finditer(text):
        entity = _ENTITY.match(text, match.start())
        if entity is None:
            raise TelegramHtmlError(f"bare '&' at {match.start()}")
        body = entity.group()[2:-1]
        if entity.group()[1] == "#":
            code = int(body[1:], 16) if body[:1] in "xX" else int(body)
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise TelegramHtmlError(f"invalid character reference {entity.group()}")


class _Parser(HTMLParser):
    """Tracks the open-tag stack and collects the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.visible: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        if tag not in _ALLOWED_TAGS:
            raise TelegramHtmlError(f"unsupported start tag {tag!r}")
        if not _START_TAG.fullmatch(raw):
            raise TelegramHtmlError(f"malformed start tag {raw!r}")
        allowed = _ALLOWED_TAGS[tag]
        names = [name for name, _ in attrs]
        if len(set(names)) != len(names):
            raise TelegramHtmlError(f"duplicate attribute in {raw!r}")
        for name, value in attrs:
            if name not in allowed:
                raise TelegramHtmlError(f"attribute {name!r} not allowed on <{tag}>")
            expected = allowed[name]
            if expected is not None and value != expected:
                raise TelegramHtmlError(f"<{tag} {name}> must be {expected!r}")
        required = _REQUIRED_ATTRS.get(tag)
        if required is not None and required not in names:
            raise TelegramHtmlError(f"<{tag}> needs {required!r}")
        if tag == "a" and not dict(attrs).get("href"):
            raise TelegramHtmlError("<a> with an empty href")
        self._check_nesting(tag)
        self.stack.append(tag)

    def _check_nesting(self, tag: str) -> None:
        inside = self.stack[-1] if self.stack else None
        if inside in _VERBATIM and not (inside == "pre" and tag == "code"):
            raise TelegramHtmlError(f"<{tag}> inside <{inside}>")
        if tag in self.stack and tag in {"a", "blockquote", "pre", "code"}:
            raise TelegramHtmlError(f"nested <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise TelegramHtmlError(f"unexpected end tag </{tag}> (open: {self.stack})")
        self.stack.pop()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise TelegramHtmlError(f"self-closing tag <{tag}/>")

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            raise TelegramHtmlError(f"unescaped '<' or '>' in text near {data[:40]!r}")
        self.visible.append(data)

    def handle_entityref(self, name: str) -> None:
        self.visible.append(unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.visible.append(unescape(f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        raise TelegramHtmlError("comments are not supported")

    def handle_decl(self, decl: str) -> None:
        raise TelegramHtmlError("declarations are not supported")

    def handle_pi(self, data: str) -> None:
        raise TelegramHtmlError("processing instructions are not supported")

    def unknown_decl(self, data: str) -> None:
        raise TelegramHtmlError("CDATA is not supported")


def parse_telegram_html(text: str) -> str:
    """Return the text Telegram would display, or raise TelegramHtmlError."""
    _check_entities(text)
    parser = _Parser()
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise TelegramHtmlError(f"unclosed tags: {parser.stack}")
    return "".join(parser.visible)


def assert_valid_telegram_html(text: str) -> None:
    """Briefbot's rule for every HTML message: parseable, non-empty, and <= 4096 UTF-16 units
    even before entity parsing (stricter than Telegram, which counts the visible text)."""
    visible = parse_telegram_html(text)
    if not visible.strip():
        raise TelegramHtmlError("message text is empty")
    if utf16_units(text) > MESSAGE_LIMIT:
        raise TelegramHtmlError(f"message is too long: {utf16_units(text)} UTF-16 units")
