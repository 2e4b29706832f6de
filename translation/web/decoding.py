"""Bytes to text for fetched pages and uploaded files, refusing binary data.

Order of evidence, as browsers do it: a byte-order mark, then the charset the sender declared
(HTTP header), then the document's own ``<meta charset>`` / XML declaration, then valid UTF-8,
then statistical detection (charset-normalizer). Binary data (known file signatures, NUL bytes,
many control characters) is refused before any guessing, so a PDF never turns into mojibake.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

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

# Labels browsers treat as windows-1252 (WHATWG Encoding Standard): pages that say latin-1
# almost always contain cp1252 quotes and dashes in 0x80-0x9F.
_WINDOWS_1252_ALIASES = frozenset({"latin_1", "iso8859-1", "ascii", "cp1252"})

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
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is not None:
        return str(best), _codec_for(best.encoding) or best.encoding
    text = _decode_tolerantly(data, "utf-8")
    if text is None:
        raise BinaryInputError(BINARY_MESSAGE)
    return text, "utf-8"


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
    label = match.group(1).decode("ascii", "ignore")
    # A document readable as ASCII cannot really be UTF-16; browsers read it as UTF-8.
    return "utf-8" if label.lower().startswith(("utf-16", "utf16")) else label


def _codec_for(label: str | None) -> str | None:
    """Python's codec name for a charset label, or None when the label is unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    return "cp1252" if name in _WINDOWS_1252_ALIASES else name


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
