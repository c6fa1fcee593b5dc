"""The pipeline end to end: real HTTP servers on 127.0.0.1, real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DataError

from config.settings import ExtractSettings, FetchSettings, Settings
from ingest.fetch.client import Response
from ingest.page_work import DedupeShape, ReadyPage, prepare_page
from ingest.pipeline import PageJob, Pipeline
from store import repo
from store.db import Store
from store.models import Article, Feed, FeedItem, FetchLog, RawPage, Story, StoryMember
from tests.world import Request, Route, World, page, rss

WIRE = [
    "GENEVA (Reuters) - Glaciers in the Swiss Alps lost four percent of their remaining volume this year, the "
    "second-worst melt on record, after a winter with little snow and a summer of repeated heat waves, "
    "scientists said on Tuesday.",
    "The Swiss glacier monitoring network said the loss was equal to about three cubic kilometres of ice, "
    "enough to cover the whole country in a layer of water 7 centimetres deep.",
    '"We are seeing small glaciers disappear entirely, and larger ones break apart into separate pieces," '
    "said Matthias Huss, who leads the network, adding that several measuring sites had to be abandoned.",
    "Scientists have warned that the Alps could lose most of their glaciers by the end of the century if "
    "greenhouse gas emissions are not cut sharply, with consequences for drinking water and hydropower.",
]
LOCAL = [
    "The Harbour Street bakery closed its doors on Saturday after 62 years, its owners said, citing the cost "
    "of flour and energy, which they said had doubled in less than three years.",
    "Customers queued around the block on the last morning to buy the bakery's rye loaves, and several "
    "brought photographs of family weddings for which the shop had baked the cakes.",
    "The owners said they would keep the recipes in the family and hoped a younger baker might one day take "
    "over the premises, which the landlord has agreed not to let for twelve months.",
]
FRENCH = [
    "La mairie de Nantes a inauguré samedi une passerelle piétonne de 180 mètres au-dessus de la Loire, après "
    "trois ans de travaux et un chantier retardé par les crues de l'hiver dernier.",
    "L'ouvrage, conçu par un cabinet rennais, doit relier le quartier de la gare à l'île de Nantes et "
    "accueillir, selon la municipalité, près de 12 000 passages par jour d'ici à l'été.",
    "Plusieurs associations de cyclistes regrettent toutefois que la passerelle soit interdite aux vélos "
    "aux heures de pointe, une mesure que la mairie dit vouloir réévaluer au printemps.",
]


def settings_for(url: str) -> Settings:
    """Settings that let article links reach 127.0.0.1, with no politeness delay."""
    return Settings(
        database={"url": url},
        fetch=FetchSettings(allowed_networks=["127.0.0.1/32"], per_host_delay=0, timeout=5),
        extract=ExtractSettings(workers=1, timeout=30),
    )


def run(store: Store, settings: Settings, *, all_feeds: bool = True) -> object:
    pipeline = Pipeline(store, settings)
    try:
        return asyncio.run(pipeline.run_pass(all_feeds=all_feeds))
    finally:
        pipeline.close()


@pytest.fixture
def world() -> Iterator[World]:
    """Three outlets carrying one wire story, plus a local and a French article."""
    with World("alpha", "beta", "gamma") as w:
        alpha, beta, gamma = w["alpha"], w["beta"], w["gamma"]
        alpha.static("/glaciers.html", page("Swiss glaciers suffer second-worst melt on record", WIRE))
        alpha.static("/bakery.html", page("Harbour Street bakery closes after 62 years", LOCAL))
        beta.static("/news/alps-ice.html", page("Alps lose 4% of glacier ice in a year", WIRE[:3]))
        gamma.static(
            "/monde/glaciers-suisses.html",
            page(
                "Glaciers: the Alps melt again", [*WIRE, "Read more: Why glaciers matter for Europe's rivers"]
            ),
        )
        gamma.static(
            "/nantes/passerelle.html", page("Nantes inaugure sa passerelle sur la Loire", FRENCH, lang="fr")
        )
        alpha.static(
            "/rss.xml",
            rss(
                "Alpha",
                [
                    {
                        "title": "Swiss glaciers",
                        "link": alpha.url("/glaciers.html?utm_source=rss"),
                        "guid": "a1",
                        "published": "2026-11-20T06:00:00+00:00",
                    },
                    {
                        "title": "Bakery",
                        "link": alpha.url("/bakery.html"),
                        "guid": "a2",
                        "published": "2026-11-20T08:00:00+00:00",
                    },
                ],
            ),
            "application/rss+xml",
        )
        beta.static(
            "/feed.xml",
            rss(
                "Beta",
                [
                    {
                        "title": "Alps ice",
                        "link": beta.url("/news/alps-ice.html"),
                        "guid": "b1",
                        "published": "2026-11-20T07:00:00+00:00",
                    },
                ],
            ),
            "application/rss+xml",
        )
        gamma.static(
            "/rss",
            rss(
                "Gamma",
                [
                    {
                        "title": "Glaciers",
                        "link": gamma.url("/monde/glaciers-suisses.html#top"),
                        "guid": "g1",
                        "published": "2026-11-20T09:00:00+00:00",
                    },
                    {
                        "title": "Passerelle",
                        "link": gamma.url("/nantes/passerelle.html"),
                        "guid": "g2",
                        "published": "2026-11-20T10:00:00+00:00",
                    },
                ],
            ),
            "application/rss+xml",
        )
        yield w


def busy_once(body: bytes) -> Route:
    """A route that answers 503 the first time, then the page."""
    calls = {"n": 0}

    def route(request: Request) -> tuple[int, dict[str, str], bytes]:
        calls["n"] += 1
        if calls["n"] == 1:
            return 503, {"Content-Type": "text/plain"}, b"busy"
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body

    return route


def subscribe(store: Store, *urls: str) -> None:
    with store.session() as session:
        for url in urls:
            repo.add_feed(session, url)


def feed_urls(world: World) -> list[str]:
    return [world["alpha"].url("/rss.xml"), world["beta"].url("/feed.xml"), world["gamma"].url("/rss")]


class TestPass:
    """One pass and a second pass over a local world."""

    def test_stores_every_article_once(self, store: Store, world: World) -> None:
        """Five items in three feeds give five articles, each with its raw page and feed item."""
        subscribe(store, *feed_urls(world))
        run(store, settings_for(store.url))
        with store.session() as s:
            assert s.scalar(select(func.count()).select_from(Article).where(Article.status == "ok")) == 5
            assert s.scalar(select(func.count()).select_from(RawPage)) == 5
            assert s.scalar(select(func.count()).select_from(FeedItem)) == 5
            urls = set(s.scalars(select(Article.canonical_url)))
        assert world["alpha"].url("/glaciers.html") in urls  # tracking parameter stripped
        assert world["gamma"].url("/monde/glaciers-suisses.html") in urls  # fragment stripped

    def test_second_pass_is_conditional_and_stores_nothing(self, store: Store, world: World) -> None:
        """The second pass sends If-None-Match, gets 304s and fetches no article page again."""
        subscribe(store, *feed_urls(world))
        run(store, settings_for(store.url))
        pages_before = len(world["alpha"].hits("/glaciers.html"))
        summary = run(store, settings_for(store.url))
        assert summary.not_modified == 3  # type: ignore[attr-defined]
        assert summary.stored == 0  # type: ignore[attr-defined]
        feed_requests = world["alpha"].hits("/rss.xml")
        assert len(feed_requests) == 2
        assert "if-none-match" not in feed_requests[0].headers
        assert feed_requests[1].headers["if-none-match"].startswith('"')
        assert len(world["alpha"].hits("/glaciers.html")) == pages_before
        with store.session() as s:
            assert s.scalar(select(func.count()).select_from(Article)) == 5
            outcomes = list(s.scalars(select(FetchLog.outcome).order_by(FetchLog.id)))
        assert outcomes.count("not_modified") == 3

    def test_three_outlets_one_story(self, store: Store, world: World) -> None:
        """The wire story's three copies (trimmed, read-more line) share one story; others stand alone."""
        subscribe(store, *feed_urls(world))
        run(store, settings_for(store.url))
        with store.session() as s:
            rows = s.execute(select(Article.url, Article.story_id)).all()
            by_url = {url.split("?")[0].split("#")[0]: story for url, story in rows}
            members = s.scalars(select(StoryMember)).all()
        wire = {
            by_url[world["alpha"].url("/glaciers.html")],
            by_url[world["beta"].url("/news/alps-ice.html")],
            by_url[world["gamma"].url("/monde/glaciers-suisses.html")],
        }
        assert len(wire) == 1
        assert len(set(by_url.values())) == 3
        relations = sorted(m.relation for m in members if m.story_id in wire)
        assert relations.count("original") == 1
        assert len(relations) == 3

    def test_read_more_line_is_dropped(self, store: Store, world: World) -> None:
        """The outlet's "Read more" line does not end up in the stored text."""
        subscribe(store, *feed_urls(world))
        run(store, settings_for(store.url))
        with store.session() as s:
            text = s.scalars(select(Article.text).where(Article.url.like("%glaciers-suisses%"))).one()
        assert text is not None
        assert "Read more" not in text
        assert text.endswith("hydropower.")


class TestBrokenFeeds:
    """Failures are recorded on the feed row while the rest of the pass goes on."""

    def test_http_500_and_malformed_xml(self, store: Store, world: World) -> None:
        """A 500 and an unparseable body are recorded; the healthy feeds are ingested."""
        alpha = world["alpha"]
        alpha.routes["/broken"] = lambda r: (500, {"Content-Type": "text/plain"}, b"oops")
        alpha.static(
            "/garbage.xml", b"<rss><channel><title>x</title><item><title>unclosed", "application/xml"
        )
        alpha.static("/notafeed", "<!DOCTYPE html><html><body>hello</body></html>")
        subscribe(
            store, *feed_urls(world), alpha.url("/broken"), alpha.url("/garbage.xml"), alpha.url("/notafeed")
        )
        run(store, settings_for(store.url))
        with store.session() as s:
            feeds = {f.url: f for f in s.scalars(select(Feed))}
            stored = s.scalar(select(func.count()).select_from(Article).where(Article.status == "ok"))
        assert stored == 5
        broken = feeds[alpha.url("/broken")]
        assert broken.last_status == 500
        assert broken.last_error_kind == "http_5xx"
        assert broken.error_count == 1
        assert broken.next_fetch_at is not None
        assert feeds[alpha.url("/notafeed")].last_error_kind == "not_a_feed"
        garbage = feeds[alpha.url("/garbage.xml")]
        assert garbage.last_error_kind in {"malformed", "parse_error"}
        assert garbage.last_error
        assert feeds[alpha.url("/rss.xml")].error_count == 0

    def test_failed_page_is_retried_not_lost(self, store: Store, world: World) -> None:
        """A page that fails once is fetched again on the next pass and then stored."""
        alpha = world["alpha"]
        good = page("Harbour Street bakery closes after 62 years", LOCAL).encode()
        alpha.routes["/bakery.html"] = busy_once(good)
        subscribe(store, alpha.url("/rss.xml"))
        first = run(store, settings_for(store.url))
        assert first.pages_failed == 1  # type: ignore[attr-defined]
        second = run(store, settings_for(store.url))
        assert second.stored == 1  # type: ignore[attr-defined]
        with store.session() as s:
            bakery = s.scalars(select(Article).where(Article.url.like("%bakery%"))).one()
        assert bakery.status == "ok"
        assert bakery.text is not None
        assert "rye loaves" in bakery.text

    def test_failed_page_found_a_duplicate_on_retry_is_no_longer_failed(self, store: Store, world: World) -> None:
        """A page that failed, then on retry holds the text of another page of its site, leaves no failed row.

        Its item links to the article with that text; the failed row used to stay, with its old error, in
        `stats` (articles_failed) and in `feeds list` (found by an audit).
        """
        alpha = world["alpha"]
        good = page("Harbour Street bakery closes after 62 years", LOCAL).encode()
        alpha.routes["/bakery.html"] = busy_once(good)
        alpha.static("/print/bakery.html", good.decode())
        alpha.static("/print.xml", rss("Alpha print", [{"title": "Bakery", "link": alpha.url("/print/bakery.html"),
                                                          "guid": "p1", "published": "2026-11-20T08:00:00+00:00"}]),
                     "application/rss+xml")
        subscribe(store, alpha.url("/rss.xml"), alpha.url("/print.xml"))
        first = run(store, settings_for(store.url))
        assert first.pages_failed == 1  # type: ignore[attr-defined]
        second = run(store, settings_for(store.url))
        assert second.duplicates == 1  # type: ignore[attr-defined]
        with store.session() as s:
            assert s.scalars(select(Article).where(Article.status == "failed")).all() == []
            printed = s.scalars(select(Article).where(Article.url.like("%print/bakery%"))).one()
            linked = s.scalars(select(FeedItem).where(FeedItem.guid == "a2")).one()
            assert repo.failed_pages_by_feed(s) == {}  # `feeds list`: no failed page, no stale error
        assert linked.article_id == printed.id


class TestExtractionLimits:
    """A page whose extraction runs past `[extract] timeout` is abandoned and recorded."""

    def test_extraction_timeout_is_recorded_and_the_pass_goes_on(self, sqlite_url: str, world: World) -> None:
        """A pathological page (seconds of extraction) is abandoned at the limit; the other pages are stored."""
        alpha = world["alpha"]
        blocks = "".join(
            f"<div><p>Paragraph {i} of a pathological page that goes on and on.</p><span>x</span></div>"
            for i in range(20000)
        )
        alpha.static("/huge.html", f"<html><body><article><h1>Huge</h1>{blocks}</article></body></html>")
        alpha.static("/huge.xml", rss("Huge", [
            {"title": "Huge", "link": alpha.url("/huge.html"), "guid": "h1", "published": "2026-11-20T05:00:00+00:00"},
            {"title": "Bakery", "link": alpha.url("/bakery.html"), "guid": "h2",
             "published": "2026-11-20T08:00:00+00:00"},
        ]), "application/rss+xml")
        store = Store(sqlite_url)
        try:
            subscribe(store, alpha.url("/huge.xml"))
            settings = settings_for(sqlite_url)
            settings.extract.timeout = 1.0
            summary = run(store, settings)
            assert summary.failures == {"extract_timeout": 1}  # type: ignore[attr-defined]
            assert summary.stored == 1  # type: ignore[attr-defined]
            with store.session() as s:
                failed = s.scalars(select(Article).where(Article.status == "failed")).one()
                feed = s.scalars(select(Feed)).one()
            assert failed.url.endswith("/huge.html")
            assert failed.error is not None
            assert failed.error.startswith("extract_timeout")
            assert feed.error_count == 0
            assert feed.lease_owner is None
        finally:
            store.close()


GAZETTE_FOOTER = "The Harbour Gazette is published by Coastline Media Group, 12 Quay Street, Port Ellen."
COMMITTEE_TOPICS = ["ferry", "lighthouse", "market", "school", "regatta", "museum", "quay", "choir", "pier",
                    "festival", "library", "lifeboat"]


def committee_page(n: int, topic: str) -> str:
    """One of a site's articles, each different, all ending in the site's neutral footer."""
    return page(f"The {topic} question", [
        f"The {topic} committee of Port Ellen met on Tuesday evening to discuss the {topic} and its "
        f"future, with {n + 3} members attending and a long agenda ahead of them.",
        f"Residents told the {topic} committee that they wanted a decision before the winter, "
        f"and several of them brought letters signed by neighbours who could not attend.",
        GAZETTE_FOOTER,
    ])


class TestSiteBoilerplate:
    """The per-site boilerplate model is counted in the store and applied in feed order."""

    def test_footer_recurring_on_a_site_is_dropped_once_the_site_has_enough_articles(
        self, sqlite_url: str
    ) -> None:
        """A neutral footer in every article is kept by the first ten and removed from the later ones."""
        with World("gazette") as w:
            site = w["gazette"]
            items = []
            for n, topic in enumerate(COMMITTEE_TOPICS):
                site.static(f"/{topic}.html", committee_page(n, topic))
                items.append({"title": topic, "link": site.url(f"/{topic}.html"), "guid": topic,
                              "published": f"2026-11-20T{n:02d}:00:00+00:00"})
            site.static("/rss.xml", rss("Gazette", items), "application/rss+xml")
            store = Store(sqlite_url)
            try:
                subscribe(store, site.url("/rss.xml"))
                run(store, settings_for(sqlite_url))
                with store.session() as s:
                    articles = s.scalars(select(Article).order_by(Article.published)).all()
            finally:
                store.close()
        assert len(articles) == 12
        for article in articles[:10]:
            assert article.text is not None
            assert GAZETTE_FOOTER in article.text
        for article in articles[10:]:
            assert article.text is not None
            assert GAZETTE_FOOTER not in article.text
            assert {"text": GAZETTE_FOOTER, "why": "site_boilerplate"} in (article.removed or [])


class TestClustererReplay:
    """A new process rebuilds the clusterer's learnt state from the store alone."""

    def test_fresh_pipeline_catches_up_to_the_same_state(self, store: Store, world: World) -> None:
        """After a pass, a second pipeline replays the stored decisions into an identical clusterer state."""
        import numpy as np

        subscribe(store, *feed_urls(world))
        settings = settings_for(store.url)
        first = Pipeline(store, settings)
        try:
            asyncio.run(first.run_pass(all_feeds=True))
        finally:
            first.close()
        second = Pipeline(store, settings)
        try:
            with store.session() as session:
                rebuilt = second.pages._clusterer_for(session)
        finally:
            second.close()
        original = first.pages._clusterer
        assert original is not None
        assert rebuilt._anchors == original._anchors
        assert len(rebuilt._anchors) == 3
        assert np.array_equal(rebuilt._df, original._df)
        assert set(rebuilt._features) == set(original._features)
        assert second.pages._synced_seq == first.pages._synced_seq == 5


class TestLeaseRenewal:
    """A batch that runs longer than the lease keeps its feeds: the lease is renewed while it works."""

    def test_long_batch_keeps_its_lease(self, sqlite_url: str, world: World) -> None:
        """Past lease_seconds, another worker still cannot claim the feed of a batch in progress."""
        import threading
        import time
        from datetime import timedelta

        from store.models import utcnow

        alpha = world["alpha"]
        slow_page = alpha.routes["/bakery.html"]
        gate = threading.Event()

        def hang(request: Request) -> tuple[int, dict[str, str], bytes]:
            gate.wait(timeout=30)
            return slow_page(request)

        alpha.routes["/bakery.html"] = hang
        store = Store(sqlite_url)
        try:
            subscribe(store, alpha.url("/rss.xml"))
            settings = settings_for(sqlite_url)
            settings.schedule.lease_seconds = 2
            runner = threading.Thread(target=run, args=(store, settings))
            runner.start()
            try:
                time.sleep(3.5)  # beyond the 2 s lease
                with store.session() as s:
                    stolen = repo.claim_feeds(s, "another-worker", now=utcnow(), lease=timedelta(seconds=60),
                                              limit=10, include_not_due=True)
            finally:
                gate.set()
                runner.join(timeout=60)
            assert stolen == []
            with store.session() as s:
                assert s.scalar(select(func.count()).select_from(Article).where(Article.status == "ok")) == 2
        finally:
            store.close()


def _ready(url: str, title: str, paragraphs: list[str]) -> tuple[PageJob, Response, ReadyPage]:
    """A page as `_store_pages` receives it: job, fetched response, extraction prepared by a worker."""
    body = page(title, paragraphs).encode()
    response = Response(url, 200, {"content-type": "text/html; charset=utf-8"}, body)
    job = PageJob(url=url, response=response, fetched=datetime(2026, 11, 27, 12, tzinfo=UTC))
    return job, response, prepare_page(body, url=url, headers=response.headers, title=None, shape=DedupeShape())


def _failing_raw_pages(monkeypatch: pytest.MonkeyPatch, host: str, error: Exception) -> None:
    """Make writing the raw page of `host` raise `error` (alone or in a group's statement)."""
    real = repo.save_raw_pages

    def failing(session: Any, rows: list[dict[str, Any]]) -> None:
        if any(host in row["url"] for row in rows):
            raise error
        real(session, rows)

    monkeypatch.setattr(repo, "save_raw_pages", failing)


class TestStoreGroups:
    """Pages ready together are stored in one transaction, without changing what is stored."""

    def test_failing_page_does_not_cost_the_pages_before_it(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A bug met while storing one page of a group costs that page alone: the others are stored, it is recorded."""
        pages = [_ready("https://a.example/glaciers", "Glaciers", WIRE),
                 _ready("https://b.example/bakery", "Bakery", LOCAL),
                 _ready("https://c.example/passerelle", "Passerelle", FRENCH)]
        _failing_raw_pages(monkeypatch, "c.example", RuntimeError("disk full"))
        pipeline = Pipeline(store, settings_for(store.url))
        try:
            outcomes = pipeline.pages._store_pages(pages, {})
        finally:
            pipeline.close()
        assert [(o.status, o.kind) for o in outcomes] == [("stored", None), ("stored", None), ("failed", "internal")]
        with store.session() as session:
            rows = {a.site: (a.status, a.error) for a in session.scalars(select(Article))}
            members = session.scalar(select(func.count()).select_from(StoryMember))
        assert rows["a.example"][0] == rows["b.example"][0] == "ok"
        assert rows["c.example"] == ("failed", "internal: RuntimeError: disk full")
        assert members == 2

    def test_page_the_database_refuses_fails_alone(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        """A page whose data the database refuses (a value too long, say) fails; the pages around it are stored."""
        pages = [_ready("https://a.example/glaciers", "Glaciers", WIRE),
                 _ready("https://b.example/bakery", "Bakery", LOCAL),
                 _ready("https://c.example/passerelle", "Passerelle", FRENCH)]
        _failing_raw_pages(monkeypatch, "b.example",
                           DataError("INSERT INTO raw_pages ...", {}, Exception("value too long for type")))
        pipeline = Pipeline(store, settings_for(store.url))
        try:
            outcomes = pipeline.pages._store_pages(pages, {})
        finally:
            pipeline.close()
        assert [o.status for o in outcomes] == ["stored", "failed", "stored"]
        assert outcomes[1].error is not None
        assert outcomes[1].error.startswith("store:")
        assert "value too long" in outcomes[1].error
        with store.session() as session:
            assert sorted(session.scalars(select(Article.site))) == ["a.example", "c.example"]

    def test_stories_written_directly_match_a_recomputation(self, store: Store) -> None:
        """Story rows written while storing equal what refresh_story recomputes from their members."""
        pages = [_ready("https://agency.example/glaciers", "Glaciers", WIRE),
                 _ready("https://a.example/glaciers", "Glaciers melt", WIRE),
                 _ready("https://b.example/glaciers", "Swiss glaciers", WIRE[:3]),
                 _ready("https://b.example/bakery", "Bakery", LOCAL)]
        pipeline = Pipeline(store, settings_for(store.url))
        try:
            outcomes = pipeline.pages._store_pages(pages, {})
        finally:
            pipeline.close()
        assert [o.relation for o in outcomes] == ["original", "exact", "near_duplicate", "original"]
        with store.session() as session:
            stories = list(session.scalars(select(Story).order_by(Story.id)))
            written = [(s.id, s.size, s.original_article_id, s.title, s.agency, s.first_published) for s in stories]
            for story in stories:
                repo.refresh_story(session, story)
            recomputed = [(s.id, s.size, s.original_article_id, s.title, s.agency, s.first_published)
                          for s in stories]
        assert written == recomputed
        assert sorted(size for _, size, *_ in written) == [1, 3]


class TestArchiveRecordsFromWorkers:
    """In archive mode the worker makes a page's WARC records; the in-order writer only appends them."""

    def test_writer_appends_the_workers_records(self, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        from ingest.page_work import RecordOf
        from store import archive
        from store.models import RawPage

        url = "https://a.example/glaciers"
        body = page("Glaciers", WIRE).encode()
        response = Response(url, 200, {"content-type": "text/html; charset=utf-8"}, body)
        fetched = datetime(2026, 11, 27, 12, tzinfo=UTC)
        job = PageJob(url=url, response=response, fetched=fetched)
        ready = prepare_page(body, url=url, headers=response.headers, title=None, shape=DedupeShape(),
                             record=RecordOf(200, fetched, "wirefeed-test"))
        assert ready.body_z is None
        assert ready.records is not None

        def no_gzip_in_the_writer(*_args: object, **_kwargs: object) -> bytes:
            raise AssertionError("the writer made WARC records the worker had made")

        monkeypatch.setattr(archive, "page_records", no_gzip_in_the_writer)
        store = Store(sqlite_url)
        pipeline = Pipeline(store, settings_for(sqlite_url))
        try:
            assert pipeline.pages.archive is not None
            [outcome] = pipeline.pages._store_pages([(job, response, ready)], {})
            assert outcome.status == "stored"
            with store.session() as session:
                row = session.scalars(select(RawPage)).one()
            ref = archive.Ref(row.archive_file, row.archive_offset, row.archive_length)
            assert row.body is None
            assert row.archive_length == len(ready.records)
            back = archive.read(pipeline.pages.archive.directory, ref)
        finally:
            pipeline.close()
            store.close()
        assert (back.url, back.status, back.body, back.fetched) == (url, 200, body, fetched)

    def test_pages_prepared_without_records_are_still_archived(self, sqlite_url: str) -> None:
        """A page prepared for the database (no records) is made into records by the writer."""
        from store import archive
        from store.models import RawPage

        job, response, ready = _ready("https://b.example/bakery", "Bakery", LOCAL)
        assert ready.records is None
        store = Store(sqlite_url)
        pipeline = Pipeline(store, settings_for(sqlite_url))
        try:
            [outcome] = pipeline.pages._store_pages([(job, response, ready)], {})
            assert outcome.status == "stored"
            with store.session() as session:
                row = session.scalars(select(RawPage)).one()
            back = archive.read(pipeline.pages.archive.directory,
                                archive.Ref(row.archive_file, row.archive_offset, row.archive_length))
        finally:
            pipeline.close()
            store.close()
        assert back.body == response.body
