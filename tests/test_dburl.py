"""Database URLs read without SQLAlchemy: the same parts and the same refusals as SQLAlchemy's `make_url`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from config.dburl import DatabaseUrl, parse_database_url

# URL-shaped text: a scheme, optional userinfo, a host (names, IPv6, brackets left open), a port of any
# text, a path and a query, each drawn from characters that matter to the pattern.
_PIECE = st.one_of(
    st.text(alphabet="ab0:/?@[]%+_ .=&#-9", max_size=8),
    # line breaks (the query's `.*` stops at one), NUL, non-ASCII letters and digits (`\w`, int()), escapes
    st.text(alphabet="a:/?@%2F\n\r\x00é٣５~", max_size=8),
)
_URLS = st.one_of(
    st.text(max_size=40),
    st.builds(
        "".join,
        st.tuples(
            st.sampled_from(["sqlite", "postgresql", "postgresql+psycopg", "mysql+pymysql", "sq l", ""]),
            st.sampled_from(["://", ":/", "//", ":///", "://"]),
            st.one_of(st.just(""), st.builds(lambda u, p: f"{u}:{p}@", _PIECE, _PIECE), _PIECE.map(lambda u: u + "@")),
            st.one_of(st.just(""), st.just("[::1]"), st.just("[::1"), st.just("db.example"), _PIECE),
            st.one_of(
                st.just(""),
                st.integers(min_value=-5, max_value=70_000).map(lambda n: f":{n}"),
                _PIECE.map(lambda p: ":" + p),
            ),
            st.one_of(st.just(""), _PIECE.map(lambda d: "/" + d)),
            st.one_of(st.just(""), _PIECE.map(lambda q: "?" + q)),
        ),
    ),
)


def _sqlalchemy(url: str) -> DatabaseUrl | None:
    """SQLAlchemy's reading of the URL in our terms; None where it refuses it or its port is out of range."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None
    if parsed.port is not None and not 0 < parsed.port < 65536:
        return None
    return DatabaseUrl(
        backend=parsed.get_backend_name(),
        driver=parsed.drivername.partition("+")[2] or None,
        username=parsed.username,
        password=parsed.password,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=url.partition("?")[2] if parsed.query or "?" in url.partition("://")[2] else None,
    )


@given(_URLS)
@settings(max_examples=600)
def test_agrees_with_sqlalchemy(url: str) -> None:
    """Accepted exactly when SQLAlchemy accepts it (port in range), with the same parts."""
    expected = _sqlalchemy(url)
    if expected is None:
        with pytest.raises(ValueError, match="invalid database URL"):
            parse_database_url(url)
        return
    ours = parse_database_url(url)
    assert ours.backend == expected.backend
    assert ours.driver == expected.driver
    assert (ours.username, ours.password, ours.host, ours.port) == (
        expected.username, expected.password, expected.host, expected.port,
    )
    assert ours.database == expected.database


@pytest.mark.parametrize(
    ("url", "parts"),
    [
        ("sqlite:///news.db", ("sqlite", None, None, None, "news.db")),
        ("sqlite:////var/lib/wirefeed/news.db", ("sqlite", None, None, None, "/var/lib/wirefeed/news.db")),
        ("postgresql+psycopg://u:p%40ss@db:5433/news", ("postgresql", "psycopg", "db", 5433, "news")),
        ("postgresql://[::1]/news", ("postgresql", None, "::1", None, "news")),
    ],
)
def test_parts(url: str, parts: tuple[object, ...]) -> None:
    parsed = parse_database_url(url)
    assert (parsed.backend, parsed.driver, parsed.host, parsed.port, parsed.database) == parts


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql+psycopg//root:pw@db/news", "expected dialect"),
        ("postgresql://root:pw@db:notaport/news", "port 'notaport' is not a number"),
        ("postgresql://db:70000/news", "port 70000 is out of range"),
        ("postgresql://db:0/news", "port 0 is out of range"),
    ],
)
def test_refusals_name_the_reason_and_mask_the_password(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match="invalid database URL") as caught:
        parse_database_url(url)
    assert reason in str(caught.value)
    assert ":pw@" not in str(caught.value)
