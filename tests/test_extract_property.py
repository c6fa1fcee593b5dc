"""Property-based tests: page extraction and dedupe's text functions accept anything the world sends."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe.cluster import Clusterer
from dedupe.index import InMemoryIndex
from dedupe.model import Doc
from dedupe.text import normalise, text_hash, tokens
from dedupe.words import text_width, word_count
from ingest.errors import WirefeedError
from ingest.extract import clean, furniture, teaser
from ingest.extract.clean import PageContext, clean_blocks
from ingest.extract.page import Extracted, extract_page

# Every extract_page call costs milliseconds: a few dozen examples per property keep the file fast.
FEW = settings(max_examples=40)
# Any code point, lone surrogates included (json.loads turns "\ud800" into one).
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=200)
# Text a page can carry: any character an HTML parser accepts, with scripts and whitespace mixed in.
PAGE_TEXT = st.text(
    st.one_of(
        st.characters(exclude_categories=("Cs",)),
        st.sampled_from("気象庁は雨。新华社电ที่ประเทศไทยမြန်မာ서울 \n\t<>&\"'…"),
    ),
    max_size=300,
)
# URLs and anything else, brackets included.
URLS = st.one_of(PAGE_TEXT, st.from_regex(r"\Ahttps?://[a-z0-9.\[\]-]{1,20}(:[0-9]{1,6})?/\S{0,30}\Z"))
DATES = st.one_of(
    PAGE_TEXT,
    st.sampled_from(["0001-01-01", "9999-12-31T23:59:59Z", "2026-02-30", "1970-01-01T00:00:00+25:00", "-1"]),
    st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
)


def _extract(body: bytes | str, **kwargs: object) -> Extracted | None:
    """Run extract_page; a WirefeedError is an allowed answer (None), any other exception fails the test."""
    try:
        return extract_page(body, **kwargs)  # type: ignore[arg-type]
    except WirefeedError:
        return None


@st.composite
def pages(draw: st.DrawFn) -> str:
    """Draw an article page whose title, meta tags, JSON-LD and paragraphs hold arbitrary text."""
    title, og_title, description, author = (draw(PAGE_TEXT) for _ in range(4))
    published, modified = draw(DATES), draw(DATES)
    lang = draw(st.sampled_from(["ja", "zh-CN", "th", "en", "", "x" * 40, draw(PAGE_TEXT)]))
    paragraphs = draw(st.lists(PAGE_TEXT, max_size=8))
    raw = draw(st.booleans())  # unescaped text too: a broken page is still a page
    esc = (lambda text: text) if raw else html.escape
    ld = json.dumps({"@type": "NewsArticle", "headline": og_title, "datePublished": published,
                     "author": {"name": author}, "publisher": [author, {"name": title}]})
    body = "".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    return (
        f"<html lang=\"{html.escape(lang)}\"><head><title>{esc(title)}</title>"
        f"<meta property=\"og:title\" content=\"{html.escape(og_title)}\">"
        f"<meta name=\"description\" content=\"{html.escape(description)}\">"
        f"<meta property=\"article:published_time\" content=\"{html.escape(published)}\">"
        f"<meta property=\"article:modified_time\" content=\"{html.escape(modified)}\">"
        f"<meta name=\"author\" content=\"{html.escape(author)}\">"
        f"<link rel=\"canonical\" href=\"{html.escape(draw(URLS))}\">"
        f"<meta property=\"og:url\" content=\"{html.escape(draw(URLS))}\">"
        f"<script type=\"application/ld+json\">{ld}</script>"
        f"</head><body><h1>{esc(og_title)}</h1><article>{body}</article>"
        f"<figure><img alt=\"{html.escape(description)}\"><figcaption>{esc(title)}</figcaption></figure>"
        f"</body></html>"
    )


class TestExtractPageProperties:
    """ingest.extract.extract_page never raises anything but a WirefeedError."""

    @FEW
    @given(body=st.binary(max_size=3000))
    def test_arbitrary_bytes(self, body: bytes) -> None:
        """Arbitrary bytes give an Extracted (or a WirefeedError)."""
        result = _extract(body, url="https://news.example/a.html")
        assert result is None or isinstance(result.text, str)

    @FEW
    @given(page=pages(), charset=st.sampled_from(["utf-8", "utf-16", "shift_jis", "gb18030", "latin-1"]))
    def test_arbitrary_text_in_a_page(self, page: str, charset: str) -> None:
        """A page with arbitrary text in title, meta tags, JSON-LD and paragraphs, in any charset, extracts."""
        body = page.encode(charset, "replace")
        headers = {"content-type": f"text/html; charset={charset}"}
        result = _extract(body, url="https://news.example/a.html", headers=headers)
        if result is not None:
            assert result.is_article == (result.not_article_reason is None)

    @FEW
    @given(page=pages(), url=st.one_of(st.none(), URLS))
    def test_page_given_as_text_with_any_url(self, page: str, url: str | None) -> None:
        """A decoded page with any URL (or none) extracts."""
        _extract(page, url=url)

    def test_unbalanced_bracket_in_canonical_url(self) -> None:
        """A page whose canonical link has an unbalanced '[' in its host still extracts."""
        page = '<html><head><link rel="canonical" href="http://example.c[o.test/x"></head><body><p>x</p></body></html>'
        _extract(page, url="https://news.example/a.html")


class TestCleanBlocksProperties:
    """ingest.clean.clean_blocks keeps or removes every block, with any text."""

    @FEW
    @given(blocks=st.lists(PAGE_TEXT, max_size=10), titles=st.lists(PAGE_TEXT, max_size=3))
    def test_every_block_is_kept_or_removed(self, blocks: list[str], titles: list[str]) -> None:
        """Each block ends up either kept or removed with a reason, never both, never lost."""
        kept, removed = clean_blocks(blocks, PageContext(titles=tuple(titles), authors=tuple(titles)))
        assert len(kept) + len(removed) == len(blocks)


class TestWordsProperties:
    """dedupe.words measures any text."""

    @given(text=ANY_TEXT)
    def test_measures_any_text(self, text: str) -> None:
        """word_count and text_width accept any text; without unspaced letters they are split() and len()."""
        assert word_count(text) >= 0
        assert text_width(text) >= len(text)
        if text.isascii():
            assert word_count(text) == len(text.split())
            assert text_width(text) == len(text)


class TestDedupeTextProperties:
    """dedupe.text tokens, text_hash and normalise accept any unicode text."""

    @given(text=ANY_TEXT)
    def test_tokens_of_any_text(self, text: str) -> None:
        """Tokens of any text have one flag per word and one shingle per position (at least one)."""
        found = tokens(text)
        assert len(found.salient) == len(found.numeric) == found.n_words == len(found.words)
        assert len(found.shingles) == (max(1, found.n_words - 2) if found.n_words else 0)

    @given(text=ANY_TEXT)
    def test_text_hash_of_any_text(self, text: str) -> None:
        """Any text, lone surrogates included, has a 32-digit hex hash; its normal form is a string."""
        assert len(text_hash(text)) == 32
        assert isinstance(normalise(text), str)


class TestClustererProperties:
    """dedupe.cluster.Clusterer.add places any document."""

    @settings(max_examples=30)
    @given(
        docs=st.lists(
            st.tuples(ANY_TEXT, ANY_TEXT, st.one_of(st.none(), st.datetimes(timezones=st.just(UTC)))),
            max_size=6,
        )
    )
    def test_add_any_documents(self, docs: list[tuple[str, str, datetime | None]]) -> None:
        """Documents with any title, text and date each get a decision with a known relation."""
        clusterer = Clusterer(InMemoryIndex())
        for number, (title, text, published) in enumerate(docs):
            decision = clusterer.add(Doc(str(number), title, text, published=published))
            assert decision.relation in {"original", "exact", "near_duplicate", "updated"}


# Fragments of furniture phrases and the letters where case folding differs, mixed with any text.
FURNITURE_TEXT = st.lists(
    st.one_of(
        st.sampled_from([
            "All Rights Reserved", "ALL RİGHTS RESERVED", "affiliate links", "Affılıate Lınks", "Folgen Sie uns auf",
            "Telegram", "síguenos en", "Newsletter", "abonnieren", "we may receive compensation", "WE MAY EARN A",
            "commiſſion", "Creative", "cc-by", "Wesprzyj nas", "download the Example app", "ſubscribe now", " ",
        ]),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
    ),
    max_size=8,
).map("".join)

# Teaser markers, read-on texts in several cases and scripts, mixed with any text.
MARKER_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["...", "…", "[…]", "(...)", "Read more", "READ MORE", "weiterlesen", "Lire la ſuite",
                         "Mehr", "»", "→", "続きを読む", "더보기", "Czytaj WIĘCEJ", "read the full story", " ", ".",
                         "!"]),
        st.text(max_size=30),
    ),
    max_size=8,
).map("".join)


class TestPhraseSetProperties:
    """The literal prefilter of a phrase set never changes its answer: it only skips hopeless texts."""

    @given(FURNITURE_TEXT)
    @settings(max_examples=300)
    def test_prefilter_agrees_with_the_regex(self, text: str) -> None:
        """PhraseSet.search gives the regex's own answer on any text."""
        for phrases in (clean._NOTICE_PHRASES, clean._PITCH_PHRASES):
            phrase_set = furniture.PhraseSet(phrases, "(?:" + "|".join(phrases) + ")")
            assert phrase_set.search(text) == (phrase_set.regex.search(text) is not None)
        assert clean._FOLLOW.search(text) == (clean._FOLLOW.regex.search(text) is not None)
        assert clean._NEWSLETTER.search(text) == (clean._NEWSLETTER.regex.search(text) is not None)

    @given(MARKER_TEXT)
    @settings(max_examples=300)
    def test_marker_prefilter_agrees_with_the_regex(self, text: str) -> None:
        """strip_marker's prefilter (an ellipsis or a read-on text in the tail) gives the regex's own answer."""
        match = teaser.TEASER_MARKER.search(text, max(0, len(text) - teaser.MARKER_WINDOW))
        expected = (text[: match.start()].rstrip(), True) if match is not None and match.start() > 0 else (text, False)
        assert teaser.strip_marker(text) == expected

    @given(st.lists(st.text(st.characters(exclude_categories=("Cs",)), max_size=80), max_size=10))
    @FEW
    def test_cleaning_predicates_accept_any_block(self, blocks: list[str]) -> None:
        """Every rule answers a bool on any block, and clean_blocks keeps or removes each one."""
        for block in blocks:
            for rule in (clean.is_notice, clean.is_pointer, clean.is_meta_line, clean.is_topic_line,
                         clean.is_prompt, clean.is_date_line):
                assert isinstance(rule(block), bool)
        kept, removed = clean_blocks(blocks, PageContext())
        assert len(kept) + len(removed) == len(blocks)
