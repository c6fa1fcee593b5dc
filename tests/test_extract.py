"""Tests for ingest.extract.page: pages in, clean article text and metadata out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar

import pytest
import trafilatura
import trafilatura.settings
from trafilatura.utils import load_html

import ingest.extract.page as page_module
from ingest.extract.page import (
    FULL_CASCADE_BELOW_CHARS,
    TRAFILATURA_OPTIONS,
    Extracted,
    SiteBoilerplate,
    block_keys,
    boilerplate_keys,
    decode_html,
    extract_page,
    parse_datetime,
)

PAGES = Path(__file__).parent / "fixtures" / "pages"
BODY = (
    "Le conseil municipal a voté mardi soir le budget de l'année prochaine, après trois heures de débats "
    "animés. L'opposition a dénoncé une hausse des impôts locaux, que la majorité juge indispensable pour "
    "financer la rénovation des écoles et l'entretien des routes communales."
)
FIXTURES = sorted(path.name.removesuffix(".expected.json") for path in PAGES.glob("*.expected.json"))


def _extract(name: str) -> Extracted:
    """Extract one fixture page with its URL from the expectation file."""
    expected = json.loads((PAGES / f"{name}.expected.json").read_text(encoding="utf-8"))
    url = expected.get("url", f"https://news.example/{name}")
    return extract_page((PAGES / f"{name}.html").read_bytes(), url=url)


class TestExtractPageFixtures:
    """Recorded pages come out exactly as their expectation files say."""

    @pytest.mark.parametrize("name", FIXTURES)
    def test_text_and_title_match_expected(self, name: str) -> None:
        """Title, cleaned body, removal reasons and article status equal the hand-written expectation."""
        expected = json.loads((PAGES / f"{name}.expected.json").read_text(encoding="utf-8"))
        extracted = _extract(name)
        assert extracted.title == expected["title"]
        if "text" in expected:
            assert extracted.text == expected["text"]
        assert extracted.is_article is expected["is_article"]
        assert extracted.not_article_reason == expected.get("not_article_reason")
        if "removed" in expected:
            assert [item.why for item in extracted.removed] == expected["removed"]

    def test_seed_teaser_removed_with_reason(self) -> None:
        """The glued, cut repeat of the first two paragraphs is recorded as a repeated teaser."""
        extracted = _extract("seed_teaser_flat")
        whys = {item.why for item in extracted.removed}
        assert {"repeated_teaser", "photo_caption", "navigation"} <= whys
        teaser = next(item for item in extracted.removed if item.why == "repeated_teaser")
        assert teaser.text.endswith("dans le...")


class TestExtractPageMetadata:
    """Metadata comes from the page head, dates are timezone-aware."""

    def test_seed_metadata(self) -> None:
        """Canonical URL is made absolute, dates keep their offset, language is the primary subtag."""
        extracted = _extract("seed_teaser_inside")
        assert extracted.canonical_url == "https://www.quotidien.example/monde/syrie-poutine-idleb-2020-01-31"
        assert extracted.published == datetime(2020, 1, 31, 18, 42, tzinfo=timezone(timedelta(hours=1)))
        assert extracted.modified == datetime(2020, 1, 31, 19, 5, tzinfo=timezone(timedelta(hours=1)))
        assert extracted.language == "fr"
        assert extracted.site_name == "Le Quotidien du Monde"
        assert extracted.author == "Rédaction avec AFP"
        assert extracted.extractor == "trafilatura"
        assert extracted.extractor_version.startswith("trafilatura 2.")
        assert json.loads(extracted.options)["trafilatura"]["deduplicate"] is False

    def test_naive_date_is_utc(self) -> None:
        """A published time without offset is taken as UTC."""
        html = (
            '<html><head><meta property="article:published_time" content="2024-03-01T10:00:00">'
            "<title>T</title></head><body><article><p>" + "Mot " * 80 + "</p></article></body></html>"
        )
        extracted = extract_page(html, url="https://news.example/a/1")
        assert extracted.published == datetime(2024, 3, 1, 10, tzinfo=UTC)

    def test_json_ld_dates_used(self) -> None:
        """JSON-LD datePublished is read when no meta tag gives the date."""
        ld = '{"@context":"https://schema.org","@type":"NewsArticle","datePublished":"2024-05-02T08:30:00Z"}'
        html = (
            f'<html><head><script type="application/ld+json">{ld}</script><title>T</title></head>'
            "<body><article><p>" + "Word " * 80 + "</p></article></body></html>"
        )
        extracted = extract_page(html, url="https://news.example/a/2")
        assert extracted.published == datetime(2024, 5, 2, 8, 30, tzinfo=UTC)

    def test_result_is_deterministic(self) -> None:
        """Two extractions of the same page give equal results (no process-global dedup cache)."""
        assert _extract("seed_teaser_inside") == _extract("seed_teaser_inside")


class TestCascade:
    """trafilatura's full cascade on every page; the fast-path variant only when a threshold is set."""

    def _fast_flags(self, monkeypatch: pytest.MonkeyPatch, html: str) -> list[bool]:
        calls: list[bool] = []
        original = trafilatura.core.trafilatura_sequence

        def spy(tree: Any, options: Any, url: str | None = None) -> Any:
            calls.append(options.fast)
            return original(tree, options, url)

        monkeypatch.setattr(trafilatura.core, "trafilatura_sequence", spy)
        extract_page(html, url="https://news.example/a")
        return calls

    def test_every_page_gets_the_full_cascade(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A long text runs trafilatura once, with its full cascade (the fast path lost text on real pages)."""
        body = "".join(f"<p>{BODY} ({i})</p>" for i in range(6))
        assert self._fast_flags(monkeypatch, f"<html><body><article>{body}</article></body></html>") == [False]

    def test_fast_path_variant_long_text(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With a threshold set, a text longer than it takes the fast path only."""
        monkeypatch.setattr(page_module, "FULL_CASCADE_BELOW_CHARS", 1000)
        body = "".join(f"<p>{BODY} ({i})</p>" for i in range(6))
        assert len(body) > 1000
        assert self._fast_flags(monkeypatch, f"<html><body><article>{body}</article></body></html>") == [True]

    def test_fast_path_variant_short_text(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With a threshold set, a text shorter than it is redone with the full cascade."""
        monkeypatch.setattr(page_module, "FULL_CASCADE_BELOW_CHARS", 1000)
        html = f"<html><body><article><p>{BODY}</p></article></body></html>"
        assert self._fast_flags(monkeypatch, html) == [True, False]

    @pytest.mark.parametrize("name", FIXTURES)
    def test_text_is_bare_extractions(self, name: str) -> None:
        """trafilatura run on the page's own tree gives bare_extraction's text (which works on a copy)."""
        html = decode_html((PAGES / f"{name}.html").read_bytes())
        expected = trafilatura.bare_extraction(
            load_html(html), url="https://news.example/a", with_metadata=False, output_format="python",
            fast=False, **TRAFILATURA_OPTIONS,
        )
        tree = load_html(html)
        found = page_module._extract(tree, page_module._options("https://news.example/a", fast=False))
        assert found is not None
        assert isinstance(expected, trafilatura.settings.Document)
        assert found[1] == expected.text

    @pytest.mark.parametrize("url", [None, "https://news.example/a", "https://news.example/\udcff"])
    @pytest.mark.parametrize("fast", [True, False])
    def test_options_are_a_fresh_extractors(self, url: str | None, fast: bool) -> None:
        """The per-page copy of the cached options equals an Extractor built for the page, and is its own object."""
        built = trafilatura.settings.Extractor(
            output_format="python", fast=fast, url=url, with_metadata=False,
            comments=TRAFILATURA_OPTIONS["include_comments"], tables=TRAFILATURA_OPTIONS["include_tables"],
            images=TRAFILATURA_OPTIONS["include_images"], dedup=TRAFILATURA_OPTIONS["deduplicate"],
            precision=TRAFILATURA_OPTIONS["favor_precision"], recall=TRAFILATURA_OPTIONS["favor_recall"],
        )
        first, second = page_module._options(url, fast=fast), page_module._options(url, fast=fast)
        first.focus = "recall"  # as trafilatura's escalation sets it (on a copy of its own)
        assert {slot: getattr(second, slot) for slot in built.__slots__} == {
            slot: getattr(built, slot) for slot in built.__slots__}

    def test_options_record_the_rule(self) -> None:
        """The recorded options say which rule produced the text (a change re-extracts)."""
        options = json.loads(_extract("seed_teaser_inside").options)
        assert options["full_cascade_below_chars"] == FULL_CASCADE_BELOW_CHARS
        assert options["trafilatura"]["include_tables"] is True


class TestLiveBlogPosts:
    """A live blog's posts declared in its JSON-LD come back when the HTML does not show them."""

    SUMMARY = (
        "Aston Villa came from behind to win at Kenilworth Road on Saturday, with a late goal from the substitute "
        "Lucas Digne sealing three points that keep them fourth in the Premier League table."
    )
    POSTS: ClassVar[list[tuple[str, str]]] = [
        ("Full time at Kenilworth Road", "Unai Emery punches the air at the end, three points pulled from the "
         "fire just when it looked like two were being dropped by his side after a poor second half."),
        ("Watkins on his form", "I feel like my game understanding has gotten a lot better, my movement, and I am "
         "conserving energy for the moments that matter in the box."),
    ]

    def _page(self, posts: list[tuple[str, str]], shown: bool = False) -> str:
        updates = [{"@type": "BlogPosting", "headline": h, "articleBody": b} for h, b in posts]
        ld = json.dumps({"@context": "https://schema.org", "@type": "LiveBlogPosting", "headline": "Luton 2 Villa 3",
                         "liveBlogUpdate": updates})
        html_posts = "".join(f"<div class='post'><h2>{h}</h2><p>{b}</p></div>" for h, b in posts) if shown else ""
        return (
            "<html lang='en'><head><title>Luton 2 Villa 3: live</title>"
            f"<script type='application/ld+json'>{ld}</script></head><body><article><h1>Luton 2 Villa 3</h1>"
            f"<p>{self.SUMMARY}</p><p>{self.SUMMARY.replace('Saturday', 'Sunday')}</p>{html_posts}"
            "<div id='live-posts' data-src='/posts.json'></div></article></body></html>"
        )

    def test_posts_only_in_json_ld_follow_the_text(self) -> None:
        """Posts loaded by script come after the summary, each headline before its body."""
        text = extract_page(self._page(self.POSTS), url="https://news.example/sport/live").text
        paragraphs = text.split("\n\n")
        assert paragraphs[0] == self.SUMMARY
        assert paragraphs[-4:] == [self.POSTS[0][0], self.POSTS[0][1], self.POSTS[1][0], self.POSTS[1][1]]

    def test_posts_shown_in_the_html_are_not_repeated(self) -> None:
        """Posts the HTML already shows are not added a second time."""
        text = extract_page(self._page(self.POSTS, shown=True), url="https://news.example/sport/live").text
        assert text.count(self.POSTS[0][1]) == 1
        assert text.count(self.POSTS[1][1]) == 1

    def test_a_post_line_is_added_once(self) -> None:
        """A body opening with its own headline, or two posts sharing a line, add that line once."""
        headline = "Power restored to most homes in the north of the county"
        posts = [(headline, f"{headline}\nCrews worked through the night to reconnect the last streets, the "
                            "utility company said in a statement on Sunday morning."),
                 ("Schools closed", "All schools in the district stay closed on Monday while engineers inspect "
                                    "the buildings.\nCrews worked through the night to reconnect the last streets, "
                                    "the utility company said in a statement on Sunday morning.")]
        text = extract_page(self._page(posts), url="https://news.example/sport/live").text
        paragraphs = text.split("\n\n")
        assert paragraphs.count(headline) == 1
        assert sum(p.startswith("Crews worked through the night") for p in paragraphs) == 1

    def test_posts_written_in_markup_are_left_out(self) -> None:
        """A post body holding HTML markup or entities is not text a reader sees: it is not added."""
        posts = [("Half-time", "<p>Watkins scores twice &amp; hits the post before the break at Luton.</p>")]
        text = extract_page(self._page(posts), url="https://news.example/sport/live").text
        assert "Watkins scores twice" not in text
        assert self.SUMMARY in text


class TestStandfirst:
    """The standfirst under the headline, the block the page's description declares, opens the text."""

    STANDFIRST = (
        "The council voted on Tuesday to close the bridge for two years, leaving commuters with a "
        "twenty-minute detour through the town centre"
    )
    PARAGRAPHS = (
        "The Old Mill bridge, which carries about 18,000 vehicles a day across the river, will shut in May for "
        "repairs that engineers say can no longer wait after inspectors found corroded steel in three supports.",
        "Councillors approved the closure by nine votes to four after a two-hour debate in which residents of the "
        "eastern estates asked for a temporary footbridge and a shuttle bus during the works.",
        "The council's transport lead said both requests would be studied, but warned that the budget for the "
        "repairs was already stretched by the rising cost of materials and labour.",
    )
    URL = "https://courier.example/news/old-mill-bridge"

    def _page(self, header: str, *, tagline: str = "", body_first: str = "", related: str = "") -> str:
        body = "".join(f"<p>{p}</p>" for p in ((body_first,) if body_first else ()) + self.PARAGRAPHS)
        return (
            "<html lang='en'><head><title>Old Mill bridge to close for two years | The Courier</title>"
            f"<meta name='description' content='{self.STANDFIRST}'><meta property='og:type' content='article'>"
            f"</head><body><header class='site'><a href='/'>The Courier</a>{tagline}"
            "<nav><a href='/news'>News</a></nav></header>"
            f"<div class='article-header'><h1>Old Mill bridge to close for two years</h1>{header}"
            "<p class='byline'>By Jane Hart</p></div>"
            f"<article><div class='article-body'>{body}</div></article>{related}"
            "<footer><p>© The Courier 2024</p></footer></body></html>"
        )

    def test_standfirst_outside_the_body_opens_the_text(self) -> None:
        """A dek under the <h1>, outside the body's container, equal to the description, is the first paragraph."""
        text = extract_page(self._page(f"<p class='standfirst'>{self.STANDFIRST}</p>"), url=self.URL).text
        assert text.split("\n\n")[:2] == [self.STANDFIRST, self.PARAGRAPHS[0]]

    @pytest.mark.parametrize("header", ["<h2 class='dek'><span>Transport</span> {}</h2>",
                                        "<div class='standfirst'><p>Transport<br />{}</p></div>"])
    def test_standfirst_with_a_label_is_taken_whole(self, header: str) -> None:
        """A standfirst block holding a short label besides the description is taken as the page shows it."""
        text = extract_page(self._page(header.format(self.STANDFIRST)), url=self.URL).text
        assert text.split("\n\n")[0] == f"Transport {self.STANDFIRST}"

    def test_standfirst_already_in_the_body_is_not_repeated(self) -> None:
        """A site that repeats the standfirst as the body's first paragraph keeps one copy."""
        page = self._page(f"<p class='standfirst'>{self.STANDFIRST}</p>", body_first=self.STANDFIRST)
        assert extract_page(page, url=self.URL).text.count(self.STANDFIRST) == 1

    def test_site_tagline_before_any_heading_is_not_a_standfirst(self) -> None:
        """A description shown in the site header, above every heading, is the site's tagline, not the article's."""
        text = extract_page(self._page("", tagline=f"<p class='site-description'>{self.STANDFIRST}</p>"),
                            url=self.URL).text
        assert self.STANDFIRST not in text
        assert text.startswith(self.PARAGRAPHS[0])

    def test_description_in_a_story_card_link_is_not_a_standfirst(self) -> None:
        """The description shown only as a link's text (a partner's card pointing to the story) is not added."""
        card = f"<a href='https://partner.example/courier/old-mill-bridge'>{self.STANDFIRST}</a>"
        related = f"<div class='syndication'><h3>Also on Partner News</h3>{card}</div>"
        text = extract_page(self._page("", related=related), url=self.URL).text
        assert self.STANDFIRST not in text


class TestSummaryBox:
    """A summary box's points ("Key Points", "Das Wichtigste in Kürze") open the text."""

    POINTS = (
        "Mortgage applications fell 5% last week as rates stayed above 7% for the third week running.",
        "Applications to refinance a home loan were 7% lower than the previous week.",
        "Buyers are waiting for the Federal Reserve to signal when it will start cutting rates.",
    )
    BODY = (
        "Higher mortgage rates continue to hit demand from both current homeowners and potential buyers, "
        "according to the weekly survey of lenders published on Wednesday morning by the industry association.",
        "The average contract interest rate for 30-year fixed-rate mortgages with conforming loan balances "
        "decreased to 7.04% from 7.06%, with points falling to 0.65 from 0.67 for loans with a 20% down payment.",
        "Economists expect demand to stay weak until rates fall below 6.5%, a level last seen in the spring, "
        "while house prices keep rising in most large cities because so few homes are for sale.",
    )
    URL = "https://money.example/2024/03/06/mortgage-demand.html"

    def _page(self, label: str, points: tuple[str, ...], *, linked: bool = False) -> str:
        items = "".join(f"<li><a href='https://partner{i}.example/story'>{p}</a></li>" if linked else f"<li>{p}</li>"
                        for i, p in enumerate(points))
        body = "".join(f"<p>{p}</p>" for p in self.BODY)
        return (
            "<html lang='en'><head><title>Mortgage demand drops</title><meta property='og:type' content='article'>"
            "</head><body><header><a href='/'>Money Example</a></header><h1>Mortgage demand drops</h1>"
            f"<div class='key-points'><div class='key-points-header'>{label}</div><div class='list'><ul>{items}"
            f"</ul></div></div><div class='article-body'>{body}</div></body></html>"
        )

    def test_key_points_open_the_text(self) -> None:
        """The points of a "Key Points" box above the body, which trafilatura leaves out, come first."""
        text = extract_page(self._page("Key Points", self.POINTS), url=self.URL).text
        assert text.split("\n\n")[:4] == [*self.POINTS, self.BODY[0]]

    def test_german_label_with_a_colon(self) -> None:
        """"Das Wichtigste in Kürze:" heads a summary box too."""
        text = extract_page(self._page("Das Wichtigste in Kürze:", self.POINTS), url=self.URL).text
        assert text.startswith(self.POINTS[0])

    def test_box_of_links_is_navigation(self) -> None:
        """A box under the same label whose items are links (here to other sites) is not a summary: nothing is added."""
        text = extract_page(self._page("Auf einen Blick", self.POINTS, linked=True), url=self.URL).text
        assert self.POINTS[0] not in text

    def test_box_of_short_items_is_navigation(self) -> None:
        """Items shorter than a sentence ("Über uns", "Neuste") are not points."""
        text = extract_page(self._page("Auf einen Blick", ("Neueste Artikel", "Meistkommentiert")), url=self.URL).text
        assert "Neueste Artikel" not in text


class TestStoryCards:
    """A story card's blurb inside the body is not the article's text."""

    BODY = TestStandfirst.PARAGRAPHS
    BLURB = ("Science shows that heartbreak does not just hurt emotionally. It can affect our brains and immune "
             "systems, and researchers are finding out how.")
    URL = "https://courier.example/news/old-mill-bridge"

    def _page(self, card: str) -> str:
        return (
            "<html lang='en'><head><title>Old Mill bridge</title><meta property='og:type' content='article'></head>"
            "<body><article><h1>Old Mill bridge to close for two years</h1>"
            f"<p>{self.BODY[0]}</p>{card}<p>{self.BODY[1]}</p><p>{self.BODY[2]}</p></article></body></html>"
        )

    def test_blurb_under_a_linked_headline_removed(self) -> None:
        """The paragraph under a card's headline that links to another story of the site goes as related_link."""
        card = ("<div class='promo'><p class='category'><a href='/lifestyle'>Lifestyle</a></p>"
                "<div class='promo-title'><h3><a href='https://courier.example/lifestyle/heartbreak-science'>"
                "Can science mend a broken heart? I asked the researchers</a></h3></div>"
                f"<p class='promo-description'>{self.BLURB}</p><p class='promo-date'>Feb. 26, 2024</p></div>")
        extracted = extract_page(self._page(card), url=self.URL)
        assert self.BLURB not in extracted.text
        assert extracted.text.split("\n\n") == list(self.BODY)

    def test_paragraph_after_the_card_kept(self) -> None:
        """The article's paragraph after a card has closed is not the card's blurb."""
        card = ("<aside class='related'><article><div class='entry'><h2>"
                "<a href='https://courier.example/news/storm-damage'>Storm brings down trees across the valley</a>"
                f"</h2></div></article></aside><p>{self.BLURB}</p>")
        extracted = extract_page(self._page(card), url=self.URL)
        assert self.BLURB in extracted.text


class TestExtractPageNonArticles:
    """Home, listing, video and empty pages are flagged, not stored as articles."""

    def test_empty_page(self) -> None:
        """A page without text is not an article."""
        extracted = extract_page(b"<html><body></body></html>", url="https://news.example/a/3")
        assert not extracted.is_article
        assert extracted.not_article_reason in {"no_text", "too_little_text"}

    def test_home_page(self) -> None:
        """The site root is a home page even with text on it."""
        html = "<html><body><main><p>" + "Nouvelles du jour. " * 30 + "</p></main></body></html>"
        extracted = extract_page(html, url="https://news.example/")
        assert extracted.not_article_reason == "home_page"

    def test_tag_page(self) -> None:
        """A tag page with a list of linked headlines is a listing."""
        items = "".join(
            f'<h2><a href="/a/{i}">Headline number {i} about the news of the day</a></h2><p>Short blurb.</p>'
            for i in range(12)
        )
        extracted = extract_page(f"<html><body><main>{items}</main></body></html>",
                                 url="https://news.example/tag/politics")
        assert extracted.not_article_reason == "listing_page"

    def _headlines_page(self, head: str = "") -> str:
        items = "".join(
            f'<h3><a href="/politics/{i}">Headline number {i} about the news of the day</a></h3><p>Short blurb.</p>'
            for i in range(9)
        )
        return f"<html><head>{head}</head><body><nav><h2>Menu</h2></nav><main>{items}</main></body></html>"

    def test_linked_headlines_make_a_listing(self) -> None:
        """Eight linked headlines on a short page that does not declare an article make it a listing."""
        extracted = extract_page(self._headlines_page(), url="https://news.example/politics/overview-2024")
        assert extracted.not_article_reason == "listing_page"

    def test_declared_article_is_not_a_listing(self) -> None:
        """The same page declaring itself an article is judged by its text, not its headlines."""
        page = self._headlines_page('<meta property="og:type" content="article">')
        extracted = extract_page(page, url="https://news.example/politics/overview-2024")
        assert extracted.not_article_reason != "listing_page"

    def test_player_with_a_line_is_a_video_page(self) -> None:
        """An embedded player with a one-line blurb is a video page, without any video declaration."""
        html = (
            "<html><body><main><iframe src='https://www.youtube.com/embed/xyz'></iframe>"
            "<p>Watch the president speak at the summit on Friday.</p></main></body></html>"
        )
        assert extract_page(html, url="https://news.example/world/summit").not_article_reason == "video_page"

    def test_video_page(self) -> None:
        """A video page with a one-line blurb is a video page."""
        html = (
            '<html><head><meta property="og:type" content="video.other"></head><body><main>'
            '<video src="/v.mp4"></video><p>Watch the president speak at the summit on Friday.</p>'
            "</main></body></html>"
        )
        extracted = extract_page(html, url="https://news.example/video/123")
        assert not extracted.is_article
        assert extracted.not_article_reason == "video_page"


class TestDecodeHtml:
    """Charset comes from the header, a BOM, a <meta> in the first 8 KB, then detection."""

    def test_header_charset(self) -> None:
        """The Content-Type charset decides."""
        body = "<p>Élysée</p>".encode("iso-8859-1")
        assert "Élysée" in decode_html(body, {"Content-Type": "text/html; charset=ISO-8859-1"})

    def test_meta_after_1024_bytes(self) -> None:
        """A <meta charset> after byte 1024 is still honoured."""
        body = b"<html><head>" + b"<!-- padding -->" * 100 + b'<meta charset="windows-1251">' + (
            "<p>Привет</p>".encode("cp1251"))
        assert "Привет" in decode_html(body)

    def test_http_equiv(self) -> None:
        """An http-equiv Content-Type meta is honoured."""
        meta = b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
        body = meta + "Мир".encode("koi8-r")
        assert "Мир" in decode_html(body)

    def test_bom(self) -> None:
        """A UTF-8 BOM decodes as UTF-8 and is dropped."""
        assert decode_html(b"\xef\xbb\xbf<p>caf\xc3\xa9</p>") == "<p>café</p>"

    def test_detection_without_declaration(self) -> None:
        """Undeclared legacy bytes are detected rather than mangled."""
        text = "Le président a déclaré vendredi que la sécurité était une priorité. " * 5
        assert "président" in decode_html(text.encode("cp1252"))


class TestBlockKeys:
    """Site boilerplate keys are stable and the model removes recurring blocks."""

    def test_keys_are_stable_and_normalised(self) -> None:
        """Case and spacing do not change a key; distinct paragraphs give distinct keys."""
        assert block_keys("Abonnez-vous  à la lettre\n\nX") == block_keys("abonnez-vous à la lettre\n\nX")
        assert len(set(block_keys("Un\n\nDeux\n\nUn"))) == 2

    def test_recurring_block_removed(self) -> None:
        """A paragraph present in most of a site's articles is removed as site boilerplate."""
        footer = "Cet article vous a été proposé par la rédaction, qui vous remercie de votre fidélité."
        page = extract_page(
            f"<html><body><article><p>{BODY}</p><p>{footer}</p>"
            "</article></body></html>",
            url="https://news.example/a/9",
            boilerplate=SiteBoilerplate(doc_count=20, block_counts={block_keys(footer)[0]: 15}),
        )
        assert footer not in page.text
        assert [item.why for item in page.removed] == ["site_boilerplate"]

    def test_too_few_docs_no_removal(self) -> None:
        """Below the minimum number of articles nothing is removed."""
        footer = "Cet article vous a été proposé par la rédaction, qui vous remercie de votre fidélité."
        page = extract_page(
            f"<html><body><article><p>{BODY}</p><p>{footer}</p>"
            "</article></body></html>",
            url="https://news.example/a/9",
            boilerplate=SiteBoilerplate(doc_count=5, block_counts={block_keys(footer)[0]: 5}),
        )
        assert footer in page.text

    def test_boilerplate_keys_include_removed_footer(self) -> None:
        """Keys to count keep the removed site boilerplate, so its share does not decay."""
        footer = "Cet article vous a été proposé par la rédaction, qui vous remercie de votre fidélité."
        key = block_keys(footer)[0]
        page = extract_page(
            f"<html><body><article><p>{BODY}</p><p>{footer}</p></article></body></html>",
            url="https://news.example/a/9",
            boilerplate=SiteBoilerplate(doc_count=20, block_counts={key: 15}),
        )
        assert key in boilerplate_keys(page)
        assert block_keys(BODY)[0] in boilerplate_keys(page)


class TestParseDatetime:
    """Dates from meta tags, sitemaps and feeds come out timezone-aware."""

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("2024-03-04T10:32:00Z", datetime(2024, 3, 4, 10, 32, tzinfo=UTC)),
            ("2024-03-04T10:32:00+01:00", datetime(2024, 3, 4, 10, 32, tzinfo=timezone(timedelta(hours=1)))),
            ("2024-03-04 10:32:00", datetime(2024, 3, 4, 10, 32, tzinfo=UTC)),
            ("2024-03-04", datetime(2024, 3, 4, tzinfo=UTC)),
            ("Mon, 04 Mar 2024 10:32:00 GMT", datetime(2024, 3, 4, 10, 32, tzinfo=UTC)),
        ],
    )
    def test_parsed(self, value: str, expected: datetime) -> None:
        """ISO 8601 and RFC 2822 values parse; a missing offset means UTC."""
        parsed = parse_datetime(value)
        assert parsed == expected
        assert parsed is not None
        assert parsed.tzinfo is not None

    @pytest.mark.parametrize("value", [None, "", "garbage", "31/31/2024"])
    def test_unparseable(self, value: str | None) -> None:
        """Garbage gives None, never an exception."""
        assert parse_datetime(value) is None
