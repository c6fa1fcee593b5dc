"""Value types that flow through dedupe: an incoming document and the clustering decision about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

RELATIONS = ("original", "exact", "near_duplicate", "updated", "rerun")


@dataclass(frozen=True, slots=True)
class Doc:
    """One article as dedupe sees it: identity, headline, clean body text and optional metadata."""

    id: str
    title: str
    text: str
    url: str | None = None
    published: datetime | None = None  # any datetime; a naive one is taken as UTC

    def __post_init__(self) -> None:
        """Take a naive `published` as UTC, so every date compares with every other."""
        if self.published is not None and self.published.tzinfo is None:
            object.__setattr__(self, "published", self.published.replace(tzinfo=UTC))


@dataclass(frozen=True, slots=True)
class CopyDiff:
    """What a copy changed against the copy it joined (`dedupe.diff.copy_diff` computes it)."""

    headline_rewritten: bool  # the headlines differ beyond case, punctuation and spacing
    paragraphs_cut: int  # paragraphs of the earlier copy this copy lacks
    paragraphs_added: int  # paragraphs of this copy the earlier one lacks
    added_at: tuple[str, ...]  # where added paragraphs sit, each place once in text order: "top", "middle", "bottom"
    reused: float  # share of the earlier copy's words found in this copy, in [0, 1]
    own: float  # share of this copy's words not found in the earlier copy, in [0, 1]

    def as_dict(self) -> dict[str, object]:
        """The JSON form (`stories --json`, `export`, `dedupe`): these field names, shares rounded to 3 places."""
        return {
            "headline_rewritten": self.headline_rewritten,
            "paragraphs_cut": self.paragraphs_cut,
            "paragraphs_added": self.paragraphs_added,
            "added_at": list(self.added_at),
            "reused": round(self.reused, 3),
            "own": round(self.own, 3),
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """Where a document went: its story, the earlier copy it matched and how it relates to it."""

    id: str
    cluster: str  # story id
    duplicate_of: str | None  # id of the best matching earlier doc; None when it starts a story
    score: float  # similarity to duplicate_of in [0,1]; 0.0 when it starts a story
    relation: str  # "original" | "exact" | "near_duplicate" | "updated" | "rerun" (see RELATIONS)
    diff: CopyDiff | None = None  # what the copy changed against duplicate_of; None for an original
