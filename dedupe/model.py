"""Value types that flow through dedupe: an incoming document and the clustering decision about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

RELATIONS = ("original", "exact", "near_duplicate", "updated")


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
class Decision:
    """Where a document went: its story, the earlier copy it matched and how it relates to it."""

    id: str
    cluster: str  # story id
    duplicate_of: str | None  # id of the best matching earlier doc; None when it starts a story
    score: float  # similarity to duplicate_of in [0,1]; 0.0 when it starts a story
    relation: str  # "original" | "exact" | "near_duplicate" | "updated"
