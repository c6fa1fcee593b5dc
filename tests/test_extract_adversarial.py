"""Adversarial pages for ingest.extract.page: hostile JSON-LD, strange trees, and trafilatura on our own tree."""

from __future__ import annotations

import json

import pytest

from ingest.extract.page import extract_page

URL = "https://news.example/world/story-1"
PARAGRAPH = (
    "<p>The committee met on {day} to discuss the new budget proposal for the coming year, and after three "
    "hours of debate the members agreed to send it back to the finance office for another round of review.</p>"
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
ARTICLE = "<article>" + "".join(PARAGRAPH.format(day=day) for day in DAYS) + "</article>"


def _page(json_ld: str) -> str:
    """An article page with one JSON-LD script holding exactly this text."""
    return (
        "<html><head><title>Budget</title>"
        f'<script type="application/ld+json">{json_ld}</script></head><body>{ARTICLE}</body></html>'
    )


class TestHostileJsonLd:
    """JSON-LD is the publisher's text: any of it leaves the page's extraction standing."""

    @pytest.mark.parametrize(
        "json_ld",
        [
            "[" * 5000 + "]" * 5000,
            '{"@graph":' * 3000 + "{}" + "}" * 3000,
            '{"mainEntity":[' * 600 + "{}" + "]}" * 600,
        ],
        ids=["lists", "graphs", "main-entities"],
    )
    def test_deeply_nested_json_ld_is_ignored(self, json_ld: str) -> None:
        """JSON-LD nested deeper than Python's recursion limit is skipped, not a crash of the page."""
        extracted = extract_page(_page(json_ld), url=URL)
        assert extracted.is_article
        assert "finance office" in extracted.text

    def test_nesting_within_the_json_limit_is_walked(self) -> None:
        """An object nested as deep as json.loads accepts is still read (the walk does not recurse)."""
        depth = 900
        json_ld = '{"mainEntity":' * depth + '{"headline": "Deep headline"}' + "}" * depth
        assert extract_page(_page(json_ld), url=URL).title == "Deep headline"

    def test_lone_surrogates_do_not_reach_the_result(self) -> None:
        """A JSON-LD escape of half a surrogate pair ("\\ud800") becomes U+FFFD: the result encodes as UTF-8."""
        json_ld = json.dumps(
            {
                "@type": "LiveBlogPosting", "headline": "Budget \ud800 vote", "description": "Half \udfff a pair",
                "author": {"name": "Ann \udc00 Lee"},
                "liveBlogUpdate": [{"headline": "Late \ud83d news", "articleBody": "A post loaded by script: the "
                                    "committee chair resigned \udc00 after the vote on Tuesday evening."}],
            }
        )
        extracted = extract_page(_page(json_ld), url=URL)
        for value in (extracted.title, extracted.text, extracted.author, extracted.description):
            assert value is not None
            value.encode("utf-8")  # raises on a lone surrogate (as SQLite and PostgreSQL drivers do)
        assert extracted.title == "Budget \ufffd vote"
        assert "committee chair resigned \ufffd after" in extracted.text

    def test_surrogate_pairs_are_kept(self) -> None:
        """An escaped surrogate pair is one character (json.loads joins it), kept as it is."""
        json_ld = json.dumps({"@type": "NewsArticle", "headline": "Budget \U0001f600 vote"})
        assert extract_page(_page(json_ld), url=URL).title == "Budget \U0001f600 vote"
