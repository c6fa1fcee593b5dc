"""Text normalisation, content hashing, word tokens, shingles and salient tokens (names and numbers).

Words are runs of word characters, except in scripts written without spaces (Chinese, Japanese, Thai,
Lao, Khmer, Burmese), where each letter with its combining marks is a token of its own: a Japanese
sentence would otherwise be a handful of huge "words" that no copy with one edited character shares.
So shingles there are character 3-grams; text without those letters tokenises as it always has.
"""

from __future__ import annotations

import hashlib
import operator
import re
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import numpy.typing as npt

from dedupe.words import UNSPACED_LETTER, UNSPACED_MARK, has_unspaced

U64 = npt.NDArray[np.uint64]
Mask = npt.NDArray[np.bool_]

SHINGLE = 3  # words per shingle

_TYPOGRAPHY: tuple[tuple[str, str], ...] = tuple(
    [(c, "'") for c in "\u2018\u2019\u201a\u201b\u2032"]
    + [(c, '"') for c in "\u201c\u201d\u201e\u201f\u00ab\u00bb"]
    + [(c, "-") for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"]
    + [(c, "") for c in "\u00ad\u200b\u200c\u200d\ufeff"]
)
_SPACE = re.compile(r"\s+")
_THOUSANDS = re.compile(r"(\d)[,.\u202f\u00a0' ](?=\d{3}(?!\d))")
_WORD = re.compile(r"\w+")
# "PARIS (AFP) - ", "WASHINGTON, Feb 28 (Reuters) - ", "Paris (AFP) - ", "BERLIN - ".
_DATELINE = re.compile(
    r"""^\s*(?:
        [A-ZÀ-Þ][^\n().!?]{0,59}?\((?=[^()\n]*[A-Za-z])[^()\n]{1,40}\)\.?\s*[-–—:]  # place, date, (agency)
      | [A-ZÀ-Þ][A-ZÀ-Þ'.,/ -]{1,40}?\s+[-–—]           # an all-capitals place then a dash
    )\s*""",
    re.VERBOSE,
)
# Each word with the sentence-ending character right before it, if any ("." in ". Next").
_WORD_AFTER = re.compile(r'([.!?:;"\n]?)[^\w.!?:;"\n]*(\w+)')
# The same matches as whole strings: a word with the separator before it. The separator holds a
# sentence end exactly when _WORD_AFTER's first group is not empty (it then starts the match).
_SEPARATED_WORD = re.compile(r'[.!?:;"\n]?[^\w.!?:;"\n]*\w+')
# The same three for text holding letters of unspaced scripts: such a letter, with the combining marks
# after it, is a token; other words are as above. Used only where such a letter occurs (the patterns
# with these classes are slower, and give the same matches on other text).
_UNSPACED_START = re.compile(f"[{UNSPACED_LETTER}]")
_TOKEN_PATTERN = f"[{UNSPACED_LETTER}][{UNSPACED_MARK}]*|[^\\W{UNSPACED_LETTER}]+"
_TOKEN = re.compile(_TOKEN_PATTERN)
_TOKEN_AFTER = re.compile(f'([.!?:;"\\n]?)[^\\w{UNSPACED_LETTER}.!?:;"\\n]*({_TOKEN_PATTERN})')
_SEPARATED_TOKEN = re.compile(f'[.!?:;"\\n]?[^\\w{UNSPACED_LETTER}.!?:;"\\n]*(?:{_TOKEN_PATTERN})')
_SENTENCE_END = frozenset('.!?:;"\n')
_WORD_HASHES: dict[str, int] = {}
_WORD_CACHE_LIMIT = 2_000_000
# Separated word -> crc32 of the lower-case word | numeric << 32 | capitalised << 33 | sentence start << 34,
# and -> the lower-case word. Tables for lines without unspaced letters and others for lines with them,
# whose tokens count as numbers by another rule: a word's code never depends on which kind of line met
# it first.
_CODES: dict[str, int] = {}
_LOWERS: dict[str, str] = {}
_TOKEN_CODES: dict[str, int] = {}
_TOKEN_LOWERS: dict[str, str] = {}
# Some 250 bytes a word with both tables: 12 MB. A million words (250 MB in each process that tokenises)
# was no faster: on 25,000 wire articles the same CPU time within noise (issue 12's memory target).
_CODE_CACHE_LIMIT = 50_000
_CRC_MASK = np.int64(0xFFFFFFFF)
_SENTENCE_START = np.int64(1 << 34)
_FLAG_SHIFT = np.int64(32)
_START_BIT = 1 << 34
# Line of a body -> (the codes of its words as int64 bytes, its first word flagged as a sentence start as
# it is after a line break; whether that word starts a sentence by itself, as the body's first line;
# its lower-case words joined by single spaces). Copies of a story share most lines.
_Line = tuple[bytes, bool, str]
_LINES: dict[str, _Line] = {"": (b"", False, "")}
# Some 1 KB a line: 2 MB. 50,000 lines (about 50 MB a process) tokenised 25,000 wire articles no faster.
_LINE_CACHE_LIMIT = 2_000
_NO_LINE: _Line = (b"", False, "")
_CODES_OF = operator.itemgetter(0)
_WORDS_OF = operator.itemgetter(2)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_SHIFT30, _SHIFT27, _SHIFT31 = np.uint64(30), np.uint64(27), np.uint64(31)
_SHINGLE_MULT = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


def clean(text: str) -> str:
    """Unify Unicode forms, quotes, dashes, invisible characters and thousands separators; keep case."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    # Chained replace of the few characters present beats str.translate with a dict table.
    for source, target in _TYPOGRAPHY:
        if source in text:
            text = text.replace(source, target)
    return _THOUSANDS.sub(r"\1", text)


def normalise(text: str) -> str:
    """Return the comparable form of a text: cleaned, case-folded, whitespace collapsed."""
    return " ".join(clean(text).casefold().split())


def text_hash(text: str) -> str:
    """Return the hex blake2b-128 of the normalised text (exact-duplicate and database content hash)."""
    return hash_of_clean(clean(text))


def hash_of_clean(cleaned: str) -> str:
    """Return `text_hash` of an already `clean`ed text."""
    normal = " ".join(cleaned.casefold().split())
    # surrogatepass: a lone surrogate (JSON input may carry "\ud800") hashes instead of raising.
    return hashlib.blake2b(normal.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def strip_dateline(text: str) -> str:
    """Remove a leading dateline such as "PARIS (AFP) -" so copies with and without one align."""
    return _DATELINE.sub("", text, count=1)


def mix64(values: U64) -> U64:
    """Scramble 64-bit integers with the splitmix64 finaliser (deterministic, vectorised)."""
    with np.errstate(over="ignore"):
        z = values ^ (values >> np.uint64(30))
        return _mix64_rest(np.asarray(z, dtype=np.uint64))


def _mix64_rest(z: U64) -> U64:
    """The rest of splitmix64 on an array of its own, in place (array arithmetic wraps without warnings)."""
    z *= _MIX1
    z ^= z >> _SHIFT27
    z *= _MIX2
    z ^= z >> _SHIFT31
    return z


def _word_hash(word: str) -> int:
    """Return a stable 32-bit hash of one lower-case word, memoised."""
    value = _WORD_HASHES.get(word)
    if value is None:
        if len(_WORD_HASHES) >= _WORD_CACHE_LIMIT:
            _WORD_HASHES.clear()
        value = _WORD_HASHES[word] = zlib.crc32(word.encode("utf-8", "surrogatepass"))
    return value


@dataclass(frozen=True, slots=True)
class Tokens:
    """Words of a body (dateline removed) with their shingle hashes and salient-word flags.

    The cleaned body itself is not kept: nothing compares it, and a clusterer caches thousands of tokens.
    """

    n_words: int
    salient: Mask  # per word: contains a digit, or is capitalised away from a sentence start
    numeric: Mask  # per word: contains a digit
    shingles: U64  # per position i: hash of words[i : i + SHINGLE]; empty when too few words
    shingle_set: U64  # sorted unique shingle hashes
    inverse: npt.NDArray[np.intp]  # per position: index of its shingle in shingle_set
    salient_at: tuple[int, ...]  # positions of the salient words, ascending
    # The lower-case words joined by single spaces (no word holds a space): one string is far smaller
    # and quicker to pass between processes than a tuple of hundreds of strings.
    joined_words: str = field(default="", compare=False, repr=False)

    @property
    def words(self) -> tuple[str, ...]:
        """Return the lower-case words, in text order."""
        return tuple(self.joined_words.split(" ")) if self.joined_words else ()

    def __reduce__(self) -> tuple[Callable[[_TokenState], Tokens], tuple[_TokenState]]:
        """Pickle the arrays as one block of bytes (worker processes send tokens back: one copy is cheaper
        to unpickle than five arrays)."""
        block = b"".join(
            (self.shingles.tobytes(), self.shingle_set.tobytes(), self.inverse.tobytes(),
             self.salient.tobytes(), self.numeric.tobytes())
        )
        sizes = (len(self.shingles), len(self.shingle_set))
        return _unpickle_tokens, ((self.n_words, block, sizes, self.salient_at, self.joined_words),)


# Tokens as pickled: n_words, the arrays' bytes, (positions, distinct shingles), salient_at, joined_words.
_TokenState = tuple[int, bytes, tuple[int, int], tuple[int, ...], str]


def _unpickle_tokens(state: _TokenState) -> Tokens:
    """Rebuild pickled tokens (see `Tokens.__reduce__`)."""
    n_words, block, (positions, distinct), salient_at, joined_words = state
    buffer = bytearray(block)  # writable, as freshly computed arrays are
    numbers = np.frombuffer(buffer, dtype=np.uint64, count=2 * positions + distinct)
    flags = np.frombuffer(buffer, dtype=np.bool_, offset=8 * len(numbers))
    return Tokens(
        n_words,
        salient=flags[:n_words],
        numeric=flags[n_words:],
        shingles=numbers[:positions],
        shingle_set=numbers[positions : positions + distinct],
        inverse=numbers[positions + distinct :].view(np.intp),
        salient_at=salient_at,
        joined_words=joined_words,
    )


def tokens(text: str) -> Tokens:
    """Tokenise a body into words, salient flags and word-shingle hashes."""
    return tokens_of_clean(clean(text))


def _learn_word(separated: str) -> None:
    """Compute and cache the code and the lower case of one word with the separator before it."""
    word = _WORD.search(separated).group()  # type: ignore[union-attr]  # the match ends with a word
    _memoise(_CODES, _LOWERS, separated, word, not word.lower().isalpha())


def _learn_token(separated: str) -> None:
    """`_learn_word` for a line holding unspaced letters, where a letter with its marks is a token."""
    word = _TOKEN.search(separated).group()  # type: ignore[union-attr]  # the match ends with a token
    # Thai vowel and tone marks are no letters for isalpha: such a token is a number only by its letter.
    numeric = not word[0].isalpha() if _UNSPACED_START.match(word) else not word.isalpha()
    _memoise(_TOKEN_CODES, _TOKEN_LOWERS, separated, word, numeric)


def _memoise(codes: dict[str, int], lowers: dict[str, str], separated: str, word: str, numeric: bool) -> None:
    """Pack and cache the code of a word (hash of its lower case, numeric, capitalised, sentence start)."""
    lower = word.lower()
    codes[separated] = (
        zlib.crc32(lower.encode("utf-8"))
        | numeric << 32
        | (word != lower) << 33
        | (separated[0] in _SENTENCE_END) << 34
    )
    lowers[separated] = lower


# Per kind of line: the separated-word pattern, the code and lower-case tables, how to learn a new word.
_Kind = tuple[re.Pattern[str], dict[str, int], dict[str, str], Callable[[str], None]]
_SPACED: _Kind = (_SEPARATED_WORD, _CODES, _LOWERS, _learn_word)
_UNSPACED: _Kind = (_SEPARATED_TOKEN, _TOKEN_CODES, _TOKEN_LOWERS, _learn_token)


def _line(line: str) -> _Line:
    """Compute and cache the codes and words of one line (see `_LINES`)."""
    pattern, codes_of, lowers, learn = _UNSPACED if has_unspaced(line) else _SPACED
    if len(codes_of) >= _CODE_CACHE_LIMIT:  # cleared between lines only: a line's words stay till its end
        codes_of.clear()
        lowers.clear()
    found = pattern.findall(line)
    codes = list(map(codes_of.get, found))
    if None in codes:
        for separated in found:
            if separated not in codes_of:
                learn(separated)
        codes = list(map(codes_of.get, found))
    known = cast(list[int], codes)  # every word is in the tables now
    if not known:
        entry = _NO_LINE
    else:
        own = bool(known[0] & _START_BIT)
        known[0] |= _START_BIT
        entry = (np.array(known, dtype=np.int64).tobytes(), own, " ".join(map(lowers.__getitem__, found)))
    if len(_LINES) >= _LINE_CACHE_LIMIT:
        _LINES.clear()
        _LINES[""] = _NO_LINE
    _LINES[line] = entry
    return entry


def _paragraph_codes(paragraph: str) -> npt.NDArray[np.int64]:
    """Return the codes of the words of one line, its first word as if no line break came before it."""
    packed, own, _ = _LINES.get(paragraph) or _line(paragraph)
    codes = np.frombuffer(packed, dtype=np.int64)
    if len(codes) and not own:
        codes = codes.copy()
        codes[0] &= ~_SENTENCE_START
        codes.flags.writeable = False
    return codes


def _lines_of(body: str) -> list[_Line]:
    """Return the cached codes and words of each line of a body, computing those not cached."""
    lines = body.split("\n")
    found = list(map(_LINES.get, lines))
    if None not in found:
        return cast(list[_Line], found)
    return [e if e is not None else _LINES.get(line) or _line(line) for line, e in zip(lines, found, strict=True)]


def tokens_of_clean(cleaned: str) -> Tokens:
    """Tokenise an already `clean`ed body (saves cleaning twice when the hash is also needed)."""
    body = strip_dateline(cleaned)
    entries = _lines_of(body)
    # Each line's first word is cached as a sentence start, as after a line break; the body's first line
    # has none before it.
    packed = np.frombuffer(b"".join(map(_CODES_OF, entries)), dtype=np.int64)
    if len(packed) == 0:
        return _no_tokens()
    first = entries[0]
    if first[0] and not first[1]:
        packed = packed.copy()
        packed[0] &= ~_SENTENCE_START
    flags = packed >> _FLAG_SHIFT
    numeric = (flags & 1).astype(np.bool_)
    # A word is salient when it holds a digit, or a capital anywhere but at a sentence start.
    salient = (flags & 6) == 2
    salient[0] = False
    salient |= numeric
    shingles = _shingles_of_ids((packed & _CRC_MASK).view(np.uint64))
    order = np.argsort(shingles)
    ordered = shingles[order]
    first_of = np.empty(len(ordered), dtype=np.bool_)
    first_of[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first_of[1:])
    inverse = np.empty(len(ordered), dtype=np.intp)
    inverse[order] = np.cumsum(first_of) - 1
    return Tokens(
        len(packed),
        salient=salient,
        numeric=numeric,
        shingles=shingles,
        shingle_set=ordered[first_of],
        inverse=inverse,
        salient_at=tuple(np.flatnonzero(salient).tolist()),
        joined_words=" ".join(filter(None, map(_WORDS_OF, entries))),
    )


def _no_tokens() -> Tokens:
    """The tokens of a body without words."""
    empty = np.zeros(0, dtype=np.bool_)
    none = np.zeros(0, dtype=np.uint64)
    nowhere = np.zeros(0, dtype=np.intp)
    return Tokens(0, empty, empty, shingles=none, shingle_set=none, inverse=nowhere, salient_at=())


def unique(values: U64) -> U64:
    """Return the sorted distinct values (a sort beats np.unique's hashing on these sizes)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def contains(sorted_set: U64, values: U64) -> Mask:
    """Flag which values occur in a sorted array of unique values (faster than np.isin here)."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=np.bool_)
    where = np.searchsorted(sorted_set, values)
    where[where == len(sorted_set)] = 0
    return np.asarray(sorted_set[where] == values)


def shingle_hashes(words: list[str] | tuple[str, ...]) -> U64:
    """Return one 64-bit hash per word 3-shingle, in text order (the whole text when shorter)."""
    if not words:
        return np.zeros(0, dtype=np.uint64)
    found = list(map(_WORD_HASHES.get, words))
    if None in found:
        for word in {w for w, h in zip(words, found, strict=True) if h is None}:
            _word_hash(word)
        found = list(map(_WORD_HASHES.get, words))
    return _shingles_of_ids(np.array(found, dtype=np.int64).view(np.uint64))  # int64 converts faster


def _shingles_of_ids(ids: U64) -> U64:
    """Return the shingle hashes of a sequence of word hashes."""
    if len(ids) < SHINGLE:
        ids = np.concatenate([ids, np.zeros(SHINGLE - len(ids), dtype=np.uint64)])
    n = len(ids) - SHINGLE + 1
    # Array arithmetic wraps around without warnings; in place, to allocate less.
    acc = ids[:n] * _SHINGLE_MULT[0]
    term = ids[1 : n + 1] * _SHINGLE_MULT[1]
    acc += term
    np.multiply(ids[2 : n + 2], _SHINGLE_MULT[2], out=term)
    acc += term
    np.right_shift(acc, _SHIFT30, out=term)
    acc ^= term
    return _mix64_rest(acc)


def numbers(text: str) -> frozenset[str]:
    """Return the numbers written in a text, thousands separators removed."""
    cleaned = clean(text)
    pattern = _TOKEN if has_unspaced(cleaned) else _WORD
    return frozenset(w for w in pattern.findall(cleaned) if any(ch.isdigit() for ch in w))


def names(text: str) -> frozenset[str]:
    """Return the capitalised words of a text that do not start a sentence (a cheap proper-name proxy)."""
    t = tokens(text)
    return frozenset(w for w, s in zip(t.words, t.salient.tolist(), strict=True) if s and not w.isdigit())
