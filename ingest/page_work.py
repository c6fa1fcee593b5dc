"""What an extraction worker computes beside the text, so the in-order writer only decides and writes.

Everything about one page that does not depend on the pages stored before it is computed here, in the
worker process that extracted it: the compressed raw page, the text's hash, its paragraph keys (the
site boilerplate model's lookup and counts), its agency credit and its dedupe features and LSH keys
(`Clusterer.prepare`). The writer (`PageStore`) applies the site's boilerplate model in order; when that
removes a paragraph the text changed, and it computes these again for the new text (`ReadyPage.redo`).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from dedupe.agency import agency_of
from dedupe.cluster import Clusterer, Prepared
from dedupe.index import InMemoryIndex
from dedupe.model import Doc
from ingest.extract.boilerplate import MAX_BLOCK_CHARS, block_key, block_keys
from ingest.extract.page import Extracted, boilerplate_keys, extract_page
from ingest.extract.pool import ExtractPool, worker_result
from store.archive import page_records

# Level 1: 4x faster than 6 for about 15 % more bytes on HTML.
RAW_LEVEL = 1


@dataclass(frozen=True, slots=True)
class DedupeShape:
    """The clusterer parameters that fix LSH keys: a worker's clusterer built with them gives the writer's keys."""

    num_perm: int = 64
    bands: int = 16
    lead_keys: int = 6
    seed: int = 1


@dataclass(slots=True)
class ReadyPage:
    """An extracted page and what the writer needs of it, computed in the worker (see the module docstring)."""

    extracted: Extracted
    # The raw page as the store keeps it, made here: zlib-compressed for the database, or (archive mode)
    # its WARC records; the writer makes whichever is None when it needs it.
    body_z: bytes | None
    records: bytes | None
    lookup_keys: tuple[str, ...]  # block_keys(text): the paragraphs whose site counts are looked up
    split_keys: tuple[str | None, ...]  # per "\n\n" block: its key when the site model may drop it
    count_keys: tuple[str, ...]  # boilerplate_keys(extracted): what the site counts are raised by
    content_hash: str | None  # text_hash(text) of an article
    agency: str | None
    prepared: Prepared | None  # Clusterer.prepare of the article as dedupe sees it (title as extracted)

    def redo(self, extracted: Extracted, title: str, shape: DedupeShape) -> ReadyPage:
        """The same for a new text (the site's boilerplate was removed from it), the raw page kept."""
        return describe(extracted, title, shape, body_z=self.body_z, records=self.records)


_clusterers: dict[DedupeShape, Clusterer] = {}


def _clusterer(shape: DedupeShape) -> Clusterer:
    """A clusterer used only for `prepare` (pure: its index stays empty), one per shape and process."""
    found = _clusterers.get(shape)
    if found is None:
        found = _clusterers[shape] = Clusterer(
            InMemoryIndex(), num_perm=shape.num_perm, bands=shape.bands, lead_keys=shape.lead_keys, seed=shape.seed)
    return found


def describe(
    extracted: Extracted, title: str, shape: DedupeShape, *, body_z: bytes | None, records: bytes | None
) -> ReadyPage:
    """What the writer needs of an extracted page whose text is final unless the site model changes it.

    `body_z`, `records`: the raw page as the store keeps it, see `ReadyPage`.
    """
    text = extracted.text
    if not extracted.is_article or not text:
        return ReadyPage(extracted, body_z, records, (), (), (), None, None, None)
    blocks = text.split("\n\n")
    split = tuple(block_key(b) if b and len(b) <= MAX_BLOCK_CHARS else None for b in blocks)
    # The dedupe document as the writer builds it; `published` plays no part in features or keys.
    prepared = _clusterer(shape).prepare(Doc(id="", title=title, text=text))
    lookup = tuple(block_keys(text, split))  # each paragraph hashed once: its key taken from `split`
    # boilerplate_keys adds the keys of paragraphs removed as site boilerplate: a fresh extraction has none.
    removed = any(item.why == "site_boilerplate" for item in extracted.removed)
    count = tuple(boilerplate_keys(extracted)) if removed else lookup
    return ReadyPage(extracted, body_z, records, lookup, split, count, prepared.features.text_hash, agency_of(text),
                     prepared)


@dataclass(frozen=True, slots=True)
class RecordOf:
    """What a page's WARC records need beside its URL, headers and bytes (archive mode)."""

    status: int
    fetched: datetime
    user_agent: str


def prepare_page(
    body: bytes, *, url: str | None, headers: Mapping[str, str], title: str | None, shape: DedupeShape,
    record: RecordOf | None = None,
) -> ReadyPage:
    """Extract a page and prepare it for the writer (runs in a worker process).

    The raw page is zlib-compressed for the database, or with `record` (archive mode) made into its WARC
    records here: gzip of a 360 KB real page is 9 ms of CPU, which the in-order writer must not pay.
    """
    extracted = extract_page(body, url=url, headers=headers)
    title = extracted.title or title or ""
    if record is None:
        return describe(extracted, title, shape, body_z=zlib.compress(body, RAW_LEVEL), records=None)
    records = page_records(url or "", record.status, headers, body, record.fetched, user_agent=record.user_agent)
    return describe(extracted, title, shape, body_z=None, records=records)


class PagePool(ExtractPool):
    """The extraction pool, whose workers also prepare each page for the writer (`prepare_page`)."""

    async def prepare(
        self, body: bytes, *, url: str | None, headers: Mapping[str, str] | None, title: str | None,
        shape: DedupeShape, record: RecordOf | None = None,
    ) -> ReadyPage:
        """Extract and prepare one page in a worker; raise ExtractTimeout or ExtractError as `extract` does."""
        future = self._pool.schedule(
            prepare_page, args=(body,),
            kwargs={"url": url, "headers": dict(headers or {}), "title": title, "shape": shape, "record": record},
            timeout=self.timeout,
        )
        return await worker_result(future, self.timeout)
