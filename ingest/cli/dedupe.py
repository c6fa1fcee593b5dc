"""`wirefeed dedupe`: cluster a JSONL corpus offline, without a database."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ingest import dates
from ingest.cli.context import App, FileAccessError, UsageError, add_command, dump_json, output

if TYPE_CHECKING:
    from dedupe.model import Doc


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


def cmd_dedupe(app: App) -> int:
    """Cluster a JSONL corpus offline, without a database."""
    from dedupe.cluster import cluster_docs

    path = Path(app.args.input)
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    undated: list[int] = []  # lines whose 'published' was ignored
    docs = _read_docs(path, undated)
    if undated:
        bounds = app.settings.dates
        print(f"{len(undated)} 'published' dates ignored as implausible or unparseable (before {bounds.earliest}, "
              f"more than {bounds.max_ahead_days:g} days ahead, or neither ISO 8601 nor RFC 2822), first on line "
              f"{undated[0]}", file=sys.stderr)
    settings = app.settings.dedupe
    decisions = cluster_docs(docs, threshold=settings.threshold, window_days=settings.window_days)
    with output(app.args.output) as out:
        for d in decisions:
            record = {
                "id": d.id,
                "cluster": d.cluster,
                "duplicate_of": d.duplicate_of,
                "score": round(d.score, 4),
                "relation": d.relation,
            }
            out.write(dump_json(record) + "\n")
    stories = len({d.cluster for d in decisions})
    print(f"{len(docs)} documents, {stories} stories", file=sys.stderr)
    return 0


def _read_docs(path: Path, undated: list[int]) -> list[Doc]:
    """The corpus's documents in file order; the numbers of lines whose date was ignored go to `undated`."""
    try:
        with path.open("rb") as handle:
            return _docs_from_lines(handle, path, undated)
    except OSError as exc:
        raise FileAccessError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _docs_from_lines(handle: IO[bytes], path: Path, undated: list[int]) -> list[Doc]:
    """Each non-blank line of the corpus as a document; a line that is not UTF-8 is a usage error."""
    docs: list[Doc] = []
    ids: set[str] = set()
    for number, raw in enumerate(handle, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(f"{path}:{number}: not UTF-8 (byte {exc.start}: {exc.reason})") from exc
        if number == 1:
            line = line.removeprefix("\ufeff")  # a byte order mark, as Windows editors write
        if not line.strip():
            continue
        docs.append(_doc_from_line(line, number, path, ids, undated))
    return docs


def _doc_from_line(line: str, number: int, path: Path, ids: set[str], undated: list[int]) -> Doc:
    """One line of the corpus as a document; a line that is not one is a usage error naming it."""
    from dedupe.model import Doc

    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{number}: not JSON: {exc.msg}") from exc
    except RecursionError:  # `[[[[...` deeper than the parser's recursion allows
        raise UsageError(f"{path}:{number}: not JSON: nested too deeply") from None
    if not isinstance(row, dict) or "id" not in row or "text" not in row:
        raise UsageError(f"{path}:{number}: each line needs at least 'id' and 'text'")
    if not isinstance(row["text"], str):
        raise UsageError(f"{path}:{number}: 'text' must be a string, not {type(row['text']).__name__}")
    doc_id = str(row["id"])
    if doc_id in ids:
        raise UsageError(f"{path}:{number}: duplicate id {doc_id!r}")
    ids.add(doc_id)
    published = None
    if row.get("published"):
        # The one date rule: a date that does not parse ("1.5", "2024-001") or lies outside the bounds (year 1,
        # year 9999) is ignored and the record is undated, as for every date from outside.
        published = dates.parse_datetime(str(row["published"]))
        if published is None:
            undated.append(number)
    return Doc(
        id=doc_id,
        title=str(row.get("title") or ""),
        text=str(row["text"]),
        url=row.get("url"),
        published=published,
    )

