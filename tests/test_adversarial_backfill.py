"""Adversarial input for `wirefeed backfill`: URL lists, sitemaps and WARC files nobody here wrote."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import pytest

from ingest.backfill.sitemaps import SitemapError, parse_sitemap
from ingest.backfill.urllist import parse_url_list
from tests.cli_process import in_process as wirefeed
from tests.cli_process import isolate


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No WIREFEED_* variable from the shell, and a scratch working directory."""
    isolate(monkeypatch, tmp_path)


class TestUrlListRecords:
    """JSONL records that are valid JSON but hold what Python or the database cannot take."""

    def test_a_5000_digit_number_is_a_junk_line(self) -> None:
        """A number longer than Python converts is one junk line; the next line is read."""
        parsed = parse_url_list(['{"url": "https://example.org/a", "published": ' + "9" * 5000 + "}\n",
                                 "https://example.org/b\n"])
        assert [e.url for e in parsed.entries] == ["https://example.org/b"]
        assert [(j.line, j.reason) for j in parsed.junk_lines] == [(1, "a number of more than 4,300 digits")]

    def test_lone_surrogates(self) -> None:
        """A lone surrogate in the URL or the feed makes the line junk; in the title it becomes U+FFFD."""
        parsed = parse_url_list([
            '{"url": "https://example.org/a\\ud800"}\n',
            '{"url": "https://example.org/b", "feed": "https://example.org/rss\\udfff"}\n',
            '{"url": "https://example.org/c", "title": "Ferry \\ud800 news"}\n',
        ])
        assert [(e.url, e.title) for e in parsed.entries] == [("https://example.org/c", "Ferry \ufffd news")]
        assert [(j.line, j.reason) for j in parsed.junk_lines] == [
            (1, "a lone surrogate (\\ud800-\\udfff) in a URL"), (2, "a lone surrogate (\\ud800-\\udfff) in a URL")]

    def test_backfill_of_a_hostile_list_finishes(self, tmp_path: Path) -> None:
        """`backfill --urls` over such lines counts them as junk and exits 0 (it was an internal error)."""
        listing = tmp_path / "urls.txt"
        listing.write_text(
            '{"url": "http://127.0.0.1:9/a", "feed": "http://127.0.0.1:9/rss\\ud800"}\n'
            '{"url": "http://127.0.0.1:9/b", "published": ' + "9" * 5000 + "}\n", encoding="utf-8")
        result = wirefeed("--db", f"sqlite:///{tmp_path}/b.db", "backfill", "--urls", str(listing), "--no-progress")
        assert result.code == 0, result.err
        assert "internal" not in result.err
        assert "junk lines 2" in result.out


ARTICLE = (
    "<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    "<p>The harbour authority said on {day} that the new ferry terminal would open in spring after two years "
    "of building work and delays at the east quay.</p><p>Officials expect the terminal to handle two million "
    "passengers a year on {day}, doubling the capacity of the old building.</p></article></body></html>"
)


def article(title: str, day: str) -> bytes:
    """An article page whose text differs by `day` (so two of them are not one story's exact copies)."""
    return ARTICLE.format(title=title, day=day).encode()


def warc_record(uri: bytes, body: bytes, headers: bytes = b"Content-Type: text/html; charset=utf-8\r\n",
                length: bytes | None = None) -> bytes:
    """One gzipped WARC response record, its Content-Length given or true."""
    payload = b"HTTP/1.1 200 OK\r\n" + headers + b"\r\n" + body
    head = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:%d>\r\nWARC-Target-URI: %s\r\n"
            b"WARC-Date: 2024-05-01T08:00:00Z\r\nContent-Type: application/http; msgtype=response\r\n"
            b"Content-Length: %s\r\n\r\n" % (abs(hash(uri)), uri, length or str(len(payload)).encode()))
    return gzip.compress(head + payload + b"\r\n\r\n")


def articles(db: Path) -> dict[str, str]:
    """The stored articles' URLs and statuses."""
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT url, status FROM articles").fetchall())


@pytest.fixture
def one_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """One extraction worker: these files hold a page or two."""
    monkeypatch.setenv("WIREFEED_EXTRACT__WORKERS", "1")


@pytest.mark.usefixtures("one_worker")
class TestWarcRecords:
    """WARC records nobody here wrote, each beside a healthy one."""

    def test_gzip_bomb_payload_is_skipped_at_the_size_cap(self, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
        """A 3 MB gzip-encoded payload over `[fetch] max_bytes` (1 MB) is skipped and counted, never held whole."""
        monkeypatch.setenv("WIREFEED_FETCH__MAX_BYTES", str(1 << 20))
        bomb = gzip.compress(b"<html><body><p>" + b"a" * (3 << 20) + b"</p></body></html>")
        warc = tmp_path / "bomb.warc.gz"
        encoded = b"Content-Type: text/html\r\nContent-Encoding: gzip\r\n"
        warc.write_bytes(
            warc_record(b"http://news.example/bomb.html", bomb, encoded)
            + warc_record(b"http://news.example/good.html", article("Ferry", "Monday")))
        result = wirefeed("--db", str(tmp_path / "w.db"), "backfill", "--warc", str(warc), "--no-progress")
        assert result.code == 0, result.err
        assert "WARC responses over [fetch] max_bytes skipped 1" in result.out
        assert articles(tmp_path / "w.db") == {"http://news.example/good.html": "ok"}

    def test_content_length_beyond_any_index_is_damage(self, tmp_path: Path) -> None:
        """A Content-Length of 23 digits is the file's damage at that record, said in one line (it was internal)."""
        warc = tmp_path / "cl.warc.gz"
        warc.write_bytes(warc_record(b"http://news.example/a.html", article("Ferry", "Monday"),
                                     length=b"99999999999999999999999"))
        result = wirefeed("--db", str(tmp_path / "w.db"), "backfill", "--warc", str(warc), "--no-progress")
        assert result.code == 1
        assert "internal" not in result.err
        assert "damaged at record 1 (byte offset 0): Content-Length out of range" in result.out

    def test_iri_target_is_stored_percent_encoded(self, tmp_path: Path) -> None:
        """A target URI with raw non-ASCII bytes (WARC 1.1 allows IRIs) is stored as its URI (it failed to archive)."""
        warc = tmp_path / "iri.warc.gz"
        warc.write_bytes(warc_record("http://bücher.example/café.html".encode(), article("Café", "Tuesday"))
                         + warc_record(b"http://news.example/latin\xe9.html", article("Latin", "Friday"))
                         + warc_record(b"http://news.example/good.html", article("Ferry", "Monday")))
        result = wirefeed("--db", str(tmp_path / "w.db"), "backfill", "--warc", str(warc), "--no-progress")
        assert result.code == 0, result.err
        assert articles(tmp_path / "w.db") == {
            "http://xn--bcher-kva.example/caf%C3%A9.html": "ok",
            "http://news.example/latin%C3%A9.html": "ok",
            "http://news.example/good.html": "ok",
        }


    # (warcio reads no HTTP headers for a target of another scheme, or none: those are no responses at all.)
    @pytest.mark.parametrize("target", [b"http://[::1/x.html", b"http://news.example:99999/x.html", b"https:///x.html",
                                        b"http://xn--/x.html"])
    def test_target_that_is_no_http_url_is_skipped(self, tmp_path: Path, target: bytes) -> None:
        """A response whose target is no http(s) URL is an unusable record, counted (it was stored as an article)."""
        warc = tmp_path / "bad-target.warc.gz"
        warc.write_bytes(warc_record(target, article("Bridge", "Tuesday"))
                         + warc_record(b"http://news.example/good.html", article("Ferry", "Monday")))
        result = wirefeed("--db", str(tmp_path / "w.db"), "backfill", "--warc", str(warc), "--no-progress")
        assert result.code == 0, result.err
        assert articles(tmp_path / "w.db") == {"http://news.example/good.html": "ok"}
        assert "unreadable WARC records skipped 1" in result.out + result.err


class TestSitemapArguments:
    """`--sitemap` values no client can request: each is the run's source error, said in one line."""

    @pytest.mark.parametrize(("url", "reason"), [("http://[::1", "Invalid IPv6 URL"),
                                                 ("http://[::1/", "Invalid IPv6 URL"),
                                                 ("http://xn--/sitemap.xml", "Malformed A-label")])
    def test_unrequestable_sitemap_is_a_source_error(self, tmp_path: Path, url: str, reason: str) -> None:
        """The run ends with exit 1 and the sitemap's invalid_url error (it was an internal error)."""
        result = wirefeed("--db", str(tmp_path / "s.db"), "backfill", "--sitemap", url, "--no-progress")
        assert result.code == 1
        assert "internal" not in result.err
        assert f"error: sitemap {url}: invalid_url: cannot request" in result.out
        assert reason in result.out


class TestSitemapBodies:
    """Sitemap bodies nobody here wrote: only SitemapError comes out of parsing."""

    def test_unknown_encoding_declared(self) -> None:
        """`<?xml encoding="x-nope"?>` is an unreadable sitemap (LookupError escaped and ended the backfill)."""
        body = b'<?xml version="1.0" encoding="x-nope"?><urlset><url><loc>http://a.example/x</loc></url></urlset>'
        with pytest.raises(SitemapError, match="not readable XML: unknown encoding: x-nope"):
            parse_sitemap("http://a.example/sitemap.xml", body)
