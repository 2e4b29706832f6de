"""extract_article with real trafilatura on pages written for the purpose, and hostile HTML."""

from __future__ import annotations

import time

import pytest

from translation.errors import InputError
from translation.web.extraction import (
    MAX_ELEMENTS,
    NO_ARTICLE_MESSAGE,
    TOO_COMPLEX_MESSAGE,
    extract_article,
    looks_like_html,
)

HEADLINE = "Stadtrat beschließt zwölf Kilometer neue Radwege"
TEASER = (
    "Nach monatelangem Streit hat der Kölner Stadtrat am Donnerstag ein Radwegeprogramm "
    "beschlossen. Die ersten Abschnitte sollen schon im Frühjahr fertig sein."
)
BODY = [
    "Der Beschluss fiel mit 52 zu 38 Stimmen. Grüne, SPD und Volt stimmten dafür, CDU und FDP "
    "dagegen. Die Verwaltung soll nun bis Ende März einen Zeitplan für die einzelnen Abschnitte "
    "vorlegen, beginnend mit der Aachener Straße.",
    "Insgesamt kostet das Programm nach Schätzung der Stadt rund 18 Millionen Euro. Etwa die "
    "Hälfte davon soll aus Fördermitteln des Landes kommen, wie Verkehrsdezernent Dr. Ascan "
    "Egerer sagte. „Wir holen nach, was jahrzehntelang versäumt wurde“, so Egerer.",
    "Kritik kam vom Einzelhandelsverband. Er befürchtet, dass durch den Wegfall von rund 400 "
    "Parkplätzen weniger Kundschaft in die Innenstadt kommt. Die Stadt verweist dagegen auf "
    "Studien, nach denen Radfahrende häufiger einkaufen und pro Monat mehr Geld ausgeben.",
    "Der ADFC begrüßte die Entscheidung, mahnte aber eine zügige Umsetzung an. Bereits 2019 "
    "habe der Rat ähnliche Pläne beschlossen, von denen bis heute nur ein Bruchteil gebaut "
    "worden sei. Die nächste Sitzung des Verkehrsausschusses ist für den 14. Februar geplant.",
]
BOILERPLATE = [
    "Wir verwenden Cookies",
    "Alle akzeptieren",
    "Startseite",
    "Mehr zum Thema",
    "Neue Bahnlinie nach Bonn",
    "Schreibe einen Kommentar",
    "Endlich passiert was",
    "Impressum",
    "Datenschutz",
    "© 2024 Kölner Tagesblatt",
    "Newsletter abonnieren",
]

NEWS_PAGE = f"""<!DOCTYPE html>
<html lang="de"><head>
<meta charset="utf-8">
<title>{HEADLINE} | Kölner Tagesblatt</title>
<meta property="og:title" content="{HEADLINE} | Kölner Tagesblatt">
<meta property="og:description" content="{TEASER}">
<script>window.dataLayer = [];</script>
<style>.cookie {{ position: fixed; }}</style>
</head><body>
<div class="cookie-banner" id="cookie-consent"><p>Wir verwenden Cookies, um Ihnen das beste
Nutzererlebnis zu bieten. Mit „Alle akzeptieren“ stimmen Sie der Verarbeitung zu.</p>
<button>Alle akzeptieren</button><button>Einstellungen</button></div>
<header class="site-header"><a href="/" class="logo">Kölner Tagesblatt</a>
<nav class="main-nav"><ul><li><a href="/">Startseite</a></li><li><a href="/koeln">Köln</a></li>
<li><a href="/politik">Politik</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/kultur">Kultur</a></li></ul></nav></header>
<main>
<div class="article-header"><span class="kicker">Verkehr</span><h1>{HEADLINE}</h1>
<p class="teaser">{TEASER}</p>
<div class="byline">Von Anna Schmitz, 12.01.2024, 18:30 Uhr</div></div>
<article class="article-body">
{"".join(f"<p>{paragraph}</p>" for paragraph in BODY)}
</article>
<aside class="related"><h3>Mehr zum Thema</h3><ul>
<li><a href="/a1">Neue Bahnlinie nach Bonn: Baustart verschoben</a></li>
<li><a href="/a2">Parkgebühren steigen ab März deutlich</a></li>
<li><a href="/a3">Interview: So wird Köln fahrradfreundlich</a></li></ul></aside>
<section class="comments" id="comments"><h3>Schreibe einen Kommentar</h3>
<div class="comment"><p class="author">radler_koeln</p><p>Endlich passiert was! Hoffentlich
wird es diesmal auch wirklich gebaut und nicht wieder zerredet.</p></div>
<div class="comment"><p class="author">autofahrer</p><p>Und wo sollen wir parken? Das ist
doch alles ideologisch und geht an der Realität vorbei.</p></div>
<form><textarea name="comment"></textarea><button>Kommentar absenden</button></form></section>
</main>
<footer class="site-footer"><div class="newsletter">Newsletter abonnieren</div>
<ul><li><a href="/impressum">Impressum</a></li><li><a href="/datenschutz">Datenschutz</a></li>
<li><a href="/agb">AGB</a></li></ul><p>© 2024 Kölner Tagesblatt</p></footer>
</body></html>"""

URL = "https://www.koelner-tagesblatt.de/koeln/radwege-beschluss-12345.html"


def test_news_page_gives_title_lead_and_body_without_boilerplate() -> None:
    document = extract_article(NEWS_PAGE, URL)
    assert document.title == HEADLINE
    assert document.url == URL
    paragraphs = document.text.split("\n\n")
    assert paragraphs == [TEASER, *BODY]
    for furniture in BOILERPLATE:
        assert furniture not in document.text


def test_title_without_an_h1_loses_the_site_name() -> None:
    page = NEWS_PAGE.replace(f"<h1>{HEADLINE}</h1>", "")
    assert extract_article(page, URL).title == HEADLINE


def test_site_logo_in_an_h1_is_not_taken_for_the_headline() -> None:
    page = NEWS_PAGE.replace(
        '<a href="/" class="logo">Kölner Tagesblatt</a>', "<h1>Kölner Tagesblatt</h1>"
    )
    assert extract_article(page, URL).title == HEADLINE


def test_a_teaser_not_shown_on_the_page_is_not_added() -> None:
    page = NEWS_PAGE.replace(f'<p class="teaser">{TEASER}</p>', "")
    assert extract_article(page, URL).text.split("\n\n") == BODY


INDEX_PAGE = """<html><head><title>Kölner Tagesblatt – Nachrichten aus Köln</title></head><body>
<nav><ul><li><a href="/">Startseite</a></li><li><a href="/politik">Politik</a></li>
<li><a href="/sport">Sport</a></li></ul></nav>
<div class="teasers"><a href="/a1">Neue Bahnlinie nach Bonn</a><a href="/a2">Parkgebühren</a>
<a href="/a3">Radwege</a></div>
<footer><a href="/impressum">Impressum</a> <a href="/datenschutz">Datenschutz</a></footer>
</body></html>"""


@pytest.mark.parametrize(
    "html",
    [
        INDEX_PAGE,
        "",
        "   ",
        "<html><body></body></html>",
        "<html><body><script>var a = 1;</script></body></html>",
        "<html><body><p>Zu kurz.</p></body></html>",
    ],
)
def test_pages_without_an_article_are_refused(html: str) -> None:
    with pytest.raises(InputError) as refused:
        extract_article(html)
    assert refused.value.message == NO_ARTICLE_MESSAGE


def test_broken_html_still_yields_the_article() -> None:
    broken = (
        "<html><head><title>Radwege</title><body><div><div class='content'><h1>"
        + HEADLINE
        + "<p>"
        + "<p>".join(BODY)
        + "</span></b></i><table><tr><td>kaputt</div></body><p>"
    )
    document = extract_article(broken)
    for paragraph in BODY:
        assert paragraph in document.text


def test_an_html_fragment_is_extracted() -> None:
    fragment = "".join(f"<p>{paragraph}</p>" for paragraph in BODY)
    assert extract_article(fragment).text.split("\n\n") == BODY


def test_deeply_nested_html_is_handled_quickly() -> None:
    hostile = "<html><body>" + "<div>" * 100_000 + "Text" + "</div>" * 100_000 + "</body></html>"
    started = time.monotonic()
    with pytest.raises(InputError):
        extract_article(hostile)
    assert time.monotonic() - started < 5


def test_too_many_elements_is_refused_quickly() -> None:
    hostile = "<html><body>" + "<div><p>Wort</p></div>" * MAX_ELEMENTS + "</body></html>"
    started = time.monotonic()
    with pytest.raises(InputError) as refused:
        extract_article(hostile)
    assert refused.value.message == TOO_COMPLEX_MESSAGE
    assert time.monotonic() - started < 5


def test_inline_element_floods_are_flattened_instead_of_going_quadratic() -> None:
    # 20 paragraphs of 2,000 <span>s each: trafilatura alone needs minutes for this.
    words = (f"<span>Wort{n} </span>" for n in range(40_000))
    flood = "".join("<p>" + "".join(next(words) for _ in range(2000)) + "</p>" for _ in range(20))
    started = time.monotonic()
    document = extract_article(f"<html><body><article>{flood}</article></body></html>")
    assert time.monotonic() - started < 5
    assert document.text.count("Wort") > 30_000


LOOKS_LIKE_HTML = [
    ("<!DOCTYPE html><html><body>x</body></html>", True),
    ("  \n<html lang='de'><head></head></html>", True),
    ("<?xml version='1.0'?>\n<html xmlns='http://www.w3.org/1999/xhtml'></html>", True),
    ("<!-- gespeichert --><html><body></body></html>", True),
    ("<div><p>Erster Absatz</p><p>Zweiter Absatz</p></div>", True),
    ("Ein ganz normaler Text über Politik in Köln.", False),
    ("Im Code steht <b>fett</b>, sonst nichts.", False),
    ("Mathe: 3 < 4 und 5 > 2, also a<b", False),
    ("", False),
]


@pytest.mark.parametrize(("text", "expected"), LOOKS_LIKE_HTML)
def test_looks_like_html(text: str, expected: bool) -> None:
    assert looks_like_html(text) is expected
