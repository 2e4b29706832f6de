"""Main article text and title from an HTML page, with trafilatura, offline.

trafilatura finds the body; we add what it leaves out or gets wrong for news pages, chosen by
measurement on ``../shared/eval`` (see ``evaluation/extraction.py``): the teaser/lead paragraph
that many sites keep outside the article container, and a title without the site name.

Hostile pages are bounded before trafilatura sees them: its cost grows with the number of
elements (about 0.2 ms each here, worse for many inline elements in one block), so oversized
input is truncated and element-heavy trees are simplified or refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import trafilatura
from lxml import etree
from lxml.html import HtmlElement, tostring
from trafilatura.utils import load_html

from translation.domain import Document
from translation.errors import InputError

NO_ARTICLE_MESSAGE = "No article text found on that page."
TOO_COMPLEX_MESSAGE = "That page is too complex to extract an article from."

MAX_HTML_CHARS = 5_000_000
MAX_ELEMENTS = 15_000
MAX_INLINE_CHILDREN = 120
MIN_ARTICLE_CHARS = 80
MIN_LEAD_CHARS = 40
LEAD_PREFIX_CHARS = 60
MAX_TITLE_CHARS = 300

# Elements that never carry article text; dropped (with the inline ones unwrapped) over budget.
_NON_CONTENT_TAGS = ("script", "style", "noscript", "svg", "template", "iframe", "object", "canvas")
# Inline elements; unwrapping them keeps the text and the paragraph structure.
_INLINE_TAGS = (
    "a", "span", "font", "b", "i", "em", "strong", "u", "small", "mark", "abbr", "sup", "sub",
    "cite", "big", "ins", "del", "s", "q", "time", "data", "dfn", "bdi", "bdo", "ruby", "img", "br",
)  # fmt: skip
_INLINE_TAG_SET = frozenset(_INLINE_TAGS)

_TITLE_META = (
    "//meta[@property='og:title']/@content",
    "//meta[@name='twitter:title']/@content",
    "//meta[@name='title']/@content",
    "//head/title//text()",
)
_SITE_NAME_META = ("//meta[@property='og:site_name']/@content",)
_DESCRIPTION_META = (
    "//meta[@property='og:description']/@content",
    "//meta[@name='description']/@content",
    "//meta[@name='twitter:description']/@content",
)
_VISIBLE_TEXT = (
    "//body//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)"
    " and not(ancestor::template)]"
)
_GERMAN_ASCII = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)
_TITLE_SEPARATOR = re.compile(r"\s+[|–—-]\s+|\s*\|\s*")
_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")
_TABLE_RULE = re.compile(r"^[|\-:\s]+$")
_HTML_START = re.compile(
    r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)
_BLOCK_TAG = re.compile(
    r"</?(p|div|article|section|body|table|tr|td|ul|ol|li|h[1-6]|br|span|a)\b[^<>]*>", re.I
)


@dataclass(frozen=True)
class ExtractionSettings:
    """trafilatura options plus our own post-processing, compared in evaluation/extraction.py."""

    favor_precision: bool = True
    favor_recall: bool = False
    include_tables: bool = True
    deduplicate: bool = False
    add_lead: bool = True
    clean_title: bool = True


DEFAULT_SETTINGS = ExtractionSettings()


def extract_article(
    html: str, url: str | None = None, settings: ExtractionSettings = DEFAULT_SETTINGS
) -> Document:
    """Title and main text (paragraphs separated by blank lines); InputError when there is none."""
    tree = _parse(html)
    meta_title = _first_meta(tree, _TITLE_META)
    description = _first_meta(tree, _DESCRIPTION_META)
    title = _choose_title(tree, meta_title, url) if settings.clean_title else meta_title
    try:
        result = trafilatura.bare_extraction(
            tree,
            url=url,
            favor_precision=settings.favor_precision,
            favor_recall=settings.favor_recall,
            include_comments=False,
            include_tables=settings.include_tables,
            deduplicate=settings.deduplicate,
            with_metadata=False,
        )
    except (ValueError, TypeError, RecursionError, etree.LxmlError) as exc:
        raise InputError(NO_ARTICLE_MESSAGE) from exc
    paragraphs = _paragraphs(getattr(result, "text", None) or "")
    paragraphs = _without_leading_title(paragraphs, title)
    if settings.add_lead and description and _key(description) not in _key(title or ""):
        paragraphs = _with_lead(paragraphs, description, tree)
    text = "\n\n".join(paragraphs)
    if len(text) < MIN_ARTICLE_CHARS:
        raise InputError(NO_ARTICLE_MESSAGE)
    return Document(text=text, title=title or None, url=url)


def looks_like_html(text: str) -> bool:
    """Whether pasted text or a file is an HTML document rather than prose mentioning a tag."""
    head = text[:4096]
    if _HTML_START.match(head):
        return True
    tags = _BLOCK_TAG.findall(head)
    return len(tags) >= 4 and len({tag.lower() for tag in tags}) >= 2


def _parse(html: str) -> HtmlElement:
    """An lxml tree within our size and element budget, simplified if it is oversized."""
    tree = _load(html[:MAX_HTML_CHARS].lstrip("\ufeff"))
    if not _is_heavy(tree):
        return tree
    etree.strip_elements(tree, *_NON_CONTENT_TAGS, with_tail=False)
    etree.strip_tags(tree, *_INLINE_TAGS)
    # Unwrapping leaves one text node per removed element, and trafilatura re-reads ``.text``
    # often enough for that to go quadratic; parsing the serialised tree merges them again.
    tree = _load(tostring(tree, encoding="unicode"))
    if _is_heavy(tree):
        raise InputError(TOO_COMPLEX_MESSAGE)
    return tree


def _load(html: str) -> HtmlElement:
    if not re.search(r"<(?:html|body)\b", html[:65_536], re.I):
        html = f"<html><body>{html}</body></html>"  # trafilatura rejects bare fragments
    try:
        tree = load_html(html)
    except (ValueError, TypeError, etree.LxmlError) as exc:
        raise InputError(NO_ARTICLE_MESSAGE) from exc
    if tree is None:
        raise InputError(NO_ARTICLE_MESSAGE)
    return tree


def _is_heavy(tree: HtmlElement) -> bool:
    """Too many elements, or so many inline ones in one parent that trafilatura goes quadratic."""
    for count, element in enumerate(tree.iter(), start=1):
        if count > MAX_ELEMENTS:
            return True
        if len(element) > MAX_INLINE_CHILDREN:
            inline = sum(1 for child in element if child.tag in _INLINE_TAG_SET)
            if inline > MAX_INLINE_CHILDREN:
                return True
    return False


def _first_meta(tree: HtmlElement, xpaths: Iterable[str]) -> str | None:
    for xpath in xpaths:
        for value in tree.xpath(xpath):
            cleaned = _squash(str(value))
            if cleaned:
                return cleaned
    return None


def _choose_title(tree: HtmlElement, meta_title: str | None, url: str | None) -> str | None:
    """The page's headline: the <h1> that matches the meta title, else that title minus the site.

    Meta titles often carry the site name ("… | MDR.DE"); a site's logo is often an <h1> too, so
    a heading counts only when most of its words occur in the title, and the heading sharing
    the most words wins.
    """
    site_name = _first_meta(tree, _SITE_NAME_META)
    title = _strip_site_name(meta_title, url, site_name) if meta_title else None
    title_words = set(_words(title or ""))
    best: tuple[int, str] | None = None
    for heading in tree.iter("h1"):
        text = _squash(" ".join(heading.itertext()))
        words = set(_words(text))
        shared = len(words & title_words)
        if not words or len(text) > MAX_TITLE_CHARS or shared < 0.6 * len(words):
            continue
        if best is None or shared > best[0]:
            best = (shared, text)
    return best[1] if best is not None else title


def _strip_site_name(title: str, url: str | None, site_name: str | None) -> str:
    parts = _TITLE_SEPARATOR.split(title)
    if len(parts) < 2:
        return title
    keys = _site_keys(url, site_name)
    if _is_site_name(parts[-1], keys):
        return title[: title.rfind(parts[-1])].rstrip(" |–—-")
    if _is_site_name(parts[0], keys):
        return title[len(parts[0]) :].lstrip(" |–—-")
    return title


def _site_keys(url: str | None, site_name: str | None) -> set[str]:
    host = (urlsplit(url).hostname or "") if url else ""
    labels = [label for label in host.split(".") if label not in {"www", "www1", "m", "amp"}]
    keys = {_site_key(labels[-2]), _site_key("".join(labels))} if len(labels) >= 2 else set()
    if site_name:
        keys.add(_site_key(site_name))
    return {key for key in keys if len(key) >= 3}


def _is_site_name(part: str, keys: set[str]) -> bool:
    key = _site_key(part)
    return bool(key) and any(key.startswith(k) or k.startswith(key) or k in key for k in keys)


def _site_key(text: str) -> str:
    """Like ``_key``, spelled the way host names spell it: "Kölner" matches "koelner"."""
    text = _key(text.translate(_GERMAN_ASCII))
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii())


def _paragraphs(text: str) -> list[str]:
    lines = (_squash(line) for line in text.splitlines())
    return [line for line in lines if line and not _TABLE_RULE.match(line)]


def _without_leading_title(paragraphs: list[str], title: str | None) -> list[str]:
    """trafilatura keeps the headline as the first line; the title is reported separately."""
    if not title:
        return paragraphs
    key = _key(title)
    while paragraphs and _key(paragraphs[0]) and _key(paragraphs[0]) in key:
        paragraphs = paragraphs[1:]
    return paragraphs


def _with_lead(paragraphs: list[str], description: str, tree: HtmlElement) -> list[str]:
    """Put the teaser first when the page shows it but trafilatura left it out.

    Only a description shown on the page counts (as one text node, so words from neighbouring
    buttons cannot assemble it): site-wide boilerplate descriptions are rarely shown.
    """
    prefix = _key(description[:LEAD_PREFIX_CHARS])
    if len(description) < MIN_LEAD_CHARS or not prefix:
        return paragraphs
    if any(prefix in _key(paragraph) for paragraph in paragraphs[:5]):
        return paragraphs
    if not any(prefix in _key(str(node)) for node in tree.xpath(_VISIBLE_TEXT)):
        return paragraphs
    return [description, *paragraphs]


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _words(text: str) -> list[str]:
    return [word.casefold() for word in _WORD.findall(text)]


def _key(text: str) -> str:
    """A comparison key that ignores case, spacing, punctuation and quote styles."""
    return "".join(_words(unicodedata.normalize("NFKC", text)))
