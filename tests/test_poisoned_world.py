"""A local world with one poisoned unit of each kind beside healthy feeds: nothing costs anything but itself."""

from __future__ import annotations

import base64
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from ingest.cli.app import main
from store.db import Store
from store.models import Article, Feed, FeedItem
from tests.test_pipeline import WIRE
from tests.world import Outlet, Request, Route, World, json_events, page, rss

# trafilatura probes urllib3's optional SOCKS support on import, which warns when PySocks is absent.
pytestmark = [pytest.mark.filterwarnings("ignore::urllib3.exceptions.DependencyWarning"), pytest.mark.slow]

ROOT = Path(__file__).parents[1]
RSS = "application/rss+xml"
USER, PASSWORD = "reader", "Poison-pa55word"
BAD_LINK = "http://example.c[o.test/x"
CAP = 10  # [fetch] max_articles_per_feed in this world
BIG = 10_000

JAPANESE = [
    "京都市は二日、市内を走る路線バスの運賃を来年四月から引き上げると発表した。燃料費と人件費の高騰が続き、"
    "現在の運賃では路線網を維持できないと判断した。値上げは消費税率の変更に伴う改定を除けば約三十年ぶりとなる。",
    "市交通局によると、大人の均一運賃は現在の二百三十円から二百六十円に、子どもは百二十円から百三十円になる。"
    "一日乗車券も七百円から八百円に改める。通勤定期券の割引率は据え置き、通学定期券は現行の価格を維持する。",
    "市バスの利用者は新型コロナウイルス禍で大きく落ち込み、観光客の回復で持ち直したものの、運転士不足が深刻で、"
    "一部の路線では昨年から減便が続いている。交通局は値上げによる増収分を運転士の待遇改善に充てる方針だ。",
    "一方、観光客の増加で混雑が激しい路線では、市民が乗車できない状況も生じている。市は観光客向けの一日券の"
    "販売を終了し、地下鉄との乗り継ぎを促すなど、混雑の緩和策も合わせて進めるとしている。",
    "市議会の委員会では、値上げはやむを得ないとする意見が出た一方、高齢者や子育て世帯の負担が増えるとして、"
    "敬老乗車証の見直しや低所得世帯への支援を求める声も相次いだ。市は年内に詳しい制度案を示すとしている。",
    "交通局の担当者は「路線を守るための苦渋の決断だ。利用者の皆さまに理解していただけるよう、運行の安定と"
    "サービスの向上に努めたい」と話した。改定案は来年二月の市議会に提案され、可決されれば四月に実施される。",
]
VOCABULARY = " ".join([
    "council harbour budget river tramway library orchestra bridge vineyard market stadium ferry museum school "
    "hospital station mayor residents committee engineers workers farmers teachers nurses drivers students "
    "announced reported approved rejected delayed opened closed repaired expanded reviewed funded measured "
    "on Monday Tuesday Wednesday Thursday Friday after before during despite because while although since "
    "the new old local regional national northern southern eastern western small large public private rural "
    "plan project report survey contract agreement dispute storm flood drought harvest festival election "
    "road tunnel airport port canal dam forest park coast valley island village town city district province "
    "cost price wage rent tax fee grant loan deficit surplus share rate level number figure total average "
    "said told asked warned promised expected planned decided agreed argued insisted claimed suggested noted"
]).split()


def soup(seed: int, paragraphs: int = 4) -> list[str]:
    """Paragraphs of their own (no two seeds make texts that look alike)."""
    rng = random.Random(seed)
    return [
        " ".join(
            " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(10, 16))).capitalize() + "."
            for _ in range(3)
        )
        for _ in range(paragraphs)
    ]


def ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


def with_credentials(url: str, password: str = PASSWORD) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{USER}:{password}@{rest}"


def basic_auth(route: Route) -> Route:
    """The route, for requests carrying reader:PASSWORD only."""
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    def wrapped(request: Request) -> tuple[int, dict[str, str], bytes]:
        if request.headers.get("authorization") != expected:
            return 401, {"WWW-Authenticate": 'Basic realm="wire"'}, b"who are you?"
        return route(request)

    return wrapped


class Poisoned:
    """The world's outlets and what the test expects of each unit."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.healthy: list[str] = []  # healthy article URLs
        self.wire: list[str] = []  # the one wire story's three copies
        self.items: dict[str, list[dict[str, str]]] = {}  # feed path -> items
        alpha, beta, gamma = world["alpha"], world["beta"], world["gamma"]
        for n, outlet in enumerate((alpha, beta, gamma)):
            for k in range(7):
                path = f"/news/{outlet.name}-{k}.html"
                outlet.static(path, page(f"{outlet.name.title()} report {k}", soup(100 * n + k)))
                self.healthy.append(outlet.url(path))
                self.add_item(outlet, "/rss.xml", path, hours=30 - k - n)
        alpha.static("/glaciers.html", page("Swiss glaciers suffer second-worst melt on record", WIRE))
        beta.static("/alps-ice.html", page("Alps lose 4% of glacier ice in a year", WIRE[:3]))
        gamma.static("/glaciers-suisses.html", page(
            "Glaciers: the Alps melt again", [*WIRE, "Read more: Why glaciers matter for Europe's rivers"]))
        self.wire = [alpha.url("/glaciers.html"), beta.url("/alps-ice.html"), gamma.url("/glaciers-suisses.html")]
        self.healthy += self.wire
        self.add_item(alpha, "/rss.xml", "/glaciers.html", hours=6)
        self.add_item(beta, "/rss.xml", "/alps-ice.html", hours=5)
        # Item 1: a page whose date meta says the year 1; its feed item has a plausible date.
        ancient = page("Harbour dredging to resume", soup(900), extra="")
        ancient = ancient.replace(
            "<head>", '<head><meta property="article:published_time" content="0001-01-01T00:00:00Z">'
                      '<meta name="date" content="0001-01-01">')
        alpha.static("/ancient.html", ancient)
        self.ancient = alpha.url("/ancient.html")
        self.ancient_item_date = ago(4)
        self.add_item(alpha, "/rss.xml", "/ancient.html", published=self.ancient_item_date)
        # Item 2: a feed item dated 9999 (its page has no date), before the wire story's last copy arrives.
        beta.static("/future.html", page("Tunnel contract signed", soup(901)))
        self.future = beta.url("/future.html")
        self.add_item(beta, "/rss.xml", "/future.html", published="9999-12-31T23:59:59+00:00")
        # Item 3: an item link that is no URL.
        self.items["gamma/rss.xml"].append({"title": "Broken", "link": BAD_LINK, "guid": "broken"})
        # Item 4: a Japanese article.
        gamma.static("/ja/kyoto-bus.html", page("京都市バス、来年4月から運賃値上げ", JAPANESE, lang="ja"))
        self.japanese = gamma.url("/ja/kyoto-bus.html")
        self.add_item(gamma, "/rss.xml", "/ja/kyoto-bus.html", hours=3)
        # Item 6: a feed subscribed with a password (right, and a stale one).
        private = world["private"]
        private.static("/secret.html", page("Private wire: port strike ends", soup(902)))
        private.routes["/secret.html"] = basic_auth(private.routes["/secret.html"])
        self.secret = with_credentials(private.url("/secret.html"))
        private.static("/feed.xml", rss("Private", [
            {"title": "Strike", "link": self.secret, "guid": "strike", "published": ago(2)}]), RSS)
        private.routes["/feed.xml"] = basic_auth(private.routes["/feed.xml"])
        self.private_feed = with_credentials(private.url("/feed.xml"))
        self.stale_feed = with_credentials(private.url("/feed.xml"), PASSWORD + "-old")
        # Item 10: a feed of 10,000 items.
        big = world["big"]
        for i in range(6 * CAP):
            big.static(f"/n/{i}.html", page(f"Bulletin {i}", soup(1000 + i)))
        big.static("/feed.xml", rss("Big", [
            {"title": f"Bulletin {i}", "link": big.url(f"/n/{i}.html"), "guid": f"n{i}"} for i in range(BIG)]), RSS)
        self.big_feed = big.url("/feed.xml")
        self.serve_feeds()

    def add_item(self, outlet: Outlet, feed: str, path: str, *, hours: float = 1, published: str = "") -> None:
        self.items.setdefault(f"{outlet.name}{feed}", []).append(
            {"title": path, "link": outlet.url(path), "guid": path, "published": published or ago(hours)})

    def serve_feeds(self) -> None:
        for key, entries in self.items.items():
            name, _, path = key.partition("/")
            self.world[name].static(f"/{path}", rss(name.title(), entries), RSS)

    @property
    def feeds(self) -> list[str]:
        return [self.world[n].url("/rss.xml") for n in ("alpha", "beta", "gamma")] + [
            self.private_feed, self.stale_feed, self.big_feed]


@pytest.fixture
def world() -> Iterator[World]:
    with World("alpha", "beta", "gamma", "private", "big") as w:
        yield w


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """Local servers allowed, short intervals and ticks, at most CAP items a poll, JSON logs."""
    path = tmp_path / "wirefeed.toml"
    path.write_text(
        '[fetch]\nallowed_networks = ["127.0.0.0/8"]\nper_host_delay = 0\ntimeout = 10\nobey_robots = false\n'
        f"max_articles_per_feed = {CAP}\n"
        "[schedule]\ntick = 1\ndefault_interval = 10\nmin_interval = 10\nmax_interval = 60\nshutdown_grace = 20\n"
        "[extract]\nworkers = 1\n"
        '[log]\nformat = "json"\n'
    )
    return path


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def articles(url: str) -> dict[str, Article]:
    store = Store(url)
    try:
        with store.session() as session:
            return {a.url: a for a in session.scalars(select(Article))}
    finally:
        store.close()


def feed_rows(url: str) -> dict[str, Feed]:
    store = Store(url)
    try:
        with store.session() as session:
            return {f.url: f for f in session.scalars(select(Feed))}
    finally:
        store.close()


def guids(url: str) -> set[str]:
    store = Store(url)
    try:
        with store.session() as session:
            return set(session.scalars(select(FeedItem.guid)))
    finally:
        store.close()


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def hits(world: World, url: str) -> int:
    """How many requests the outlet serving this URL got for its path."""
    parts = urlsplit(url)
    for outlet in world.outlets.values():
        assert outlet.server is not None
        if parts.port == outlet.server.server_address[1]:
            return len(outlet.hits(parts.path))
    raise AssertionError(f"no outlet serves {url}")


class TestPoisonedWorld:
    """Two `wirefeed ingest` passes, then `wirefeed run`, over healthy feeds and one poisoned unit of each kind."""

    def test_poison_costs_only_itself(
        self, db_url: str, world: World, config: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Both passes exit 0; healthy articles stored once, the wire story in one story; poison recorded."""
        w = Poisoned(world)
        outputs = []
        base = ["--config", str(config), "--db", db_url]
        code, out = cli(capsys, *base, "feeds", "add", "--no-discover", *w.feeds)
        assert code == 0, out
        outputs.append(out)
        started = datetime.now(UTC)
        code, out = cli(capsys, *base, "-v", "ingest")
        assert code == 0, out[-3000:]
        outputs.append(out)
        # The wire story's third copy appears after the 9999-dated item was stored.
        w.add_item(world["gamma"], "/rss.xml", "/glaciers-suisses.html", hours=1)
        w.serve_feeds()
        code, out = cli(capsys, *base, "-v", "ingest", "--all")
        assert code == 0, out[-3000:]
        outputs.append(out)
        stored = articles(db_url)
        # Every healthy article stored once (one request each over both passes), the wire copies in one story.
        assert {u: (stored[u].status, hits(world, u)) for u in w.healthy} == dict.fromkeys(w.healthy, ("ok", 1))
        assert len({stored[u].story_id for u in w.wire}) == 1
        assert len({stored[u].story_id for u in w.healthy}) == len(w.healthy) - 2
        # 1: the year-1 page is stored with its feed item's date.
        ancient = stored[w.ancient]
        assert ancient.status == "ok"
        assert ancient.published is not None
        expected = datetime.fromisoformat(w.ancient_item_date)
        assert abs(aware(ancient.published) - expected) < timedelta(seconds=1)
        # 2: the 9999 item is stored without its date (its story is dated by the time it was fetched).
        future = stored[w.future]
        assert future.status == "ok"
        assert future.published is None or started <= aware(future.published) <= datetime.now(UTC)
        # 3: the link that is no URL costs its item alone (the feed parser reads it as no link: nothing to
        # fetch); its feed is healthy and its other items are stored (above).
        rows = feed_rows(db_url)
        gamma_feed = rows[world["gamma"].url("/rss.xml")]
        assert (gamma_feed.last_status, gamma_feed.last_error_kind) == (200, None)
        assert not [a for a in stored.values() if "example.c" in a.url]
        assert "broken" in guids(db_url)  # recorded once, without an article, so it is not looked at again
        assert [e["guids"] for e in json_events(outputs[1]) if e["event"] == "items_without_link"] == [["broken"]]
        # 4: the Japanese article is an article.
        assert stored[w.japanese].status == "ok"
        assert len(stored[w.japanese].text or "") > 300
        # 6: the password is used (article stored), and a stale one recorded as refused; never shown.
        assert stored[w.secret].status == "ok"
        assert (rows[w.private_feed].last_status, rows[w.private_feed].last_error_kind) == (304, None)
        assert rows[w.stale_feed].last_error_kind == "http_4xx"
        assert PASSWORD not in (rows[w.stale_feed].last_error or "")
        # 10: the 10,000-item feed gave CAP items a pass; the rest wait, said on its row.
        assert rows[w.big_feed].items_waiting == BIG - 2 * CAP
        assert rows[w.big_feed].body_hash is None
        assert len({g for g in guids(db_url) if g.startswith("n")}) == 2 * CAP
        events = json_events("\n".join(outputs))
        assert [e["waiting"] for e in events if e["event"] == "feed_items_waiting"] == [BIG - CAP, BIG - 2 * CAP]
        assert not [e for e in events if e["event"] == "internal_error"]
        for argv in (["feeds", "list"], ["export"]):
            code, out = cli(capsys, *base, *argv)
            assert code == 0
            outputs.append(out)
        assert PASSWORD not in "\n".join(outputs)

        # `wirefeed run` keeps ingesting: a healthy feed gains an item, and the big feed is still consumed.
        world["alpha"].static("/later.html", page("Late report", soup(903)))
        w.add_item(world["alpha"], "/rss.xml", "/later.html", hours=0.1)
        w.serve_feeds()
        daemon = _daemon(config, db_url)
        try:
            deadline = time.monotonic() + 90
            later = world["alpha"].url("/later.html")
            while time.monotonic() < deadline:
                now = articles(db_url)
                waiting = feed_rows(db_url)[w.big_feed].items_waiting
                if later in now and now[later].status == "ok" and waiting < BIG - 2 * CAP:
                    break
                if daemon.poll() is not None:
                    break
                time.sleep(0.5)
            assert daemon.poll() is None, "the daemon stopped by itself"
            daemon.send_signal(signal.SIGTERM)
            out_b, _ = daemon.communicate(timeout=60)
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.communicate()
        out_text = out_b.decode(errors="replace")
        assert daemon.returncode == 0, out_text[-3000:]
        assert articles(db_url)[later].status == "ok"
        assert feed_rows(db_url)[w.big_feed].items_waiting < BIG - 2 * CAP
        daemon_events = [e["event"] for e in json_events(out_text)]
        assert "daemon_stopped" in daemon_events
        assert "pass_failed" not in daemon_events
        assert PASSWORD not in out_text
        assert hits(world, later) == 1


def _daemon(config: Path, db_url: str) -> subprocess.Popen[bytes]:
    env: dict[str, Any] = dict(os.environ)
    env["WIREFEED_SCHEDULE__TICK"] = "1"
    url = make_url(db_url).render_as_string(hide_password=False)
    return subprocess.Popen([sys.executable, "-m", "ingest.cli", "--config", str(config), "--db", url, "run"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
