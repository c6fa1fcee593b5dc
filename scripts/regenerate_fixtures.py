"""Regenerate the expected JSON beside each recorded test page and feed in tests/fixtures/.

    python scripts/regenerate_fixtures.py [--check]

A page's `<name>.expected.json` keeps the keys it has (`url` and `headers` are inputs, the rest are
rewritten from `extract_page`), so a hand-trimmed expectation stays trimmed. A feed's `<name>.expected.json`
holds `parse_feed`'s output, or the error kind and message when the body is no usable feed; its `headers`
(the HTTP headers the feed is parsed with) are kept. Review the diff before committing: the files are the
tests' truth. `--check` writes nothing and exits 1 when a file would change.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.errors import FeedError
from ingest.extract.page import extract_page
from ingest.feeds.parse import parse_feed

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
PAGES = FIXTURES / "pages"
FEEDS = FIXTURES / "feeds"
FEED_URL = "http://example.org/feed.xml"
INPUT_KEYS = ("url", "headers")
PAGE_KEYS = ("title", "text", "is_article", "not_article_reason", "removed")


def _previous(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else {}


def _jsonable(value: Any) -> Any:
    """Dates as ISO strings, tuples as lists: what json.dumps cannot take by itself."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def page_expectation(page: Path) -> dict[str, Any]:
    """The expectation for one recorded page: its inputs, then what the extractor gives now."""
    previous = _previous(page.with_suffix(".expected.json"))
    url = previous.get("url", f"https://news.example/{page.stem}")
    extracted = extract_page(page.read_bytes(), url=url)
    current = {
        "title": extracted.title,
        "text": extracted.text,
        "is_article": extracted.is_article,
        "not_article_reason": extracted.not_article_reason,
        "removed": [item.why for item in extracted.removed],
    }
    kept = [key for key in PAGE_KEYS if key in previous] or [k for k in PAGE_KEYS if k != "not_article_reason"]
    if current["not_article_reason"] is not None and "not_article_reason" not in kept:
        kept.append("not_article_reason")
    result = {key: previous[key] for key in INPUT_KEYS if key in previous}
    result.update({key: current[key] for key in PAGE_KEYS if key in kept})
    return result


def feed_expectation(feed: Path) -> dict[str, Any]:
    """The expectation for one recorded feed: its inputs, then what the parser gives now."""
    previous = _previous(feed.with_suffix(".expected.json"))
    url = previous.get("url", FEED_URL)
    headers = previous.get("headers", {})
    result: dict[str, Any] = {"url": url, "headers": headers}
    try:
        parsed = parse_feed(url, feed.read_bytes(), headers)
    except FeedError as exc:
        result["error"] = {"kind": exc.kind, "message": str(exc)}
    else:
        result["feed"] = _jsonable(asdict(parsed))
    return result


def _render(expectation: dict[str, Any]) -> str:
    return json.dumps(expectation, ensure_ascii=False, indent=2) + "\n"


def expectations() -> dict[Path, Callable[[], dict[str, Any]]]:
    """Every expectation file and the function that computes it."""
    found: dict[Path, Callable[[], dict[str, Any]]] = {}
    for page in sorted(PAGES.glob("*.html")):
        found[page.with_suffix(".expected.json")] = lambda page=page: page_expectation(page)  # type: ignore[misc]
    for feed in sorted(FEEDS.glob("*.xml")):
        found[feed.with_suffix(".expected.json")] = lambda feed=feed: feed_expectation(feed)  # type: ignore[misc]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a file would change")
    args = parser.parse_args(argv)
    stale = []
    for path, compute in expectations().items():
        text = _render(compute())
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(text, encoding="utf-8")
        print(f"{'stale' if args.check else 'wrote'} {path.relative_to(FIXTURES.parents[1])}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
