"""Adversarial input for `wirefeed dedupe`: ids nobody here wrote, numbers too long to convert, huge texts."""

from __future__ import annotations

import json
import os
import tracemalloc
from pathlib import Path

import pytest

from tests.cli_process import Done, isolate
from tests.cli_process import in_process as wirefeed

TEXT = (
    "The harbour authority said on Monday that the new ferry terminal would open in spring after two years of "
    "building work, and that it expects two million passengers a year to pass through the east quay."
)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No WIREFEED_* variable from the shell, and a scratch working directory."""
    isolate(monkeypatch, tmp_path)


def dedupe(tmp_path: Path, lines: list[str]) -> Done:
    """`wirefeed dedupe` over the lines, in one process, to a file."""
    source = tmp_path / "in.jsonl"
    source.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return wirefeed("dedupe", str(source), "--jobs", "1", "-o", str(tmp_path / "out.jsonl"))


def assert_bad_line(result: Done, where: str, message: str) -> None:
    """One line on stderr naming the file's line and what is wrong with it, exit 1, no internal error."""
    assert result.code == 1, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("wirefeed: error: "), result.err
    assert f"in.jsonl:{where}: " in lines[0]
    assert message in lines[0]
    assert "internal" not in result.err


class TestIds:
    """What an `id` may be: a string or a number, written back as the text it was read as."""

    def test_lone_surrogate_in_an_id_is_a_bad_line(self, tmp_path: Path) -> None:
        """An id holding `\\ud800` (valid JSON, not valid Unicode) names its line instead of an internal error."""
        result = dedupe(tmp_path, [json.dumps({"id": "a", "text": TEXT}), '{"id": "b\\ud800", "text": "x"}'])
        assert_bad_line(result, "2", "'id' holds a lone surrogate")

    @pytest.mark.parametrize(("value", "name"), [("null", "null"), ("true", "a boolean"), ("[1]", "an array"),
                                                 ('{"a": 1}', "an object")])
    def test_id_that_is_no_string_or_number(self, tmp_path: Path, value: str, name: str) -> None:
        """A null, boolean, array or object id is a bad line (it was written back as "None", "True", ...)."""
        result = dedupe(tmp_path, ['{"id": ' + value + ', "text": "x"}'])
        assert_bad_line(result, "1", f"'id' must be a string or a number, not {name}")

    def test_number_ids_are_written_back_as_read(self, tmp_path: Path) -> None:
        """Integer ids come back as their digits; a surrogate in the text alone is harmless."""
        result = dedupe(tmp_path, [json.dumps({"id": 7, "text": TEXT}),
                                   json.dumps({"id": 8, "title": "\ud800", "text": TEXT + " \udfff"})])
        assert result.code == 0, result.err
        rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
        assert [(row["id"], row["duplicate_of"]) for row in rows] == [("7", None), ("8", "7")]


class TestLongNumbers:
    """JSON numbers longer than Python converts to int (4,300 digits by default)."""

    @pytest.mark.parametrize("field", ["id", "published", "title"])
    def test_a_5000_digit_number_is_a_bad_line(self, tmp_path: Path, field: str) -> None:
        """A 5,000-digit integer anywhere in a line names the line, as any unreadable line does."""
        row = {"id": "b", "text": "y"}
        line = json.dumps(row)[:-1] + f', "{field}": ' + "9" * 5000 + "}" if field != "id" else (
            '{"id": ' + "9" * 5000 + ', "text": "y"}')
        result = dedupe(tmp_path, [json.dumps({"id": "a", "text": TEXT}), line])
        assert_bad_line(result, "2", "a number of more than 4,300 digits")


class TestHugeText:
    """A record whose text is megabytes long (a whole dump in one field)."""

    def test_preparing_a_long_text_takes_memory_linear_in_its_size(self) -> None:
        """Preparing a 100,000-word text allocates at most 40 bytes a character at its peak (it took ~100)."""
        from dedupe.cluster import Clusterer
        from dedupe.index import InMemoryIndex
        from dedupe.model import Doc

        text = " ".join(f"w{i % 7919}" for i in range(100_000))
        clusterer = Clusterer(InMemoryIndex())
        tracemalloc.start()
        try:
            clusterer.prepare(Doc(id="x", title="", text=text, url=None, published=None))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 40 * len(text), f"{peak / len(text):.0f} bytes a character"


class TestJobs:
    """`--jobs` far beyond the machine: one worker process per chunk in flight was started."""

    def test_more_than_four_per_cpu_is_refused(self, tmp_path: Path) -> None:
        """--jobs over 4 per CPU is a usage error naming the bound (5000 started 1,300 processes on 2 cores)."""
        most = 4 * (os.cpu_count() or 1)
        source = tmp_path / "in.jsonl"
        source.write_text(json.dumps({"id": "a", "text": TEXT}) + "\n", encoding="utf-8")
        result = wirefeed("dedupe", str(source), "--jobs", str(most + 1), "-o", str(tmp_path / "out.jsonl"))
        assert result.code == 2
        assert result.err.strip() == (f"wirefeed: error: --jobs must be at most {most} (4 per CPU), not {most + 1}; "
                                      "the decisions are the same for every number")
        assert not (tmp_path / "out.jsonl").exists()
        assert wirefeed("dedupe", str(source), "--jobs", str(most), "-o", str(tmp_path / "out.jsonl")).code == 0


class TestByteOrderMarks:
    """Files joined with `cat`: each part's byte order mark lands at the start of a line."""

    def test_a_mark_on_any_line_is_read_past(self, tmp_path: Path) -> None:
        """A UTF-8 byte order mark on a later line (CRLF endings too) is read like one on the first."""
        source = tmp_path / "in.jsonl"
        source.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "a", "text": TEXT}).encode() + b"\r\n"
                           + b"\xef\xbb\xbf" + json.dumps({"id": "b", "text": "other words"}).encode() + b"\r\n")
        result = wirefeed("dedupe", str(source), "--jobs", "1")
        assert result.code == 0, result.err
        assert [json.loads(line)["id"] for line in result.out.splitlines()] == ["a", "b"]
