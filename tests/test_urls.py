"""Canonical URLs (the identity of an article link) and the outlet a URL belongs to."""

from __future__ import annotations

import pytest

from ingest.urls import canonical_url, mask_secrets, mask_url, site_of


class TestCanonicalUrl:
    """canonical_url: one spelling per article."""

    @pytest.mark.parametrize(
        "param",
        ["utm_source=rss", "utm_medium=feed", "utm_campaign=x", "utm_content=y", "utm_term=z", "utm_id=1",
         "UTM_Source=rss", "fbclid=IwAR0abc", "gclid=EAIaIQ", "mc_cid=1234", "mc_eid=abcd", "mc_tc=1",
         "xtor=RSS-3208", "at_medium=feed"],
    )
    def test_tracking_parameter_removed(self, param: str) -> None:
        """A tracking parameter is dropped and the article's own parameter kept."""
        assert canonical_url(f"https://example.org/a?id=7&{param}") == "https://example.org/a?id=7"

    def test_only_trackers_leaves_no_query(self) -> None:
        """When every parameter is a tracker the URL has no '?' left."""
        url = "https://example.org/news/1.html?utm_source=rss&utm_medium=feed&fbclid=x&gclid=y&mc_cid=z"
        assert canonical_url(url) == "https://example.org/news/1.html"

    def test_fragment_removed(self) -> None:
        """The fragment, including a hash-bang route, is not part of the identity."""
        assert canonical_url("https://example.org/a.html#comments") == "https://example.org/a.html"
        assert canonical_url("https://example.org/a?id=1#top") == "https://example.org/a?id=1"

    def test_scheme_and_host_lowercased_path_kept(self) -> None:
        """Scheme and host are case-insensitive and lowercased; the path keeps its case."""
        assert canonical_url("HTTPS://Example.ORG/News/Story") == "https://example.org/News/Story"

    def test_default_port_removed(self) -> None:
        """:80 on http and :443 on https are dropped; any other port stays."""
        assert canonical_url("http://example.org:80/a") == "http://example.org/a"
        assert canonical_url("https://example.org:443/a") == "https://example.org/a"
        assert canonical_url("http://example.org:8080/a") == "http://example.org:8080/a"

    def test_query_order_stable(self) -> None:
        """Parameter order does not change the identity: both orders give the same sorted query."""
        first = canonical_url("https://example.org/a?b=2&a=1&c=3")
        second = canonical_url("https://example.org/a?c=3&a=1&b=2")
        assert first == second == "https://example.org/a?a=1&b=2&c=3"

    def test_other_parameters_kept(self) -> None:
        """Parameters that select the content (id, page, lang) survive, values unchanged."""
        url = "https://example.org/article.php?id=42&page=2&lang=fr&utm_source=x"
        assert canonical_url(url) == "https://example.org/article.php?id=42&lang=fr&page=2"

    def test_encoded_values_kept(self) -> None:
        """Percent-encoded reserved characters in a value are not decoded into separators."""
        assert canonical_url("https://example.org/s?q=a%26b&x=1") == "https://example.org/s?q=a%26b&x=1"

    def test_empty_path_becomes_slash(self) -> None:
        """A bare host and the same host with '/' are one URL."""
        assert canonical_url("https://example.org") == canonical_url("https://example.org/") == "https://example.org/"

    def test_whitespace_stripped(self) -> None:
        """Whitespace around a link from a feed is ignored."""
        assert canonical_url("  https://example.org/a\n") == "https://example.org/a"

    def test_idempotent(self) -> None:
        """Canonicalising a canonical URL changes nothing."""
        once = canonical_url("HTTP://Example.org:80/a/b?z=1&utm_source=x&a=2#f")
        assert canonical_url(once) == once

    def test_tracked_and_clean_links_are_one_article(self) -> None:
        """The feed's tracked link and the page's clean link have the same identity."""
        tracked = "https://www.example.org/world/story.html?utm_source=rss&utm_medium=feed#top"
        assert canonical_url(tracked) == canonical_url("https://www.example.org/world/story.html")


class TestSiteOf:
    """site_of: the outlet a page belongs to."""

    def test_host_without_www(self) -> None:
        """The host, lowercased, without a leading www."""
        assert site_of("https://WWW.Example.org/a/b?x=1") == "example.org"

    def test_subdomains_are_distinct(self) -> None:
        """Only www is stripped: other subdomains are other outlets."""
        assert site_of("https://news.example.org/a") == "news.example.org"

    def test_port_kept_unless_default(self) -> None:
        """A non-default port is part of the site; a default one is not."""
        assert site_of("http://127.0.0.1:18765/herald/a.html") == "127.0.0.1:18765"
        assert site_of("https://example.org:443/a") == "example.org"
        assert site_of("http://example.org:80/a") == "example.org"

    def test_bad_port_or_no_host(self) -> None:
        """A malformed port is ignored and a URL without a host gives an empty site, never an exception."""
        assert site_of("http://example.org:abc/") == "example.org"
        assert site_of("not a url") == ""


class TestHostileLinks:
    """canonical_url and site_of on links nobody here wrote."""

    def test_parameter_named_like_an_html_entity(self) -> None:
        """`&region=`, `&copy=`, `&para=` stay parameters (courlan used to HTML-unescape them to ®ion=, ©=)."""
        assert canonical_url("https://example.org/a?id=1&region=eu") == "https://example.org/a?id=1&region=eu"
        assert canonical_url("https://example.org/a?region=eu&id=1") == "https://example.org/a?id=1&region=eu"
        assert canonical_url("https://example.org/a?x=1&copy=2&para=3") == "https://example.org/a?copy=2&para=3&x=1"

    def test_unbalanced_bracket(self) -> None:
        """A `[` in the host is no exception: the link, without its fragment, is its own identity and site ''."""
        assert canonical_url(" http://example.c[o.test/x#top ") == "http://example.c[o.test/x"
        assert site_of("http://example.c[o.test/x") == ""

    def test_credentials_not_part_of_identity(self) -> None:
        """user:password@ is dropped from the canonical URL (and was lowercased into it before)."""
        assert canonical_url("https://Reader:PaSS@Example.org/a") == "https://example.org/a"


class TestMaskUrl:
    """mask_url and mask_secrets: passwords in URLs rendered as ***."""

    @pytest.mark.parametrize(
        ("url", "masked"),
        [
            ("http://user:pw@host/feed.xml", "http://user:***@host/feed.xml"),
            ("http://user:p@ss@host/feed.xml", "http://user:***@host/feed.xml"),
            ("http://user@host/feed.xml", "http://***@host/feed.xml"),  # a lone userinfo is often a token
            ("http://host:8080/a@b", "http://host:8080/a@b"),
            ("postgresql+psycopg//user:pw@host/db", "postgresql+psycopg//user:***@host/db"),
            ("user:pw@host/db", "user:***@host/db"),
        ],
    )
    def test_password_only(self, url: str, masked: str) -> None:
        """Only the password goes, up to the authority's last `@`."""
        assert mask_url(url) == masked

    def test_in_a_message(self) -> None:
        """Every URL after `//` in a free text is masked; the rest of the text is untouched."""
        message = "GET http://a:x@one.example/f failed, then postgresql+psycopg//b:y@two/db: refused"
        assert mask_secrets(message) == (
            "GET http://a:***@one.example/f failed, then postgresql+psycopg//b:***@two/db: refused"
        )
        assert mask_secrets("no credentials at 12:00 @home") == "no credentials at 12:00 @home"
