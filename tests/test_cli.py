"""The `wirefeed` command line as users and scripts call it: real commands, real local servers, real SQLite."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingest.cli.app import build_parser, output
from ingest.feeds.opml import Subscription, read_opml, write_opml
from store import repo
from store.db import Store
from tests.cli_process import Done as Result
from tests.cli_process import in_process as wirefeed
from tests.cli_process import isolate
from tests.cli_process import wirefeed as run_process
from tests.world import World, page, rss

# trafilatura probes urllib3's optional SOCKS support on import, which warns when PySocks is absent;
# with warnings as errors that breaks its import when a command here is the first to load it.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.DependencyWarning")

ROOT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
FEED_FIELDS = {"url", "title", "last_status", "last_error", "error_count", "next_fetch_at", "disabled"}
EXPORT_FIELDS = ["id", "story_id", "url", "canonical_url", "feed_url", "guid", "title", "text", "author",
                 "published", "fetched", "language", "diff"]
EXTRACT_FIELDS = {"url", "title", "text", "author", "published", "language", "removed"}
DEDUPE_FIELDS = {"id", "cluster", "duplicate_of", "score"}
LOCAL_ENV = {
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
    "Meteorologists said the storm, fed by unusually warm sea water off the Atlantic coast, was moving north "
    "and warned of further heavy rain in the Porto region through Tuesday.",
]
MARKET = [
    "The covered market on Fenwick Road will open on Sundays from next month, the council said, after a "
    "survey in which nine in ten traders asked for the extra day.",
    "Stallholders said Sunday trading would help them compete with the out-of-town retail park, which opened "
    "a food hall in the spring and has drawn shoppers away from the centre.",
    "The council will waive the first three months of Sunday rent and run a free shuttle bus from the park "
    "and ride, a trial it says it will review at the end of the summer.",
]
VELO = [
    "La métropole de Lyon a ouvert lundi une nouvelle voie cyclable de onze kilomètres entre Villeurbanne et "
    "Vaulx-en-Velin, la plus longue réalisée depuis le lancement du plan vélo en 2021.",
    "Séparée de la circulation par des bordures en béton, la piste doit accueillir selon la collectivité "
    "jusqu'à 8 000 cyclistes par jour et sera éclairée toute la nuit dès le mois prochain.",
    "Des commerçants du cours Émile-Zola dénoncent toutefois la suppression de 300 places de stationnement, "
    "et une pétition réclamant des places de livraison a réuni 2 000 signatures.",
]


# Helpers --------------------------------------------------------------------------------------------


def wirefeed_process(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Result:
    """Run the CLI as a separate process, as cron would."""
    return run_process(*args, cwd=cwd, env=env)


def assert_one_line_error(result: Result) -> None:
    """A failed run: non-zero status, exactly one line on stderr, no traceback."""
    assert result.code != 0
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("wirefeed: error: ")
    assert "Traceback" not in result.err


def assert_utc_iso(value: str) -> datetime:
    """An ISO 8601 time with an explicit UTC offset."""
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() == timedelta(0), value
    return parsed


def copy_db(source_url: str, target: Path) -> str:
    """A consistent copy of a SQLite database (WAL included), for tests that change it."""
    src = sqlite3.connect(source_url.removeprefix("sqlite:///"))
    dst = sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return f"sqlite:///{target}"


def walk_commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command path of the parser: (), ('init',), ('feeds',), ('feeds', 'add'), ..."""
    yield path
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from walk_commands(child, (*path, name))


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No WIREFEED_* variable from the shell, and a scratch working directory for the default database."""
    isolate(monkeypatch, tmp_path)


@pytest.fixture
def local_net(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let fetches reach 127.0.0.1 with no politeness delay."""
    for key, value in LOCAL_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A database URL for a fresh SQLite file."""
    return f"sqlite:///{tmp_path}/cli.db"


@dataclass
class Ingested:
    """A database after one `wirefeed ingest` over the local world."""

    db: str
    world: World
    run: Result
    feeds: dict[str, str]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingested]:
    """Three outlets (one wire story carried by all three) and one failing feed, ingested once."""
    tmp = tmp_path_factory.mktemp("ingested")
    url = f"sqlite:///{tmp}/world.db"
    with World("alpha", "beta", "gamma") as world, pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.upper().startswith("WIREFEED_"):
                mp.delenv(name)
        for key, value in LOCAL_ENV.items():
            mp.setenv(key, value)
        alpha, beta, gamma = world["alpha"], world["beta"], world["gamma"]
        alpha.static("/floods.html", page("Flash floods force hundreds from homes in Coimbra", FLOOD))
        alpha.static("/market.html", page("Covered market to open on Sundays", MARKET))
        beta.static("/world/coimbra-floods.html", page("Coimbra floods: hundreds evacuated", FLOOD[:3]))
        gamma.static("/monde/coimbra.html", page("Floods hit Coimbra old town", FLOOD))
        gamma.static("/lyon/velo.html", page("Lyon ouvre une piste cyclable de onze kilomètres", VELO, lang="fr"))
        alpha.static("/rss.xml", rss("Alpha News", [
            {"title": "Floods", "link": alpha.url("/floods.html?utm_source=rss&utm_medium=feed"), "guid": "a1",
             "published": "2026-11-20T06:00:00+00:00"},
            {"title": "Market", "link": alpha.url("/market.html"), "guid": "a2",
             "published": "2026-11-20T08:00:00+00:00"},
        ]), "application/rss+xml")
        beta.static("/feed.xml", rss("Beta Daily", [
            {"title": "Coimbra", "link": beta.url("/world/coimbra-floods.html"), "guid": "b1",
             "published": "2026-11-20T07:00:00+00:00"},
        ]), "application/rss+xml")
        gamma.static("/rss", rss("Gamma", [
            {"title": "Coimbra", "link": gamma.url("/monde/coimbra.html#top"), "guid": "g1",
             "published": "2026-11-20T09:00:00+00:00"},
            {"title": "Vélo", "link": gamma.url("/lyon/velo.html"), "guid": "g2",
             "published": "2026-11-20T10:00:00+00:00"},
        ]), "application/rss+xml")
        alpha.routes["/broken.xml"] = lambda request: (500, {"Content-Type": "text/plain"}, b"oops")
        feeds = {"alpha": alpha.url("/rss.xml"), "beta": beta.url("/feed.xml"), "gamma": gamma.url("/rss"),
                 "broken": alpha.url("/broken.xml")}
        added = wirefeed("--db", url, "feeds", "add", "--no-discover", *feeds.values())
        assert added.code == 0, added.err
        run = wirefeed("--db", url, "ingest")
        yield Ingested(url, world, run, feeds)


# Tests ----------------------------------------------------------------------------------------------


class TestHelp:
    """--help on every command says what it does and shows an example."""

    @pytest.mark.parametrize("path", list(walk_commands(build_parser())), ids=lambda p: " ".join(p) or "wirefeed")
    def test_help_has_description_and_example(self, path: tuple[str, ...]) -> None:
        """Each command's help has a sentence of description and an 'example:' with a wirefeed command."""
        result = wirefeed(*path, "--help")
        assert result.code == 0
        assert result.out.startswith("usage: wirefeed")
        description = result.out.split("\n\n")[1]
        assert description.strip()
        assert not description.startswith(("positional arguments", "options"))
        assert "example:\n  wirefeed " in result.out

    def test_help_in_a_process(self, tmp_path: Path) -> None:
        """`python -m ingest.cli --help` lists the commands and exits 0."""
        result = wirefeed_process("--help", cwd=tmp_path)
        assert result.code == 0
        for command in ("init", "feeds", "ingest", "run", "extract", "dedupe", "stories", "export", "stats",
                        "demo"):
            assert f"    {command} " in result.out

    def test_no_command_is_a_usage_error(self) -> None:
        """Without a command the CLI prints usage on stderr and exits 2."""
        result = wirefeed()
        assert result.code == 2
        assert "usage: wirefeed" in result.err


class TestInit:
    """wirefeed init."""

    def test_creates_then_reports_ready(self, db: str, tmp_path: Path) -> None:
        """The first init creates the schema; the second finds it ready and changes nothing."""
        first = wirefeed("--db", db, "init")
        assert first.code == 0
        assert first.out.strip() == f"database ready: {db} (schema created/upgraded)"
        assert (tmp_path / "cli.db").is_file()
        second = wirefeed("--db", db, "init")
        assert second.code == 0
        assert second.out.strip() == f"database ready: {db}"

    def test_password_hidden(self) -> None:
        """A password in the database URL is not printed, even in an error."""
        result = wirefeed("--db", "postgresql+psycopg://user:s3cret@127.0.0.1:1/x", "init")
        assert result.code != 0
        assert "s3cret" not in result.out + result.err


class TestDatabasePrecedence:
    """--db, then WIREFEED_DATABASE__URL, then [database] url, then sqlite:///wirefeed.db."""

    @pytest.fixture
    def config(self, tmp_path: Path) -> Path:
        path = tmp_path / "wirefeed.toml"
        path.write_text('[database]\nurl = "sqlite:///from-config.db"\n', encoding="utf-8")
        return path

    def test_default(self, tmp_path: Path) -> None:
        """With nothing set, ./wirefeed.db in the working directory is used."""
        result = wirefeed("init")
        assert result.out.startswith("database ready: sqlite:///wirefeed.db")
        assert (tmp_path / "wirefeed.db").is_file()

    def test_config_over_default(self, tmp_path: Path, config: Path) -> None:
        """The config file's [database] url beats the default."""
        result = wirefeed("--config", str(config), "init")
        assert result.out.startswith("database ready: sqlite:///from-config.db")
        assert (tmp_path / "from-config.db").is_file()
        assert not (tmp_path / "wirefeed.db").exists()

    def test_env_over_config(self, tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """WIREFEED_DATABASE__URL beats the config file."""
        monkeypatch.setenv("WIREFEED_DATABASE__URL", "sqlite:///from-env.db")
        result = wirefeed("--config", str(config), "init")
        assert result.out.startswith("database ready: sqlite:///from-env.db")
        assert (tmp_path / "from-env.db").is_file()
        assert not (tmp_path / "from-config.db").exists()

    def test_flag_over_env(self, tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """--db beats the environment and the config file."""
        monkeypatch.setenv("WIREFEED_DATABASE__URL", "sqlite:///from-env.db")
        result = wirefeed("--config", str(config), "--db", "sqlite:///from-flag.db", "init")
        assert result.out.startswith("database ready: sqlite:///from-flag.db")
        assert (tmp_path / "from-flag.db").is_file()
        assert not (tmp_path / "from-env.db").exists()


class TestFeeds:
    """wirefeed feeds add | list | import | export | enable."""

    def test_add_and_add_again(self, db: str) -> None:
        """A new feed is 'added'; the same URL again is 'already subscribed' and stays one row."""
        first = wirefeed("--db", db, "feeds", "add", "--no-discover", "--interval", "600",
                         "https://a.example/rss.xml", "https://b.example/feed")
        assert first.code == 0
        assert first.out.splitlines() == ["added: https://a.example/rss.xml", "added: https://b.example/feed"]
        again = wirefeed("--db", db, "feeds", "add", "--no-discover", "https://a.example/rss.xml")
        assert again.code == 0
        assert again.out.strip() == "already subscribed: https://a.example/rss.xml"
        listed = json.loads(wirefeed("--db", db, "feeds", "list", "--json").out)
        assert [f["url"] for f in listed] == ["https://a.example/rss.xml", "https://b.example/feed"]
        assert listed[0]["interval"] == 600

    @pytest.mark.parametrize("url", ["foo", "ftp://files.example/rss", "https://", "mailto:news@example.org"])
    def test_add_refuses_non_http_url(self, db: str, url: str) -> None:
        """Something that is not an http(s) URL is a usage error, and nothing is subscribed."""
        result = wirefeed("--db", db, "feeds", "add", "--no-discover", url)
        assert result.code == 2
        assert "not an http(s) URL" in result.err
        assert json.loads(wirefeed("--db", db, "feeds", "list", "--json").out) == []

    def test_add_strips_whitespace(self, db: str) -> None:
        """A URL pasted with spaces around it is the same subscription as the bare URL."""
        wirefeed("--db", db, "feeds", "add", "--no-discover", " https://a.example/rss.xml\n")
        again = wirefeed("--db", db, "feeds", "add", "--no-discover", "https://a.example/rss.xml")
        assert again.out.strip() == "already subscribed: https://a.example/rss.xml"

    @pytest.mark.parametrize("interval", ["-5", "0", "3", "ten"])
    def test_add_refuses_bad_interval(self, db: str, interval: str) -> None:
        """--interval must be a whole number of seconds, at least 10 (as [schedule] intervals)."""
        result = wirefeed("--db", db, "feeds", "add", "--no-discover", "--interval", interval,
                          "https://a.example/rss.xml")
        assert result.code == 2
        assert "--interval" in result.err
        assert not Path(db.removeprefix("sqlite:///")).exists()  # nothing subscribed, no database created

    def test_add_discovers_feed_of_home_page(self, db: str, local_net: None) -> None:
        """Given a home page, the feed its <link rel=alternate> announces is subscribed."""
        with World("site") as world:
            site = world["site"]
            site.static("/", '<!DOCTYPE html><html><head><title>Site</title><link rel="alternate" '
                             'type="application/rss+xml" href="/news/rss.xml"></head><body>Hi</body></html>')
            site.static("/news/rss.xml", rss("Site", []), "application/rss+xml")
            result = wirefeed("--db", db, "feeds", "add", site.url("/"))
            feed_url = site.url("/news/rss.xml")
        assert result.code == 0
        assert result.out.startswith(f"added: {feed_url} (from {site.url('/')})")
        assert [f["url"] for f in json.loads(wirefeed("--db", db, "feeds", "list", "--json").out)] == [feed_url]

    def test_list_json_contract(self, db: str) -> None:
        """feeds list --json: one record per feed with the contract fields and UTC ISO 8601 times."""
        wirefeed("--db", db, "feeds", "add", "--no-discover", "https://a.example/rss.xml")
        result = wirefeed("--db", db, "feeds", "list", "--json")
        assert result.code == 0
        (feed,) = json.loads(result.out)
        assert set(feed) >= FEED_FIELDS
        assert feed["url"] == "https://a.example/rss.xml"
        assert feed["last_status"] is None
        assert feed["last_error"] is None
        assert feed["error_count"] == 0
        assert feed["disabled"] is False
        next_fetch = assert_utc_iso(feed["next_fetch_at"])
        assert abs(datetime.now(UTC) - next_fetch) < timedelta(hours=1)

    def test_list_empty(self, db: str) -> None:
        """With no feeds, --json is an empty list and the text output says how to add one."""
        assert wirefeed("--db", db, "init").code == 0
        assert json.loads(wirefeed("--db", db, "feeds", "list", "--json").out) == []
        assert "wirefeed feeds add" in wirefeed("--db", db, "feeds", "list").out

    def test_import_export_round_trip(self, db: str, tmp_path: Path) -> None:
        """Feeds imported from OPML come back out of `feeds export` as OPML on stdout, titles included."""
        subs = [Subscription("https://a.example/rss?x=1&y=2", "Alpha & Co"),
                Subscription("https://b.example/feed.xml", "Bêta")]
        opml = tmp_path / "subs.opml"
        opml.write_text(write_opml(subs), encoding="utf-8")
        imported = wirefeed("--db", db, "feeds", "import", str(opml))
        assert imported.code == 0
        assert imported.out.strip() == f"imported 2 feeds from {opml}: 2 new, 0 already subscribed"
        again = wirefeed("--db", db, "feeds", "import", str(opml))
        assert again.out.strip().endswith("0 new, 2 already subscribed")
        exported = wirefeed("--db", db, "feeds", "export")
        assert exported.code == 0
        assert exported.out.startswith("<?xml")
        assert read_opml(exported.out.encode("utf-8")) == subs

    def test_import_bad_files(self, db: str, tmp_path: Path) -> None:
        """A malformed or entity-laden OPML and a missing file each give one error line, nothing imported."""
        bad = tmp_path / "bad.opml"
        bad.write_text("<opml><body><outline xmlUrl='x'", encoding="utf-8")
        bomb = tmp_path / "bomb.opml"
        bomb.write_text('<?xml version="1.0"?><!DOCTYPE o [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                        '<opml><body><outline text="&b;" xmlUrl="https://x.example/"/></body></opml>')
        for path in (bad, bomb, tmp_path / "missing.opml"):
            result = wirefeed("--db", db, "feeds", "import", str(path))
            assert_one_line_error(result)
        assert not Path(db.removeprefix("sqlite:///")).exists()  # nothing imported, no database created

    def test_enable(self, db: str) -> None:
        """feeds enable clears the disabled state and the error count of a feed."""
        wirefeed("--db", db, "feeds", "add", "--no-discover", "https://a.example/rss.xml")
        store = Store(db)
        try:
            with store.session() as session:
                feed = repo.feed_by_url(session, "https://a.example/rss.xml")
                assert feed is not None
                repo.update_feed(session, feed.id, disabled=True, disabled_reason="failing for 14 days",
                                 error_count=40)
        finally:
            store.close()
        assert json.loads(wirefeed("--db", db, "feeds", "list", "--json").out)[0]["disabled"] is True
        result = wirefeed("--db", db, "feeds", "enable", "https://a.example/rss.xml")
        assert result.code == 0
        assert result.out.strip() == "enabled: https://a.example/rss.xml"
        (feed,) = json.loads(wirefeed("--db", db, "feeds", "list", "--json").out)
        assert feed["disabled"] is False
        assert feed["error_count"] == 0

    def test_enable_unknown(self, db: str) -> None:
        """Enabling a URL that is not subscribed is a one-line error."""
        assert_one_line_error(wirefeed("--db", db, "feeds", "enable", "https://nope.example/rss"))


class TestIngest:
    """wirefeed ingest: one pass, exit 0 unless the run cannot proceed."""

    def test_pass_with_failing_feed_exits_zero(self, ingested: Ingested) -> None:
        """A pass with one failing feed stores the others' articles and exits 0."""
        assert ingested.run.code == 0, ingested.run.err
        assert ingested.run.out.startswith("feeds 4 (failed 1, not modified 0); new items 5: stored 5")
        stats = json.loads(wirefeed("--db", ingested.db, "stats", "--json").out)
        assert stats["feeds"] == 4
        assert stats["feeds_failing"] == 1
        assert stats["articles"] == 5
        assert stats["raw_pages"] == 5

    def test_failure_recorded_on_feed(self, ingested: Ingested) -> None:
        """The failing feed's status, error and count show in feeds list --json; the others are clean."""
        feeds = {f["url"]: f for f in json.loads(wirefeed("--db", ingested.db, "feeds", "list", "--json").out)}
        broken = feeds[ingested.feeds["broken"]]
        assert broken["last_status"] == 500
        assert broken["last_error"]
        assert broken["error_count"] == 1
        assert assert_utc_iso(broken["next_fetch_at"]) > datetime.now(UTC)
        assert assert_utc_iso(broken["failing_since"]) <= datetime.now(UTC)
        text = wirefeed("--db", ingested.db, "feeds", "list").out
        assert "failing since" in next(line for line in text.splitlines() if ingested.feeds["broken"] in line)
        healthy = feeds[ingested.feeds["alpha"]]
        assert (healthy["last_status"], healthy["last_error"], healthy["error_count"]) == (200, None, 0)
        assert healthy["failing_since"] is None
        assert healthy["title"] == "Alpha News"

    def test_nothing_due_then_all(self, ingested: Ingested, tmp_path: Path, local_net: None) -> None:
        """Right after a pass nothing is due; --all polls every feed again and stores nothing new."""
        db = copy_db(ingested.db, tmp_path / "copy.db")
        due = wirefeed("--db", db, "ingest")
        assert due.code == 0
        assert due.out.startswith("feeds 0 ")
        every = wirefeed("--db", db, "ingest", "--all")
        assert every.code == 0
        assert every.out.startswith("feeds 4 (failed 1, not modified 3); new items 0: stored 0")

    def test_unreachable_database(self, tmp_path: Path) -> None:
        """A database that refuses connections: non-zero exit, one line on stderr, no traceback."""
        result = wirefeed_process("--db", "postgresql+psycopg://postgres@127.0.0.1:1/x", "ingest", cwd=tmp_path)
        assert_one_line_error(result)
        assert "database unreachable" in result.err
        assert result.out == ""

    def test_not_a_database(self, tmp_path: Path) -> None:
        """A --db file that is not a SQLite database: non-zero exit, one line, no traceback."""
        (tmp_path / "notes.txt").write_text("not a database\n" * 100, encoding="utf-8")
        result = wirefeed("--db", "sqlite:///notes.txt", "ingest")
        assert_one_line_error(result)
        assert "file is not a database" in result.err

    @pytest.mark.parametrize(
        ("toml", "message"),
        [
            ("[fetch\ntimeout = 3\n", "cannot read config file"),
            ("[fetch]\ntimout = 3\n", "fetch.timout"),
            ("[fetch]\ntimeout = \"soon\"\n", "fetch.timeout"),
            ("[schedule]\nmin_interval = 900\nmax_interval = 600\n", "min_interval"),
        ],
        ids=["invalid-toml", "unknown-key", "wrong-type", "inconsistent"],
    )
    def test_bad_config(self, tmp_path: Path, toml: str, message: str) -> None:
        """A bad config file: exit 1 (a runtime error; 2 is for the command line), one line, no database touched."""
        config = tmp_path / "bad.toml"
        config.write_text(toml, encoding="utf-8")
        result = wirefeed("--config", str(config), "ingest")
        assert_one_line_error(result)
        assert result.code == 1
        assert message in result.err
        assert not (tmp_path / "wirefeed.db").exists()

    def test_bad_config_in_a_process(self, tmp_path: Path) -> None:
        """Run as cron runs it, an invalid TOML file gives a non-zero status and one stderr line."""
        config = tmp_path / "bad.toml"
        config.write_text("[fetch\ntimeout = 3\n", encoding="utf-8")
        result = wirefeed_process("--config", str(config), "ingest", cwd=tmp_path)
        assert_one_line_error(result)
        assert "cannot read config file" in result.err
        assert result.out == ""

    def test_bad_env_value(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A wrongly typed environment override is reported like a bad config file."""
        monkeypatch.setenv("WIREFEED_FETCH__CONCURRENCY", "lots")
        result = wirefeed("ingest")
        assert_one_line_error(result)
        assert "fetch.concurrency" in result.err


class TestStories:
    """wirefeed stories."""

    def test_json(self, ingested: Ingested) -> None:
        """The wire story's three copies form one story with three outlets; the others stand alone."""
        result = wirefeed("--db", ingested.db, "stories", "--json")
        assert result.code == 0
        stories = json.loads(result.out)
        assert sorted(s["size"] for s in stories) == [1, 1, 3]
        (wire,) = [s for s in stories if s["size"] == 3]
        assert {"story_id", "title", "size", "first_published", "original", "members"} <= set(wire)
        assert len({m["url"].split("/")[2] for m in wire["members"]}) == 3
        assert wire["members"][0]["article_id"] == wire["original"]
        assert assert_utc_iso(wire["first_published"]) == datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
        for member in wire["members"]:
            assert_utc_iso(member["fetched"])

    def test_text(self, ingested: Ingested) -> None:
        """The text listing shows each story with its copies, the original starred."""
        result = wirefeed("--db", ingested.db, "stories")
        assert result.code == 0
        assert "3 copies, 3 outlets" in result.out
        assert result.out.count("\n   * ") == 3

    def test_since(self, ingested: Ingested, tmp_path: Path) -> None:
        """--by updated --since 24h leaves out stories last updated three days ago; --since 7d keeps them."""
        db = copy_db(ingested.db, tmp_path / "copy.db")
        with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
            old = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S.%f")
            conn.execute("UPDATE stories SET updated_at = ? WHERE size = 1", (old,))
        recent = json.loads(wirefeed("--db", db, "stories", "--since", "24h", "--by", "updated", "--json").out)
        assert [s["size"] for s in recent] == [3]
        week = json.loads(wirefeed("--db", db, "stories", "--since", "7d", "--by", "updated", "--json").out)
        assert len(week) == 3

    def test_bad_duration(self, db: str) -> None:
        """A duration that does not parse is a usage error (exit 2) that shows an example."""
        result = wirefeed("--db", db, "stories", "--since", "yesterday")
        assert result.code == 2
        assert "not a duration or a date: 'yesterday'" in result.err


class TestExport:
    """wirefeed export."""

    def test_jsonl(self, ingested: Ingested) -> None:
        """JSONL: one record per article with exactly the contract fields; copies share a story_id."""
        result = wirefeed("--db", ingested.db, "export", "--format", "jsonl")
        assert result.code == 0
        records = [json.loads(line) for line in result.out.splitlines()]
        assert len(records) == 5
        assert all(list(r) == EXPORT_FIELDS for r in records)
        assert [r["id"] for r in records] == sorted(r["id"] for r in records)
        by_story: dict[str, list[dict[str, object]]] = {}
        for record in records:
            by_story.setdefault(str(record["story_id"]), []).append(record)
            assert_utc_iso(str(record["fetched"]))
        assert sorted(len(v) for v in by_story.values()) == [1, 1, 3]
        floods = next(r for r in records if str(r["url"]).startswith(ingested.world["alpha"].url("/floods")))
        assert floods["url"] == ingested.world["alpha"].url("/floods.html?utm_source=rss&utm_medium=feed")
        assert floods["canonical_url"] == ingested.world["alpha"].url("/floods.html")
        assert floods["feed_url"] == ingested.feeds["alpha"]
        assert floods["guid"] == "a1"
        assert floods["language"] == "en"
        assert assert_utc_iso(str(floods["published"])) == datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
        assert "Coimbra" in str(floods["text"])
        assert "exported 5 articles" in result.err

    def test_csv(self, ingested: Ingested) -> None:
        """CSV: the contract header, then one row per article."""
        result = wirefeed("--db", ingested.db, "export", "--format", "csv")
        assert result.code == 0
        rows = list(csv.reader(io.StringIO(result.out)))
        assert rows[0] == EXPORT_FIELDS
        assert len(rows) == 6
        assert all(len(row) == len(EXPORT_FIELDS) for row in rows)
        published = {row[EXPORT_FIELDS.index("published")] for row in rows[1:]}
        assert "2026-11-20T06:00:00+00:00" in published

    def test_output_file(self, ingested: Ingested, tmp_path: Path) -> None:
        """-o FILE writes the records to the file, nothing to stdout."""
        target = tmp_path / "articles.jsonl"
        result = wirefeed("--db", ingested.db, "export", "-o", str(target))
        assert result.code == 0
        assert result.out == ""
        assert len(target.read_text(encoding="utf-8").splitlines()) == 5
        assert [p.name for p in tmp_path.iterdir()] == ["articles.jsonl"]  # no partial file left behind

    def test_output_directory_missing(self, ingested: Ingested, tmp_path: Path) -> None:
        """-o into a directory that does not exist is one error line naming that directory."""
        result = wirefeed("--db", ingested.db, "export", "-o", str(tmp_path / "no" / "such" / "out.jsonl"))
        assert_one_line_error(result)
        assert f"{tmp_path / 'no' / 'such'}" in result.err
        assert ".partial" not in result.err

    def test_output_is_a_directory(self, ingested: Ingested, tmp_path: Path) -> None:
        """-o naming a directory is refused before any work, as a usage error (2) like a missing directory."""
        result = wirefeed("--db", ingested.db, "export", "-o", str(tmp_path))
        assert_one_line_error(result)
        assert result.code == 2
        assert "is a directory" in result.err
        missing = wirefeed("--db", ingested.db, "export", "-o", str(tmp_path / "no" / "out.jsonl"))
        assert missing.code == 2
        assert not list(tmp_path.glob(".*.partial"))

    def test_output_file_all_or_nothing(self, tmp_path: Path) -> None:
        """A write that fails midway leaves neither the target nor a partial file behind."""
        target = tmp_path / "out.jsonl"

        def write_then_fail() -> None:
            with output(str(target)) as handle:
                handle.write('{"id": 1}\n')
                raise RuntimeError("disk full")

        with pytest.raises(RuntimeError, match="disk full"):
            write_then_fail()
        assert list(tmp_path.iterdir()) == []

    def test_since(self, ingested: Ingested) -> None:
        """--since keeps only articles fetched within the window: all of them, fetched just now."""
        result = wirefeed("--db", ingested.db, "export", "--since", "1h", "--by", "fetched")
        assert len(result.out.splitlines()) == 5


class TestStats:
    """wirefeed stats."""

    def test_text_and_json(self, ingested: Ingested) -> None:
        """Stats print counts as aligned text, and the same numbers as JSON."""
        text = wirefeed("--db", ingested.db, "stats")
        numbers = json.loads(wirefeed("--db", ingested.db, "stats", "--json").out)
        assert text.code == 0
        lines = dict(line.split(None, 1) for line in text.out.splitlines())
        assert {k: int(v) for k, v in lines.items()} == numbers
        assert numbers["stories"] == 3
        assert numbers["stories_multi_outlet"] == 1

    def test_empty_database(self, db: str) -> None:
        """On a fresh database every count is zero."""
        assert wirefeed("--db", db, "init").code == 0
        numbers = json.loads(wirefeed("--db", db, "stats", "--json").out)
        assert set(numbers.values()) == {0}


class TestExtract:
    """wirefeed extract PATH."""

    def test_json_fields(self) -> None:
        """--json gives the contract fields; the dropped teaser and caption are listed with why."""
        result = wirefeed("extract", str(PAGES / "seed_teaser_flat.html"), "--url", "https://example.org/a",
                          "--json")
        assert result.code == 0
        data = json.loads(result.out)
        assert set(data) >= EXTRACT_FIELDS
        assert data["url"] == "https://example.org/a"
        assert data["title"]
        assert data["text"].startswith("Le président russe Vladimir Poutine")
        assert data["language"] == "fr"
        assert_utc_iso(data["published"])
        assert all(set(block) == {"text", "why"} for block in data["removed"])
        whys = {block["why"] for block in data["removed"]}
        assert {"repeated_teaser", "photo_caption"} <= whys

    def test_plain_text(self, tmp_path: Path) -> None:
        """Without --json the title, a blank line and the body text are printed; chrome is not."""
        path = tmp_path / "page.html"
        path.write_text(page("Covered market to open on Sundays", MARKET), encoding="utf-8")
        result = wirefeed("extract", str(path))
        assert result.code == 0
        assert result.out.startswith("Covered market to open on Sundays\n\n")
        assert MARKET[0] in result.out
        assert "Contact us" not in result.out

    def test_missing_file(self, tmp_path: Path) -> None:
        """A path that does not exist is a one-line error."""
        assert_one_line_error(wirefeed("extract", str(tmp_path / "nope.html")))


class TestDedupe:
    """wirefeed dedupe IN.jsonl -o OUT.jsonl."""

    def write(self, path: Path, rows: list[object]) -> Path:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return path

    def test_clusters(self, tmp_path: Path) -> None:
        """One output line per input, with the contract fields; the two copies share a cluster."""
        source = self.write(tmp_path / "in.jsonl", [
            {"id": "a", "title": "Floods in Coimbra", "text": "\n\n".join(FLOOD),
             "published": "2026-11-20T06:00:00Z"},
            {"id": "b", "title": "Sunday market", "text": "\n\n".join(MARKET)},
            {"id": "c", "title": "Coimbra floods", "text": "\n\n".join(FLOOD[:3]),
             "published": "2026-11-20T07:00:00+00:00", "url": "https://b.example/c"},
        ])
        target = tmp_path / "out.jsonl"
        result = wirefeed("dedupe", str(source), "-o", str(target))
        assert result.code == 0
        assert result.out == ""
        assert result.err.strip() == "3 documents, 2 stories"
        rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
        assert [r["id"] for r in rows] == ["a", "b", "c"]
        assert all(set(r) >= DEDUPE_FIELDS for r in rows)
        by_id = {r["id"]: r for r in rows}
        assert by_id["a"]["cluster"] == by_id["c"]["cluster"] != by_id["b"]["cluster"]
        assert by_id["c"]["duplicate_of"] == "a"
        assert by_id["a"]["duplicate_of"] is None
        assert 0 < by_id["c"]["score"] <= 1

    def test_stdout(self, tmp_path: Path) -> None:
        """Without -o the decisions go to stdout, the summary to stderr."""
        source = self.write(tmp_path / "in.jsonl", [{"id": 1, "text": "\n\n".join(MARKET)}])
        result = wirefeed("dedupe", str(source))
        assert result.code == 0
        (row,) = [json.loads(line) for line in result.out.splitlines()]
        assert row["id"] == "1"
        assert row["duplicate_of"] is None

    @pytest.mark.parametrize(
        ("lines", "message"),
        [
            (['{"id": "a", "text": "x"}', "not json"], "in.jsonl:2: not JSON"),
            (['{"id": "a", "title": "no text"}'], "in.jsonl:1: each line needs at least 'id' and 'text'"),
            (["[1, 2]"], "in.jsonl:1: each line needs"),
            (['{"id": "a", "text": "x"}', '{"id": "a", "text": "y"}'], "in.jsonl:2: duplicate id 'a'"),
            (['{"id": "a", "text": null}'], "in.jsonl:1: 'text' must be a string"),
        ],
        ids=["not-json", "no-text", "not-object", "duplicate-id", "null-text"],
    )
    def test_bad_input_line(self, tmp_path: Path, lines: list[str], message: str) -> None:
        """A bad input line is one error naming the file and line, and no output file is written."""
        source = tmp_path / "in.jsonl"
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        target = tmp_path / "out.jsonl"
        result = wirefeed("dedupe", str(source), "-o", str(target))
        assert_one_line_error(result)
        assert message in result.err
        assert not target.exists()

    def test_not_utf8(self, tmp_path: Path) -> None:
        """A file that is not UTF-8 is one error naming the file."""
        source = tmp_path / "in.jsonl"
        source.write_bytes(b'{"id": "a", "text": "caf\xe9"}\n')
        result = wirefeed("dedupe", str(source))
        assert_one_line_error(result)
        assert "in.jsonl" in result.err


class TestDemo:
    """wirefeed demo."""

    def test_demo(self, db: str) -> None:
        """The demo ingests the bundled world and prints a story carried by three outlets."""
        result = wirefeed("--db", db, "demo")
        assert result.code == 0, result.err
        assert "3 copies, 3 outlets" in result.out
        assert "stored 6 articles" in result.out
        numbers = json.loads(wirefeed("--db", db, "stats", "--json").out)
        assert numbers["stories_multi_outlet"] >= 1
        assert numbers["articles"] == 6


class TestDedupeHostileInput:
    """wirefeed dedupe on lines nobody here wrote: nesting, dates that do not parse, a byte order mark."""

    def write(self, path: Path, lines: list[str]) -> Path:
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return path

    def test_deeply_nested_line(self, tmp_path: Path) -> None:
        """A title of 100,000 `[` is a bad line named by its number, one line on stderr, no traceback."""
        good = json.dumps({"id": "a", "text": "x"})
        source = self.write(tmp_path / "in.jsonl", [good, '{"id": "b", "text": "y", "title": ' + "[" * 100_000])
        result = wirefeed("dedupe", str(source), "-o", str(tmp_path / "out.jsonl"))
        assert_one_line_error(result)
        assert result.code == 1  # unreadable input is a runtime error; 2 is for the command line
        assert "in.jsonl:2: not JSON: nested too deeply" in result.err
        assert "RecursionError" not in result.err

    @pytest.mark.parametrize("published", ["1.5", "2024-001", "last week", "0001-01-01", "9999-12-31T00:00:00Z"])
    def test_unusable_date_leaves_the_record_undated(self, tmp_path: Path, published: str) -> None:
        """An unparseable or implausible `published` is ignored (the copy still joins), counted in the one note."""
        text = "\n\n".join(FLOOD)
        source = self.write(tmp_path / "in.jsonl", [
            json.dumps({"id": "a", "title": "Floods", "text": text, "published": "2026-11-20T06:00:00Z"}),
            json.dumps({"id": "b", "title": "Floods", "text": text, "published": published}),
            json.dumps({"id": "c", "title": "Floods", "text": text, "published": 1.5}),
        ])
        result = wirefeed("dedupe", str(source))
        assert result.code == 0, result.err
        rows = {row["id"]: row for row in map(json.loads, result.out.splitlines())}
        assert (rows["b"]["duplicate_of"], rows["c"]["duplicate_of"]) == ("a", "a")
        notes = [line for line in result.err.splitlines() if "'published'" in line]
        assert len(notes) == 1
        assert notes[0].startswith("2 'published' dates ignored as implausible or unparseable")
        assert "first on line 2" in notes[0]

    def test_byte_order_mark(self, tmp_path: Path) -> None:
        """A file that starts with a UTF-8 byte order mark is read like one without."""
        source = tmp_path / "in.jsonl"
        source.write_text("\ufeff" + json.dumps({"id": "a", "text": "x"}) + "\n", encoding="utf-8")
        result = wirefeed("dedupe", str(source))
        assert result.code == 0, result.err
        assert [json.loads(line)["id"] for line in result.out.splitlines()] == ["a"]


class TestFeedsDisableRemove:
    """`feeds disable` pauses a subscription, `feeds remove` ends it; the articles stay."""

    def test_disable_then_enable(self, db: str, tmp_path: Path) -> None:
        """A disabled feed is listed as disabled by the operator; `feeds enable` resumes it."""
        url = "https://one.example/rss.xml"
        assert wirefeed("--db", db, "feeds", "add", "--no-discover", url).code == 0
        done = wirefeed_process("--db", db, "feeds", "disable", url, cwd=tmp_path)
        assert (done.code, done.out) == (0, f"disabled: {url}\n")
        (row,) = json.loads(wirefeed("--db", db, "feeds", "list", "--json").out)
        assert (row["disabled"], row["disabled_reason"]) == (True, "disabled by the operator")
        assert wirefeed("--db", db, "feeds", "enable", url).code == 0
        (row,) = json.loads(wirefeed("--db", db, "feeds", "list", "--json").out)
        assert row["disabled"] is False

    def test_remove_keeps_the_articles(self, ingested: Ingested, tmp_path: Path) -> None:
        """Removing a feed unsubscribes it; the articles it brought are still exported, without a feed URL."""
        import sqlite3

        copy = tmp_path / "copy.db"  # the module's shared database stays as it is
        with sqlite3.connect(ingested.db.removeprefix("sqlite:///")) as source, sqlite3.connect(copy) as target:
            source.backup(target)
        db = f"sqlite:///{copy}"
        before = [json.loads(line) for line in wirefeed("--db", db, "export").out.splitlines()]
        feed_url = next(iter(ingested.feeds.values()))
        assert [a for a in before if a["feed_url"] == feed_url]
        done = wirefeed_process("--db", db, "feeds", "remove", feed_url, cwd=tmp_path)
        assert done.code == 0, done.err
        listed = [row["url"] for row in json.loads(wirefeed("--db", db, "feeds", "list", "--json").out)]
        assert feed_url not in listed
        after = [json.loads(line) for line in wirefeed("--db", db, "export").out.splitlines()]
        assert len(after) == len(before)
        assert not [a for a in after if a["feed_url"] == feed_url]

    def test_unknown_url_changes_nothing(self, db: str, tmp_path: Path) -> None:
        """A URL that is not subscribed is a usage error (exit 2, one line) and no other URL is touched."""
        url = "https://one.example/rss.xml"
        assert wirefeed("--db", db, "feeds", "add", "--no-discover", url).code == 0
        done = wirefeed_process("--db", db, "feeds", "remove", url, "https://nope.example/rss.xml", cwd=tmp_path)
        assert_one_line_error(done)
        assert done.code == 2
        assert "not subscribed: https://nope.example/rss.xml" in done.err
        assert [row["url"] for row in json.loads(wirefeed("--db", db, "feeds", "list", "--json").out)] == [url]


class TestClosedPipe:
    """A reader that goes away (`wirefeed ... | head`) ends the command quietly."""

    def test_closed_stdout_is_quiet(self, db: str, tmp_path: Path) -> None:
        """With stdout's reader gone, `feeds list` exits 0 with nothing on stderr (it said `[Errno 32]`, exit 1)."""
        assert wirefeed("--db", db, "feeds", "add", "--no-discover", "https://one.example/rss.xml").code == 0
        environ = {k: v for k, v in os.environ.items() if not k.upper().startswith("WIREFEED_")}
        environ["PYTHONPATH"] = str(ROOT)
        proc = subprocess.Popen([sys.executable, "-m", "ingest.cli", "--db", db, "feeds", "list"], cwd=tmp_path,
                                env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None
        proc.stdout.close()  # the reader is gone before the first line is written
        _, err = proc.communicate(timeout=60)
        assert (proc.returncode, err.decode()) == (0, "")

    def test_version(self) -> None:
        """`wirefeed --version` names the program and its version."""
        result = wirefeed("--version")
        assert result.code == 0
        assert result.out.startswith("wirefeed ")
