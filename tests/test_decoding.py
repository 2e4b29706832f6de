"""decode_bytes: BOM, declared charset, <meta>, UTF-8, detection; binary data refused."""

from __future__ import annotations

import codecs
import gzip
import random

import pytest

from translation.errors import InputError
from translation.web.decoding import BINARY_MESSAGE, decode_bytes

GERMAN = "Grüße aus Köln: „Zitat“ – 5 € für Straßenbahn-Tickets, Öffnungszeiten ändern sich."
# Latin-1 lacks cp1252's typographic quotes, dash and euro sign.
LATIN_1 = str.maketrans({"„": '"', "“": '"', "–": "-", "€": "EUR"})
GERMAN_LATIN = GERMAN.translate(LATIN_1)


def page(head: str, body: str = GERMAN) -> str:
    return f"<html><head>{head}<title>t</title></head><body><p>{body}</p></body></html>"


DECLARED = [
    # data, declared charset, is_html, expected text, expected codec
    (GERMAN.encode(), None, False, GERMAN, "utf-8"),
    (GERMAN.encode(), "UTF-8", False, GERMAN, "utf-8"),
    (GERMAN_LATIN.encode("latin-1"), "ISO-8859-1", False, GERMAN_LATIN, "cp1252"),
    (GERMAN.encode("cp1252"), "latin1", False, GERMAN, "cp1252"),
    (GERMAN.encode("cp1252"), "windows-1252", False, GERMAN, "cp1252"),
    (page('<meta charset="windows-1252">').encode("cp1252"), None, True,
     page('<meta charset="windows-1252">'), "cp1252"),
    (page("<meta http-equiv='Content-Type' content='text/html; charset=iso-8859-15'>",
          GERMAN_LATIN).encode("iso8859-15"), None, True,
     page("<meta http-equiv='Content-Type' content='text/html; charset=iso-8859-15'>",
          GERMAN_LATIN), "iso8859-15"),
    ('<?xml version="1.0" encoding="ISO-8859-1"?><html><body>Grüße</body></html>'.encode(
        "latin-1"), None, True,
     '<?xml version="1.0" encoding="ISO-8859-1"?><html><body>Grüße</body></html>', "cp1252"),
    # the header wins over the document's own claim
    (page('<meta charset="iso-8859-1">').encode(), "utf-8", True,
     page('<meta charset="iso-8859-1">'), "utf-8"),
    # a <meta> that claims UTF-16 on an ASCII-compatible page means UTF-8, as in browsers
    (page('<meta charset="utf-16">').encode(), None, True,
     page('<meta charset="utf-16">'), "utf-8"),
    # unknown labels are ignored
    (GERMAN.encode(), "no-such-charset", False, GERMAN, "utf-8"),
    # <meta> is only read for HTML
    (page('<meta charset="windows-1252">').encode(), None, False,
     page('<meta charset="windows-1252">'), "utf-8"),
    (b"", None, False, "", "utf-8"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "declared", "is_html", "text", "codec"), DECLARED)
def test_declared_and_embedded_charsets(
    data: bytes, declared: str | None, is_html: bool, text: str, codec: str
) -> None:
    assert decode_bytes(data, declared, is_html) == (text, codec)


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_byte_order_mark_beats_a_wrong_declaration(bom: bytes, codec: str) -> None:
    text, used = decode_bytes(bom + GERMAN.encode(codec), "iso-8859-1", is_html=True)
    assert (text, used) == (GERMAN, codec)


def test_a_declared_charset_that_does_not_fit_falls_through() -> None:
    # Says UTF-8, is cp1252 throughout: detection gives the right text, not replacement chars.
    data = (GERMAN_LATIN + " ") * 20
    text, codec = decode_bytes(data.encode("cp1252"), "utf-8")
    assert text == data
    assert codec != "utf-8"


def test_a_few_bad_bytes_in_declared_utf8_are_replaced() -> None:
    data = (GERMAN * 30).encode() + b"\xff" + (GERMAN * 30).encode()
    text, codec = decode_bytes(data, "utf-8")
    assert codec == "utf-8"
    assert text == GERMAN * 30 + "\ufffd" + GERMAN * 30


@pytest.mark.parametrize("codec", ["cp1252", "iso8859-15", "cp1251", "koi8-r"])
def test_undeclared_legacy_text_is_detected(codec: str) -> None:
    sample = (
        "Все счастливые семьи похожи друг на друга, каждая несчастливая семья несчастлива "
        "по-своему. Всё смешалось в доме Облонских. "
        if codec in {"cp1251", "koi8-r"}
        else GERMAN_LATIN + " Die Bürgerinnen und Bürger wählen am Sonntag einen neuen Rat. "
    ) * 5
    text, _ = decode_bytes(sample.encode(codec))
    assert text == sample


BINARY = [
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"PK\x03\x04\x14\x00\x06\x00",
    gzip.compress(b"hello world"),
    b"\xff\xd8\xff\xe0\x00\x10JFIF",
    b"GIF89a\x01\x00",
    b"\x7fELF\x02\x01\x01",
    b"SQLite format 3\x00",
    b"Hallo\x00Welt",
    random.Random(7).randbytes(5000),
    bytes(byte % 32 for byte in random.Random(8).randbytes(2000)),
]


@pytest.mark.parametrize("data", BINARY)
def test_binary_data_is_refused(data: bytes) -> None:
    with pytest.raises(InputError) as refused:
        decode_bytes(data, "utf-8", is_html=True)
    assert refused.value.message == BINARY_MESSAGE


def test_text_with_a_few_control_characters_is_still_text() -> None:
    text = ("Zeile mit Tab\tund Escape \x1b[0m. " + GERMAN + "\n") * 20
    assert decode_bytes(text.encode()) == (text, "utf-8")


def test_utf16_without_a_bom_is_taken_for_binary() -> None:
    # Without a BOM, UTF-16 is indistinguishable from binary data full of NUL bytes.
    with pytest.raises(InputError):
        decode_bytes(GERMAN.encode("utf-16-le"))


# --- issue 13: charsets a hostile page names ----------------------------------------------------

ESCAPES = b"Titel \\u202egnp.exe\\u202c und \\x00 Nullbyte, \\N{RIGHT-TO-LEFT OVERRIDE} +ICI-"
PYTHON_ONLY_LABELS = [
    "unicode_escape", "raw_unicode_escape", "unicode-escape", "idna", "utf-7", "UTF7",
    "punycode", "rot13", "hex", "base64", "uu", "zlib", "palmos", "mbcs", "utf-32", "cp65001x",
]  # fmt: skip


@pytest.mark.parametrize("label", PYTHON_ONLY_LABELS)
def test_only_web_encoding_labels_are_honoured(label: str) -> None:
    # unicode_escape would turn the written escapes into a real U+202E and NUL, utf-7 "+ICI-"
    # into "∢"; a web page can only name WHATWG encodings, so this is plain UTF-8 text.
    for declared, data in [
        (label, ESCAPES),
        (None, f'<meta charset="{label}"><p>'.encode() + ESCAPES),
    ]:
        text, codec = decode_bytes(data, declared, is_html=True)
        assert codec == "utf-8"
        assert text == data.decode("ascii")
        assert "\u202e" not in text and "\x00" not in text and "∢" not in text


def test_utf8_with_one_percent_broken_bytes_stays_utf8() -> None:
    body = (GERMAN + " Die Bürgerinnen und Bürger wählen am Sonntag einen neuen Rat. ") * 40
    data = bytearray(body.encode())
    broken = range(50, len(data), 100)  # 1 % of the bytes replaced by invalid ones
    for index in broken:
        data[index] = 0xFF
    text, codec = decode_bytes(bytes(data))
    assert codec == "utf-8"
    # a broken byte inside a multi-byte character also spoils the rest of that character
    assert len(broken) <= text.count("\ufffd") <= 3 * len(broken)
    assert text.count("ü") > 0.9 * body.count("ü")


@pytest.mark.parametrize("label", ["utf-16", "UTF-16LE", "utf-16be", "unicodeFFFE"])
def test_a_utf16_label_on_a_utf8_page_reads_utf8(label: str) -> None:
    text, codec = decode_bytes((GERMAN * 5).encode(), label, is_html=True)
    assert (text, codec) == (GERMAN * 5, "utf-8")


@pytest.mark.parametrize(
    ("bom", "codec"), [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")]
)
def test_a_bom_beats_a_python_only_label(bom: bytes, codec: str) -> None:
    assert decode_bytes(bom + GERMAN.encode(codec), "unicode_escape") == (GERMAN, codec)
