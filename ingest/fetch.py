"""HTTP fetching with httpx: size caps, manual redirects, SSRF guard, per-host politeness."""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import httpx

from config.settings import FetchSettings
from ingest.errors import (
    BlockedAddress,
    ConnectionRefused,
    DNSError,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    NetworkError,
    RedirectError,
    TLSError,
    TooLarge,
)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})


@dataclass(frozen=True, slots=True)
class Response:
    """A fetched resource: final URL, status, headers and the (decompressed) body."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    redirects: tuple[tuple[int, str], ...] = ()
    elapsed: float = 0.0

    @property
    def permanent_url(self) -> str | None:
        """Where a chain of only permanent redirects leads, if the first hop was permanent."""
        target = None
        for status, location in self.redirects:
            if status not in PERMANENT_REDIRECTS:
                break
            target = location
        return target


def parse_retry_after(value: str | None, now: datetime | None = None) -> datetime | None:
    """Read Retry-After as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    now = now or datetime.now(UTC)
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass(slots=True)
class AddressPolicy:
    """Which resolved addresses an untrusted URL (article link, feed redirect) may reach."""

    allow_private: bool = False
    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(cls, settings: FetchSettings) -> AddressPolicy:
        """Build the policy from `[fetch] allow_private_networks` and `allowed_networks`."""
        nets = tuple(ipaddress.ip_network(c, strict=False) for c in settings.allowed_networks)
        return cls(allow_private=settings.allow_private_networks, allowed=nets)

    def permits(self, address: IPAddress) -> bool:
        """Whether one resolved address may be contacted."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in net for net in self.allowed):
            return True
        if address.is_link_local or address.is_multicast or address.is_unspecified or address.is_reserved:
            return False
        if address.is_private or address.is_loopback:
            return self.allow_private
        return address.is_global

    async def check(self, url: str) -> None:
        """Raise BlockedAddress unless every address the host resolves to is permitted."""
        host = urlsplit(url).hostname
        if not host:
            raise BlockedAddress(url, "no host in URL")
        for address in await resolve(host, url):
            if not self.permits(address):
                raise BlockedAddress(url, f"{host} resolves to {address}, which is not allowed")


async def resolve(host: str, url: str) -> list[IPAddress]:
    """Resolve a host name to its addresses, or raise DNSError."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise DNSError(url, f"cannot resolve {host}: {exc.strerror}") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


@dataclass(slots=True)
class HostGate:
    """Per-host concurrency limit and minimum delay between two requests to one host."""

    concurrency: int
    delay: float
    _slots: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    _next_start: dict[str, float] = field(default_factory=dict)
    _blocked_until: dict[str, float] = field(default_factory=dict)

    def block(self, host: str, until: datetime) -> None:
        """Hold all requests to a host until a time (a Retry-After given by the host)."""
        wait = (until - datetime.now(UTC)).total_seconds()
        self._blocked_until[host] = max(self._blocked_until.get(host, 0.0), time.monotonic() + wait)

    def blocked_for(self, host: str) -> float:
        """Seconds the host still asked us to wait."""
        return max(0.0, self._blocked_until.get(host, 0.0) - time.monotonic())

    async def __call__(self, host: str) -> asyncio.Semaphore:
        """Wait for the host's turn; return its semaphore, already acquired."""
        slot = self._slots.setdefault(host, asyncio.Semaphore(self.concurrency))
        await slot.acquire()
        now = time.monotonic()
        start = max(now, self._next_start.get(host, now))
        self._next_start[host] = start + self.delay
        if start > now:
            await asyncio.sleep(start - now)
        return slot


class Fetcher:
    """An httpx client that fetches with the caps, guards and politeness wirefeed promises."""

    def __init__(self, settings: FetchSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.policy = AddressPolicy.from_settings(settings)
        self.gate = HostGate(settings.per_host_concurrency, settings.per_host_delay)
        self._global = asyncio.Semaphore(settings.concurrency)
        limits = httpx.Limits(max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency)
        self.client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(settings.timeout),
            limits=limits,
            follow_redirects=False,
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            trust_env=False,
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        trusted: bool = False,
        accept: str | None = None,
    ) -> Response:
        """GET a URL, following redirects by hand; raise a FetchError subclass on failure.

        A 304 is returned as a Response; other statuses >= 400 raise HTTPStatusError.
        Untrusted URLs (article links, anything a feed points at) pass the SSRF guard at every hop.
        """
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = accept
        started = time.monotonic()
        hops: list[tuple[int, str]] = []
        seen = {url}
        current = url
        async with self._global:
            try:
                async with asyncio.timeout(self.settings.timeout * (self.settings.max_redirects + 1)):
                    while True:
                        if not trusted:
                            await self.policy.check(current)
                        status, resp_headers, body = await self._one(current, headers)
                        if status in REDIRECT_STATUSES and "location" in resp_headers:
                            target = urljoin(current, resp_headers["location"])
                            if urlsplit(target).scheme not in ("http", "https"):
                                raise RedirectError(url, f"redirect to unsupported URL {target}")
                            hops.append((status, target))
                            if target in seen:
                                raise RedirectError(url, f"redirect loop at {target}")
                            if len(hops) > self.settings.max_redirects:
                                raise RedirectError(url, f"more than {self.settings.max_redirects} redirects")
                            seen.add(target)
                            current = target
                            continue
                        break
            except TimeoutError as exc:
                raise FetchTimeout(url, f"no complete answer within {self.settings.timeout:g}s") from exc
        elapsed = time.monotonic() - started
        if status >= 400:
            raise HTTPStatusError(current, status, parse_retry_after(resp_headers.get("retry-after")))
        return Response(current, status, resp_headers, body, tuple(hops), elapsed)

    async def _one(self, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """One request without redirects, body streamed and capped after decompression."""
        host = urlsplit(url).hostname or ""
        wait = self.gate.blocked_for(host)
        if wait > 0:
            raise HTTPStatusError(url, 429, datetime.now(UTC) + timedelta(seconds=wait))
        slot = await self.gate(host)
        try:
            async with asyncio.timeout(self.settings.timeout):
                async with self.client.stream("GET", url, headers=headers) as response:
                    chunks: list[bytes] = []
                    size = 0
                    if response.status_code < 300 or response.status_code >= 400:
                        async for chunk in response.aiter_bytes():
                            size += len(chunk)
                            if size > self.settings.max_bytes:
                                raise TooLarge(url, f"body larger than {self.settings.max_bytes} bytes")
                            chunks.append(chunk)
                    resp_headers = {k.lower(): v for k, v in response.headers.items()}
                    if response.status_code in (429, 503):
                        retry = parse_retry_after(resp_headers.get("retry-after"))
                        if retry is not None:
                            self.gate.block(host, retry)
                    return response.status_code, resp_headers, b"".join(chunks)
        except TimeoutError as exc:
            raise FetchTimeout(url, f"no complete answer within {self.settings.timeout:g}s") from exc
        except httpx.TimeoutException as exc:
            raise FetchTimeout(url, f"timed out after {self.settings.timeout:g}s") from exc
        except httpx.DecodingError as exc:
            raise NetworkError(url, f"cannot decode body: {exc}") from exc
        except httpx.TransportError as exc:
            raise classify_transport_error(url, exc) from exc
        finally:
            slot.release()


def classify_transport_error(url: str, exc: BaseException) -> FetchError:
    """Map an httpx/httpcore transport error to the kind a user reads."""
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            return DNSError(url, f"cannot resolve host: {cause.strerror}")
        if isinstance(cause, ConnectionRefusedError):
            return ConnectionRefused(url, "connection refused")
        if isinstance(cause, ssl.SSLError):
            return TLSError(url, str(cause))
    text = str(exc)
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return DNSError(url, text)
    if "Connection refused" in text or "Errno 111" in text:
        return ConnectionRefused(url, "connection refused")
    if "SSL" in text or "certificate" in text:
        return TLSError(url, text)
    return NetworkError(url, text or type(exc).__name__)


def _causes(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
