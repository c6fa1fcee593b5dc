"""URLs: the canonical identity of an article link, the outlet it belongs to, and credentials masked for output.

Every function here is total: a string that is not a URL (an unbalanced `[`, a port out of range, a bare
word) gives a best-effort answer, never an exception, because links come from feeds nobody here wrote.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from config.secrets import MASK, mask_secrets, mask_url

# courlan strips the common trackers (utm_*, fbclid, gclid, mc_*...); these are feed-specific extras.
EXTRA_TRACKERS = frozenset({"at_medium", "at_campaign", "xtor", "ito", "cmpid", "ns_mchannel", "ns_source"})

WEB_SCHEMES = frozenset({"http", "https"})
# Credentials are masked by config.secrets (re-exported here): config and store render URLs too.
__all__ = ["EXTRA_TRACKERS", "MASK", "WEB_SCHEMES", "canonical_url", "mask_secrets", "mask_url", "site_of",
           "without_userinfo"]



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


def on_site(site: str, wanted: str) -> bool:
    """A site (`site_of`) matches a --site by its name, or by its host alone when it has a port (127.0.0.1:8080)."""
    return site == wanted or (":" in site and site.rsplit(":", 1)[0] == wanted)


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
