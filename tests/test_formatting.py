"""Reply formatting: valid Telegram HTML, escaped user text, and Telegram's 4096-unit limit."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.telegram.formatting import (
    DOCUMENT_THRESHOLD_MESSAGES,
    ESCAPED,
    MESSAGE_LIMIT,
    PLAIN,
    _Measure,
    format_number,
    full_translation_as_document,
    full_translation_header,
    human_bytes,
    language_name,
    render_document_caption,
    render_error,
    render_full_translation,
    render_summary,
    render_text,
    should_send_as_document,
    split_message,
    truncate,
    utf16_len,
)
from tests.support.telegram_html import (
    TelegramHtmlError,
    assert_valid_telegram_html,
    parse_telegram_html,
)
from translation.domain import Detection, FullTranslation, LanguageGuess, PipelineResult

URL = 'https://news.example.de/artikel?id=1&ref="rss"&x=<y>'
TITLE = 'Bahn & Bund: "Neue <script>alert(1)</script> Tarife" 🚆'
MISSING_JA = "No model for de→ja: install de→en and en→ja (or a direct de→ja package)"


def make_result(
    summaries: dict[str, list[str]] | None = None,
    *,
    title: str | None = TITLE,
    url: str | None = URL,
    uncertain: bool = False,
    pivots: dict[str, str] | None = None,
    missing: dict[str, str] | None = None,
    source: str = "de",
    missing_packages: dict[str, list[str]] | None = None,
) -> PipelineResult:
    detection = Detection(source, 0.62 if uncertain else 0.99, (LanguageGuess(source, 0.6),))
    detection = Detection(
        detection.language, detection.confidence, detection.candidates, uncertain=uncertain
    )
    return PipelineResult(
        source_language=source,
        confidence=detection.confidence,
        detection=detection,
        title=title,
        url=url,
        sentence_count=40,
        summaries=summaries
        or {
            "de": [
                "Die Deutsche Bahn erhöht am 3. Oktober die Preise um 5 % – „ärgerlich“.",
                "Fahrgäste <b>müssen</b> sich auf A & B einstellen.",
                "Mehr dazu im Live-Ticker 🎉.",
            ],
            "en": [
                "Deutsche Bahn raises prices by 5% on 3 October.",
                "Passengers must expect <changes> & delays.",
                "More in the live ticker 🎉.",
            ],
            "fr": [
                "La Deutsche Bahn augmente ses prix.",
                "Les passagers « attendent ».",
                "Plus 🎉.",
            ],
        },
        pivots={"fr": "en"} if pivots is None else pivots,
        missing={"ja": MISSING_JA} if missing is None else missing,
        missing_packages={"ja": ["en-ja"]} if missing_packages is None else missing_packages,
    )


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href"))


def hrefs(html_text: str) -> list[str | None]:
    parser = _Links()
    parser.feed(html_text)
    return parser.hrefs


def visible(html_text: str) -> str:
    return parse_telegram_html(html_text)


def squash(text: str) -> str:
    return "".join(text.split())


# -- measuring --------------------------------------------------------------------------------


def test_numbers_and_sizes_in_the_ui_language() -> None:
    assert format_number(100_000, "en") == "100,000"
    assert format_number(100_000, "de") == "100.000"
    assert human_bytes(2_000_000, "en") == "2 MB"
    assert human_bytes(1_500_000, "de") == "1,5 MB"
    assert human_bytes(1_500_000, "en") == "1.5 MB"
    assert human_bytes(512, "de") == "512 bytes"


def test_utf16_len_counts_like_telegram() -> None:
    assert utf16_len("") == 0
    assert utf16_len("abc") == 3
    assert utf16_len("äöü€") == 4  # BMP: one unit each
    assert utf16_len("🎉") == 2  # outside the BMP: a surrogate pair
    assert utf16_len("👩‍👩‍👧") == 8  # three emoji + two zero-width joiners
    assert utf16_len("\ud800") == 1  # a lone surrogate is still one unit


# -- summaries --------------------------------------------------------------------------------


def test_realistic_summary_in_english_ui() -> None:
    html_text = render_summary(make_result(), ["en", "fr", "ja"], "en", show_source=True)
    assert_valid_telegram_html(html_text)
    assert "<script" not in html_text and "&lt;script&gt;" in html_text
    assert hrefs(html_text) == [URL]  # the attribute survives escaping exactly
    shown = visible(html_text)
    assert shown.startswith(TITLE)
    assert "Source language: German (de)" in shown and "uncertain" not in shown
    english, french, german = (shown.index(h) for h in ("English", "French", "German (original)"))
    assert english < french < german
    assert "French (via English)" in shown
    assert "• Passengers must expect <changes> & delays." in shown
    assert "Japanese isn't available for this article yet." in shown
    assert "Install" not in shown and "en→ja" not in shown  # operator wording: owners only
    for_owner = visible(render_summary(make_result(), ["ja"], "en", True, operator=True))
    assert "Japanese isn't available for this article yet. Install: en→ja" in for_owner


def test_summary_layout_lines_and_blocks() -> None:
    """Head lines, then one block per language, then the notes, separated by blank lines."""
    html_text = render_summary(make_result(), ["en", "ja"], "en", show_source=False)
    head, english, notes = html_text.split("\n\n")
    assert head.split("\n")[1] == "<i>Source language: German (de)</i>"
    assert english.split("\n") == [
        "<b>English</b>",
        "• Deutsche Bahn raises prices by 5% on 3 October.",
        "• Passengers must expect &lt;changes&gt; &amp; delays.",
        "• More in the live ticker 🎉.",
    ]
    assert notes == "<i>⚠️ Japanese isn&#x27;t available for this article yet.</i>"


def test_german_ui_names_and_uncertain_detection() -> None:
    result = make_result(uncertain=True)
    html_text = render_summary(result, ["en", "fr", "ja"], "de", show_source=False)
    assert_valid_telegram_html(html_text)
    shown = visible(html_text)
    assert "Ausgangssprache: Deutsch (de), unsicher" in shown
    assert "Englisch" in shown and "Französisch (über Englisch)" in shown
    assert "Original" not in shown  # show_source is off
    assert "Fahrgäste" not in shown
    assert "Japanisch: für diesen Artikel noch nicht verfügbar." in shown
    assert "No model" not in shown and "install" not in shown  # no English pipeline text


def test_source_summary_is_shown_when_no_translation_exists() -> None:
    result = make_result({"de": ["Ein Satz.", "Noch einer."]}, missing={"ja": MISSING_JA})
    shown = visible(render_summary(result, ["ja"], "en", show_source=False))
    assert "German (original)" in shown and "• Ein Satz." in shown
    assert "No translation is available" in shown and "Japanese isn't available" in shown
    # A result cached before the needed packages were recorded still names the pair.
    result = make_result({"de": ["Ein Satz."]}, missing={"ja": MISSING_JA}, missing_packages={})
    owner = visible(render_summary(result, ["ja"], "en", show_source=False, operator=True))
    assert "Install: de→ja" in owner


def test_target_equal_to_source_is_not_repeated() -> None:
    result = make_result(missing={})
    shown = visible(render_summary(result, ["de", "en"], "en", show_source=True))
    assert shown.count("Fahrgäste") == 1 and "(original)" not in shown


def test_rtl_emoji_and_zero_width_text_pass_through() -> None:
    arabic = "قال المتحدث إن القطار سيتأخر 🚆\u200f."
    result = make_result({"de": ["Satz."], "ar": [arabic, "\u200b\u200d"]}, missing={})
    html_text = render_summary(result, ["ar"], "en", show_source=False)
    assert_valid_telegram_html(html_text)
    assert arabic.replace("\u200f", "") in visible(html_text)  # the RLM mark is a bidi control


BIDI_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_bidi_controls_cannot_spoof_titles_or_bullets() -> None:
    # Issue 13: "Rechnung \u202efdp.exe" displays as "Rechnung exe.pdf".
    spoof = "Rechnung \u202efdp.exe\u202c \u2066x\u2069\u200e\u200f"
    result = make_result({"de": [spoof], "en": [spoof]}, title=spoof, missing={})
    for html_text in (
        render_summary(result, ["en"], "en", show_source=True),
        *render_full_translation(make_translation([[spoof]], title=spoof), "en"),
    ):
        assert_valid_telegram_html(html_text)
        assert not set(BIDI_CONTROLS) & set(html_text)
        assert "Rechnung fdp.exe x" in visible(html_text)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://example.org/file",
        "https://exa mple.org/",
        "https://example.org/\nx",
        "https://example.org/\x07x",  # a control character that is not whitespace
        "https://example.org/\ud800",  # a lone surrogate
        "https://",
        "https://example.org:99999/",
        "https://example.org/" + "a" * 3000,
        "data:text/html,<b>x</b>",
    ],
)
def test_unusable_urls_are_not_linked(url: str) -> None:
    html_text = render_summary(make_result(url=url), ["en"], "en", show_source=False)
    assert_valid_telegram_html(html_text)
    assert hrefs(html_text) == []
    assert visible(html_text).startswith(TITLE)


def test_missing_title_falls_back_to_host_or_heading() -> None:
    linked = render_summary(make_result(title=None), ["en"], "en", show_source=False)
    assert visible(linked).startswith("news.example.de")
    plain = render_summary(make_result(title="  \n ", url=None), ["en"], "de", show_source=False)
    assert visible(plain).startswith("Zusammenfassung")


def test_control_characters_and_lone_surrogates_are_dropped() -> None:
    result = make_result({"de": ["a\x00b\x07c\ud800d\x1b"], "en": ["e\tf\r\ng"]}, missing={})
    html_text = render_summary(result, ["en"], "en", show_source=True)
    assert_valid_telegram_html(html_text)
    html_text.encode("utf-8")  # no lone surrogate left
    assert "• abcd" in visible(html_text) and "• e f g" in visible(html_text)


def test_overlong_summary_shortens_the_longest_bullets_only() -> None:
    long_sentence = "Ein sehr langer Satz mit vielen Wörtern & Zeichen <x> 🎉. " * 40
    summaries = {
        "de": [long_sentence] * 4 + ["Kurz."],
        "en": [long_sentence] * 4 + ["Short."],
        "fr": [long_sentence] * 4 + ["Court."],
    }
    html_text = render_summary(make_result(summaries), ["en", "fr"], "en", show_source=True)
    assert_valid_telegram_html(html_text)
    assert utf16_len(html_text) <= MESSAGE_LIMIT
    assert utf16_len(html_text) > MESSAGE_LIMIT - 200  # the room is used, not wasted
    shown = visible(html_text)
    assert shown.count("• ") == 15  # every sentence keeps its bullet
    assert "• Kurz." in shown and "• Short." in shown and "• Court." in shown
    bullets = [line for line in shown.splitlines() if line.startswith("• Ein sehr")]
    assert len(bullets) == 12 and all(b.endswith("…") for b in bullets)


def test_emoji_heavy_summary_respects_utf16_limit() -> None:
    summaries = {"de": ["🎉" * 3000], "en": ["🚆" * 3000, "🇩🇪" * 1000]}
    html_text = render_summary(make_result(summaries, missing={}), ["en"], "en", show_source=True)
    assert_valid_telegram_html(html_text)
    assert len(html_text) < MESSAGE_LIMIT - 1000  # code points alone would overshoot


def test_many_languages_drop_whole_sections_rather_than_overflow() -> None:
    codes = [f"{a}{b}" for a in "abcdefghij" for b in "abcdefghij"]
    summaries = {"de": ["Satz."] * 10, **{c: ["Sentence number one."] * 10 for c in codes}}
    result = make_result(summaries, missing={f"q{c}": MISSING_JA for c in codes})
    html_text = render_summary(result, codes + [f"q{c}" for c in codes], "en", show_source=True)
    assert_valid_telegram_html(html_text)
    assert visible(html_text).rstrip().endswith("…")


_ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=40)
_HUGE_TEXT = st.text(min_size=1, max_size=12).map(lambda s: s * 700)
_TEXT = _ANY_TEXT | _HUGE_TEXT | st.sampled_from(["<b>", "&amp;", "&", '"', "'", "</a>", "🎉"])
_CODE = st.sampled_from(["en", "fr", "de", "ja", "ar", "zt", "xx"]) | st.text(max_size=4)
_URLS = st.none() | _TEXT | st.builds(lambda s: "https://example.org/" + s, _TEXT)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=st.none() | _TEXT,
    url=_URLS,
    summaries=st.dictionaries(_CODE, st.lists(_TEXT, max_size=6), max_size=5),
    targets=st.lists(_CODE, max_size=6),
    missing=st.dictionaries(_CODE, _TEXT, max_size=3),
    pivots=st.dictionaries(_CODE, _CODE, max_size=2),
    uncertain=st.booleans(),
    show_source=st.booleans(),
    ui=st.sampled_from(["en", "de", "fr", ""]),
)
def test_any_summary_renders_valid_and_within_limit(
    title: str | None,
    url: str | None,
    summaries: dict[str, list[str]],
    targets: list[str],
    missing: dict[str, str],
    pivots: dict[str, str],
    uncertain: bool,
    show_source: bool,
    ui: str,
) -> None:
    result = make_result(
        summaries or {"de": []},
        title=title,
        url=url,
        uncertain=uncertain,
        pivots=pivots,
        missing=missing,
    )
    html_text = render_summary(result, targets, ui, show_source)
    assert_valid_telegram_html(html_text)


# -- splitting and full translations ----------------------------------------------------------


def test_split_prefers_paragraph_boundaries() -> None:
    paragraphs = [f"Satz in Absatz {p}. " * 30 for p in range(6)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    parts = split_message(text, limit=2000)
    assert len(parts) == 2  # three ~600-unit paragraphs per part
    assert all(utf16_len(p) <= 2000 for p in parts)
    assert squash("".join(parts)) == squash(text)
    for part in parts:  # only whole paragraphs
        assert all(part.count(f"Absatz {p}.") in (0, 30) for p in range(6))


def test_split_falls_back_to_sentences_words_and_hard_cuts() -> None:
    sentence = "Dies ist ein Satz, der nicht zu kurz ist. "
    parts = split_message(sentence * 200, limit=500)
    assert all(p.endswith("ist.") for p in parts) and len(parts) > 10
    words = split_message("wort " * 1000, limit=100)
    assert all(p.split() and set(p.split()) == {"wort"} for p in words)
    hard = split_message("🎉" * 1000, limit=101)
    assert all(utf16_len(p) <= 101 for p in hard)
    assert "".join(hard) == "🎉" * 1000  # no surrogate pair broken


def test_split_escaped_mode_measures_the_escaped_text() -> None:
    parts = split_message("a & b < c. " * 600, limit=MESSAGE_LIMIT, escaped=True)
    for part in parts:
        assert utf16_len(part) <= MESSAGE_LIMIT
        parse_telegram_html(part)
    assert squash("".join(visible(p) for p in parts)) == squash("a & b < c. " * 600)


def test_split_rejects_absurd_limits_and_handles_empty_text() -> None:
    with pytest.raises(ValueError):
        split_message("text", limit=3)
    assert split_message("   \n\n  ") == []


def make_translation(paragraphs: list[list[str]], **kwargs: str | None) -> FullTranslation:
    fields: dict[str, str | None] = {"title": TITLE, "url": URL, "pivot": None}
    fields.update(kwargs)
    return FullTranslation("de", "en", fields["title"], fields["url"], paragraphs, fields["pivot"])


def test_full_translation_fits_one_message_when_short() -> None:
    tr = make_translation([["One <sentence>.", "Two & three."], ["New paragraph."]], pivot="en")
    [message] = render_full_translation(tr, "en")
    assert_valid_telegram_html(message)
    shown = visible(message)
    assert "Translation German → English (via English)" in shown
    assert "One <sentence>. Two & three.\n\nNew paragraph." in shown
    assert not should_send_as_document([message])


def test_long_full_translation_splits_and_becomes_a_document() -> None:
    paragraphs = [
        [f"Sentence {p}.{s} says something & more." for s in range(20)] for p in range(30)
    ]
    tr = make_translation(paragraphs)
    parts = render_full_translation(tr, "de")
    assert len(parts) > DOCUMENT_THRESHOLD_MESSAGES and should_send_as_document(parts)
    for part in parts:
        assert_valid_telegram_html(part)
    header = visible(full_translation_header(tr, "de"))
    shown = "".join(visible(p) for p in parts)
    assert squash(shown) == squash(header) + squash(tr.text)
    assert all(visible(p).rstrip().endswith("more.") for p in parts)  # sentence boundaries
    name, data = full_translation_as_document(tr)
    assert name == "bahn-bund-neue-script-alert-1-script-tar.de-en.txt"
    assert data.decode("utf-8").startswith(TITLE + "\n" + URL + "\n\n")
    assert tr.text in data.decode("utf-8")
    caption = render_document_caption(tr, "de")
    assert_valid_telegram_html(caption)
    assert "Vollständige Übersetzung: Englisch" in visible(caption)


def test_document_name_without_title() -> None:
    name, data = full_translation_as_document(make_translation([["Ä."]], title=None, url=None))
    assert name == "translation.de-en.txt" and data == "Ä.\n".encode()


_PRINTABLE = st.characters(exclude_categories=("Cc", "Cs"))
_PLAIN = st.text(alphabet=_PRINTABLE, min_size=1, max_size=60) | st.text(
    alphabet=_PRINTABLE, min_size=1, max_size=8
).map(lambda s: s * 900)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    paragraphs=st.lists(st.lists(_PLAIN, min_size=1, max_size=8), max_size=8),
    title=st.none() | _PLAIN,
    ui=st.sampled_from(["en", "de"]),
)
def test_any_full_translation_keeps_all_text_in_valid_parts(
    paragraphs: list[list[str]], title: str | None, ui: str
) -> None:
    tr = make_translation(paragraphs, title=title)
    parts = render_full_translation(tr, ui)
    for part in parts:
        assert_valid_telegram_html(part)
    shown = squash("".join(visible(p) for p in parts))
    header = squash(visible(full_translation_header(tr, ui)))
    assert shown == header + squash(tr.text)


@settings(max_examples=80, deadline=None)
@given(text=st.text(alphabet=_PRINTABLE) | _PLAIN)
def test_split_message_keeps_text_and_limits(text: str) -> None:
    parts = split_message(text, limit=300)
    assert all(0 < utf16_len(p) <= 300 for p in parts)
    assert squash("".join(parts)) == squash(text)


# -- small renderers --------------------------------------------------------------------------


def test_language_names_in_both_ui_languages() -> None:
    assert language_name("de", "en") == "German"
    assert language_name("de", "de") == "Deutsch"
    assert language_name("fr", "de") == "Französisch"
    assert language_name("zt", "en") == "Chinese (Traditional)"
    assert language_name("pt-BR", "de").startswith("Portugiesisch")
    assert language_name("qq", "en") == "qq"
    assert language_name("", "de") == ""
    common = "ar bg ca cs da de el en eo es et fa fi fr ga he hi hu id it ja ko lt lv ms nb nl pl"
    common += " pt ro ru sk sl sq sv th tl tr uk ur vi zh az bn eu gl ky"
    for code in common.split():
        for ui in ("en", "de"):
            assert language_name(code, ui) != code, (code, ui)


def test_render_error_escapes_and_falls_back() -> None:
    assert render_error("bad <b>input</b> & more", "en") == (
        "⚠️ bad &lt;b&gt;input&lt;/b&gt; &amp; more"
    )
    assert "etwas schiefgegangen" in render_error("  \x00 ", "de")
    long_error = render_error("<" * 5000, "en")
    assert_valid_telegram_html(long_error)
    assert utf16_len(long_error) < 1100


def test_render_text_escapes_placeholders() -> None:
    text = render_text("error.fetch_failed", "en", reason="HTTP 404 <Not Found> & co")
    assert_valid_telegram_html(text)
    assert visible(text) == "I couldn't fetch the article: HTTP 404 <Not Found> & co"
    german = render_text("error.fetch_failed", "de", reason="<Fehler> & Co")
    assert visible(german).startswith("Ich konnte den Artikel nicht laden")
    assert "&lt;Fehler&gt; &amp; Co" in german


@pytest.mark.parametrize(
    "bad",
    [
        "<b>x",
        "x</b>",
        "<b><i>x</b></i>",
        "<a>x</a>",
        '<a href="">x</a>',
        "<a href=x>x</a>",
        '<a href="https://x"><a href="https://y">x</a></a>',
        "<code><b>x</b></code>",
        "<span>x</span>",
        '<span class="other">x</span>',
        "<br>",
        "<b/>",
        "<!-- x -->y",
        "a &nbsp; b",
        "a & b",
        "a &amp b",
        "&#0;x",
        "&#xD800;x",
        "1 < 2",
        "2 > 1",
        "   ",
        "<i></i>",
        "x" * 4097,
    ],
)
def test_validator_rejects_what_telegram_would(bad: str) -> None:
    with pytest.raises(TelegramHtmlError):
        assert_valid_telegram_html(bad)


def test_validator_accepts_telegram_markup() -> None:
    assert_valid_telegram_html(
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>i</ins><s>s</s>"
        '<strike>s</strike><del>d</del><a href="https://x.org/?a=1&amp;b=2">a</a>'
        '<code>c</code><pre><code class="language-python">x</code></pre>'
        "<blockquote>q</blockquote><blockquote expandable>q</blockquote>"
        '<tg-spoiler>t</tg-spoiler><span class="tg-spoiler">s</span>'
        "&lt;&gt;&amp;&quot;&#39;&#x1F389; <b><i>nested</i></b>"
    )
    assert_valid_telegram_html("🎉" * 2048)
    with pytest.raises(TelegramHtmlError):
        assert_valid_telegram_html("🎉" * 2049)


def test_translated_titles_stand_under_each_language_and_the_original_stays_linked() -> None:
    result = make_result()
    result.titles.update({"en": "Rail <prices> rise", "fr": "Les prix augmentent"})
    html_text = render_summary(result, ["en", "fr"], "en", show_source=False)
    assert_valid_telegram_html(html_text)
    assert hrefs(html_text) == [URL]
    shown = visible(html_text)
    assert shown.startswith(TITLE)
    assert "English\nRail <prices> rise\n• " in shown
    assert "Les prix augmentent" in shown


@pytest.mark.parametrize(
    ("text", "budget", "measure", "expected"),
    [
        ("abc", 3, ESCAPED, "abc"),  # exactly the budget: kept whole
        ("Alle Züge fallen heute aus", 12, ESCAPED, "Alle Züge…"),  # cut at a word
        ("<<<<", 8, ESCAPED, "<…"),  # "<" costs 4 units once escaped
        ("🎉🎉🎉", 4, PLAIN, "🎉…"),  # an emoji costs 2 UTF-16 units
        ("  ab cd", 6, PLAIN, "  ab…"),  # leading space is kept
        ("xxxx", 1, ESCAPED, "…"),
        ("xx", 0, ESCAPED, ""),
    ],
)
def test_truncate_exactly(text: str, budget: int, measure: _Measure, expected: str) -> None:
    assert truncate(text, budget, measure) == expected


def test_plain_http_links_are_linked() -> None:
    url = "http://example.org/a"
    assert hrefs(render_summary(make_result(url=url), ["en"], "en", show_source=False)) == [url]
