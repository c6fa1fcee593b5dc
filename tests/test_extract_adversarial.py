"""Adversarial pages for ingest.extract.page: hostile JSON-LD, strange trees, and trafilatura on our own tree."""

from __future__ import annotations

import asyncio
import json
import os
import time
import unicodedata

import pytest
import trafilatura
import trafilatura.settings
from hypothesis import given, settings
from hypothesis import strategies as st
from trafilatura.utils import load_html

import ingest.extract.page as page_module
from config.settings import ExtractSettings
from ingest.errors import ExtractError, ExtractTimeout
from ingest.extract.clean import PageContext, clean_blocks
from ingest.extract.merge import MIN_COVERED, SHINGLE, _shingles, _tokens, merge_paragraphs
from ingest.extract.page import TRAFILATURA_OPTIONS, extract_page
from ingest.extract.pool import ExtractPool, worker_result
from ingest.extract.teaser import MARKER_WINDOW, TEASER_MARKER, strip_marker

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


def _marker_by_regex(text: str) -> tuple[str, bool]:
    """strip_marker's answer without its prefilter: the end-anchored regex on the tail."""
    match = TEASER_MARKER.search(text, max(0, len(text) - MARKER_WINDOW))
    if match is None or match.start() == 0:
        return text, False
    return text[: match.start()].rstrip(), True


class TestTeaserMarkers:
    """strip_marker's prefilter never hides a marker its regex finds."""

    @pytest.mark.parametrize(
        "text", ["Haberin ayrıntıları için tıklayın. Devamını oku", "Haber metni burada. DEVAMINI OKU",
                 "Belediye meclisi bütçeyi kabul etti. devamını oku »"],
    )
    def test_turkish_read_on_is_a_marker(self, text: str) -> None:
        """"Devamını oku" (dotless ı, which the prefilter folds to i) ends a teaser, in any case."""
        assert strip_marker(text)[1]
        assert strip_marker(text) == _marker_by_regex(text)

    @settings(max_examples=300)
    @given(
        st.text(st.sampled_from("aıiIİſsSoOkKuUdDeEvVmMnNrRlL .…»"), max_size=40),
        st.sampled_from(["devamını oku", "read more", "weiterlesen", "leer más", "czytaj więcej", "続きを読む"]),
        st.lists(st.sampled_from(["upper", "lower", "title", "swap-i", "swap-s"]), max_size=2),
    )
    def test_prefilter_agrees_with_the_regex(self, head: str, marker: str, changes: list[str]) -> None:
        """Any case and i/s look-alikes of a read-on text after any text: the prefilter answers as the regex."""
        for change in changes:
            marker = {
                "upper": marker.upper(), "lower": marker.lower(), "title": marker.title(),
                "swap-i": marker.replace("i", "ı").replace("ı", "İ", 1), "swap-s": marker.replace("s", "ſ"),
            }[change]
        text = f"{head}. {marker}"
        assert strip_marker(text) == _marker_by_regex(text)


def _merge_by_scan(chosen: list[str], other: list[str], unanchored: str) -> list[str]:
    """merge_paragraphs as first written: a short paragraph looked for in each chosen paragraph's words."""
    where: dict[tuple[str, ...], int] = {}
    joined = []
    for index, paragraph in enumerate(chosen):
        tokens = _tokens(paragraph)
        joined.append(" " + " ".join(tokens) + " ")
        for shingle in _shingles(tokens):
            where.setdefault(shingle, index)
    added: dict[int, list[str]] = {}
    anchor = -1
    for paragraph in other:
        tokens = _tokens(paragraph)
        if not tokens:
            continue
        if len(tokens) <= SHINGLE:
            needle = " " + " ".join(tokens) + " "
            found = next((i for i, text in enumerate(joined) if needle in text), None)
        else:
            hits = [where[s] for s in _shingles(tokens) if s in where]
            found = hits[0] if len(hits) >= MIN_COVERED * (len(tokens) - SHINGLE + 1) else None
        if found is None:
            added.setdefault(anchor, []).append(paragraph)
        else:
            anchor = max(anchor, found)
    merged = list(added.get(-1, ())) if unanchored == "start" else []
    for index, paragraph in enumerate(chosen):
        merged.append(paragraph)
        merged.extend(added.get(index, ()))
    return merged if unanchored == "start" else merged + added.get(-1, [])


# Few words, so that short paragraphs often occur inside chosen ones.
_PARAGRAPHS = st.lists(st.sampled_from(["vote", "Vote", "the", "city", "budget", "é", "E\u0301", "12", "45", "-"]),
                       max_size=7).map(" ".join)


class TestMergeLookups:
    """merge_paragraphs finds short paragraphs by a word-run index, with the answers of a scan."""

    @settings(max_examples=400)
    @given(st.lists(_PARAGRAPHS, max_size=8), st.lists(_PARAGRAPHS, max_size=8), st.sampled_from(["start", "end"]))
    def test_same_as_scanning_each_paragraph(self, chosen: list[str], other: list[str], unanchored: str) -> None:
        """Which paragraphs come back, and where, is what looking in every chosen paragraph gives."""
        assert merge_paragraphs(chosen, other, unanchored=unanchored) == _merge_by_scan(chosen, other, unanchored)


def _die() -> None:
    """A page whose extraction kills its worker (a segfault in a C extension, say)."""
    os._exit(3)


def _hang() -> None:
    """A page whose extraction never ends."""
    time.sleep(600)


class TestPoolIsolation:
    """The pool turns a page that hangs or kills its worker into that page's error; the next page is extracted."""

    def test_hang_and_crash_cost_one_page_each(self) -> None:
        """A hang past the limit is ExtractTimeout, a dead worker ExtractError; a hostile page after them extracts."""

        async def scenario(pool: ExtractPool) -> None:
            with pytest.raises(ExtractTimeout):
                await worker_result(pool._pool.schedule(_hang, timeout=pool.timeout), pool.timeout)
            with pytest.raises(ExtractError, match="worker died"):
                await worker_result(pool._pool.schedule(_die, timeout=pool.timeout), pool.timeout)
            page = _page("[" * 5000 + "]" * 5000).encode()
            extracted = await pool.extract(page, url=URL)
            assert extracted.is_article
            assert "finance office" in extracted.text

        with ExtractPool(ExtractSettings(workers=1, timeout=2.0)) as pool:
            asyncio.run(scenario(pool))


class TestLivePostForms:
    """A live blog's JSON-LD posts join the text in the form trafilatura's paragraphs have (NFC)."""

    BODY = (
        "Le député a été élu à Créteil, où l'économie régionale s'est améliorée après l'été dernier, "
        "déclare-t-il à la télévision régionale."
    )

    def _page(self, *, shown: bool) -> str:
        """A live blog whose JSON-LD post is written decomposed (NFD), shown in the HTML (NFC) or not."""
        update = {"headline": "Élection à Créteil", "articleBody": unicodedata.normalize("NFD", self.BODY)}
        json_ld = json.dumps({"@type": "LiveBlogPosting", "liveBlogUpdate": [update]})
        post = f"<h3>Élection à Créteil</h3><p>{self.BODY}</p>" if shown else ""
        return (
            f'<html><head><script type="application/ld+json">{json_ld}</script></head>'
            f"<body>{ARTICLE.replace('</article>', post + '</article>')}</body></html>"
        )

    @pytest.mark.parametrize("shown", [True, False])
    def test_decomposed_post_comes_out_composed_once(self, shown: bool) -> None:
        """The post is in the text once, composed: the text stays NFC, the HTML's copy is recognised."""
        text = extract_page(self._page(shown=shown), url=URL).text
        assert unicodedata.is_normalized("NFC", text)
        assert text.count(self.BODY) == 1


class TestCardRuns:
    """After a link to another story, a run of cut-off blurbs is a list of cards and goes with it."""

    def test_every_cut_off_blurb_of_the_run_goes(self) -> None:
        """A press-release list ("... weiter...") under a link goes whole (seen on a real press portal page)."""
        body = [
            "Der Stadtrat hat am Dienstagabend nach drei Stunden Debatte den Haushalt für das kommende Jahr "
            "beschlossen. Die Opposition kritisierte die Erhöhung der Grundsteuer, die Mehrheit hält sie für nötig."
        ]
        link = "weitere Pressemitteilungen laden und lesen"
        cards = [
            f"29.11.2022 | {city} (pressedienst) - Das Unternehmen hat eine Partnerschaft mit einem "
            "Messstellenbetreiber abgeschlossen, um das Geschäft weiterzuentwickeln... weiter..."
            for city in ("Köln", "Bremen", "Dresden")
        ]
        kept, removed = clean_blocks([*body, link, *cards], PageContext(links=frozenset({link})))
        assert kept == body
        assert [r.why for r in removed] == ["related_link"] * 4


_WORDS = st.sampled_from(
    ["the", "committee", "met", "on", "Tuesday", "budget", "東京", "會議", "مرحبا", "שלום", "ไทย", "&amp;", "<", "…",
     "\u200f", "\x00", "Read more...", "Lire aussi :", "»", "e\u0301"]
)
_TEXT = st.lists(_WORDS, max_size=30).map(" ".join)
_TAGS = ("p", "div", "h1", "h2", "h3", "aside", "nav", "article", "section", "span", "footer", "blockquote", "pre",
         "title", "li", "td", "figcaption")


@st.composite
def _node(draw: st.DrawFn, depth: int = 0) -> str:
    """One element (or a comment, a processing instruction, a link, a player) with arbitrary text and children."""
    kind = draw(st.sampled_from([*_TAGS, "comment", "pi", "a", "iframe", "meta", "br"]))
    text = draw(_TEXT)
    children = "".join(draw(st.lists(_node(depth + 1), max_size=3))) if depth < 3 else ""
    href = draw(st.sampled_from(["/x/1", "#top", "https://other.example/y", "//cdn.example/z", "javascript:0", ""]))
    return {
        "comment": f"<!-- {text} -->", "pi": f"<?xml-stylesheet {text}?>", "br": "<br>",
        "a": f'<a href="{href}">{text}{children}</a>',
        "iframe": f'<iframe src="https://www.youtube.com/embed/{text}"></iframe>',
        "meta": f'<meta property="og:type" content="{text}">',
    }.get(kind, f"<{kind}>{text}{children}</{kind}>")


@st.composite
def _strange_pages(draw: st.DrawFn) -> str:
    """A page with or without <html>/<body>, a prologue, and nested elements of arbitrary text."""
    prologue = draw(st.sampled_from(["", "<!DOCTYPE html>", "<!-- top -->", "<?php x ?>", '<?xml version="1.0"?>']))
    body = "".join(draw(st.lists(_node(), min_size=1, max_size=6)))
    shapes = ["<html><head><title>T</title></head><body>{}</body></html>", "<html>{}</html>", "{}"]
    shape = draw(st.sampled_from(shapes))
    return prologue + shape.format(body)


class TestStrangePages:
    """Any page: extract_page answers, the same way twice and for bytes or text; trafilatura's text is its own."""

    @settings(max_examples=60)
    @given(_strange_pages())
    def test_text_is_bare_extractions(self, page: str) -> None:
        """trafilatura's cascade on the page's own tree gives bare_extraction's text (on a copy), or both nothing."""
        tree = load_html(page)
        if tree is None:
            return
        expected = trafilatura.bare_extraction(
            load_html(page), url=URL, with_metadata=False, output_format="python", fast=False, **TRAFILATURA_OPTIONS
        )
        found = page_module._extract(tree, page_module._options(URL, fast=False))
        assert expected is None or isinstance(expected, trafilatura.settings.Document)
        assert (found[1] if found else None) == (expected.text if expected else None)

    @settings(max_examples=40)
    @given(_strange_pages(), _strange_pages())
    def test_pure_and_deterministic(self, page: str, other: str) -> None:
        """Another page in between changes nothing; the page as UTF-8 bytes gives the same result."""
        first = extract_page(page, url=URL)
        extract_page(other, url=URL)
        assert extract_page(page, url=URL) == first
        assert extract_page(page.encode(), url=URL, headers={"Content-Type": "text/html; charset=utf-8"}) == first
