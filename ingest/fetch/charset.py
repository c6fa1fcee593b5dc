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
    """Decode a page: header charset, BOM, <meta> in the first 8 KB, then charset-normalizer."""
    # A BOM is checked first, as the WHATWG sniffing algorithm does: it cannot be there by accident,
    # while a server's default header often is.
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    for declared in (header_charset(headers), meta_charset(body)):
        if declared:
            try:
                return body.decode(declared, errors="replace")
            except UnicodeError:  # a codec that ignores "replace" (punycode on non-ASCII bytes): the next way
                continue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
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


def _latin_only(text: str) -> bool:
    """Tell whether every non-ASCII letter of a text is a Latin letter."""
    letters = {char for char in text if ord(char) > 127 and char.isalpha()}
    return all(unicodedata.name(char, "").startswith("LATIN") for char in letters)
