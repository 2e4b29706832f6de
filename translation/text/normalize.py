"""Unicode and whitespace normalisation: the first step for every text, before anything else.

Everything downstream (cleaning, detection, segmentation, summary, translation) sees the output
of ``normalize_text``: invisible characters that would split or glue words, control characters
and odd line endings are gone, so one rule set in ``translation.text.segmentation`` fits all
input. A module of its own so that cleaning and segmentation both build on it without importing
each other.
"""

from __future__ import annotations

import re
import unicodedata

# -- normalisation ------------------------------------------------------------------------------

# Line separators other than "\n" become "\n" (NEL, LS, VT, FF) or a blank line (PS), so no
# word is glued to its neighbour when the rest of the control characters are dropped.
_LINE_BREAKS = str.maketrans(
    {"\r": "\n", "\x0b": "\n", "\x0c": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n\n"}
)
# Invisible characters with no place in plain article text: C0/C1 controls except \n and \t,
# zero-width space/word joiner/BOM, soft hyphen, invisible math operators, the Mongolian vowel
# separator, and every bidi control (embeddings, overrides, isolates and the LRM/RLM/ALM
# marks). The bidi controls are display hints of the source page; our replies are re-laid out
# by the client's own bidi algorithm, and the marks would otherwise stick to words.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
# ZWNJ/ZWJ are spelling in Persian, Indic scripts and emoji sequences: kept only between two
# non-ASCII, non-space characters; anywhere else they are junk from a copy-and-paste.
_JOINERS = re.compile(
    r"(?<=[^\x00-\x7f\s\u200c\u200d])[\u200c\u200d](?=[^\x00-\x7f\s\u200c\u200d])"
    r"|([\u200c\u200d])"
)
_HORIZONTAL_SPACE = re.compile(r"[ \t]+")
_LINE_EDGE_SPACE = re.compile(r" *\n *")
MANY_NEWLINES = re.compile(r"\n{3,}")


def _drop_stray_joiner(match: re.Match[str]) -> str:
    return "" if match.group(1) else match.group(0)


def normalize_text(text: str) -> str:
    """NFC text without invisible/control characters, with "\\n" line ends and tidy spacing."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").translate(_LINE_BREAKS))
    text = _JOINERS.sub(_drop_stray_joiner, _INVISIBLE.sub("", text))
    text = unicodedata.normalize("NFC", text)  # removals can leave composable sequences
    text = _HORIZONTAL_SPACE.sub(" ", text)
    text = _LINE_EDGE_SPACE.sub("\n", text)
    return MANY_NEWLINES.sub("\n\n", text).strip()
