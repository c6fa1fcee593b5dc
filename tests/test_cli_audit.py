"""Findings of the CLI audit: each class one finding, through the real command line and real local servers."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from ingest.cli.app import build_parser
from tests.cli_process import Done, environ, isolate
from tests.cli_process import in_process as wirefeed
from tests.world import HostedOutlet, HostedWorld, Request, Route, page, rss

# trafilatura probes urllib3's optional SOCKS support on import, which warns when PySocks is absent;
# with warnings as errors that breaks its import when a command here is the first to load it.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.DependencyWarning")

ROOT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
HOST = "127.0.0.91"  # this file's outlet: its own loopback address
SECRET_FEED = "http://bob:s3cret@127.0.0.77:8077/courier/rss.xml"
STORY = [
    "The harbour authority said on Monday that the new ferry terminal would open in March, two years later "
    "than planned, after the contractor found the old quay walls needed rebuilding.",
    "Ferry operators welcomed the date but said the delay had cost them passengers, and asked the authority to "
    "extend the temporary waiting rooms until the terminal is finished.",
    "The terminal will handle up to four sailings an hour and has space for 300 cars, the authority said.",
]


def error_lines(done: Done) -> list[str]:
    """The lines on stderr, each checked to be one of wirefeed's error lines."""
    lines = done.err.strip().splitlines()
    assert all(line.startswith("wirefeed: error: ") for line in lines), done.err
    assert "Traceback" not in done.err
    return lines


def subscribed(db: str) -> list[dict[str, object]]:
    """The subscribed feeds, as `feeds list --json` gives them."""
    listed = wirefeed("--db", db, "feeds", "list", "--json")
    assert listed.code == 0, listed.err
    return cast(list[dict[str, object]], json.loads(listed.out))


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No WIREFEED_* variable from the shell, a scratch working directory, fetches allowed to this file's host."""
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("WIREFEED_FETCH__ALLOWED_NETWORKS", '["127.0.0.0/8"]')
    monkeypatch.setenv("WIREFEED_FETCH__PER_HOST_DELAY", "0")
    monkeypatch.setenv("WIREFEED_FETCH__TIMEOUT", "5")
    monkeypatch.setenv("WIREFEED_EXTRACT__WORKERS", "1")


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A database URL for a fresh SQLite file."""
    return f"sqlite:///{tmp_path}/audit.db"


@pytest.fixture
def site() -> Iterator[HostedOutlet]:
    """An outlet on this file's loopback address: a feed, an article, a page without a feed, errors."""
    with HostedWorld(site=HOST) as world:
        outlet = cast(HostedOutlet, world["site"])
        outlet.static("/rss.xml", rss("Courier", []), "application/rss+xml")
        outlet.static("/ferry.html", page("Ferry terminal to open in March", STORY))
        outlet.static("/about.html", "<!DOCTYPE html><html><head><title>About us</title></head>"
                                     "<body><p>We are a newspaper.</p></body></html>")
        for status in (404, 410, 429, 503):
            outlet.routes[f"/{status}"] = answering(status)
        yield outlet


def answering(status: int) -> Route:
    """A route answering this status, whatever is asked."""

    def route(_request: Request) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "text/plain"}, b"no"

    return route


def closed_port() -> int:
    """A port on this file's host that nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class TestMaskedURLs:
    """`feeds enable|disable|remove` take a URL with a password as `feeds list` shows it (`bob:***@`)."""

    @pytest.mark.parametrize("command", ["enable", "disable", "remove"])
    def test_masked_url_names_the_feed(self, db: str, command: str) -> None:
        """The URL copied from `feeds list` acts on the feed (it was "not subscribed"), and is shown masked."""
        assert wirefeed("--db", db, "feeds", "add", SECRET_FEED, "--no-discover").code == 0
        (listed,) = subscribed(db)
        masked = "http://bob:***@127.0.0.77:8077/courier/rss.xml"
        assert listed["url"] == masked
        assert masked in wirefeed("--db", db, "feeds", "list").out
        done = wirefeed("--db", db, "feeds", command, masked)
        assert (done.code, done.err) == (0, "")
        assert done.out == f"{command}d: {masked}\n"
        after = subscribed(db)
        if command == "remove":
            assert after == []
        else:
            assert after[0]["disabled"] is (command == "disable")

    def test_two_feeds_behind_one_mask_are_ambiguous(self, db: str) -> None:
        """Two subscriptions that differ only by password: the masked URL is refused, naming the count."""
        other = SECRET_FEED.replace("s3cret", "t0psecret")
        assert wirefeed("--db", db, "feeds", "add", SECRET_FEED, other, "--no-discover").code == 0
        done = wirefeed("--db", db, "feeds", "disable", "http://bob:***@127.0.0.77:8077/courier/rss.xml")
        assert done.code == 2
        (line,) = error_lines(done)
        assert "masked URL of 2 subscribed feeds" in line
        assert "s3cret" not in done.err
        assert "t0psecret" not in done.err
        assert [feed["disabled"] for feed in subscribed(db)] == [False, False]

    def test_full_url_still_names_it(self, db: str) -> None:
        """The URL with its password works as before, and is printed masked."""
        assert wirefeed("--db", db, "feeds", "add", SECRET_FEED, "--no-discover").code == 0
        done = wirefeed("--db", db, "feeds", "disable", SECRET_FEED)
        assert (done.code, done.out) == (0, "disabled: http://bob:***@127.0.0.77:8077/courier/rss.xml\n")


class TestNoNewDatabase:
    """Commands that act on existing rows never create a database: a mistyped --db is an error, as for `stats`."""

    @pytest.mark.parametrize("command", [
        ["prune", "--dry-run"], ["prune", "--dry-run", "--json"],
        ["feeds", "remove", "https://a.example/rss.xml"], ["feeds", "enable", "https://a.example/rss.xml"],
        ["feeds", "disable", "https://a.example/rss.xml"], ["feeds", "list"], ["feeds", "export"],
    ])
    def test_mistyped_db_is_an_error(self, tmp_path: Path, command: list[str]) -> None:
        """One line "no database at PATH", exit 1, and no file created (it was a new empty database)."""
        typo = tmp_path / "newz.db"
        done = wirefeed(*command, "--db", str(typo))
        assert done.code == 1
        (line,) = error_lines(done)
        assert line.startswith(f"wirefeed: error: no database at {typo} (--db)")
        assert "wirefeed init" in line
        assert sorted(p.name for p in tmp_path.iterdir()) == []

    def test_existing_database_is_acted_on(self, db: str) -> None:
        """On the database `feeds add` created, `prune --dry-run` plans and `feeds remove` removes."""
        assert wirefeed("--db", db, "feeds", "add", "https://a.example/rss.xml", "--no-discover").code == 0
        plan = wirefeed("--db", db, "prune", "--dry-run", "--json")
        assert plan.code == 0, plan.err
        assert json.loads(plan.out)["dry_run"] is True
        assert wirefeed("--db", db, "feeds", "remove", "https://a.example/rss.xml").code == 0
        assert subscribed(db) == []

    def test_an_older_schema_is_upgraded_as_by_any_writing_command(self, tmp_path: Path) -> None:
        """`feeds disable` on a database one migration behind upgrades it and disables (a read-only command
        would refuse and say to run `wirefeed init`: these commands write)."""
        from alembic import command as alembic

        from store.db import alembic_config, make_engine
        from store.peek import head_revision

        path = tmp_path / "old.db"
        assert wirefeed("--db", str(path), "feeds", "add", "https://a.example/rss.xml", "--no-discover").code == 0
        engine = make_engine(f"sqlite:///{path}")
        alembic.downgrade(alembic_config(engine), "-1")
        done = wirefeed("--db", str(path), "feeds", "disable", "https://a.example/rss.xml")
        assert done.code == 0, done.err
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head_revision()
        engine.dispose()
        assert [feed["disabled"] for feed in subscribed(str(path))] == [True]


class TestRemoveSaysNothingChanged:
    """`feeds remove A B C` with B and C not subscribed: nothing removed, and every unknown URL named."""

    @pytest.mark.parametrize("command", ["remove", "disable"])
    def test_all_unknown_urls_named(self, db: str, command: str) -> None:
        """One line naming B and C and saying nothing was done (it named B alone); A is untouched."""
        known = "https://one.example/rss.xml"
        assert wirefeed("--db", db, "feeds", "add", known, "--no-discover").code == 0
        done = wirefeed("--db", db, "feeds", command, known, "https://b.example/rss.xml", "https://c.example/feed")
        assert done.code == 2
        assert error_lines(done) == [
            "wirefeed: error: not subscribed: https://b.example/rss.xml, https://c.example/feed "
            f"(nothing {command}d; see `wirefeed feeds list`)"]
        assert done.out == ""
        assert [(feed["url"], feed["disabled"]) for feed in subscribed(db)] == [(known, False)]


class TestExtractNamesFailingURL:
    """`extract URL1 FILE URL2`: a URL that fails is named on its error line, as a file that fails is."""

    def test_each_failing_url_named(self, site: HostedOutlet, tmp_path: Path) -> None:
        """Two 404s and a page with no article: three lines, each starting with its source; the article is printed."""
        listing = tmp_path / "listing.html"
        listing.write_bytes((PAGES / "fr_tag_page.html").read_bytes())
        first, second = site.url("/404"), site.url("/410")
        done = wirefeed("extract", first, str(listing), site.url("/ferry.html"), second, "--json")
        assert done.code == 1
        assert error_lines(done) == [
            f"wirefeed: error: {first}: http_4xx: HTTP 404",
            *[line for line in error_lines(done) if line.startswith(f"wirefeed: error: {listing}: no article found")],
            f"wirefeed: error: {second}: http_4xx: HTTP 410",
        ]
        records = [json.loads(line) for line in done.out.splitlines()]
        assert [r["is_article"] for r in records] == [False, True]


class TestAddRefusesNonFeeds:
    """`feeds add` of a URL that answers it is no feed refuses it unless --force; unknown states still add it."""

    @pytest.mark.parametrize(("path", "why"), [
        ("/404", "HTTP 404"), ("/410", "HTTP 410"), ("/about.html", "an HTML page that announces no feed")])
    def test_definitely_not_a_feed_is_refused(self, db: str, site: HostedOutlet, path: str, why: str) -> None:
        """Not subscribed, one error line with the answer and --force, exit 1 (it was added, exit 0)."""
        done = wirefeed("--db", db, "feeds", "add", site.url(path))
        assert done.code == 1
        assert error_lines(done) == [
            f"wirefeed: error: not added: {site.url(path)} is not a feed ({why}); give the feed's URL, "
            "or add it anyway with --force"]
        assert done.out == ""
        assert subscribed(db) == []

    @pytest.mark.parametrize(("path", "note"), [
        ("/404", "not checked: HTTP 404"), ("/about.html", "warning: an HTML page that announces no feed")])
    def test_force_adds_it_with_its_note(self, db: str, site: HostedOutlet, path: str, note: str) -> None:
        """With --force the URL is added as before, its note shown."""
        done = wirefeed("--db", db, "feeds", "add", "--force", site.url(path))
        assert (done.code, done.err) == (0, "")
        assert done.out == f"added: {site.url(path)} ({note})\n"
        assert [feed["url"] for feed in subscribed(db)] == [site.url(path)]

    def test_good_ones_added_refused_ones_reported(self, db: str, site: HostedOutlet) -> None:
        """Several URLs: the feed is added, the 404 reported, exit 1."""
        done = wirefeed("--db", db, "feeds", "add", site.url("/404"), site.url("/rss.xml"))
        assert done.code == 1
        assert done.out == f"added: {site.url('/rss.xml')}\n"
        (line,) = error_lines(done)
        assert f"not added: {site.url('/404')} is not a feed (HTTP 404)" in line
        assert [feed["url"] for feed in subscribed(db)] == [site.url("/rss.xml")]

    def test_transient_failures_still_add(self, db: str, site: HostedOutlet) -> None:
        """A 503, a 429 and a refused connection may pass tomorrow: added with a warning, exit 0."""
        down = f"http://{HOST}:{closed_port()}/rss.xml"
        done = wirefeed("--db", db, "feeds", "add", site.url("/503"), site.url("/429"), down)
        assert (done.code, done.err) == (0, ""), done.err
        lines = done.out.splitlines()
        assert [line.partition(" (")[0] for line in lines] == [
            f"added: {site.url('/503')}", f"added: {site.url('/429')}", f"added: {down}"]
        assert all("(not checked: " in line for line in lines), lines
        assert len(subscribed(db)) == 3

    def test_no_discover_checks_nothing(self, db: str, site: HostedOutlet) -> None:
        """--no-discover fetches nothing, so refuses nothing."""
        done = wirefeed("--db", db, "feeds", "add", "--no-discover", site.url("/404"))
        assert (done.code, done.out) == (0, f"added: {site.url('/404')}\n")
        assert site.hits("/404") == []


# The backfill scripts, with a stand-in wirefeed that records its arguments -----------------------------------

FAKE = """#!/bin/sh
{ for arg in "$@"; do printf '%s\\n' "$arg"; done; echo --; } >> "$CALLS"
"""


def calls(path: Path) -> list[list[str]]:
    """The argument lists the stand-in wirefeed was called with."""
    if not path.exists():
        return []
    runs: list[list[str]] = [[]]
    for line in path.read_text().splitlines():
        if line == "--":
            runs.append([])
        else:
            runs[-1].append(line)
    return runs[:-1]


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    """A stand-in `wirefeed` in a directory whose name holds a space."""
    directory = tmp_path / "opt wirefeed"
    directory.mkdir()
    command = directory / "wirefeed"
    command.write_text(FAKE)
    command.chmod(0o755)
    return command


def run_script(name: str, *args: str, cwd: Path, env: dict[str, str]) -> Done:
    """Run scripts/NAME as cron would (no wirefeed on PATH), with these environment variables."""
    done = subprocess.run(["/bin/sh", str(ROOT / "scripts" / name), *args], cwd=cwd,
                          env=environ({"PATH": "/usr/bin:/bin", **env}), capture_output=True, timeout=120,
                          check=False)
    return Done(done.returncode, done.stdout.decode(), done.stderr.decode())


class TestBackfillScripts:
    """scripts/backfill_*.sh: the wirefeed command and config from the environment, paths with spaces whole."""

    def test_warc_files_with_spaces_in_name_order(self, tmp_path: Path, fake: Path) -> None:
        """Each WARC file is passed whole, .warc and .warc.gz in one name order, with --config (it split names)."""
        directory = tmp_path / "cc news"
        directory.mkdir()
        for name in ("b 2.warc.gz", "a 1.warc", "c.warc.gz", "notes.txt", "d.warc.gz.partial"):
            (directory / name).write_bytes(b"")
        config = tmp_path / "etc dir" / "wirefeed.toml"
        config.parent.mkdir()
        config.write_text("")
        env = {"WIREFEED": str(fake), "WIREFEED_CONFIG": str(config), "CALLS": str(tmp_path / "calls")}
        done = run_script("backfill_warc.sh", str(directory), cwd=tmp_path, env=env)
        assert (done.code, done.err) == (0, "")
        assert calls(tmp_path / "calls") == [
            ["--config", str(config), "backfill", "--warc", str(directory / name)]
            for name in ("a 1.warc", "b 2.warc.gz", "c.warc.gz")]

    def test_sitemaps_with_config(self, tmp_path: Path, fake: Path) -> None:
        """Each listed sitemap (comments and blanks skipped, a last line without newline kept) with --config."""
        config = tmp_path / "wirefeed.toml"
        config.write_text("")
        listing = tmp_path / "site maps.txt"
        listing.write_text("# outlets\nhttps://a.example/sitemap.xml\n\nhttps://b.example/news.xml")
        env = {"WIREFEED": str(fake), "WIREFEED_CONFIG": str(config), "CALLS": str(tmp_path / "calls")}
        done = run_script("backfill_sitemaps.sh", str(listing), "7d", cwd=tmp_path, env=env)
        assert (done.code, done.err) == (0, "")
        assert calls(tmp_path / "calls") == [
            ["--config", str(config), "--log-format", "json", "backfill", "--sitemap", url, "--since", "7d",
             "--no-progress"]
            for url in ("https://a.example/sitemap.xml", "https://b.example/news.xml")]

    @pytest.mark.parametrize("script", ["backfill_warc.sh", "backfill_sitemaps.sh"])
    @pytest.mark.parametrize("config", [None, "missing.toml"])
    def test_no_config_file_stops_before_running(self, tmp_path: Path, fake: Path, script: str,
                                                 config: str | None) -> None:
        """Without WIREFEED_CONFIG, or with a missing file, exit 2 naming it; wirefeed is not run."""
        (tmp_path / "a.warc.gz").write_bytes(b"")
        (tmp_path / "sitemaps.txt").write_text("https://a.example/sitemap.xml\n")
        argument = str(tmp_path if script == "backfill_warc.sh" else tmp_path / "sitemaps.txt")
        env = {"WIREFEED": str(fake), "CALLS": str(tmp_path / "calls")}
        if config is not None:
            env["WIREFEED_CONFIG"] = str(tmp_path / config)
        done = run_script(script, argument, cwd=tmp_path, env=env)
        assert done.code == 2
        (line,) = done.err.strip().splitlines()
        assert line.startswith(f"{script}: ")
        assert (f"config file not found: {tmp_path / config}" if config else "set WIREFEED_CONFIG") in line
        assert calls(tmp_path / "calls") == []

    def test_without_wirefeed_on_path(self, tmp_path: Path) -> None:
        """Cron's PATH holds no wirefeed: one line saying to set WIREFEED, exit 2."""
        config = tmp_path / "wirefeed.toml"
        config.write_text("")
        (tmp_path / "a.warc").write_bytes(b"")
        done = run_script("backfill_warc.sh", str(tmp_path), cwd=tmp_path, env={"WIREFEED_CONFIG": str(config)})
        assert done.code == 2
        assert "set WIREFEED to its path" in done.err

    def test_real_backfill_writes_the_configured_database(self, tmp_path: Path) -> None:
        """With the real wirefeed from cron's working directory: the config's database is written, not ./wirefeed.db."""
        from warcio.statusandheaders import StatusAndHeaders
        from warcio.warcwriter import WARCWriter

        directory = tmp_path / "cc news"
        directory.mkdir()
        body = page("Ferry terminal to open in March", STORY).encode()
        with (directory / "may 01.warc.gz").open("wb") as handle:
            writer = WARCWriter(handle, gzip=True)
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                "http://harbour.example/ferry.html", "response", payload=io.BytesIO(body), length=len(body),
                http_headers=headers, warc_headers_dict={"WARC-Date": "2024-05-01T10:00:00Z"}))
        database = tmp_path / "var" / "news.db"
        database.parent.mkdir()
        config = tmp_path / "wirefeed.toml"
        config.write_text(f'[database]\nurl = "sqlite:///{database}"\n[store]\narchive_dir = "{tmp_path / "raw"}"\n')
        cron_home = tmp_path / "cron home"
        cron_home.mkdir()
        # The wirefeed of the Python running the tests (CI installs into .ci-venv, a newcomer into .venv).
        env = {"WIREFEED": str(Path(sys.executable).parent / "wirefeed"), "WIREFEED_CONFIG": str(config)}
        done = run_script("backfill_warc.sh", str(directory), cwd=cron_home, env=env)
        assert done.code == 0, done.err
        assert list(cron_home.iterdir()) == []
        stats = json.loads(wirefeed("--db", str(database), "stats", "--json").out)
        assert stats["articles"] == 1


class TestCrontabExample:
    """scripts/crontab.example: its lines are commands wirefeed takes, doing what their comments say."""

    def test_nightly_export_is_by_fetch_time(self) -> None:
        """The nightly export of "the last day's articles" windows on the fetch time, not publication."""
        lines = (ROOT / "scripts" / "crontab.example").read_text().splitlines()
        (line,) = [line for line in lines if " export " in line and not line.startswith("#")]
        command = re.sub(r"\$\(date [^)]*\)", "2026-11-20", line.partition("&& ")[2])  # as cron's shell runs it
        words = shlex.split(command)
        assert words[0] == "/opt/wirefeed/.venv/bin/wirefeed"
        args = build_parser().parse_args(words[1:])
        assert (args.command, args.by) == ("export", "fetched")
        assert args.config == "/etc/wirefeed/wirefeed.toml"


class TestNothingPolledSaysWhy:
    """`ingest --all` that polls nothing because another live process holds the leases says so."""

    def test_leases_of_a_live_process_are_named(self, tmp_path: Path) -> None:
        """It said "`wirefeed ingest --all` polls every enabled feed now", which `--all` had just done."""
        import sqlite3

        db = str(tmp_path / "d.db")
        assert wirefeed("--db", db, "feeds", "add", "https://a.example/rss.xml", "--no-discover").code == 0
        owner = f"{socket.gethostname()}:{os.getpid()}:0badcafe"  # this test's process: alive
        with sqlite3.connect(db) as connection:
            connection.execute("UPDATE feeds SET lease_owner = ?, lease_until = '2999-01-01 00:00:00.000000'",
                               (owner,))
        done = wirefeed("--db", db, "ingest", "--all")
        assert done.code == 0, done.err
        assert done.out.startswith("feeds 0 ")
        assert f"being polled by 1 other wirefeed process(es) ({owner})" in done.err
        assert "--all` polls every" not in done.err


class TestOneFeedWhateverItsCase:
    """Scheme and host are case-blind and a fragment never reaches the server: one feed, not several."""

    def test_add_import_and_remove_take_any_case_and_fragment(self, tmp_path: Path) -> None:
        """`HTTPS://A.EXAMPLE/rss#top` is the subscribed `https://a.example/rss` (each subscribed apart before)."""
        db = str(tmp_path / "d.db")
        assert wirefeed("--db", db, "feeds", "add", "https://a.example/Feed.xml", "--no-discover").code == 0
        again = wirefeed("--db", db, "feeds", "add", "HTTPS://A.Example/Feed.xml#top", "--no-discover")
        assert again.code == 0, again.err
        assert "already subscribed: https://a.example/Feed.xml" in again.out
        opml = tmp_path / "subs.opml"
        opml.write_text('<?xml version="1.0"?><opml version="2.0"><body>'
                        '<outline text="x" xmlUrl="Https://A.EXAMPLE/Feed.xml#frag"/></body></opml>', encoding="utf-8")
        assert wirefeed("--db", db, "feeds", "import", str(opml)).code == 0
        assert [feed["url"] for feed in subscribed(db)] == ["https://a.example/Feed.xml"]  # the path keeps its case
        assert wirefeed("--db", db, "feeds", "remove", "HTTPS://A.EXAMPLE/Feed.xml").code == 0
        assert subscribed(db) == []
