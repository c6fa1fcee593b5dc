"""Extract an article from a page: trafilatura for the body, then wirefeed's cleaning and metadata."""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from copy import copy
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import trafilatura
import trafilatura.core
from lxml import etree
from lxml.html import HTMLParser, fromstring
from trafilatura.external import compare_extraction as _compare_extraction
from trafilatura.settings import Extractor
from trafilatura.utils import HTML_PARSER, load_html, repair_faulty_html
from trafilatura.xml import xmltotxt

from dedupe.words import word_count
from ingest.dates import parse_datetime
from ingest.extract import furniture
from ingest.extract.boilerplate import MAX_BLOCK_CHARS, SiteBoilerplate, block_key, block_keys
from ingest.extract.clean import CLEAN_VERSION, PageContext, Removed, clean_blocks
from ingest.extract.merge import merge_paragraphs
from ingest.fetch.charset import decode_html

__all__ = [
    "CLEAN_VERSION",
    "EXTRACTOR_VERSION",
    "FULL_CASCADE_BELOW_CHARS",
    "OPTIONS",
    "TRAFILATURA_OPTIONS",
    "Extracted",
    "Removed",
    "SiteBoilerplate",
    "apply_site_boilerplate",
    "block_keys",
    "boilerplate_keys",
    "decode_html",
    "extract_page",
    "parse_datetime",
]

# The trafilatura options behind every text; see docs/extraction.md for why each one is set.
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "deduplicate": False,  # its cache is process-global: answers would change from run to run
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "favor_precision": False,
    "favor_recall": False,
}
# trafilatura's full cascade (its main extractor, then the readability/jusText comparison) on every
# page. A fast path (main extractor alone, the cascade only when its text is shorter than N characters)
# was the rule until issue 16: on the 990 pages of trafilatura-eval it lost `with` sentences on 9 pages
# for any N, for about 6 % of CPU (docs/extraction.md). None means no fast path; a number brings the
# fast path back (scripts/eval_extraction.py --full-cascade-below compares).
FULL_CASCADE_BELOW_CHARS: int | None = None
EXTRACTOR = "trafilatura"
EXTRACTOR_VERSION = f"trafilatura {trafilatura.__version__}+wirefeed-clean {CLEAN_VERSION}"
OPTIONS = json.dumps(
    {"trafilatura": TRAFILATURA_OPTIONS, "full_cascade_below_chars": FULL_CASCADE_BELOW_CHARS, "clean": CLEAN_VERSION},
    sort_keys=True,
)

# Fewer words than this after cleaning is a stub, a gallery or an error page, not an article.
MIN_ARTICLE_WORDS = 40
# A page with a video player and fewer words than this is a video page with a blurb.
MAX_VIDEO_PAGE_WORDS = 120
# Listing pages show many linked headlines; an article page shows a few "related" ones.
MIN_LISTING_HEADLINES = 8
MAX_LISTING_WORDS = 250

_LISTING_PATH = re.compile(
    r"/(?:tags?|topics?|themes?|category|categories|rubrique|rubriques|section|sections|author|authors|"
    r"auteur|autor|archive|archives|search|recherche|suche|buscar|schlagwort|thema|themen|tema|temas|"
    r"etiqueta|page)(?:/|$)",
    re.IGNORECASE,
)
_HOME_PATH = re.compile(r"^/?(?:[a-z]{2}(?:-[a-z]{2})?/?)?(?:index\.\w+)?$", re.IGNORECASE)
MIN_LINK_SPACES = 3
MIN_LINK_CHARS = 15
# A site other than the page's own counts as a source of related stories when the page links this many of them.
MIN_PARTNER_LINKS = 3
MIN_CAPTION_CHARS = 3
MAX_H1 = 3
MAX_AUTHORS = 5
MAX_AUTHOR_CHARS = 60
# A story card's headline: a heading whose whole text is a link to another story.
_CARD_HEADINGS = frozenset(("h2", "h3", "h4"))
_FOLLOWING_ELEMENT = etree.XPath("following::*[1]")
# What a card holds besides its headline and blurb: a section label, a date, a "Read more" (in words).
MAX_CARD_EXTRA_WORDS = 12
_HEADLINE_LINKS = etree.XPath("|".join(f"//h{n}//a[string-length(normalize-space()) > 20]" for n in range(1, 5)))
# An embedded player: a <video>, or an <iframe> whose src names one of these.
_PLAYERS = ("youtube", "player", "dailymotion", "vimeo")
_PUBLISHED_KEYS = (
    "article:published_time", "og:published_time", "datepublished", "parsely-pub-date", "pubdate",
    "publishdate", "publish-date", "dc.date", "dc.date.issued", "dcterms.created", "sailthru.date",
    "date", "og:article:published_time", "citation_publication_date", "article.published",
)
_MODIFIED_KEYS = (
    "article:modified_time", "og:updated_time", "datemodified", "last-modified", "dcterms.modified",
    "dc.date.modified", "og:article:modified_time", "article.updated",
)


@dataclass(frozen=True, slots=True)
class Extracted:
    """One page's article text and metadata, with what cleaning removed and how it was produced."""

    url: str | None
    canonical_url: str | None
    title: str | None
    text: str
    author: str | None
    published: datetime | None
    modified: datetime | None
    language: str | None
    site_name: str | None
    description: str | None
    removed: tuple[Removed, ...]
    is_article: bool
    not_article_reason: str | None
    extractor: str
    extractor_version: str
    options: str


@dataclass(frozen=True, slots=True)
class _Meta:
    """Metadata read from the page head before trafilatura sees the tree."""

    values: dict[str, str]
    json_ld: dict[str, str]
    canonical: str | None
    language: str | None
    captions: frozenset[str]
    links: frozenset[str]
    h1: tuple[str, ...]
    title_tag: str | None
    linked_headlines: int = 0
    has_video: bool = False
    live_posts: tuple[str, ...] = ()
    card_blurbs: frozenset[str] = frozenset()


def _walk_json_ld(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every object of a JSON-LD document, @graph and lists included, in document order.

    A stack, not recursion: json.loads accepts nesting as deep as the recursion limit allows where it
    runs, and a recursive walk started a few frames deeper would overflow on the same document.
    """
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            yield item
            stack.extend(item[key] for key in ("mainEntityOfPage", "mainEntity", "@graph") if key in item)


def _names(value: Any) -> list[str]:
    """Return the person or organisation names of a JSON-LD author or publisher field."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip() and not name.strip().startswith("http"):
            names.append(" ".join(_whole(name).split()))
    return names


# Half a surrogate pair: json.loads turns an escape such as "\\ud800" into one; no UTF-8 encoder takes it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _whole(text: str) -> str:
    """A JSON-LD string with each lone surrogate replaced by U+FFFD (the result must encode as UTF-8)."""
    return _SURROGATE.sub("\ufffd", text)


# Markup or entities inside a JSON-LD text: the publisher put HTML there, not the text a reader sees.
_MARKUP = re.compile(r"<[A-Za-z/!]|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")


def _live_posts(node: dict[str, Any]) -> list[str]:
    """The paragraphs of a LiveBlogPosting's updates, as the page declares them: each headline, then its body.

    A line already taken is not taken again: a body may open with its own headline, and posts share lines
    (a sign-off, a repeated update)."""
    updates = node.get("liveBlogUpdate")
    paragraphs: list[str] = []
    for update in updates if isinstance(updates, list) else [updates]:
        if not isinstance(update, dict) or not isinstance(update.get("articleBody"), str):
            continue
        headline, body = update.get("headline"), update["articleBody"]
        if _MARKUP.search(body) or (isinstance(headline, str) and _MARKUP.search(headline)):
            continue
        lines = ([headline] if isinstance(headline, str) else []) + body.splitlines()
        # NFC, as trafilatura's paragraphs are (_trafilatura): a post the HTML shows is recognised, the text stays NFC.
        spaced = (" ".join(_whole(line).split()) for line in lines if line.strip())
        paragraphs.extend(unicodedata.normalize("NFC", line) for line in spaced)
    return list(dict.fromkeys(paragraphs))


def _json_ld(scripts: Iterable[str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """Return the article fields of the page's JSON-LD (dates, type, headline, authors, publisher) and live posts."""
    found: dict[str, str] = {}
    posts: list[str] = []
    for script in scripts:
        try:
            data = json.loads(script)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the stack allows
            continue
        for node in _walk_json_ld(data):
            if "liveBlogUpdate" in node and not posts:
                posts = _live_posts(node)
            kind = node.get("@type")
            kinds = [k for k in (kind if isinstance(kind, list) else [kind]) if isinstance(k, str)]
            for key in ("datePublished", "dateModified", "headline", "description"):
                value = node.get(key)
                if isinstance(value, str) and key.lower() not in found:
                    found[key.lower()] = _whole(value)
            if "author" in node and "author" not in found and _names(node["author"]):
                found["author"] = "; ".join(dict.fromkeys(_names(node["author"])))
            if "publisher" in node and "publisher" not in found and _names(node["publisher"]):
                found["publisher"] = _names(node["publisher"])[0]
            if kinds and "@type" not in found:
                found["@type"] = ",".join(kinds)
    return found, tuple(posts)


def _text_of(element: Any) -> str:
    """Return an element's text with whitespace collapsed."""
    return " ".join(" ".join(element.itertext()).split())


class _MetaScan:
    """What one walk over a page's tags of interest collects, before trafilatura prunes the tree."""

    def __init__(self, url: str | None = None) -> None:
        # A page URL that is not http(s) (a file name, a key) says nothing of the site.
        self.page = _without_fragment(url) if _absolute(url, None) else None
        self.values: dict[str, str] = {}
        self.canonical: str | None = None
        self.captions: set[str] = set()
        self.site = _site(self.page) if self.page else ""
        self.links_by_site: dict[str, set[str]] = {}
        self.h1: list[str] = []
        self.title_tag: str | None = None
        self.scripts: list[str] = []
        self.rel_authors: list[str] = []
        self.has_video = False
        # Headings holding a link to another story of the site (a story card's headline), with the link's text.
        self.linked_headings: list[tuple[Any, str]] = []

    def visit(self, node: Any) -> None:
        """Note what one tag says (an if chain: this runs for every tag of interest on every page)."""
        tag = node.tag
        if tag == "a":
            self._link(node)
        elif tag == "meta":
            key = node.get("property") or node.get("name") or node.get("itemprop") or node.get("http-equiv")
            content = node.get("content")
            if key and content and key.lower() not in self.values:
                self.values[key.lower()] = content.strip()
        elif tag == "img":
            alt = " ".join((node.get("alt") or "").split())
            # An alt text that is a sentence of the body (a recipe step, an accessible chart) proves nothing.
            if len(alt) > MIN_CAPTION_CHARS and not alt.endswith((".", "!", "?")):
                self.captions.add(alt)
        elif tag == "figcaption":
            self.captions.add(_text_of(node))
        elif tag == "time":
            if node.get("itemprop") and node.get("datetime"):
                self.values.setdefault(node.get("itemprop").lower(), node.get("datetime"))
        elif tag == "script":
            if (node.get("type") or "").lower() == "application/ld+json" and node.text:
                self.scripts.append(node.text)
        elif tag == "link":
            rel = (node.get("rel") or "").lower().split()
            if self.canonical is None and "canonical" in rel and node.get("href"):
                self.canonical = node.get("href").strip()
        elif tag == "title":
            self.title_tag = self.title_tag or _text_of(node)
        elif tag == "h1":
            if len(self.h1) < MAX_H1:
                self.h1.append(_text_of(node))
        elif tag == "video" or (tag == "iframe" and any(name in (node.get("src") or "") for name in _PLAYERS)):
            self.has_video = True

    def _link(self, node: Any) -> None:
        """An <a>: a rel=author name, or a long link text (a block that is only one points to another story)."""
        # A link with no child element (most of them): its text is its text content, without an XPath call.
        text = (node.text or "") if len(node) == 0 else node.text_content()
        if "author" in (node.get("rel") or "") and len(self.rel_authors) < MAX_AUTHORS:
            name = " ".join(text.split()).strip(" ,;|")
            if name and len(name) <= MAX_AUTHOR_CHARS and name not in self.rel_authors:
                self.rel_authors.append(name)
        # Links of four words or more: a block that is only one of them points to another story. A link
        # within the page itself (a table of contents: "#section", or this URL) points to its own text.
        if len(text) > MIN_LINK_CHARS and word_count(text) > MIN_LINK_SPACES:
            site = self._target_site(node)
            if site is not None:
                spaced = " ".join(text.split())
                self.links_by_site.setdefault(site, set()).add(spaced)
                heading = node.getparent()
                # A card points to another story of this site: a heading linking to a shop or a source
                # is a listed item or a section of the article, and one linking to this page (another
                # query, a trailing slash) is the article's own section heading.
                if heading is not None and heading.tag in _CARD_HEADINGS and site == self.site and (
                        self.page is None or not _same_page(_absolute(node.get("href"), self.page), self.page)):
                    self.linked_headings.append((heading, spaced))

    def _target_site(self, node: Any) -> str | None:
        """The site a link points to ("" when the page's own URL is unknown), or None for this page itself."""
        href = (node.get("href") or "").strip()
        if not href or href.startswith("#"):
            return None
        if self.page is None:
            return ""
        if href.startswith(("http://", "https://")):
            # An absolute link (most of them): no join needed, which is the costly part of this walk.
            target = _without_fragment(href)
            return None if target == self.page else _site(href)
        target = _without_fragment(_absolute(href, self.page))
        if target == self.page:
            return None
        if target is None or not href.startswith("//"):
            return self.site  # a relative link stays on the site (or is not a web link at all)
        return _site(target)

    def card_blurbs(self, story_links: frozenset[str]) -> frozenset[str]:
        """The paragraphs right under a story card's linked headline, inside the card.

        A card (a headline linking to another story, its blurb, a label, a date) sits in the body of many
        news pages; trafilatura often keeps the blurb without the headline, and the blurb reads like body
        text. The paragraph must follow the heading within the heading's own container or the one around
        it (a paragraph after the card has closed is the article going on), and that container must hold
        little more than the two: a linked subheading inside the article's own container is body text.
        """
        blurbs: set[str] = set()
        for heading, text in self.linked_headings:
            container = heading.getparent()
            if text not in story_links or container is None or _text_of(heading) != text:
                continue
            after = _FOLLOWING_ELEMENT(heading)
            if not after or after[0].tag != "p" or after[0].getparent() not in (container, container.getparent()):
                continue
            blurb = _text_of(after[0])
            card = word_count(_text_of(after[0].getparent()))
            if card - word_count(text) - word_count(blurb) <= MAX_CARD_EXTRA_WORDS:
                blurbs.add(blurb)
        blurbs.discard("")
        return frozenset(blurbs)

    def story_links(self) -> frozenset[str]:
        """The texts of links to other stories: of this site, or of a site the page links to several times.

        A box of a partner site's stories links several of them; a single link to another site (an event
        page, a shop, a source) is the article's own reference, and a block that is its text stays.
        """
        texts: set[str] = set()
        for site, found in self.links_by_site.items():
            if site == self.site or len(found) >= MIN_PARTNER_LINKS:
                texts |= found
        return frozenset(texts)


def _site(url: str) -> str:
    """The registrable part of an absolute URL's host, about: "https://m.spiegel.de/x" -> "spiegel.de"."""
    # "scheme://host[:port]/...": the host by string operations; a page has hundreds of links.
    return _site_of_host(url.partition("//")[2].partition("/")[0].rpartition("@")[2].partition(":")[0].lower())


@lru_cache(maxsize=4096)
def _site_of_host(host: str) -> str:
    """The registrable part of a host name ("bbc.co.uk", "abc.net.au" keep three labels)."""
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3 else 2
    return ".".join(labels[-keep:])


def _without_fragment(url: str | None) -> str | None:
    """Return a URL without its #fragment."""
    return url.split("#", 1)[0] if url else None


def _same_page(url: str | None, page: str) -> bool:
    """Tell whether a URL names the page: the same up to a trailing slash, or a query the page's URL has not.

    "/story/?ref=home" is the page "/story"; "news.php?id=2" is not the page "news.php?id=1".
    """
    if url is None:
        return False
    path, _, query = url.partition("#")[0].partition("?")
    page_path, _, page_query = page.partition("?")
    return path.rstrip("/") == page_path.rstrip("/") and (not page_query or query == page_query)


def _read_meta(tree: Any, headers: Mapping[str, str] | None, url: str | None = None) -> _Meta:
    """Collect what the page declares about itself, before trafilatura prunes the tree."""
    scan = _MetaScan(url)
    # One pass over the tags of interest: each extra XPath walk of the tree costs as much again.
    # The tree is read here only: trafilatura prunes it next.
    for node in tree.iter("meta", "link", "title", "h1", "figcaption", "img", "a", "time", "script", "video",
                          "iframe"):
        scan.visit(node)
    values = scan.values
    if scan.rel_authors:
        values.setdefault("wirefeed:rel-author", "; ".join(scan.rel_authors))
    json_ld, live_posts = _json_ld(scan.scripts)
    # Linked headlines only tell a listing from a page that does not declare itself an article.
    headlines = 0 if _declares_article(values, json_ld) else len(_HEADLINE_LINKS(tree))
    links = scan.story_links()
    return _Meta(
        values=values,
        json_ld=json_ld,
        canonical=scan.canonical,
        language=_declared_language(tree, values, headers),
        captions=frozenset(scan.captions),
        links=links,
        h1=tuple(scan.h1),
        title_tag=scan.title_tag,
        linked_headlines=headlines,
        has_video=scan.has_video,
        live_posts=live_posts,
        card_blurbs=scan.card_blurbs(links),
    )


def _declared_language(tree: Any, values: Mapping[str, str], headers: Mapping[str, str] | None) -> str | None:
    """The language the page declares: <html lang>, then its meta tags, then the Content-Language header."""
    language: str | None = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    language = language or values.get("content-language") or values.get("og:locale")
    if not language and headers:
        language = next((v for k, v in headers.items() if k.lower() == "content-language"), None)
    return language


def _first_date(meta: _Meta, keys: tuple[str, ...], json_key: str) -> datetime | None:
    """Return the first parseable date among the JSON-LD field and the given meta keys."""
    for value in (meta.json_ld.get(json_key), *(meta.values.get(k) for k in keys)):
        parsed = parse_datetime(value)
        if parsed is not None:
            return parsed
    return None


def _absolute(url: str | None, base: str | None) -> str | None:
    """Return an absolute http(s) URL, or None."""
    if not url:
        return None
    try:
        joined = urljoin(base or "", url.strip())
        parts = urlsplit(joined)
    except ValueError:  # an unbalanced "[" in a host, say: no usable URL
        return None
    return joined if parts.scheme in {"http", "https"} and parts.netloc else None


def _language(value: str | None) -> str | None:
    """Return the primary language subtag, lowercase ("fr-FR" -> "fr")."""
    if not value:
        return None
    primary = re.split(r"[-_,;\s]", value.strip(), maxsplit=1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def _declares_article(values: Mapping[str, str], json_ld: Mapping[str, str]) -> bool:
    """Tell whether the page says it is an article (og:type, JSON-LD @type an Article or a Posting)."""
    kind = (values.get("og:type") or "").lower()
    ld_type = json_ld.get("@type", "").lower()
    return "article" in kind or "article" in ld_type or "posting" in ld_type


def _not_article_reason(url: str | None, text: str, meta: _Meta) -> str | None:
    """Say why a page is not an article (home, listing, video, too little text), or None."""
    words = word_count(text)  # Chinese, Japanese, Thai... count by characters (dedupe.words)
    kind = (meta.values.get("og:type") or "").lower()
    ld_type = meta.json_ld.get("@type", "").lower()
    is_declared_article = _declares_article(meta.values, meta.json_ld)
    try:
        path = urlsplit(url).path if url else None
    except ValueError:  # "http://example.c[o.test/x": no path to judge by
        path = None
    if path is not None and _HOME_PATH.fullmatch(path) and not is_declared_article:
        return "home_page"
    if kind == "website" and path in {"", "/"}:
        return "home_page"
    if not is_declared_article and words < MAX_LISTING_WORDS and (
        (path is not None and _LISTING_PATH.search(path)) or meta.linked_headlines >= MIN_LISTING_HEADLINES
    ):
        return "listing_page"
    if words < MAX_VIDEO_PAGE_WORDS and (kind.startswith("video") or "videoobject" in ld_type or (
            words < MIN_ARTICLE_WORDS and meta.has_video)):
        return "video_page"
    if words == 0:
        return "no_text"
    if words < MIN_ARTICLE_WORDS:
        return "too_little_text"
    return None


def _first(*values: str | None) -> str | None:
    """Return the first non-blank value, whitespace collapsed."""
    for value in values:
        if value and value.strip():
            return " ".join(value.split())
    return None


_TITLE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{2,60}$")


def _title(meta: _Meta) -> str | None:
    """Return the headline: og:title, JSON-LD headline, the first <h1>, then <title> without site name."""
    title_tag = _TITLE_SUFFIX.sub("", meta.title_tag) if meta.title_tag else None
    h1 = meta.h1[0] if len(meta.h1) == 1 else None
    return _first(meta.values.get("og:title"), meta.values.get("twitter:title"), meta.json_ld.get("headline"),
                  h1, title_tag)


def _author(meta: _Meta) -> str | None:
    """Return the author(s), "; "-separated, from JSON-LD or meta tags; never a URL or the publisher."""
    publishers = {v.casefold() for v in (meta.values.get("og:site_name"), meta.json_ld.get("publisher")) if v}
    for value in (meta.json_ld.get("author"), meta.values.get("article:author"), meta.values.get("author"),
                  meta.values.get("parsely-author"), meta.values.get("dc.creator"), meta.values.get("byl"),
                  meta.values.get("sailthru.author"), meta.values.get("wirefeed:rel-author")):
        name = " ".join(word for word in (value or "").split() if not word.startswith(("http:", "https:")))
        if name and name.casefold() not in publishers:
            return name
    return None


# The standfirst (dek, summary, excerpt) a page shows under its headline is the article's own first
# paragraph, and its description meta says so: a visible block whose text is one of the page's declared
# descriptions. trafilatura often leaves it out (it sits in the header, outside the body's container).
_DESCRIPTION_KEYS = ("description", "og:description", "twitter:description")
MIN_STANDFIRST_WORDS = 6
MAX_STANDFIRST_WORDS = 80
# The prefix of a description looked for in the page's text nodes (markup may split the rest).
STANDFIRST_PREFIX_CHARS = 32
# A visible block may hold a little more than the description (a label: "(Outside Music)Recorded ...").
MAX_STANDFIRST_EXTRA = 0.3
_DESCRIPTIONS_PER_PAGE = len(_DESCRIPTION_KEYS) + 1  # and JSON-LD's
# The text nodes a standfirst may be read from (_standfirst_nodes): in or after the page's first heading,
# holding a word of a description's opening ($w0 ...: a cheap test; the opening itself is checked in
# Python), in the body, not in a link, a figure or the site's furniture. One per number of openings.
_STANDFIRST_NODES = tuple(
    etree.XPath(
        "(descendant::text()|following::text())[" + " or ".join(f"contains(., $w{i})" for i in range(count))
        + "][ancestor::body][not(ancestor::*[self::script or self::style or self::noscript or self::template or "
        "self::a or self::button or self::figure or self::figcaption or self::nav or self::footer or self::aside or "
        "self::form or self::select or self::option or self::label])]"
    )
    for count in range(1, _DESCRIPTIONS_PER_PAGE + 1)
)
# XPath's normalize-space: only these four are white space (a no-break space stays a character).
_XML_SPACE = re.compile("[ \t\n\r]+")
# A standfirst sits under its headline: a block with no heading before it is the site's own tagline
# ("Gesund Essen, Gesund Leben, Gesund Sein" in the page header), and an <h1> is the headline itself.
_HEADING_BEFORE = etree.XPath("preceding::*[self::h1 or self::h2 or self::h3][1]")
# Characters an XPath string cannot hold (lxml refuses them); a JSON-LD description may ("\u0000").
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Elements inside a paragraph: a standfirst is the block around them.
_INLINE = frozenset(("span", "em", "strong", "b", "i", "u", "small", "sup", "sub", "abbr", "cite", "q", "time",
                     "mark", "font"))


def _names_the_site(heading: Any, meta: _Meta, url: str | None) -> bool:
    """Tell whether a heading is the site's title (its name, or a link to its home page), not a headline.

    WordPress themes show the site's description under it ("<h1 class=site-title><a href=/ rel=home>",
    then "<h2 class=site-description>"), and many sites declare that tagline as every page's description.
    """
    names = (meta.values.get("og:site_name"), meta.values.get("application-name"), meta.json_ld.get("publisher"))
    if _text_of(heading).casefold() in {" ".join(name.split()).casefold() for name in names if name}:
        return True
    for link in heading.iter("a"):
        target = _absolute(link.get("href"), url) if url else None
        if target is not None and _site(target) == _site(url or "") and _HOME_PATH.fullmatch(urlsplit(target).path):
            return True
    return False


def _standfirst_nodes(tree: Any, openings: Iterable[str]) -> dict[str, list[Any]]:
    """Per description opening, the text nodes holding it (spaced as normalize-space spaces them), in order.

    Only nodes from the page's first heading on: a standfirst's block follows a heading, so a node before
    them all cannot be one. One walk for all openings (a page declares up to four descriptions; a walk of
    every text node is most of this rule's cost): a node holding an opening holds its longest word.
    """
    found: dict[str, list[Any]] = {opening: [] for opening in openings}
    first_heading = next(tree.iter("h1", "h2", "h3"), None)
    if first_heading is None or not found:
        return found
    words = {f"w{i}": max(opening.split(" "), key=len) for i, opening in enumerate(found)}
    for node in _STANDFIRST_NODES[len(words) - 1](first_heading, **words):
        spaced = " ".join(_XML_SPACE.split(node.strip(" \t\n\r")))
        for opening, nodes in found.items():
            if opening in spaced:
                nodes.append(node)
    return found


def _standfirst(tree: Any, meta: _Meta, url: str | None) -> str | None:
    """The visible block whose text is one of the page's declared descriptions (its standfirst), or None."""
    declared = (*(meta.values.get(key) for key in _DESCRIPTION_KEYS), meta.json_ld.get("description"))
    by_prefix: dict[str, list[str]] = {}
    for description in dict.fromkeys(" ".join(_NOT_XML.sub("", d).split()) for d in declared if d):
        if MIN_STANDFIRST_WORDS <= word_count(description) <= MAX_STANDFIRST_WORDS:
            by_prefix.setdefault(description[:STANDFIRST_PREFIX_CHARS], []).append(description)
    nodes = _standfirst_nodes(tree, by_prefix)
    for prefix, descriptions in by_prefix.items():
        for node in nodes[prefix]:
            block = node.getparent()
            if node.is_tail and block is not None:  # text after a <br> or a <span>: the block holds both
                block = block.getparent()
            while block is not None and block.tag in _INLINE:
                block = block.getparent()
            if block is None or block.tag == "h1":
                continue
            text = _text_of(block)
            fits = any(d in text and len(text) <= (1 + MAX_STANDFIRST_EXTRA) * len(d) for d in descriptions)
            if not fits:
                continue
            # The walk back to a heading last: it runs for a block that holds the description only.
            heading = _HEADING_BEFORE(block)
            if heading and not _names_the_site(heading[0], meta, url):
                return unicodedata.normalize("NFC", text)
    return None


# A summary box ("Key Points", "Das Wichtigste in Kürze": furniture.SUMMARY_LABELS) is the article's own
# text: its points open the body. Found from the lists of the page (few, where every element would be
# many): the label is the first text of the element just before the list, or before the container the
# list opens, up to a few levels; the points are sentences (navigation boxes under the same labels list
# one- or two-word links).
_SUMMARY_LABELS = frozenset(label for labels in furniture.SUMMARY_LABELS.values() for label in labels)
MAX_LABEL_LEVELS = 5
# Where a labelled list is the site's, not the article's (an <aside> may be either: a "Key points" box).
_SITE_FURNITURE = ("nav", "footer", "form", "template", "noscript", "select")
MIN_SUMMARY_POINTS = 2
MAX_SUMMARY_POINTS = 8
MIN_SUMMARY_POINT_WORDS = 6


def _is_link_list_item(item: Any) -> bool:
    """Tell whether a list item is nothing but links (a navigation entry, another story)."""
    links = " ".join(_text_of(a) for a in item.iter("a"))
    return bool(links) and links == _text_of(item)


def _summary_label_before(element: Any) -> bool:
    """Tell whether a summary label heads a list: the first text of the element before it (or before its container)."""
    for _ in range(MAX_LABEL_LEVELS):
        before = element.getprevious()
        while before is not None and not isinstance(before.tag, str):  # a comment or a processing instruction
            before = before.getprevious()
        if before is not None:
            first = next((text for text in before.itertext() if text.strip()), "")
            return " ".join(first.split()).lower().rstrip(":").rstrip() in _SUMMARY_LABELS
        element = element.getparent()
        if element is None:
            return False
    return False


def _summary_points(tree: Any) -> list[str]:
    """The points of the page's summary box, in order, or none."""
    body = tree.find("body")
    for listing in (body if body is not None else tree).iter("ul", "ol"):
        if not _summary_label_before(listing):
            continue
        items = listing.findall("li")
        if not MIN_SUMMARY_POINTS <= len(items) <= MAX_SUMMARY_POINTS:
            continue
        if next(listing.iterancestors(_SITE_FURNITURE), None) is not None:
            continue  # the site's menu or footer ("In brief": about us; "Summary": a tab)
        points = [_text_of(item) for item in items]
        if all(word_count(point) >= MIN_SUMMARY_POINT_WORDS for point in points) and not any(
                _is_link_list_item(item) for item in items):
            return [unicodedata.normalize("NFC", point) for point in points]
    return []


def _split_blocks(text: str | None) -> list[str]:
    """Split trafilatura's text output into its paragraphs."""
    return [line.strip() for line in (text or "").split("\n") if line.strip()]


def _opened(blocks: list[str], standfirst: str | None, points: list[str]) -> list[str]:
    """The body opened by its standfirst, then the summary box's points, unless the body holds them already.

    Some sites repeat the standfirst as their first paragraph: a verbatim copy is seen without the shingle
    comparison of `merge_paragraphs`, which costs the whole text's.
    """
    if not points and standfirst is None:
        return blocks
    body_text = "\n".join(blocks)
    if any(point not in body_text for point in points):
        blocks = merge_paragraphs(blocks, points)
    if standfirst is not None and standfirst not in body_text:
        blocks = merge_paragraphs(blocks, [standfirst])  # before the points: it sits under the headline
    return blocks


def extract_page(
    body: bytes | str,
    *,
    url: str | None = None,
    headers: Mapping[str, str] | None = None,
    boilerplate: SiteBoilerplate | None = None,
) -> Extracted:
    """Extract one page's article (bytes or text in, Extracted out; no I/O, safe in a process pool)."""
    html = decode_html(body, headers) if isinstance(body, bytes) else body
    tree = _load(html)
    if tree is None:
        return _empty(url, "unparseable")
    meta = _read_meta(tree, headers, url)
    # Before trafilatura prunes the tree: the standfirst and the summary box sit outside the body.
    standfirst, points = _standfirst(tree, meta, url), _summary_points(tree)
    blocks = _opened(_body(tree, url), standfirst, points)
    if meta.live_posts:
        # A live blog's posts, declared in its JSON-LD, that the page's HTML does not show (loaded by script).
        blocks = merge_paragraphs(blocks, meta.live_posts, unanchored="end")
    title = _title(meta)
    # Several <h1>s are section headings too ("Künstlerischer Lebenslauf"): only a lone one is the headline.
    headline_h1 = meta.h1 if len(meta.h1) == 1 else ()
    candidates = (title, meta.values.get("og:title"), meta.title_tag, *headline_h1, meta.json_ld.get("headline"))
    titles = tuple(t for t in candidates if t)
    author = _author(meta)
    context = PageContext(
        titles=titles,
        authors=tuple(a.strip() for a in (author or "").split(";") if a.strip()),
        captions=meta.captions,
        links=meta.links,
        card_blurbs=meta.card_blurbs,
        boilerplate=boilerplate,
    )
    kept, removed = clean_blocks(blocks, context)
    text = "\n\n".join(kept)
    published = _first_date(meta, _PUBLISHED_KEYS, "datepublished")
    reason = _not_article_reason(url or _absolute(meta.values.get("og:url"), None), text, meta)
    return Extracted(
        url=url,
        canonical_url=_absolute(meta.canonical, url) or _absolute(meta.values.get("og:url"), url),
        title=title,
        text=text,
        author=author,
        published=published,
        modified=_first_date(meta, _MODIFIED_KEYS, "datemodified"),
        language=_language(meta.language),
        site_name=_first(meta.values.get("og:site_name"), meta.json_ld.get("publisher"),
                         meta.values.get("application-name")),
        description=_first(meta.values.get("description"), meta.values.get("og:description"),
                           meta.json_ld.get("description")),
        removed=tuple(removed),
        is_article=reason is None,
        not_article_reason=reason,
        extractor=EXTRACTOR,
        extractor_version=EXTRACTOR_VERSION,
        options=OPTIONS,
    )


# trafilatura's parser, without libxml2's limits: the depth of 256 elements and the 10 MB text node. A
# page over one loses everything after that point (a sidebar 300 <span>s deep, its article too); with
# huge_tree the depth limit is 2048.
_UNLIMITED_PARSER = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True,
                               remove_pis=True, huge_tree=True)


def _load(html: str) -> Any:
    """trafilatura's tree of a page (load_html), parsed again without libxml2's limits when it met one."""
    tree = load_html(html)
    # The log of the last parse by trafilatura's parser: this page's, one page at a time per process (the
    # pool's workers); threads sharing the parser could read another's. A page within the limits is parsed once.
    if not any(error.type_name == "ERR_RESOURCE_LIMIT" for error in HTML_PARSER.error_log):
        return tree
    repaired = repair_faulty_html(html, html[:50].lower())
    try:
        try:
            unlimited = fromstring(repaired, parser=_UNLIMITED_PARSER)
        except ValueError:  # a str with an encoding declaration: lxml takes it as bytes, as load_html does
            unlimited = fromstring(repaired.encode("utf-8", "surrogatepass"), parser=_UNLIMITED_PARSER)
    except etree.LxmlError:  # the first parse stands
        return tree
    return unlimited if unlimited is not None and len(unlimited) else tree


def _body(tree: Any, url: str | None) -> list[str]:
    """trafilatura's article paragraphs: its full cascade, or its fast path unless that text is short.

    trafilatura prunes the tree it is given: the tree is not read after this (the fast path's first
    run gets a copy, since the cascade may need the tree again).
    """
    if FULL_CASCADE_BELOW_CHARS is None:
        return _trafilatura(tree, url, fast=False)
    blocks = _trafilatura(copy(tree), url, fast=True)
    if sum(len(b) + 1 for b in blocks) < FULL_CASCADE_BELOW_CHARS:
        blocks = _trafilatura(tree, url, fast=False)
    return blocks


# trafilatura's cascade runs its main extractor, then compares the result with its readability and
# jusText ports and keeps one of them whole. The hook below notes the main extractor's own result on
# its way into that comparison (the first one of a page: a later recall retry compares again), so that
# paragraphs only the main extractor found are not lost when a fallback's text replaces it.
_cascade = threading.local()


def _noting_compare_extraction(cleaned_tree: Any, raw_tree: Any, body: Any, text: str, options: Any) -> Any:
    """trafilatura's compare_extraction, noting the main extractor's body first (see above)."""
    if getattr(_cascade, "noting", False) and _cascade.main is None:  # only inside _trafilatura below
        _cascade.main = body
    return _compare_extraction(cleaned_tree, raw_tree, body, text, options)


trafilatura.core.compare_extraction = _noting_compare_extraction  # type: ignore[attr-defined]


def _options(url: str | None, *, fast: bool) -> Extractor:
    """The trafilatura options bare_extraction builds from TRAFILATURA_OPTIONS (without metadata, as text).

    A copy of one built without the URL, the URL set as Extractor sets it: building one reads eight
    values through ConfigParser (half a millisecond, a point of our overhead on every page).
    """
    options = copy(_options_without_url(fast, tuple(TRAFILATURA_OPTIONS[key] for key in _EXTRACTOR_KEYS)))
    options.url = url
    options.source = url and url.encode("utf-8", "replace").decode("utf-8")
    return options


# The TRAFILATURA_OPTIONS that Extractor takes, in _options_without_url's order.
_EXTRACTOR_KEYS = ("include_comments", "include_tables", "include_images", "deduplicate", "favor_precision",
                   "favor_recall")


@lru_cache(maxsize=8)
def _options_without_url(fast: bool, values: tuple[bool, ...]) -> Extractor:
    """The Extractor for these options (_EXTRACTOR_KEYS' values) and no URL (cached: trafilatura copies one before
    it changes it)."""
    comments, tables, images, dedup, precision, recall = values
    return Extractor(output_format="python", fast=fast, with_metadata=False, comments=comments, tables=tables,
                     images=images, dedup=dedup, precision=precision, recall=recall)


def _extract(tree: Any, options: Extractor) -> tuple[Any, str] | None:
    """trafilatura.bare_extraction's body and text for these options, on the tree itself rather than on a copy.

    bare_extraction copies a tree it is given (2 % of the extraction's CPU) because it prunes it; the
    page's tree is ours and not read again, so its steps for our options (no metadata, language or
    deduplication) run here on the tree, in its order: the cascade, the size checks, the text.
    tests/test_extract.py checks that the text is bare_extraction's.
    """
    try:
        body, text, _, comments = trafilatura.core.trafilatura_sequence(tree, options, options.url)
        if options.max_tree_size and len(body) > options.max_tree_size:
            etree.strip_tags(body, "hi")
            if len(body) > options.max_tree_size:
                return None
        if len(text) < options.min_output_size and len(comments) < options.min_output_comm_size:
            return None
    except (TypeError, ValueError):  # what bare_extraction turns into "nothing found"
        return None
    return body, str(xmltotxt(body, options.formatting))


def _trafilatura(tree: Any, url: str | None, *, fast: bool) -> list[str]:
    """Run trafilatura on a parsed page (which it prunes); return its paragraphs."""
    _cascade.main, _cascade.noting = None, True
    try:
        found = _extract(tree, _options(url, fast=fast))
        main = _cascade.main
    finally:
        _cascade.main, _cascade.noting = None, False
    if found is None:
        return []  # trafilatura found nothing it would return; its main extractor's draft is not revived
    body, text = found
    # NFC, as trafilatura.extract returns its text: canonically equal texts compare and hash equal.
    blocks = _split_blocks(unicodedata.normalize("NFC", text))
    if main is None or main is body:
        return blocks
    own = _split_blocks(unicodedata.normalize("NFC", xmltotxt(main, include_formatting=False)))
    return merge_paragraphs(blocks, own)


def _empty(url: str | None, reason: str) -> Extracted:
    """Return the result for a page with nothing to extract."""
    return Extracted(
        url=url, canonical_url=None, title=None, text="", author=None, published=None, modified=None,
        language=None, site_name=None, description=None, removed=(), is_article=False,
        not_article_reason=reason, extractor=EXTRACTOR, extractor_version=EXTRACTOR_VERSION, options=OPTIONS,
    )


def apply_site_boilerplate(extracted: Extracted, model: SiteBoilerplate) -> Extracted:
    """Drop the paragraphs a site's boilerplate model recognises, recording each removal.

    The pipeline calls this at store time, in feed order, with the counts of every earlier article of
    the site, so the result does not depend on which pages happened to be extracted concurrently.
    """
    kept: list[str] = []
    dropped: list[Removed] = []
    for block in extracted.text.split("\n\n"):
        if block and len(block) <= MAX_BLOCK_CHARS and model.is_boilerplate(block_key(block)):
            dropped.append(Removed(text=block, why="site_boilerplate"))
        else:
            kept.append(block)
    if not dropped:
        return extracted
    return replace(extracted, text="\n\n".join(kept), removed=(*extracted.removed, *dropped))


def boilerplate_keys(extracted: Extracted) -> list[str]:
    """Return the block keys to count for a site: the text's and those removed as site boilerplate."""
    # Counting the removed boilerplate too keeps its share stable once it is being removed.
    keys = block_keys(extracted.text)
    for item in extracted.removed:
        if item.why == "site_boilerplate":
            keys.extend(k for k in block_keys(item.text) if k not in keys)
    return keys

