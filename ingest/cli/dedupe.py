"""`wirefeed dedupe`: cluster a JSONL corpus offline, without a database.

The corpus is streamed: worker processes read chunks of lines, parse them and compute each document's
features and LSH keys (`Clusterer.prepare`), while this process clusters the documents in file order; the
workers then compute the copy diffs of a chunk's decisions (`copy_diff` of each copy and the copy it
joined, both read back from the file) and the decisions are written in order as their diffs arrive. The
decisions are those of `cluster_docs` on the whole corpus, whatever the number of workers.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ingest import dates
from ingest.cli.context import App, FileAccessError, UsageError, add_command, dump_json, output

if TYPE_CHECKING:
    from dedupe.cluster import Clusterer, Prepared
    from dedupe.model import Decision, Doc

_CHUNK_MIN = 16 << 10  # bytes of lines per chunk: small files still make a few chunks per worker
_CHUNK_MAX = 1 << 20  # about 250 real-length articles
_CHUNKS_PER_JOB = 8  # a file is cut into about this many chunks per worker, within the bounds above
_AHEAD_PER_JOB = 2  # chunks handed out per worker beyond the one being clustered: bounds memory
_DIFFS_AHEAD = 4  # chunks of decisions waiting for their diffs, per worker, before this process waits
_RECENT = 10_000  # documents kept at hand for the long-term index (the window's index holds as many)
_PROGRESS_EVERY = 1.0  # seconds between progress updates on a terminal
_JOBS_PER_CPU = 4  # --jobs beyond this many per CPU only add processes that wait for a core


def add_dedupe_parser(sub: Any) -> None:
    """The `dedupe` subcommand."""
    p = add_command(
        sub,
        "dedupe",
        cmd_dedupe,
        "Cluster a JSONL corpus ({id, title, text, [url], [published]}) without a database.",
        "wirefeed dedupe corpus.jsonl -o clusters.jsonl",
    )
    p.add_argument("input", metavar="IN.jsonl")
    p.add_argument("-o", "--output", metavar="OUT.jsonl", help="output file (default stdout)")
    p.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="processes computing features while this one clusters (default: the number of CPUs; "
        "1: everything in this process); the decisions are the same for every N",
    )


def cmd_dedupe(app: App) -> int:
    """Cluster a JSONL corpus offline, without a database."""
    path = Path(app.args.input)
    if not path.is_file():
        raise FileAccessError(f"no such file: {path}")
    jobs = app.args.jobs if app.args.jobs is not None else os.cpu_count() or 1
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {jobs}")
    most = _JOBS_PER_CPU * (os.cpu_count() or 1)
    if jobs > most:
        # One process per chunk in flight: --jobs 5000 on a 1 MB file started 1,300 processes on 2 cores.
        raise UsageError(f"--jobs must be at most {most} ({_JOBS_PER_CPU} per CPU), not {jobs}; the decisions "
                         "are the same for every number")
    bounds = app.settings.dates
    try:
        corpus = _Corpus(path, os.open(path, os.O_RDONLY))
    except OSError as exc:
        raise FileAccessError(f"cannot read {path}: {exc.strerror or exc}") from exc
    gc.freeze()  # what is loaded by now lives as long as the process: full collections need not walk it
    pool = _pool(corpus, jobs, (bounds.earliest, bounds.max_ahead_days))
    try:
        with output(app.args.output) as out:
            # With workers, they compute the copy diffs; alone, the clusterer does.
            run = _Run(corpus, _clusterer(app, corpus, copy_diffs=pool is None), out, pool, jobs)
            run.cluster(_prepared_chunks(corpus, pool, jobs))
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        os.close(corpus.fd)
        gc.unfreeze()
    if run.undated:
        print(f"{len(run.undated)} 'published' dates ignored as implausible or unparseable (before {bounds.earliest}, "
              f"more than {bounds.max_ahead_days:g} days ahead, or neither ISO 8601 nor RFC 2822), first on line "
              f"{run.undated[0]}", file=sys.stderr)
    print(f"{run.count} documents, {len(run.stories)} stories", file=sys.stderr)
    return 0


def _clusterer(app: App, corpus: _Corpus, *, copy_diffs: bool) -> Clusterer:
    """The clusterer `cluster_docs` builds, its long-term index keeping only ids (texts are read back)."""
    from dedupe.cluster import Clusterer
    from dedupe.index import MAX_ENTRIES, InMemoryIndex
    from dedupe.lineage import InMemoryLineage

    settings = app.settings.dedupe
    return Clusterer(
        InMemoryIndex(max_entries=MAX_ENTRIES),
        threshold=settings.threshold,
        window_days=settings.window_days,
        lineage=InMemoryLineage(loader=corpus.load),
        lineage_days=settings.lineage_days,
        copy_diffs=copy_diffs,
    )


# Reading ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Span:
    """A run of whole lines of the input: where it starts, how long it is."""

    offset: int
    size: int


@dataclass(slots=True)
class _Chunk:
    """A span's documents in order, with what clustering needs of each, up to its first bad line."""

    lines: int  # lines in the span (blank ones included)
    # (line number in the span from 1, offset of the line in the file, its size, document, prepare(doc) or
    # None when it is left to the clusterer, whether its date was ignored)
    docs: list[tuple[int, int, int, Doc, Prepared | None, bool]] = field(default_factory=list)
    error: tuple[int, str] | None = None  # the first bad line: its number in the span and the message


@dataclass(frozen=True, slots=True)
class _Corpus:
    """The input file, open for reading by offset (so workers and the lineage loader read it too)."""

    path: Path
    fd: int
    located: dict[str, int] = field(default_factory=dict)  # doc id -> offset << 32 | size of its line
    # The latest documents clustered, which the window's index holds anyway: most candidates of the
    # long-term index are among them and need not be read back.
    recent: dict[str, Doc] = field(default_factory=dict)

    def remember(self, doc: Doc) -> None:
        """Keep a clustered document at hand, forgetting the oldest beyond `_RECENT` documents."""
        self.recent[doc.id] = doc
        if len(self.recent) > _RECENT:
            del self.recent[next(iter(self.recent))]

    def spans(self, jobs: int) -> Iterator[_Span]:
        """Cut the file into spans of whole lines, a few per worker and at most `_CHUNK_MAX` bytes each."""
        size = os.fstat(self.fd).st_size
        target = max(_CHUNK_MIN, min(_CHUNK_MAX, size // (jobs * _CHUNKS_PER_JOB)))
        offset = 0
        while offset < size:
            end = min(size, offset + target)
            while end < size:  # extend to the end of the line that the cut falls in
                block = os.pread(self.fd, 1 << 16, end - 1)
                newline = block.find(b"\n")
                if newline >= 0:
                    end += newline
                    break
                end += len(block)
            yield _Span(offset, min(end, size) - offset)
            offset = min(end, size)

    def load(self, doc_id: str) -> Doc:
        """Read a document back from its line (the clusterer's long-term index keeps only its identity)."""
        doc = self.recent.get(doc_id)
        if doc is not None:
            return doc
        return _doc_at(self.fd, self.located[doc_id])


def _doc_at(fd: int, where: int) -> Doc:
    """The document of a line read once already, given as `_Corpus.located` gives it (offset << 32 | size)."""
    offset, size = where >> 32, where & 0xFFFFFFFF
    found = _parse(os.pread(fd, size, offset))
    assert isinstance(found, tuple)  # the line was read once already
    return found[0]


def _read_span(path: Path, span: _Span, prepare: Callable[[Doc], Prepared] | None) -> _Chunk:
    """Parse the lines of a span into documents (and prepare them), stopping at the first bad line."""
    with path.open("rb") as handle:
        handle.seek(span.offset)
        data = handle.read(span.size)
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    chunk = _Chunk(len(lines))
    offset = span.offset
    for number, raw in enumerate(lines, 1):
        found = _parse(raw)
        if isinstance(found, str):
            chunk.error = (number, found)
            return chunk
        if found is not None:
            doc, undated = found
            chunk.docs.append((number, offset, len(raw), doc, prepare(doc) if prepare else None, undated))
        offset += len(raw) + 1
    return chunk


def _parse(raw: bytes) -> tuple[Doc, bool] | str | None:
    """One line of the corpus as a document and whether its date was ignored; None when blank; else why not."""
    from dedupe.model import Doc

    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 (byte {exc.start}: {exc.reason})"
    # A byte order mark, as Windows editors write, on any line: files concatenated with `cat` keep theirs.
    line = line.removeprefix("\ufeff")
    if not line.strip():
        return None
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not JSON: {exc.msg}"
    except RecursionError:  # `[[[[...` deeper than the parser's recursion allows
        return "not JSON: nested too deeply"
    except ValueError:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        return f"a number of more than {sys.get_int_max_str_digits():,} digits"
    if not isinstance(row, dict) or "id" not in row or "text" not in row:
        return "each line needs at least 'id' and 'text'"
    if not isinstance(row["text"], str):
        return f"'text' must be a string, not {type(row['text']).__name__}"
    doc_id = _doc_id(row["id"])
    if doc_id is None:
        return f"'id' must be a string or a number, not {_json_type(row['id'])}"
    if not _encodable(doc_id):
        return "'id' holds a lone surrogate (\\ud800-\\udfff), which no UTF-8 output can carry"
    published = None
    if row.get("published"):
        # The one date rule: a date that does not parse ("1.5", "2024-001") or lies outside the bounds (year 1,
        # year 9999) is ignored and the record is undated, as for every date from outside.
        published = dates.parse_datetime(str(row["published"]))
    doc = Doc(id=doc_id, title=str(row.get("title") or ""), text=row["text"], url=row.get("url"),
              published=published)
    return doc, bool(row.get("published")) and published is None


def _doc_id(value: object) -> str | None:
    """A record's id as the text it is written back as; None for null, true/false, arrays and objects."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _json_type(value: object) -> str:
    """The JSON name of a parsed value's type, as the user wrote it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "an array" if isinstance(value, list) else "an object"


def _encodable(text: str) -> bool:
    """Whether a string is valid Unicode (JSON's `\\ud800` escapes give lone surrogates, which UTF-8 refuses)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# Workers ------------------------------------------------------------------------------------------

_worker_prepare: Callable[[Doc], Prepared] | None = None


def _start_worker(earliest: date, max_ahead_days: float) -> None:
    """Set up a worker: the date rule of the command, a clusterer to prepare with, Ctrl-C left to the parent."""
    from dedupe.cluster import Clusterer
    from dedupe.index import InMemoryIndex

    global _worker_prepare  # noqa: PLW0603 - one preparer per worker process, set when it starts
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    dates.configure(earliest, max_ahead_days)
    # Features and keys depend only on the MinHash shape and seed, which the command leaves at their defaults.
    _worker_prepare = Clusterer(InMemoryIndex()).prepare


def _prepare_span(path: Path, span: _Span) -> bytes:
    """A worker's job: one span read, parsed and prepared, pickled here so that the parent unpickles it on its
    main thread: objects built on the executor's thread land in another malloc arena, which cost some 100 MiB
    more at 30,000 documents."""
    assert _worker_prepare is not None
    return pickle.dumps(_read_span(path, span, _worker_prepare), protocol=pickle.HIGHEST_PROTOCOL)


def _diff_lines(path: Path, pairs: list[tuple[int, int]]) -> list[dict[str, object]]:
    """A worker's job: the copy diff of each copy and the copy it joined, given where their lines are."""
    from dedupe.diff import copy_diff

    fd = os.open(path, os.O_RDONLY)
    try:
        return [copy_diff(_doc_at(fd, copy), _doc_at(fd, original)).as_dict() for copy, original in pairs]
    finally:
        os.close(fd)


def _pool(corpus: _Corpus, jobs: int, rule: tuple[date, float]) -> ProcessPoolExecutor | None:
    """`jobs` worker processes, or None when there is to be none (--jobs 1, or a file of one chunk)."""
    spans = corpus.spans(jobs)
    if jobs == 1 or next(spans, None) is None or next(spans, None) is None:
        return None
    return ProcessPoolExecutor(max_workers=jobs, mp_context=_context(), initializer=_start_worker, initargs=rule)


def _prepared_chunks(corpus: _Corpus, pool: ProcessPoolExecutor | None, jobs: int = 1) -> Iterator[_Chunk]:
    """The corpus's chunks in file order, prepared by the pool's workers (read here when there is no pool)."""
    if pool is None:
        for span in corpus.spans(1):
            yield _read_span(corpus.path, span, None)
        return
    pending: deque[Future[bytes]] = deque()
    for span in corpus.spans(jobs):
        pending.append(pool.submit(_prepare_span, corpus.path, span))
        if len(pending) > jobs * _AHEAD_PER_JOB:
            yield pickle.loads(pending.popleft().result())
    while pending:
        yield pickle.loads(pending.popleft().result())


def _context() -> Any:
    """Fork when it is safe (no other thread in this process), else a fork server (or spawn) for the workers."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if threading.active_count() == 1 and "fork" in methods:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


# Clustering ---------------------------------------------------------------------------------------


class _Run:
    """Cluster prepared chunks in order, writing each decision as it is made (or once the workers add its diff)."""

    def __init__(self, corpus: _Corpus, clusterer: Clusterer, out: IO[str], pool: ProcessPoolExecutor | None = None,
                 jobs: int = 1) -> None:
        self.corpus = corpus
        self.clusterer = clusterer
        self.out = out
        self.pool = pool  # computes the copy diffs when given (the clusterer then leaves them out)
        self.ahead = _DIFFS_AHEAD * jobs
        # Decisions of a chunk as JSON records, waiting for the diffs of their copies: (records, where each
        # diff goes, the diffs to come).
        self.waiting: deque[tuple[list[dict[str, Any]], list[int], Future[list[dict[str, object]]]]] = deque()
        self.arrived = datetime.now(UTC)  # the whole run arrives at its start, as in cluster_docs
        self.count = 0
        self.lines = 0  # lines of the chunks done
        self.stories: set[str] = set()
        self.undated: list[int] = []  # lines whose 'published' was ignored
        self.progress = _Progress() if sys.stderr.isatty() else None

    def cluster(self, chunks: Iterator[_Chunk]) -> None:
        """Cluster every document of the chunks; a bad line stops the run with a usage error naming it."""
        try:
            for chunk in chunks:
                self._chunk(chunk)
            self._drain(0)
        except Exception:
            self._drain(0)  # the decisions before a bad line are written, as they are without workers
            raise
        finally:
            if self.progress is not None:
                self.progress.close()

    def _chunk(self, chunk: _Chunk) -> None:
        """Cluster one chunk's documents, then report its bad line if it has one."""
        located = self.corpus.located
        records: list[dict[str, Any]] = []
        copies: list[int] = []  # records of copies, whose diffs the workers compute
        pairs: list[tuple[int, int]] = []  # their lines and those of the copies they joined
        try:
            for number, offset, size, doc, prepared, undated in chunk.docs:
                if doc.id in located:
                    raise FileAccessError(f"{self.corpus.path}:{self.lines + number}: duplicate id {doc.id!r}")
                located[doc.id] = offset << 32 | size
                if undated:
                    self.undated.append(self.lines + number)
                d = self.clusterer.add(doc, self.arrived, prepared)
                self.stories.add(d.cluster)
                if self.pool is not None and d.duplicate_of is not None:
                    copies.append(len(records))
                    pairs.append((located[doc.id], located[d.duplicate_of]))
                records.append(_record(d))
                self.corpus.remember(doc)
        finally:
            self._queue(records, copies, pairs)
        if chunk.error is not None:
            number, message = chunk.error
            raise FileAccessError(f"{self.corpus.path}:{self.lines + number}: {message}")
        self.lines += chunk.lines
        self.count += len(chunk.docs)
        if self.progress is not None:
            self.progress.update(len(chunk.docs))

    def _queue(self, records: list[dict[str, Any]], copies: list[int], pairs: list[tuple[int, int]]) -> None:
        """Write a chunk's records, or queue them for their diffs; write those whose diffs have come."""
        if self.pool is None or not pairs:
            if not self.waiting:
                self._write(records)
                return
            done: Future[list[dict[str, object]]] = Future()
            done.set_result([])
            self.waiting.append((records, copies, done))
        else:
            self.waiting.append((records, copies, self.pool.submit(_diff_lines, self.corpus.path, pairs)))
        self._drain(self.ahead)

    def _drain(self, keep: int) -> None:
        """Write the queued records in order: those whose diffs are done, then wait until at most `keep` wait."""
        while self.waiting and (self.waiting[0][2].done() or len(self.waiting) > keep):
            records, copies, diffs = self.waiting.popleft()
            for at, diff in zip(copies, diffs.result(), strict=True):
                records[at]["diff"] = diff
            self._write(records)

    def _write(self, records: list[dict[str, Any]]) -> None:
        """Write decisions as JSON lines."""
        self.out.write("".join(dump_json(record) + "\n" for record in records))


def _record(d: Decision) -> dict[str, Any]:
    """One decision as its JSON record."""
    return {
        "id": d.id,
        "cluster": d.cluster,
        "duplicate_of": d.duplicate_of,
        "score": round(d.score, 4),
        "relation": d.relation,
        "diff": d.diff.as_dict() if d.diff is not None else None,
    }


class _Progress:
    """Documents done and documents per second on stderr, rewritten in place about once a second."""

    def __init__(self) -> None:
        self.started = self.shown = time.monotonic()
        self.done = 0

    def update(self, docs: int) -> None:
        """Count documents; redraw when a second has passed."""
        self.done += docs
        now = time.monotonic()
        if now - self.shown >= _PROGRESS_EVERY:
            self.shown = now
            rate = self.done / (now - self.started)
            print(f"\rdedupe: {self.done:,} documents, {rate:,.0f} documents/s", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        """End the progress line, if one was drawn."""
        if self.shown > self.started:
            print(file=sys.stderr)
