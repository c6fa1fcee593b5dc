"""feedparser's own test corpus: no crash, and the fast path gives feedparser's items or declines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.errors import FeedError
from ingest.feeds.parse import HTML_START, Item, _content_type, _defuse, _feedparser_parse, fast_parse, parse_feed

CORPUS = Path(__file__).parents[2] / "shared" / "data" / "feedparser-corpus"
URL = "http://example.org/tests/feed.xml"
COMMENT = re.compile(rb"<!--(.*?)-->", re.DOTALL)
HEADER = re.compile(r"^Header:\s*([\w-]+):\s*(.*?)\s*$", re.MULTILINE)


def corpus_files() -> list[Path]:
    """Every feed of the corpus (its LICENSE and SOURCE.txt excepted)."""
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.parent != CORPUS)


def pretended_headers(body: bytes) -> dict[str, str]:
    """The response headers a corpus file asks for in its leading comment (`Header: Name: value`)."""
    match = COMMENT.search(body[:8192])
    if match is None:
        return {}
    return {name.lower(): value for name, value in HEADER.findall(match.group(1).decode("utf-8", "replace"))}


def fields(item: Item) -> tuple[object, ...]:
    """What both paths must agree on for an item."""
    return item.link, item.guid, item.title, item.published, item.author


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/data/feedparser-corpus not present")
class TestFeedparserCorpus:
    """The whole corpus, each file parsed once per path."""

    def test_fast_path_agrees_or_declines(self) -> None:
        """No file crashes parse_feed; wherever the fast path parses a file it gives feedparser's items."""
        files = corpus_files()
        assert len(files) >= 2000
        taken = declined = 0
        differences: list[str] = []
        for path in files:
            body = path.read_bytes()
            headers = pretended_headers(body)
            name = str(path.relative_to(CORPUS))
            if not body.strip() or HTML_START.match(body[:4096]):
                with pytest.raises(FeedError):
                    parse_feed(URL, body, headers)
                continue
            content_type = _content_type(body, headers.get("content-type"))
            defused, entities = _defuse(body)
            fast = None if entities else fast_parse(URL, defused, content_type, headers)
            try:
                slow = _feedparser_parse(URL, defused, dict(headers), content_type, entities)
            except FeedError:
                assert fast is None, f"{name}: the fast path parsed what feedparser refuses"
                continue
            if fast is None:
                declined += 1
                continue
            taken += 1
            if [fields(i) for i in fast.items] != [fields(i) for i in slow.items]:
                differences.append(name)
        assert differences == []
        assert taken >= 800  # the fast path still reads the plain RSS 2.0 and Atom 1.0 of the corpus
        assert declined > 0

    def test_bracket_in_a_permalink_guid(self) -> None:
        """The corpus file whose GUID is not a URL (`[` in the host) parses; the item keeps its id."""
        body = (CORPUS / "wellformed" / "rss" / "item_guid_isPermaLink_ValueError.xml").read_bytes()
        feed = parse_feed(URL, body)
        assert len(feed.items) == 1
