"""What a republished copy changed against the copy it joined: headline, paragraphs cut and added, reuse.

A paragraph is a line of the text holding at least one word. Both texts are cleaned first (`clean`:
typography, invisible characters, thousands separators) and each line loses a leading dateline (an
update put on top pushes the original's first line down), so neither counts as an edit. Words are
those of `dedupe.text` (lower-case runs of word characters; in scripts written without spaces each
letter with its marks), hashed as the clusterer hashes them and taken from the same per-line cache,
which the clusterer has just filled for both texts.

Paragraphs are aligned by the words they share, not by position: a word of one text is *found* in the
other when one of the word 3-shingles holding it occurs there (each text read as one run of words, so a
paragraph that was merged with the next, split or moved keeps its words). A paragraph is kept when at
least half of its words are found; a typo or an editor's substituted word loses only that word. A
paragraph left over, when dense edits (typos in a short line) or short neighbours hid its shingles, is
still kept when `rapidfuzz.fuzz.ratio` with a paragraph of the other text is >= 80; its words that occur
in that paragraph count as found. The rest of the original is cut, the rest of the copy added.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz
from rapidfuzz.process import cdist
from rapidfuzz.utils import default_process

from dedupe.model import CopyDiff, Doc

# The clusterer's per-line word codes (memoised) and shingle hashing are private to dedupe.text; shared
# here so a diff costs no second tokenisation of texts the clusterer has just read.
from dedupe.text import (
    _CRC_MASK,
    SHINGLE,
    U64,
    Mask,
    _paragraph_codes,
    _shingles_of_ids,
    clean,
    contains,
    strip_dateline,
    unique,
)

PARAGRAPH_KEPT = 0.5  # share of a paragraph's words found in the other text for it to be kept
PARAGRAPH_RATIO = 80.0  # rapidfuzz ratio pairing two leftover paragraphs as one, edited
HEADLINE_RATIO = 90.0  # rapidfuzz ratio under which two headlines are different headlines
MAX_RATIO_PAIRS = 10_000  # leftover paragraph pairs compared at most (two unrelated huge texts)

_PLACES = ("top", "middle", "bottom")
_NO_WORDS = np.zeros(0, dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class _Text:
    """A body as the diff reads it: its paragraphs and the hashes of their words, in text order."""

    paragraphs: tuple[str, ...]  # cleaned lines holding words, datelines removed
    words: U64  # crc32 of each lower-case word of the paragraphs, in order
    bounds: npt.NDArray[np.intp]  # index in `words` where each paragraph starts, then len(words)

    def paragraph(self, index: int) -> U64:
        """The word hashes of one paragraph."""
        return self.words[self.bounds[index]:self.bounds[index + 1]]


def _read(text: str) -> _Text:
    """Split a body into paragraphs and word hashes."""
    lines: list[str] = []
    parts: list[npt.NDArray[np.int64]] = []
    # A dateline on any line: an update put on top pushes the original's dateline down.
    for line in map(strip_dateline, clean(text).split("\n")):
        codes = _paragraph_codes(line)
        if len(codes):
            lines.append(line)
            parts.append(codes)
    words = (np.concatenate(parts) & _CRC_MASK).view(np.uint64) if parts else _NO_WORDS
    bounds = np.zeros(len(parts) + 1, dtype=np.intp)
    np.cumsum([len(part) for part in parts], out=bounds[1:])
    return _Text(tuple(lines), words, bounds)


def _shingles(words: U64, size: int) -> U64:
    """Per position, the hash of the `size` words from there (`size` is 1 or SHINGLE)."""
    return words if size == 1 else _shingles_of_ids(words)


def _found(mine: U64, theirs: U64, size: int) -> Mask:
    """Per word of `mine`: whether a shingle holding it occurs in `theirs`."""
    hits = contains(unique(theirs), mine)
    found = hits.copy() if size == 1 else np.zeros(len(hits) + size - 1, dtype=np.bool_)
    if size > 1:
        for shift in range(size):
            found[shift:shift + len(hits)] |= hits
    return found


def _kept(text: _Text, found: Mask) -> Mask:
    """Per paragraph: whether enough of its words are found in the other text."""
    if not text.paragraphs:
        return np.zeros(0, dtype=np.bool_)
    counts = np.add.reduceat(found.astype(np.intp), text.bounds[:-1])
    return np.asarray(counts >= PARAGRAPH_KEPT * np.diff(text.bounds))


def _rescue(text: _Text, kept: Mask, found: Mask, other: _Text) -> None:
    """Keep the leftover paragraphs of `text` that read like a paragraph of `other`; their shared words are found.

    Shingles miss a short line with dense typos; its characters still match. Updates `kept` and `found`.
    """
    left = np.flatnonzero(~kept).tolist()
    if not left or not other.paragraphs or len(left) * len(other.paragraphs) > MAX_RATIO_PAIRS:
        return
    scores = cdist([text.paragraphs[i] for i in left], other.paragraphs,
                   scorer=fuzz.ratio, processor=default_process, score_cutoff=PARAGRAPH_RATIO)
    for row, partner in enumerate(scores.argmax(axis=1).tolist()):
        if scores[row, partner] >= PARAGRAPH_RATIO:
            i = left[row]
            kept[i] = True
            found[text.bounds[i]:text.bounds[i + 1]] |= contains(unique(other.paragraph(partner)), text.paragraph(i))


def _places(kept: Sequence[bool]) -> tuple[str, ...]:
    """Where the copy's added paragraphs sit against its kept ones: each place once, in text order.

    A copy that keeps no paragraph has everything it says before its (absent) first kept one: "top".
    """
    kept_at = [i for i, k in enumerate(kept) if k]
    first, last = (kept_at[0], kept_at[-1]) if kept_at else (len(kept), len(kept))
    places = {0 if i < first else 2 if i > last else 1 for i, k in enumerate(kept) if not k}
    return tuple(_PLACES[p] for p in sorted(places))


def _headline(title: str) -> str:
    """A headline without case, punctuation, typography or spacing differences."""
    return " ".join(default_process(clean(title)).split())


def headline_rewritten(copy: str, original: str) -> bool:
    """Whether two headlines differ beyond case, punctuation, spacing and a small typo; an empty one never does."""
    mine, theirs = _headline(copy), _headline(original)
    return bool(mine and theirs) and fuzz.ratio(mine, theirs) < HEADLINE_RATIO


def copy_diff(copy: Doc, original: Doc) -> CopyDiff:
    """What `copy` changed against `original`, the copy it joined: headline, paragraphs cut and added, reuse."""
    rewritten = headline_rewritten(copy.title, original.title)
    if copy.text == original.text:
        return CopyDiff(rewritten, 0, 0, (), reused=1.0, own=0.0)
    mine, theirs = _read(copy.text), _read(original.text)
    if np.array_equal(mine.words, theirs.words):  # the same words, whatever the line breaks
        return CopyDiff(rewritten, 0, 0, (), reused=1.0, own=0.0)
    size = SHINGLE if min(len(mine.words), len(theirs.words)) >= SHINGLE else 1
    shingles = _shingles(mine.words, size), _shingles(theirs.words, size)
    found = _found(shingles[0], shingles[1], size), _found(shingles[1], shingles[0], size)
    kept = _kept(mine, found[0]), _kept(theirs, found[1])
    _rescue(mine, kept[0], found[0], theirs)
    _rescue(theirs, kept[1], found[1], mine)
    return CopyDiff(
        headline_rewritten=rewritten,
        paragraphs_cut=int(np.count_nonzero(~kept[1])),
        paragraphs_added=int(np.count_nonzero(~kept[0])),
        added_at=_places(kept[0].tolist()),
        reused=float(np.count_nonzero(found[1])) / len(theirs.words) if len(theirs.words) else 1.0,
        own=float(np.count_nonzero(~found[0])) / len(mine.words) if len(mine.words) else 0.0,
    )


def diff_of(record: object) -> CopyDiff | None:
    """The CopyDiff a JSON form (`CopyDiff.as_dict()`) describes; None for None or a record that is not one."""
    if not isinstance(record, dict):
        return None
    try:
        return CopyDiff(
            headline_rewritten=bool(record["headline_rewritten"]),
            paragraphs_cut=int(record["paragraphs_cut"]),
            paragraphs_added=int(record["paragraphs_added"]),
            added_at=tuple(str(place) for place in record["added_at"]),
            reused=float(record["reused"]),
            own=float(record["own"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
