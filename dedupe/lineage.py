"""The long-term index of wire-copy lineage: near-exact fingerprints of every article, kept for months.

The candidate index holds the fuzzy LSH keys of the last few days only; a copy republished weeks or
months after its original (a re-run) finds the original here instead. Each article leaves a handful of
*fingerprints*: the word 3-shingles whose hash falls in a fixed 1/64 sample, the 16 smallest of them
(about one per 64 words, so 8 for a 500-word article), topped up with the smallest shingles of a text
too short to have 4 sampled ones. Sampling by value, not position, makes the fingerprints survive what
republication does: a copy that keeps any stretch of the text keeps the fingerprints in it, whatever is
trimmed, prepended, reordered or appended; a typo or an edited word loses the 3 shingles around it only.
Candidates are verified by the clusterer exactly as copies in the window are.

The protocol, like `CandidateIndex`, fits a SQL table `(key BIGINT, article)` (store/ implements it):

- ``candidates(keys)`` returns the entries sharing a fingerprint, each once, most shared first (ties by
  insertion order), with their text (the implementation loads it), at most `limit`.
- ``add(entry, added)`` files an entry under its fingerprints at its arrival time; ``evict(before)``
  drops what arrived before `before` (the clusterer passes `lineage_days` before now) and returns how
  many went.

A fingerprint shared by more than `MAX_PER_KEY` live articles is boilerplate or a template phrase and
carries no signal: implementations keep the most recent ones only.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import numpy as np

from dedupe.index import KEY_MASK, Entry, clear_dead, file_under
from dedupe.model import Doc
from dedupe.text import U64, mix64

SAMPLE_BITS = 6  # a shingle is a fingerprint when its top 6 bits are zero: 1 in 64
MAX_FINGERPRINTS = 16
MIN_FINGERPRINTS = 4
MAX_PER_KEY = 32
_SALT = np.uint64(0x6C696E65616765)  # "lineage": fingerprints never equal the LSH keys of the same text


def fingerprints(shingle_set: U64) -> tuple[int, ...]:
    """Return the lineage fingerprints of a text from its sorted distinct shingle hashes (may be empty)."""
    sampled = shingle_set[(shingle_set >> np.uint64(64 - SAMPLE_BITS)) == 0][:MAX_FINGERPRINTS]
    if len(sampled) < MIN_FINGERPRINTS:
        sampled = shingle_set[:MIN_FINGERPRINTS]  # sorted: the smallest ones, sampled ones among them
    with np.errstate(over="ignore"):
        return tuple(int(k) & KEY_MASK for k in mix64(sampled ^ _SALT).tolist())


class LineageIndex(Protocol):
    """Storage of every article's fingerprints for `lineage_days`, answering "who shares one"."""

    def candidates(self, keys: Sequence[int], limit: int) -> list[Entry]:
        """Return up to `limit` entries sharing a fingerprint, most shared first, with their text."""
        ...

    def add(self, entry: Entry, added: datetime | None = None) -> None:
        """File an entry under its fingerprints (`entry.keys`), timed at its arrival."""
        ...

    def evict(self, before: datetime) -> int:
        """Drop entries that arrived before `before`; return how many were dropped."""
        ...


@dataclass(slots=True)
class _Filed:
    """An entry as kept in memory: the document without its text when a loader can bring it back."""

    seq: int
    time: datetime
    entry: Entry
    alive: bool = True


class InMemoryLineage:
    """A `LineageIndex` in memory for one process (`wirefeed dedupe`, tests).

    With a `loader` (document id -> document, e.g. read back from the input file) only the identity,
    date and story of each document are kept, some 300 bytes with its fingerprints; without one
    the whole document is. At most `max_entries` are kept, the oldest arrivals dropped first.
    """

    def __init__(self, loader: Callable[[str], Doc] | None = None, *, max_entries: int = 2_000_000) -> None:
        """Start empty."""
        self._loader = loader
        self._max_entries = max_entries
        # Fingerprint -> the one entry filed under it, or a list of them once a second comes: most fingerprints
        # belong to one article, and a list of one costs 88 bytes more than the entry alone (some 40 MB in
        # `wirefeed dedupe` at 100,000 articles, every one of which stays filed). Lists, not deques: an
        # empty deque takes 760 bytes.
        self._buckets: dict[int, _Filed | list[_Filed]] = {}
        self._order: deque[_Filed] = deque()
        self._seq = 0

    def candidates(self, keys: Sequence[int], limit: int) -> list[Entry]:
        """Return up to `limit` live entries sharing a fingerprint, most shared first, loading their text."""
        shared: Counter[int] = Counter()
        filed: dict[int, _Filed] = {}
        for key in dict.fromkeys(keys):
            bucket = self._buckets.get(key)
            if bucket is None:
                continue
            for slot in bucket if isinstance(bucket, list) else (bucket,):
                if slot.alive:
                    shared[slot.seq] += 1
                    filed[slot.seq] = slot
        best = sorted(shared, key=lambda seq: (-shared[seq], seq))[:limit]
        return [self._loaded(filed[seq].entry) for seq in best]

    def _loaded(self, entry: Entry) -> Entry:
        """The entry with its document's text."""
        if self._loader is None:
            return entry
        return Entry(doc=self._loader(entry.doc.id), cluster=entry.cluster, keys=entry.keys)

    def add(self, entry: Entry, added: datetime | None = None) -> None:
        """File an entry under its fingerprints; beyond `max_entries` the oldest arrivals go."""
        doc = entry.doc
        if self._loader is not None:
            doc = Doc(doc.id, "", "", None, doc.published)  # what `candidates` needs before it loads the rest
        time = added if added is not None else datetime.now(UTC)
        if self._order and time < self._order[-1].time:
            time = self._order[-1].time  # times only grow along _order, as in InMemoryIndex
        slot = _Filed(self._seq, time, Entry(doc=doc, cluster=entry.cluster, keys=entry.keys))
        self._seq += 1
        self._order.append(slot)
        for key in dict.fromkeys(entry.keys):
            file_under(self._buckets, key, slot, MAX_PER_KEY)
        while len(self._order) > self._max_entries:
            self._drop(self._order.popleft())

    def evict(self, before: datetime) -> int:
        """Drop entries that arrived before `before`; return how many were dropped."""
        dropped = 0
        while self._order and self._order[0].time < before:
            self._drop(self._order.popleft())
            dropped += 1
        return dropped

    def _drop(self, slot: _Filed) -> None:
        """Forget an entry taken off the front of _order, and the buckets it leaves empty."""
        slot.alive = False
        for key in slot.entry.keys:
            clear_dead(self._buckets, key)

    def __len__(self) -> int:
        """How many entries are kept."""
        return len(self._order)
