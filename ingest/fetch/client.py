"""HTTP fetching with httpx: size caps, manual redirects, SSRF guard, per-host politeness."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import importlib.util
import ipaddress
import socket
import ssl
import sys
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from config.settings import FetchSettings
from ingest.errors import (
    BlockedAddress,
    ConnectionRefused,
    DNSError,
    FetchError,
    FetchTimeout,
    HostDeferred,
    HTTPStatusError,
    InvalidURL,
    NetworkError,
    RedirectError,
    TLSError,
    TooLarge,
)


@functools.cache
def _skip_missing_sniffio() -> None:
    """Once per process, before the first client: make httpcore's per-request `import sniffio` fail at once.

    httpcore tries `import sniffio` on every request; without it, each failed import scans sys.path (a third
    of a 304 poll's time). A None entry in sys.modules makes the failure instant; an installed sniffio is left
    alone.
    """
    if importlib.util.find_spec("sniffio") is None:
        sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
CLIENT_SHARDS = 8
# A Retry-After further ahead than this is read as this: a misconfigured server cannot park a feed for years.
MAX_RETRY_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Response:
    """A fetched resource: final URL, status, headers and the (decompressed) body."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    redirects: tuple[tuple[int, str], ...] = ()
    elapsed: float = 0.0  # seconds the server took, redirects included; waits for our turn (politeness) left out

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
    """Read Retry-After as seconds or an HTTP date, at most MAX_RETRY_AFTER ahead; None when absent or unreadable."""
    if not value:
        return None
    now = now or datetime.now(UTC)
    value = value.strip()
    if value.isascii() and value.isdigit():
        seconds = min(int(value[:12]) if len(value) <= 12 else MAX_RETRY_AFTER.total_seconds(),
                      MAX_RETRY_AFTER.total_seconds())
        return now + timedelta(seconds=seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return min(when, now + MAX_RETRY_AFTER)


Origin = tuple[str, str, int]


def check_url(url: str) -> None:
    """Raise InvalidURL unless the URL is an http(s) URL with a host that httpx can request."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port out of range or not a number
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValueError("not an http(s) URL with a host")
        httpx.URL(url).host  # noqa: B018 - decodes the host: raises on a malformed IDNA label (`xn--`)
    except (ValueError, httpx.InvalidURL) as exc:
        raise InvalidURL(url, f"cannot request {url[:300]!r}: {exc}") from exc


def _request_headers(etag: str | None, last_modified: str | None, accept: str | None) -> dict[str, str]:
    """A GET's conditional and Accept headers.

    A validator the server sent with bytes past ASCII (`ETag: "caf\xe9"`) is not sent back: httpx encodes
    request headers as ASCII and raised, so every later poll of the feed failed. The body hash still spares
    an unchanged body.
    """
    headers: dict[str, str] = {}
    if etag and etag.isascii():
        headers["If-None-Match"] = etag
    if last_modified and last_modified.isascii():
        headers["If-Modified-Since"] = last_modified
    if accept:
        headers["Accept"] = accept
    return headers


def origin_of(url: str) -> Origin:
    """A URL's origin (scheme, host, port): the unit of politeness, as browsers scope connections."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port out of range or not a number: such a request fails later, by itself
        port = None
    return scheme, (parts.hostname or "").lower(), port or (443 if scheme == "https" else 80)


_HOW_TO_ALLOW = "allow it with [fetch] allowed_networks, or private ones with [fetch] allow_private_networks"


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
        if address.is_link_local or address.is_multicast or address.is_unspecified:
            return False
        if address.is_loopback or address.is_private:  # before is_reserved, which ::1 also is
            return self.allow_private
        return address.is_global and not address.is_reserved

    async def check(self, url: str) -> None:
        """Raise BlockedAddress unless every address the host resolves to is permitted."""
        host = urlsplit(url).hostname
        if not host:
            raise BlockedAddress(url, "no host in URL")
        await self.addresses(host, url)

    async def addresses(self, host: str, url: str) -> list[IPAddress]:
        """Resolve a host; return its addresses, or raise BlockedAddress if any of them is not permitted."""
        found = await resolve(host, url)
        for address in found:
            if not self.permits(address):
                raise BlockedAddress(url, f"{host} resolves to {address}, which is not allowed ({_HOW_TO_ALLOW})")
        return found


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network layer for untrusted URLs: resolves the host itself and connects to the checked address.

    `AddressPolicy.check` before a request gives the clear error early, but httpx would resolve the name
    again when it connects, and a DNS answer that changes in between (DNS rebinding) would reach an
    address never checked. Here the addresses that are checked are the ones connected to. TLS still
    verifies the certificate against the URL's host name (httpcore takes SNI from the URL, not the socket).
    """

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Connect to the first permitted address of the host that accepts."""
        addresses = await self.policy.addresses(host, f"{host}:{port}")
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        # Each address gets a share of the connect timeout, so a silent first address (often IPv6) leaves
        # time for the next one before the request's own deadline.
        share = timeout / len(addresses) if timeout is not None and addresses else timeout
        for address in addresses:
            try:
                return await self._backend.connect_tcp(
                    str(address), port, timeout=share, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # try the host's next address, as a resolver-driven connect would
        raise failure or httpcore.ConnectError(f"no address for {host}")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.AsyncNetworkStream:
        """Never used: wirefeed fetches http(s) URLs only."""
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        """Sleep on the event loop."""
        await self._backend.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool whose connections go through `GuardedBackend`."""

    def __init__(self, policy: AddressPolicy, limits: httpx.Limits, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        # httpx has no public hook for the network backend; its pool is rebuilt with the same settings.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )


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
    except UnicodeError as exc:  # e.g. a label over 63 characters: IDNA refuses it
        raise DNSError(url, f"invalid host name {host[:80]!r}: {exc}") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


@dataclass(slots=True)
class HostGate:
    """Per-origin concurrency limit and minimum delay between two requests to one origin.

    Keyed by origin (scheme, host, port), not host name: two servers on one machine are two publishers,
    and a 429 from one of them says nothing about the other.
    """

    concurrency: int
    delay: float
    _slots: dict[Origin, asyncio.Semaphore] = field(default_factory=dict)
    _next_start: dict[Origin, float] = field(default_factory=dict)
    _blocked_until: dict[Origin, float] = field(default_factory=dict)
    _wake: dict[Origin, asyncio.Event] = field(default_factory=dict)

    def block(self, origin: Origin, until: datetime) -> None:
        """Hold all requests to an origin until a time (a Retry-After it gave); wake those waiting their turn."""
        wait = (until - datetime.now(UTC)).total_seconds()
        self._blocked_until[origin] = max(self._blocked_until.get(origin, 0.0), time.monotonic() + wait)
        wake = self._wake.pop(origin, None)
        if wake is not None:
            wake.set()

    def blocked_for(self, origin: Origin) -> float:
        """Seconds the origin still asked us to wait."""
        return max(0.0, self._blocked_until.get(origin, 0.0) - time.monotonic())

    async def __call__(self, origin: Origin) -> asyncio.Semaphore:
        """Wait for the origin's turn; return its semaphore, already acquired.

        The wait ends early when the origin asks us to wait (a 429 to the request before ours): the
        caller then defers its request at once rather than after its turn.
        """
        slot = self._slots.setdefault(origin, asyncio.Semaphore(self.concurrency))
        await slot.acquire()
        if self.blocked_for(origin) > 0:
            return slot
        now = time.monotonic()
        start = max(now, self._next_start.get(origin, now))
        self._next_start[origin] = start + self.delay
        if start > now:
            wake = self._wake.setdefault(origin, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), start - now)
        return slot


class Fetcher:
    """An httpx client that fetches with the caps, guards and politeness wirefeed promises."""

    def __init__(
        self,
        settings: FetchSettings,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        blocked: dict[Origin, float] | None = None,
    ) -> None:
        """`blocked`: origins that asked us to wait (monotonic deadlines), shared across a daemon's passes."""
        _skip_missing_sniffio()
        self.settings = settings
        self.policy = AddressPolicy.from_settings(settings)
        self.gate = HostGate(settings.per_host_concurrency, settings.per_host_delay)
        if blocked is not None:
            self.gate._blocked_until = blocked
        self._global = asyncio.Semaphore(settings.concurrency)
        # httpcore's pool scans every connection on every request and release, so one pool of many
        # connections costs more CPU than the requests; hosts are spread over a few small pools instead.
        shards = 1 if transport is not None else max(1, min(CLIENT_SHARDS, settings.concurrency // 4))
        self._limits = httpx.Limits(max_connections=-(-settings.concurrency // shards),
                                    max_keepalive_connections=-(-settings.concurrency // shards))
        self._shards = shards
        self._transport = transport
        # One TLS context (loading the CA bundle costs tens of milliseconds) for every pool.
        self._ssl = httpx.create_ssl_context(trust_env=False)
        # Trusted URLs (the operator's feeds) and untrusted ones (links and redirects found in feeds) never
        # share a pool: a connection opened for a trusted private feed is not reused for an untrusted link.
        # The untrusted pools are made on first use (a feed-only pass never needs them).
        self._clients = [self._client(transport) for _ in range(shards)]
        self._guarded: list[httpx.AsyncClient] = []

    def _client(self, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=transport,
            verify=self._ssl,
            timeout=httpx.Timeout(self.settings.timeout),
            limits=self._limits,
            follow_redirects=False,
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            trust_env=False,
        )

    def _client_for(self, host: str, *, trusted: bool) -> httpx.AsyncClient:
        if trusted:
            clients = self._clients
        else:
            if not self._guarded:
                self._guarded = [
                    self._client(self._transport or GuardedTransport(self.policy, self._limits, self._ssl))
                    for _ in range(self._shards)
                ]
            clients = self._guarded
        return clients[zlib.crc32(host.encode()) % len(clients)]

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pools."""
        for client in (*self._clients, *self._guarded):
            await client.aclose()

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
        Untrusted URLs (article links, anything a feed points at) pass the SSRF guard at every hop; a
        trusted URL (a feed the operator subscribed to) skips it, but a redirect to another host does not.
        """
        check_url(url)
        headers = _request_headers(etag, last_modified, accept)
        started = time.monotonic()
        waited: list[float] = []  # seconds each hop waited for its turn (politeness), not the server's time
        hops: list[tuple[int, str]] = []
        seen = {_loop_key(url)}
        current = url
        trusted_host = urlsplit(url).hostname if trusted else None
        try:
            # The whole chain is bounded too, so a server cannot hold us with a slow redirect chain.
            async with asyncio.timeout(self.settings.timeout * (self.settings.max_redirects + 1)) as budget:
                while True:
                    guarded = trusted_host is None or urlsplit(current).hostname != trusted_host
                    if guarded:
                        await self.policy.check(current)
                    status, resp_headers, body = await self._one(current, headers, trusted=not guarded,
                                                                 budget=budget, waited=waited)
                    if status in REDIRECT_STATUSES and "location" in resp_headers:
                        location = resp_headers["location"].strip()
                        try:
                            target = urljoin(current, location)
                            check_url(target)
                        except (ValueError, InvalidURL) as exc:
                            raise RedirectError(url, f"redirect to unsupported URL {location[:300]}") from exc
                        hops.append((status, target))
                        if _loop_key(target) in seen:
                            raise RedirectError(url, f"redirect loop at {target}")
                        if len(hops) > self.settings.max_redirects:
                            raise RedirectError(url, f"more than {self.settings.max_redirects} redirects")
                        seen.add(_loop_key(target))
                        current = target
                        continue
                    break
        except TimeoutError as exc:
            raise FetchTimeout(url, f"no complete answer within {self.settings.timeout:g}s") from exc
        elapsed = max(1e-6, time.monotonic() - started - sum(waited))
        if status >= 400:
            raise HTTPStatusError(current, status, parse_retry_after(resp_headers.get("retry-after")))
        return Response(current, status, resp_headers, body, tuple(hops), elapsed)

    async def _one(
        self, url: str, headers: dict[str, str], *, trusted: bool, budget: asyncio.Timeout | None = None,
        waited: list[float] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request without redirects, body streamed and capped after decompression.

        Time spent waiting for our turn (the origin's delay, a free connection) is added to `budget`, the
        deadline of the whole redirect chain: our own politeness is not the server's slowness. It is
        appended to `waited` too, which the response's `elapsed` leaves out.
        """
        host = urlsplit(url).hostname or ""
        origin = origin_of(url)
        # An origin that asked us to wait is not queued behind its delay: the request is deferred at once.
        self._defer_if_blocked(url, origin)
        queued, deadline = time.monotonic(), budget.when() if budget is not None else None
        if budget is not None:
            budget.reschedule(None)  # paused while we wait for our turn
        # The origin's turn first, then a global slot: a request waiting out a delay holds no slot.
        slot = await self.gate(origin)
        try:
            self._defer_if_blocked(url, origin)  # again: the request before ours may have been told to wait
            async with self._global:
                if waited is not None:
                    waited.append(time.monotonic() - queued)
                if budget is not None and deadline is not None:
                    budget.reschedule(deadline + time.monotonic() - queued)
                async with (
                    asyncio.timeout(self.settings.timeout),
                    self._client_for(host, trusted=trusted).stream("GET", url, headers=headers) as response,
                ):
                    resp_headers = {k.lower(): v for k, v in response.headers.items()}
                    body = b""
                    if response.status_code < 300 or response.status_code >= 400:
                        body = await self._read(url, response, resp_headers.get("content-encoding", ""))
                    if response.status_code in (429, 503):
                        retry = parse_retry_after(resp_headers.get("retry-after"))
                        if retry is not None:
                            self.gate.block(origin, retry)
                    return response.status_code, resp_headers, body
        except TimeoutError as exc:
            raise FetchTimeout(url, f"no complete answer within {self.settings.timeout:g}s") from exc
        except httpx.TimeoutException as exc:
            raise FetchTimeout(url, f"timed out after {self.settings.timeout:g}s") from exc
        except httpx.TransportError as exc:
            raise classify_transport_error(url, exc) from exc
        except UnicodeError as exc:  # httpx decodes a redirect's Location host as IDNA (`xn--`) even unfollowed
            raise RedirectError(url, f"redirect to unsupported URL: {exc}") from exc
        except (BlockedAddress, DNSError) as exc:  # from GuardedBackend, which only knows host and port
            if exc.url == url:
                raise
            raise type(exc)(url, exc.detail) from exc
        finally:
            slot.release()

    def _defer_if_blocked(self, url: str, origin: Origin) -> None:
        wait = self.gate.blocked_for(origin)
        if wait > 0:
            raise HostDeferred(url, datetime.now(UTC) + timedelta(seconds=wait))

    async def _read(self, url: str, response: httpx.Response, encoding: str) -> bytes:
        """Stream the raw body and decompress it ourselves, so the cap counts decompressed bytes."""
        limit = self.settings.max_bytes
        declared = response.headers.get("content-length", "")
        if not encoding and declared.isascii() and declared.isdigit() and int(declared) > limit:
            raise TooLarge(url, f"body of {declared} bytes is larger than {limit} bytes")
        decoder = BodyDecoder(url, encoding, limit)
        async for chunk in response.aiter_raw():
            decoder.feed(chunk)
        return decoder.finish()


class BodyDecoder:
    """gzip/deflate decoding with a hard cap on output: a decompression bomb stops at `limit` bytes."""

    def __init__(self, url: str, encoding: str, limit: int) -> None:
        self.url = url
        self.limit = limit
        self.size = 0
        self.chunks: list[bytes] = []
        parts = (part.strip().lower() for part in encoding.split(","))
        codings = [c for c in parts if c not in ("", "identity")]
        if len(codings) > 1:
            raise NetworkError(url, f"unsupported content-encoding {encoding!r}")
        self.coding = codings[0] if codings else ""
        self.zlib: zlib._Decompress | None = None
        if self.coding in ("gzip", "x-gzip"):
            self.zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.coding == "deflate":
            self.zlib = None  # zlib-wrapped or raw; decided on the first bytes
        elif self.coding:
            raise NetworkError(url, f"unsupported content-encoding {encoding!r}")

    def feed(self, chunk: bytes) -> None:
        """Take raw bytes from the wire."""
        if not self.coding:
            self._emit(chunk)
            return
        if self.zlib is None:
            # RFC 9110 deflate is zlib-wrapped; some servers send raw deflate instead.
            wrapped = len(chunk) >= 2 and (chunk[0] & 0x0F) == 8 and ((chunk[0] << 8) | chunk[1]) % 31 == 0
            self.zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        data = chunk
        while data:
            try:
                out = self.zlib.decompress(data, self.limit - self.size + 1)
            except zlib.error as exc:
                raise NetworkError(self.url, f"cannot decode {self.coding} body: {exc}") from exc
            self._emit(out)
            data = self.zlib.unconsumed_tail
            if self.zlib.eof:
                break

    def _emit(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise TooLarge(self.url, f"body larger than {self.limit} bytes (after decompression)")
        if data:
            self.chunks.append(data)

    def finish(self) -> bytes:
        """The decoded body."""
        if self.zlib is not None and not self.zlib.eof and self.coding:
            try:
                self._emit(self.zlib.flush())
            except zlib.error as exc:
                raise NetworkError(self.url, f"truncated {self.coding} body: {exc}") from exc
        return b"".join(self.chunks)


def _loop_key(url: str) -> str:
    """A URL as redirect-loop detection compares it: fragment dropped, scheme and host lower-cased."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path or '/'}?{parts.query}"


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
