"""A damaged or failing database: every command says so in one line and exits 1, never with a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from ingest.cli.app import main
from store import repo
from store.db import Store, StoreError

# trafilatura probes urllib3's optional SOCKS support on import, which warns when PySocks is absent.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.DependencyWarning")


def damaged_sqlite(path: Path, feeds: int = 300) -> str:
    """A real wirefeed database whose `feeds` data pages are overwritten; header and schema stay intact."""
    url = f"sqlite:///{path}"
    store = Store(url)
    with store.session() as session:
        for number in range(feeds):
            repo.add_feed(session, f"http://outlet{number}.example/{'section/' * 12}feed.xml")
    store.close()  # the last connection checkpoints the WAL into the file
    connection = sqlite3.connect(path)
    try:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        pages = [row[0] for row in connection.execute(
            "SELECT pageno FROM dbstat WHERE name = 'feeds' AND pagetype = 'leaf'"
        )]
    except sqlite3.OperationalError as exc:  # SQLite built without the dbstat table
        pytest.skip(f"cannot find the data pages to damage: {exc}")
    finally:
        connection.close()
    assert len(pages) > 3
    with path.open("r+b") as handle:
        for page in pages:
            handle.seek((page - 1) * page_size + 8)  # keep the page header's first bytes, garble the cells
            handle.write(b"\xa5" * (page_size - 16))
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The real CLI: exit status, stdout, stderr."""
    code = main(["--log-format", "json", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


class TestDamagedSQLite:
    """A SQLite file with damaged data pages (intact header)."""

    @pytest.mark.parametrize(
        "argv",
        [["stats"], ["feeds", "list"], ["feeds", "list", "--json"], ["feeds", "export"], ["ingest", "--all"],
         ["ingest"]],
        ids=" ".join,
    )
    def test_command_reading_damaged_pages(
        self, argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A command that reads the damaged pages prints one line naming the damage and exits 1."""
        url = damaged_sqlite(tmp_path / "damaged.db")
        code, _out, err = run(capsys, "--db", url, *argv)
        assert code == 1
        assert err.splitlines() == ["wirefeed: error: database error: database disk image is malformed"]

    @pytest.mark.parametrize(
        "argv",
        [["init"], ["export"], ["stories"], ["stories", "--json"], ["feeds", "add", "--no-discover",
         "http://new.example/feed.xml"], ["feeds", "enable", "http://outlet7.example/feed.xml"], ["stats", "--json"]],
        ids=" ".join,
    )
    def test_any_command_fails_in_one_line_or_works(
        self, argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Every other command either works (it never touches the damaged pages) or fails in one line."""
        url = damaged_sqlite(tmp_path / "damaged.db")
        code, _out, err = run(capsys, "--db", url, *argv)
        assert code in {0, 1, 2}
        if code:
            assert len(err.splitlines()) == 1
            assert err.startswith("wirefeed: error: ")

    def test_store_session_maps_damage(self, tmp_path: Path) -> None:
        """Store.session turns SQLite's DatabaseError into StoreError (what the pipeline and daemon handle)."""
        store = Store(damaged_sqlite(tmp_path / "damaged.db"))
        try:
            with pytest.raises(StoreError, match="database disk image is malformed"), store.session() as session:
                repo.list_feeds(session)
        finally:
            store.close()


class TestOtherDatabaseErrors:
    """Database errors that are not an outage still end the command in one line."""

    def test_schema_changed_behind_our_back(self, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
        """A renamed column (OperationalError on SQLite, ProgrammingError on PostgreSQL): one line, exit 1."""
        store = Store(db_url)
        with store.session() as session:
            repo.add_feed(session, "http://outlet.example/feed.xml")
            session.execute(text("ALTER TABLE feeds RENAME COLUMN title TO title_before"))
        store.close()
        code, _out, err = run(capsys, "--db", db_url, "feeds", "list")
        assert code == 1
        assert len(err.splitlines()) == 1
        assert err.startswith("wirefeed: error: database error: ")
        assert "title" in err

    def test_database_dropped(self, pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
        """A PostgreSQL database that no longer exists: one line, exit 1."""
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        Store(pg_url).close()
        name = make_url(pg_url).database
        admin = create_engine(make_url(pg_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
        code, _out, err = run(capsys, "--db", pg_url, "stats")
        assert code == 1
        assert err.splitlines() == [err.strip()]
        assert err.startswith("wirefeed: error: database unreachable: ")
