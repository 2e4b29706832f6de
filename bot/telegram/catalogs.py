"""The UI translations as gettext catalogs, the format translation platforms and volunteers use.

English lives in the code (``bot.telegram.i18n``: each message's key is its gettext context,
its English text the msgid). ``locales/briefbot.pot`` is extracted from there; each language has
``locales/<lang>/LC_MESSAGES/briefbot.po``. The ``.po`` files are the only translation files
in git: they are compiled to ``.mo`` in memory when a language is first used (Babel), so a
fresh clone, ``make test`` and an installed wheel need no build step and no compiled file can
go stale.

Maintenance: ``python -m bot.telegram.catalogs extract`` rewrites the template from the code,
``update`` merges it into every ``.po`` (new messages empty, changed ones fuzzy), ``check``
fails when the template is stale or a catalog misses a message.
"""

from __future__ import annotations

import gettext
import io
import sys
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).with_name("locales")
DOMAIN = "briefbot"
TEMPLATE = LOCALES / f"{DOMAIN}.pot"

#: (singular, plural, name of the count placeholder) of a message with plural forms.
Plural = tuple[str, str, str]


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages() -> tuple[str, ...]:
    """Every language with a catalog, sorted."""
    return tuple(sorted(p.parent.parent.name for p in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po")))


def build_template(messages: Mapping[str, str], plurals: Mapping[str, Plural]) -> Catalog:
    """The template: one entry per message, its key as context, its English text as msgid."""
    catalog = Catalog(project="Briefbot", domain=DOMAIN, fuzzy=False)
    for key, text in messages.items():
        catalog.add(text, context=key)
    for key, (singular, plural, count) in plurals.items():
        catalog.add((singular, plural), context=key, auto_comments=[f"count: {{{count}}}"])
    return catalog


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``language`` (English text for anything it lacks); English and
    languages without a catalog get the English text itself."""
    path = po_path(language)
    if not path.is_file():
        return gettext.NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(path, language))  # fuzzy entries are left out, as in msgfmt
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=False)


def _messages(catalog: Catalog) -> set[tuple[str | None, str]]:
    return {(m.context, str(m.id)) for m in catalog if m.id}


def problems(template: Catalog, catalogs: Iterable[tuple[str, Catalog]]) -> list[str]:
    """What keeps the catalogs from being complete: untranslated, fuzzy or obsolete entries."""
    found = []
    wanted = _messages(template)
    for language, catalog in catalogs:
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if (message.context, str(message.id)) not in wanted:
                found.append(f"{language}: {message.context}: not in the template")
            elif message.fuzzy or not all(strings):
                found.append(f"{language}: {message.context}: untranslated or fuzzy")
        for context, _ in wanted - _messages(catalog):
            found.append(f"{language}: {context}: missing")
    return found


def main(argv: list[str]) -> int:
    from bot.telegram.i18n import PLURALS, TRANSLATED

    template = build_template(TRANSLATED, PLURALS)
    command = argv[0] if argv else "check"
    if command == "extract":
        _write(TEMPLATE, template)
    elif command == "update":
        for language in languages():
            catalog = read_catalog(po_path(language), language)
            catalog.update(template, no_fuzzy_matching=False)
            _write(po_path(language), catalog)
    elif command == "init" and len(argv) == 2:
        catalog = read_catalog(TEMPLATE, argv[1])
        catalog.locale = argv[1]
        _write(po_path(argv[1]), catalog)
    elif command == "check":
        stale = _messages(read_catalog(TEMPLATE)) != _messages(template)
        found = ["the template is stale: run extract"] if stale else []
        found += problems(template, ((lg, read_catalog(po_path(lg), lg)) for lg in languages()))
        print("\n".join(found) or "catalogs complete")
        return 1 if found else 0
    else:
        print("usage: python -m bot.telegram.catalogs extract|update|init LANG|check")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
