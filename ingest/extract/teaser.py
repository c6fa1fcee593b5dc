"""Find repeated teasers: blocks that repeat other text of the same page, whole or as a prefix."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache
from itertools import accumulate

from rapidfuzz import fuzz

from dedupe.words import text_width
from ingest.extract import furniture

# Lengths here are in Latin-script characters (dedupe.words.text_width: a Chinese or Japanese
# character weighs 3.3, a Thai letter 1.5), so a teaser of a few Japanese words counts.
# A teaser shorter than this is too short to tell from a coincidence ("Oui...").
MIN_TEASER_CHARS = 30
# An unmarked block must be this long to count as a repeat of (a prefix of) a single paragraph:
# short lines legitimately recur in lists, tables and schedules.
MIN_UNMARKED_PREFIX_CHARS = 100
# Characters of the teaser's start (or of its end, before the cut) that must occur verbatim elsewhere.
ANCHOR_CHARS = 24
# partial_ratio score needed for a block with a "..." / "Read more" marker, a teaser by intent, so
# small differences are allowed; an unmarked block must be an exact copy.
MARKED_CUTOFF = 90.0
# How far (in characters) from a paragraph start an unmarked copy may begin.
BOUNDARY_SLACK = 2
# Longest marker text looked for at a block's end.
MARKER_WINDOW = 60

# Read-on texts of Polish, Italian, Portuguese, Dutch, Czech, Russian and Turkish sites.
_READ_ON_MORE = (
    r"czytaj więcej|czytaj dalej|leggi tutto|leggi di più|continua a leggere|leia mais|continue lendo|"
    r"lees meer|lees verder|číst dále|číst dál|читать далее|devamını oku"
)
_READ_ON = (
    r"lire la suite|la suite|lire plus|en savoir plus|read more|read the full (?:story|article)|"
    r"continue reading|keep reading|more|weiterlesen|mehr lesen|mehr|leer más|seguir leyendo|"
    r"sigue leyendo|ver más|続きを読む|全文を読む|阅读全文|查看全文|閱讀全文|อ่านต่อ|อ่านเพิ่มเติม|더보기|기사 더보기|"
    + _READ_ON_MORE
)
# Read-on texts specific enough to mark a teaser without an ellipsis before them.
_READ_ON_ALONE = (
    r"lire la suite|read more|read the full (?:story|article)|continue reading|keep reading|weiterlesen|"
    r"mehr lesen|leer más|seguir leyendo|sigue leyendo|続きを読む|全文を読む|阅读全文|查看全文|閱讀全文|อ่านต่อ|"
    r"อ่านเพิ่มเติม|기사 더보기|" + _READ_ON_MORE
)
# A marker ends a teaser: an ellipsis ("...", "…", "[…]", "(...)") and/or a read-on link text.
TEASER_MARKER = re.compile(
    r"(?:\s*(?:\[\s*(?:\.{2,}|…)\s*\]|\(\s*(?:\.{2,}|…)\s*\)|\.{3,}|…))"
    r"(?:\s*[-–—|:]?\s*(?:" + _READ_ON + r")\s*[.!]?\s*[»>›→]*)?\s*$"
    r"|(?:\s+|(?<=[.!?\"»”。！？」]))[-–—|]?\s*(?:" + _READ_ON + r")\s*[»>›→]+\s*$"
    r"|(?:\s+|(?<=[.!?\"»”。！？」]))[\[(【]?(?:" + _READ_ON_ALONE + r")[\])】]?"
    r"\s*[»>›→]*\s*$",
    re.IGNORECASE,
)


def _alternatives(pattern: str) -> tuple[str, ...]:
    """Split a regex alternation at its top level ("a|b (?:c|d)" -> "a", "b (?:c|d)")."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(pattern):
        depth += (char == "(") - (char == ")")
        if char == "|" and depth == 0:
            parts.append(pattern[start:index])
            start = index + 1
    return (*parts, pattern[start:])


# A marker holds an ellipsis or a read-on text: the literal part of some read-on text must be in the
# block's tail before TEASER_MARKER is worth running (the same prefilter as furniture.PhraseSet's).
_READ_ON_TEXTS = furniture.PhraseSet(
    _alternatives(_READ_ON) + _alternatives(_READ_ON_ALONE), _READ_ON + "|" + _READ_ON_ALONE
)
# One kind of quote, space and dash (furniture.replace_each: str.translate is 30 times slower on real
# paragraphs).
_QUOTES = (("’", "'"), ("‘", "'"), ("`", "'"), ("´", "'"), ("“", '"'), ("”", '"'), ("«", '"'), ("»", '"'),
           ("„", '"'), ("‟", '"'), ("\u00a0", " "), ("\u202f", " "), ("–", "-"), ("—", "-"))


def _one_kind(text: str) -> str:
    """Replace typographic quotes, non-breaking spaces and dashes with their plain forms."""
    return furniture.replace_each(text, _QUOTES)


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Return text folded for comparison: NFKC, casefolded, one kind of quote, single spaces."""
    return " ".join(_one_kind(unicodedata.normalize("NFKC", text)).casefold().split())


def strip_marker(text: str) -> tuple[str, bool]:
    """Return the text without a trailing teaser marker, and whether there was one."""
    # The marker is at the end: searching only the tail keeps the end-anchored regex linear.
    offset = max(0, len(text) - MARKER_WINDOW)
    tail = text[offset:]
    if ".." not in tail and "…" not in tail and not _READ_ON_TEXTS.may_occur(tail):
        return text, False  # neither an ellipsis nor a read-on text: no marker
    match = TEASER_MARKER.search(text, offset)
    if match is None or match.start() == 0:
        return text, False
    return text[: match.start()].rstrip(), True


class _Haystack:
    """The other blocks of a page joined with or without separators, with their start offsets."""

    def __init__(self, parts: Sequence[str], separator: str) -> None:
        """Join the parts and remember where each one starts."""
        self.text = separator.join(parts)
        lengths = [len(part) + len(separator) for part in parts]
        self.starts = [0, *accumulate(lengths)][: len(parts)]

    def starts_near_boundary(self, offset: int) -> bool:
        """Tell whether an offset is at (or within a few characters of) a block start."""
        index = bisect_right(self.starts, offset) - 1
        return index >= 0 and offset - self.starts[index] <= BOUNDARY_SLACK

    def boundaries_inside(self, start: int, end: int) -> int:
        """Count the block starts strictly inside a span."""
        return bisect_right(self.starts, end - 1) - bisect_right(self.starts, start)


def _anchors(body: str, marked: bool) -> tuple[str, ...]:
    """Return the verbatim pieces a repeat must share: its start, and for a marked teaser its end."""
    head = body[:ANCHOR_CHARS]
    if not marked:
        return (head,)
    return head, body[-ANCHOR_CHARS:].rsplit(" ", 1)[0]


def _is_repeat(body: str, marked: bool, others: Sequence[str]) -> bool:
    """Tell whether a (marker-less) block repeats the text of the other blocks."""
    for separator in (" ", ""):
        hay = _Haystack(others, separator)
        if marked:
            # A marked block says it is a teaser: a close fuzzy match anywhere is enough.
            if fuzz.partial_ratio_alignment(body, hay.text, score_cutoff=MARKED_CUTOFF) is not None:
                return True
            continue
        # Without a marker only an exact copy counts, starting where a paragraph starts, and either
        # running over into the next paragraph (glued copy) or being a long prefix of one.
        start = hay.text.find(body)
        while start != -1:
            if hay.starts_near_boundary(start) and (
                hay.boundaries_inside(start, start + len(body)) > 0 or text_width(body) >= MIN_UNMARKED_PREFIX_CHARS
            ):
                return True
            start = hay.text.find(body, start + 1)
    return False


def find_repeated_teasers(blocks: Sequence[str], normalised: Sequence[str] | None = None) -> list[int]:
    """Return the indexes of blocks that repeat other blocks of the page (teasers and duplicates)."""
    norm = list(normalised) if normalised is not None else [normalise(block) for block in blocks]
    removed: set[int] = set()
    first_seen: dict[str, int] = {}
    for index, text in enumerate(norm):
        if text_width(text) >= MIN_UNMARKED_PREFIX_CHARS and text in first_seen:
            removed.add(index)  # an exact copy: the first occurrence stays
        first_seen.setdefault(text, index)
    stripped = [strip_marker(text) for text in norm]
    # Marked blocks first, then the longest: a glued copy of two paragraphs must go before either
    # paragraph is compared with it, or the real paragraph would look like the copy.
    order = sorted(range(len(norm)), key=lambda i: (not stripped[i][1], -len(stripped[i][0]), i))
    # Cheap prefilter on the whole page: an anchor must occur more often than in the block itself.
    pages = (" ".join(norm), "".join(norm))
    for index in order:
        body, marked = stripped[index]
        if index in removed or text_width(body) < MIN_TEASER_CHARS:
            continue
        anchors = [a for a in _anchors(body, marked) if a]
        if not any(page.count(a) > norm[index].count(a) for a in anchors for page in pages):
            continue
        others = [norm[j] for j in range(len(norm)) if j != index and j not in removed]
        if others and _is_repeat(body, marked, others):
            removed.add(index)
    return sorted(removed)
