"""Per-site boilerplate: paragraphs that recur in a large share of one site's articles."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dedupe.words import text_width
from ingest.extract.teaser import normalise

# No decision before this many articles of a site have been seen: a small sample proves nothing.
MIN_DOCS = 10
# A paragraph found in at least this share of a site's articles is the site's, not the article's.
MIN_SHARE = 0.5
# Blocks longer than this are never treated as boilerplate: a recurring long paragraph is a
# republished article, which dedupe handles, not a footer. Measured in Latin-script characters
# (dedupe.words.text_width: a Chinese or Japanese character weighs 3.3).
MAX_BLOCK_CHARS = 600


@dataclass(frozen=True, slots=True)
class SiteBoilerplate:
    """Counts of paragraph keys over the articles of one site, as stored by the pipeline."""

    doc_count: int
    block_counts: Mapping[str, int]

    def is_boilerplate(self, key: str) -> bool:
        """Tell whether a block key recurs in enough of this site's articles to be boilerplate."""
        if self.doc_count < MIN_DOCS:
            return False
        needed = max(MIN_DOCS // 2, math.ceil(MIN_SHARE * self.doc_count))
        return self.block_counts.get(key, 0) >= needed


def block_key(paragraph: str) -> str:
    """Return the stable key of one paragraph: a hex hash of its normalised text."""
    return hashlib.blake2b(normalise(paragraph).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def block_keys(text: str, known: Sequence[str | None] | None = None) -> list[str]:
    """Return the distinct keys of the paragraphs of a cleaned text, in order.

    `known`: keys already computed, one per `text.split("\n\n")` paragraph (None where not), used rather
    than hashing a paragraph again.
    """
    keys: dict[str, None] = {}
    for index, paragraph in enumerate(text.split("\n\n")):
        if paragraph.strip() and text_width(paragraph) <= MAX_BLOCK_CHARS:
            key = known[index] if known is not None else None
            keys.setdefault(key if key is not None else block_key(paragraph))
    return list(keys)
