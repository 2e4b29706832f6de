"""What a summary sentence needs to stand alone: no dangling opener, dateline or caption.

A bullet is read without its neighbours. "Doch die Polizei…" or "Er sagte…" points at a
sentence the reader was not shown; "Berlin (dpa) – " is a wire-service label, not news; an
image caption ("Der Kanzler am Montag in Berlin. (Bild: Keystone)") describes a picture
the reader cannot see. The summarizer uses these checks to choose, the pipeline to clean
the chosen sentences, and ``evaluation/summaries.py`` to count what slips through.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Sequence
from functools import lru_cache
from importlib import resources

__all__ = [
    "antecedent",
    "is_caption",
    "is_caption_at",
    "is_dateline",
    "opens_with_reference",
    "strip_dateline",
    "unresolved",
]


@lru_cache(maxsize=1)
def _back_references() -> dict[str, frozenset[str]]:
    """Per language, the openers that refer back (``data/back_references.toml``)."""
    path = resources.files("translation").joinpath("data/back_references.toml")
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    return {language: frozenset(words.split()) for language, words in table.items()}


_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)?")
_OPENING_PUNCTUATION = "\"'„“”‚‘’»«‹›([{–—- "

# "Berlin (dpa) – ", "ZÜRICH (Reuters) - ", "Paris (AFP/dpa): ", "(SDA) ", "BERLIN – "
_AGENCY = (
    r"dpa|AFP|Reuters|AP|APA|SDA|sda|Keystone-SDA|KNA|epd|dts|SID|sid|ots|rtr|AA|ANP|ANSA"
    r"|EFE|PAP|ТАСС|РИА Новости|Интерфакс|Укрінформ|УНІАН|kna|afp|awp|AWP|red|jW|taz"
)
_DATELINE = re.compile(
    rf"^(?:[\w.'’/ -]{{1,40}}?\s*)?\((?:{_AGENCY})(?:[/,;] ?[\w -]{{1,20}})*\)\s*[–—:-]?\s*"
    r"|^[A-ZÄÖÜÀ-ÞА-ЯЁІЇЄҐ][A-ZÄÖÜÀ-ÞА-ЯЁІЇЄҐ./ -]{2,30}\s[–—]\s+"
)
# A line that is only a dateline: "Bergisch Gladbach -", "Berlin (dpa) –".
_DATELINE_ONLY = re.compile(
    rf"^(?P<place>[^()]{{1,40}}?)\s*(?:\((?:{_AGENCY})[^)]{{0,20}}\))?\s*[–—:-]$"
)
_PLACE_CONNECTORS = frozenset({"am", "an", "der", "im", "bei", "ob", "sur", "upon", "de", "la"})
# Words that introduce a picture credit ("Bild: dpa"), and what follows them to the line's end.
_PICTURE_CREDIT = r"Bild|Foto|Fotos|Photo|Image|Symbolbild|Archivbild|Credit|Zdjęcie|Фото"
_CREDIT_TAIL = r"\s*(?::|/|©)\s*[^.!?]{1,80}\)?\.?\s*$"
# A caption ends with (or is) a picture credit: "… (Bild: Keystone)", "Foto: imago/Ralph".
_CAPTION = re.compile(
    rf"(?:\(|\||·|^|[.!?]\s)(?:{_PICTURE_CREDIT}|Screenshot|Grafik|Video|Quelle){_CREDIT_TAIL}"
    r"|\((?:Symbolbild|Archivbild|Symbolfoto|Archivfoto|Bild|Foto|Photo|Screenshot)\)\s*$",
    re.IGNORECASE,
)


def _language_key(language: str) -> str:
    return (language or "").strip().lower().replace("_", "-").split("-")[0]


def opens_with_reference(sentence: str, language: str) -> bool:
    """True when the sentence's first word points back at an earlier sentence."""
    words = _WORD.findall(strip_dateline(sentence).lstrip(_OPENING_PUNCTUATION)[:60])
    if not words:
        return False
    openers = _back_references().get(_language_key(language), frozenset())
    first = words[0].lower()
    pair = "_".join(w.lower() for w in words[:2])
    return first in openers or pair in openers


def strip_dateline(sentence: str) -> str:
    """The sentence without a leading dateline or agency tag ("Berlin (dpa) – Die …").

    Only a prefix followed by more text is removed, so a sentence is never emptied.
    """
    match = _DATELINE.match(sentence)
    if match is None:
        return sentence
    rest = sentence[match.end() :].lstrip()
    if len(rest.split()) < 3:
        return sentence
    return rest


def is_caption(sentence: str) -> bool:
    """A picture caption: a sentence that ends in a photo credit ("… (Bild: Keystone)")."""
    return bool(_CAPTION.search(sentence.strip()))


# A line that is only a picture credit ("Bild: dpa", "(Foto: imago)"): what precedes it is the
# caption, split off by the segmenter when the credit follows a full stop.
_CREDIT_LINE = re.compile(rf"^\(?(?:{_PICTURE_CREDIT}){_CREDIT_TAIL}", re.IGNORECASE)
#: A caption is a line or two; a longer sentence before a credit is article text.
CAPTION_MAX_WORDS = 30


def is_caption_at(sentences: Sequence[str], index: int) -> bool:
    """``is_caption``, or the sentence just before a bare credit line: "Auch Herbert
    Grönemeyer gehört zu den Unterstützern." followed by "Bild: dpa" is a caption."""
    if is_caption(sentences[index]):
        return True
    following = sentences[index + 1] if index + 1 < len(sentences) else ""
    return bool(_CREDIT_LINE.match(following.strip())) and (
        len(sentences[index].split()) <= CAPTION_MAX_WORDS
    )


def is_dateline(sentence: str) -> bool:
    """A line that is a dateline and nothing else ("Bergisch Gladbach -", "Berlin (dpa) –")."""
    match = _DATELINE_ONLY.match(sentence.strip())
    if match is None:
        return False
    words = match.group("place").split()
    return 0 < len(words) <= 4 and all(
        word[:1].isupper() or word in _PLACE_CONNECTORS for word in words
    )


_FULL_SENTENCE = re.compile(r"[.!?…][\"'«»„“”‚‘’‹›)\]]*$")


def antecedent(sentences: Sequence[str], index: int) -> int | None:
    """The sentence an opener at ``index`` points back to: the nearest earlier full sentence.

    Headings, kickers, datelines and captions are skipped; with none before it, the
    sentence opens the article and refers to the headline, which is shown.
    """
    for earlier in range(index - 1, -1, -1):
        text = sentences[earlier].strip()
        if (
            _FULL_SENTENCE.search(text)
            and not is_caption_at(sentences, earlier)
            and not is_dateline(text)
        ):
            return earlier
    return None


def unresolved(sentences: Sequence[str], index: int, shown: Collection[int], language: str) -> bool:
    """True when the sentence opens with a back-reference whose antecedent is not shown."""
    if not opens_with_reference(sentences[index], language):
        return False
    before = antecedent(sentences, index)
    return before is not None and before not in shown
