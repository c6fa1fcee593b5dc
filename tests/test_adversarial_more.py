"""Hostile stored rows, config files, OPML and charsets: each odd value costs its own row or page, never the command.

The database cases write rows with raw SQL, as another program (or a hand at the sqlite3 shell) would:
SQLite keeps whatever it is given, whatever the column's declared type.
"""

from __future__ import annotations

import codecs
import encodings.aliases
import json
import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.feeds.opml import read_opml
from ingest.fetch.charset import decode_html, meta_charset
from tests.cli_process import Done, isolate
from tests.cli_process import in_process as wirefeed

T = "2026-01-01 00:00:00.000000"
READS = (["stories"], ["stories", "--json"], ["stories", "--since", "3650d", "--by", "published"], ["export"],
         ["export", "--format", "csv"], ["stats"], ["stats", "--json"], ["sources", "--since", "3650d"],
         ["sources", "--json", "--since", "3650d"], ["feeds", "list"], ["feeds", "list", "--json"],
         ["feeds", "export"])


def strict_json(text: str) -> object:
    """JSON as any reader takes it: NaN and Infinity are refused."""
    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No WIREFEED_* variable from the shell, and a scratch working directory."""
    isolate(monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with one feed, one poll, and one story of two copies (the second with a copy diff)."""
    path = tmp_path_factory.mktemp("template") / "base.db"
    assert wirefeed("--db", str(path), "init").code == 0
    # Closed before the copies are made: the last connection to close folds the WAL into the file copied.
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("INSERT INTO feeds (id, url, title, error_count, next_fetch_at, disabled, created_at, items_waiting)"
                   " VALUES (1, 'https://a.example/rss', 'A', 0, ?, 0, ?, 0)", (T, T))
        db.execute("INSERT INTO fetch_log (feed_id, started_at, duration_ms, status, outcome, bytes, items_new)"
                   " VALUES (1, ?, 10, 200, 'ok', 5, 1)", (T,))
        db.execute("INSERT INTO stories (id, title, original_article_id, agency, size, first_published, created_at,"
                   " updated_at) VALUES ('s1', 'Story', 1, 'ap', 2, ?, ?, ?)", (T, T, T))
        for n in (1, 2):
            db.execute("INSERT INTO articles (id, canonical_url, url, feed_id, fetched, status, attempts, story_id,"
                       " title, text, published, site) VALUES (?, ?, ?, 1, ?, 'ok', 1, 's1', 'T', 'body', ?,"
                       " 'a.example')", (n, f"https://a.example/{n}", f"https://a.example/{n}", T, T))
        db.execute("INSERT INTO story_members (article_id, story_id, score, relation, seq) VALUES (1, 's1', 1.0,"
                   " 'original', 1)")
        db.execute("INSERT INTO story_members (article_id, story_id, score, relation, seq, duplicate_of, diff) VALUES"
                   " (2, 's1', 0.9, 'copy', 2, 1, ?)", (json.dumps({
                       "headline_rewritten": True, "paragraphs_cut": 1, "paragraphs_added": 0, "added_at": [],
                       "reused": 0.5, "own": 0.1}),))
    return path


@pytest.fixture
def hostile(template: Path, tmp_path: Path) -> Iterator[tuple[str, sqlite3.Connection]]:
    """A copy of the template and a connection to spoil it with (committed before the CLI reads)."""
    path = tmp_path / "hostile.db"
    shutil.copy(template, path)
    db = sqlite3.connect(path, isolation_level=None)
    yield str(path), db
    db.close()


def read_everything(db: str) -> dict[tuple[str, ...], Done]:
    """Every read command against `db`: each must answer (status 0), none with a bug report."""
    results = {}
    for command in READS:
        done = wirefeed("--db", db, *command)
        assert "internal error" not in done.err, (command, done.err[-600:])
        assert done.code == 0, (command, done.err)
        results[tuple(command)] = done
    return results


SPOILS: dict[str, Sequence[tuple[str, tuple[object, ...]]]] = {
    # Bytes bound by another program land as BLOBs: SQLite hands them back as bytes, not str.
    "blobs_in_text_columns": [
        ("UPDATE articles SET url = ?, title = ?, text = ? WHERE id = 2",
         (b"https://a.example/\xff", b"x\xed\xa0\x80", b"\xff")),
        ("UPDATE stories SET title = ?, agency = ?", (b"\xc3", b"\xff")),
        ("UPDATE feeds SET url = ?, title = ?, last_error = ?", (b"https://a.example/\xff", b"\xc0", b"\xfe")),
    ],
    # TEXT that is not UTF-8 (the sqlite3 shell's .import of a Latin-1 file).
    "invalid_utf8_text": [
        ("UPDATE articles SET title = CAST(x'ff' AS TEXT), url = CAST(x'68747470fffe' AS TEXT) WHERE id = 2", ()),
        ("UPDATE stories SET title = CAST(x'c3' AS TEXT)", ()),
        ("UPDATE feeds SET title = CAST(x'c3' AS TEXT)", ()),
    ],
    "dates_no_wirefeed_wrote": [
        ("UPDATE articles SET published = 'yesterday', fetched = 12345 WHERE id = 2", ()),
        ("UPDATE stories SET first_published = 'garbage', updated_at = ''", ()),
        ("UPDATE feeds SET next_fetch_at = 'x', last_fetched_at = 7, failing_since = '9999-12-31 23:00:00-05:00'", ()),
        ("INSERT INTO source_stats (scope, source, bucket, pages) VALUES ('site', 'a.example', 'garbage', 5)", ()),
        ("INSERT INTO source_flags (scope, source, reasons, since) VALUES ('feed', '1', 'x', 'garbage')", ()),
    ],
    "json_columns_not_json": [
        ("UPDATE story_members SET diff = '{not json' WHERE article_id = 2", ()),
        ("UPDATE articles SET removed = '{bad'", ()),
        ("UPDATE feeds SET old_urls = '[1,'", ()),
    ],
    "diff_a_list": [("UPDATE story_members SET diff = '[1, 2]' WHERE article_id = 2", ())],
    "diff_a_string": [("UPDATE story_members SET diff = '\"changed\"' WHERE article_id = 2", ())],
    "diff_fields_of_other_types": [
        ("UPDATE story_members SET diff = ? WHERE article_id = 2", (json.dumps({
            "headline_rewritten": [1], "paragraphs_cut": "many", "paragraphs_added": 2, "added_at": 5,
            "reused": "x", "own": None}),)),
    ],
    "numbers_no_wirefeed_wrote": [
        ("UPDATE story_members SET score = 'abc' WHERE article_id = 2", ()),
        ("INSERT INTO source_stats (scope, source, bucket, pages) VALUES ('feed', 'abc', ?, 5)", (T,)),
    ],
}


class TestHostileRows:
    """Read commands on a database holding values no wirefeed wrote."""

    @pytest.mark.parametrize("spoil", SPOILS.values(), ids=list(SPOILS))
    def test_every_read_command_answers(self, hostile: tuple[str, sqlite3.Connection],
                                        spoil: Sequence[tuple[str, tuple[object, ...]]]) -> None:
        """stories, export, stats, sources and feeds answer with status 0; their JSON is JSON any reader takes."""
        db, conn = hostile
        for statement, values in spoil:
            conn.execute(statement, values)
        results = read_everything(db)
        strict_json(results[("stories", "--json")].out)
        strict_json(results[("feeds", "list", "--json")].out)
        for line in results[("export",)].out.splitlines():
            strict_json(line)
        assert read_opml(results[("feeds", "export")].out.encode()) != []

    def test_other_rows_are_shown_in_full(self, hostile: tuple[str, sqlite3.Connection]) -> None:
        """A copy with an unreadable date and a BLOB title is shown with null and U+FFFD; its neighbour as stored."""
        db, conn = hostile
        conn.execute("UPDATE articles SET published = 'yesterday', title = ? WHERE id = 2", (b"caf\xc3\xa9 \xff",))
        stories = strict_json(wirefeed("--db", db, "stories", "--json").out)
        assert isinstance(stories, list)
        first, second = stories[0]["members"]
        assert first["published"] == "2026-01-01T00:00:00+00:00"
        assert second["published"] is None
        assert second["title"] == "café \ufffd"

    def test_infinite_numbers_are_null_in_json(self, hostile: tuple[str, sqlite3.Connection]) -> None:
        """A score of 1e400 (stored as Infinity) and a diff holding NaN come out as null, not as invalid JSON."""
        db, conn = hostile
        conn.execute("UPDATE story_members SET score = 1e400, diff = '{\"reused\": NaN, \"own\": Infinity}'"
                     " WHERE article_id = 2")
        copy = strict_json(wirefeed("--db", db, "stories", "--json").out)[0]["members"][1]  # type: ignore[index]
        assert copy["score"] is None
        assert copy["diff"] == {"reused": None, "own": None}
        assert "reuses 0%, own 0%" in wirefeed("--db", db, "stories").out

    def test_diff_of_another_shape_shows_what_it_can(self, hostile: tuple[str, sqlite3.Connection]) -> None:
        """Counts that are no numbers are left out, a share that is none shows '?'; the JSON keeps it as stored."""
        db, conn = hostile
        conn.execute("UPDATE story_members SET diff = ? WHERE article_id = 2", (json.dumps(
            {"paragraphs_cut": "many", "paragraphs_added": 2, "added_at": "top", "reused": "x", "own": 0.25}),))
        assert "(2 ¶ added, reuses ?, own 25%)" in wirefeed("--db", db, "stories").out

    @pytest.mark.parametrize("zone", ["America/New_York", "Asia/Tokyo"])
    def test_first_and_last_years_in_any_time_zone(self, hostile: tuple[str, sqlite3.Connection], zone: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
        """Year 1 west of UTC and 9999 east of it have no local time: they are shown in UTC, four-digit years."""
        import time

        db, conn = hostile
        conn.execute("UPDATE articles SET published = '0001-01-01 00:00:00.000000' WHERE id = 1")
        conn.execute("UPDATE articles SET published = '9999-12-31 23:59:59.000000' WHERE id = 2")
        conn.execute("UPDATE feeds SET next_fetch_at = '9999-12-31 23:59:59', failing_since = '0001-01-01 00:00:00'")
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        try:
            stories, feeds = read_everything(db)[("stories",)].out, wirefeed("--db", db, "feeds", "list").out
            since = wirefeed("--db", db, "sources", "--since", "9999-12-31T23:59:59")
        finally:
            monkeypatch.undo()
            time.tzset()
        assert "UTC" in stories + feeds
        assert ("0001-01-01 00:00:00 UTC" in stories) == (zone == "America/New_York")
        assert ("9999-12-31 23:59:59 UTC" in stories) == (zone == "Asia/Tokyo")
        assert since.code == 0, since.err


class TestTerminalOutput:
    """Text for people never carries what a terminal would act on."""

    def test_controls_and_bidi_overrides_are_not_printed(self, hostile: tuple[str, sqlite3.Connection]) -> None:
        """ESC sequences, BEL, line breaks and a right-to-left override from a feed stay off the terminal."""
        db, conn = hostile
        conn.execute("UPDATE stories SET title = ?", ("Title \x1b]0;pwned\x07 end",))
        conn.execute("UPDATE articles SET site_name = ?", ("\u202eevil",))
        conn.execute("UPDATE feeds SET last_error = ?, last_error_kind = 'http_4xx'", ("bad\r\n\x1b[2Jgone",))
        text = wirefeed("--db", db, "stories").out + wirefeed("--db", db, "feeds", "list").out
        assert not {"\x1b", "\x07", "\r", "\u202e"} & set(text)
        assert "Title \ufffd]0;pwned\ufffd end" in text
        assert "bad  \ufffd[2Jgone" in text


class TestFeedsExport:
    """`feeds export` writes an OPML file every reader opens, whatever the stored titles hold."""

    def test_characters_xml_cannot_hold_are_dropped(self, hostile: tuple[str, sqlite3.Connection],
                                                    tmp_path: Path) -> None:
        """A title with NUL, vertical tab and U+FFFE round-trips through `feeds import` without them."""
        db, conn = hostile
        conn.execute("UPDATE feeds SET title = ?", ("A\x00\x01\x0b News\ufffe",))
        exported = wirefeed("--db", db, "feeds", "export")
        assert exported.code == 0
        (tmp_path / "subs.opml").write_text(exported.out, encoding="utf-8")
        other = str(tmp_path / "other.db")
        imported = wirefeed("--db", other, "feeds", "import", str(tmp_path / "subs.opml"))
        assert imported.code == 0, imported.err
        feeds = strict_json(wirefeed("--db", other, "feeds", "list", "--json").out)
        assert [(f["url"], f["title"]) for f in feeds] == [("https://a.example/rss", "A News")]  # type: ignore[index]


class TestFeedURLLength:
    """A feed URL the store cannot keep whole is refused, not kept cut short (and then polled as another URL)."""

    def test_add_refuses_it_and_takes_the_others(self, tmp_path: Path) -> None:
        """Usage error naming the length; the healthy URL beside it is subscribed."""
        db = str(tmp_path / "f.db")
        long = "https://a.example/" + "y" * 3000
        done = wirefeed("--db", db, "feeds", "add", "--no-discover", long, "https://b.example/rss")
        assert done.code == 2
        assert "longer than 2000 characters (3018)" in done.err
        listed = strict_json(wirefeed("--db", db, "feeds", "list", "--json").out)
        assert [f["url"] for f in listed] == ["https://b.example/rss"]  # type: ignore[index]

    def test_import_skips_it(self, tmp_path: Path) -> None:
        """Two outlines differing after character 2,048 are both skipped, not merged into one cut URL."""
        db = str(tmp_path / "f.db")
        outlines = "".join(f'<outline xmlUrl="https://a.example/{"y" * 3000}{n}"/>' for n in range(2))
        (tmp_path / "s.opml").write_text(f'<opml version="2.0"><body>{outlines}'
                                         '<outline xmlUrl="https://b.example/rss"/></body></opml>')
        done = wirefeed("--db", db, "feeds", "import", str(tmp_path / "s.opml"))
        assert done.code == 0
        assert "imported 1 feeds" in done.out
        assert "2 skipped" in done.out


class TestConfigFile:
    """A --config that cannot be read is one line and status 1."""

    def test_a_directory(self, tmp_path: Path) -> None:
        """It says the path is no file (it was 'not found', while it is there)."""
        (tmp_path / "conf.toml").mkdir()
        done = wirefeed("--config", str(tmp_path / "conf.toml"), "--db", str(tmp_path / "x.db"), "stats")
        assert (done.code, done.err.strip()) == (1, f"wirefeed: error: config file is not a file: {tmp_path}/conf.toml")

    @pytest.mark.parametrize("value", ["[" * 50_000 + "]" * 50_000, "{b = " * 5_000 + "1" + "}" * 5_000])
    def test_nested_too_deeply(self, tmp_path: Path, value: str) -> None:
        """tomllib's recursion runs out: a configuration error, not a bug report."""
        (tmp_path / "deep.toml").write_text(f"a = {value}\n")
        done = wirefeed("--config", str(tmp_path / "deep.toml"), "--db", str(tmp_path / "x.db"), "stats")
        assert done.code == 1
        assert done.err.strip() == f"wirefeed: error: cannot read config file {tmp_path}/deep.toml: nested too deeply"


ARTICLE = "".join(
    f"<p>The harbour council voted on Tuesday, in its sitting number {n}, to rebuild the northern quay after the "
    f"winter storms damaged it beyond repair, a decision that closes the fish market for {n + 2} months.</p>"
    for n in range(8))
# Every label Python's codec registry knows, and the codecs that are no text encoding.
LABELS = sorted({*encodings.aliases.aliases, *encodings.aliases.aliases.values(), "hex", "base64", "rot13", "zlib",
                 "bz2", "uu", "quopri", "idna", "punycode", "undefined", "unicode_escape", "raw_unicode_escape",
                 "utf-7", "utf-16", "utf-16le", "utf-32", "x-user-defined"})


def page(label: str) -> bytes:
    return (f'<html><head><meta charset="{label}"><title>Quay</title></head><body><article><h1>Quay</h1>'
            f"{ARTICLE}</article></body></html>").encode("ascii")


class TestDeclaredCharset:
    """A page declaring a charset nobody can read its markup in is read as if it declared none."""

    @settings(max_examples=60, deadline=None)
    @given(label=st.one_of(st.sampled_from(LABELS), st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-:.",
                                                           min_size=1, max_size=20)))
    def test_ascii_markup_survives_any_meta_label(self, label: str) -> None:
        """Whatever the <meta> names, the ASCII page decodes without error and with its markup as written."""
        body = page(label)
        assert "<title>Quay</title>" in decode_html(body)
        codec = meta_charset(body)
        assert codec is None or not codecs.lookup(codec).name.startswith(("utf-16", "utf-32"))

    @settings(max_examples=30, deadline=None)
    @given(label=st.sampled_from(LABELS))
    def test_any_header_label_decodes(self, label: str) -> None:
        """A Content-Type naming any codec (base64, idna) gives text, never an exception."""
        assert isinstance(decode_html(b"<p>caf\xc3\xa9</p>", {"Content-Type": f"text/html; charset={label}"}), str)

    def test_header_utf16_is_still_honoured(self) -> None:
        """A UTF-16 page without a BOM, named by its Content-Type, still decodes (only a <meta> cannot say it)."""
        assert decode_html("<p>héllo</p>".encode("utf-16-le"), {"Content-Type": "text/html; charset=utf-16le"}) == (
            "<p>héllo</p>")

    @pytest.mark.parametrize("label", ["base64", "hex", "utf-16", "utf-32", "cp037"])
    def test_extract_reads_the_article(self, tmp_path: Path, label: str) -> None:
        """`wirefeed extract` of such a page prints its article (it was an internal error or no text)."""
        (tmp_path / "p.html").write_bytes(page(label))
        done = wirefeed("extract", str(tmp_path / "p.html"))
        assert done.code == 0, done.err
        assert "harbour council voted" in done.out
