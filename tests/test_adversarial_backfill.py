"""Adversarial input for `wirefeed backfill`: URL lists, sitemaps and WARC files nobody here wrote."""

from __future__ import annotations

import io
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from ingest.backfill.urllist import parse_url_list
from ingest.cli.app import main
from tests.cli_process import Done


def wirefeed(*args: str) -> Done:
    """Run the CLI in this process, capturing its output."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse: usage errors
            code = int(exc.code or 0)
    return Done(code, out.getvalue(), err.getvalue())


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No WIREFEED_* variable from the shell, and a scratch working directory."""
    for name in list(os.environ):
        if name.upper().startswith("WIREFEED_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


class TestUrlListRecords:
    """JSONL records that are valid JSON but hold what Python or the database cannot take."""

    def test_a_5000_digit_number_is_a_junk_line(self) -> None:
        """A number longer than Python converts is one junk line; the next line is read."""
        parsed = parse_url_list(['{"url": "https://example.org/a", "published": ' + "9" * 5000 + "}\n",
                                 "https://example.org/b\n"])
        assert [e.url for e in parsed.entries] == ["https://example.org/b"]
        assert [(j.line, j.reason) for j in parsed.junk_lines] == [(1, "a number of more than 4,300 digits")]

    def test_lone_surrogates(self) -> None:
        """A lone surrogate in the URL or the feed makes the line junk; in the title it becomes U+FFFD."""
        parsed = parse_url_list([
            '{"url": "https://example.org/a\\ud800"}\n',
            '{"url": "https://example.org/b", "feed": "https://example.org/rss\\udfff"}\n',
            '{"url": "https://example.org/c", "title": "Ferry \\ud800 news"}\n',
        ])
        assert [(e.url, e.title) for e in parsed.entries] == [("https://example.org/c", "Ferry \ufffd news")]
        assert [(j.line, j.reason) for j in parsed.junk_lines] == [
            (1, "a lone surrogate (\\ud800-\\udfff) in a URL"), (2, "a lone surrogate (\\ud800-\\udfff) in a URL")]

    def test_backfill_of_a_hostile_list_finishes(self, tmp_path: Path) -> None:
        """`backfill --urls` over such lines counts them as junk and exits 0 (it was an internal error)."""
        listing = tmp_path / "urls.txt"
        listing.write_text(
            '{"url": "http://127.0.0.1:9/a", "feed": "http://127.0.0.1:9/rss\\ud800"}\n'
            '{"url": "http://127.0.0.1:9/b", "published": ' + "9" * 5000 + "}\n", encoding="utf-8")
        result = wirefeed("--db", f"sqlite:///{tmp_path}/b.db", "backfill", "--urls", str(listing), "--no-progress")
        assert result.code == 0, result.err
        assert "internal" not in result.err
        assert "junk lines 2" in result.out
