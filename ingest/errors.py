"""Every error wirefeed raises on purpose, classified the way a user reads it.

The root lives in `config/errors.py` so that config/ and store/ (which must not import ingest/) derive from
it too; it is re-exported here. `kind` is the one word a user sees beside the message.

Where a class lives is on its right when it is not this module; `kind` (what a user sees) after its name.

WirefeedError                   error            config/errors.py, re-exported here
 ├── ConfigError                config           config/settings.py (bad file or value, fields that disagree)
 ├── StoreError                 store            store/db.py (unreachable, damaged, bad URL, migration)
 ├── UsageError                 usage            ingest/cli/context.py (bad command line: exit status 2)
 ├── FileAccessError            file             ingest/cli/context.py (a named file cannot be read/written)
 ├── BackfillError              backfill         ingest/backfill/run.py (cannot start; run taken over)
 ├── SitemapError               sitemap          ingest/backfill/sitemaps.py (not XML, not a sitemap, too big)
 ├── WarcDamaged                warc             ingest/backfill/warc.py (damaged or truncated at a record)
 ├── OPMLError                  opml             ingest/feeds/opml.py (not a readable OPML document)
 ├── FetchError                 (kind: what `feeds list` shows)
 │    ├── FetchTimeout           timeout
 │    ├── DNSError               dns
 │    ├── ConnectionRefused      refused
 │    ├── TLSError               tls
 │    ├── NetworkError           network
 │    ├── HTTPStatusError        http_4xx / http_5xx (with retry_after when the server gave one)
 │    ├── HostDeferred           deferred (not sent: the host asked us to wait; not held against the feed)
 │    ├── TooLarge               too_large
 │    ├── BlockedAddress         blocked (SSRF guard: link-local, private, loopback...)
 │    ├── RedirectError          redirects (too many, or a loop)
 │    ├── InvalidURL             invalid_url (a link no HTTP client can request)
 │    └── RobotsDisallowed       robots
 ├── FeedError
 │    ├── NotAFeed               not_a_feed (HTML page, empty body)
 │    ├── FeedEncodingError      encoding (bytes that no declared or detectable charset decodes)
 │    └── FeedParseError         parse_error (nothing recoverable)
 ├── ExtractError
 │    └── ExtractTimeout         extract_timeout
 └── InternalError              internal (a bug met on one unit: that unit fails alone, the pass goes on)

`str(exc)` is the message alone, never prefixed with the kind: a caller that shows both prints `exc.kind`
beside it (`feeds list` shows `[timeout] no complete answer within 10s`). A FetchError and a FeedError
take `(url, detail)`: a password in a URL is masked in the message (`user:***@host`); `exc.url` keeps the
URL as given, credentials included.
"""

from __future__ import annotations

from datetime import datetime

from config.errors import WirefeedError
from ingest.urls import mask_secrets, mask_url

__all__ = [
    "BlockedAddress", "ConnectionRefused", "DNSError", "ExtractError", "ExtractTimeout", "FeedEncodingError",
    "FeedError", "FeedParseError", "FetchError", "FetchTimeout", "HTTPStatusError", "HostDeferred",
    "InternalError", "InvalidURL", "NetworkError", "NotAFeed", "RedirectError", "RobotsDisallowed", "TLSError",
    "TooLarge", "WirefeedError",
]


class FetchError(WirefeedError):
    """A URL could not be fetched."""

    kind = "network"

    def __init__(self, url: str, detail: str = "") -> None:
        self.url = url
        self.detail = detail
        super().__init__(mask_secrets(detail) if detail else f"cannot fetch {mask_url(url)}")


class FetchTimeout(FetchError):
    """The server did not answer within the configured timeout."""

    kind = "timeout"


class DNSError(FetchError):
    """The host name does not resolve."""

    kind = "dns"


class ConnectionRefused(FetchError):
    """Nothing listens at that address."""

    kind = "refused"


class TLSError(FetchError):
    """The TLS handshake or certificate check failed."""

    kind = "tls"


class NetworkError(FetchError):
    """Any other transport failure (reset, protocol error)."""

    kind = "network"


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(self, url: str, status: int, retry_after: datetime | None = None) -> None:
        self.status = status
        self.retry_after = retry_after
        self.kind = "http_5xx" if status >= 500 else "http_4xx"
        super().__init__(url, f"HTTP {status}")


class NotModifiedUnasked(HTTPStatusError):
    """A 304 to a request that carried no validators: there was nothing to be unchanged against."""

    def __init__(self, url: str) -> None:
        super().__init__(url, 304)
        self.detail = "HTTP 304 Not Modified to a request without validators (the server never sends the body)"
        self.args = (self.detail,)


class HostDeferred(FetchError):
    """The request was not sent: its host answered 429/503 with a Retry-After that has not passed yet."""

    kind = "deferred"

    def __init__(self, url: str, retry_after: datetime) -> None:
        self.retry_after = retry_after
        super().__init__(url, f"host asked us to wait until {retry_after:%Y-%m-%d %H:%M:%S} UTC")


class TooLarge(FetchError):
    """The body exceeded the configured size cap (counted after decompression)."""

    kind = "too_large"


class BlockedAddress(FetchError):
    """The URL resolves to an address the SSRF guard does not allow."""

    kind = "blocked"


class RedirectError(FetchError):
    """Too many redirects, or a redirect loop."""

    kind = "redirects"


class RobotsDisallowed(FetchError):
    """robots.txt forbids fetching this page."""

    kind = "robots"


class InvalidURL(FetchError):
    """The URL cannot be requested at all (no host, a bracket outside an IPv6 address, a bad port...)."""

    kind = "invalid_url"


class FeedError(WirefeedError):
    """A fetched body is not a usable feed."""

    kind = "parse_error"

    def __init__(self, url: str, detail: str = "") -> None:
        self.url = url
        self.detail = detail
        super().__init__(mask_secrets(detail) if detail else f"no usable feed at {mask_url(url)}")


class NotAFeed(FeedError):
    """The body is empty or an HTML page rather than a feed."""

    kind = "not_a_feed"


class FeedEncodingError(FeedError):
    """The feed's bytes cannot be decoded with its declared charset, nor as UTF-8."""

    kind = "encoding"


class FeedParseError(FeedError):
    """The feed is malformed beyond recovery."""

    kind = "parse_error"


class ExtractError(WirefeedError):
    """A page could not be turned into text."""

    kind = "extract_error"


class ExtractTimeout(ExtractError):
    """Extraction took longer than `[extract] timeout` and was abandoned."""

    kind = "extract_timeout"


class InternalError(WirefeedError):
    """A bug met on one unit (feed, item, page, story placement, backfill record): that unit fails alone.

    Wraps any exception that is not a WirefeedError at the unit's boundary, keeping its type and message
    for the unit's row; the traceback goes to the `internal_error` log event.
    """

    kind = "internal"

    def __init__(self, unit: str, exc: BaseException) -> None:
        self.unit = unit
        self.original = exc
        message = str(exc).splitlines()[0][:500] if str(exc) else ""
        super().__init__(f"{type(exc).__name__}: {message}" if message else type(exc).__name__)

