"""`wirefeed dedupe` streams its input through worker processes and decides exactly as `cluster_docs` does.

The corpus is generated here (seeded): stories of a few paragraphs, copies with trimmed, reworded or
footed text, a re-run four months later and unrelated stories, a few hundred lines in all, so the input is
cut into many chunks and the workers' results are put back in file order.
"""

from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dedupe.cluster import cluster_docs
from dedupe.model import Doc
from ingest import dates
from tests.cli_process import in_process

SUBJECTS = ["The minister", "Police", "The council", "Firefighters", "The company", "Scientists", "Officials",
            "The mayor", "Residents", "The court", "Doctors", "The union"]
VERBS = ["said on", "announced on", "warned on", "confirmed on", "denied on", "reported on"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
OBJECTS = ["that the bridge would stay closed", "that talks had failed", "a new plan for the harbour",
           "that prices would rise again", "the results of the inquiry", "that the vote was postponed",
           "a rescue operation near the river", "that the school would reopen", "a deal with the lenders",
           "the arrest of two suspects", "that the drought was over", "a record harvest in the valley"]
PLACES = ["Coimbra", "Lyon", "Graz", "Leeds", "Porto", "Turin", "Ghent", "Bergen", "Malmo", "Split"]
NAMES = ["Anna Berg", "Luis Ortega", "Mei Chen", "Omar Haddad", "Julia Novak", "Tom Reilly", "Ines Costa"]
FOOTER = ("Subscribe to our newsletter for the day's top stories. All rights reserved. This material may not "
          "be published, broadcast, rewritten or redistributed.")
FIELDS = ("id", "cluster", "duplicate_of", "score", "relation", "diff")
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def sentence(rng: random.Random) -> str:
    """One news sentence with a place, a name and a figure of its own."""
    return (f"{rng.choice(SUBJECTS)} in {rng.choice(PLACES)} {rng.choice(VERBS)} {rng.choice(DAYS)} "
            f"{rng.choice(OBJECTS)}, {rng.choice(NAMES)} told reporters, adding that {rng.randint(2, 9999):,} "
            f"people were affected.")


def story(rng: random.Random) -> list[str]:
    """Paragraphs of an original story."""
    return [" ".join(sentence(rng) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(4, 9))]


def copy_of(paragraphs: list[str], rng: random.Random) -> str:
    """A republished copy: trimmed, a word changed, a footer, or the same text."""
    body = list(paragraphs)
    edit = rng.choice(["trim", "word", "footer", "same", "caption"])
    if edit == "trim":
        body = body[: max(2, len(body) - rng.randint(1, 3))]
    elif edit == "word":
        body[-1] = body[-1].replace(" the ", " a ", 1)
    elif edit == "footer":
        body.append(FOOTER)
    elif edit == "caption":
        body.insert(0, f"{rng.choice(NAMES)} speaks in {rng.choice(PLACES)}. (Photo: AFP)")
    return "\n\n".join(body)


def corpus(seed: int, stories: int) -> list[dict[str, object]]:
    """Rows of a JSONL corpus in publication order: originals, copies and a late re-run."""
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    moment = START
    first: list[str] | None = None
    for number in range(stories):
        paragraphs = story(rng)
        first = first or paragraphs
        moment += timedelta(minutes=rng.randint(5, 90))
        rows.append({"id": f"s{number}", "title": paragraphs[0][:60], "text": "\n\n".join(paragraphs),
                     "published": moment.isoformat(), "url": f"https://agency.example/{number}"})
        for copy in range(rng.choice([0, 1, 1, 2, 3])):
            rows.append({"id": f"s{number}c{copy}", "title": f"Copy {copy}: {paragraphs[0][:40]}",
                         "text": copy_of(paragraphs, rng),
                         "published": (moment + timedelta(hours=rng.uniform(0.1, 20))).isoformat()})
    assert first is not None
    rows.append({"id": "rerun", "title": "From the archive", "text": "\n\n".join(first),
                 "published": (START + timedelta(days=120)).isoformat()})
    return rows


def write(path: Path, rows: list[dict[str, object]]) -> Path:
    """Write rows as JSON lines."""
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def dedupe(*args: str) -> tuple[int, str, str]:
    """Run `wirefeed dedupe` in this process: status, stdout, stderr."""
    done = in_process("dedupe", *args)
    return done.code, done.out, done.err


def decisions(path: Path) -> list[dict[str, object]]:
    """The output records of a run."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus of some 300 lines (about 25 chunks)."""
    return write(tmp_path_factory.mktemp("corpus") / "in.jsonl", corpus(seed=5, stories=120))


class TestSameDecisions:
    """Worker processes change nothing: every N gives the decisions of cluster_docs."""

    @pytest.mark.slow
    def test_jobs_agree_with_cluster_docs(self, source: Path, tmp_path: Path) -> None:
        """--jobs 1, 2 and 3 write identical files, equal to cluster_docs on the same documents."""
        outputs = []
        for jobs in ("1", "2", "3"):
            target = tmp_path / f"out{jobs}.jsonl"
            code, _, err = dedupe(str(source), "-o", str(target), "--jobs", jobs)
            assert code == 0, err
            outputs.append(target.read_bytes())
        assert outputs[0] == outputs[1] == outputs[2]
        rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
        docs = [Doc(str(r["id"]), str(r["title"]), str(r["text"]), r.get("url"),  # type: ignore[arg-type]
                    dates.parse_datetime(str(r["published"]))) for r in rows]
        expected = [
            {"id": d.id, "cluster": d.cluster, "duplicate_of": d.duplicate_of, "score": round(d.score, 4),
             "relation": d.relation, "diff": d.diff.as_dict() if d.diff is not None else None}
            for d in cluster_docs(docs, threshold=0.6, window_days=3)
        ]
        got = decisions(tmp_path / "out2.jsonl")
        assert got == expected
        assert sum(1 for r in got if r["duplicate_of"] is not None) > 50  # the copies were found

    def test_record_fields(self, source: Path, tmp_path: Path) -> None:
        """Each record has the contract fields; a copy carries its diff, an original null; the re-run is one."""
        target = tmp_path / "out.jsonl"
        code, _, err = dedupe(str(source), "-o", str(target), "--jobs", "2")
        assert code == 0, err
        got = decisions(target)
        assert all(tuple(r) == FIELDS for r in got)
        assert all(r["diff"] is None for r in got if r["duplicate_of"] is None)
        copies = [r for r in got if r["duplicate_of"] is not None and r["relation"] != "exact"]
        assert copies
        assert all(isinstance(r["diff"], dict) and "reused" in r["diff"] for r in copies)
        (rerun,) = [r for r in got if r["id"] == "rerun"]
        assert (rerun["relation"], rerun["duplicate_of"]) == ("rerun", "s0")
        assert err.splitlines() == [f"{len(got)} documents, {len({r['cluster'] for r in got})} stories"]


    def test_beside_other_threads(self, source: Path, tmp_path: Path) -> None:
        """With another thread alive (a host application) the workers start without forking it: same output."""
        stop = threading.Event()
        other = threading.Thread(target=stop.wait, daemon=True)
        other.start()
        try:
            code, _, err = dedupe(str(source), "-o", str(tmp_path / "threads.jsonl"), "--jobs", "2")
        finally:
            stop.set()
            other.join()
        assert code == 0, err
        code, _, err = dedupe(str(source), "-o", str(tmp_path / "alone.jsonl"), "--jobs", "1")
        assert code == 0, err
        assert (tmp_path / "threads.jsonl").read_bytes() == (tmp_path / "alone.jsonl").read_bytes()


class TestBadLinesAcrossChunks:
    """A bad line far into the file is named by its own number, whichever worker read it."""

    @pytest.mark.parametrize("jobs", ["1", "2"])
    @pytest.mark.parametrize(
        ("bad", "message"),
        [
            ("not json", "not JSON"),
            ('{"id": "x"}', "each line needs at least 'id' and 'text'"),
            ('{"id": "s3", "text": "a copy of an id seen long before"}', "duplicate id 's3'"),
        ],
        ids=["not-json", "no-text", "duplicate-id"],
    )
    def test_bad_line(self, tmp_path: Path, jobs: str, bad: str, message: str) -> None:
        """The error names file and line; no output file is left behind."""
        lines = [json.dumps(row) for row in corpus(seed=8, stories=80)]
        assert len(lines) > 160
        lines.insert(150, bad)
        source = tmp_path / "in.jsonl"
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        target = tmp_path / "out.jsonl"
        code, _, err = dedupe(str(source), "-o", str(target), "--jobs", jobs)
        assert code == 1  # unreadable input is a runtime error; 2 is for the command line
        (line,) = err.strip().splitlines()
        assert line.startswith(f"wirefeed: error: {source}:151: {message}")
        assert not target.exists()
        assert not list(tmp_path.glob(".out.jsonl*"))

    def test_not_utf8_far_in(self, tmp_path: Path) -> None:
        """A line that is not UTF-8 in a later chunk is named by its number."""
        rows = corpus(seed=9, stories=80)
        data = b"".join(json.dumps(row).encode() + b"\n" for row in rows[:150]) + b'{"id": "z", "text": "\xe9"}\n'
        source = tmp_path / "in.jsonl"
        source.write_bytes(data + b"".join(json.dumps(row).encode() + b"\n" for row in rows[150:]))
        code, _, err = dedupe(str(source), "-o", str(tmp_path / "out.jsonl"), "--jobs", "2")
        assert code == 1
        assert f"{source}:151: not UTF-8" in err

    def test_undated_lines_counted_across_chunks(self, tmp_path: Path) -> None:
        """Dates that cannot be believed are counted over the whole file, the first named by its line."""
        rows = corpus(seed=10, stories=80)
        for at in (100, 170):
            rows[at]["published"] = "9999-12-31T00:00:00Z"
        source = write(tmp_path / "in.jsonl", rows)
        code, out, err = dedupe(str(source), "--jobs", "2")
        assert code == 0, err
        assert len(out.splitlines()) == len(rows)
        (note,) = [line for line in err.splitlines() if "'published'" in line]
        assert note.startswith("2 'published' dates ignored")
        assert note.endswith("first on line 101")

    def test_blank_lines_and_byte_order_mark(self, tmp_path: Path) -> None:
        """Blank lines are skipped but counted; a byte order mark opens the first line only."""
        lines = [json.dumps(row) for row in corpus(seed=11, stories=80)]
        source = tmp_path / "in.jsonl"
        source.write_text("\ufeff" + "\n\n".join(lines) + "\nnot json\n", encoding="utf-8")
        code, _, err = dedupe(str(source), "--jobs", "2")
        assert code == 1
        assert f"{source}:{2 * len(lines)}: not JSON" in err  # N lines and N - 1 blank ones before it

    def test_missing_input_is_a_runtime_error(self, tmp_path: Path) -> None:
        """A file that is not there exits 1 (2 is for a malformed command line), in one line."""
        code, _, err = dedupe(str(tmp_path / "missing.jsonl"))
        assert code == 1
        assert err.strip() == f"wirefeed: error: no such file: {tmp_path / 'missing.jsonl'}"

    def test_jobs_must_be_positive(self, source: Path) -> None:
        """--jobs 0 is a usage error."""
        code, _, err = dedupe(str(source), "--jobs", "0")
        assert code == 2
        assert "--jobs must be at least 1" in err
