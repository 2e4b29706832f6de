"""Offline paragraph, sentence and word segmentation: one segmentation for summary and translation.

Hand-written rules (``data/segmentation_rules.toml``) rather than a library: measured on our
German gold set (``evaluation/segmentation.py``) they beat pysbd, sentencex and syntok, run in
linear time, and need no NLTK/Stanza/spaCy data, which cannot be downloaded here.

How a boundary is decided: every run of terminal punctuation (plus closing quotes/brackets)
is a candidate. "?" / "!" / "…" end a sentence unless a lower-case word follows; CJK, Arabic,
Devanagari etc. full stops always do. A period is judged by the token before it (title,
abbreviation, sentence-final abbreviation, initial, ordinal) and the word after it (lower case,
a typical sentence starter, a month). A period glued to a capitalised word ("Schweiz.Die") is a
boundary when the token before it is a plain word.

Paragraphs are separated by blank lines. A single line break also separates paragraphs when
the line before it is complete on its own: it ends a sentence, it is a heading (no closing
punctuation, followed by a capitalised line), or the next line is a bullet/list item. Lines of
hard-wrapped text (e-mail style, similar widths) are joined instead.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import regex

from translation.text.normalize import normalize_text

__all__ = [
    "SumyTokenizer",
    "segment_paragraphs",
    "split_paragraphs",
    "split_sentences",
    "split_words",
]

# -- rules --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rules:
    titles: frozenset[str]
    abbreviations: frozenset[str]
    final: frozenset[str]
    before_number: frozenset[str]
    starters: frozenset[str]
    months: frozenset[str]
    ordinal_dot: bool


def _entries(*sections: dict[str, Any], key: str) -> frozenset[str]:
    return frozenset(
        entry.removesuffix(".").replace(" ", "")
        for section in sections
        for entry in section.get(key, ())
    )


@lru_cache(maxsize=1)
def _rule_table() -> dict[str, dict[str, Any]]:
    path = resources.files("translation").joinpath("data/segmentation_rules.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _language_key(language: str) -> str:
    return (language or "").strip().lower().replace("_", "-").split("-")[0]


@lru_cache(maxsize=64)
def _rules(language: str) -> _Rules:
    """Generic rules plus the language's own; an unknown language gets all starters."""
    table = _rule_table()
    generic = table["generic"]
    own = table.get(_language_key(language))
    if own is None or _language_key(language) == "generic":
        own = {}
        starters = _entries(*table.values(), key="starters")
    else:
        starters = _entries(own, key="starters")
    return _Rules(
        titles=_entries(generic, own, key="titles"),
        abbreviations=_entries(generic, own, key="abbreviations"),
        final=_entries(generic, own, key="final"),
        before_number=_entries(generic, own, key="before_number"),
        starters=frozenset(s.lower() for s in starters),
        months=frozenset(m.lower() for m in _entries(own, key="months")),
        ordinal_dot=bool(own.get("ordinal_dot", False)),
    )


def _listed(token: str, entries: frozenset[str]) -> bool:
    """Exact match, or a lower-case entry matching a capitalised token ("Bzw" for "bzw")."""
    return token in entries or token.lower() in entries


# -- paragraphs ---------------------------------------------------------------------------------

_BLANK_LINE = re.compile(r"\n\s*\n")
_BULLET = re.compile(
    r"(?:[-–—•·▪▫◦‣⁃*►▶▸➤➔→✓✔☑✅❌+]|\d{1,3}[.)]|[a-zA-Z]\)|\(\d{1,3}\)|[ivxIVX]{1,4}\))\s"
)
_OPENERS = "\"'„“”‚‘’»«‹›([{¿¡*"
_CLOSERS = frozenset("\"'”“’‘»«›‹)]}」』】〕）〉》")
_LINE_END = re.compile(r"[.!?…。！？؟।॥]['\"”“’‘»«›‹)\]]*$")
_SENTENCE_END_IN_LINE = re.compile(r"[.!?…]['\"”“’‘»«›‹)\]]*\s+")
_LINE_CONTINUES = re.compile(r"[,;:(\[/&+=–—-]$")
_WRAP_MAX_WIDTH = 120
_CAPITALIZED_NOUNS = frozenset({"", "de", "lb", "generic"})  # languages that capitalise nouns
_TITLE_MAX_CHARS = 150


@lru_cache(maxsize=2)
def _generic_words(key: str) -> frozenset[str]:
    """A word list of the generic rules (``dangling``, ``articles``)."""
    return frozenset(_rule_table()["generic"].get(key, ()))


def _looks_hard_wrapped(lines: list[str]) -> bool:
    """Lines of similar width (e-mail style wrapping): their line breaks are just spaces."""
    if len(lines) < 3:
        return False
    body = lines[:-1]
    width = max(len(line) for line in body)
    if not 40 <= width <= _WRAP_MAX_WIDTH:
        return False
    near = sum(1 for line in body if len(line) >= 0.7 * width)
    return near >= 0.8 * len(body)


def _starts_new_unit(next_line: str) -> bool:
    first = next_line.lstrip(_OPENERS)[:1]
    return not first or not first.islower()


def _heading_tail(line: str) -> str:
    """The part of a line after its last sentence end ("… wurde. Biker erleidet Verletzung")."""
    start = 0
    for match in _SENTENCE_END_IN_LINE.finditer(line):
        start = match.end()
    return line[start:]


def _breaks_after(line: str, next_line: str, wrapped: bool, width: int, capitalized: bool) -> bool:
    if _BULLET.match(next_line):
        return True
    if wrapped and len(line) >= 0.6 * width:
        return False
    if _LINE_END.search(line):
        return _starts_new_unit(next_line)
    tail = _heading_tail(line)
    return (
        0 < len(tail) <= _TITLE_MAX_CHARS
        and not _LINE_CONTINUES.search(tail)
        and not _ends_mid_phrase(tail, capitalized)
        and _starts_new_unit(next_line)
    )


def _ends_mid_phrase(line: str, capitalized: bool) -> bool:
    """ "… haben einen neuen" / "… and the": a line cut inside a noun phrase is no heading.

    Article + lower-case word is a cut phrase only where nouns are capitalised (German, or a
    text of unknown language); in French "Réforme des retraites" is a whole heading.
    """
    words = [word.strip(_OPENERS) for word in line.split()[-2:]]
    if words[-1].lower() in _generic_words("dangling"):
        return True
    if not capitalized:
        return False
    articles = _generic_words("articles")
    return len(words) == 2 and words[0].lower() in articles and words[1][:1].islower()


def _join(lines: list[str]) -> str:
    """Join the lines of one paragraph; "Corona-⏎Maßnahmen" becomes one word again."""
    out = lines[0]
    for line in lines[1:]:
        if out.endswith("-") and out[-2:-1].isalpha() and line[:1].isalpha():
            out += line
        else:
            out += " " + line
    return out


def _split_block(block: str, capitalized: bool) -> list[str]:
    lines = [line.strip() for line in block.split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return []
    wrapped = _looks_hard_wrapped(lines)
    width = max(len(line) for line in lines)
    paragraphs: list[str] = []
    current = [lines[0]]
    for line in lines[1:]:
        if _breaks_after(current[-1], line, wrapped, width, capitalized):
            paragraphs.append(_join(current))
            current = [line]
        else:
            current.append(line)
    paragraphs.append(_join(current))
    return paragraphs


def split_paragraphs(text: str, language: str | None = None) -> list[str]:
    """Normalised paragraphs: blank-line blocks, further split after headings and list items."""
    capitalized = language is None or _language_key(language) in _CAPITALIZED_NOUNS
    blocks = _BLANK_LINE.split(normalize_text(text))
    return [p for block in blocks for p in _split_block(block, capitalized)]


# -- sentences ----------------------------------------------------------------------------------

_TERMINATOR = re.compile(r"[.!?…‼⁇⁈⁉]+|[。！？｡]+|[؟۔।॥։።။]+")
_ALWAYS_FINAL = frozenset("。！？｡؟۔।॥։።။")
_QUESTION_OR_EXCLAMATION = frozenset("?!‼⁇⁈⁉")
_SPACED_CLOSER = re.compile(r"[ \u00a0\u202f][»”](?=\s|$)")
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_NEXT_WORD = re.compile(r"\s*(?:[^\w\s]\s?){0,4}(\w*)")
_ORDINAL_LIKE = re.compile(r"\d{1,3}|\d{1,2}\.\d{1,2}")
_ROMAN = re.compile(r"C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_NUMBER = re.compile(r"\d+(?:[.,’']\d+)*")
_DAY = re.compile(r"\d{1,2}")
_DATE_PART = re.compile(r"\d{1,2}\.(?:\d{4})?")
_DOTTED_ABBREVIATION = re.compile(r"(?:[^\W\d_]{1,3}\.)+[^\W\d_]{1,3}")
_TOKEN_WINDOW = 64
_QUOTE_PAIRS = {"«": "»", "»": "«", "„": "“", "“": "”", '"': '"', "‹": "›", "›": "‹"}


def _token_before(paragraph: str, end: int) -> tuple[str, int]:
    """The whitespace-delimited token ending at ``end`` (openers removed) and its start."""
    start = end
    floor = max(0, end - _TOKEN_WINDOW)
    while start > floor and not paragraph[start - 1].isspace():
        start -= 1
    token = paragraph[start:end]
    stripped = token.lstrip(_OPENERS)
    return stripped, start + len(token) - len(stripped)


def _token_after(paragraph: str, start: int) -> str:
    """The whitespace-delimited token after ``start`` (skipping spaces), without closers."""
    while start < len(paragraph) and paragraph[start].isspace():
        start += 1
    end = start
    limit = min(len(paragraph), start + _TOKEN_WINDOW)
    while end < limit and not paragraph[end].isspace():
        end += 1
    return paragraph[start:end].rstrip(",;:)]»«\"'”“")


def _is_abbreviation(token: str, rules: _Rules) -> bool:
    return (
        _listed(token, rules.abbreviations)
        or _listed(token, rules.titles)
        or _listed(token, rules.final)
        or (len(token) == 1 and token.isalpha())
        or bool(_DOTTED_ABBREVIATION.fullmatch(token))
    )


def _number_then_number(token: str, next_token: str) -> bool:
    """ "Platz 3. 2019 hätten", "unverändert 204. 4.090": a number ends, another starts."""
    spaced_date = _DAY.fullmatch(token) and _DATE_PART.fullmatch(next_token)  # "3. 10. 2024"
    return bool(_NUMBER.fullmatch(token)) and not spaced_date


def _counted_noun(word: str, rules: _Rules) -> bool:
    """ "Platz 3.", "Rang 9.", "Halle 6.": a noun before the number makes it a cardinal.

    German ordinals follow an article or preposition ("am 3.", "der 2."), never a bare noun,
    so after a capitalised word that is no sentence starter the period ends the sentence.
    """
    return (
        len(word) > 1
        and word[0].isupper()
        and word[1:].isalpha()
        and not word[1:].isupper()
        and word.lower() not in rules.starters
        and word.lower() not in rules.months
        and not _is_abbreviation(word, rules)
    )


def _period_ends_sentence(
    token: str, at_start: bool, word: str, next_token: str, rules: _Rules, previous: str = ""
) -> bool:
    """Decide a "." followed by whitespace, given the token before it and what follows."""
    first = word[:1]
    if first.islower():
        return False
    if _listed(token, rules.titles):
        return False
    if at_start and (_ORDINAL_LIKE.fullmatch(token) or (len(token) == 1 and token.isalpha())):
        return False  # an enumeration marker: "1. Punkt", "a. Punkt"
    if first.isdigit():
        if _is_abbreviation(token, rules) or _listed(token, rules.before_number):
            return False
        return _number_then_number(token, next_token) or not _NUMBER.fullmatch(token)
    if not first:
        return True
    if _listed(token, rules.final):
        return True
    starter = word.lower() in rules.starters
    if len(token) == 1 and token.isalpha():  # an initial, unless a real word follows
        return starter and len(word) > 1
    if _is_abbreviation(token, rules):
        return starter
    if len(token) > 1 and _ROMAN.fullmatch(token):  # "Carl XVI. Gustaf", "Ludwig XIV. war"
        return starter
    if rules.ordinal_dot and _ORDINAL_LIKE.fullmatch(token):
        if word.lower() in rules.months:
            return False
        return starter or (_DAY.fullmatch(token) is not None and _counted_noun(previous, rules))
    return True


def _glued_boundary(paragraph: str, start: int, after: int, rules: _Rules) -> bool:
    """ "…die Schweiz.Die Orkanböen": a missing space after a plain word before a capital."""
    if after + 1 >= len(paragraph) or start < 2:
        return False
    if not (paragraph[after].isupper() and paragraph[after + 1].islower()):
        return False
    token, _ = _token_before(paragraph, start)
    if len(token) < 2 or not token.replace("-", "").isalpha() or not token[-1].islower():
        return False
    if _is_abbreviation(token, rules):
        return False
    rest_end = after
    while rest_end < len(paragraph) and not paragraph[rest_end].isspace():
        rest_end += 1
    rest = paragraph[after:rest_end]
    return not re.search(r"[@/]|\.\w", rest)


def _is_boundary(paragraph: str, match: re.Match[str], after: int, rules: _Rules) -> bool:
    term = match.group()
    start = match.start()
    if term[-1] in _ALWAYS_FINAL:
        # 「本当ですか？」と彼は聞いた: a quotation particle continues the sentence
        return not (after > match.end() and _HIRAGANA.match(paragraph, after))
    if not paragraph[after].isspace():
        glued = after == match.end() and term in {".", "!", "?"}
        return glued and _glued_boundary(paragraph, start, after, rules)
    word = _NEXT_WORD.match(paragraph, after)
    next_word = word.group(1) if word else ""
    if any(ch in _QUESTION_OR_EXCLAMATION for ch in term):
        return not next_word[:1].islower()
    if term != ".":  # ellipsis ("…", "...")
        if start == 0 or paragraph[start - 1] in "([":
            return False
        return not next_word[:1].islower()
    token, token_start = _token_before(paragraph, start)
    next_token = _token_after(paragraph, after) if next_word[:1].isdigit() else ""
    previous = _token_before(paragraph, token_start - 1)[0] if token_start > 1 else ""
    return _period_ends_sentence(token, token_start == 0, next_word, next_token, rules, previous)


def _closers_end(paragraph: str, after: int) -> int:
    """Skip closing quotes/brackets, including French spaced ones ("venons. » Il")."""
    length = len(paragraph)
    while after < length and paragraph[after] in _CLOSERS:
        after += 1
    spaced = _SPACED_CLOSER.match(paragraph, after)
    return spaced.end() if spaced else after


def _sentence_cuts(paragraph: str, rules: _Rules) -> Iterator[int]:
    length = len(paragraph)
    for match in _TERMINATOR.finditer(paragraph):
        after = _closers_end(paragraph, match.end())
        if after < length and _is_boundary(paragraph, match, after, rules):
            yield after


def _quoted_heading_end(sentence: str, rules: _Rules) -> int:
    """ "«Kamen dem Angeklagten nicht entgegen» Das Gericht sieht…": a quoted crosshead that
    lost its line break ends after its closing quote when a sentence starter follows."""
    closing = _QUOTE_PAIRS.get(sentence[:1])
    if closing is None:
        return 0
    end = sentence.find(closing, 1)
    if end < 2 or sentence[end - 1] in ".!?…,;:" or end + 2 >= len(sentence):
        return 0
    word = _NEXT_WORD.match(sentence, end + 1)
    next_word = word.group(1) if word and sentence[end + 1].isspace() else ""
    starter = next_word[:1].isupper() and len(next_word) > 1
    return end + 1 if starter and next_word.lower() in rules.starters else 0


def _paragraph_sentences(paragraph: str, rules: _Rules) -> list[str]:
    sentences: list[str] = []
    begin = 0
    for cut in (*_sentence_cuts(paragraph, rules), len(paragraph)):
        sentence = paragraph[begin:cut].strip()
        heading_end = _quoted_heading_end(sentence, rules)
        if heading_end:
            sentences.append(sentence[:heading_end])
            sentence = sentence[heading_end:].strip()
        if sentence:
            sentences.append(sentence)
        begin = cut
    return sentences


def segment_paragraphs(text: str, language: str) -> list[list[str]]:
    """Paragraphs of sentences; empty paragraphs are dropped. Never raises on odd input."""
    rules = _rules(language)
    paragraphs = (_paragraph_sentences(p, rules) for p in split_paragraphs(text, language))
    return [p for p in paragraphs if p]


def split_sentences(text: str, language: str) -> list[str]:
    """All sentences in order, stripped and non-empty; a sentence never spans two paragraphs."""
    return [s for paragraph in segment_paragraphs(text, language) for s in paragraph]


# -- words --------------------------------------------------------------------------------------

# One token per Han/Kana character (no dictionary segmenter offline); elsewhere letters, marks
# and digits, with inner apostrophes/hyphens and digit separators ("don't", "Corona-Maßnahmen",
# "3.5", "1.000").
_NOT_CJK = r"--[\p{Han}\p{Hiragana}\p{Katakana}]"
_WORD_START = rf"[[\p{{L}}\p{{N}}]{_NOT_CJK}]"
_WORD_BODY = rf"[[\p{{L}}\p{{M}}\p{{N}}]{_NOT_CJK}]*"
_WORD = regex.compile(
    rf"[[\p{{Han}}\p{{Hiragana}}\p{{Katakana}}]&&[\p{{L}}\p{{N}}]]"
    rf"|{_WORD_START}{_WORD_BODY}"
    rf"(?:(?:['’\-]|(?<=\p{{N}})[.,](?=\p{{N}})){_WORD_START}{_WORD_BODY})*",
    regex.V1,
)


def split_words(sentence: str, language: str) -> list[str]:
    """Word tokens without punctuation (``language`` is accepted for a uniform interface)."""
    return _WORD.findall(sentence)


class SumyTokenizer:
    """Drop-in for ``sumy.nlp.tokenizers.Tokenizer`` that needs no NLTK data."""

    def __init__(self, language: str) -> None:
        self.language = language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph, self.language))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        """Words containing a letter (sumy's own tokenizer drops numbers and punctuation)."""
        words = split_words(sentence, self.language)
        return tuple(w for w in words if any(ch.isalpha() for ch in w))
