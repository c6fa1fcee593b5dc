"""Decode HTML bytes to text: HTTP header, BOM, <meta> declaration, then detection."""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Mapping

from charset_normalizer import from_bytes

# How far into the document a <meta charset> is looked for; real pages put it after byte 1024.
META_SNIFF_BYTES = 8192

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
# Browsers read these labels as windows-1252, and so do the pages that declare them.
_WHATWG_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252",
                   "ascii": "cp1252", "iso8859-1": "cp1252", "l1": "cp1252"}


# Markup as any page's first bytes hold it (even length, for UTF-16): what a declared charset must read.
_MARKUP = b'<meta http-equiv="Content-Type" content="text/html; charset=x"> +/-\\u0041&amp;'


def _codec(label: str | None) -> str | None:
    """Return the Python codec name for a declared charset label, or None when unknown.

    Python's codec registry also holds codecs that are no text encoding ("hex", "base64", "rot13": decoding
    raises) or that fail on markup ("idna", "undefined"); a page declaring one has no charset we can use.
    """
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _WHATWG_ALIASES.get(name, name)
    try:
        codec = codecs.lookup(name).name
        _MARKUP.decode(codec, errors="replace")
    except (LookupError, UnicodeError):
        return None
    return codec


def header_charset(headers: Mapping[str, str] | None) -> str | None:
    """Return the codec named by a Content-Type header, whatever the header's case."""
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == "content-type":
            match = _HEADER_CHARSET.search(value)
            return _codec(match.group(1)) if match else None
    return None


def meta_charset(body: bytes) -> str | None:
    """Return the codec declared by <meta charset> or http-equiv in the first bytes of a page."""
    match = _META_CHARSET.search(body[:META_SNIFF_BYTES])
    codec = _codec(match.group(1).decode("ascii", "replace")) if match else None
    if codec is None or codec.startswith(("utf-16", "utf-32")):
        # The <meta> was read as ASCII, so the page is none of these: the WHATWG prescan reads a UTF-16
        # declaration as UTF-8 (and knows no UTF-32).
        return "utf-8" if codec and codec.startswith("utf-16") else None
    # A codec that reads markup otherwise (EBCDIC, UTF-7, unicode_escape) cannot be the one the <meta> was in.
    return codec if _MARKUP.decode(codec, errors="replace") == _MARKUP.decode("ascii") else None


def decode_html(body: bytes, headers: Mapping[str, str] | None = None) -> str:
    """Decode a page: BOM, header charset, <meta> in the first 8 KB, mostly-UTF-8, then charset-normalizer."""
    # A BOM is checked first, as the WHATWG sniffing algorithm does: it cannot be there by accident,
    # while a server's default header often is.
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    for declared in (header_charset(headers), meta_charset(body)):
        # "UTF-16" with no BOM names no byte order: the one its NULs show, else little-endian (WHATWG).
        reading = (_utf16_without_bom(body) or "utf-16-le") if declared == "utf-16" else declared
        if reading:
            try:
                return body.decode(reading, errors="replace")
            except UnicodeError:  # a codec that ignores "replace" (punycode on non-ASCII bytes): the next way
                continue
    utf16 = _utf16_without_bom(body)
    if utf16 is not None:
        return body.decode(utf16, errors="replace")
    utf8 = _mostly_utf8(body)
    if utf8 is not None:
        return utf8
    best = from_bytes(body[:65536]).best()
    if best is None or not best.encoding:
        return body.decode("cp1252", errors="replace")
    detected = body.decode(best.encoding, errors="replace")
    if _latin_only(detected):
        # Detection cannot tell the Latin code pages apart on short text; windows-1252 is the web's
        # default for Western pages and what browsers would use here.
        try:
            return body.decode("cp1252")
        except UnicodeDecodeError:
            pass
    return detected


# UTF-16 without a BOM: its markup, ASCII, puts a NUL in every other byte. Arabic or Hebrew text in it is
# also valid UTF-8 (U+06xx is two bytes under 0x80), which would read it as text with NULs between letters.
UTF16_SNIFF_BYTES = 4096
# Of the sniffed byte pairs, those with a NUL on the high side (ASCII, but not Cyrillic or Arabic letters)
# and on the low side (U+xx00 only: "一" is 1 % of a Chinese text). A page in another charset has none.
MIN_UTF16_NULS = 0.1
MAX_UTF16_OTHER_NULS = 0.02


def _utf16_without_bom(body: bytes) -> str | None:
    """The UTF-16 codec of a page in UTF-16 with no BOM (NULs in every other byte), or None."""
    head = body[:UTF16_SNIFF_BYTES]
    pairs = len(head) // 2
    if pairs < 16:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    for codec, high, low in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if high >= MIN_UTF16_NULS * pairs and low <= MAX_UTF16_OTHER_NULS * pairs:
            return codec
    return None


# A page of UTF-8 with a few invalid sequences (a truncated body, a byte pasted from another charset):
# UTF-8 still, when its valid multi-byte characters outnumber its invalid bytes this many times (Python reads
# each invalid byte of a sequence as one U+FFFD).
# A legacy multi-byte page (EUC-KR, GBK, Shift_JIS) has several invalid bytes to each chance-valid sequence,
# a single-byte one (windows-1252, -1251, KOI8-R) next to none valid. Detection reads a mostly-UTF-8 page
# as one of those and garbles every character (a Tunisian page in Arabic came out as Thai).
UTF8_VALID_PER_INVALID = 3


def _mostly_utf8(body: bytes) -> str | None:
    """The page read as UTF-8 when it is UTF-8 but for a cut-off last character or a few bad bytes, else None."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":  # cut off inside its last character, and valid before
            return body.decode("utf-8", errors="replace")
    text = body.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - body.count("\ufffd".encode())
    valid = len(text) - len(text.encode("ascii", errors="ignore")) - text.count("\ufffd")
    return text if valid >= UTF8_VALID_PER_INVALID * invalid else None


def _latin_only(text: str) -> bool:
    """Tell whether every non-ASCII letter of a text is a Latin letter."""
    letters = {char for char in text if ord(char) > 127 and char.isalpha()}
    return all(unicodedata.name(char, "").startswith("LATIN") for char in letters)
