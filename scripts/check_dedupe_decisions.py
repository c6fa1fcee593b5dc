"""Save or compare every clustering decision, LSH key set and content hash on a fixed seeded corpus.

A speed change to dedupe must not change what it decides or what it stores: run `--save` before the
change and `--compare` after it; the comparison fails on the first differing line (exit status 1).
Each line is one document: its decision (score unrounded as stored), `text_hash` and `keys_for`.

    python scripts/check_dedupe_decisions.py --save /tmp/dedupe-decisions.jsonl
    python scripts/check_dedupe_decisions.py --compare /tmp/dedupe-decisions.jsonl
    python scripts/check_dedupe_decisions.py --docs 20000 --seed 17 --save /tmp/dedupe-17.jsonl
    python scripts/check_dedupe_decisions.py --corpus /tmp/wire-20k.jsonl --save /tmp/wire-20k-decisions.jsonl

`--corpus FILE` takes the documents of a JSONL file (as `wirefeed dedupe` reads them, e.g. the wire
corpus of `scripts/wire_corpus.py`) instead of generating them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dedupe_corpus import Generator, load_paragraphs
from eval_dedupe import to_docs

from dedupe.cluster import Clusterer
from dedupe.index import InMemoryIndex
from dedupe.model import Doc
from dedupe.text import text_hash


def corpus_docs(path: Path) -> list[Doc]:
    """The documents of a JSONL corpus, parsed as `wirefeed dedupe` parses them."""
    from ingest.cli.dedupe import _parse

    docs = []
    with path.open("rb") as handle:
        for raw in handle:
            found = _parse(raw.rstrip(b"\n"))
            if isinstance(found, tuple):
                docs.append(found[0])
    return docs


def decision_lines(docs_count: int, seed: int, corpus: Path | None = None) -> list[str]:
    """Cluster the seeded corpus (or the documents of `corpus`) and return one JSON line per document."""
    if corpus is not None:
        docs = corpus_docs(corpus)
    else:
        articles = load_paragraphs()
        if articles is None:
            raise SystemExit("skipped: ../shared/data/fundus-eval/ground_truth.json is absent")
        docs = to_docs(Generator(articles, seed, 1500).generate(docs_count))
    clusterer = Clusterer(InMemoryIndex())
    started = time.process_time()
    decisions = [clusterer.add(doc) for doc in docs]
    print(f"clustered {len(docs)} docs in {time.process_time() - started:.2f} CPU s", file=sys.stderr)
    # A separate Clusterer for the stored values, so computing them cannot disturb the decisions above.
    keyer = Clusterer(InMemoryIndex())
    return [
        json.dumps(
            {
                "id": d.id,
                "cluster": d.cluster,
                "duplicate_of": d.duplicate_of,
                "score": d.score,
                "relation": d.relation,
                "text_hash": text_hash(doc.text),
                "keys": keyer.keys_for(doc.text),
            },
            sort_keys=True,
        )
        for doc, d in zip(docs, decisions, strict=True)
    ]


def main(argv: list[str] | None = None) -> int:
    """Save the decisions to a file, or compare them with a saved file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--corpus", type=Path, help="cluster the documents of this JSONL file instead")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save", type=Path, help="write the decisions here")
    mode.add_argument("--compare", type=Path, help="compare with decisions saved here")
    args = parser.parse_args(argv)
    lines = decision_lines(args.docs, args.seed, args.corpus)
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
    if args.save:
        args.save.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"saved {len(lines)} decisions to {args.save} (sha256 {digest})")
        return 0
    saved = args.compare.read_text(encoding="utf-8").splitlines()
    if len(saved) != len(lines):
        print(f"DIFFERENT: {len(saved)} saved decisions, {len(lines)} now")
        return 1
    differing = [i for i, (a, b) in enumerate(zip(saved, lines, strict=True)) if a != b]
    if differing:
        first = differing[0]
        print(f"DIFFERENT: {len(differing)} of {len(lines)} lines; first at line {first + 1}:")
        print(f"  saved: {saved[first]}\n  now:   {lines[first]}")
        return 1
    print(f"identical: {len(lines)} decisions, keys and hashes (sha256 {digest})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
