"""OPML, the file format feed readers exchange subscription lists in: read the feed addresses
out of one, and write one.

Only ``<outline xmlUrl="…">`` matters. A document with a DTD is refused outright: entity
definitions are how XML bombs and external-entity reads start, and no feed reader needs them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from translation.errors import InputError

MAX_OUTLINES = 500


class OpmlError(InputError):
    """Not an OPML document we can read."""


@dataclass(frozen=True)
class OpmlFeed:
    title: str
    url: str


def parse_opml(data: bytes) -> list[OpmlFeed]:
    """The feeds an OPML document lists (in order, without repeats); OpmlError otherwise."""
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise OpmlError("OPML files with a DTD or entities are not accepted.")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(f"The file is not valid OPML ({exc}).") from exc
    if root.tag.lower() != "opml":
        raise OpmlError("The file is not OPML (its root element is not <opml>).")
    feeds: list[OpmlFeed] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url or url in seen:
            continue
        seen.add(url)
        title = (outline.get("title") or outline.get("text") or url).strip()
        feeds.append(OpmlFeed(title, url))
        if len(feeds) >= MAX_OUTLINES:
            break
    return feeds


def build_opml(feeds: Iterable[OpmlFeed], title: str = "Briefbot feeds") -> bytes:
    """An OPML 2.0 document listing ``feeds`` as RSS outlines."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for feed in feeds:
        ET.SubElement(
            body, "outline", type="rss", text=feed.title, title=feed.title, xmlUrl=feed.url
        )
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
