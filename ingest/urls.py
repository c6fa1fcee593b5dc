"""URLs: the canonical identity of an article link, the outlet it belongs to, and credentials masked for output.

Every function here is total: a string that is not a URL (an unbalanced `[`, a port out of range, a bare
word) gives a best-effort answer, never an exception, because links come from feeds nobody here wrote.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

# courlan strips the common trackers (utm_*, fbclid, gclid, mc_*...); these are feed-specific extras.
EXTRA_TRACKERS = frozenset({"at_medium", "at_campaign", "xtor", "ito", "cmpid", "ns_mchannel", "ns_source"})

WEB_SCHEMES = frozenset({"http", "https"})
MASK = "***"

# `//user:password@` or a lone `//token@` anywhere in a text (a log value, an error message, a traceback).
# The password runs to the last `@` of the authority, as urlsplit and httpx read it, so `p@ss` in
# `//u:p@ss@host` is masked whole, and it may hold spaces (`user:hunter2 y@host` is a URL httpx requests);
# it stops at a line end and at a `"` that ends a string (before `,` `:` `}` `]`, a space or the end), so
# masking a rendered JSON line never joins two of its strings, while `hun"ter2` is masked whole.
_CREDENTIALS = re.compile(r'//(?:(?P<user>[^:/?#@\s"]*):(?:[^/?#\r\n"]|"(?![\s,:}\]]|$))*|[^:/?#@\s"]+)@')


def canonical_url(url: str) -> str:
    """Normalise scheme and host, drop credentials, the fragment and tracking parameters, sort the query.

    A link that cannot be parsed (e.g. `http://example.c[o.test/x`) is its own identity: stripped, without
    its fragment; that is also a fixed point, so canonical_url(canonical_url(x)) == canonical_url(x).
    """
    # Imported on first use: courlan costs a quarter of a second that the CLI's start should not pay.
    import courlan

    url = without_userinfo(url.strip())
    unparsed = url.partition("#")[0].strip()
    try:
        parts = urlsplit(url)
        if parts.scheme.lower() not in WEB_SCHEMES or not parts.netloc:
            return unparsed  # not a web link: nothing to normalise (and courlan's guesses are not stable)
        try:
            # Given the split URL, not the string: from a string courlan first HTML-unescapes it, which turns
            # `?id=1&region=eu` into `?id=1®ion=eu` (a link from a feed is already unescaped by its parser).
            normalised = courlan.normalize_url(parts)
        except ValueError:
            normalised = url
        parts = urlsplit(normalised)
    except ValueError:  # e.g. an unbalanced `[` in the host
        return unparsed
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair and pair.split("=", 1)[0].lower() not in EXTRA_TRACKERS
    )
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def site_of(url: str) -> str:
    """The outlet a page belongs to: its host without a leading www, with the port when one is given."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced `[`: no host can be trusted
        return ""
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return f"{host}:{port}" if port is not None and port != default else host


def mask_url(url: str) -> str:
    """The URL with the password of its userinfo replaced by `***` (`user:***@host`), for any output.

    Works on text that is not a valid URL as well (a database URL with a typo such as
    `postgresql+psycopg//user:pw@host/db`, or no scheme at all): everything between the authority's start
    and its last `@` after the first `:` is the password. A userinfo without `:` after `//` is often a
    token (`https://<token>@host/feed`) and is masked whole (`***@host`).
    """
    if "@" not in url:
        return url
    slashes = url.find("//")
    # The authority starts after `//`, or at the start when no `//` comes before the first `@`.
    start = slashes + 2 if 0 <= slashes < url.find("@") else 0
    end = len(url)
    for stop in "/?#":
        found = url.find(stop, start)
        if found >= 0:
            end = min(end, found)
    userinfo, at, host = url[start:end].rpartition("@")
    user, colon, _password = userinfo.partition(":")
    if at and colon:
        url = f"{url[:start]}{user}:{MASK}@{host}{url[end:]}"
    elif at and userinfo and start > 0:
        url = f"{url[:start]}{MASK}@{host}{url[end:]}"
    return mask_secrets(url)  # and any other `//user:password@` (e.g. after `http:///`)


def mask_secrets(text: str) -> str:
    """Every `//user:password@` (and lone `//token@`) in a free text with the password (token) masked."""
    if "@" not in text:  # the common case, and the cheap test
        return text
    return _CREDENTIALS.sub(_masked_userinfo, text)


def _masked_userinfo(match: re.Match[str]) -> str:
    user = match.group("user")
    return f"//{MASK}@" if user is None else f"//{user}:{MASK}@"


def without_userinfo(url: str) -> str:
    """The URL without `user:password@`: credentials are not part of an article's identity."""
    start = url.find("//")
    if start < 0 or "@" not in url:
        return url
    start += 2
    end = len(url)
    for stop in "/?#":
        found = url.find(stop, start)
        if found >= 0:
            end = min(end, found)
    at = url.rfind("@", start, end)
    return url if at < 0 else url[:start] + url[at + 1 :]
