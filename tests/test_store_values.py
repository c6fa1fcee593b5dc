"""Values from outside that PostgreSQL refuses (NUL, over-long strings) cost nothing: the store keeps what fits."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from ingest.cli.app import main
from ingest.feeds.parse import parse_feed
from store import repo
from store.db import Store
from store.models import Article, BackfillItem, BackfillRun, Feed, FeedItem, FetchLog, SiteStat, Story
from tests.world import Request, World, json_events, page, rss

# trafilatura probes urllib3's optional SOCKS support on import, which warns when PySocks is absent.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.DependencyWarning")

RSS = "application/rss+xml"
LONG_HOST = ("a" * 60 + ".") * 5 + "test"  # 305 characters: more than articles.site holds (255)
LONG_GUID = "G" * 10_000
LONG_ETAG = '"' + "e" * 3000 + '"'  # feeds.etag holds 1,024
LONG_LAST_MODIFIED = "L" * 300  # feeds.last_modified holds 256
WORDS = " ".join([
    "council harbour budget river tramway library orchestra bridge vineyard market stadium ferry museum school",
    "hospital station mayor residents committee engineers workers farmers teachers nurses drivers students",
    "announced reported approved rejected delayed opened closed repaired expanded reviewed funded measured",
    "the new old local regional national northern southern plan project report survey contract agreement",
]).split()


def text(seed: int) -> list[str]:
    """Four paragraphs of their own for one page."""
    rng = random.Random(seed)
    return [
        " ".join(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 16))).capitalize() + "." for _ in range(3)
        )
        for _ in range(4)
    ]


class TestSafeColumns:
    """Every string column stores any str: NUL characters dropped, cut to the column's length."""

    def test_same_ddl_as_plain_strings(self) -> None:
        """The safe types render the DDL of String(n) and Text, so no migration is needed."""
        ddl = str(CreateTable(Feed.__table__).compile(dialect=postgresql.dialect()))  # type: ignore[arg-type,no-untyped-call]
        assert "url VARCHAR(2048) NOT NULL" in ddl
        assert "etag VARCHAR(1024)" in ddl
        assert "title TEXT" in ddl

    def test_repo_writes_keep_what_fits(self, store: Store) -> None:
        """NUL in any text and over-long values written through repo functions are stored cleaned and cut."""
        now = datetime.now(UTC)
        feed_url = "http://feeds.test/nul\x00.xml"
        with store.session() as s:
            assert repo.add_feed(s, feed_url, title="chan\x00title")
            feed_id = repo.feed_by_url(s, feed_url).id  # type: ignore[union-attr]  # the lookup is cleaned too
            repo.update_feeds(s, [(feed_id, {"etag": LONG_ETAG, "last_modified": LONG_LAST_MODIFIED,
                                             "last_error": "bad\x00error", "last_error_kind": "k" * 40})])
            repo.log_fetches(s, [{"feed_id": feed_id, "started_at": now, "duration_ms": 1, "status": 200,
                                  "outcome": "o\x00k", "error": "e\x00", "bytes": 0, "items_new": 0}])
            article_id = repo.insert_article(s, {
                "canonical_url": f"http://{LONG_HOST}/x", "url": f"http://{LONG_HOST}/x\x00", "site": LONG_HOST,
                "guid": "g\x00uid", "title": "a\x00b", "text": "body\x00text", "fetched": now, "status": "ok",
                "attempts": 1, "language": "e\x00n",
            })
            assert article_id is not None
            repo.record_item(s, feed_id, {"guid": "g\x00uid", "url": "http://x.test/\x00", "canonical_url": None,
                                          "title": "t\x00", "published": None}, article_id)
            repo.record_items(s, [{"feed_id": feed_id, "guid": "L" * 3000, "url": None, "canonical_url": None,
                                   "title": None, "published": None}])
            repo.count_site_blocks(s, LONG_HOST, ["b" * 64])
            repo.join_story(s, story_id="s1", article_id=article_id, title="story\x00title", relation="original",
                            duplicate_of=None, score=1.0, agency="AP\x00" + "x" * 40, seq=1, new_story_dated=now)
            run = repo.insert_ignore(s, BackfillRun, [{"key": "k", "args": {}, "started_at": now, "position": 0}],
                                     ["key"])
            assert run == 1
            run_id = s.scalars(select(BackfillRun.id)).one()
            repo.insert_ignore(s, BackfillItem, [{"run_id": run_id, "item_key": "u" * 5000, "outcome": "stored",
                                                  "error": "x\x00"}], ["run_id", "item_key"])
        with store.session() as s:
            feed = s.get(Feed, feed_id)
            assert feed is not None
            assert (feed.url, feed.title) == ("http://feeds.test/nul.xml", "chantitle")
            assert (feed.etag, feed.last_modified) == (LONG_ETAG[:1024], LONG_LAST_MODIFIED[:256])
            assert (feed.last_error, feed.last_error_kind) == ("baderror", "k" * 32)
            log = s.scalars(select(FetchLog)).one()
            assert (log.outcome, log.error) == ("ok", "e")
            article = s.get(Article, article_id)
            assert article is not None
            assert (article.url, article.site, article.guid, article.title, article.text, article.language) == (
                f"http://{LONG_HOST}/x", LONG_HOST[:255], "guid", "ab", "bodytext", "en")
            assert {(i.guid, i.url, i.title) for i in s.scalars(select(FeedItem))} == {
                ("guid", "http://x.test/", "t"), ("L" * 2048, None, None)}
            assert s.scalars(select(SiteStat.site)).one() == LONG_HOST[:255]
            story = s.get(Story, "s1")
            assert story is not None
            assert (story.title, story.agency) == ("storytitle", ("AP" + "x" * 40)[:32])
            assert s.scalars(select(BackfillItem.item_key)).one() == "u" * 2048


class TestFeedIdentities:
    """GUIDs are made to fit the store without ever making two items one."""

    def test_long_guid_is_its_hash_on_every_parse(self) -> None:
        """A GUID over 1,000 characters becomes sha1:<hex> of itself; two long GUIDs stay two."""
        other = LONG_GUID[:-1] + "H"
        body = rss("F", [{"title": "a", "link": "http://x.test/a", "guid": LONG_GUID},
                         {"title": "b", "link": "http://x.test/b", "guid": other}]).encode()
        first = [i.guid for i in parse_feed("http://x.test/f.xml", body).items]
        again = [i.guid for i in parse_feed("http://x.test/f.xml", body).items]
        assert first == again == ["sha1:" + hashlib.sha1(g.encode()).hexdigest() for g in (LONG_GUID, other)]

    def test_nul_and_empty_guids(self) -> None:
        """NUL is dropped from a GUID (as the store would); a GUID of NUL alone falls back to the link."""
        body = rss("F", [{"title": "a", "link": "http://x.test/a", "guid": "g\x00uid"},
                         {"title": "b", "link": "http://x.test/b", "guid": "\x00"}]).encode()
        assert [i.guid for i in parse_feed("http://x.test/f.xml", body).items] == ["guid", "http://x.test/b"]


def serve(world: World, path: str, items: list[dict[str, str]], **headers: str) -> None:
    """Serve a feed at a path of the odd outlet, always 200 (validators not honoured), with these headers."""
    body = rss(path, items).encode()

    def route(_request: Request) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Type": RSS, **headers}, body

    world["odd"].routes[path] = route


@pytest.fixture
def world() -> Iterator[World]:
    with World("good", "odd") as w:
        yield w


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "wirefeed.toml"
    path.write_text(
        '[fetch]\nallowed_networks = ["127.0.0.0/8"]\nper_host_delay = 0\ntimeout = 10\nobey_robots = false\n'
        '[extract]\nworkers = 1\n[log]\nformat = "json"\n'
    )
    return path


class TestOddValuesThroughPasses:
    """`wirefeed ingest` over a healthy feed beside feeds whose values PostgreSQL would refuse."""

    def test_both_passes_complete(
        self, db_url: str, world: World, config: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """NUL in GUID/link/titles, a 10 KB GUID, a 305-char host, over-long validators: both passes exit 0."""
        good, odd = world["good"], world["odd"]
        healthy = []
        for k in range(2):
            good.static(f"/news/{k}.html", page(f"Good report {k}", text(k)))
            healthy.append(good.url(f"/news/{k}.html"))
        good.static("/rss.xml", rss("Good", [{"title": f"Good {k}", "link": u, "guid": f"good-{k}"}
                                             for k, u in enumerate(healthy)]), RSS)
        for k in range(5):
            odd.static(f"/p/{k}.html", page(f"Odd outlet page {k}", text(100 + k)))
        odd.static("/nul.xml", rss("chan\x00title", [
            {"title": "a\x00b", "link": odd.url("/p/0.html"), "guid": "g\x00uid-1"},
            {"title": "plain", "link": odd.url("/p/1.html\x00x"), "guid": "nul-link"},
            {"title": "long host", "link": f"http://{LONG_HOST}/x", "guid": "long-host"},
        ]), RSS)
        long_items = [{"title": "long guid", "link": odd.url("/p/2.html"), "guid": LONG_GUID}]
        serve(world, "/long.xml", long_items)
        serve(world, "/validators.xml", [{"title": "v", "link": odd.url("/p/4.html"), "guid": "v"}],
              ETag=LONG_ETAG, **{"Last-Modified": LONG_LAST_MODIFIED})
        feeds = [good.url("/rss.xml"), odd.url("/nul.xml"), odd.url("/long.xml"), odd.url("/validators.xml")]
        base = ["--config", str(config), "--db", db_url]
        assert main([*base, "feeds", "add", "--no-discover", *feeds]) == 0
        assert main([*base, "ingest", "--all"]) == 0, capsys.readouterr().err[-3000:]
        first = capsys.readouterr().err
        # A new item makes the long feed's body change: its 10 KB GUID must still be recognised as seen.
        serve(world, "/long.xml", [*long_items, {"title": "next", "link": odd.url("/p/3.html"), "guid": "next"}])
        assert main([*base, "ingest", "--all"]) == 0, capsys.readouterr().err[-3000:]
        second = capsys.readouterr().err

        store = Store(db_url)
        try:
            with store.session() as s:
                rows = {f.url: f for f in s.scalars(select(Feed))}
                stored = {a.url: a for a in s.scalars(select(Article))}
                items = {i.guid: i for i in s.scalars(select(FeedItem))}
        finally:
            store.close()
        assert {u: (stored[u].status, stored[u].error) for u in healthy} == dict.fromkeys(healthy, ("ok", None))
        for url in feeds:
            assert rows[url].last_status in (200, 304), url
            assert rows[url].last_success_at is not None, url
        # feedparser recovers the NUL feed and says so; the others are healthy.
        assert [rows[u].last_error_kind for u in feeds] == [None, "malformed", None, None]
        assert rows[odd.url("/nul.xml")].title == "chantitle"
        validators = rows[odd.url("/validators.xml")]
        assert (validators.etag, validators.last_modified) == (LONG_ETAG[:1024], LONG_LAST_MODIFIED[:256])
        assert stored[odd.url("/p/0.html")].status == stored[odd.url("/p/4.html")].status == "ok"
        assert items["guid-1"].title == "ab"
        assert {"sha1:" + hashlib.sha1(LONG_GUID.encode()).hexdigest(), "next"} <= set(items)
        # A link with NUL cannot be requested: its page is recorded as failed (the URL kept without the NUL).
        assert stored[odd.url("/p/1.htmlx")].error.startswith("invalid_url")  # type: ignore[union-attr]
        # The 305-character host cannot resolve: its page is recorded as failed, with its site cut to fit.
        failed = stored[f"http://{LONG_HOST}/x"]
        assert (failed.status, failed.site) == ("failed", LONG_HOST[:255])
        long_id = rows[odd.url("/long.xml")].id
        polls = [e["items_new"] for e in json_events(first + second)
                 if e["event"] == "feed_fetched" and e.get("feed_id") == long_id]
        assert polls == [1, 1]
        assert len(odd.hits("/p/2.html")) == 1
        assert not [e for e in json_events(first + second) if e["event"] == "internal_error"]
