"""Adversarial URLs for the fetcher: what httpx cannot request fails as `invalid_url`, never as a bug."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from config.settings import FetchSettings
from ingest.errors import InvalidURL, RedirectError, RobotsDisallowed
from ingest.fetch.client import Fetcher, Response
from ingest.fetch.robots import RobotsCache
from tests.world import HostedWorld


def fetch(url: str, *, trusted: bool) -> Response:
    """One GET through a fresh fetcher allowed to reach loopback."""
    async def go() -> Response:
        async with Fetcher(FetchSettings(allowed_networks=["127.0.0.0/8"], per_host_delay=0, timeout=3)) as fetcher:
            return await fetcher.get(url, trusted=trusted)

    return asyncio.run(go())


class TestMalformedIdnaHosts:
    """Hosts whose `xn--` labels are no valid punycode: httpx raises IDNAError when it reads the host."""

    @pytest.mark.parametrize("url", ["http://xn--/feed.xml", "http://XN--zz-/x", "http://xn--ls8h.example/x"])
    @pytest.mark.parametrize("trusted", [True, False])
    def test_invalid_url_not_internal(self, url: str, trusted: bool) -> None:
        """A subscribed feed (trusted) or an article link (untrusted) on such a host fails as invalid_url."""
        with pytest.raises(InvalidURL, match="cannot request"):
            fetch(url, trusted=trusted)


class RawServer:
    """A loopback server answering every request with the same raw bytes (headers httpx would never write)."""

    def __init__(self, host: str, answer: bytes) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        self.sock = socket.create_server((host, 0))
        self.url = f"http://{host}:{self.sock.getsockname()[1]}/feed.xml"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                self.requests.append(data)
                conn.sendall(self.answer)

    def __enter__(self) -> RawServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def answer(status: bytes, headers: list[bytes], body: bytes = b"") -> bytes:
    """An HTTP/1.1 answer, closing the connection."""
    return (b"HTTP/1.1 " + status + b"\r\n" + b"".join(h + b"\r\n" for h in headers)
            + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)


class TestHostileAnswers:
    """Answers with bytes past ASCII where HTTP expects ASCII."""

    def test_non_ascii_validators_are_not_sent_back(self) -> None:
        """An ETag and Last-Modified with a Latin-1 byte are kept off the next request (httpx raised on them)."""
        feed = b'<rss version="2.0"><channel><title>F</title></channel></rss>'
        with RawServer("127.96.0.1", answer(b"200 OK", [b'ETag: "caf\xe9"'], feed)) as server:
            first = fetch_with(server.url, trusted=True)
            etag = first.headers["etag"]
            assert not etag.isascii()
            second = fetch_with(server.url, trusted=True, etag=etag, last_modified="Mon, 01 Jan 2024 00:00:00 GMT\xe9")
        assert second.body == feed
        assert b"if-none-match" not in server.requests[1].lower()
        assert b"if-modified-since" not in server.requests[1].lower()

    @pytest.mark.parametrize("trusted", [True, False])
    def test_redirect_to_malformed_idna_host(self, trusted: bool) -> None:
        """`Location: http://xn--/x` fails the fetch as a redirect error (httpx raised IDNAError)."""
        with RawServer("127.96.0.2", answer(b"302 Found", [b"Location: http://xn--/x"])) as server, \
                pytest.raises(RedirectError, match="redirect to unsupported URL"):
            fetch_with(server.url, trusted=trusted)


def fetch_with(url: str, *, trusted: bool, etag: str | None = None, last_modified: str | None = None) -> Response:
    """One GET with validators through a fresh fetcher allowed to reach loopback."""
    async def go() -> Response:
        async with Fetcher(FetchSettings(allowed_networks=["127.0.0.0/8"], per_host_delay=0, timeout=3)) as fetcher:
            return await fetcher.get(url, trusted=trusted, etag=etag, last_modified=last_modified)

    return asyncio.run(go())


class TestRobots:
    """robots.txt files nobody here wrote, read for article pages."""

    @pytest.mark.parametrize("field", ["Crawl-delay: " + "9" * 5000, "Request-rate: " + "9" * 5000 + "/1"])
    def test_5000_digit_number_is_read_past(self, field: str) -> None:
        """A 5,000-digit Crawl-delay or Request-rate (past Python's int limit) leaves the rules in force; it
        raised ValueError out of the check, so every page of the host failed as internal."""
        robots = f"User-agent: *\n{field}\nDisallow: /private/\n"
        with HostedWorld(site="127.98.0.1") as world:
            outlet = world["site"]
            outlet.static("/robots.txt", robots, "text/plain")

            async def go() -> bool:
                async with Fetcher(FetchSettings(allowed_networks=["127.98.0.0/16"], per_host_delay=0,
                                                 timeout=3)) as fetcher:
                    cache = RobotsCache(fetcher)
                    await cache.check(outlet.url("/news/a.html"))
                    try:
                        await cache.check(outlet.url("/private/b.html"))
                    except RobotsDisallowed:
                        return True
                    return False

            assert asyncio.run(go()), "the Disallow line after the long number was not obeyed"
