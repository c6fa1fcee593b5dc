"""The demo's world: bundled outlets and articles served on 127.0.0.1, and one pass over them into a store.

`run_demo` serves the world and runs one pass, returning what it did; `ingest.cli.demo` (the command) prints
that and the stories.
"""

from __future__ import annotations

import asyncio
import html
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from ingest.cli.context import UsageError

if TYPE_CHECKING:
    from config.settings import Settings
    from ingest.pipeline import PassSummary
    from store.db import Store

DEMO_PORT = 18765


def load_world() -> dict[str, Any]:
    """The bundled outlets and articles."""
    data: dict[str, Any] = json.loads(files("ingest.cli").joinpath("demo_data/stories.json").read_text("utf-8"))
    return data


def render_page(outlet: dict[str, Any], article: dict[str, Any], base: str) -> str:
    """An article page with the chrome real sites have: navigation, caption, related links, footer."""
    paras = "\n".join(f"      <p>{html.escape(p)}</p>" for p in article["paragraphs"])
    caption = ""
    if article.get("caption"):
        # Like many sites, the caption sits in the body as a plain paragraph under the photo.
        caption = (
            f'      <img src="/img/{article["slug"].replace("/", "-")}.jpg" alt="">\n'
            f"      <p>{html.escape(article['caption'])}</p>\n"
        )
    after = "".join(f"      <p>{html.escape(line)}</p>\n" for line in article.get("after", []))
    teaser = ""
    if article.get("teaser"):
        # The seed case: the first two paragraphs again, glued together and cut off with "...".
        glued = "".join(article["paragraphs"][:2])
        teaser = f"      <p>{html.escape(glued[: len(glued) - 60].rstrip())}...</p>\n"
    url = f"{base}/{outlet['slug']}/{article['slug']}.html"
    return f"""<!DOCTYPE html>
<html lang="{outlet["lang"]}">
<head>
  <meta charset="utf-8">
  <title>{html.escape(article["title"])} | {html.escape(outlet["name"])}</title>
  <link rel="canonical" href="{url}">
  <meta property="og:site_name" content="{html.escape(outlet["name"])}">
  <meta property="article:published_time" content="{article["published"]}">
</head>
<body>
  <header><nav><a href="/{outlet["slug"]}/">Home</a> <a href="/{outlet["slug"]}/world">World</a>
  <a href="/{outlet["slug"]}/search">Search</a></nav></header>
  <main>
    <article>
      <h1>{html.escape(article["title"])}</h1>
{caption}{paras}
{after}{teaser}    </article>
  </main>
  <footer><p>© {html.escape(outlet["name"])}. All rights reserved.</p></footer>
</body>
</html>
"""


def render_feed(outlet: dict[str, Any], articles: list[dict[str, Any]], base: str) -> str:
    """An RSS 2.0 feed whose links carry tracking parameters, as real feeds do."""
    items = []
    for article in articles:
        link = f"{base}/{outlet['slug']}/{article['slug']}.html?utm_source=rss&utm_medium=feed"
        published = format_datetime(datetime.fromisoformat(article["published"]))
        items.append(f"""    <item>
      <title>{html.escape(article["title"])}</title>
      <link>{html.escape(link)}</link>
      <guid isPermaLink="false">{outlet["slug"]}-{html.escape(article["slug"])}</guid>
      <pubDate>{published}</pubDate>
      <description>{html.escape(article["paragraphs"][0][:140])}</description>
    </item>""")
    body = "\n".join(items)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
  <channel>
    <title>{html.escape(outlet["name"])}</title>
    <link>{base}/{outlet["slug"]}/</link>
    <description>Latest news from {html.escape(outlet["name"])}</description>
{body}
  </channel>
</rss>
"""


def build_site(base: str, slug: str) -> dict[str, tuple[str, bytes]]:
    """Path -> (content type, body) for the feed and pages of one outlet of the demo world."""
    world = load_world()
    site: dict[str, tuple[str, bytes]] = {}
    for outlet in (o for o in world["outlets"] if o["slug"] == slug):
        own = [a for a in world["articles"] if a["outlet"] == outlet["slug"]]
        site[f"/{outlet['slug']}/rss.xml"] = ("application/rss+xml", render_feed(outlet, own, base).encode())
        for article in own:
            page = render_page(outlet, article, base).encode()
            site[f"/{outlet['slug']}/{article['slug']}.html"] = ("text/html; charset=utf-8", page)
    return site


class DemoServer:
    """One threaded HTTP server per outlet on 127.0.0.1 (each outlet is its own site, as on the web)."""

    def __init__(self, port: int = DEMO_PORT) -> None:
        self.servers: list[ThreadingHTTPServer] = []
        self.feeds: list[str] = []
        for offset, outlet in enumerate(load_world()["outlets"]):
            try:
                httpd = ThreadingHTTPServer(("127.0.0.1", port + offset), _Handler)
            except OSError:
                httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
            base = f"http://127.0.0.1:{httpd.server_address[1]}"
            httpd.site = build_site(base, outlet["slug"])  # type: ignore[attr-defined]
            self.servers.append(httpd)
            self.feeds.append(f"{base}/{outlet['slug']}/rss.xml")
        self.threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in self.servers]

    def feed_urls(self) -> list[str]:
        """The URLs of the demo feeds."""
        return list(self.feeds)

    def __enter__(self) -> DemoServer:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for httpd in self.servers:
            httpd.shutdown()
            httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        found = self.server.site.get(path)  # type: ignore[attr-defined]
        if found is None:
            self.send_error(404)
            return
        content_type, body = found
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request lines on stderr."""


@dataclass(frozen=True, slots=True)
class DemoRun:
    """What one demo run did: the pass over the demo feeds and what the cleaning removed, by reason."""

    summary: PassSummary
    removed: dict[str, int]


def run_demo(store: Store, settings: Settings, *, port: int | None = None) -> DemoRun:
    """Serve the world, subscribe to its feeds and run one pass over them into `store`."""
    from ingest.pipeline import Pipeline
    from store import repo

    settings = settings.model_copy(deep=True)
    settings.fetch.allowed_networks = [*settings.fetch.allowed_networks, "127.0.0.1/32"]
    settings.fetch.per_host_delay = 0.0
    settings.fetch.per_host_concurrency = 8
    with DemoServer(DEMO_PORT if port is None else port) as server:
        with store.session() as session:
            others = [f.url for f in repo.list_feeds(session) if not f.url.startswith("http://127.0.0.1:")]
            if others:
                raise UsageError(
                    f"the demo needs a database of its own, and this one has {len(others)} other "
                    "subscription(s): run `wirefeed demo` alone (a temporary database) or give --db a new file"
                )
            current = server.feed_urls()
            for feed in repo.list_feeds(session):
                if feed.url not in current and not feed.disabled:  # an earlier demo's outlets, on other ports
                    repo.update_feed(session, feed.id, disabled=True,
                                     disabled_reason="an earlier `wirefeed demo` on another port")
            for url in current:
                repo.add_feed(session, url)
        pipeline = Pipeline(store, settings)
        try:
            summary = asyncio.run(pipeline.run_pass(all_feeds=True))
        finally:
            pipeline.close()
    with store.session() as session:
        removed = repo.removal_counts(session)
    return DemoRun(summary, removed)
