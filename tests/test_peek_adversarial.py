"""`store.peek.stats` against URLs and files its first version did not expect: it answers for the database the
general path opens, with its numbers, or None; it never creates a file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from store import peek, repo
from store.db import Store, StoreError, open_existing, schema_mismatch


def _wirefeed_db(path: Path, feeds: int) -> Path:
    """A wirefeed SQLite database at head with `feeds` feeds, closed (no -wal nor -shm left beside it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{path}")
    with store.session() as session:
        for number in range(feeds):
            repo.add_feed(session, f"https://{number}.example/rss")
    store.close()
    return path


def _files(directory: Path) -> set[str]:
    return {str(path.relative_to(directory)) for path in directory.rglob("*")}


class TestSqliteFiles:
    """A `mode=ro` connection still creates a WAL database's -wal and -shm, and cannot remove them."""

    def test_a_wal_database_closed_cleanly_gets_no_new_file(self, tmp_path: Path) -> None:
        """Without its -wal and -shm (every writer closed): its numbers, and still no -wal nor -shm."""
        path = _wirefeed_db(tmp_path / "news.db", feeds=2)
        assert _files(tmp_path) == {"news.db"}
        assert path.read_bytes()[18] == 2  # WAL
        numbers = peek.stats(f"sqlite:///{path}")
        assert _files(tmp_path) == {"news.db"}
        assert numbers is not None
        assert numbers["feeds"] == 2

    def test_a_wal_left_by_a_crash(self, tmp_path: Path) -> None:
        """A -wal without its -shm (a writer killed, its -shm removed): the general path, no -shm created."""
        path = _wirefeed_db(tmp_path / "news.db", feeds=1)
        (tmp_path / "news.db-wal").write_bytes(b"")
        assert peek.stats(f"sqlite:///{path}") is None
        assert _files(tmp_path) == {"news.db", "news.db-wal"}

    def test_a_wal_database_in_use_is_read(self, tmp_path: Path) -> None:
        """With a writer's -wal and -shm beside it: the numbers, and still no new file."""
        path = _wirefeed_db(tmp_path / "news.db", feeds=2)
        with sqlite3.connect(path) as connection:
            connection.execute("SELECT count(*) FROM feeds").fetchall()  # a reader: -wal and -shm exist
            before = _files(tmp_path)
            numbers = peek.stats(f"sqlite:///{path}")
            assert _files(tmp_path) == before
        assert numbers is not None
        assert numbers["feeds"] == 2


class TestSameDatabaseAsSqlalchemy:
    """Peek opens the file pysqlite opens: `os.path.abspath` of the URL's path, no `~`, no symlink before `..`."""

    @pytest.mark.parametrize("url", ["sqlite://host/{path}", "sqlite://user@/{path}", "sqlite+:///{path}"])
    def test_a_url_the_general_path_refuses(self, tmp_path: Path, url: str) -> None:
        """A host or a user in a SQLite URL, an empty driver: SQLAlchemy refuses them, peek does not answer."""
        path = _wirefeed_db(tmp_path / "news.db", feeds=1)
        given = url.format(path=path)
        with pytest.raises((StoreError, SQLAlchemyError)):
            open_existing(given)
        assert peek.stats(given) is None

    def test_tilde_is_not_home(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """`sqlite:///~/news.db` is `./~/news.db` to SQLAlchemy: not the one in $HOME, and not created."""
        _wirefeed_db(tmp_path / "home" / "news.db", feeds=1)
        (tmp_path / "cwd" / "~").mkdir(parents=True)
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        monkeypatch.chdir(tmp_path / "cwd")
        before = _files(tmp_path)
        assert peek.stats("sqlite:///~/news.db") is None
        with pytest.raises(StoreError, match="no database at"):
            open_existing("sqlite:///~/news.db")
        assert _files(tmp_path) == before

    def test_dot_dot_after_a_symlink(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """`link/../news.db` is the current directory's news.db (pysqlite's abspath), not the link target's parent's."""
        _wirefeed_db(tmp_path / "cwd" / "news.db", feeds=1)
        _wirefeed_db(tmp_path / "other" / "news.db", feeds=3)
        (tmp_path / "other" / "sub").mkdir()
        (tmp_path / "cwd" / "link").symlink_to(tmp_path / "other" / "sub")
        monkeypatch.chdir(tmp_path / "cwd")
        store = open_existing("sqlite:///link/../news.db")  # kept open: its -wal and -shm stay
        with store.session() as session:
            expected = repo.stats(session)
        assert expected["feeds"] == 1
        assert peek.stats("sqlite:///link/../news.db") == expected
        store.close()

    def test_no_file_where_sqlalchemy_looks_creates_none(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The general path checks the file pysqlite would open, so a read-only command creates nothing."""
        _wirefeed_db(tmp_path / "other" / "news.db", feeds=3)
        (tmp_path / "other" / "sub").mkdir()
        (tmp_path / "cwd").mkdir()
        (tmp_path / "cwd" / "link").symlink_to(tmp_path / "other" / "sub")
        monkeypatch.chdir(tmp_path / "cwd")
        before = _files(tmp_path)
        with pytest.raises(StoreError, match=f"no database at {tmp_path / 'cwd' / 'news.db'}"):
            open_existing("sqlite:///link/../news.db")
        assert _files(tmp_path) == before


@pytest.mark.postgres
class TestPostgresConnectionArguments:
    """Peek gives psycopg the parts SQLAlchemy gives it, not the URL for libpq to read its own way."""

    def _with_schema(self, pg_url: str) -> str:
        Store(pg_url).close()
        return pg_url

    def test_percent_escapes_in_the_host(self, pg_url: str) -> None:
        """SQLAlchemy keeps `%31%32%37.0.0.1` as a host name (unresolvable); libpq would decode it to 127.0.0.1."""
        url = make_url(self._with_schema(pg_url))
        assert url.host == "127.0.0.1"
        escaped = url.render_as_string(hide_password=False).replace("@127.0.0.1", "@%31%32%37.0.0.1", 1)
        with pytest.raises(StoreError, match="database unreachable"):
            open_existing(escaped)
        assert peek.stats(escaped) is None

    def test_an_empty_driver(self, pg_url: str) -> None:
        """`postgresql+://`: SQLAlchemy cannot load a dialect for it; peek does not answer."""
        given = "postgresql+://" + self._with_schema(pg_url).partition("://")[2]
        with pytest.raises((StoreError, SQLAlchemyError)):
            open_existing(given)
        assert peek.stats(given) is None

    def test_a_plus_in_the_query_is_a_space(self, pg_url: str) -> None:
        """`?dbname=a+b` names the database `a b` to SQLAlchemy (parse_qsl); libpq would read `a+b`."""
        url = make_url(self._with_schema(pg_url))
        plus = f"{url.database}+x"
        import psycopg

        with psycopg.connect(url.set(database="postgres", drivername="postgresql").render_as_string(
                hide_password=False), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{plus}"')
        try:
            Store(url.set(database=plus).render_as_string(hide_password=False)).close()
            given = url.render_as_string(hide_password=False) + f"?dbname={plus}"
            with pytest.raises(StoreError, match="database unreachable"):
                open_existing(given)  # `<name> x` does not exist
            assert peek.stats(given) is None
        finally:
            with psycopg.connect(url.set(database="postgres", drivername="postgresql").render_as_string(
                    hide_password=False), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{plus}" WITH (FORCE)')

    def test_same_numbers_through_the_parts(self, pg_url: str) -> None:
        """The plain URL still answers, with the session's numbers."""
        given = self._with_schema(pg_url)
        store = open_existing(given)
        with store.session() as session:
            repo.add_feed(session, "https://a.example/rss")
        with store.session() as session:
            expected = repo.stats(session)
        store.close()
        assert peek.stats(given) == expected


class TestSchemaMismatch:
    """The message of a read-only command on another schema is one line that says what to do."""

    def test_a_revision_with_a_line_break(self) -> None:
        """A damaged alembic_version row (`zz` + newline + text): one line, still ending with the fix."""
        message = schema_mismatch("/tmp/news.db", "zz\nrm -rf", "0011")
        assert "\n" not in message
        assert message.endswith("upgrade wirefeed to read it")
