"""Adversarial URLs for the fetcher: what httpx cannot request fails as `invalid_url`, never as a bug."""

from __future__ import annotations

import asyncio

import pytest

from config.settings import FetchSettings
from ingest.errors import InvalidURL
from ingest.fetch.client import Fetcher, Response


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
