"""Bytes to text for fetched pages and uploaded files, refusing binary data.

Order of evidence, as browsers do it: a byte-order mark, then the charset the sender declared
(HTTP header), then the document's own ``<meta charset>`` / XML declaration, then UTF-8 (also
when a few bytes are broken, as long as most non-ASCII sequences are valid UTF-8), then
statistical detection (charset-normalizer). Binary data (known file signatures, NUL bytes,
many control characters) is refused before any guessing, so a PDF never turns into mojibake.

A page names its charset, and a page may be hostile: only labels of the WHATWG Encoding
Standard count (via ``webencodings``), never any Python codec name, because ``unicode_escape``
turns ``\u202e`` written in a body into a real override character, and ``idna``/``utf-7``
are no web encodings either. A UTF-16 label without a BOM is read as UTF-8, as browsers do: a
body that passed the binary check has no NUL bytes, so it is not UTF-16 text.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer
import webencodings

from translation.errors import BinaryInputError

BINARY_MESSAGE = "This file looks binary, not text."

# Signatures of common binary formats people upload or servers mislabel as text.
_MAGIC_NUMBERS: tuple[bytes, ...] = (
    b"%PDF-",
    b"\x89PNG\r\n\x1a\n",
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"\x1f\x8b",  # gzip
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"BZh",
    b"\xfd7zXZ\x00",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"\x28\xb5\x2f\xfd",  # zstd
    b"\x7fELF",
    b"SQLite format 3\x00",
    b"OggS",
    b"\x00asm",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # MS Office (OLE2)
    b"wOFF",
    b"wOF2",
)

# Longest BOMs first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Encodings the current Encoding Standard maps to "replacement" (webencodings predates that).
_REPLACED = frozenset({"hz", "iso2022_kr"})
# Python codecs that some WHATWG label names (latin-1 and ascii already mean windows-1252).
_WEB_CODECS = (
    frozenset(webencodings.lookup(label).codec_info.name for label in webencodings.LABELS)
    - _REPLACED
)

_META_SCAN_BYTES = 32_768
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([\w:.\-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([\w.\-]+)["']""")

_SAMPLE_BYTES = 65_536
_CONTROL_BYTES = frozenset(range(0x20)) - frozenset(b"\t\n\r\f\v\x1b")
_MAX_CONTROL_RATIO = 0.05
# Share of undecodable bytes a declared or fallback charset may leave as U+FFFD.
_MAX_REPLACEMENT_RATIO = 0.005


def decode_bytes(
    data: bytes, declared_charset: str | None = None, is_html: bool = False
) -> tuple[str, str]:
    """Decode ``data`` to text and name the codec used; raise BinaryInputError for binary data."""
    if not data:
        return "", "utf-8"
    if data.startswith(_MAGIC_NUMBERS):
        raise BinaryInputError(BINARY_MESSAGE)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _strict_or_binary(data[len(bom) :], codec), codec
    if _looks_binary(data[:_SAMPLE_BYTES]):
        raise BinaryInputError(BINARY_MESSAGE)
    for label in (declared_charset, _embedded_charset(data) if is_html else None):
        named = _codec_for(label)
        if named is not None:
            text = _decode_tolerantly(data, named)
            if text is not None:
                return text, named
    text = _mostly_utf8(data)
    if text is not None:
        return text, "utf-8"
    best = charset_normalizer.from_bytes(data).best()
    guessed = _web_codec(best.encoding) if best is not None else None
    if best is not None and guessed is not None:
        return str(best), guessed
    text = _decode_tolerantly(data, "utf-8")
    if text is None:
        raise BinaryInputError(BINARY_MESSAGE)
    return text, "utf-8"


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 text when the bytes are UTF-8, or UTF-8 with a few broken bytes: at least two
    valid multi-byte characters per broken byte (a legacy-charset page has almost none)."""
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd") - data.count("\ufffd".encode())
    if broken == 0:
        return text
    valid = sum(1 for char in text if char > "\x7f" and char != "\ufffd")
    return text if valid >= 2 * broken else None


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    controls = sum(1 for byte in sample if byte in _CONTROL_BYTES)
    return controls > len(sample) * _MAX_CONTROL_RATIO


def _embedded_charset(data: bytes) -> str | None:
    """The charset a document declares about itself in its first bytes, if any."""
    head = data[:_META_SCAN_BYTES]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    if match is None:
        return None
    return match.group(1).decode("ascii", "ignore")


def _codec_for(label: str | None) -> str | None:
    """Python's codec for a WHATWG charset label, or None when the web knows no such label."""
    if not label:
        return None
    encoding = webencodings.lookup(label.strip().strip("\"'"))
    if encoding is None or encoding.codec_info.name in _REPLACED:
        return None
    name: str = encoding.codec_info.name
    # Without a BOM (checked first) and without NUL bytes (binary check) it is not UTF-16.
    return "utf-8" if name.startswith("utf-16") else name


def _web_codec(name: str) -> str | None:
    """A detector's Python codec name, if it is one of the web's encodings."""
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return codec if codec in _WEB_CODECS else None


def _decode_tolerantly(data: bytes, codec: str) -> str | None:
    """Decode with ``codec``, accepting a few bad bytes but not a wrong guess."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    except LookupError:
        return None
    if codec == "cp1252":
        # Five bytes are undefined in cp1252; browsers map them to C1 controls like latin-1.
        return data.decode("latin-1")
    text = data.decode(codec, errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    return text if bad <= len(text) * _MAX_REPLACEMENT_RATIO else None


def _strict_or_binary(data: bytes, codec: str) -> str:
    text = _decode_tolerantly(data, codec)
    if text is None:
        raise BinaryInputError(BINARY_MESSAGE)
    return text
