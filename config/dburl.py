"""Database URLs read without importing SQLAlchemy (a third of a read-only command's start-up).

`parse_database_url` reads a URL exactly as SQLAlchemy's `make_url` does (the same pattern, the same
unquoting, the same port rule: a property test holds the two together), so the settings can check a URL
and `wirefeed stats` can open SQLite or psycopg directly, both without SQLAlchemy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from config.secrets import mask_url

EXPECTED = "expected dialect[+driver]://[user[:password]@]host[:port]/database or sqlite:///path"

# sqlalchemy/engine/url.py `_parse_url` (SQLAlchemy 2.x), group for group.
_URL = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
    """,
    re.X,
)


@dataclass(frozen=True)
class DatabaseUrl:
    """The parts of a database URL, as SQLAlchemy's URL holds them."""

    backend: str  # "sqlite", "postgresql", ...
    driver: str | None  # "psycopg" in postgresql+psycopg; None when not given
    username: str | None
    password: str | None
    host: str | None
    port: int | None
    database: str | None
    query: str | None  # the raw query string


def parse_database_url(url: str) -> DatabaseUrl:
    """The URL's parts; ValueError with a readable reason (password masked) where SQLAlchemy refuses it."""
    match = _URL.match(url)
    if match is None:
        raise ValueError(f"invalid database URL {mask_url(url)!r}: {EXPECTED}")
    parts = match.groupdict()
    port = parts["port"]
    number: int | None = None
    if port is not None:
        # SQLAlchemy's int(): surrounding blanks and `_` between digits pass; anything else (an empty
        # port after `:` as well) is refused.
        try:
            number = int(port)
        except ValueError:
            raise ValueError(f"invalid database URL {mask_url(url)!r}: port {port!r} is not a number") from None
        if not 0 < number < 65536:
            raise ValueError(f"invalid database URL {mask_url(url)!r}: port {number} is out of range")
    if parts["query"] is not None:
        parse_qsl(parts["query"])  # as SQLAlchemy does: raises ValueError on what it cannot split
    backend, _, driver = parts["name"].partition("+")
    return DatabaseUrl(
        backend=backend,
        driver=driver or None,
        username=_unquoted(parts["username"]),
        password=_unquoted(parts["password"]),
        host=parts["ipv4host"] or parts["ipv6host"],
        port=number,
        database=_unquoted(parts["database"]),
        query=parts["query"],
    )


def _unquoted(value: str | None) -> str | None:
    return None if value is None else unquote(value)
