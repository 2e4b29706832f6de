"""How long a message is in words, whatever its script.

Chinese, Japanese and Thai write no spaces between words, so splitting on whitespace calls a
six-sentence Japanese article "one word". Here a run of such characters counts as roughly the
words it holds, so the "is this an article or a remark?" rules work for every script.
"""

from __future__ import annotations

import regex

#: Characters per word in scripts written without spaces between words (Han, kana: a word is
#: one to two characters, the average a bit under two; Thai, Lao, Khmer, Myanmar: three to
#: five letters). Hangul separates words with spaces, so a Korean word is a token like any other.
_DENSE = (
    (regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\u30fc]"), 2.0),
    (regex.compile(r"[\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]"), 4.0),
)
#: A token counts as a word if it holds a letter, digit or symbol (emoji), not just punctuation.
_WORDLIKE = regex.compile(r"[\p{L}\p{N}\p{S}]")
_QUESTION_END = regex.compile(r"[?？؟;]\W*$")
_SENTENCE_END = regex.compile(r"[.!?。！？؟]+")

#: Fewer words than this, and no link, is a remark ("hallo", "danke!", an emoji) in a private chat.
PRIVATE_MIN_WORDS = 3
#: Text given with a mention is summarized from this many words on.
MENTION_MIN_WORDS = 5
#: A lone question shorter than this is asked of the bot, not an article to summarize
#: ("Wie funktioniert das hier?").
QUESTION_MAX_WORDS = 15


def word_count(text: str) -> int:
    """Words in ``text``: whitespace tokens, with runs of CJK/Thai-like letters counted by their
    length (a token of 170 Japanese characters is about 85 words, not one)."""
    total = 0.0
    for token in text.split():
        rest = token
        dense = 0.0
        for pattern, per_word in _DENSE:
            found = len(pattern.findall(rest))
            if found:
                dense += found / per_word
                rest = pattern.sub("", rest)
        if dense:
            total += max(1.0, dense) + (1 if _WORDLIKE.search(rest) else 0)
        elif _WORDLIKE.search(token):
            total += 1
    return round(total)


def is_a_remark(text: str, min_words: int) -> bool:
    """A word or two, or one short question: something said to the bot, not a text to
    summarize (callers check for links and files first)."""
    words = word_count(text)
    if words < min_words:
        return True
    one_sentence = len(_SENTENCE_END.findall(text.strip())) <= 1
    return one_sentence and words < QUESTION_MAX_WORDS and bool(_QUESTION_END.search(text))
