"""A source's quality figures from its telemetry rows, and the judgement that it broke (pure: rows in, figures out).

A source is judged against its own history, never against other sources: its newest pages (whole time
buckets, newest first, until `recent_pages`) against the pages before them (at least `baseline_pages`).
A sharp change is what a site redesign, a feed that re-issues GUIDs or an outlet turning into listing
pages looks like: the median body length halves, or a share (not articles, failures, empty or very short
bodies, GUID churn, undated items) rises by 30 points and at least doubles.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from store.models import REMOVAL_REASONS, SOURCE_COUNTERS

LENGTH_EDGES = (1, 250, 500, 1000, 2000, 4000, 8000, 16000)
LENGTHS = tuple(f"len_{n}" for n in range(len(LENGTH_EDGES) + 1))
JUMP = 0.3
MIN_MEDIAN = 200  # a median body length under this many characters is not watched for halving


def total(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """The counters of several rows added up."""
    sums = dict.fromkeys(SOURCE_COUNTERS, 0)
    for row in rows:
        for name in SOURCE_COUNTERS:
            sums[name] += int(row.get(name) or 0)
    return sums


def median_chars(counts: Mapping[str, int]) -> int | None:
    """The median extracted text length, read from the length buckets (geometric within a bucket)."""
    sizes = [counts.get(name, 0) for name in LENGTHS]
    measured = sum(sizes)
    if not measured:
        return None
    half, seen = measured / 2, 0
    for index, size in enumerate(sizes):
        if size and seen + size >= half:
            if index == 0:
                return 0
            low = LENGTH_EDGES[index - 1]
            high = LENGTH_EDGES[index] if index < len(LENGTH_EDGES) else 2 * LENGTH_EDGES[-1]
            return round(low * math.pow(high / low, (half - seen) / size))
        seen += size
    return None  # not reached


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True, slots=True)
class Figures:
    """A source's figures over some buckets (shares are of the pages attempted, or of those measured)."""

    pages: int
    stored: int
    not_article: float
    failed: float
    short: float  # empty or under 500 characters, of the pages whose text was measured
    empty: float
    median_chars: int | None
    exact: float  # of the stored articles
    near_duplicate: float
    guid_churn: float
    undated: float  # of the pages measured
    removed_per_page: dict[str, float] = field(default_factory=dict)
    removed_by_reason: dict[str, float] = field(default_factory=dict)  # per page, reasons seen only
    not_article_by_reason: dict[str, int] = field(default_factory=dict)
    failed_by_kind: dict[str, int] = field(default_factory=dict)
    fetch_ms: float | None = None  # mean page fetch time

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (shares rounded to 3 places)."""
        return {
            "pages": self.pages, "stored": self.stored, "not_article_share": round(self.not_article, 3),
            "not_article_by_reason": self.not_article_by_reason, "failed_share": round(self.failed, 3),
            "failed_by_kind": self.failed_by_kind, "empty_share": round(self.empty, 3),
            "short_share": round(self.short, 3), "median_chars": self.median_chars,
            "exact_share": round(self.exact, 3), "near_duplicate_share": round(self.near_duplicate, 3),
            "guid_churn_share": round(self.guid_churn, 3), "undated_share": round(self.undated, 3),
            "removed_per_page": {k: round(v, 2) for k, v in self.removed_per_page.items()},
            "removed_by_reason": {k: round(v, 2) for k, v in self.removed_by_reason.items()},
            "page_fetch_ms": None if self.fetch_ms is None else round(self.fetch_ms, 1),
        }


def figures(counts: Mapping[str, int]) -> Figures:
    """The figures of summed counters."""
    pages, stored = counts["pages"], counts["stored"]
    measured = sum(counts[name] for name in LENGTHS)
    short = counts["len_0"] + counts["len_1"] + counts["len_2"]
    return Figures(
        pages=pages, stored=stored,
        not_article=_share(counts["not_article"], pages), failed=_share(counts["failed"], pages),
        short=_share(short, measured), empty=_share(counts["len_0"], measured),
        median_chars=median_chars(counts),
        exact=_share(counts["exact"], stored), near_duplicate=_share(counts["near_duplicate"], stored),
        guid_churn=_share(counts["guid_churn"], pages), undated=_share(counts["undated"], measured),
        removed_per_page={kind: _share(counts[f"removed_{kind}"], measured)
                          for kind in ("teaser", "caption", "boilerplate", "other")},
        removed_by_reason={why: _share(counts[f"rm_{why}"], measured) for why in REMOVAL_REASONS
                           if counts[f"rm_{why}"]},
        not_article_by_reason={name[3:]: counts[name] for name in SOURCE_COUNTERS
                               if name.startswith("na_") and counts[name]},
        failed_by_kind={name[2:]: counts[name] for name in SOURCE_COUNTERS if name.startswith("f_") and counts[name]},
        fetch_ms=counts["fetch_ms"] / counts["fetches"] if counts["fetches"] else None,
    )


def split(
    rows: Sequence[Mapping[str, Any]], recent_pages: int, baseline_pages: int
) -> tuple[dict[str, int], dict[str, int]] | None:
    """One source's rows (oldest first) as (recent, baseline) sums, or None when either has too few pages."""
    newest_first = sorted(rows, key=lambda row: row["bucket"], reverse=True)
    recent: list[Mapping[str, Any]] = []
    pages = 0
    for row in newest_first:
        if pages >= recent_pages:
            break
        recent.append(row)
        pages += int(row["pages"])
    older = newest_first[len(recent):]
    if pages < recent_pages or sum(int(row["pages"]) for row in older) < baseline_pages:
        return None
    return total(recent), total(older)


def _jumped(now: float, before: float) -> bool:
    return now - before >= JUMP and now >= 2 * before


def judge(recent: Figures, baseline: Figures) -> tuple[str, ...]:
    """Why a source looks broken now against its own history (empty when it does not)."""
    reasons = []
    if (baseline.median_chars or 0) >= MIN_MEDIAN and recent.median_chars is not None \
            and recent.median_chars <= (baseline.median_chars or 0) / 2:
        reasons.append("body_length_halved")
    for name in ("not_article", "failed", "short", "guid_churn", "undated"):
        if _jumped(getattr(recent, name), getattr(baseline, name)):
            reasons.append(f"{name}_jump")
    return tuple(reasons)
