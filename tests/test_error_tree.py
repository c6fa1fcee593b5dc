"""The one error tree: every error a user can meet derives from WirefeedError (ingest/errors.py docstring)."""

from __future__ import annotations

import pytest

import ingest.errors
from config.errors import WirefeedError
from config.settings import ConfigError
from ingest.backfill.run import BackfillError
from ingest.backfill.sitemaps import SitemapError
from ingest.backfill.warc import WarcDamaged
from ingest.feeds.opml import OPMLError
from store.db import StoreError


class TestErrorTree:
    @pytest.mark.parametrize(
        "error", [ConfigError, StoreError, BackfillError, SitemapError, WarcDamaged, OPMLError]
    )
    def test_user_errors_derive_from_the_root(self, error: type[Exception]) -> None:
        """Each error a user can meet is a WirefeedError with its own kind, and is drawn in the tree."""
        assert issubclass(error, WirefeedError)
        assert getattr(error, "kind", None) != WirefeedError.kind
        assert error.__name__ in (ingest.errors.__doc__ or "")

    def test_root_is_reexported(self) -> None:
        """ingest.errors.WirefeedError is the root config/ and store/ derive from."""
        assert ingest.errors.WirefeedError is WirefeedError
