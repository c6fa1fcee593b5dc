"""What a republished copy changed against the copy it joined: headline, paragraphs cut and added, reuse.

A paragraph is a line of the text holding at least one word. Both texts are cleaned first (`clean`:
typography, invisible characters, thousands separators) and each line loses a leading dateline (an
update put on top pushes the original's first line down), so neither counts as an edit. Words are
those of `dedupe.text` (lower-case runs of word characters; in scripts written without spaces each
letter with its marks).

Paragraphs are aligned by the words they share, not by position: a word of one text is *found* in the
other when one of the word 3-shingles holding it occurs there (each text read as one run of words, so a
paragraph that was merged with the next, split or moved keeps its words; word by word when a text has
fewer than three words). A paragraph is kept when at
least half of its words are found; a typo or an editor's substituted word loses only that word. A
paragraph left over, when dense edits (typos in a short line) or short neighbours hid its shingles, is
still kept when `rapidfuzz.fuzz.ratio` with a paragraph of the other text is >= 90; its words that occur
in that paragraph count as found. The rest of the original is cut, the rest of the copy added.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist
from rapidfuzz.utils import default_process

from dedupe.model import CopyDiff, Doc
from dedupe.text import SHINGLE, U64, Mask, clean, contains, mix64, strip_dateline, unique
from dedupe.words import UNSPACED_LETTER, UNSPACED_MARK, has_unspaced

PARAGRAPH_KEPT = 0.5  # share of a paragraph's words found in the other text for it to be kept
PARAGRAPH_RATIO = 90.0  # rapidfuzz ratio at which a leftover paragraph reads like one of the other text
HEADLINE_RATIO = 90.0  # rapidfuzz ratio under which two headlines are different headlines
MAX_RATIO_PAIRS = 10_000  # leftover paragraph pairs compared at most (two unrelated huge texts)

_WORD = re.compile(r"\w+")
# As in dedupe.text: a letter of a script written without spaces, with its marks, is a word of its own.
_TOKEN = re.compile(f"[{UNSPACED_LETTER}][{UNSPACED_MARK}]*|[^\\W{UNSPACED_LETTER}]+")
_PLACES = ("top", "middle", "bottom")
_MULT = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))
# Cleaned line -> the line without a dateline, its lower-case words and their crc32. Copies of a story share
# most lines, and each copy is compared with the same earlier one; cleared when full, it only saves work.
_Line = tuple[str, tuple[str, ...], U64]
_LINES: dict[str, _Line] = {}
_LINE_CACHE_LIMIT = 5_000  # some 3 KB a line (its words are strings of their own): 15 MB
# Word -> its crc32: a news vocabulary is small, and most words of a new line were met before.
_WORD_HASHES: dict[str, int] = {}
_WORD_CACHE_LIMIT = 100_000
# Body -> how it reads: the copy a story's copies joined is read once for all of them.
_TEXTS: dict[str, _Text] = {}
_TEXT_CACHE_LIMIT = 512


@dataclass(frozen=True, slots=True)
class _Text:
    """A body as the diff reads it: its paragraphs and their words, in text order."""

    paragraphs: tuple[str, ...]  # cleaned lines holding words, datelines removed
    words: list[str]  # the lower-case words of the paragraphs, in order
    hashes: U64  # crc32 of each word
    bounds: list[int]  # index in `words` where each paragraph starts, then len(words)

    def paragraph(self, index: int) -> list[str]:
        """The words of one paragraph."""
        return self.words[self.bounds[index]:self.bounds[index + 1]]


def _line(cleaned: str) -> _Line:
    """One cleaned line without its dateline, its lower-case words and their hashes, memoised.

    A dateline is dropped from any line: an update put on top pushes the original's dateline down.
    """
    found = _LINES.get(cleaned)
    if found is None:
        line = strip_dateline(cleaned)
        words = tuple((_TOKEN if has_unspaced(line) else _WORD).findall(line.lower()))
        hashes = np.array([_WORD_HASHES.get(word) or _word_hash(word) for word in words], dtype=np.uint64)
        if len(_LINES) >= _LINE_CACHE_LIMIT:
            _LINES.clear()
        found = _LINES[cleaned] = (line, words, hashes)
    return found


def _read(text: str) -> _Text:
    """Split a body into paragraphs and words, memoised."""
    read = _TEXTS.get(text)
    if read is None:
        if len(_TEXTS) >= _TEXT_CACHE_LIMIT:
            _TEXTS.clear()
        read = _TEXTS[text] = _split(text)
    return read


def _word_hash(word: str) -> int:
    """The crc32 of a word, memoised (a word whose crc32 is 0 is merely recomputed each time)."""
    if len(_WORD_HASHES) >= _WORD_CACHE_LIMIT:
        _WORD_HASHES.clear()
    value = _WORD_HASHES[word] = zlib.crc32(word.encode("utf-8", "surrogatepass"))
    return value


def _split(text: str) -> _Text:
    """Split a body into paragraphs and words."""
    lines: list[str] = []
    words: list[str] = []
    hashes: list[U64] = []
    bounds = [0]
    for line, found, hashed in map(_line, clean(text).split("\n")):
        if found:
            lines.append(line)
            words.extend(found)
            hashes.append(hashed)
            bounds.append(len(words))
    return _Text(tuple(lines), words, np.concatenate(hashes) if hashes else np.zeros(0, np.uint64), bounds)


def _shingles(text: _Text) -> U64:
    """Per position, a 64-bit hash of the SHINGLE words from there (texts of SHINGLE words or more)."""
    ids, n = text.hashes, len(text.hashes) - SHINGLE + 1
    with np.errstate(over="ignore"):
        return mix64(ids[:n] * _MULT[0] + ids[1 : n + 1] * _MULT[1] + ids[2 : n + 2] * _MULT[2])


def _found(mine: U64, theirs: U64) -> Mask:
    """Per word of a text, given the shingles of both: whether a shingle holding it occurs in the other."""
    hits = contains(unique(theirs), mine)
    found = np.zeros(len(mine) + SHINGLE - 1, dtype=np.bool_)
    for shift in range(SHINGLE):
        found[shift:shift + len(hits)] |= hits
    return found


def _found_words(mine: Sequence[str], theirs: Sequence[str]) -> Mask:
    """Per word of `mine`: whether it occurs in `theirs` (a text too short for shingles, or a paired paragraph)."""
    vocabulary = set(theirs)
    return np.array([word in vocabulary for word in mine], dtype=np.bool_)


def _kept(text: _Text, found: Mask) -> Mask:
    """Per paragraph: whether enough of its words are found in the other text."""
    if not text.paragraphs:
        return np.zeros(0, dtype=np.bool_)
    bounds = np.array(text.bounds)
    counts = np.add.reduceat(found.astype(np.intp), bounds[:-1])
    return np.asarray(counts >= PARAGRAPH_KEPT * np.diff(bounds))


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
            found[text.bounds[i]:text.bounds[i + 1]] |= _found_words(text.paragraph(i), other.paragraph(partner))


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
    if mine.words == theirs.words:  # the same words, whatever the line breaks
        return CopyDiff(rewritten, 0, 0, (), reused=1.0, own=0.0)
    if min(len(mine.words), len(theirs.words)) >= SHINGLE:
        shingles = _shingles(mine), _shingles(theirs)
        found = _found(shingles[0], shingles[1]), _found(shingles[1], shingles[0])
    else:
        found = _found_words(mine.words, theirs.words), _found_words(theirs.words, mine.words)
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
