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
        pair for pair in parts.query.split("&") if pair and pair.split("=", 1)[0].lower() not in EXTRA_TRACKERS
    )
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def site_of(url: str) -> str:
    """The host a page belongs to, without a leading www."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")
