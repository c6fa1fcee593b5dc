"""The fetcher against real local servers that misbehave: caps, redirects, politeness, SSRF, error kinds."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import itertools
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from config.settings import FetchSettings
from ingest.errors import (
    BlockedAddress,
    ConnectionRefused,
    DNSError,
    FetchTimeout,
    HostDeferred,
    HTTPStatusError,
    RedirectError,
    TLSError,
    TooLarge,
)
from ingest.fetch.client import AddressPolicy, BodyDecoder, Fetcher, Response, parse_retry_after
from tests.world import Request, World

RawRoute = Callable[[BaseHTTPRequestHandler], None]


class RawServer:
    """A server whose routes write straight to the socket: endless bodies, trickled bytes."""

    def __init__(self) -> None:
        routes: dict[str, RawRoute] = {}
        self.routes = routes

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                routes[self.path](self)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def __enter__(self) -> RawServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def settings(**overrides: Any) -> FetchSettings:
    """Fetch settings for local servers: 127.0.0.1 allowed, no politeness delay, short timeout."""
    values: dict[str, Any] = {"allowed_networks": ["127.0.0.1/32"], "per_host_delay": 0, "timeout": 3}
    values.update(overrides)
    return FetchSettings(**values)


def fetch(url: str, fetch_settings: FetchSettings | None = None, **kwargs: Any) -> Response:
    async def go() -> Response:
        async with Fetcher(fetch_settings or settings()) as fetcher:
            return await fetcher.get(url, **kwargs)

    return asyncio.run(go())


@pytest.fixture(scope="module")
def _world() -> Iterator[World]:
    with World("one", "two") as w:
        yield w


@pytest.fixture
def world(_world: World) -> World:
    """Two outlets on 127.0.0.1, shared by the module's tests, with routes and request logs reset."""
    for outlet in _world.outlets.values():
        outlet.routes.clear()
        outlet.requests.clear()
    return _world


@pytest.fixture
def raw() -> Iterator[RawServer]:
    """A raw-socket server."""
    with RawServer() as server:
        yield server


def _resolve_as(monkeypatch: pytest.MonkeyPatch, *answers: str) -> None:
    """Make wirefeed's resolver answer these addresses, one per lookup, in turn, whatever the name."""
    pending = iter(answers)

    async def resolve(host: str, url: str) -> list[Any]:
        return [ipaddress.ip_address(next(pending))]

    monkeypatch.setattr("ingest.fetch.client.resolve", resolve)


def _ok(body: bytes, **headers: str) -> Callable[[Request], tuple[int, dict[str, str], bytes]]:
    return lambda r: (200, {"Content-Type": "application/xml", **headers}, body)


class TestConditionalGet:
    """Validators and the User-Agent go out; a 304 comes back as a response."""

    def test_sends_validators_and_user_agent(self, world: World) -> None:
        """If-None-Match, If-Modified-Since and the configured User-Agent are sent."""
        one = world["one"]
        one.static("/feed.xml", b"<rss/>", "application/xml")
        etag = one.routes["/feed.xml"](Request("/feed.xml", {}))[1]["ETag"]
        response = fetch(one.url("/feed.xml"), settings(user_agent="wirefeed-test/1 (+ops@example.org)"),
                         etag=etag, last_modified="Tue, 10 Nov 2026 08:00:00 GMT", trusted=True)
        assert response.status == 304
        assert response.body == b""
        sent = one.hits("/feed.xml")[0].headers
        assert sent["if-none-match"] == etag
        assert sent["if-modified-since"] == "Tue, 10 Nov 2026 08:00:00 GMT"
        assert sent["user-agent"] == "wirefeed-test/1 (+ops@example.org)"


class TestBodies:
    """Compressed, oversized and endless bodies."""

    def test_gzip_and_deflate_are_decoded(self, world: World) -> None:
        """gzip, zlib-wrapped deflate and raw deflate bodies come out decoded."""
        one = world["one"]
        data = b"<rss>" + b"x" * 5000 + b"</rss>"
        raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        one.routes["/gz"] = _ok(gzip.compress(data), **{"Content-Encoding": "gzip"})
        one.routes["/zd"] = _ok(zlib.compress(data), **{"Content-Encoding": "deflate"})
        one.routes["/rd"] = _ok(raw_deflate.compress(data) + raw_deflate.flush(), **{"Content-Encoding": "deflate"})
        for path in ("/gz", "/zd", "/rd"):
            assert fetch(one.url(path), trusted=True).body == data

    def test_decompression_bomb_stops_at_the_cap(self, world: World) -> None:
        """A 20 MB gzip bomb of 20 KB is cut at max_bytes of decompressed output."""
        one = world["one"]
        bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))
        assert len(bomb) < 100_000
        one.routes["/bomb"] = _ok(bomb, **{"Content-Encoding": "gzip"})
        with pytest.raises(TooLarge):
            fetch(one.url("/bomb"), settings(max_bytes=1024 * 1024), trusted=True)

    def test_decoder_never_holds_more_than_the_cap(self) -> None:
        """The decoder produces at most limit + 1 bytes from one chunk, whatever its ratio."""
        decoder = BodyDecoder("http://x/", "gzip", 1000)
        with pytest.raises(TooLarge):
            decoder.feed(gzip.compress(b"\0" * 10_000_000))
        assert decoder.size <= 1001

    def test_endless_body_is_cut_while_streaming(self, raw: RawServer) -> None:
        """A chunked body that never ends raises TooLarge once max_bytes arrived, not after."""
        sent = {"bytes": 0}

        def endless(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            chunk = b"y" * 65536
            try:
                while sent["bytes"] < 200 * 1024 * 1024:
                    handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    sent["bytes"] += len(chunk)
            except OSError:
                pass

        raw.routes["/endless"] = endless
        with pytest.raises(TooLarge):
            fetch(raw.url("/endless"), settings(max_bytes=512 * 1024), trusted=True)
        assert sent["bytes"] < 100 * 1024 * 1024

    def test_declared_length_over_cap_is_refused_early(self, world: World) -> None:
        """A Content-Length over the cap is refused before reading the body."""
        world["one"].routes["/big"] = _ok(b"z" * 300_000)
        with pytest.raises(TooLarge):
            fetch(world["one"].url("/big"), settings(max_bytes=100_000), trusted=True)

    def test_trickling_server_is_bounded_by_the_timeout(self, raw: RawServer) -> None:
        """A server that sends one byte a second cannot hold the fetch past the timeout."""

        def trickle(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Length", "100")
            handler.end_headers()
            try:
                for _ in range(100):
                    handler.wfile.write(b"a")
                    handler.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass

        raw.routes["/trickle"] = trickle
        with pytest.raises(FetchTimeout):
            fetch(raw.url("/trickle"), settings(timeout=1), trusted=True)


class TestRedirects:
    """Redirects are followed by hand: permanent ones remembered, loops and long chains refused."""

    def test_permanent_redirect_chain(self, world: World) -> None:
        """A 301 then 308 chain reports its final target as the permanent URL."""
        one = world["one"]
        one.routes["/old"] = lambda r: (301, {"Location": "/older"}, b"")
        one.routes["/older"] = lambda r: (308, {"Location": one.url("/new")}, b"")
        one.routes["/new"] = _ok(b"<rss/>")
        response = fetch(one.url("/old"), trusted=True)
        assert response.url == one.url("/new")
        assert response.permanent_url == one.url("/new")

    def test_temporary_redirect_is_not_permanent(self, world: World) -> None:
        """A 302 first hop means the subscription keeps its URL."""
        one = world["one"]
        one.routes["/tmp"] = lambda r: (302, {"Location": "/new"}, b"")
        one.routes["/new"] = _ok(b"<rss/>")
        assert fetch(one.url("/tmp"), trusted=True).permanent_url is None

    def test_loop_is_detected(self, world: World) -> None:
        """a -> b -> a raises RedirectError at once."""
        one = world["one"]
        one.routes["/a"] = lambda r: (302, {"Location": "/b"}, b"")
        one.routes["/b"] = lambda r: (302, {"Location": "/a#again"}, b"")
        with pytest.raises(RedirectError, match="loop"):
            fetch(one.url("/a"), trusted=True)
        assert len(one.hits("/a")) == 1

    def test_more_than_five_redirects(self, world: World) -> None:
        """The sixth redirect is refused."""
        one = world["one"]
        def hop(i: int) -> Callable[[Request], tuple[int, dict[str, str], bytes]]:
            return lambda r: (307, {"Location": f"/r{i + 1}"}, b"")

        for i in range(10):
            one.routes[f"/r{i}"] = hop(i)
        with pytest.raises(RedirectError, match="more than 5"):
            fetch(one.url("/r0"), trusted=True)
        assert not one.hits("/r7")


class TestPoliteness:
    """Retry-After, per-host concurrency and delay."""

    def test_retry_after_blocks_the_host(self, world: World) -> None:
        """A 429 with Retry-After is reported, and the next request to that host is not even sent."""
        one = world["one"]
        one.routes["/limited"] = lambda r: (429, {"Retry-After": "120"}, b"slow down")
        one.routes["/other"] = _ok(b"<rss/>")

        async def go() -> tuple[HTTPStatusError, HostDeferred]:
            async with Fetcher(settings()) as fetcher:
                with pytest.raises(HTTPStatusError) as first:
                    await fetcher.get(one.url("/limited"), trusted=True)
                with pytest.raises(HostDeferred) as second:
                    await fetcher.get(one.url("/other"), trusted=True)
                return first.value, second.value

        first, second = asyncio.run(go())
        assert first.status == 429
        assert first.retry_after is not None
        assert first.retry_after - datetime.now(UTC) > timedelta(seconds=100)
        assert second.retry_after is not None
        assert not one.hits("/other")

    def test_retry_after_http_date(self) -> None:
        """Retry-After is read as seconds or as an HTTP date; garbage is ignored."""
        now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
        assert parse_retry_after("30", now) == now + timedelta(seconds=30)
        later = now + timedelta(hours=2)
        assert parse_retry_after(format_datetime(later, usegmt=True), now) == later
        assert parse_retry_after("soon", now) is None

    def test_per_host_concurrency_and_delay(self, world: World) -> None:
        """With per_host_concurrency=1 and a delay, requests to one host never overlap and are spaced."""
        one = world["one"]
        state = {"now": 0, "max": 0}
        starts: list[float] = []
        lock = threading.Lock()

        def route(request: Request) -> tuple[int, dict[str, str], bytes]:
            with lock:
                state["now"] += 1
                state["max"] = max(state["max"], state["now"])
                starts.append(time.monotonic())
            time.sleep(0.05)
            with lock:
                state["now"] -= 1
            return 200, {}, b"ok"

        for i in range(4):
            one.routes[f"/p{i}"] = route

        async def go() -> None:
            async with Fetcher(settings(per_host_concurrency=1, per_host_delay=0.1)) as fetcher:
                await asyncio.gather(*(fetcher.get(one.url(f"/p{i}"), trusted=True) for i in range(4)))

        asyncio.run(go())
        assert state["max"] == 1
        # A lower bound on spacing, the politeness promise itself; never an upper bound on speed. Times
        # are arrivals at the server: the first request also opens the connection, so it may arrive late
        # and shorten the first gap; the later ones reuse it, so two full delays must separate them.
        assert all(b - a >= 0.05 for a, b in itertools.pairwise(starts))
        assert starts[-1] - starts[1] >= 0.18

    def test_elapsed_leaves_out_our_own_politeness(self, world: World) -> None:
        """A response's `elapsed` (fetch time in `sources` and the metrics) is the server's, not our queue's.

        The third of three requests to one host waits two delays of 0.4 s for its turn; the server answers
        at once. Its fetch time read 0.8 s before (an audit saw 750-2,750 ms for static loopback pages).
        """
        one = world["one"]
        one.routes["/q"] = lambda request: (200, {}, b"ok")

        async def go() -> list[Response]:
            async with Fetcher(settings(per_host_concurrency=1, per_host_delay=0.4)) as fetcher:
                started = time.monotonic()
                responses = await asyncio.gather(*(fetcher.get(one.url("/q"), trusted=True) for _ in range(3)))
                assert time.monotonic() - started >= 0.8  # the delays were kept
                return list(responses)

        responses = asyncio.run(go())
        assert all(r.elapsed > 0 for r in responses)
        assert max(r.elapsed for r in responses) < 0.4


class TestErrorKinds:
    """Transport failures are classified the way a user reads them."""

    def test_refused(self) -> None:
        """Nothing listening is `refused`."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        with pytest.raises(ConnectionRefused):
            fetch(f"http://127.0.0.1:{port}/feed", trusted=True)

    def test_dns(self) -> None:
        """A name that does not resolve is `dns`."""
        with pytest.raises(DNSError):
            fetch("http://no-such-host.invalid/feed", trusted=True)

    def test_tls(self, world: World) -> None:
        """TLS spoken to a plain HTTP server is `tls`."""
        url = world["one"].url("/feed").replace("http://", "https://")
        with pytest.raises(TLSError):
            fetch(url, trusted=True)

    def test_http_status(self, world: World) -> None:
        """A 404 is `http_4xx` with its status, a 502 `http_5xx`."""
        one = world["one"]
        one.routes["/bad"] = lambda r: (502, {}, b"")
        with pytest.raises(HTTPStatusError) as missing:
            fetch(one.url("/missing"), trusted=True)
        assert (missing.value.kind, missing.value.status) == ("http_4xx", 404)
        with pytest.raises(HTTPStatusError) as bad:
            fetch(one.url("/bad"), trusted=True)
        assert bad.value.kind == "http_5xx"


class TestAddressPolicy:
    """The SSRF guard for article links and anything else a feed points at."""

    @pytest.mark.parametrize("address", ["169.254.169.254", "fe80::1", "224.0.0.1", "0.0.0.0", "::",
                                         "ff02::1", "::ffff:169.254.169.254"])
    def test_link_local_multicast_unspecified_always_blocked(self, address: str) -> None:
        """Link-local, multicast and unspecified addresses stay blocked even with private networks allowed."""
        policy = AddressPolicy(allow_private=True)
        assert not policy.permits(ipaddress.ip_address(address))

    @pytest.mark.parametrize("address", ["10.1.2.3", "192.168.1.1", "127.0.0.1", "::1", "fd00::1"])
    def test_private_and_loopback_need_permission(self, address: str) -> None:
        """Private and loopback addresses are blocked unless allow_private_networks."""
        assert not AddressPolicy().permits(ipaddress.ip_address(address))
        assert AddressPolicy(allow_private=True).permits(ipaddress.ip_address(address))

    def test_allowed_networks_open_selectively(self) -> None:
        """allowed_networks opens one range, including link-local when listed explicitly."""
        policy = AddressPolicy.from_settings(FetchSettings(allowed_networks=["10.1.0.0/16", "169.254.0.0/16"]))
        assert policy.permits(ipaddress.ip_address("10.1.9.9"))
        assert not policy.permits(ipaddress.ip_address("10.2.0.1"))
        assert policy.permits(ipaddress.ip_address("169.254.169.254"))
        assert policy.permits(ipaddress.ip_address("93.184.216.34"))

    def test_untrusted_link_to_loopback_is_not_fetched(self, world: World) -> None:
        """An article link to 127.0.0.1 is blocked by default and never reaches the server."""
        one = world["one"]
        one.routes["/secret"] = _ok(b"secret")
        with pytest.raises(BlockedAddress):
            fetch(one.url("/secret"), FetchSettings(timeout=3))
        assert not one.hits("/secret")

    def test_operator_feed_is_trusted(self, world: World) -> None:
        """A feed the operator subscribed to may live on a private address."""
        one = world["one"]
        one.routes["/feed"] = _ok(b"<rss/>")
        assert fetch(one.url("/feed"), FetchSettings(timeout=3), trusted=True).status == 200

    def test_trusted_feed_redirect_to_another_host_is_guarded(self, world: World) -> None:
        """A trusted feed redirecting to another host (here `localhost`) passes the guard, and is blocked."""
        one = world["one"]
        target = one.url("/internal").replace("127.0.0.1", "localhost")
        one.routes["/feed"] = lambda r: (302, {"Location": target}, b"")
        one.routes["/internal"] = _ok(b"internal")
        with pytest.raises(BlockedAddress):
            fetch(one.url("/feed"), FetchSettings(timeout=3), trusted=True)
        assert not one.hits("/internal")

    def test_dns_rebinding_between_check_and_connect_is_blocked(
        self, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A name that resolves to a public address for the check and to loopback at connect time is blocked."""
        one = world["one"]
        one.routes["/secret"] = _ok(b"secret")
        _resolve_as(monkeypatch, "93.184.216.34", "127.0.0.1")  # first the check, then the connection
        url = one.url("/secret").replace("127.0.0.1", "rebind.test")
        with pytest.raises(BlockedAddress, match=r"127\.0\.0\.1"):
            fetch(url, FetchSettings(timeout=3))
        assert not one.hits("/secret")

    def test_guarded_connection_goes_to_the_checked_address(
        self, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An untrusted URL is connected to the address that was checked; the Host header keeps the name."""
        one = world["one"]
        one.routes["/page"] = _ok(b"page")
        _resolve_as(monkeypatch, "127.0.0.1", "127.0.0.1")
        url = one.url("/page").replace("127.0.0.1", "named.test")  # a name no real resolver knows
        assert fetch(url, settings()).body == b"page"
        assert one.hits("/page")[0].headers["host"] == url.split("/")[2]

    def test_overlong_host_label_is_a_dns_error(self) -> None:
        """A host name IDNA refuses (a label over 63 characters) is a DNS error, not a crash."""
        with pytest.raises(DNSError, match="invalid host name"):
            fetch(f"http://{'a' * 70}.example/page", FetchSettings(timeout=3))

    def test_untrusted_redirect_into_private_range_is_blocked(self, world: World) -> None:
        """A public-looking link that redirects to link-local is stopped at the hop."""
        one = world["one"]
        one.routes["/go"] = lambda r: (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
        with pytest.raises(BlockedAddress):
            fetch(one.url("/go"), settings())
