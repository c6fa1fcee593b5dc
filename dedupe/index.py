"""Candidate index: where earlier documents wait, keyed by LSH band keys, for a time window.

The protocol is deliberately small so a SQL table can implement it (store/ does):

- ``keys`` are signed 63-bit integers (always >= 0, < 2**63), so one ``BIGINT`` column holds them; a
  table ``(key BIGINT, entry_id)`` with an index on ``key`` answers ``candidates`` with ``key IN (...)``.
- An entry's time is when it was added, on the clusterer's arrival clock (``add(..., added)``), not
  its publication date: a late-arriving old article stays as long as any other arrival, and one far
  dated article cannot age out the rest. Without ``added`` the time is ``doc.published``, or the
  latest time seen when the document has no date.
- ``candidates(keys, since)`` returns the entries sharing at least one key, each once, in insertion
  order, restricted to entries whose time is at or after ``since`` (``None`` = no window). Comparing
  publication dates is the clusterer's business, so implementations stay simple.
- ``by_hash(text_hash)`` is the fast exact path: the earliest live entry whose normalised text has this
  hash (the ``text_hash`` column can carry a unique or plain index). It ignores the window so that an
  exact copy always lands in the story of its first copy while that copy is kept. Returning ``None``
  always is allowed: exact copies are then still found through ``candidates`` (same keys, same hash).
- ``add(entry, text_hash, added)`` stores an entry under all its keys; ``evict(before)`` drops entries
  whose time is before ``before`` and returns how many went.

Implementations may cap how many entries one key returns (keeping the most recent), because a key
shared by hundreds of live documents comes from boilerplate or a template and carries no signal.
A returned ``Entry.keys`` may hold all of the entry's keys or only those it shares with the query:
the clusterer only counts the shared ones to rank candidates. The clusterer keeps its own caches
(features, learnt boilerplate, story anchors) in memory, so keep one ``Clusterer`` per process.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from dedupe.model import Doc

KEY_MASK = (1 << 63) - 1


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored document with the story it belongs to and its LSH band keys."""

    doc: Doc
    cluster: str
    keys: tuple[int, ...]  # LSH band keys, signed 63-bit ints (fit in a SQL BIGINT)


class CandidateIndex(Protocol):
    """Storage of earlier documents that answers "which of them share an LSH key with this one"."""

    def candidates(self, keys: Sequence[int], since: datetime | None) -> list[Entry]:
        """Return entries sharing a key, at or after `since`, in insertion order, without repeats."""
        ...

    def by_hash(self, text_hash: str) -> Entry | None:
        """Return the earliest stored entry with this normalised-text hash, or None."""
        ...

    def add(self, entry: Entry, text_hash: str, added: datetime | None = None) -> None:
        """Store an entry under its keys and its text hash, timed at `added` (see the module docstring)."""
        ...

    def evict(self, before: datetime) -> int:
        """Drop entries whose time is before `before`; return how many were dropped."""
        ...


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class _Slot:
    """An entry with its insertion sequence number and effective time."""

    seq: int
    time: datetime
    entry: Entry
    text_hash: str
    alive: bool = True


class InMemoryIndex:
    """Dict-of-buckets implementation of CandidateIndex for one process (tests, CLI, benchmarks)."""

    def __init__(self, *, max_per_key: int = 64) -> None:
        """Create an empty index; a key keeps at most `max_per_key` most recent entries."""
        self._max_per_key = max_per_key
        self._buckets: dict[int, deque[_Slot]] = {}
        self._hashes: dict[str, _Slot] = {}
        self._order: deque[_Slot] = deque()
        self._seq = 0
        self._clock = _EPOCH  # latest time seen: the "added" time of undated documents
        self._size = 0

    def __len__(self) -> int:
        """Return the number of live entries."""
        return self._size

    def candidates(self, keys: Sequence[int], since: datetime | None) -> list[Entry]:
        """Return live entries sharing a key, at or after `since`, in insertion order, without repeats."""
        found: dict[int, _Slot] = {}
        buckets = self._buckets
        for key in keys:
            bucket = buckets.get(key)
            if bucket:
                for slot in bucket:
                    found[slot.seq] = slot
        # Filter each slot once, not once per shared key.
        return [slot.entry for _, slot in sorted(found.items()) if slot.alive and (since is None or slot.time >= since)]

    def by_hash(self, text_hash: str) -> Entry | None:
        """Return the earliest live entry with this normalised-text hash, or None."""
        slot = self._hashes.get(text_hash)
        return slot.entry if slot is not None and slot.alive else None

    def add(self, entry: Entry, text_hash: str, added: datetime | None = None) -> None:
        """Store an entry under its keys and its text hash, timed at `added` (see the module docstring)."""
        time = added if added is not None else entry.doc.published
        if time is not None and time > self._clock:
            self._clock = time
        slot = _Slot(self._seq, time or self._clock, entry, text_hash)
        self._seq += 1
        self._size += 1
        self._order.append(slot)
        if text_hash not in self._hashes or not self._hashes[text_hash].alive:
            self._hashes[text_hash] = slot
        for key in dict.fromkeys(entry.keys):
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = deque()
            bucket.append(slot)
            if len(bucket) > self._max_per_key:
                bucket.popleft()

    def evict(self, before: datetime) -> int:
        """Drop entries whose time is before `before`; return how many were dropped."""
        dropped = 0
        # Entries arrive in time order when timed by the arrival clock (roughly so by publication date),
        # so stop scanning at the first recent one; a late entry older than `before` stays stored a
        # little longer but `candidates` filters it by time.
        while self._order and self._order[0].time < before:
            slot = self._order.popleft()
            if not slot.alive:
                continue
            slot.alive = False
            dropped += 1
            if self._hashes.get(slot.text_hash) is slot:
                del self._hashes[slot.text_hash]
            for key in slot.entry.keys:  # a repeated key finds its bucket clean or gone
                bucket = self._buckets.get(key)
                if bucket is None:
                    continue
                while bucket and not bucket[0].alive:
                    bucket.popleft()
                if not bucket:
                    del self._buckets[key]
        self._size -= dropped
        return dropped
