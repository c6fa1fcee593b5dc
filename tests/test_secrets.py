"""No password from a feed URL or a database URL appears in any output; the feed's credential is still used."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from ingest.cli.app import main
from ingest.errors import ConnectionRefused, FetchTimeout
from ingest.logs import configure_logging
from ingest.urls import mask_url
from store import repo
from store.db import Store
from tests.test_cli import FLOOD
from tests.world import Request, Route, World, page, rss

# trafilatura probes urllib3's optional SOCKS support on import, which warns when PySocks is absent.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.DependencyWarning")

PASSWORD = "Sup3r-s3cret"
USER = "reader"
LOCAL_ENV = {
    "WIREFEED_FETCH__ALLOWED_NETWORKS": '["127.0.0.1/32"]',
    "WIREFEED_FETCH__PER_HOST_DELAY": "0",
    "WIREFEED_FETCH__TIMEOUT": "5",
    "WIREFEED_EXTRACT__WORKERS": "1",
    "WIREFEED_FETCH__OBEY_ROBOTS": "false",
}


def with_credentials(url: str, password: str = PASSWORD) -> str:
    """The same URL with `reader:<password>@` before the host."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{USER}:{password}@{rest}"


def authorised(request: Request) -> bool:
    """Whether the request carries HTTP Basic credentials reader:PASSWORD."""
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return request.headers.get("authorization") == expected


@pytest.fixture
def world() -> Iterator[World]:
    """A site whose feed and article need Basic auth; the feed links to its article with the credentials."""
    with World("site") as w:
        site = w["site"]
        article = with_credentials(site.url("/floods.html"))
        feed = rss("Private wire", [{"title": "Floods", "link": article, "guid": "floods"}]).encode()
        pages = {
            "/feed.xml": (feed, "application/rss+xml"),
            "/floods.html": (page("Floods", FLOOD).encode(), "text/html"),
        }

        def protected(path: str) -> Route:
            def route(request: Request) -> tuple[int, dict[str, str], bytes]:
                if not authorised(request):
                    return 401, {"WWW-Authenticate": 'Basic realm="wire"'}, b"who are you?"
                body, content_type = pages[path]
                return 200, {"Content-Type": content_type}, body

            return route

        site.routes["/feed.xml"] = protected("/feed.xml")
        site.routes["/floods.html"] = protected("/floods.html")
        yield w


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Local servers allowed, no politeness delay, JSON logs."""
    for key, value in LOCAL_ENV.items():
        monkeypatch.setenv(key, value)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run the real CLI with JSON logs; its exit status and everything it wrote to stdout and stderr."""
    code = main(["--log-format", "json", *argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


class TestFeedCredentials:
    """A feed subscribed as http://user:pass@host/feed.xml."""

    def test_credential_used_for_feed_and_article(
        self, world: World, sqlite_url: str, env: None, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The feed and its article are fetched with the URL's Basic credentials, and the article is stored."""
        feed = with_credentials(world["site"].url("/feed.xml"))
        assert run(capsys, "--db", sqlite_url, "feeds", "add", "--no-discover", feed)[0] == 0
        assert run(capsys, "--db", sqlite_url, "ingest", "--all")[0] == 0
        assert world["site"].hits("/feed.xml")
        assert all(authorised(r) for r in world["site"].hits("/feed.xml"))
        assert world["site"].hits("/floods.html")
        assert all(authorised(r) for r in world["site"].hits("/floods.html"))
        store = Store(sqlite_url)
        with store.session() as session:
            stored = repo.feed_by_url(session, feed)
            assert stored is not None
            assert stored.last_status == 200
            assert repo.stats(session)["articles"] == 1
        store.close()

    def test_no_password_in_any_output(
        self, world: World, sqlite_url: str, env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """add, ingest (logs), feeds list (text, JSON), feeds export, export (JSONL, CSV) and stories never show it."""
        feed = with_credentials(world["site"].url("/feed.xml"))
        outputs = []
        for argv in (
            ["feeds", "add", "--no-discover", feed],
            ["-v", "ingest", "--all"],
            ["feeds", "list"],
            ["feeds", "list", "--json"],
            ["feeds", "export"],
            ["export"],
            ["export", "--format", "csv"],
            ["stories"],
            ["stories", "--json"],
            ["feeds", "enable", feed],
        ):
            code, out = run(capsys, "--db", sqlite_url, *argv)
            assert code == 0, (argv, out)
            outputs.append(out)
        everything = "\n".join(outputs)
        assert PASSWORD not in everything
        assert f"{USER}:***@127.0.0.1" in outputs[2]  # the feed is still recognisable
        listed = json.loads(outputs[3])
        assert listed[0]["url"] == mask_url(feed)
        records = [json.loads(line) for line in outputs[5].splitlines() if line.startswith("{")]
        assert records
        assert records[0]["feed_url"] == mask_url(feed)
        assert records[0]["url"].startswith(f"http://{USER}:***@")

    def test_failing_feed_logs_masked(
        self, world: World, sqlite_url: str, env: None, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A wrong password (401) and a refused connection: feed_failed lines and feeds list mask the URL."""
        wrong = with_credentials(world["site"].url("/feed.xml"), password=PASSWORD + "-old")
        dead = with_credentials("http://127.0.0.1:1/feed.xml")
        run(capsys, "--db", sqlite_url, "feeds", "add", "--no-discover", wrong, dead)
        code, out = run(capsys, "--db", sqlite_url, "ingest", "--all")
        assert code == 0
        failed = [json.loads(line) for line in out.splitlines() if '"feed_failed"' in line]
        assert {event["kind"] for event in failed} == {"http_4xx", "refused"}
        _, listed = run(capsys, "--db", sqlite_url, "feeds", "list", "--json")
        assert PASSWORD not in out + listed
        assert {row["error_kind"] for row in json.loads(listed)} == {"http_4xx", "refused"}


class TestDatabaseUrl:
    """A database URL with a password: held as a secret, printed masked in every error."""

    @pytest.mark.parametrize(
        "case",
        [
            (f"mysql://root:{PASSWORD}@127.0.0.1/news", "cannot use database URL 'mysql://root:***@127.0.0.1", 1),
            (f"postgresql+psycopg//root:{PASSWORD}@db/news", "invalid database URL 'postgresql+psycopg//root:***@", 1),
            (f"postgresql://root:{PASSWORD}@db:notaport/news", "port 'notaport' is not a number", 1),
        ],
        ids=["unsupported dialect", "typo", "port not a number"],
    )
    @pytest.mark.parametrize("source", ["flag", "environment", "config file"])
    def test_error_masks_password(
        self, case: tuple[str, str, int], source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """An unusable or malformed URL from --db, WIREFEED_DATABASE__URL or [database] url: one masked line."""
        url, message, status = case
        argv = ["stats"]
        if source == "flag":
            argv = ["--db", url, *argv]
        elif source == "environment":
            monkeypatch.setenv("WIREFEED_DATABASE__URL", url)
        else:
            config = tmp_path / "wirefeed.toml"
            config.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
            argv = ["--config", str(config), *argv]
        code, out = run(capsys, *argv)
        assert code == status
        assert message in out
        assert PASSWORD not in out
        assert len(out.strip().splitlines()) == 1
        assert "invalid literal" not in out

    def test_settings_hold_a_secret(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The settings' repr hides the URL; the store still connects with the real one."""
        from config.settings import load_settings

        monkeypatch.setenv("WIREFEED_DATABASE__URL", f"postgresql://root:{PASSWORD}@db/news")
        settings = load_settings()
        assert PASSWORD not in repr(settings) + str(settings.database)
        assert settings.database.url.get_secret_value().endswith(f":{PASSWORD}@db/news")

    def test_unreachable_server(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A PostgreSQL server that refuses the connection: one line, status 1, no password."""
        code, out = run(capsys, "--db", f"postgresql+psycopg://root:{PASSWORD}@127.0.0.1:1/news", "stats")
        assert code == 1
        assert out.startswith("wirefeed: error: database unreachable")
        assert PASSWORD not in out


class TestLogMasking:
    """The structlog chain masks credentials whatever carries them."""

    @pytest.mark.parametrize("fmt", ["json", "console"])
    def test_values_errors_and_tracebacks(self, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
        """A url value, an error string, a nested list, an exception object and a traceback are all masked."""
        configure_logging(fmt)
        url = with_credentials("http://127.0.0.1:8080/feed.xml")
        log = structlog.get_logger("test")
        log.warning("feed_failed", url=url, error=f"cannot fetch {url}", urls=[url], exc=ValueError(url))
        try:
            raise ConnectionRefused(url, f"connection to {url} refused")
        except ConnectionRefused:
            log.exception("page_failed")
        err = capsys.readouterr().err
        assert PASSWORD not in err
        assert err.count(f"{USER}:***@127.0.0.1:8080") >= 4

    def test_apscheduler_record_is_one_line(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A stdlib record from APScheduler with a traceback becomes one JSON line with the traceback as a field."""
        import logging

        configure_logging("json")
        try:
            raise RuntimeError(with_credentials("http://db.example/x"))
        except RuntimeError:
            logging.getLogger("apscheduler.executors.default").exception("Job %r raised an exception", "health")
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1
        event = json.loads(lines[0])
        assert event["event"] == "library_log"
        assert "RuntimeError" in event["traceback"]
        assert PASSWORD not in lines[0]


class TestErrorStrings:
    """An error's message does not repeat its kind."""

    def test_kind_not_in_message(self) -> None:
        """str() of a timeout is the message alone; the kind is its own attribute."""
        error = FetchTimeout("http://example.org/feed.xml", "no complete answer within 10s")
        assert str(error) == "no complete answer within 10s"
        assert error.kind == "timeout"

    def test_message_without_detail_masks_url(self) -> None:
        """Without a detail the message names the URL, password masked; exc.url keeps it for the request."""
        url = with_credentials("http://example.org/feed.xml")
        error = ConnectionRefused(url)
        assert str(error) == f"cannot fetch http://{USER}:***@example.org/feed.xml"
        assert error.url == url

    def test_cli_prints_kind_once(self, tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]) -> None:
        """`wirefeed extract` of a URL nothing answers: `refused: ...` once, on one line."""
        code, out = run(capsys, "--db", f"sqlite:///{tmp_path}/x.db", "extract", "http://127.0.0.1:1/a.html")
        assert code == 1
        assert out.strip().splitlines() == [out.strip()]
        assert "refused: refused" not in out
        assert out.startswith("wirefeed: error: refused: ")



SPACED = "Sup3r s3cret"  # a password with a space: httpx requests it as given
TOKEN = "tok3nA1b2C3d4"  # an access token as the URL's lone user name


class TestCredentialShapes:
    """Credentials in every shape a feed URL can carry, through the real CLI: never in any output."""

    @staticmethod
    def outputs(capsys: pytest.CaptureFixture[str], db: str, *commands: list[str]) -> list[str]:
        """Each command's exit status checked, its stdout and stderr together."""
        found = []
        for argv in commands:
            code, out = run(capsys, "--db", db, *argv)
            assert code == 0, (argv, out)
            found.append(out)
        return found

    def test_relative_guid_and_link_resolve_without_credentials(
        self, sqlite_url: str, env: None, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A relative GUID and link resolve against the feed URL without its userinfo; a GUID written with a
        password in the feed itself is exported masked."""
        with World("site") as w:
            site = w["site"]
            feed_body = (
                b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>/</link>'
                b"<item><title>Floods</title><link>floods.html</link><guid>story-1</guid></item>"
                b"<item><title>Rain</title><link>rain.html</link><guid>http://%s@wire.example/story-2</guid></item>"
                b"</channel></rss>"
            ) % f"{USER}:{PASSWORD}".encode()
            site.routes["/feed.xml"] = lambda request: (
                (200, {"Content-Type": "application/rss+xml"}, feed_body) if authorised(request)
                else (401, {}, b"who are you?")
            )
            site.static("/floods.html", page("Floods", FLOOD))
            site.static("/rain.html", page("Rain", FLOOD[::-1]))
            feed = with_credentials(site.url("/feed.xml"))
            outputs = self.outputs(
                capsys, sqlite_url, ["feeds", "add", "--no-discover", feed], ["-v", "ingest", "--all"],
                ["export"], ["export", "--format", "csv"], ["stories", "--json"], ["feeds", "list", "--json"],
            )
            assert all(authorised(r) for r in site.hits("/feed.xml"))
            assert not any(authorised(r) for r in site.hits("/floods.html"))  # the credential stays on the feed
        assert PASSWORD not in "\n".join(outputs)
        records = [json.loads(line) for line in outputs[2].splitlines() if line.startswith("{")]
        assert sorted((r["guid"], r["url"]) for r in records) == [
            (site.url("/story-1"), site.url("/floods.html")),
            (f"http://{USER}:***@wire.example/story-2", site.url("/rain.html")),
        ]
        assert records[0]["feed_url"] == f"http://{USER}:***@{site.url('/feed.xml').split('://')[1]}"
        store = Store(sqlite_url)
        with store.session() as session:
            stored = repo.export_rows(session, None)
            assert site.url("/story-1") in [row["guid"] for row in stored]  # stored without credentials too
        store.close()

    def test_spaced_password_and_token_user(
        self, sqlite_url: str, env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`user:pass word@` and a lone `token@`: masked in feeds add, feed_failed, feed_items_waiting, lists, OPML."""
        monkeypatch.setenv("WIREFEED_FETCH__MAX_ARTICLES_PER_FEED", "1")
        with World("site") as w:
            site = w["site"]
            site.routes["/fail.xml"] = lambda request: (500, {}, b"")
            items = [{"title": f"Floods {i}", "link": site.url(f"/floods-{i}.html"), "guid": f"f{i}"} for i in range(3)]
            site.static("/big.xml", rss("Wire", items), "application/rss+xml")
            for i in range(3):
                site.static(f"/floods-{i}.html", page(f"Floods {i}", FLOOD))
            spaced = with_credentials(site.url("/fail.xml"), password=SPACED)
            token = site.url("/big.xml").replace("http://", f"http://{TOKEN}@")
            outputs = self.outputs(
                capsys, sqlite_url, ["feeds", "add", "--no-discover", spaced, token], ["-v", "ingest", "--all"],
                ["feeds", "list"], ["feeds", "list", "--json"], ["feeds", "export"],
                ["export"], ["export", "--format", "csv"], ["stories", "--json"],
            )
            assert site.hits("/fail.xml")
            assert site.hits("/big.xml")
        everything = "\n".join(outputs)
        assert "s3cret" not in everything
        assert TOKEN not in everything
        events = [json.loads(line) for line in outputs[1].splitlines() if line.startswith("{")]
        failed = [e for e in events if e["event"] == "feed_failed"]
        waiting = [e for e in events if e["event"] == "feed_items_waiting"]
        assert [e["url"] for e in failed] == [f"http://{USER}:***@{site.url('/fail.xml').split('://')[1]}"]
        assert [e["url"] for e in waiting] == [f"http://***@{site.url('/big.xml').split('://')[1]}"]
        assert "***@127.0.0.1" in outputs[2]  # the feeds are still recognisable
        assert 'xmlUrl="http://***@127.0.0.1' in outputs[4]
