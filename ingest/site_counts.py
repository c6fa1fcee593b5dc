"""The site boilerplate model's counts, kept in memory by the in-order writer and written with each group.

The model of a site is how many of its articles contain each paragraph (`site_stats`, `site_blocks`).
Reading it from the store for every page cost two queries a page; here the counts a process has read
or made stay in memory, and the counts a group of pages adds are written in that group's transaction
(two executemany upserts), so the store never holds an article without its counts or counts without
their article, whatever kills the process. What another process may have counted is read again: the
writer drops this cache when it replays another process's placements (every counted article is placed
in the same transaction), and when a transaction fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ingest.extract.boilerplate import SiteBoilerplate
from store import repo

# Beyond this many cached paragraph counts the cache starts again (the store has them all).
MAX_CACHED = 2_000_000


@dataclass(slots=True)
class _Site:
    """One site's counts as far as they are known: its articles, and its paragraph keys' counts."""

    articles: int
    blocks: dict[str, int] = field(default_factory=dict)
    complete: bool = False  # every key counted for the site is in `blocks` (the site was new to the store)


class SiteCounts:
    """Per-site paragraph counts: read once, raised in memory, written with the group that raised them."""

    def __init__(self) -> None:
        self._sites: dict[str, _Site] = {}
        self._cached = 0
        self._articles: dict[str, int] = {}  # counts added and not yet written
        self._blocks: dict[tuple[str, str], int] = {}

    def clear(self) -> None:
        """Forget everything (another process counted, or a transaction was rolled back)."""
        self._sites.clear()
        self._cached = 0
        self._articles.clear()
        self._blocks.clear()

    def load(self, session: Session, wanted: Sequence[tuple[str, Iterable[str]]]) -> None:
        """Make sure the counts of these (site, paragraph keys) are in memory (two queries at most per site)."""
        if self._cached > MAX_CACHED:
            self.clear()
        new = sorted({site for site, _ in wanted if site not in self._sites})
        if new:
            stored = repo.site_articles(session, new)
            for site in new:
                self._sites[site] = _Site(stored.get(site, 0), complete=site not in stored)
        missing: dict[str, set[str]] = {}
        for site, keys in wanted:
            known = self._sites[site]
            if not known.complete:
                missing.setdefault(site, set()).update(k for k in keys if k not in known.blocks)
        for site, keys in sorted(missing.items()):
            if keys:
                counts = repo.site_block_counts(session, site, sorted(keys))
                self._sites[site].blocks.update({k: counts.get(k, 0) for k in keys})
                self._cached += len(keys)

    def model(self, site: str, keys: Iterable[str]) -> SiteBoilerplate:
        """The site's model restricted to these keys (loaded first), as `repo.site_counts` reads it."""
        known = self._sites[site]
        return SiteBoilerplate(doc_count=known.articles,
                               block_counts={k: known.blocks[k] for k in keys if known.blocks.get(k)})

    def count(self, site: str, keys: Iterable[str]) -> None:
        """One more article of the site, with these paragraph keys (each counted once)."""
        known = self._sites.setdefault(site, _Site(0))
        known.articles += 1
        self._articles[site] = self._articles.get(site, 0) + 1
        for key in set(keys):
            self._blocks[(site, key)] = self._blocks.get((site, key), 0) + 1
            if key in known.blocks:
                known.blocks[key] += 1
            elif known.complete:
                known.blocks[key] = 1
                self._cached += 1
            # Otherwise the key's stored count is unknown here: it is read (with this one) when needed.

    def flush(self, session: Session) -> None:
        """Write the counts added since the last flush, inside the caller's transaction."""
        repo.add_site_counts(session, self._articles, self._blocks)
        self._articles.clear()
        self._blocks.clear()
