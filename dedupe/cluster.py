"""Incremental story clustering: MinHash LSH candidates, containment verification, one story per doc.

Each document is compared with the earlier documents of the time window that share an LSH key
(band keys of a MinHash over word 3-shingles, plus "lead" keys over the first shingles so teasers
and trimmed copies are found). A candidate is verified by how much of the shorter text is contained
in the longer one, anchored on the shorter text's lead (otherwise only the symmetric Jaccard counts,
which keeps articles apart that merely share a site footer), minus a penalty for every short
substitution of names or numbers inside the overlap (template stories, market reports, results).
The document then joins the story of its best verified candidate, or starts a new story.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from dedupe.agency import agency_of
from dedupe.index import KEY_MASK, CandidateIndex, Entry, InMemoryIndex
from dedupe.model import Decision, Doc
from dedupe.text import U64, Mask, Tokens, mix64, text_hash, tokens

LEAD = 32  # shingles that make up a text's lead
MIN_WORDS = 8  # below this a body is too short to stand alone; the title is compared with it
_LEAD_BAND_BASE = 1_000  # lead keys use band numbers from here so they never equal a body band key
_GAP_MAX = 6  # an uncovered run of at most this many words is a substitution, longer is an insertion
_EVICT_EVERY = timedelta(hours=1)


def story_id(doc_id: str) -> str:
    """Return the deterministic story id of a story whose first document is `doc_id`."""
    return "s" + hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).hexdigest()[:15]


@dataclass(frozen=True, slots=True)
class Features:
    """What verification needs from one document, computed once."""

    tokens: Tokens
    text_hash: str
    title: str
    agency: str | None


@dataclass(frozen=True, slots=True)
class Match:
    """Verification of a new document against one earlier document."""

    score: float  # content similarity in [0, 1] after penalties
    containment: float  # share of the shorter text's shingles found in the longer one
    conflicts: int  # short substitutions of names or numbers inside the overlap
    updated: bool  # the new text contains the old one plus a new top


def features(doc: Doc) -> Features:
    """Compute the comparison features of a document (the title joins very short bodies)."""
    body = doc.text
    t = tokens(body)
    if len(t.words) < MIN_WORDS:
        body = f"{doc.title}.\n{doc.text}"
        t = tokens(body)
    return Features(tokens=t, text_hash=text_hash(doc.text), title=doc.title, agency=agency_of(doc.text))


def _covered(member: Mask, n_words: int) -> Mask:
    """Mark the words that lie inside at least one matched shingle."""
    covered = np.zeros(n_words, dtype=np.bool_)
    n = len(member)
    for offset in range(min(3, n_words - n + 1)):
        covered[offset : offset + n] |= member
    return covered


def _conflicts(small: Tokens, covered: Mask) -> int:
    """Count short uncovered runs holding a name or number between the first and last covered word."""
    hit = np.flatnonzero(covered)
    if len(hit) < 2:
        return 0
    first, last = int(hit[0]), int(hit[-1])
    inner = ~covered[first : last + 1]
    if not inner.any():
        return 0
    salient = small.salient[first : last + 1]
    # Boundaries of uncovered runs: +1 where a run starts, -1 after it ends.
    edges = np.diff(np.concatenate(([0], inner.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    count = 0
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if end - start <= _GAP_MAX and salient[start:end].any():
            count += 1
    return count


def compare(new: Features, old: Features, *, conflict_penalty: float = 0.15) -> Match:
    """Verify a new document against an earlier one; score is lead-anchored containment minus penalties."""
    if new.text_hash == old.text_hash:
        return Match(1.0, 1.0, 0, updated=False)
    new_is_small = len(new.tokens.shingles) <= len(old.tokens.shingles)
    small, large = (new.tokens, old.tokens) if new_is_small else (old.tokens, new.tokens)
    if len(small.shingles) == 0 or len(large.shingles) == 0:
        return Match(0.0, 0.0, 0, updated=False)
    member = np.isin(small.shingles, large.shingle_set, assume_unique=False)
    containment = float(member.mean())
    if containment == 0.0:
        return Match(0.0, 0.0, 0, updated=False)
    lead = float(member[:LEAD].mean())
    if lead >= 0.5:
        score = containment
    else:
        # The overlap does not start where the shorter text starts: a shared footer or a reused
        # paragraph, not a copy. Only symmetric similarity can vouch for it.
        inter = len(np.intersect1d(small.shingle_set, large.shingle_set, assume_unique=True))
        score = inter / (len(small.shingle_set) + len(large.shingle_set) - inter)
    conflicts = _conflicts(small, _covered(member, len(small.words)))
    score = max(0.0, score - conflict_penalty * conflicts)
    updated = False
    if not new_is_small and conflicts == 0:
        back = np.isin(large.shingles, small.shingle_set)
        top = int(np.argmax(back)) if back.any() else 0
        updated = top >= 15 and len(large.words) - len(small.words) >= 20
    return Match(score, containment, conflicts, updated)


def _title_similarity(a: str, b: str) -> float:
    """Return the token-set similarity of two headlines in [0, 1], case and punctuation ignored."""
    return fuzz.token_set_ratio(a, b, processor=default_process) / 100.0


class Clusterer:
    """Assign each incoming document to one story, incrementally and deterministically."""

    def __init__(
        self,
        index: CandidateIndex,
        *,
        threshold: float = 0.7,
        title_threshold: float = 0.7,
        title_bonus: float = 0.1,
        conflict_penalty: float = 0.15,
        anchor_threshold: float = 0.3,
        window_days: int = 3,
        num_perm: int = 64,
        bands: int = 16,
        lead_keys: int = 6,
        max_candidates: int = 12,
        seed: int = 1,
    ) -> None:
        """Set the thresholds, the window and the MinHash LSH shape (num_perm = bands * rows)."""
        if num_perm % bands:
            raise ValueError("num_perm must be a multiple of bands")
        if 2 * lead_keys > num_perm:
            raise ValueError("lead_keys needs 2 * lead_keys <= num_perm")
        self.index = index
        self.threshold = threshold
        self.title_threshold = title_threshold
        self.title_bonus = title_bonus
        self.conflict_penalty = conflict_penalty
        self.anchor_threshold = anchor_threshold
        self.window = timedelta(days=window_days)
        self.bands = bands
        self.rows = num_perm // bands
        self.lead_keys = lead_keys
        self.max_candidates = max_candidates
        rng = np.random.default_rng(seed)
        self._a: U64 = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self._b: U64 = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
        self._features: dict[str, tuple[datetime | None, Features]] = {}
        self._clock: datetime | None = None
        self._evicted_at: datetime | None = None

    def keys_for(self, text: str) -> tuple[int, ...]:
        """Return the LSH keys of a text: one per MinHash band, then the lead keys (63-bit ints)."""
        return self._keys(tokens(text).shingles)

    def _keys(self, shingles: U64) -> tuple[int, ...]:
        """Return band keys and lead keys for a shingle-hash sequence (empty when there is none)."""
        if len(shingles) == 0:
            return ()
        body = self._band_keys(self._minhash(shingles, len(self._a)), 0)
        lead = self._band_keys(self._minhash(shingles[:LEAD], 2 * self.lead_keys), _LEAD_BAND_BASE, rows=2)
        return body + lead

    def _minhash(self, shingles: U64, width: int) -> U64:
        """Return the MinHash signature (upper 32 bits of a*x+b, minimum over shingles) of width perms."""
        with np.errstate(over="ignore"):
            values = shingles[:, None] * self._a[None, :width] + self._b[None, :width]
        return np.asarray((values >> np.uint64(32)).min(axis=0), dtype=np.uint64)

    def _band_keys(self, signature: U64, base: int, rows: int | None = None) -> tuple[int, ...]:
        """Fold each band of `rows` signature values into one non-negative 63-bit key."""
        rows = rows or self.rows
        grid = signature.reshape(-1, rows)
        acc = mix64(np.arange(base, base + grid.shape[0], dtype=np.uint64))
        with np.errstate(over="ignore"):
            for column in range(rows):
                acc = mix64(acc ^ grid[:, column])
        return tuple(int(k) & KEY_MASK for k in acc.tolist())

    def _features_of(self, entry: Entry) -> Features:
        """Return cached features of an indexed document, computing them on a miss."""
        cached = self._features.get(entry.doc.id)
        if cached is not None:
            return cached[1]
        found = features(entry.doc)
        self._features[entry.doc.id] = (entry.doc.published, found)
        return found

    def _tick(self, published: datetime | None) -> None:
        """Advance the clock and evict index entries and cached features older than the window."""
        if published is None:
            return
        if self._clock is None or published > self._clock:
            self._clock = published
        if self._evicted_at is not None and self._clock - self._evicted_at < _EVICT_EVERY:
            return
        self._evicted_at = self._clock
        before = self._clock - self.window
        self.index.evict(before)
        for doc_id in [i for i, (t, _) in self._features.items() if t is not None and t < before]:
            del self._features[doc_id]

    def add(self, doc: Doc) -> Decision:
        """Assign `doc` to the best earlier story in the window or start a new story, and index it."""
        self._tick(doc.published)
        mine = features(doc)
        keys = self._keys(mine.tokens.shingles)
        decision = self._decide(doc, mine, keys)
        self._features[doc.id] = (doc.published, mine)
        self.index.add(Entry(doc=doc, cluster=decision.cluster, keys=keys), mine.text_hash)
        return decision

    def _decide(self, doc: Doc, mine: Features, keys: tuple[int, ...]) -> Decision:
        """Pick the story for a document (no side effects on the index)."""
        same = self.index.by_hash(mine.text_hash) if len(mine.tokens.words) >= MIN_WORDS else None
        if same is not None:
            return Decision(doc.id, same.cluster, same.doc.id, 1.0, "exact")
        since = doc.published - self.window if doc.published is not None else None
        found = [e for e in self.index.candidates(keys, since) if e.doc.id != doc.id]
        if not found:
            return Decision(doc.id, story_id(doc.id), None, 0.0, "original")
        mykeys = set(keys)
        order = {id(e): i for i, e in enumerate(found)}
        ranked = sorted(found, key=lambda e: (-len(mykeys.intersection(e.keys)), order[id(e)]))
        chosen = ranked[: self.max_candidates]
        # The earliest retrieved member of each story is its anchor (found is in insertion order).
        anchors: dict[str, Entry] = {}
        for entry in found:
            anchors.setdefault(entry.cluster, entry)
        matches: dict[int, Match] = {}
        best: tuple[float, float, int, Entry, Match] | None = None
        for entry in chosen:
            other = self._features_of(entry)
            match = compare(mine, other, conflict_penalty=self.conflict_penalty)
            matches[id(entry)] = match
            if other.text_hash == mine.text_hash:
                return Decision(doc.id, entry.cluster, entry.doc.id, 1.0, "exact")
            effective = match.score
            if (
                match.conflicts == 0
                and effective < self.threshold
                and _title_similarity(doc.title, entry.doc.title) >= self.title_threshold
            ):
                effective = min(1.0, effective + self.title_bonus)
            if effective < self.threshold:
                continue
            if not self._anchored(mine, entry, anchors[entry.cluster], matches):
                continue
            # Prefer the agency's own copy among near-equal matches, then the earliest.
            bonus = 0.02 if other.agency is not None and other.agency in (mine.agency, None) else 0.0
            rank = (effective + bonus, effective, -order[id(entry)])
            if best is None or rank > (best[0], best[1], best[2]):
                best = (rank[0], rank[1], rank[2], entry, match)
        if best is None:
            return Decision(doc.id, story_id(doc.id), None, 0.0, "original")
        entry, match = best[3], best[4]
        relation = "updated" if match.updated else "near_duplicate"
        return Decision(doc.id, entry.cluster, entry.doc.id, round(match.score, 4), relation)

    def _anchored(self, mine: Features, entry: Entry, anchor: Entry, matches: dict[int, Match]) -> bool:
        """Check the document also resembles its would-be story's anchor (guards against chaining)."""
        if anchor is entry:
            return True
        match = matches.get(id(anchor))
        if match is None:
            match = compare(mine, self._features_of(anchor), conflict_penalty=self.conflict_penalty)
            matches[id(anchor)] = match
        return match.conflicts == 0 and match.containment >= self.anchor_threshold


def cluster_docs(docs: Iterable[Doc], **params: Any) -> list[Decision]:
    """Cluster documents in order with a fresh in-memory index; `params` go to Clusterer."""
    clusterer = Clusterer(InMemoryIndex(), **params)
    return [clusterer.add(doc) for doc in docs]
