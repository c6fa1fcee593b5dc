"""Adversarial arguments and files for the subscription commands: what no poll could ever fetch is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from tests.cli_process import in_process as wirefeed
from tests.cli_process import isolate
from tests.world import HostedOutlet, HostedWorld


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No WIREFEED_* variable from the shell, and a scratch working directory."""
    isolate(monkeypatch, tmp_path)


def subscribed(db: str) -> list[str]:
    """The URLs of the subscribed feeds."""
    return [feed["url"] for feed in json.loads(wirefeed("--db", db, "feeds", "list", "--json").out)]


UNREQUESTABLE = [("http://news.example:99999/rss", "Port out of range"),
                 ("http://xn--/rss", "Malformed A-label")]


class TestFeedsAdd:
    """`feeds add` of a URL that parses but can never be requested."""

    @pytest.mark.parametrize(("url", "reason"), UNREQUESTABLE)
    def test_refused_with_its_reason(self, tmp_path: Path, url: str, reason: str) -> None:
        """It is a usage error naming the URL and why; nothing is subscribed (it was, to fail on every poll)."""
        db = f"sqlite:///{tmp_path}/f.db"
        result = wirefeed("--db", db, "feeds", "add", "--no-discover", url)
        assert result.code == 2
        assert f"wirefeed: error: not a URL: {url!r} (" in result.err
        assert reason in result.err
        assert subscribed(db) == []


class TestFeedsImport:
    """`feeds import` of OPML files nobody here wrote."""

    def test_unrequestable_outlines_are_skipped(self, tmp_path: Path) -> None:
        """Such outlines are skipped and named; the good one is subscribed."""
        opml = tmp_path / "subs.opml"
        outlines = "".join(f'<outline xmlUrl="{url}"/>' for url, _ in UNREQUESTABLE)
        opml.write_text(f'<opml><body>{outlines}<outline xmlUrl="http://news.example/rss"/></body></opml>')
        db = f"sqlite:///{tmp_path}/f.db"
        result = wirefeed("--db", db, "feeds", "import", str(opml))
        assert result.code == 0, result.err
        assert "2 skipped" in result.out
        skipped = [line for line in result.err.splitlines() if line.startswith("wirefeed: skipped: not a URL: ")]
        assert len(skipped) == 2
        for (url, reason), line in zip(UNREQUESTABLE, skipped, strict=True):
            assert repr(url) in line
            assert reason in line
        assert subscribed(db) == ["http://news.example/rss"]

    def test_unknown_encoding_declared(self, tmp_path: Path) -> None:
        """`<?xml encoding="x-nope"?>` is one error line, exit 1 (LookupError was an internal error)."""
        opml = tmp_path / "subs.opml"
        opml.write_bytes(b'<?xml version="1.0" encoding="x-nope"?><opml><body>'
                         b'<outline xmlUrl="http://news.example/rss"/></body></opml>')
        result = wirefeed("--db", f"sqlite:///{tmp_path}/f.db", "feeds", "import", str(opml))
        assert result.code == 1
        assert result.err.strip() == "wirefeed: error: not a readable OPML file: unknown encoding: x-nope"


class TestInMemoryDatabase:
    """An in-memory SQLite URL: `init` said "database ready" and kept nothing; `ingest` failed on a missing table."""

    @pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://", "sqlite:///", "sqlite+pysqlite:///:memory:"])
    @pytest.mark.parametrize("command", [["init"], ["ingest"], ["stats"]])
    def test_refused_in_one_line(self, url: str, command: list[str]) -> None:
        """Each command refuses it in one line naming the URL and why, exit 1."""
        result = wirefeed("--db", url, *command)
        assert result.code == 1
        assert result.err.strip().splitlines() == [
            f"wirefeed: error: cannot use database URL {url!r} (--db): an in-memory SQLite database keeps nothing "
            "once the command ends; use sqlite:///relative/path.db, sqlite:////absolute/path.db, a file path, or "
            "postgresql://HOST/DBNAME (user and password before the host)"]

    def test_refused_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The same from WIREFEED_DATABASE__URL, named as where it came from."""
        monkeypatch.setenv("WIREFEED_DATABASE__URL", "sqlite://")
        result = wirefeed("init")
        assert result.code == 1
        assert "an in-memory SQLite database keeps nothing" in result.err


@pytest.fixture
def site() -> Iterator[HostedOutlet]:
    """A home page server on a loopback address of its own."""
    with HostedWorld(home="127.97.1.1") as world:
        yield cast(HostedOutlet, world["home"])


class TestFeedDiscovery:
    """`feeds add` of home pages announcing feeds no poll could fetch."""

    def test_unusable_announcements_are_passed_over(self, site: HostedOutlet, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
        """`http://[::1/feed` raised out of the command (nothing was added); `xn--`, a bad port, `javascript:`
        and a blank href are passed over for the next announced feed, or the page is added as given."""
        monkeypatch.setenv("WIREFEED_FETCH__ALLOWED_NETWORKS", '["127.97.0.0/16"]')
        alternate = '<link rel="alternate" type="application/rss+xml" href="{}">'
        site.static("/a.html", "<html><head>" + "".join(alternate.format(href) for href in (
            "http://[::1/feed", "http://xn--/feed", "http://news.example:99999/feed", "/good.xml")) + "</head></html>")
        site.static("/b.html", "<html><head>" + "".join(alternate.format(href) for href in (
            "javascript:alert(1)", "   ")) + "</head></html>")
        db = f"sqlite:///{tmp_path}/d.db"
        result = wirefeed("--db", db, "feeds", "add", "--force", site.url("/a.html"), site.url("/b.html"))
        assert result.code == 0, result.err
        assert subscribed(db) == [site.url("/good.xml"), site.url("/b.html")]
        assert f"added: {site.url('/b.html')} (warning: an HTML page that announces no feed)" in result.out


class TestUndecodableArguments:
    """Arguments with bytes that are not UTF-8 (a Latin-1 terminal): Python hands them over as lone surrogates."""

    @pytest.mark.parametrize("command", ["enable", "disable", "remove"])
    def test_feed_url_is_not_subscribed(self, tmp_path: Path, command: str) -> None:
        """`feeds remove http://a.example/\\xff` is "not subscribed" (the query raised UnicodeEncodeError)."""
        db = f"sqlite:///{tmp_path}/f.db"
        assert wirefeed("--db", db, "init").code == 0
        result = wirefeed("--db", db, "feeds", command, "http://a.example/\udcff")
        assert result.code == 2
        assert result.err.strip() == ("wirefeed: error: not subscribed: http://a.example/\udcff "
                                      "(see `wirefeed feeds list`)")

    @pytest.mark.parametrize("form", ["{}/\udcff.db", "sqlite:///{}/\udcff.db"])
    def test_database_name(self, tmp_path: Path, form: str) -> None:
        """A --db path or URL with such bytes is a usage error saying so (it was an internal error)."""
        result = wirefeed("--db", form.format(tmp_path), "init")
        assert result.code == 2
        assert "holds bytes that are not UTF-8; name the database with a UTF-8 path or URL" in result.err
        assert "internal" not in result.err


class TestEmptyWindow:
    """--since at or after --until: a window that holds nothing."""

    @pytest.mark.parametrize(
        "command",
        [["stories"], ["export", "-o", "out.jsonl"], ["backfill", "--warc", "pages.warc.gz"]],
    )
    def test_usage_error_naming_both(self, tmp_path: Path, command: list[str]) -> None:
        """It is a usage error naming both times (it was an empty answer, as if nothing had been stored)."""
        (tmp_path / "pages.warc.gz").write_bytes(b"")
        db = f"sqlite:///{tmp_path}/w.db"
        result = wirefeed("--db", db, *command, "--since", "2026-11-20", "--until", "2026-11-19")
        assert result.code == 2
        assert "--since (2026-11-20T00:00:00+00:00) is not before --until (2026-11-19T00:00:00+00:00)" in result.err
        assert not (tmp_path / "out.jsonl").exists()

    def test_a_window_in_order_still_answers(self, tmp_path: Path) -> None:
        """The check refuses only empty windows."""
        db = f"sqlite:///{tmp_path}/w.db"
        assert wirefeed("--db", db, "init").code == 0
        result = wirefeed("--db", db, "stories", "--since", "2026-11-19", "--until", "2026-11-20")
        assert result.code == 0
        assert "no stories" in result.out
