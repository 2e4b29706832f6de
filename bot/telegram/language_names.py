"""Language names as users type them: "/translate französisch" means French, like "fr"."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from babel import Locale, UnknownLocaleError

_CODE = re.compile(r"[a-z]{2,3}")


def _fold(text: str) -> str:
    """Case, accents and spacing do not matter ("Französisch" = "franzosisch")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().strip())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@cache
def _names(ui: str) -> dict[str, str]:
    """Folded language name -> code, in the UI language and in English (the UI's names win)."""
    table: dict[str, str] = {}
    for language in ("en", ui):
        try:
            names = Locale.parse(language).languages
        except (UnknownLocaleError, ValueError, TypeError):
            continue
        for code, name in names.items():
            if _CODE.fullmatch(code):
                table[_fold(name)] = code
    return table


def language_code(text: str, ui: str) -> str | None:
    """The code a user meant: a code as given ("fr"), or a language's name in their UI
    language or in English ("Französisch", "french"); None if it is neither."""
    wanted = text.strip().lower()
    if _CODE.fullmatch(wanted):
        return wanted
    return _names(ui).get(_fold(text))
