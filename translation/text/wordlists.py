"""Word-frequency evidence for identifying the language of short text.

Character n-grams (lingua, langdetect) guess poorly from one or two words; whether a word is
common in a language is the stronger clue there. The frequencies come from wordfreq's "small"
lists (words more frequent than 1 per million, from Wikipedia, subtitles, news, books and web
text), read straight from its packaged files: nothing is downloaded. Stored as a word -> zipf x 10
map per language (small ints are shared objects in CPython), ~150 MB for the 37 languages.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

WORDLIST = "small"
UNKNOWN_FREQUENCY = 1e-7
"""Stand-in frequency of a word missing from a list (ten times rarer than the rarest listed)."""

_WORDFREQ_CODES = {"tl": "fil"}
_LOG_UNKNOWN = math.log(UNKNOWN_FREQUENCY)
_LN10 = math.log(10)


class WordFrequencies:
    """Per-language log-frequencies of words; languages without a list score every word as
    unknown, so for them only the character model speaks."""

    def __init__(self, tables: Mapping[str, Mapping[str, int]]) -> None:
        self._tables = tables

    @classmethod
    def load(cls, languages: Iterable[str]) -> WordFrequencies:
        import wordfreq

        available = wordfreq.available_languages(WORDLIST)
        tables = {}
        for language in sorted(languages):
            path = available.get(_WORDFREQ_CODES.get(language, language))
            if path is not None:  # exact match only: wordfreq would fall back to a neighbour
                tables[language] = _zipf_table(wordfreq.read_cBpack(path))
        return cls(tables)

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._tables)

    def log_likelihood(self, language: str, words: Iterable[str]) -> float:
        """Sum over ``words`` (from ``words_of``) of ln(frequency in ``language``)."""
        table = self._tables.get(language)
        if table is None:
            return _LOG_UNKNOWN * sum(1 for _ in words)
        total = 0.0
        for word in words:
            zipf10 = table.get(word)
            if zipf10 is None and "'" in word:  # "l'opposition": the list has "opposition"
                zipf10 = table.get(max(word.split("'"), key=len))
            total += _LOG_UNKNOWN if zipf10 is None else (zipf10 / 10 - 9) * _LN10
        return total


def _zipf_table(buckets: list[list[str]]) -> dict[str, int]:
    """cBpack bucket i holds the words of frequency 10^(-i/100), i.e. zipf 9 - i/100."""
    table: dict[str, int] = {}
    for index, words in enumerate(buckets):
        zipf10 = round(90 - index / 10)
        for word in words:
            table.setdefault(word, zipf10)
    return table


def words_of(text: str) -> list[str]:
    """Case-folded words of detector-ready text, with one kind of apostrophe."""
    words = (token.replace("’", "'").strip("'") for token in text.casefold().split())
    return [word for word in words if word]
