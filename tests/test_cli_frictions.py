"""A new user's first run (issue 15), through the real `wirefeed` process: each class is one numbered item."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli_process import Done, environ, wirefeed
from tests.world import World, page, rss

ROOT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
ARTICLE = PAGES / "en_teaser_start.html"
LISTING = PAGES / "fr_tag_page.html"
LOCAL = {
    "WIREFEED_FETCH__ALLOWED_NETWORKS": '["127.0.0.1/32"]',
    "WIREFEED_FETCH__PER_HOST_DELAY": "0",
    "WIREFEED_FETCH__TIMEOUT": "5",
    "WIREFEED_EXTRACT__WORKERS": "1",
}
FLOOD = [
    "LISBON (AP) - Flash floods swept through the old town of Coimbra on Sunday night after more than a "
    "month's rain fell in six hours, forcing hundreds of residents from their homes, officials said.",
    "Firefighters used boats to reach people trapped on upper floors near the Mondego river, and the civil "
    "protection agency said 340 people spent the night in schools and sports halls across the city.",
    "The mayor said the damage to the historic centre, a UNESCO world heritage site, would take months to "
    "assess, and asked the government to declare a state of calamity to release emergency funds.",
]
MARKET = [
    "The covered market on Fenwick Road will open on Sundays from next month, the council said, after a "
    "survey in which nine in ten traders asked for the extra day.",
    "Stallholders said Sunday trading would help them compete with the out-of-town retail park, which opened "
    "a food hall in the spring and has drawn shoppers away from the centre.",
    "The council will waive the first three months of Sunday rent and run a free shuttle bus from the park "
    "and ride, a trial it says it will review at the end of the summer.",
]


def one_line_error(done: Done, status: int) -> str:
    """The one error line of a failed run with this exit status (no traceback)."""
    lines = done.err.strip().splitlines()
    assert (done.code, len(lines)) == (status, 1), (done.code, done.err)
    assert lines[0].startswith("wirefeed: error: ")
    return lines[0]


@dataclass
class Ingested:
    """A database after one `wirefeed ingest` of two outlets' feeds, published on 2026-11-20."""

    db: Path
    world: World


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingested]:
    """Two outlets running one wire story (a link with utm_* parameters) and one story of their own."""
    tmp = tmp_path_factory.mktemp("frictions")
    db = tmp / "news.db"
    with World("alpha", "beta") as world:
        alpha, beta = world["alpha"], world["beta"]
        alpha.static("/floods.html", page("Flash floods force hundreds from homes in Coimbra", FLOOD))
        alpha.static("/market.html", page("Covered market to open on Sundays", MARKET))
        beta.static("/coimbra.html", page("Coimbra floods: hundreds evacuated", FLOOD))
        alpha.static("/rss.xml", rss("Alpha", [
            {"title": "Floods", "link": alpha.url("/floods.html?utm_source=rss&utm_medium=feed"), "guid": "a1",
             "published": "2026-11-20T06:00:00+00:00"},
            {"title": "Market", "link": alpha.url("/market.html"), "guid": "a2",
             "published": "2026-11-20T08:00:00+00:00"},
        ]), "application/rss+xml")
        beta.static("/rss.xml", rss("Beta", [
            {"title": "Coimbra", "link": beta.url("/coimbra.html"), "guid": "b1",
             "published": "2026-11-20T07:00:00+00:00"},
        ]), "application/rss+xml")
        added = wirefeed("--db", f"sqlite:///{db}", "feeds", "add", "--no-discover", alpha.url("/rss.xml"),
                         beta.url("/rss.xml"), cwd=tmp)
        assert added.code == 0, added.err
        run = wirefeed("--db", f"sqlite:///{db}", "ingest", cwd=tmp, env=LOCAL)
        assert run.code == 0, run.err
        assert "stored 3" in run.out
        yield Ingested(db, world)


def closed_stdout(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Done:
    """Run `wirefeed ARGS` with stdout's reader gone before the first line (`| head -c 0`)."""
    proc = subprocess.Popen([sys.executable, "-m", "ingest.cli", *args], cwd=cwd, env=environ(env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    return Done(proc.returncode, "", err.decode())


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports on 127.0.0.1."""
    for _ in range(200):
        base = random.randint(20_000, 60_000)
        held = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                held.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
    raise RuntimeError("no free ports")


class TestDemoOwnDatabase:
    """1. The demo never writes into the user's database."""

    def test_demo_uses_a_temporary_database(self, tmp_path: Path) -> None:
        """`wirefeed demo` still tells the 3-copy story, and leaves no ./wirefeed.db nor the configured file."""
        configured = tmp_path / "mine.db"
        done = wirefeed("demo", cwd=tmp_path, env={"WIREFEED_DATABASE__URL": f"sqlite:///{configured}"})
        assert done.code == 0, done.err
        assert "3 copies, 3 outlets" in done.out
        assert "temporary database" in done.out
        assert not (tmp_path / "wirefeed.db").exists()
        assert not configured.exists()

    def test_demo_into_given_database_and_again(self, tmp_path: Path) -> None:
        """With --db the demo ingests there; a second run finds its articles known; another's database is refused."""
        # Ports of this test's own (another test's demo may hold the default ones): the second run's outlets
        # must be where the first one's were for their articles to be known.
        port = free_ports(3)
        first = wirefeed("demo", "--db", str(tmp_path / "demo.db"), "--port", str(port), cwd=tmp_path)
        assert first.code == 0, first.err
        second = wirefeed("demo", "--db", str(tmp_path / "demo.db"), "--port", str(port), cwd=tmp_path)
        assert second.code == 0, second.err
        assert "no new items: this database holds the demo feeds' articles from an earlier run" in second.out
        assert "3 copies, 3 outlets" in second.out  # its stories are still shown
        # On other ports, the earlier run's outlets are gone: their feeds are disabled, not polled and failed.
        elsewhere = wirefeed("demo", "--db", str(tmp_path / "demo.db"), "--port", str(free_ports(3)), cwd=tmp_path)
        assert elsewhere.code == 0, elsewhere.err
        assert "refused" not in elsewhere.err
        assert "0 failed" in elsewhere.out
        listed = wirefeed("feeds", "list", "--json", "--db", str(tmp_path / "demo.db"), cwd=tmp_path)
        feeds = json.loads(listed.out)
        assert sum(1 for f in feeds if f["disabled"]) == 3
        mine = tmp_path / "mine.db"
        assert wirefeed("feeds", "add", "--no-discover", "https://nonexistent.invalid/rss.xml", "--db", str(mine),
                        cwd=tmp_path).code == 0
        refused = wirefeed("demo", "--db", str(mine), cwd=tmp_path)
        assert "other subscription" in one_line_error(refused, 2)


class TestFeedsImport:
    """3. `feeds import` takes what `feeds add` takes, and says what it skipped."""

    def test_skips_and_says_why(self, tmp_path: Path) -> None:
        """A typo'd scheme and a relative URL are skipped and named; a URL-less entry and a repeat are counted."""
        opml = tmp_path / "subs.opml"
        opml.write_text(
            '<?xml version="1.0"?><opml version="2.0"><body>'
            '<outline text="ok" xmlUrl="https://a.example/rss.xml"/>'
            '<outline text="typo" xmlUrl="htps://b.example/rss.xml"/>'
            '<outline text="relative" xmlUrl="/feed.xml"/>'
            '<outline text="no url" type="rss"/>'
            '<outline text="again" xmlUrl="https://a.example/rss.xml"/>'
            "</body></opml>", encoding="utf-8")
        db = str(tmp_path / "subs.db")
        done = wirefeed("feeds", "import", str(opml), "--db", db, cwd=tmp_path)
        assert done.code == 0, done.err
        assert "imported 1 feeds" in done.out
        assert "2 skipped" in done.out
        assert "1 outline(s) without an xmlUrl" in done.out
        assert "1 repeated URL(s)" in done.out
        assert "htps://b.example/rss.xml" in done.err
        assert "'/feed.xml'" in done.err
        listed = json.loads(wirefeed("feeds", "list", "--json", "--db", db, cwd=tmp_path).out)
        assert [row["url"] for row in listed] == ["https://a.example/rss.xml"]


class TestWhichDatabase:
    """4. Read-only commands never create a database; the database used is named."""

    @pytest.mark.parametrize("command", [["stories"], ["stats"], ["export"], ["feeds", "list"], ["feeds", "export"]])
    def test_read_only_command_creates_nothing(self, tmp_path: Path, command: list[str]) -> None:
        """In a directory without a database: exit 1, one line naming the path and `wirefeed init`; no file."""
        done = wirefeed(*command, cwd=tmp_path)
        line = one_line_error(done, 1)
        assert str(tmp_path / "wirefeed.db") in line
        assert "--db" in line
        assert "wirefeed init" in line
        assert list(tmp_path.iterdir()) == []

    def test_empty_file_is_no_database(self, tmp_path: Path) -> None:
        """A SQLite file without wirefeed's schema is refused and stays without tables."""
        (tmp_path / "wirefeed.db").write_bytes(b"")
        line = one_line_error(wirefeed("stats", cwd=tmp_path), 1)
        assert "no wirefeed database" in line
        assert (tmp_path / "wirefeed.db").read_bytes() == b""

    @pytest.mark.postgres
    def test_postgres_schema_not_created(self, pg_url: str, tmp_path: Path) -> None:
        """`stats` on an empty PostgreSQL database is refused and creates no table."""
        from sqlalchemy import create_engine, inspect

        line = one_line_error(wirefeed("stats", "--db", pg_url, cwd=tmp_path), 1)
        assert "no wirefeed database" in line
        engine = create_engine(pg_url)
        try:
            assert inspect(engine).get_table_names() == []
        finally:
            engine.dispose()

    @pytest.mark.parametrize("command", [["stats"], ["stories"], ["feeds", "list"]])
    def test_older_schema_is_not_upgraded(self, tmp_path: Path, command: list[str]) -> None:
        """A database one migration behind: a read-only command says to run `wirefeed init` and leaves it as it is."""
        from alembic import command as alembic

        from store.db import alembic_config, make_engine
        from store.peek import head_revision, known_revisions

        url = f"sqlite:///{tmp_path / 'old.db'}"
        engine = make_engine(url)
        config = alembic_config(engine)
        alembic.upgrade(config, "head")
        alembic.downgrade(config, "-1")
        with engine.connect() as connection:
            older = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        assert older in known_revisions()
        assert older != head_revision()
        line = one_line_error(wirefeed(*command, "--db", url, cwd=tmp_path), 1)
        assert "older schema" in line
        assert "wirefeed init" in line
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == older
        engine.dispose()

    @pytest.mark.parametrize("command", [["stats"], ["init"], ["ingest"], ["feeds", "add", "http://a.example/rss"],
                                         ["prune"], ["backfill", "--reextract"]])
    def test_newer_schema_says_upgrade_wirefeed(self, tmp_path: Path, command: list[str]) -> None:
        """A schema written by a newer wirefeed (a revision this code does not know) is neither read nor touched.

        Writing commands said "internal error ... this is a bug" (alembic cannot locate the revision): a
        rolled-back upgrade of wirefeed meets exactly this.
        """
        url = f"sqlite:///{tmp_path / 'new.db'}"
        assert wirefeed("init", "--db", url, cwd=tmp_path).code == 0
        import sqlite3

        with sqlite3.connect(tmp_path / "new.db") as connection:
            connection.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
        line = one_line_error(wirefeed(*command, "--db", url, cwd=tmp_path), 1)
        assert "newer" in line
        assert "upgrade wirefeed" in line
        with sqlite3.connect(tmp_path / "new.db") as connection:
            assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [("ffffffffffff",)]

    def test_at_a_terminal_a_writing_command_says_its_database(self, tmp_path: Path) -> None:
        """With stderr on a terminal, `feeds add` starts with one line naming the file; `stats` does not."""
        import pty

        def stderr_at_terminal(*args: str) -> str:
            leader, follower = pty.openpty()
            try:
                subprocess.run([sys.executable, "-m", "ingest.cli", *args], cwd=tmp_path, env=environ(),
                               stdout=subprocess.DEVNULL, stderr=follower, timeout=60, check=True)
                os.close(follower)
                chunks = []
                while True:
                    try:
                        chunk = os.read(leader, 4096)
                    except OSError:  # the terminal's other end is closed: all read
                        break
                    if not chunk:
                        break
                    chunks.append(chunk)
                return b"".join(chunks).decode()
            finally:
                os.close(leader)

        written = stderr_at_terminal("feeds", "add", "--no-discover", "https://a.example/rss.xml")
        assert f"wirefeed: database {tmp_path / 'wirefeed.db'} (the default" in written
        assert stderr_at_terminal("stats") == ""

    def test_a_writing_command_names_its_database(self, tmp_path: Path) -> None:
        """`feeds add` names the database file it writes to, with where the choice came from (-v off a terminal)."""
        done = wirefeed("-v", "--log-format", "json", "feeds", "add", "--no-discover", "https://a.example/rss.xml",
                        cwd=tmp_path)
        assert done.code == 0, done.err
        events = [json.loads(line) for line in done.err.splitlines() if line.startswith("{")]
        (database,) = [e["database"] for e in events if e["event"] == "database"]
        assert database == f"{tmp_path / 'wirefeed.db'} (the default; change it with --db or [database] url)"


class TestClosedPipe:
    """5. A reader that goes away ends every command quietly."""

    @pytest.mark.parametrize("command", [
        ["stories", "--json"], ["stories"], ["stats"], ["export"], ["feeds", "list"], ["feeds", "export"],
    ])
    def test_read_commands(self, ingested: Ingested, tmp_path: Path, command: list[str]) -> None:
        """Exit 0, nothing on stderr."""
        done = closed_stdout("--db", f"sqlite:///{ingested.db}", *command, cwd=tmp_path)
        assert (done.code, done.err) == (0, "")

    def test_extract_and_demo_and_help(self, tmp_path: Path) -> None:
        """`extract`, `demo` and `--help` too."""
        for command in (["extract", str(ARTICLE)], ["demo"], ["--help"]):
            done = closed_stdout(*command, cwd=tmp_path)
            assert (command, done.code, done.err) == (command, 0, "")


class TestSince:
    """6. --since/--until take durations or dates, on publication time by default."""

    def test_published_by_default(self, ingested: Ingested, tmp_path: Path) -> None:
        """Stories published on 2026-11-20 are not 'in the last 24h' although just fetched; the empty result says so."""
        done = wirefeed("stories", "--since", "24h", "--db", str(ingested.db), cwd=tmp_path)
        assert done.code == 0, done.err
        assert done.out.startswith("no stories published since ")
        assert "no stories yet" not in done.out
        fetched = json.loads(wirefeed("stories", "--since", "24h", "--by", "fetched", "--json", "--db",
                                      str(ingested.db), cwd=tmp_path).out)
        assert len(fetched) == 2

    def test_dates_and_until(self, ingested: Ingested, tmp_path: Path) -> None:
        """A date and a time bound a window; export takes the same options."""
        db = str(ingested.db)
        day = json.loads(wirefeed("stories", "--since", "2026-11-20", "--until", "2026-11-21", "--json",
                                  "--db", db, cwd=tmp_path).out)
        assert len(day) == 2
        early = json.loads(wirefeed("stories", "--since", "2026-11-20", "--until", "2026-11-20T06:30:00Z",
                                    "--json", "--db", db, cwd=tmp_path).out)
        assert [s["size"] for s in early] == [2]
        rows = wirefeed("export", "--since", "2026-11-20T07:30:00+00:00", "--db", db, cwd=tmp_path)
        assert [json.loads(line)["title"] for line in rows.out.splitlines()] == ["Covered market to open on Sundays"]
        assert "exported 1 articles published since" in rows.err

    def test_not_a_time(self, tmp_path: Path) -> None:
        """Anything else is a usage error that shows both forms."""
        done = wirefeed("stories", "--since", "yesterday", cwd=tmp_path)
        assert done.code == 2
        assert "24h" in done.err
        assert "2026-11-20" in done.err


class TestBlockedPages:
    """7. A blocked page says which setting allows it."""

    def test_pass_names_reasons_and_setting(self, tmp_path: Path) -> None:
        """Articles on 127.0.0.1 without [fetch] allowed_networks: the summary counts them as blocked and names it."""
        with World("site") as world:
            site = world["site"]
            site.static("/a.html", page("Flash floods force hundreds from homes in Coimbra", FLOOD))
            site.static("/rss.xml", rss("Site", [{"title": "A", "link": site.url("/a.html"), "guid": "1"}]),
                        "application/rss+xml")
            db = str(tmp_path / "b.db")
            assert wirefeed("feeds", "add", "--no-discover", site.url("/rss.xml"), "--db", db, cwd=tmp_path).code == 0
            done = wirefeed("ingest", "--db", db, cwd=tmp_path, env={"WIREFEED_FETCH__PER_HOST_DELAY": "0"})
            listed = wirefeed("feeds", "list", "--db", db, cwd=tmp_path)
            (row,) = json.loads(wirefeed("feeds", "list", "--json", "--db", db, cwd=tmp_path).out)
        assert done.code == 0, done.err
        assert "failed 1 (blocked 1)" in done.out
        assert "[fetch] allowed_networks" in done.err
        assert (row["pages_failed"], row["last_status"]) == (1, 200)
        assert "[fetch] allowed_networks" in row["last_page_error"]
        assert "last failed page: blocked" in listed.out

    def test_nothing_to_poll_says_what_to_do(self, tmp_path: Path) -> None:
        """`ingest` without feeds points at `feeds add`."""
        assert wirefeed("init", cwd=tmp_path).code == 0
        done = wirefeed("ingest", cwd=tmp_path)
        assert done.code == 0, done.err
        assert "wirefeed feeds add URL" in done.err


class TestExitStatus:
    """8. 0 success, 1 a runtime error (unreadable input), 2 a usage error."""

    def test_missing_and_unreadable_input_is_1(self, tmp_path: Path) -> None:
        """A missing WARC or page, a damaged WARC, a page with no article: 1, and no database created."""
        assert "no such file: notawarc.gz" in one_line_error(
            wirefeed("backfill", "--warc", "notawarc.gz", cwd=tmp_path), 1)
        assert not (tmp_path / "wirefeed.db").exists()
        assert "no such file" in one_line_error(wirefeed("extract", "missing.html", cwd=tmp_path), 1)
        (tmp_path / "damaged.warc.gz").write_bytes(b"hi\n")
        assert wirefeed("backfill", "--warc", "damaged.warc.gz", cwd=tmp_path).code == 1
        listing = wirefeed("extract", str(LISTING), cwd=tmp_path)
        assert "no article found" in one_line_error(listing, 1)

    def test_usage_errors_are_2(self, tmp_path: Path) -> None:
        """An unknown option, a backfill without a source, a bad --since: 2."""
        assert wirefeed("stats", "--nope", cwd=tmp_path).code == 2
        assert "nothing to backfill" in one_line_error(wirefeed("backfill", cwd=tmp_path), 2)
        assert wirefeed("backfill", "--warc", "x.gz", "--since", "soon", cwd=tmp_path).code == 2

    def test_bad_config_is_1(self, tmp_path: Path) -> None:
        """A configuration that cannot be used is not a mistyped command: 1."""
        (tmp_path / "w.toml").write_text("[fetch]\ntimeout = -1\n", encoding="utf-8")
        assert "fetch.timeout" in one_line_error(wirefeed("--config", "w.toml", "stats", cwd=tmp_path), 1)


class TestInterrupt:
    """9. Ctrl-C stops `run` promptly; a second one at once."""

    def test_second_interrupt_exits_at_once(self, tmp_path: Path) -> None:
        """With a feed that never answers, two SIGINTs end the daemon with 130 (it waited the 30 s grace)."""
        with World("slow") as world:
            site = world["slow"]

            def hang(request: object) -> tuple[int, dict[str, str], bytes]:
                time.sleep(60)
                return 200, {}, b""

            site.routes["/rss.xml"] = hang
            db = str(tmp_path / "run.db")
            assert wirefeed("feeds", "add", "--no-discover", site.url("/rss.xml"), "--db", db, cwd=tmp_path).code == 0
            proc = subprocess.Popen([sys.executable, "-m", "ingest.cli", "--db", db, "run"], cwd=tmp_path,
                                    env=environ({"WIREFEED_FETCH__TIMEOUT": "120", "WIREFEED_SCHEDULE__TICK": "1"}),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not site.hits("/rss.xml"):
                time.sleep(0.05)
            assert site.hits("/rss.xml"), "the daemon never polled"
            proc.send_signal(signal.SIGINT)
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            try:
                _, err = proc.communicate(timeout=15)
            finally:
                proc.kill()
        assert proc.returncode == 130, err.decode()[-2000:]
        assert b"daemon_forced_exit" in err


class TestOutput:
    """10. What a person reads, and the options that were missing."""

    def test_stories_table(self, ingested: Ingested, tmp_path: Path) -> None:
        """Headers, second-precision times, '-' as the original's score, the canonical URL (no utm_*)."""
        done = wirefeed("stories", "--db", str(ingested.db), cwd=tmp_path)
        assert done.code == 0, done.err
        header = done.out.splitlines()[0].split()
        assert header == ["PUBLISHED", "OUTLET", "RELATION", "SCORE", "CHARS", "URL"]
        assert "2026-11-20 06:00:00 " in done.out
        assert "utm_" not in done.out
        assert "0.00" not in done.out
        original = next(line for line in done.out.splitlines() if line.lstrip().startswith("*"))
        assert " original " in original
        assert " - " in original

    def test_json_unchanged_and_extended(self, ingested: Ingested, tmp_path: Path) -> None:
        """`--json` keeps its fields (UTC ISO times, the URL as linked) and adds canonical_url."""
        stories = json.loads(wirefeed("stories", "--json", "--db", str(ingested.db), cwd=tmp_path).out)
        member = next(m for s in stories for m in s["members"] if "utm_" in m["url"])
        assert member["published"] == "2026-11-20T06:00:00+00:00"
        assert member["canonical_url"] == member["url"].split("?")[0]

    def test_feeds_list_table(self, ingested: Ingested, tmp_path: Path) -> None:
        """`feeds list` has a header and times to the second."""
        lines = wirefeed("feeds", "list", "--db", str(ingested.db), cwd=tmp_path).out.splitlines()
        assert lines[0].split() == ["STATE", "HTTP", "NEXT", "POLL", "PAGES", "FAILED", "URL", "LAST", "ERROR"]
        assert all("." not in line.split()[3] for line in lines[1:])  # HH:MM:SS, no microseconds

    def test_global_options_after_the_command(self, ingested: Ingested, tmp_path: Path) -> None:
        """`wirefeed stats --db FILE --json` works as `wirefeed --db FILE stats --json`, and a plain path is taken."""
        after = wirefeed("stats", "--db", str(ingested.db), "--json", cwd=tmp_path)
        before = wirefeed("--db", f"sqlite:///{ingested.db}", "stats", "--json", cwd=tmp_path)
        assert after.code == 0, after.err
        assert json.loads(after.out) == json.loads(before.out)

    def test_unsupported_database_names_the_forms(self, tmp_path: Path) -> None:
        """`--db mysql://` names the accepted forms (not `No module named 'MySQLdb'`); exit 1 as any unusable URL."""
        line = one_line_error(wirefeed("stats", "--db", "mysql://u@h/d", cwd=tmp_path), 1)
        assert "postgresql://HOST/DBNAME" in line
        assert "sqlite:///" in line
        assert "MySQLdb" not in line
        driver = one_line_error(wirefeed("stats", "--db", "postgresql+psycopg2://u:s3cret@h/d", cwd=tmp_path), 1)
        assert "postgresql+psycopg://" in driver  # the driver wirefeed installs, not only "No module named"
        assert "s3cret" not in driver
        typo = one_line_error(wirefeed("stats", "--db", "postgresql//u:s3cret@h/d", cwd=tmp_path), 1)
        assert "invalid database URL" in typo
        assert "s3cret" not in typo

    def test_extract_stdin_and_several(self, tmp_path: Path) -> None:
        """`extract -` reads stdin; several paths are extracted in one process, one JSON line each."""
        body = ARTICLE.read_bytes()
        one = wirefeed("extract", "-", "--json", cwd=tmp_path, stdin=body)
        assert one.code == 0, one.err
        assert json.loads(one.out)["title"].startswith("Council approves flood defence plan")
        many = wirefeed("extract", str(ARTICLE), "-", "--json", cwd=tmp_path, stdin=body)
        assert many.code == 0, many.err
        assert [json.loads(line)["is_article"] for line in many.out.splitlines()] == [True, True]

    def test_interval_as_duration(self, tmp_path: Path) -> None:
        """`feeds add --interval 1h` is 3600 seconds."""
        assert wirefeed("feeds", "add", "--interval", "1h", "--no-discover", "https://a.example/rss.xml",
                        cwd=tmp_path).code == 0
        (row,) = json.loads(wirefeed("feeds", "list", "--json", cwd=tmp_path).out)
        assert row["interval"] == 3600

    def test_config_seconds_take_durations(self, tmp_path: Path) -> None:
        """A config value in seconds takes a duration too (`tick = "1m"`); a wrong one names the forms."""
        (tmp_path / "w.toml").write_text('[schedule]\ntick = "1m"\ndefault_interval = "1h"\n', encoding="utf-8")
        assert wirefeed("--config", "w.toml", "init", cwd=tmp_path).code == 0
        bad = wirefeed("init", cwd=tmp_path, env={"WIREFEED_FETCH__TIMEOUT": "soon"})
        assert "fetch.timeout: not a number of seconds or a duration: 'soon'" in one_line_error(bad, 1)

    def test_finished_backfill_rerun_says_nothing_left(self, tmp_path: Path) -> None:
        """Rerunning a finished backfill says there was nothing left to do, not only `(resumed)`."""
        from tests.test_backfill import warc_pages, write_warc

        write_warc(tmp_path / "a.warc.gz", warc_pages())
        first = wirefeed("backfill", "--warc", "a.warc.gz", cwd=tmp_path)
        assert first.code == 0, first.err
        assert "nothing left to do" not in first.out
        again = wirefeed("backfill", "--warc", "a.warc.gz", cwd=tmp_path)
        assert again.code == 0, again.err
        assert "nothing left to do: run 1 was complete (5 items done before)" in again.out

    def test_every_option_has_help(self) -> None:
        """Every option and argument of every command says what it is."""
        import argparse

        from ingest.cli.app import build_parser

        missing = []

        def walk(parser: argparse.ArgumentParser, path: str) -> None:
            for action in parser._actions:
                if isinstance(action, argparse._SubParsersAction):
                    for name, child in action.choices.items():
                        walk(child, f"{path} {name}")
                elif not action.help:
                    missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")

        walk(build_parser(), "wirefeed")
        assert missing == []

    def test_did_you_mean_command(self, tmp_path: Path) -> None:
        """A mistyped command is answered with the closest one."""
        done = wirefeed("stoties", cwd=tmp_path)
        assert done.code == 2
        assert "did you mean 'stories'?" in done.err

    def test_did_you_mean_config_key(self, tmp_path: Path) -> None:
        """A misspelt config key names the key it resembles."""
        (tmp_path / "w.toml").write_text("[fetch]\ntimout = 3\n", encoding="utf-8")
        line = one_line_error(wirefeed("--config", "w.toml", "stats", cwd=tmp_path), 1)
        assert "fetch.timout" in line
        assert "did you mean 'timeout'?" in line


class TestStartup:
    """11. `--help` loads none of the heavy libraries (the times are measured by scripts/bench_startup.py)."""

    def test_help_imports_nothing_heavy(self, tmp_path: Path) -> None:
        """No SQLAlchemy, alembic, pydantic, structlog or asyncio to print the help."""
        done = subprocess.run([sys.executable, "-X", "importtime", "-m", "ingest.cli", "--help"], cwd=tmp_path,
                              env=environ(), capture_output=True, text=True, timeout=60, check=True)
        loaded = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
        assert not loaded & {"sqlalchemy", "alembic", "pydantic", "structlog", "asyncio", "trafilatura"}

    def test_stats_imports_no_sqlalchemy(self, tmp_path: Path) -> None:
        """`stats` on a current SQLite database reads it through sqlite3 alone (SQLAlchemy is most of start-up)."""
        url = f"sqlite:///{tmp_path / 'news.db'}"
        assert wirefeed("init", "--db", url, cwd=tmp_path).code == 0
        done = subprocess.run([sys.executable, "-X", "importtime", "-m", "ingest.cli", "--db", url, "stats", "--json"],
                              cwd=tmp_path, env=environ(), capture_output=True, text=True, timeout=60, check=True)
        loaded = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
        assert not loaded & {"sqlalchemy", "alembic", "structlog", "trafilatura"}
        assert json.loads(done.stdout)["feeds"] == 0

    def test_head_revision_without_alembic(self) -> None:
        """The revision read-only commands compare with, read without alembic, is alembic's head."""
        from alembic.script import ScriptDirectory

        from store.db import alembic_config, make_engine
        from store.peek import head_revision

        engine = make_engine("sqlite://")
        try:
            assert head_revision() == ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        finally:
            engine.dispose()


class TestDatabasePath:
    """`--db PATH` opens the file named, whatever characters its name holds."""

    @pytest.mark.parametrize("name", ["p%41.db", "q?x.db", "r#1.db", "news 2026.db"])
    def test_plain_path_is_the_file(self, tmp_path: Path, name: str) -> None:
        assert wirefeed("--db", name, "init", cwd=tmp_path).code == 0
        assert [p.name for p in tmp_path.iterdir() if p.suffix == ".db" or p.name == name] == [name]
        done = wirefeed("--db", name, "stats", "--json", cwd=tmp_path)
        assert done.code == 0, done.err
        assert json.loads(done.out)["feeds"] == 0
