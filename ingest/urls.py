"""Canonical URLs: the normalised identity of an article link."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import courlan

# courlan strips the common trackers (utm_*, fbclid, gclid, mc_*...); these are feed-specific extras.
EXTRA_TRACKERS = frozenset({"at_medium", "at_campaign", "xtor", "ito", "cmpid", "ns_mchannel", "ns_source"})


def canonical_url(url: str) -> str:
    """Normalise scheme and host, drop the fragment and tracking parameters, sort the query."""
    url = url.strip()
    try:
        normalised = courlan.normalize_url(url)
    except ValueError:
        normalised = url
    parts = urlsplit(normalised)
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair and pair.split("=", 1)[0].lower() not in EXTRA_TRACKERS
    )
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def site_of(url: str) -> str:
    """The outlet a page belongs to: its host without a leading www, with the port when one is given."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return f"{host}:{port}" if port is not None and port != default else host
