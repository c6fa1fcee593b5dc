"""Incremental story clustering: MinHash LSH candidates, containment verification, one story per doc.

Each document is compared with the earlier documents of the time window that share an LSH key
(band keys of a MinHash over word 3-shingles, plus "lead" keys over the first shingles so teasers
and trimmed copies are found). A candidate is verified by containment of shingles, both ways,
anchored on the measured text's lead (a shared paragraph elsewhere is not a copy), ignoring a site
footer (a block the two texts share at their ends, or trailing boilerplate learnt from the stream),
minus a penalty for every substitution of a name or number inside the overlap (template stories:
results, market reports, weather). The document then joins the story of its best verified
candidate, or starts a new story; a document longer than its match must also resemble the story's
first document, so stories cannot grow by chaining.

Time has two roles, kept apart so that no date from outside can reorder history or empty the index.
Matching compares publication dates: two documents can be copies only when they were published within
the window of each other, whatever order they arrive in. Forgetting follows arrival by the wall clock
(the caller's `arrived`, now by default): an entry is dropped once it arrived more than a window ago,
on the hour, and at most `max_entries` are kept (the oldest arrivals go first). Publication dates never
move that clock, so a backfill of 2019 articles into a store of 2026 ones clusters exactly as it would
alone, and an article dated tomorrow or 9999 evicts nothing. `cluster_docs` files a whole run as
arriving at its start, so it never evicts by time. Any datetime is accepted.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from rapidfuzz.utils import default_process

from dedupe.agency import agency_of
from dedupe.diff import copy_diff
from dedupe.index import KEY_MASK, MAX_ENTRIES, CandidateIndex, Entry, InMemoryIndex
from dedupe.lineage import InMemoryLineage, LineageIndex, fingerprints
from dedupe.model import CopyDiff, Decision, Doc
from dedupe.text import (
    SHINGLE,
    U64,
    Mask,
    Tokens,
    clean,
    contains,
    hash_of_clean,
    mix64,
    tokens,
    tokens_of_clean,
    unique,
)

LEAD = 32  # shingles that make up a text's lead
_MINHASH_BLOCK = 4096  # shingles multiplied at once by every permutation (num_perm x 32 KiB of products)
MIN_WORDS = 8  # below this a body is too short to stand alone; the title is compared with it
_LEAD_BAND_BASE = 1_000  # lead keys use band numbers from here so they never equal a body band key
_AGENCY_MARGIN = 0.02  # scores this close to the best count as equal when preferring an agency copy
_PER_STORY = 3  # candidates verified per story
_MIN_COPY = 12  # shingles a shorter copy must share: one reused sentence is no copy
_MIN_EVIDENCE = 40  # shingles a short earlier copy must share before a longer text may join it
_APPENDED_COMMON = 0.8  # share of boilerplate shingles that makes a trailing block "appended"
_RUN = 8  # matched shingles in a row that mark where an old text starts inside a new one
_FOOTER = 150  # shingles a site footer has at most
_TOP_EVIDENCE = 100  # shingles an old text must share after a new top for the top not to sink the match
_SAMPLE_SHIFT = np.uint64(60)  # a shingle whose top 4 bits are zero is a containment key: 1 in 16
_SAMPLED = 32  # containment keys a text has at most (its smallest sampled shingles)
_SAMPLE_SALT = np.uint64(0x636F6E7461696E)  # "contain": keeps these keys apart from band and lineage keys
_In = TypeVar("_In")
_Out = TypeVar("_Out")
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)
# Odd multipliers that fold a band's values into one key before mixing (up to 15 rows per band).
_BAND_MULT = mix64(np.arange(1, 17, dtype=np.uint64)) | np.uint64(1)
_DF_BITS = 21
_DF_WIDTH = 1 << _DF_BITS
_DF_MASK = np.uint64(_DF_WIDTH - 1)


def _utc(moment: datetime) -> datetime:
    """Return an aware datetime in UTC, clamped to the representable range instead of overflowing."""
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 east of Greenwich, year 9999 west of it
        return _EARLIEST if moment.year < 5000 else _LATEST


def _minus(moment: datetime, span: timedelta) -> datetime:
    """Return `moment - span`, or the earliest datetime when that is before year 1."""
    try:
        return moment - span
    except OverflowError:
        return _EARLIEST


def _hour(moment: datetime) -> datetime:
    """Return the start of a UTC datetime's hour: eviction happens on the hour, so replays repeat it."""
    return moment.replace(minute=0, second=0, microsecond=0)


def story_id(doc_id: str) -> str:
    """Return the deterministic story id of a story whose first document is `doc_id`."""
    return "s" + hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).hexdigest()[:15]


@dataclass(frozen=True, slots=True)
class Features:
    """What verification needs from one document, computed once."""

    tokens: Tokens
    text_hash: str
    title: str


@dataclass(frozen=True, slots=True)
class Match:
    """Verification of a new document against one earlier document."""

    score: float  # content similarity in [0, 1] after penalties
    containment: float  # share of the shorter text's shingles found in the longer one
    conflicts: int  # short substitutions of names or numbers inside the overlap
    updated: bool  # the new text contains the old one plus a new top
    new_inside: bool = True  # the score measured the new text inside the old one (not the reverse)
    matched: int = 0  # shingles behind the score: those of the measured text found in the other
    covered: float = 1.0  # share of the new text's shingles found in the old one
    topped: bool = False  # the score measured the new text after a top of its own (its lead is not the old one's)
    goes_on: int = 0  # the new text keeps the old one's beginning, drops its end and goes on this far (`_goes_on`)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A document's features and LSH keys: `Clusterer.prepare` computes them, in any process."""

    features: Features
    keys: tuple[int, ...]
    prints: tuple[int, ...] | None = None  # its lineage fingerprints (computed by `add` when None)


def features(doc: Doc) -> Features:
    """Compute the comparison features of a document (the title joins very short bodies)."""
    cleaned = clean(doc.text)
    t = tokens_of_clean(cleaned)
    if t.n_words < MIN_WORDS:
        t = tokens(f"{doc.title}.\n{doc.text}")
    return Features(tokens=t, text_hash=hash_of_clean(cleaned), title=doc.title)


def _covered(member: Mask, n_words: int) -> Mask:
    """Mark the words that lie inside at least one matched shingle."""
    covered = np.zeros(n_words, dtype=np.bool_)
    n = len(member)
    for offset in range(min(3, n_words - n + 1)):
        covered[offset : offset + n] |= member
    return covered


@dataclass(frozen=True, slots=True)
class _Runs:
    """The runs of matched shingles of one text: positions [starts[i], ends[i]) of n are matched."""

    n: int
    starts: list[int]
    ends: list[int]
    matched: int

    @classmethod
    def of(cls, n: int, edges: list[int]) -> _Runs:
        """Build the runs from their alternating start and end positions."""
        starts, ends = edges[0::2], edges[1::2]
        return cls(n, starts, ends, sum(ends) - sum(starts))

    def matched_before(self, k: int) -> int:
        """Return how many of the first k positions are matched."""
        total = 0
        for start, end in zip(self.starts, self.ends, strict=True):
            if start >= k:
                break
            total += min(end, k) - start
        return total

    def first_long(self, default: int) -> int:
        """Return where the first run of at least `_RUN` matched shingles starts (`default` when none does).

        In a text that holds another under a top of its own (an update), that is where the other text starts.
        """
        return next((a for a, b in zip(self.starts, self.ends, strict=True) if b - a >= _RUN), default)

    def last_end(self, shortest: int) -> int:
        """Return where the last run of at least `shortest` matched shingles ends (0 when none does)."""
        runs = zip(reversed(self.starts), reversed(self.ends), strict=True)
        return next((end for start, end in runs if end - start >= shortest), 0)

    def trailing(self) -> int:
        """Return how many positions at the end are matched."""
        return self.ends[-1] - self.starts[-1] if self.ends and self.ends[-1] == self.n else 0


def _match_runs(small: Tokens, large: Tokens) -> tuple[_Runs, _Runs] | None:
    """Return the runs of small's shingles found in large and of large's found in small (None: none)."""
    large_set = large.shingle_set
    at = large_set.searchsorted(small.shingle_set)
    np.minimum(at, len(large_set) - 1, out=at)
    hit = large_set[at] == small.shingle_set  # per distinct shingle of the small text
    if not hit.any():
        return None
    in_small = np.zeros(len(large_set), dtype=np.bool_)
    in_small[at[hit]] = True
    # Both membership sequences in one buffer, each between False flags, so one pass finds all edges.
    n_small, n_large = len(small.inverse), len(large.inverse)
    flags = np.zeros(n_small + n_large + 3, dtype=np.bool_)
    np.take(hit, small.inverse, out=flags[1 : n_small + 1], mode="wrap")
    np.take(in_small, large.inverse, out=flags[n_small + 2 : n_small + n_large + 2], mode="wrap")
    edges = np.flatnonzero(flags[1:] != flags[:-1])
    split = int(np.searchsorted(edges, n_small, side="right"))
    large_edges = edges[split:]
    large_edges -= n_small + 1
    return _Runs.of(n_small, edges[:split].tolist()), _Runs.of(n_large, large_edges.tolist())


def _conflicts(text: Tokens, runs: _Runs) -> list[tuple[int, int]]:
    """Return the uncovered stretches holding a name or number before the last covered word.

    A word is covered when it lies in a matched shingle that belongs to a run of at least 3 matched
    shingles (stray hits do not count). Each stretch is given by the shingle positions around it: the
    last matched shingle before it (-1 at the text's start) and the first one after it.
    """
    width = min(SHINGLE, text.n_words - runs.n + 1)  # words per shingle (fewer in a very short text)
    strong = runs.n >= 3
    salient = text.salient_at
    found = []
    covered_to = 0  # the text's start bounds a stretch as a matched shingle does ("Chelsea beat Arsenal")
    last = -1  # the last matched shingle so far
    for start, end in zip(runs.starts, runs.ends, strict=True):
        if strong and end - start < 3:
            continue
        if 0 <= covered_to < start:
            # Words [covered_to, start) are uncovered: a conflict when one of them is salient.
            i = bisect_left(salient, covered_to)
            if i < len(salient) and salient[i] < start:
                found.append((last, start))
        covered_to = max(covered_to, end - 1 + width)
        last = end - 1
    return found


# How alike two words are: equal, one typing slip apart, two alphabetic words, or different figures.
_SAME, _SLIP, _WORD, _OTHER = 3, 2, 1, 0
_WORDS_PER_DOUBT = 100  # a text may carry one doubtful substitution (see _likeness) per this many words
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "å": "aa"})


def _likeness(a: str, b: str) -> int:
    """Tell whether two words are one word (`_SAME`), perhaps misspelt (`_SLIP`), two words or two figures.

    One typing slip (a letter dropped, doubled or replaced, or two letters swapped; optimal string
    alignment) in words of 3+ letters is the same word: "Lagrade" for "Lagarde", "Yok" for "York"; so
    are spellings without umlauts ("Bekaempfung"). Figures must be equal: a changed figure is a
    different fact (`_OTHER`). Two slips in a word of 5+ letters ("Musikunterlict"), or a replaced
    letter in a 3-letter word ("NAC" for "NBC"), may as well be another name ("Slovakia" and
    "Slovenia", "Rio" and "Ria"): `_SLIP`. Two different words (`_WORD`) are a name substituted, or a
    capitalised noun an editor changed ("Menschen" for "Personen": German capitalises every noun).
    The caller allows few of the doubtful ones (`_SLIP`, `_WORD`) and none of `_OTHER`.
    """
    if a == b:
        return _SAME
    if not (a.isalpha() and b.isalpha()):
        return _OTHER
    if max(len(a), len(b)) < 3:
        return _WORD
    a, b = a.translate(_FOLD), b.translate(_FOLD)
    if abs(len(a) - len(b)) > 2:  # more than two slips apart, whatever the letters
        return _WORD
    distance = OSA.distance(a, b, score_cutoff=2)
    if distance > 2 or (distance == 2 and min(len(a), len(b)) < 5):
        return _WORD
    if distance == 2 or (len(a) == len(b) == 3 and sorted(a) != sorted(b)):
        return _SLIP
    return _SAME


def _gap_likeness(mine: list[str], theirs: list[str]) -> int:
    """How alike the salient words of two matching gaps are: the worst word of the better side."""
    if not theirs:
        return _SAME  # an insertion, not a substitution
    known_mine, known_theirs = set(mine), set(theirs)
    if known_mine <= known_theirs or known_theirs <= known_mine:
        return _SAME  # every word of one side is on the other
    first = _side_likeness(known_mine, _Lexicon(known_theirs))
    if first == _SAME:
        return _SAME  # the better side cannot be better than the same word
    return max(first, _side_likeness(known_theirs, _Lexicon(known_mine), floor=first))


def _side_likeness(words: Iterable[str], others: _Lexicon, floor: int = _OTHER) -> int:
    """The likeness of the least alike of `words` to its best counterpart among `others`.

    The search stops once the likeness is down to `floor` (the caller takes the better of it and `floor`).
    Figures are looked at first: one the others lack ends the search without comparing a letter.
    """
    worst = _SAME
    for word in sorted(words, key=str.isalpha):
        worst = min(worst, others.best(word))
        if worst <= floor:
            break
    return worst


_FOLDED: dict[str, str] = {}  # word -> word.translate(_FOLD): the vocabulary of news is small
_FOLDED_LIMIT = 200_000


def _folded(word: str) -> str:
    """A word with its umlauts and ligatures spelt out (`_FOLD`), memoised."""
    folded = _FOLDED.get(word)
    if folded is None:
        if len(_FOLDED) >= _FOLDED_LIMIT:
            _FOLDED.clear()
        folded = _FOLDED[word] = word.translate(_FOLD)
    return folded


class _Lexicon:
    """Words to find a counterpart among: `best(word)` is the best `_likeness` of a word to any of them.

    The same values as calling `_likeness` on every pair, but only the alphabetic words whose folded
    length is within two of the word's are looked at: any other pair is two words or two figures.
    """

    __slots__ = ("_by_length", "known")

    def __init__(self, words: Iterable[str]) -> None:
        self.known = frozenset(words)
        # Folded length -> (folded word, length as it is) of each alphabetic word; built when first needed.
        self._by_length: dict[int, list[tuple[str, int]]] | None = None

    @property
    def by_length(self) -> dict[int, list[tuple[str, int]]]:
        """The alphabetic words by their folded length."""
        if self._by_length is None:
            by_length: dict[int, list[tuple[str, int]]] = {}
            for word in self.known:
                if word.isalpha():
                    folded = _folded(word)
                    by_length.setdefault(len(folded), []).append((folded, len(word)))
            self._by_length = by_length
        return self._by_length

    def best(self, word: str) -> int:
        """`max(_likeness(word, other) for other in the words)`, `_OTHER` when there are none."""
        if word in self.known:
            return _SAME
        if not word.isalpha():
            return _OTHER  # a figure: every pair is _OTHER (and the words need not be sorted by length)
        by_length = self.by_length
        if not by_length:
            return _OTHER  # no alphabetic counterpart: every pair is _OTHER
        mine = _folded(word)
        n, own = len(mine), len(word)
        best = _WORD  # every alphabetic pair is two words at least
        for length in range(n - 2, n + 3):  # as in `_likeness`: more than two letters apart is two words
            for other, size in by_length.get(length, ()):
                if size < 3 and own < 3:
                    continue
                distance = OSA.distance(mine, other, score_cutoff=2)
                if distance <= 1:
                    if not (length == n == 3 and sorted(other) != sorted(mine)):
                        return _SAME
                    best = _SLIP
                elif distance == 2 and min(length, n) >= 5:
                    best = _SLIP
        return best


def _conflict_count(small: Tokens, large: Tokens, runs: tuple[_Runs, _Runs], common: Callable[[], Mask] | None) -> int:
    """Count the substitutions of names or numbers between two texts (`small` has fewer shingles).

    A substitution leaves a gap on both sides (an insertion only on one): the smaller tally of gaps
    bounds the count; then each gap of `small` is looked up in `large` (`_substitutions`). A gap
    inside the text's trailing footer (`_footer_start`) is no conflict: two outlets' copyright lines
    differ in the outlet's name.
    """
    last = int(_last_figures_differ(small, large, runs))
    gaps = _conflicts(small, _aligned(small, runs[0], large))
    if not gaps:
        return last
    large_gaps = _conflicts(large, _aligned(large, runs[1], small))
    if not large_gaps:
        return last
    if common is not None:
        footer = _footer_start(common())
        gaps = [(before, after) for before, after in gaps if before < footer]
    if not gaps:
        return last
    swapped, figures = _substitutions(small, large, gaps)
    return last + min(len(gaps), len(large_gaps), swapped) + figures


_PAIR_MULT = np.uint64(0x9E3779B97F4A7C15)


def _pairs(shingles: U64) -> U64:
    """Hash each two consecutive shingles of a text into one value (a word 4-gram)."""
    return shingles[:-1] * _PAIR_MULT + shingles[1:]  # wraps around, as array arithmetic does


class _Memo(Generic[_In, _Out]):
    """A function of an object memoised for the latest `limit` objects, by identity.

    A document is compared with each of its candidates, and an earlier one with each of its copies: what
    is derived from one text alone is derived once. The objects are held, so an identity stays theirs.
    """

    def __init__(self, function: Callable[[_In], _Out], limit: int = 256) -> None:
        self._function = function
        self._limit = limit
        self._found: dict[int, tuple[_In, _Out]] = {}

    def __call__(self, of: _In) -> _Out:
        """The function's value for `of`."""
        cached = self._found.get(id(of))
        if cached is not None and cached[0] is of:
            return cached[1]
        value = self._function(of)
        if len(self._found) >= self._limit:
            del self._found[next(iter(self._found))]
        self._found[id(of)] = (of, value)
        return value


def _pair_set_of(text: Tokens) -> U64:
    """The sorted distinct shingle pairs (`_pairs`) of a text."""
    return unique(_pair_list(text))


def _pair_list_of(text: Tokens) -> U64:
    """The shingle pairs (`_pairs`) of a text, in text order."""
    return _pairs(text.shingles)


def _words_of(text: Tokens) -> tuple[str, ...]:
    """The lower-case words of a text (`Tokens.words` splits them out each time)."""
    return text.words


def _lexicon_of(text: Tokens) -> _Lexicon:
    """The lexicon of a text's words."""
    return _Lexicon(_words(text))


def _slots_of(shingles: U64) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """The two count-min columns of each shingle (`Clusterer._df`)."""
    return (
        (shingles & _DF_MASK).astype(np.intp),
        ((shingles >> np.uint64(_DF_BITS)) & _DF_MASK).astype(np.intp),
    )


_slots = _Memo(_slots_of)
_pair_set = _Memo(_pair_set_of)
_pair_list = _Memo(_pair_list_of)
_lexicon = _Memo(_lexicon_of, limit=64)
_words = _Memo(_words_of)


def _aligned(text: Tokens, runs: _Runs, other: Tokens) -> _Runs:
    """Split runs of matched shingles where two neighbours are not neighbours in the other text.

    Shingles are matched one by one: "de 57 ans" (from "âgé de 57 ans, a été") then "ans a trouvé" (from
    "19 ans a trouvé") make one run that covers the 57 where the other text says 19. Two template reports
    differing in a figure next to a phrase repeated elsewhere in the other would then show no gap there.
    """
    if len(runs.starts) == 0 or len(text.shingles) < 2 or len(other.shingles) < 2:
        return runs
    if all(end - start < 2 for start, end in zip(runs.starts, runs.ends, strict=True)):
        return runs
    broken = np.flatnonzero(~contains(_pair_set(other), _pair_list(text))) + 1  # a run may not go on here
    if len(broken) == 0:
        return runs
    edges: list[int] = []
    cuts = broken.tolist()
    for start, end in zip(runs.starts, runs.ends, strict=True):
        edges.append(start)
        for cut in cuts[bisect_right(cuts, start) : bisect_left(cuts, end)]:
            edges += [cut, cut]
        edges.append(end)
    return _Runs.of(runs.n, edges)


_SENTENCE = 25  # words of a gap in which each changed figure counts (longer: text inserted or rewritten)
_LAST_WORDS = 12  # words after the last match that can hold a changed figure (a last sentence's end)


def _last_figures_differ(small: Tokens, large: Tokens, runs: tuple[_Runs, _Runs]) -> bool:
    """Tell whether both texts end, after their last match, in a few words stating different figures.

    Gaps are found between matches; a template's last sentence ("closed for 3 hours" / "for 2 hours")
    differs after the last one. Only figures count there: a copy's site footer names its outlet.
    """
    tails = []
    for text, text_runs in ((small, runs[0]), (large, runs[1])):
        if not text_runs.ends:
            return False
        width = min(SHINGLE, text.n_words - text_runs.n + 1)
        start = text_runs.ends[-1] - 1 + width
        if not 0 < text.n_words - start <= _LAST_WORDS:
            return False  # most texts: their words are not split out for nothing
        words = _words(text)
        if len(words) != text.n_words:
            return False
        tails.append({words[i] for i in range(start, text.n_words) if text.numeric[i]})
    return bool(tails[0]) and bool(tails[1]) and tails[0] != tails[1]


def _footer_start(common: Mask) -> int:
    """Return where a text's trailing footer starts: boilerplate after the text's own words (else its end).

    `common` flags the boilerplate shingles learnt from the stream. The footer follows the last run of
    `_RUN` shingles of the text's own; it must lie in the second half of a text that is mostly its own
    before it. A template story is boilerplate but for its names and figures: it has no footer, and its
    substitutions all count.
    """
    n = len(common)
    own = np.flatnonzero(np.convolve(~common, np.ones(_RUN, dtype=np.int32), mode="valid") == _RUN)
    if len(own) == 0:
        return n
    start = int(own[-1]) + _RUN
    if 2 * start < n or 2 * np.count_nonzero(common[:start]) > start:
        return n
    return start


def _substitutions(small: Tokens, large: Tokens, gaps: list[tuple[int, int]]) -> tuple[int, int]:
    """Count the gaps of `small` where the other text says something else: names or numbers substituted.

    Each gap is found in `large` between the same matched shingles. It is no conflict when every salient
    word of one side has its word on the other (a misspelt name, or an ordinary word an editor changed
    beside a name both keep), or when `large` has no salient word there (an insertion, not a
    substitution); the doubtful ones of `_likeness` (slips, other words) are forgiven once per
    `_WORDS_PER_DOUBT` words of the smaller text: a short template story differing in one name is
    another story, a 300-word copy may carry three edited names or nouns; a changed figure always
    counts. A gap that cannot be placed in `large` (moved text) is a conflict when one of its salient
    words is nowhere in `large`.

    Returns the gaps in conflict and, beside them, the further figures changed within those of them no
    longer than a sentence (`_SENTENCE`): a quake report whose magnitude and hour differ in one sentence
    ("magnitud 3,8 ... a las 09:24" / "magnitud 2,6 ... a las 23:49") states several other facts; a figure
    written another way ("1,000" / "1000", "09" / "9") is one change, and a longer gap is text inserted
    or rewritten (a box of related links with their years), where figures are not set against each other.
    """
    small_words, large_words = _words(small), _words(large)
    if len(small_words) != small.n_words or len(large_words) != large.n_words:
        return len(gaps), 0
    width_small = min(SHINGLE, small.n_words - len(small.shingles) + 1)
    width_large = min(SHINGLE, large.n_words - len(large.shingles) + 1)
    count = doubts = figures = 0
    lexicon: _Lexicon | None = None
    for before, after in gaps:
        mine = [small_words[i] for i in range(0 if before < 0 else before + width_small, after) if small.salient[i]]
        if before < 0:  # at the start of both texts
            ends = np.flatnonzero(large.shingles == small.shingles[after])
            if len(ends) and ends[0] > 3 * after + 8:
                continue  # the other text has a top of its own (an update) before the shared text: no swap
            span = (-width_large, int(ends[0])) if len(ends) else None
        else:
            span = _placed(large, small.shingles[before], small.shingles[after], after - before)
        if span is None:  # text moved (reordered paragraphs): its names and figures must be in the other
            lexicon = lexicon or _lexicon(large)
            count += _side_likeness(set(mine), lexicon, floor=_WORD) < _SLIP
            continue
        theirs = [large_words[i] for i in range(span[0] + width_large, span[1]) if large.salient[i]]
        likeness = _gap_likeness(mine, theirs)
        if likeness == _OTHER:
            count += 1
            first = 0 if before < 0 else before + width_small
            if max(after - first, span[1] - span[0] - width_large) <= _SENTENCE:  # a sentence, not inserted text
                figures += max(0, _changed_figures(mine, theirs) - 1)
        doubts += likeness in (_SLIP, _WORD)
    return count + max(0, doubts - small.n_words // _WORDS_PER_DOUBT), figures


def _changed_figures(mine: list[str], theirs: list[str]) -> int:
    """How many figures one side of a gap states that the other does not, on the side with fewer such.

    Figures are compared as written without leading zeros, and a two-digit year stands for its four-digit
    form: "3/12/26 at 9:05" states what "03/12/2026 at 09:05" does.
    """
    own = {_figure(w) for w in mine if _is_figure(w)}
    other = {_figure(w) for w in theirs if _is_figure(w)}
    return min(_unstated(own, other), _unstated(other, own))


def _is_figure(word: str) -> bool:
    """Tell whether a word states a figure: not a plain word, and holding a digit."""
    return not word.isalpha() and any(c.isdigit() for c in word)


def _figure(word: str) -> str:
    """A figure without leading zeros ("09" -> "9"; "0" stays)."""
    return word.lstrip("0") or "0" if word.isdigit() else word


def _unstated(figures: set[str], others: set[str]) -> int:
    """The figures of one side the other does not state, a year counting as stated by its last two digits."""
    return sum(1 for f in figures if f not in others and _short_year(f) not in others)


def _short_year(figure: str) -> str | None:
    """A year's two-digit form as `_figure` writes it ("2026" -> "26", "2006" -> "6"), else None."""
    if len(figure) == 4 and figure.isdigit() and figure[:2] in ("19", "20"):
        return _figure(figure[2:])
    return None


def _placed(text: Tokens, before: np.uint64, after: np.uint64, span: int) -> tuple[int, int] | None:
    """Find the closest pair of positions of two shingles in a text, `before` first, at most 3 spans apart."""
    starts = np.flatnonzero(text.shingles == before)
    ends = np.flatnonzero(text.shingles == after)
    best: tuple[int, int] | None = None
    for start in starts.tolist():
        i = int(np.searchsorted(ends, start + 1))
        if i < len(ends) and ends[i] - start <= 3 * span + 8 and (best is None or ends[i] - start < best[1] - best[0]):
            best = (start, int(ends[i]))
    return best


def _contained(
    text: Tokens,
    runs: _Runs,
    other: _Runs,
    common: Callable[[], Mask] | None,
    conflicts: int = 0,
    *,
    is_new: bool = True,
) -> float:
    """Return the lead-anchored share of one text's shingles found in the other.

    `other` are the runs of the other text's shingles found in this one; `common` returns, when called,
    the boilerplate flags of this text's shingles; `conflicts` the substitutions found between the two;
    `is_new` whether this text is the later one (only a later text can be the other under a new top).
    """
    other_tail = other.trailing()
    n = runs.n
    keep = n  # positions from here on count neither way
    if common is not None:
        # What follows the overlap and is mostly boilerplate seen in other stories (a site footer,
        # with perhaps a caption before it) counts neither way -- unless it states figures of its own.
        after = runs.ends[-1] if runs.ends else 0
        if 0 < after < n:
            flags = common()
            if (
                np.count_nonzero(flags[after:]) >= _APPENDED_COMMON * (n - after)
                and not (text.numeric[after:] & ~_covered(flags, text.n_words)[after:]).any()
            ):
                keep = after
    # Both texts end with the same block after differing text: a site footer nobody has learnt yet, or
    # the shared part of two template stories. Not when that block is longer than a footer and the text
    # differs only in its first few words (5 % of it at most) without a substitution: a dateline or a
    # kicker the other lacks, before all of the other's article.
    tail = min(runs.trailing(), other_tail)
    if tail >= 8 and n - tail >= 2 and (conflicts or tail <= _FOOTER or n - tail >= n / 20):
        keep = min(keep, n - tail)
    if keep == 0:
        return 0.0
    containment = runs.matched_before(keep) / keep
    lead_n = min(keep, LEAD)
    lead = runs.matched_before(lead_n) / lead_n
    if lead >= 0.5:
        return containment
    # An overlap that does not start where the text starts is a reused paragraph, not a copy -- unless
    # the text is the other one under a new top: an update, perhaps trimmed since; the top is its own.
    top = _new_top(runs, other, keep, common) if is_new else None
    if top is not None:
        return (runs.matched_before(keep) - runs.matched_before(top)) / (keep - top)
    return containment * lead


def _new_top(runs: _Runs, other: _Runs, keep: int, common: Callable[[], Mask] | None = None) -> int | None:
    """Return where the other text starts in this one when this one is it under a top of its own, else None.

    The other text's lead must be found in this one, the top must be under two thirds of the text, and
    what follows it must rest on more than a paragraph (`_TOP_EVIDENCE` matched shingles), or on more
    than a lead sentence (`_MIN_EVIDENCE`) of the story's own words: an update trimmed to the first
    paragraphs keeps less than 100, and none of it is boilerplate, while template reports under
    differing first lines share only the template's wording, learnt as boilerplate (`common` flags this
    text's shingles; without it only the first test applies). A follow-up that reuses a lead paragraph
    under new ones then says new things after it: its match after the top scores low.
    """
    other_lead_n = min(other.n, LEAD)
    if other_lead_n == 0 or other.matched_before(other_lead_n) < 0.5 * other_lead_n:
        return None
    top = runs.first_long(keep)
    if 3 * top > 2 * keep:
        return None
    kept = runs.matched_before(keep) - runs.matched_before(top)
    if kept >= _TOP_EVIDENCE:
        return top
    if common is None or kept < _MIN_EVIDENCE:
        return None
    flags = common()
    own = sum(
        int(np.count_nonzero(~flags[max(start, top) : min(end, keep)]))
        for start, end in zip(runs.starts, runs.ends, strict=True)
        if end > top and start < keep
    )
    return top if own >= _MIN_EVIDENCE else None


def _goes_on(
    new: _Runs, old: _Runs, new_common: Callable[[], Mask] | None, old_common: Callable[[], Mask] | None
) -> int:
    """Tell how far the new text goes on with text of its own after leaving the old one short (0: it does not).

    A copy keeps the old text's beginning and may add a top (an update), a footer or a caption. A text
    that drops the end of the old one and then says more after what it kept than it kept (or more than
    a footer's worth, `_FOOTER` shingles), boilerplate aside, is a new story reusing the old one's
    beginning: an agency's follow-up opens with the earlier story's lead, then reports what is new.
    Returns the shingles of its own after what it kept (boilerplate aside), or 0 when it is not such a text.
    """
    old_end, new_end = old.last_end(3), new.last_end(3)
    enough = min(_FOOTER, new.matched)
    own = new.n - new_end
    if old.n - old_end < _RUN or own <= enough:
        return 0
    if new_common is not None:
        own = int(np.count_nonzero(~new_common()[new_end:]))
        if own <= enough:
            return 0
    if old_common is not None and np.count_nonzero(~old_common()[old_end:]) < _RUN:
        return 0
    return own


def _bound(runs: _Runs) -> float:
    """An upper bound of the score one direction can reach (`_contained`, before conflicts).

    The matched share of the span up to the last match (what follows that is the most a footer rule
    can drop; dropping a matched tail only lowers it), or of the span after a new top (`_new_top`).
    """
    end = runs.ends[-1]
    top = runs.first_long(0)
    after_top = (runs.matched - runs.matched_before(top)) / (end - top) if top < end else 0.0
    return max(runs.matched / end, after_top)


def _constant(mask: Mask | None) -> Callable[[], Mask] | None:
    """Wrap a precomputed boilerplate mask as the lazy form verification takes."""
    return None if mask is None else lambda: mask


def compare(
    new: Features,
    old: Features,
    *,
    conflict_penalty: float = 0.15,
    new_common: Mask | None = None,
    old_common: Mask | None = None,
) -> Match:
    """Verify a new document against an earlier one; score is lead-anchored containment minus penalties.

    `new_common`/`old_common` flag, per shingle position, shingles that are boilerplate (seen in
    several stories of the window); they neither count for nor against containment.
    """
    match = verify(
        new,
        old,
        conflict_penalty=conflict_penalty,
        new_common=_constant(new_common),
        old_common=_constant(old_common),
    )
    assert match is not None  # never hopeless without a test
    return match


def verify(
    new: Features,
    old: Features,
    *,
    conflict_penalty: float,
    new_common: Callable[[], Mask] | None,
    old_common: Callable[[], Mask] | None,
    hopeless: Callable[[float, int], bool] | None = None,
) -> Match | None:
    """`compare` with boilerplate masks computed only when a trailing block needs them.

    Returns None, without finishing, when `hopeless(bound, conflicts)` holds: `bound` is an upper
    bound of the score before the conflict penalty, `conflicts` the final count of conflicts.
    """
    if new.text_hash == old.text_hash:
        return Match(1.0, 1.0, 0, updated=False)
    new_is_small = len(new.tokens.shingles) <= len(old.tokens.shingles)
    small, large = (new.tokens, old.tokens) if new_is_small else (old.tokens, new.tokens)
    if len(small.shingles) == 0 or len(large.shingles) == 0:
        return Match(0.0, 0.0, 0, updated=False)
    runs = _match_runs(small, large)
    if runs is None:
        return Match(0.0, 0.0, 0, updated=False)
    small_runs, large_runs = runs
    small_common, large_common = (new_common, old_common) if new_is_small else (old_common, new_common)
    bound = max(_bound(small_runs), _bound(large_runs))
    if hopeless is not None and hopeless(bound, 0):  # hopeless without conflicts: hopeless with any
        return None
    conflicts = _conflict_count(small, large, runs, small_common)
    if hopeless is not None and conflicts and hopeless(bound, conflicts):
        return None
    # Containment both ways: a trimmed copy carrying a long footer can be the longer text.
    small_inside = _contained(small, small_runs, large_runs, small_common, conflicts, is_new=new_is_small)
    large_inside = (
        0.0
        if small_inside >= 1.0
        else _contained(large, large_runs, small_runs, large_common, conflicts, is_new=not new_is_small)
    )
    new_runs, old_runs = (small_runs, large_runs) if new_is_small else (large_runs, small_runs)
    old_inside = large_inside if new_is_small else small_inside
    goes_on = _goes_on(new_runs, old_runs, new_common, old_common) if old_inside else 0
    lead_n = min(new_runs.n, LEAD)
    own_top = 2 * new_runs.matched_before(lead_n) < lead_n
    if goes_on:  # the old text measured inside the new one is not a copy of it: the new one is another story
        small_inside, large_inside = (small_inside, 0.0) if new_is_small else (0.0, large_inside)
        if own_top:  # nor is the new text the old one under a top: an update does not go on after it
            small_inside = large_inside = 0.0
    score = max(small_inside, large_inside)
    # Whether the winning direction measured the new text inside the old one, and on how many shingles.
    new_inside = (small_inside >= large_inside) == new_is_small
    matched = small_runs.matched if small_inside >= large_inside else large_runs.matched
    containment = small_runs.matched / small_runs.n
    score = max(0.0, score - conflict_penalty * conflicts)
    updated = False
    if not new_is_small and conflicts == 0 and large_runs.n >= _RUN:
        top = large_runs.first_long(0)  # where the old text starts inside the new one
        updated = top >= 15 and large.n_words - small.n_words >= 20
    topped = new_inside and own_top
    return Match(score, containment, conflicts, updated, new_inside=new_inside, matched=matched,
                 covered=new_runs.matched / new_runs.n, topped=topped, goes_on=goes_on)


def _no_diff(copy: Doc, original: Doc) -> CopyDiff | None:
    """No copy diff (see `Clusterer`'s `copy_diffs`)."""
    return None


def _title_similarity(a: str, b: str) -> float:
    """Return the token-set similarity of two headlines in [0, 1], case and punctuation ignored."""
    return fuzz.token_set_ratio(a, b, processor=default_process) / 100.0


class Clusterer:
    """Assign each incoming document to one story, incrementally and deterministically."""

    def __init__(
        self,
        index: CandidateIndex,
        *,
        threshold: float = 0.6,
        title_threshold: float = 0.7,
        title_bonus: float = 0.1,
        conflict_penalty: float = 0.15,
        anchor_threshold: float = 0.3,
        window_days: int = 3,
        num_perm: int = 64,
        bands: int = 16,
        lead_keys: int = 6,
        max_candidates: int = 12,
        boilerplate_df: int = 3,
        seed: int = 1,
        max_entries: int = MAX_ENTRIES,
        lineage: LineageIndex | None = None,
        lineage_days: int = 365,
        copy_diffs: bool = True,
    ) -> None:
        """Set the thresholds, the window, the MinHash LSH shape and how many documents stay cached at most.

        num_perm = bands * rows; beyond `max_entries` cached features the oldest arrivals are forgotten.
        `lineage` keeps every document's fingerprints for `lineage_days`, so a copy published later than
        the window joins its original's story as a re-run (None: no re-runs are looked for). Without
        `copy_diffs` decisions carry no diff (`wirefeed dedupe` has its workers compute them).
        """
        if num_perm % bands or num_perm // bands >= len(_BAND_MULT):
            raise ValueError("num_perm must be a multiple of bands, with at most 15 rows per band")
        if 2 * lead_keys > num_perm:
            raise ValueError("lead_keys needs 2 * lead_keys <= num_perm")
        self.index = index
        self.boilerplate_df = boilerplate_df
        self.threshold = threshold
        self.title_threshold = title_threshold
        self.title_bonus = title_bonus
        self.conflict_penalty = conflict_penalty
        self.anchor_threshold = anchor_threshold
        self.window = timedelta(days=window_days)
        self.lineage = lineage
        self.lineage_span = timedelta(days=lineage_days)
        self.max_entries = max_entries
        self.bands = bands
        self.rows = num_perm // bands
        self.lead_keys = lead_keys
        self.max_candidates = max_candidates
        self._diff: Callable[[Doc, Doc], CopyDiff | None] = copy_diff if copy_diffs else _no_diff
        self._init_minhash(num_perm, bands, lead_keys, seed)
        self._init_caches()

    def _init_minhash(self, num_perm: int, bands: int, lead_keys: int, seed: int) -> None:
        """The MinHash permutations (seeded: the same keys in every process) and the band key bases."""
        rng = np.random.default_rng(seed)
        self._a: U64 = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self._b: U64 = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
        with np.errstate(over="ignore"):
            self._body_base: U64 = np.arange(bands, dtype=np.uint64) * _BAND_MULT[0]
            self._lead_base: U64 = (
                np.arange(_LEAD_BAND_BASE, _LEAD_BAND_BASE + lead_keys, dtype=np.uint64) * _BAND_MULT[0]
            )
        self._body_mult: U64 = _BAND_MULT[1 : self.rows + 1]
        self._a_column: U64 = self._a[:, None].copy()
        self._b_column: U64 = self._b[:, None].copy()

    def _init_caches(self) -> None:
        """The boilerplate sketch, the cached features and anchors, and the clock: empty at the start."""
        # Count-min sketch (2 rows): per shingle, how many live documents brought it as new material
        # (a story's first document, or what a copy adds to the copy it matched).
        self._df = np.zeros((2, _DF_WIDTH), dtype=np.int32)
        self._df_rows = (self._df[0], self._df[1])  # views: indexing a row is cheaper than a 2-D index
        # doc id -> (arrival time, features, shingles counted in the sketch), in arrival order.
        self._features: dict[str, tuple[datetime, Features, U64 | None]] = {}
        self._anchors: dict[str, str] = {}  # story -> its first document, while its features are cached
        self._anchor_of: dict[str, str] = {}  # the reverse
        self._agencies: dict[str, str | None] = {}
        self._clock: datetime | None = None  # the latest arrival time (UTC); None before the first document
        self._evicted_hour: datetime | None = None
        self._horizon: datetime | None = None  # entries that arrived before this are evicted

    def prepare(self, doc: Doc) -> Prepared:
        """Compute what `add` needs of a document; pure, so worker processes may do it (same parameters).

        Clusterers built with the same `num_perm`, `bands`, `lead_keys` and `seed` give equal results.
        """
        mine = features(doc)
        return Prepared(mine, self._keys(mine.tokens.shingles), fingerprints(mine.tokens.shingle_set))

    def query_keys(self, prepared: Prepared) -> tuple[int, ...]:
        """The keys `add` would look a prepared document up by now: its containment keys of boilerplate left out.

        An index that reads a group's keys ahead (`SqlIndex.prefetch`) needs no more: a footer's sampled
        shingle, shared by every page of an outlet, brings rows that `add` never asks for.
        """
        return self._query_keys(prepared.features, prepared.keys)

    def keys_for(self, text: str) -> tuple[int, ...]:
        """Return the LSH keys of a text: one per MinHash band, the lead keys, then containment keys (63-bit ints)."""
        return self._keys(tokens(text).shingles)

    def _keys(self, shingles: U64) -> tuple[int, ...]:
        """Return band keys and lead keys for a shingle-hash sequence (empty when there is none)."""
        if len(shingles) == 0:
            return ()
        # MinHash: upper 32 bits of a*x+b, minimum over shingles; the lead signature is the corner of
        # the same products over the first LEAD shingles and the first 2 * lead_keys permutations.
        # Taking the minimum before the shift gives the same values (the shift is monotonic).
        # One row per permutation, so each minimum runs along contiguous memory.
        # Blocks of `_MINHASH_BLOCK` shingles bound the products' matrix: a whole 8-million-word text at once
        # took num_perm x 8 bytes a shingle (4 GiB); the minimum of the blocks' minima is the same.
        body = np.full(len(self._a), np.iinfo(np.uint64).max, dtype=np.uint64)
        lead = body[: 2 * self.lead_keys]
        for start in range(0, len(shingles), _MINHASH_BLOCK):
            with np.errstate(over="ignore"):
                values = np.multiply(self._a_column, shingles[None, start : start + _MINHASH_BLOCK])
                values += self._b_column
            np.minimum(body, values.min(axis=1), out=body)
            if start == 0:
                lead = values[: 2 * self.lead_keys, :LEAD].min(axis=1)
        body >>= np.uint64(32)
        lead = lead >> np.uint64(32)
        # Fold each band of rows into one key (wrapping sums, as the column-by-column fold did).
        with np.errstate(over="ignore"):
            folded = np.concatenate(
                (
                    self._body_base + (body.reshape(-1, self.rows) * self._body_mult).sum(axis=1, dtype=np.uint64),
                    self._lead_base + (lead.reshape(-1, 2) * _BAND_MULT[1:3]).sum(axis=1, dtype=np.uint64),
                )
            )
        # Containment keys: the shingles of a fixed value sample (1 in 16), the smallest `_SAMPLED` of them.
        # MinHash bands find texts of similar *sets*; a trimmed copy, or one under a new top, shares half
        # its original's shingles and rarely a band -- but it keeps the sampled shingles of what it kept.
        sampled = np.unique(shingles[(shingles >> _SAMPLE_SHIFT) == 0])[:_SAMPLED]
        with np.errstate(over="ignore"):
            folded = np.concatenate((folded, sampled ^ _SAMPLE_SALT))
        return tuple(k & KEY_MASK for k in mix64(folded).tolist())

    def _features_of(self, entry: Entry) -> Features:
        """Return cached features of an indexed document, computing them on a miss."""
        cached = self._features.get(entry.doc.id)
        if cached is not None:
            return cached[1]
        found = features(entry.doc)
        self._cache(entry.doc.id, (self._clock or datetime.now(UTC), found, None))
        return found

    def _count(self, shingle_set: U64, delta: int) -> None:
        """Add `delta` to the story frequency of each shingle of a story's first document."""
        first, second = _slots_of(shingle_set)
        # Plain fancy-index updates: two shingles of one document rarely share a column, and a missed
        # increment only makes the sketch slightly less eager to call a shingle boilerplate.
        self._df_rows[0][first] += delta
        self._df_rows[1][second] += delta

    def _novel(self, mine: Features, decision: Decision) -> U64:
        """Return the shingles a document brings that the copy it matched lacks (all for an original)."""
        if decision.duplicate_of is None:
            return mine.tokens.shingle_set
        cached = self._features.get(decision.duplicate_of)
        if cached is None:
            return mine.tokens.shingle_set[:0]
        mine_set = mine.tokens.shingle_set
        return mine_set[~contains(cached[1].tokens.shingle_set, mine_set)]

    def _common(self, shingles: U64) -> Mask:
        """Flag shingles that occur in at least `boilerplate_df` live stories (footers, templates)."""
        first, second = _slots(shingles)  # a text's boilerplate is asked for with each candidate
        return np.asarray(np.minimum(self._df_rows[0][first], self._df_rows[1][second]) >= self.boilerplate_df)

    @property
    def clock(self) -> datetime | None:
        """The arrival clock: the latest arrival time seen (wall clock), None before the first document."""
        return self._clock

    def horizon(self, now: datetime) -> datetime:
        """Return the earliest arrival time still indexed at `now`: a window before the start of its hour.

        A process that rebuilds its state replays, in clustering order, every decision from the first one
        that arrived at or after this: exactly the decisions a process that made them all still holds.
        """
        return _minus(_hour(_utc(now)), self.window)

    def _tick(self, arrived: datetime) -> datetime:
        """Advance the clock to an arrival and return it; on each new hour, evict what arrived a window before.

        An arrival earlier than the clock (another worker's skewed clock) counts as arriving with it, so
        arrival times only grow and the oldest arrivals always sit at the front of the caches.
        """
        moment = _utc(arrived if arrived.tzinfo is not None else arrived.replace(tzinfo=UTC))
        if self._clock is not None and moment <= self._clock:
            return self._clock
        self._clock = moment
        hour = _hour(moment)
        if hour == self._evicted_hour:
            return moment
        self._evicted_hour = hour
        before = _minus(hour, self.window)
        self._horizon = before
        self.index.evict(before)
        if self.lineage is not None:
            self.lineage.evict(_minus(hour, self.lineage_span))
        # The cache is in arrival order: drop from the front.
        expired = []
        for doc_id, (time, _, _) in self._features.items():
            if time >= before:
                break
            expired.append(doc_id)
        for doc_id in expired:
            self._forget(doc_id)
        return moment

    def _cache(self, doc_id: str, cached: tuple[datetime, Features, U64 | None]) -> None:
        """Cache a document's features as its latest arrival; beyond `max_entries` forget the oldest arrivals."""
        self._features[doc_id] = cached
        while len(self._features) > self.max_entries:
            self._forget(next(iter(self._features)))

    def _near(self, published: datetime | None, other: datetime | None) -> bool:
        """Tell whether two documents were published within the window of each other (undated: always)."""
        return published is None or other is None or abs(published - other) <= self.window

    def _forget(self, doc_id: str) -> None:
        """Drop a document's cached features, its boilerplate counts and its anchor role."""
        counted = self._features.pop(doc_id)[2]
        self._agencies.pop(doc_id, None)
        if counted is not None:
            self._count(counted, -1)
        story = self._anchor_of.pop(doc_id, None)
        if story is not None:
            del self._anchors[story]

    def add(self, doc: Doc, arrived: datetime | None = None, prepared: Prepared | None = None) -> Decision:
        """Assign `doc` to the best earlier story in the window or start a new story, and index it.

        `arrived` is when the document arrives by the wall clock (now by default): it times the entry's
        eviction, never its matching, which compares publication dates. `prepared` is `prepare(doc)`,
        when computed elsewhere.
        """
        at = self._tick(arrived if arrived is not None else datetime.now(UTC))
        ready = prepared if prepared is not None else self.prepare(doc)
        mine, keys = ready.features, ready.keys
        prints = ready.prints
        if prints is None:
            prints = fingerprints(mine.tokens.shingle_set) if self.lineage is not None else ()
        decision = self._decide(doc, mine, keys, prints)
        self._remember(doc, mine, decision, at)
        self.index.add(Entry(doc=doc, cluster=decision.cluster, keys=keys), mine.text_hash, at)
        if self.lineage is not None and mine.tokens.n_words >= MIN_WORDS:
            self.lineage.add(Entry(doc=doc, cluster=decision.cluster, keys=prints), at)
        return decision

    def learn(self, doc: Doc, decision: Decision, arrived: datetime | None = None) -> None:
        """Replay a decision made earlier or elsewhere (already in the index) into the in-memory state.

        A process that replays the stored decisions in clustering order, each at its arrival time (the
        clock when None), before its own `add` calls holds the same learnt boilerplate, anchors and caches
        as one process that made them all, so results do not depend on restarts or on how many workers
        share the store.
        """
        at = self._tick(arrived if arrived is not None else self._clock or datetime.now(UTC))
        self._remember(doc, features(doc), decision, at)

    def _remember(self, doc: Doc, mine: Features, decision: Decision, arrived: datetime) -> None:
        """Learn from a placed document: its new material, its features, its story's anchor."""
        counted = self._novel(mine, decision)
        self._count(counted, 1)
        self._cache(doc.id, (arrived, mine, counted))
        if decision.relation == "original":
            self._anchors[decision.cluster] = doc.id
            self._anchor_of[doc.id] = decision.cluster

    def _decide(self, doc: Doc, mine: Features, keys: tuple[int, ...], prints: tuple[int, ...]) -> Decision:
        """Pick the story for a document (no side effects on the index): a copy in the window, else a re-run."""
        same = self.index.by_hash(mine.text_hash) if mine.tokens.n_words >= MIN_WORDS else None
        if same is not None and self._near(doc.published, same.doc.published):
            return Decision(doc.id, same.cluster, same.doc.id, 1.0, "exact", self._diff(doc, same.doc))
        keys = self._query_keys(mine, keys)
        found, far = self._candidates(doc, keys)
        decision = self._placed(doc, mine, found, keys, "near_duplicate") if found else None
        if decision is None and self.lineage is not None and mine.tokens.n_words >= MIN_WORDS:
            decision = self._by_lineage(doc, mine, found, far, keys, prints=prints)
        return decision or Decision(doc.id, story_id(doc.id), None, 0.0, "original")

    def _placed(
        self,
        doc: Doc,
        mine: Features,
        found: list[Entry],
        keys: tuple[int, ...],
        relation: str,
        *,
        primary: int | None = None,
    ) -> Decision | None:
        """The decision for the best verified candidate of `found`, None when none passes.

        `relation` is what a near-duplicate is called ("rerun" when `found` lies outside the window);
        `primary` as in `_shortlist`.
        """
        exact, passed = self._verify(doc, mine, found, self._shortlist(found, keys, primary))
        if exact is not None:
            return Decision(doc.id, exact.cluster, exact.doc.id, 1.0, "exact" if relation != "rerun" else relation,
                            self._diff(doc, exact.doc))
        if not passed:
            return None
        entry, match = self._best(doc, passed)
        if match.updated and relation != "rerun":
            relation = "updated"
        # numpy's rounding, which stored scores have always had (it rounds some half-way cases up).
        score = float(np.round(match.score, 4))
        return Decision(doc.id, entry.cluster, entry.doc.id, score, relation, self._diff(doc, entry.doc))

    def _by_lineage(
        self, doc: Doc, mine: Features, found: list[Entry], far: list[Entry], keys: tuple[int, ...], *,
        prints: tuple[int, ...],
    ) -> Decision | None:
        """Look further for a document that matched nothing its LSH keys found: by lineage fingerprints.

        Fingerprint candidates published within the window are copies the LSH keys missed (or the window's
        caches dropped); those published further away, with the window's own distant candidates, are
        re-runs. Both are verified as any candidate is, the near ones first.
        """
        assert self.lineage is not None
        seen = {e.doc.id for e in found} | {e.doc.id for e in far} | {doc.id}
        near: list[Entry] = []
        for entry in self.lineage.candidates(prints, self.max_candidates):
            if entry.doc.id not in seen:
                seen.add(entry.doc.id)
                (near if self._near(doc.published, entry.doc.published) else far).append(entry)
        decision = self._placed(doc, mine, near, prints, "near_duplicate") if near else None
        if decision is None and far:
            # Rank by shared fingerprints or keys alike: each entry carries those of its own index.
            decision = self._placed(doc, mine, far, prints + keys, "rerun", primary=len(prints) + len(keys))
        return decision

    def _query_keys(self, mine: Features, keys: tuple[int, ...]) -> tuple[int, ...]:
        """The keys to look a document up by: its containment keys of boilerplate shingles left out.

        A footer's or a template phrase's sampled shingle is shared by every page of an outlet: it would
        bring dozens of candidates and no signal.
        """
        n_lsh = self.bands + self.lead_keys
        if len(keys) <= n_lsh:
            return keys
        shingle_set = mine.tokens.shingle_set
        sampled = shingle_set[(shingle_set >> _SAMPLE_SHIFT) == 0][:_SAMPLED]
        if len(sampled) != len(keys) - n_lsh:  # keys computed elsewhere, from other shingles: keep them all
            return keys
        common = self._common(sampled)
        if not common.any():
            return keys
        kept = [k for k, boilerplate in zip(keys[n_lsh:], common.tolist(), strict=True) if not boilerplate]
        return keys[:n_lsh] + tuple(kept)

    def _candidates(self, doc: Doc, keys: tuple[int, ...]) -> tuple[list[Entry], list[Entry]]:
        """The index's candidates published near the document, and those published further away.

        The index answers by arrival; publication dates are checked here.
        """
        near: list[Entry] = []
        far: list[Entry] = []
        for e in self.index.candidates(keys, self._horizon):
            if e.doc.id != doc.id:
                (near if self._near(doc.published, e.doc.published) else far).append(e)
        return near, far

    def _shortlist(self, found: list[Entry], keys: tuple[int, ...], primary: int | None = None) -> list[Entry]:
        """The candidates worth verifying: most shared keys first, a few per story, `max_candidates` in all.

        The first `primary` keys (default: the band and lead keys) rank before the rest (containment keys).
        A story's anchor (its first document), when found, is among its few: copies of copies carry the
        edits of each generation, the original only those of the copy at hand.
        """
        n_lsh = self.bands + self.lead_keys if primary is None else primary
        banded, sampled = set(keys[:n_lsh]), set(keys[n_lsh:])
        # Most shared band and lead keys first, then most shared containment keys (a page of the same
        # outlet shares a few through its furniture); the sort is stable, so ties stay in index order.
        ranked = sorted(found, key=lambda e: (-len(banded.intersection(e.keys)), -len(sampled.intersection(e.keys))))
        anchors = {e.cluster: e for e in found if self._anchors.get(e.cluster) == e.doc.id}
        # Copies of one story look alike: verifying its best few members is enough.
        per_story: dict[str, int] = {}
        chosen: list[Entry] = []
        for entry in ranked:
            if entry.cluster not in per_story and (anchor := anchors.get(entry.cluster)) is not None:
                per_story[entry.cluster] = 1
                chosen.append(anchor)
            seen = per_story.get(entry.cluster, 0)
            if seen < _PER_STORY and entry is not anchors.get(entry.cluster):
                per_story[entry.cluster] = seen + 1
                chosen.append(entry)
            if len(chosen) >= self.max_candidates:
                break
        return chosen[: self.max_candidates]

    def _verify(
        self, doc: Doc, mine: Features, found: list[Entry], chosen: list[Entry]
    ) -> tuple[Entry | None, list[tuple[float, int, Entry, Match]]]:
        """Verify the shortlist in order: the first exact copy met, else every candidate that passed."""
        order = {id(e): i for i, e in enumerate(found)}

        # A story's anchor is its first document while cached, else its earliest retrieved member.
        def anchor_of(cluster: str) -> Entry | str:
            anchor = self._anchors.get(cluster)
            return anchor if anchor is not None else next(e for e in found if e.cluster == cluster)

        matches: dict[str, Match] = {}
        # The sketch does not change while a document is decided: compute its flags once, if needed.
        memo: list[Mask] = []

        def mine_common() -> Mask:
            if not memo:
                memo.append(self._common(mine.tokens.shingles))
            return memo[0]

        passed: list[tuple[float, int, Entry, Match]] = []
        for entry in chosen:
            other = self._features_of(entry)
            found_match = self._compare(mine, mine_common, other, self._hopeless)
            if found_match is None:
                continue  # not kept in `matches`: an anchor check on it verifies it in full
            match = matches[entry.doc.id] = found_match
            if other.text_hash == mine.text_hash:
                return entry, passed
            effective = self._with_title_bonus(doc, entry, match)
            if effective < self.threshold:
                continue
            # A shorter copy is vouched for by its match alone; a longer one brings text of its own, so
            # it must share more than a lead sentence and also resemble the story's anchor (this stops
            # chains such as teaser -> follow-up reusing the teaser's lead -> ...).
            if match.new_inside and match.matched < _MIN_COPY:
                continue
            if not match.new_inside and (
                match.matched < _MIN_EVIDENCE
                or not self._anchored(mine, mine_common, entry, anchor_of(entry.cluster), matches)
            ):
                continue
            passed.append((effective, -order[id(entry)], entry, match))
        return None, passed

    def _with_title_bonus(self, doc: Doc, entry: Entry, match: Match) -> float:
        """The match's score, raised by the title bonus when that alone lifts a conflict-free match over."""
        effective = match.score
        if (
            match.conflicts == 0
            and effective < self.threshold
            and min(1.0, effective + self.title_bonus) >= self.threshold
            and _title_similarity(doc.title, entry.doc.title) >= self.title_threshold
        ):
            effective = min(1.0, effective + self.title_bonus)
        return effective

    def _best(self, doc: Doc, passed: list[tuple[float, int, Entry, Match]]) -> tuple[Entry, Match]:
        """Pick the best verified candidate of the likeliest story; among near-equal ones prefer the agency's copy."""
        passed = _likeliest_story(passed)
        top = max(score for score, _, _, _ in passed)
        close = [p for p in passed if p[0] >= top - _AGENCY_MARGIN]
        if len({p[2].cluster for p in close}) > 1 and self._follow_up_among(close):
            close = _story_by_headline(doc, close, self.title_threshold) or _nearest_story(doc, close)
        if len(close) > 1:
            mine = self._agency_of(doc)
            credited = [p for p in close if (a := self._agency_of(p[2].doc)) is not None and mine in (a, None)]
            close = credited or close
        _, _, entry, match = max(close, key=lambda p: (p[0], p[1]))
        return entry, match

    def _follow_up_among(self, close: list[tuple[float, int, Entry, Match]]) -> bool:
        """Tell whether one of the stories of equal candidates is a follow-up of another.

        Only the first documents of the stories, while cached, are compared: one keeps the other's beginning,
        drops its end and goes on with more than a footer's worth of its own (`_goes_on`); a copy that
        missed its story and started one of its own adds a footer at most.
        """
        anchors = []
        for cluster in dict.fromkeys(p[2].cluster for p in close):
            anchor = self._anchors.get(cluster)
            cached = self._features.get(anchor) if anchor is not None else None
            if cached is not None:
                anchors.append(cached[1])
        for i, first in enumerate(anchors):
            for second in anchors[i + 1 :]:
                for new, old in ((first, second), (second, first)):
                    flags = self._common(new.tokens.shingles), self._common(old.tokens.shingles)
                    if compare(new, old, conflict_penalty=self.conflict_penalty, new_common=flags[0],
                               old_common=flags[1]).goes_on > _FOOTER:
                        return True
        return False

    def _agency_of(self, doc: Doc) -> str | None:
        """Return the agency credited by an indexed document, memoised while it is cached."""
        if doc.id not in self._agencies:
            self._agencies[doc.id] = agency_of(doc.text)
        return self._agencies[doc.id]

    def _compare(
        self,
        mine: Features,
        mine_common: Callable[[], Mask],
        other: Features,
        hopeless: Callable[[float, int], bool] | None = None,
    ) -> Match | None:
        """Verify the new document against an earlier one with the current boilerplate statistics."""
        return verify(
            mine,
            other,
            conflict_penalty=self.conflict_penalty,
            new_common=mine_common,
            old_common=lambda: self._common(other.tokens.shingles),
            hopeless=hopeless,
        )

    def _hopeless(self, best: float, conflicts: int) -> bool:
        """Tell whether a candidate fails the threshold whatever its score up to `best` and its title."""
        if conflicts:  # the score is penalised and the title bonus does not apply
            return max(0.0, best - self.conflict_penalty * conflicts) < self.threshold
        return best + max(0.0, self.title_bonus) < self.threshold

    def _anchored(
        self,
        mine: Features,
        mine_common: Callable[[], Mask],
        entry: Entry,
        anchor: Entry | str,
        matches: dict[str, Match],
    ) -> bool:
        """Check the document also resembles its would-be story's anchor (guards against chaining)."""
        anchor_id = anchor if isinstance(anchor, str) else anchor.doc.id
        if anchor_id == entry.doc.id:
            return True
        match = matches.get(anchor_id)
        if match is None:
            if isinstance(anchor, str):
                cached = self._features.get(anchor)
                if cached is None:
                    return True
                other = cached[1]
            else:
                other = self._features_of(anchor)
            full = self._compare(mine, mine_common, other)
            assert full is not None  # never hopeless without a test
            match = matches[anchor_id] = full
        # More than a reused lead paragraph: a follow-up that reuses the story's lead under new text
        # resembles a copy trimmed to that lead, not the story.
        # Nor does a text that, set against the anchor, keeps its beginning and goes on with its own (`_goes_on`):
        # a follow-up joining through a copy trimmed to the story's lead.
        return (match.conflicts == 0 and not match.goes_on and match.containment >= self.anchor_threshold
                and match.matched >= _TOP_EVIDENCE)


_COVER_MARGIN = 0.05  # a story explaining this much more of a document is the likelier one


def _likeliest_story(passed: list[tuple[float, int, Entry, Match]]) -> list[tuple[float, int, Entry, Match]]:
    """Keep the verified candidates of the stories that explain a document best, when several stories passed.

    Two stories can both hold a document: a follow-up reuses an earlier story's lead, and a copy of the
    follow-up trimmed to that lead (or to the lead and the paragraph above it) is found in both. The
    simpler explanation wins: a story holding the document as it is beats one that holds it only under
    a top of its own (an update); among stories whose best scores are equal (within `_AGENCY_MARGIN`),
    those explaining clearly less of the document (`Match.covered`, by `_COVER_MARGIN`) are dropped.
    """
    stories = {p[2].cluster for p in passed}
    if len(stories) == 1:
        return passed
    plain = {p[2].cluster for p in passed if not p[3].topped}
    if plain and plain != stories:
        passed = [p for p in passed if p[2].cluster in plain]
    top = max(p[0] for p in passed)
    close = [p for p in passed if p[0] >= top - _AGENCY_MARGIN]
    if len({p[2].cluster for p in close}) == 1:
        return passed
    most = max(p[3].covered for p in close)
    likely = {p[2].cluster for p in close if p[3].covered >= most - _COVER_MARGIN}
    return [p for p in passed if p[2].cluster in likely]


def _story_by_headline(
    doc: Doc, close: list[tuple[float, int, Entry, Match]], threshold: float
) -> list[tuple[float, int, Entry, Match]] | None:
    """Keep the equal candidates of the only story whose headline agrees with the document's (None: not one).

    A copy keeps or reworks its source's headline; a follow-up has one of its own.
    """
    agree = {p[2].cluster for p in close if _title_similarity(doc.title, p[2].doc.title) >= threshold}
    if len(agree) != 1:
        return None
    return [p for p in close if p[2].cluster in agree]


def _nearest_story(doc: Doc, close: list[tuple[float, int, Entry, Match]]) -> list[tuple[float, int, Entry, Match]]:
    """Keep the equal candidates of the story with the copy published nearest to the document.

    A document that is equally a copy of a story and of its follow-up (the follow-up's copy trimmed to
    the lead it reuses is the story's lead too) cannot be told apart by its text; when its headline does
    not tell either (`_story_by_headline`): copies come within hours of their source, a follow-up days
    after the story it reuses, so the nearer story is likelier.
    Undated documents keep them all.
    """
    published = doc.published
    if published is None:
        return close
    dated = [p for p in close if p[2].doc.published is not None]
    if not dated:
        return close
    nearest = min(dated, key=lambda p: (abs(published - p[2].doc.published), -p[1]))  # type: ignore[operator]
    return [p for p in close if p[2].cluster == nearest[2].cluster]


def cluster_docs(docs: Iterable[Doc], **params: Any) -> list[Decision]:
    """Cluster documents in order with fresh in-memory indexes (re-runs found too); `params` go to Clusterer.

    The whole run is filed as arriving when it starts, so nothing is evicted by time during it: the
    decisions depend on the documents and their order alone (memory is bounded by `max_entries`).
    """
    index = InMemoryIndex(max_entries=int(params.get("max_entries", MAX_ENTRIES)))
    params.setdefault("lineage", InMemoryLineage())
    clusterer = Clusterer(index, **params)
    arrived = datetime.now(UTC)
    return [clusterer.add(doc, arrived) for doc in docs]
