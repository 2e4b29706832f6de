"""German news feeds for tests: RSS 2.0, Atom and RDF documents built from a list of articles,
and article pages to go with them."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from tests.support.bot_harness import GERMAN_ARTICLE

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
RDF_TYPE = "application/rdf+xml; charset=utf-8"

HEADLINES = (
    "Stadtrat beschließt neues Verkehrskonzept für die Innenstadt",
    "Hochwasser: Pegel am Rhein steigt weiter",
    "Neue Bibliothek öffnet im Herbst ihre Türen",
    "Landesregierung plant mehr Geld für Schulen",
    "Bäckerei in der Altstadt feiert hundertjähriges Bestehen",
)


@dataclass(frozen=True)
class Item:
    title: str
    link: str
    summary: str = "Kurzfassung des Artikels."


def article_html(headline: str) -> str:
    """A German news page whose headline (and so whose content) is ``headline``."""
    body = GERMAN_ARTICLE.split("\n\n")[1:]
    paragraphs = "\n".join(f"<p>{p.strip()}</p>" for p in body)
    return (
        '<!doctype html><html lang="de"><head><meta charset="utf-8">'
        f"<title>{escape(headline)}</title></head><body><article><h1>{escape(headline)}</h1>"
        f"{paragraphs}</article></body></html>"
    )


def rss(items: list[Item], title: str = "Stadtanzeiger", extra: str = "") -> str:
    entries = "".join(
        f"<item><title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
        f"<guid>{escape(i.link)}</guid><description>{escape(i.summary)}</description></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">'
        f"<channel><title>{escape(title)}</title><link>http://example.org/</link>"
        f"<description>Nachrichten</description>{extra}{entries}</channel></rss>"
    )


def atom(items: list[Item], title: str = "Tagesblatt") -> str:
    entries = "".join(
        f'<entry><title>{escape(i.title)}</title><link href="{escape(i.link)}"/>'
        f"<id>{escape(i.link)}</id><updated>2026-12-01T08:00:00Z</updated>"
        f"<summary>{escape(i.summary)}</summary></entry>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:tagesblatt</id>"
        f"<updated>2026-12-01T08:00:00Z</updated>{entries}</feed>"
    )


def rdf(items: list[Item], title: str = "Landbote") -> str:
    entries = "".join(
        f'<item rdf:about="{escape(i.link)}"><title>{escape(i.title)}</title>'
        f"<link>{escape(i.link)}</link><description>{escape(i.summary)}</description></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/">'
        f'<channel rdf:about="http://example.org/"><title>{escape(title)}</title>'
        f"<link>http://example.org/</link><description>Nachrichten</description></channel>"
        f"{entries}</rdf:RDF>"
    )
