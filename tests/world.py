"""A small news world on 127.0.0.1: one real HTTP server per outlet, scripted routes, a request log."""

from __future__ import annotations

import asyncio
import hashlib
import html
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from config.settings import Settings
from ingest.pipeline import PassSummary, Pipeline
from store.db import Store

Route = Callable[["Request"], tuple[int, dict[str, str], bytes]]


@dataclass
class Request:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]


@dataclass
class Outlet:
    """One site: a server, its routes and the requests it received."""

    name: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def static(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8") -> None:
        """Serve a fixed body with an ETag, answering 304 to a matching If-None-Match."""
        data = body.encode() if isinstance(body, str) else body
        etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'

        def route(request: Request) -> tuple[int, dict[str, str], bytes]:
            if request.headers.get("if-none-match") == etag:
                return 304, {"ETag": etag}, b""
            return 200, {"Content-Type": content_type, "ETag": etag}, data

        self.routes[path] = route

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path.split("?")[0] == path]


class World:
    """Several outlets, each on its own port; start and stop together."""

    def __init__(self, *names: str) -> None:
        self.outlets = {name: Outlet(name) for name in names}
        for outlet in self.outlets.values():
            outlet.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(outlet))
            outlet.server.daemon_threads = True
        self._threads = [
            threading.Thread(target=o.server.serve_forever, daemon=True)  # type: ignore[union-attr]
            for o in self.outlets.values()
        ]

    def __getitem__(self, name: str) -> Outlet:
        return self.outlets[name]

    def __enter__(self) -> World:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for outlet in self.outlets.values():
            assert outlet.server is not None
            outlet.server.shutdown()
            outlet.server.server_close()


def _handler_for(outlet: Outlet) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            request = Request(self.path, {k.lower(): v for k, v in self.headers.items()})
            outlet.requests.append(request)
            route = outlet.routes.get(self.path.split("?")[0])
            if route is None:
                status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
            else:
                status, headers, body = route(request)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    return Handler


def slow(route: Route, seconds: float) -> Route:
    """A route that answers after a delay."""

    def wrapped(request: Request) -> tuple[int, dict[str, str], bytes]:
        time.sleep(seconds)
        return route(request)

    return wrapped


def rss(title: str, items: list[dict[str, str]]) -> str:
    """An RSS 2.0 document; items have title, link, guid and optional published (ISO)."""
    parts = []
    for item in items:
        published = ""
        if item.get("published"):
            published = f"<pubDate>{format_datetime(datetime.fromisoformat(item['published']))}</pubDate>"
        parts.append(
            f"<item><title>{html.escape(item['title'])}</title><link>{html.escape(item['link'])}</link>"
            f'<guid isPermaLink="false">{html.escape(item["guid"])}</guid>{published}</item>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{html.escape(title)}</title><link>http://example.org/</link>{''.join(parts)}</channel></rss>"
    )


def page(title: str, paragraphs: list[str], *, extra: str = "", lang: str = "en") -> str:
    """An article page with site chrome around the body."""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        '</head><body><header><nav><a href="/">Home</a> <a href="/world">World</a></nav></header>'
        f"<main><article><h1>{html.escape(title)}</h1>\n{body}\n{extra}</article></main>"
        "<footer><p>Contact us</p></footer></body></html>"
    )


@dataclass
class HostedOutlet(Outlet):
    """An outlet on a loopback address of its own (127.0.0.x): another host, hence another origin."""

    host: str = "127.0.0.1"

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://{self.host}:{self.server.server_address[1]}"


class HostedWorld(World):
    """Outlets on the loopback addresses given by name (`alpha="127.0.0.2"`); two names may share one."""

    def __init__(self, **hosts: str) -> None:
        super().__init__()
        for name, host in hosts.items():
            outlet = HostedOutlet(name, host=host)
            outlet.server = ThreadingHTTPServer((host, 0), _handler_for(outlet))
            outlet.server.daemon_threads = True
            self.outlets[name] = outlet
            self._threads.append(threading.Thread(target=outlet.server.serve_forever, daemon=True))

    def __enter__(self) -> HostedWorld:
        super().__enter__()
        return self


def json_events(output: str | bytes) -> list[dict[str, Any]]:
    """The JSON log lines of a process's output, parsed (other lines are skipped)."""
    import json

    text = output.decode(errors="replace") if isinstance(output, bytes) else output
    events = []
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and "event" in event:
            events.append(event)
    return events


def run_pass(store: Store, cfg: Settings) -> PassSummary:
    """One `ingest --all` pass of a fresh pipeline (a new process, as cron starts one)."""
    pipeline = Pipeline(store, cfg)
    try:
        return asyncio.run(pipeline.run_pass(all_feeds=True))
    finally:
        pipeline.close()

