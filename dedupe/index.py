"""Candidate index: where earlier documents wait, keyed by LSH band keys, for a time window.

The protocol is deliberately small so a SQL table can implement it (store/ does):

- ``keys`` are signed 63-bit integers (always >= 0, < 2**63), so one ``BIGINT`` column holds them; a
  table ``(key BIGINT, entry_id)`` with an index on ``key`` answers ``candidates`` with ``key IN (...)``.
- An entry's time is when it arrived by the wall clock (``add(..., added)``, now when not given),
  never its publication date: a late-arriving old article stays as long as any other arrival, and no
  date from outside can age out the rest.
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
shared by hundreds of live documents comes from boilerplate or a template and carries no signal. An
in-memory implementation may also cap how many entries it keeps (dropping the oldest arrivals first).
A returned ``Entry.keys`` may hold all of the entry's keys or only those it shares with the query:
the clusterer only counts the shared ones to rank candidates. The clusterer keeps its own caches
(features, learnt boilerplate, story anchors) in memory, so keep one ``Clusterer`` per process.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from dedupe.model import Doc

KEY_MASK = (1 << 63) - 1
# Documents kept in memory at most, by the in-memory index and by the clusterer's features cache, the
# oldest arrivals dropped first: about 18 KB each on the wire corpus (10 KB of features; the document with
# its text, its keys and their buckets 7.5 KB), so some 180 MB. A run of `wirefeed dedupe` never evicts by
# time and would otherwise keep every document (1.8 GB at 100,000), and a boilerplate sketch over that
# many documents starts calling template text boilerplate.
MAX_ENTRIES = 10_000


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


@dataclass(slots=True)
class _Slot:
    """An entry with its insertion sequence number and effective time."""

    seq: int
    time: datetime
    entry: Entry
    text_hash: str
    alive: bool = True


class _Live(Protocol):
    alive: bool


_S = TypeVar("_S", bound=_Live)


def file_under(buckets: dict[int, _S | list[_S]], key: int, slot: _S, cap: int) -> None:
    """File a slot under a key: the slot alone, a list once a second comes, the latest `cap` of them kept."""
    bucket = buckets.get(key)
    if bucket is None:
        buckets[key] = slot
        return
    if not isinstance(bucket, list):
        bucket = buckets[key] = [bucket]
    bucket.append(slot)
    if len(bucket) > cap:
        del bucket[0]


def clear_dead(buckets: dict[int, _S | list[_S]], key: int) -> None:
    """Drop a key's dead slots from the front of its bucket (filed in time order), and the key once none lives."""
    bucket = buckets.get(key)
    if bucket is None:
        return
    if not isinstance(bucket, list):
        if not bucket.alive:
            del buckets[key]
        return
    dead = 0
    while dead < len(bucket) and not bucket[dead].alive:
        dead += 1
    if dead == len(bucket):
        del buckets[key]
    elif dead:
        del bucket[:dead]


class InMemoryIndex:
    """Dict-of-buckets implementation of CandidateIndex for one process (tests, CLI, benchmarks)."""

    def __init__(self, *, max_per_key: int = 64, max_entries: int = MAX_ENTRIES) -> None:
        """Create an empty index; a key keeps its `max_per_key` latest entries, the index its `max_entries`."""
        if max_per_key < 1:
            raise ValueError("max_per_key must be at least 1")
        self._max_per_key = max_per_key
        self._max_entries = max_entries
        # Key -> the one slot filed under it, or a list of them once a second comes: most keys belong to one
        # document, and a list of one costs 88 bytes more than the slot alone (some 50 keys a document: 40 MB
        # at `MAX_ENTRIES`). Lists, not deques: an empty deque alone takes 760 bytes.
        self._buckets: dict[int, _Slot | list[_Slot]] = {}
        self._hashes: dict[str, _Slot] = {}
        self._order: deque[_Slot] = deque()
        self._seq = 0
        self._clock: datetime | None = None  # the latest arrival time
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
            if bucket is None:
                continue
            if isinstance(bucket, list):
                for slot in bucket:
                    found[slot.seq] = slot
            else:
                found[bucket.seq] = bucket
        # Filter each slot once, not once per shared key.
        return [slot.entry for _, slot in sorted(found.items()) if slot.alive and (since is None or slot.time >= since)]

    def by_hash(self, text_hash: str) -> Entry | None:
        """Return the earliest live entry with this normalised-text hash, or None."""
        slot = self._hashes.get(text_hash)
        return slot.entry if slot is not None and slot.alive else None

    def add(self, entry: Entry, text_hash: str, added: datetime | None = None) -> None:
        """Store an entry under its keys and its text hash, timed at `added` (see the module docstring)."""
        time = added if added is not None else datetime.now(UTC)
        # An arrival earlier than the latest one counts as arriving with it: times only grow along _order.
        if self._clock is None or time > self._clock:
            self._clock = time
        slot = _Slot(self._seq, self._clock, entry, text_hash)
        self._seq += 1
        self._size += 1
        self._order.append(slot)
        if text_hash not in self._hashes or not self._hashes[text_hash].alive:
            self._hashes[text_hash] = slot
        for key in dict.fromkeys(entry.keys):
            file_under(self._buckets, key, slot, self._max_per_key)
        while self._size > self._max_entries:
            self._drop(self._order.popleft())

    def evict(self, before: datetime) -> int:
        """Drop entries whose time is before `before`; return how many were dropped."""
        dropped = 0
        # Entries are in time order along _order, so stop at the first recent one.
        while self._order and self._order[0].time < before:
            dropped += self._drop(self._order.popleft())
        return dropped

    def _drop(self, slot: _Slot) -> int:
        """Forget an entry taken off the front of _order; return 1, or 0 when it was already gone."""
        if not slot.alive:
            return 0
        slot.alive = False
        self._size -= 1
        if self._hashes.get(slot.text_hash) is slot:
            del self._hashes[slot.text_hash]
        for key in slot.entry.keys:  # a repeated key finds its bucket clean or gone
            clear_dead(self._buckets, key)
        return 1
