"""Telegram HTML replies (parse_mode HTML) built from pipeline results.

Every string that comes from an article or a user is escaped here and nowhere else; the only
markup in a reply is our own. Telegram limits a message to 4096 UTF-16 code units, so lengths are
measured that way, and shortening always happens on the plain text *before* escaping: a cut can
never land inside a tag or an entity, and slicing a Python ``str`` never splits a surrogate pair.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal

from bot.telegram.i18n import t
from translation import FullTranslation, PipelineResult

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
DOCUMENT_THRESHOLD_MESSAGES = 3
ELLIPSIS = "…"
BULLET = "• "

_TITLE_BUDGET = 300  # escaped UTF-16 units; a title is a heading, not a paragraph
_HREF_BUDGET = 1024
_NOTE_BUDGET = 300
_NOTES_BUDGET = 900
_ERROR_BUDGET = 1000
_MIN_LIMIT = 16  # below this a single escaped character might not fit

# C0/C1 controls except tab and newline, and lone surrogates: Telegram rejects or drops them.
# Bidi embeddings, overrides, isolates and the LRM/RLM marks: a page title with U+202E shows
# "exe.pdf" as "fdp.exe" (title spoofing); replies are laid out by the client's own bidi rules.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_ESCAPED_WIDTH = {"&": 5, "<": 4, ">": 4, '"': 6, "'": 6}
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?…:;])\s+")
_HOST = re.compile(r"[\w.-]+")

# Argos package codes that are not ISO 639 codes, so Babel does not know them.
_EXTRA_NAMES: dict[str, dict[str, str]] = {
    "en": {"zt": "Chinese (Traditional)", "pb": "Portuguese (Brazil)"},
    "de": {"zt": "Chinesisch (traditionell)", "pb": "Portugiesisch (Brasilien)"},
}


# -- measuring and cleaning -------------------------------------------------------------------


def utf16_len(s: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (characters outside the BMP count 2)."""
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def escape(text: str) -> str:
    """HTML-escape for both text and attribute values (quotes included)."""
    return html.escape(text, quote=True)


def clean_text(text: str) -> str:
    """Drop characters Telegram refuses (control characters, lone surrogates) and invisible
    bidi controls that would let a page reorder what our reply shows."""
    return _UNSAFE.sub("", text)


def one_line(text: str) -> str:
    """Clean text with every run of whitespace (newlines included) collapsed to one space."""
    return " ".join(clean_text(text).split())


@dataclass(frozen=True)
class _Measure:
    """An additive length: ``total(a + b) == total(a) + total(b)``, which packing relies on."""

    total: Callable[[str], int]
    char: Callable[[str], int]

    def prefix_fitting(self, text: str, budget: int) -> int:
        """How many leading characters of ``text`` fit in ``budget`` units."""
        if budget <= 0:
            return 0
        head = text[:budget]  # every character costs at least one unit
        return bisect_right(list(accumulate(map(self.char, head))), budget)


def _plain_char(c: str) -> int:
    return 2 if ord(c) > 0xFFFF else 1


def _escaped_char(c: str) -> int:
    return _ESCAPED_WIDTH.get(c) or _plain_char(c)


PLAIN = _Measure(utf16_len, _plain_char)
ESCAPED = _Measure(lambda s: utf16_len(escape(s)), _escaped_char)


def truncate(text: str, budget: int, measure: _Measure = ESCAPED) -> str:
    """``text`` shortened to ``budget`` units with a trailing "…", preferring a word boundary."""
    if len(text) <= budget and measure.total(text) <= budget:
        return text
    room = budget - utf16_len(ELLIPSIS)
    if room <= 0:
        return ELLIPSIS if budget >= 1 else ""
    prefix = text[: measure.prefix_fitting(text, room)]
    cut = prefix.rfind(" ")
    if cut >= 0.6 * len(prefix):
        prefix = prefix[:cut]
    return prefix.rstrip() + ELLIPSIS


# -- numbers ----------------------------------------------------------------------------------


def format_number(value: float, ui: str) -> str:
    """A number as the UI language writes it: 100,000 and 1.5 in English, 100.000 and 1,5 in
    German."""
    try:
        return format_decimal(value, locale=ui)
    except (UnknownLocaleError, ValueError):
        return format_decimal(value, locale="en")


def human_bytes(size: int, ui: str) -> str:
    """A byte count for people: "2 MB", "1,5 MB" (German), "512 bytes"."""
    for unit, factor in (("MB", 1_000_000), ("kB", 1_000)):
        if size >= factor:
            return f"{format_number(round(size / factor, 1), ui)} {unit}"
    return f"{format_number(size, ui)} bytes"


# -- language names ---------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def language_name(code: str, ui: str) -> str:
    """A language's name in the UI language ("de" -> "German" / "Deutsch"); unknown -> code."""
    key = code.strip().lower().replace("-", "_")
    extra = _EXTRA_NAMES.get(ui, _EXTRA_NAMES["en"]).get(key)
    if extra:
        return extra
    try:
        names = Locale.parse(ui).languages
    except (UnknownLocaleError, ValueError, TypeError):
        names = Locale.parse("en").languages
    name = (names.get(key) or names.get(key.split("_", 1)[0])) if key else None
    return name[:1].upper() + name[1:] if name else code


def _language_path(path: str, ui: str) -> str:
    """Pivot route "en" or "en→es" as names: "English" / "English → Spanish"."""
    return " → ".join(language_name(code, ui) for code in path.split("→") if code)


# -- summary ----------------------------------------------------------------------------------


def _safe_href(url: str | None) -> str | None:
    """The URL if Telegram will accept it as a link target (http/https, sane, short), else None."""
    if not url:
        return None
    url = url.strip()
    if any(c.isspace() or unicodedata.category(c) in ("Cc", "Cs") for c in url):
        return None
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if not _HOST.fullmatch(parts.hostname) or ESCAPED.total(url) > _HREF_BUDGET:
        return None
    return url


def _heading(title: str | None, url: str | None, fallback: str) -> str:
    """Bold title, linked to the source when there is a usable URL."""
    href = _safe_href(url)
    text = one_line(title or "")
    if not text and href:
        text = urlsplit(href).hostname or ""
    label = escape(truncate(text or fallback, _TITLE_BUDGET))
    if href:
        return f'<b><a href="{escape(href)}">{label}</a></b>'
    return f"<b>{label}</b>"


def _italic(text: str, budget: int = _NOTE_BUDGET) -> str:
    return f"<i>{escape(truncate(one_line(text), budget))}</i>"


@dataclass
class _SummaryLayout:
    """A summary message before its bullets are fitted into the length limit."""

    head: list[str]
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Sections shown folded (an expandable blockquote): the original-language summary next
    #: to its translations, which readers open only when they want it.
    collapsed: set[int] = field(default_factory=set)

    def render(self, bullets: Sequence[Sequence[str]] | None = None) -> str:
        groups = bullets if bullets is not None else [b for _, b in self.sections]
        parts = ["\n".join(self.head)]
        for index, ((header, _), items) in enumerate(zip(self.sections, groups, strict=True)):
            lines = [BULLET + escape(b) for b in items]
            if index in self.collapsed and lines:
                lines = [f"<blockquote expandable>{chr(10).join(lines)}</blockquote>"]
            parts.append("\n".join([header, *lines]))
        if self.notes:
            parts.append("\n".join(self.notes))
        return "\n\n".join(parts)

    def fixed_cost(self) -> int:
        return utf16_len(self.render([[""] * len(b) for _, b in self.sections]))

    def bullet_count(self) -> int:
        return sum(len(b) for _, b in self.sections)


def _section_header(language: str, ui: str, pivot: str | None, original: bool) -> str:
    name = language_name(language, ui)
    if original:
        name = t("summary.original_heading", ui, language=name)
    header = f"<b>{escape(truncate(one_line(name), 100))}</b>"
    if pivot:
        header += " " + _italic(
            "(" + t("summary.via", ui, language=_language_path(pivot, ui)) + ")"
        )
    return header


def _summary_layout(
    result: PipelineResult, targets: Sequence[str], ui: str, show_source: bool, operator: bool
) -> _SummaryLayout:
    source = result.source_language
    detected = f"{language_name(source, ui)} ({source})"
    source_line = t("summary.source_language", ui, language=detected)
    if result.detection.uncertain:
        source_line += ", " + t("summary.uncertain", ui)
    layout = _SummaryLayout([_heading(result.title, result.url, t("summary.heading", ui))])
    layout.head.append(_italic(source_line))
    missing_notes: list[str] = []
    for target in dict.fromkeys(targets):
        sentences = result.summaries.get(target)
        if sentences is not None:
            header = _section_header(target, ui, result.pivots.get(target), original=False)
            translated_title = result.titles.get(target)
            if translated_title:  # the original title stays the linked heading
                header += "\n" + _italic(one_line(translated_title))
            layout.sections.append((header, [one_line(s) for s in sentences]))
        elif target in result.missing:
            note = t("summary.unavailable", ui, language=language_name(target, ui))
            if operator:  # only whoever runs the bot can install models
                needed = result.missing_packages.get(target) or [f"{source}-{target}"]
                packages = ", ".join(code.replace("-", "→") for code in needed)
                note += " " + t("summary.install_hint", ui, packages=packages)
            missing_notes.append(_italic("⚠️ " + note))
    source_shown = source in dict.fromkeys(targets) and source in result.summaries
    if not source_shown and (show_source or not layout.sections):
        if not layout.sections:
            layout.head.append(
                _italic(t("summary.no_targets", ui, language=language_name(source, ui)))
            )
        header = _section_header(source, ui, None, original=True)
        if layout.sections:  # next to translations: folded
            layout.collapsed.add(len(layout.sections))
        layout.sections.append((header, [one_line(s) for s in result.summaries.get(source, [])]))
    layout.notes = _bounded_notes(missing_notes)
    return layout


def _bounded_notes(notes: list[str]) -> list[str]:
    kept: list[str] = []
    used = 0
    for note in notes:
        used += utf16_len(note) + 1
        if used > _NOTES_BUDGET:
            kept.append(ELLIPSIS)
            break
        kept.append(note)
    return kept


def _fit_bullets(bullets: list[list[str]], budget: int) -> list[list[str]] | None:
    """Shorten the longest bullets first (one common cap) until all fit in ``budget``."""

    def capped(cap: int) -> list[list[str]]:
        return [[truncate(b, cap) for b in group] for group in bullets]

    def total(groups: list[list[str]]) -> int:
        return sum(ESCAPED.total(b) for group in groups for b in group)

    if total(capped(MESSAGE_LIMIT)) <= budget:
        return capped(MESSAGE_LIMIT)
    low, high = 1, MESSAGE_LIMIT
    while low < high:
        mid = (low + high + 1) // 2
        if total(capped(mid)) <= budget:
            low = mid
        else:
            high = mid - 1
    best = capped(low)
    return best if total(best) <= budget else None


def render_summary(
    result: PipelineResult,
    targets: Sequence[str],
    ui: str,
    show_source: bool,
    operator: bool = False,
) -> str:
    """One reply: linked title, detected language, a bulleted summary per target language, the
    source summary when asked for (or when no translation exists), and notes on missing models
    (with what to install for an ``operator``). Always valid Telegram HTML of at most 4096
    UTF-16 units."""
    layout = _summary_layout(result, targets, ui, show_source, operator)
    while True:
        budget = MESSAGE_LIMIT - layout.fixed_cost()
        if budget >= layout.bullet_count():  # else not even "…" per bullet fits
            fitted = _fit_bullets([b for _, b in layout.sections], budget)
            if fitted is not None:
                return layout.render(fitted)
        # Too many sections for even one "…" per bullet: drop whole sections from the end.
        layout.sections.pop()
        if layout.notes[-1:] != [ELLIPSIS]:
            layout.notes.append(ELLIPSIS)


# -- splitting long texts ---------------------------------------------------------------------

Splitter = Callable[[str], tuple[list[str], str]]


class _Packer:
    """Greedy packing of pieces into chunks, splitting a piece finer only when it cannot fit a
    chunk of its own (paragraph -> sentence -> word -> character)."""

    def __init__(self, first_limit: int, limit: int, measure: _Measure) -> None:
        self.chunks: list[str] = []
        self._parts: list[str] = []
        self._used = 0
        self._first_limit = first_limit
        self._limit = limit
        self._measure = measure

    def _capacity(self) -> int:
        return self._first_limit if not self.chunks else self._limit

    def _append(self, text: str) -> None:
        self._parts.append(text)
        self._used += self._measure.total(text)

    def flush(self) -> list[str]:
        if self._parts:
            self.chunks.append("".join(self._parts))
            self._parts, self._used = [], 0
        return self.chunks

    def add(self, piece: str, sep: str, finer: Sequence[Splitter]) -> None:
        if not piece:
            return
        cost = self._measure.total(piece)
        joined = sep if self._parts else ""
        if self._used + self._measure.total(joined) + cost <= self._capacity():
            self._append(joined + piece)
        elif self._parts and cost <= self._limit:
            self.flush()
            self._append(piece)
        elif finer:
            parts, inner = finer[0](piece)
            if len(parts) <= 1:
                self.add(piece, sep, finer[1:])
                return
            for index, part in enumerate(parts):
                self.add(part, sep if index == 0 else inner, finer[1:])
        else:
            self._hard_split(piece, joined)

    def _hard_split(self, text: str, joined: str) -> None:
        if self._parts:
            room = self._capacity() - self._used - self._measure.total(joined)
            n = self._measure.prefix_fitting(text, room)
            if n:
                self._append(joined + text[:n])
                text = text[n:]
            self.flush()
        while text:
            n = max(1, self._measure.prefix_fitting(text, self._capacity()))
            self._append(text[:n])
            text = text[n:]
            if text:
                self.flush()


def _split_paragraphs(text: str) -> tuple[list[str], str]:
    return [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()], "\n\n"


def _split_lines(text: str) -> tuple[list[str], str]:
    return [line.strip() for line in text.split("\n") if line.strip()], "\n"


def _split_sentences(text: str) -> tuple[list[str], str]:
    return [s for s in _SENTENCE_END.split(text) if s], " "


def _split_words(text: str) -> tuple[list[str], str]:
    return text.split(), " "


def split_message(text: str, limit: int = MESSAGE_LIMIT, *, escaped: bool = False) -> list[str]:
    """Plain ``text`` cut into messages of at most ``limit`` UTF-16 units, at paragraph, line,
    sentence, then word boundaries (hard cuts only for a single overlong word).

    With ``escaped=True`` the parts come back HTML-escaped and the limit applies to the escaped
    form, ready for parse_mode HTML.
    """
    if limit < _MIN_LIMIT:
        raise ValueError(f"limit must be at least {_MIN_LIMIT}")
    measure = ESCAPED if escaped else PLAIN
    packer = _Packer(limit, limit, measure)
    splitters = [_split_paragraphs, _split_lines, _split_sentences, _split_words]
    packer.add(clean_text(text).strip(), "", splitters)
    chunks = packer.flush()
    return [escape(c) for c in chunks] if escaped else chunks


def full_translation_header(tr: FullTranslation, ui: str) -> str:
    """Title (linked) and "Translation de → en (via English)" above the first part."""
    line = t(
        "full.heading",
        ui,
        source=language_name(tr.source_language, ui),
        target=language_name(tr.target_language, ui),
    )
    if tr.pivot:
        line += " (" + t("full.via", ui, language=_language_path(tr.pivot, ui)) + ")"
    return _heading(tr.title, tr.url, t("summary.heading", ui)) + "\n" + _italic(line)


def render_full_translation(tr: FullTranslation, ui: str) -> list[str]:
    """The translation as HTML messages of at most 4096 UTF-16 units each, split between
    paragraphs, then between the translator's own sentences, then between words."""
    header = full_translation_header(tr, ui)
    separator = "\n\n"
    packer = _Packer(MESSAGE_LIMIT - utf16_len(header + separator), MESSAGE_LIMIT, ESCAPED)
    for paragraph in tr.paragraphs:
        sentences = [s for s in (one_line(s) for s in paragraph) if s]

        def by_sentence(_: str, sentences: list[str] = sentences) -> tuple[list[str], str]:
            return sentences, " "

        packer.add(" ".join(sentences), separator, [by_sentence, _split_words])
    parts = [escape(chunk) for chunk in packer.flush()]
    if not parts:
        return [header]
    return [header + separator + parts[0], *parts[1:]]


def should_send_as_document(parts: Sequence[str]) -> bool:
    """More than a few messages is a wall of text in a chat: send a file instead."""
    return len(parts) > DOCUMENT_THRESHOLD_MESSAGES


def _slug(text: str, max_length: int = 40) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:max_length].strip("-")


def full_translation_as_document(tr: FullTranslation) -> tuple[str, bytes]:
    """(file name, UTF-8 text) for sending a long translation as a .txt document."""
    code = _slug(f"{tr.source_language}-{tr.target_language}", 20) or "translation"
    name = f"{_slug(tr.title or '') or 'translation'}.{code}.txt"
    header = [one_line(line) for line in (tr.title, tr.url) if line and one_line(line)]
    body = "\n\n".join(" ".join(one_line(s) for s in p) for p in tr.paragraphs)
    text = "\n".join(header) + ("\n\n" if header else "") + body + "\n"
    return name, text.encode("utf-8")


def render_document_caption(tr: FullTranslation, ui: str) -> str:
    """A short caption (Telegram allows 1024 units) for the translation document."""
    line = t("full.document_caption", ui, language=language_name(tr.target_language, ui))
    title = _heading(tr.title, None, t("summary.heading", ui)) if tr.title else ""
    caption = (title + "\n" if title else "") + _italic(line)
    return caption if utf16_len(caption) <= CAPTION_LIMIT else _italic(line)


def render_error(message: str, ui: str) -> str:
    """A short, escaped error line; an empty message becomes the generic apology."""
    text = clean_text(message).strip() or t("error.internal", ui)
    return "⚠️ " + escape(truncate(text, _ERROR_BUDGET))


def render_text(key: str, ui: str, **kwargs: object) -> str:
    """A bot text (see bot.telegram.i18n) ready for parse_mode HTML; placeholder values may be
    user input."""
    text = clean_text(t(key, ui, **kwargs)).strip() or key
    return escape(truncate(text, MESSAGE_LIMIT))
