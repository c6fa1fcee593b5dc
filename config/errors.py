"""The root of wirefeed's errors, here because every package may import config (the tree: `ingest/errors.py`)."""

from __future__ import annotations


class WirefeedError(Exception):
    """Base of wirefeed's own errors: `str(exc)` is the message a user reads, `kind` its class in one word."""

    kind = "error"
