"""Score wirefeed's story clustering against baselines on the labelled dedupe corpora.

Two corpora written apart, so that one can be tuned on and the other reported: `own`
(scripts/dedupe_corpus.py: fundus gold paragraphs and a word chain, the default) and `wire` (scripts/wire_corpus.py:
real texts of many languages with wire-style republication edits, late re-runs and hard negatives). For
wirefeed and the baselines it prints pairwise precision, recall, F1 and adjusted Rand index, false-merge pairs by
hard-negative kind (template, follow-up, same-event, shared footer, other), late re-runs linked, time and
throughput, then the share of copies that land in their original's cluster by edit kind (a copy carrying several
edits counts under each). Baselines: plain MinHash LSH (datasketch, 128 permutations, word 3-shingles, exact
Jaccard check) at threshold 0.55 and at the best threshold of a sweep, and brute-force rapidfuzz fuzz.ratio over
all earlier pairs (at most 2,000 documents); both with the same greedy policy (a document joins the story of its
best earlier match at or above the threshold).

    python scripts/eval_dedupe.py --docs 1500                        # own corpus
    python scripts/eval_dedupe.py --docs 1500 --corpus wire
    python scripts/eval_dedupe.py --docs 1500 --both --via-cli       # both corpora, wirefeed through its CLI
    python scripts/eval_dedupe.py --docs 1500 --corpus blind         # the third corpus, written blind
    python scripts/eval_dedupe.py --corpus /tmp/wire-100k.jsonl --no-baselines --via-cli
    python scripts/eval_dedupe.py --docs 1500 --sweep --no-baselines
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dedupe_corpus import Generator, Record, load_paragraphs

from dedupe.cluster import cluster_docs
from dedupe.model import Doc

ROOT = Path(__file__).resolve().parents[1]
NEGATIVE_KINDS = ("template", "followup", "same_event", "footer", "other")
LSH_THRESHOLD = 0.55  # the threshold the issue quotes for the MinHash baseline
BRUTE_FORCE_LIMIT = 2000  # fuzz.ratio over all pairs is quadratic


@dataclass(frozen=True, slots=True)
class Labelled:
    """One document and what the scorer knows of it, whichever corpus it comes from."""

    id: str
    title: str
    text: str
    url: str
    published: str
    story: str
    kind: str
    edits: tuple[str, ...]
    family: str | None  # template family
    of: str | None  # the story a follow-up follows or a same-event story mimics
    of_kind: str | None  # "followup" | "same_event"
    footers: tuple[str, ...]  # footer blocks the text carries (shared by one outlet's articles)


def from_own(r: Record) -> Labelled:
    """A scripts/dedupe_corpus.py record."""
    footers = (r.outlet,) if "footer" in r.edits else ()
    return Labelled(r.id, r.title, r.text, r.url, r.published, r.story, r.kind, tuple(r.edits), r.family,
                    r.followup_of, "followup" if r.followup_of else None, footers)


def from_wire(row: dict[str, Any]) -> Labelled:
    """A scripts/wire_corpus.py record (as a JSON object)."""
    negative = row.get("negative")
    return Labelled(row["id"], row["title"], row["text"], row["url"], row["published"], row["story"], row["kind"],
                    tuple(row["edits"]), row.get("family"), row.get("of"),
                    negative if negative in {"followup", "same_event"} else None, tuple(row.get("footers") or ()))


def labelled(records: Sequence[Record | Labelled]) -> list[Labelled]:
    """Records of either corpus as Labelled documents."""
    return [r if isinstance(r, Labelled) else from_own(r) for r in records]


def read_corpus(path: Path) -> list[Labelled]:
    """A JSONL corpus written by either generator (wire records carry 'negative')."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if rows and "negative" in rows[0]:
        return [from_wire(row) for row in rows]
    return [from_own(Record(**row)) for row in rows]


@dataclass(frozen=True, slots=True)
class Scores:
    """Clustering quality of one method on one corpus."""

    precision: float
    recall: float
    f1: float
    ari: float
    false_merges: dict[str, int]  # falsely merged document pairs by hard-negative kind
    clusters: int
    largest: int


@dataclass(frozen=True, slots=True)
class Result:
    """One method's labels, scores and cost on one corpus."""

    name: str
    labels: list[str]
    scores: Scores
    seconds: float
    note: str = ""


def _pairs(n: int) -> int:
    """Return n choose 2."""
    return n * (n - 1) // 2


def adjusted_rand_index(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Return the adjusted Rand index of two labelings (Hubert and Arabie)."""
    joint = Counter(zip(gold, pred, strict=True))
    index = sum(_pairs(c) for c in joint.values())
    a = sum(_pairs(c) for c in Counter(gold).values())
    b = sum(_pairs(c) for c in Counter(pred).values())
    total = _pairs(len(gold))
    expected = a * b / total if total else 0.0
    maximum = (a + b) / 2
    return 1.0 if maximum == expected else (index - expected) / (maximum - expected)


Signature = tuple[str, str | None, str | None, str | None, tuple[str, ...]]


def _signature(x: Labelled) -> Signature:
    """What decides the hard-negative kind of a pair."""
    return x.story, x.family, x.of, x.of_kind, x.footers


def negative_kind(x: Signature, y: Signature) -> str:
    """Name the hard-negative kind of two documents of different stories."""
    story_x, family_x, of_x, of_kind_x, footers_x = x
    story_y, family_y, of_y, of_kind_y, footers_y = y
    if family_x is not None and family_x == family_y:
        return "template"
    for kind in ("followup", "same_event"):
        if (of_kind_x == kind and (of_x == story_y or (of_kind_y == kind and of_x == of_y))) or (
            of_kind_y == kind and of_y == story_x
        ):
            return kind
    if set(footers_x) & set(footers_y):
        return "footer"
    return "other"


def false_merges(records: Sequence[Labelled], pred: Sequence[str]) -> dict[str, int]:
    """Falsely merged document pairs by hard-negative kind (counted over distinct signatures per cluster)."""
    members: dict[str, Counter[Signature]] = defaultdict(Counter)
    for record, label in zip(records, pred, strict=True):
        members[label][_signature(record)] += 1
    merges: Counter[str] = Counter()
    for group in members.values():
        if len(group) < 2:
            continue
        items = list(group.items())
        for i, (x, n) in enumerate(items):
            for y, m in items[i + 1 :]:
                if x[0] != y[0]:
                    merges[negative_kind(x, y)] += n * m
    return dict(merges)


def score(records: Sequence[Record | Labelled], pred: Sequence[str]) -> Scores:
    """Compare predicted story labels with the gold ones."""
    docs = labelled(records)
    gold = [r.story for r in docs]
    tp = sum(_pairs(c) for c in Counter(zip(gold, pred, strict=True)).values())
    predicted = sum(_pairs(c) for c in Counter(pred).values())
    actual = sum(_pairs(c) for c in Counter(gold).values())
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    sizes = Counter(pred)
    return Scores(precision, recall, f1, adjusted_rand_index(gold, pred), false_merges(docs, pred), len(sizes),
                  max(sizes.values(), default=0))


def recall_by_edit(records: Sequence[Record | Labelled], pred: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Per edit, (copies in their story's first document's cluster, copies carrying the edit)."""
    first: dict[str, str] = {}
    hit: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for record, label in zip(labelled(records), pred, strict=True):
        if record.story not in first:
            first[record.story] = label
            continue
        for edit in record.edits or ("none",):
            seen[edit] += 1
            hit[edit] += label == first[record.story]
    return {edit: (hit[edit], seen[edit]) for edit in sorted(seen)}


def reruns_linked(records: Sequence[Labelled], pred: Sequence[str]) -> tuple[int, int, int, int]:
    """Late re-runs: (joined to their original's cluster, re-runs, true pairs with a re-run found, such pairs)."""
    first: dict[str, str] = {}
    members: dict[str, list[str]] = defaultdict(list)
    for record, label in zip(records, pred, strict=True):
        first.setdefault(record.story, label)
        members[record.story].append(label)
    joined = total = found = pairs = 0
    for record, label in zip(records, pred, strict=True):
        if "rerun" not in record.edits:
            continue
        total += 1
        joined += label == first[record.story]
        others = list(members[record.story])
        others.remove(label)
        pairs += len(others)
        found += sum(1 for other in others if other == label)
    return joined, total, found, pairs


def greedy(n: int, best_match: Callable[[int], tuple[int, float]], threshold: float) -> list[str]:
    """Assign each document to the story of its best earlier match at or above the threshold."""
    labels: list[str] = []
    for i in range(n):
        j, s = best_match(i)
        labels.append(labels[j] if j >= 0 and s >= threshold else f"c{i}")
    return labels


def brute_force(records: Sequence[Labelled], thresholds: Sequence[float]) -> Result:
    """Sweep fuzz.ratio thresholds over all earlier pairs; return the best threshold's result."""
    import numpy as np
    from rapidfuzz import fuzz, process
    from rapidfuzz.utils import default_process

    texts = [r.text for r in records]
    started = time.perf_counter()
    best_j = np.full(len(texts), -1)
    best_s = np.zeros(len(texts))
    chunk = 100
    for a in range(0, len(texts), chunk):
        b = min(a + chunk, len(texts))
        matrix = process.cdist(
            texts[a:b], texts[:b], scorer=fuzz.ratio, processor=default_process, workers=-1, dtype=np.float32
        )
        for row, i in enumerate(range(a, b)):
            if i == 0:
                continue
            scores = matrix[row, :i]
            j = int(np.argmax(scores))
            best_j[i], best_s[i] = j, scores[j] / 100.0
    seconds = time.perf_counter() - started
    results = []
    for t in thresholds:
        labels = greedy(len(texts), lambda i: (int(best_j[i]), float(best_s[i])), t)
        results.append(Result(f"fuzz.ratio all pairs, best t={t:.2f}", labels, score(records, labels), seconds))
    return max(results, key=lambda r: r.scores.f1)


def _shingles(text: str) -> tuple[list[bytes], Any]:
    """Word 3-shingles of a lower-cased text, and their sorted distinct crc32s (for the exact Jaccard check)."""
    import numpy as np

    words = text.lower().split()
    grams = list(dict.fromkeys(" ".join(words[i : i + 3]).encode() for i in range(max(1, len(words) - 2))))
    return grams, np.unique(np.fromiter((zlib.crc32(g) for g in grams), dtype=np.uint32, count=len(grams)))


def minhash_lsh(records: Sequence[Labelled], thresholds: Sequence[float]) -> list[Result]:
    """Sweep datasketch MinHashLSH thresholds with an exact Jaccard check; return t=0.55 and the best."""
    import numpy as np
    from datasketch import MinHash, MinHashLSH

    started = time.perf_counter()
    sets: list[Any] = []
    hashes: list[MinHash] = []
    for record in records:
        grams, crcs = _shingles(record.text)
        m = MinHash(num_perm=128, seed=1)
        m.update_batch(grams)
        sets.append(crcs)
        hashes.append(m)
    features = time.perf_counter() - started
    results: list[Result] = []
    for t in thresholds:
        began = time.perf_counter()
        lsh = MinHashLSH(threshold=t, num_perm=128)
        best: list[tuple[int, float]] = []
        for i, m in enumerate(hashes):
            match = (-1, 0.0)
            for j in sorted(lsh.query(m)):
                inter = len(np.intersect1d(sets[i], sets[j], assume_unique=True))
                jac = inter / (len(sets[i]) + len(sets[j]) - inter)
                if jac > match[1]:
                    match = (j, jac)
            best.append(match)
            lsh.insert(i, m)
        labels = greedy(len(records), lambda i, b=best: b[i], t)  # type: ignore[misc]
        seconds = features + time.perf_counter() - began
        results.append(Result(f"MinHash LSH t={t:.2f}", labels, score(records, labels), seconds,
                              f"features {features:.0f}s"))
    fixed = min(results, key=lambda r: abs(float(r.name.split("=")[1]) - LSH_THRESHOLD))
    best_result = max(results, key=lambda r: r.scores.f1)
    best_named = Result(best_result.name.replace("t=", "best t="), best_result.labels, best_result.scores,
                        best_result.seconds, best_result.note)
    return [fixed, best_named]


def to_docs(records: Sequence[Record | Labelled]) -> list[Doc]:
    """Convert corpus records into dedupe documents."""
    return [Doc(r.id, r.title, r.text, r.url, datetime.fromisoformat(r.published)) for r in records]


def run_wirefeed(records: Sequence[Record | Labelled], **params: Any) -> Result:
    """Cluster with wirefeed in this process."""
    docs = to_docs(records)
    started = time.perf_counter()
    decisions = cluster_docs(docs, **params)
    seconds = time.perf_counter() - started
    labels = [d.cluster for d in decisions]
    return Result("wirefeed (in-process)", labels, score(records, labels), seconds)


def run_wirefeed_cli(records: Sequence[Labelled], path: Path | None) -> Result:
    """Cluster with the command a user runs, `python -m ingest.cli dedupe IN -o OUT` (the `wirefeed` entry point)."""
    with tempfile.TemporaryDirectory(prefix="eval_dedupe_") as tmp:
        if path is None:
            path = Path(tmp) / "corpus.jsonl"
            with path.open("w", encoding="utf-8") as handle:
                for record in records:
                    handle.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
        out = Path(tmp) / "clusters.jsonl"
        command = [sys.executable, "-m", "ingest.cli", "dedupe", str(path), "-o", str(out)]
        # Measured from a small process of its own (bench_dedupe.py --measure): a child forked from this one,
        # which holds the whole corpus, inherits this process's peak RSS in its own ru_maxrss.
        done = subprocess.run([sys.executable, str(Path(__file__).with_name("bench_dedupe.py")), "--measure", "--",
                               *command], cwd=ROOT, capture_output=True, text=True, check=True)
        run = json.loads(done.stdout)
        seconds = run["seconds"]
        if run["code"] != 0:
            raise RuntimeError(f"{' '.join(command)} exited {run['code']}: {run['err'][-2000:]}")
        clusters = {row["id"]: row["cluster"] for row in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    labels = [clusters[r.id] for r in records]
    note = (f"end to end, peak RSS {run['max_rss_mib']:.0f} MiB (largest process), "
            f"{run['tree_rss_mib']:.0f} MiB (all processes, sampled)")
    return Result("wirefeed (CLI: wirefeed dedupe)", labels, score(records, labels), seconds, note)


def _merges(s: Scores) -> str:
    """False-merge pair counts in NEGATIVE_KINDS order."""
    return " | ".join(str(s.false_merges.get(kind, 0)) for kind in NEGATIVE_KINDS)


def print_tables(name: str, records: Sequence[Labelled], results: Sequence[Result]) -> None:
    """The comparison table and the recall-by-edit table of one corpus, in Markdown."""
    kinds = Counter(r.kind for r in records)
    print(f"\n### {name}: {len(records):,} documents, {len({r.story for r in records}):,} stories, {dict(kinds)}\n")
    print("| method | P | R | F1 | ARI | false-merge pairs: " + " | ".join(NEGATIVE_KINDS)
          + " | re-runs joined | re-run pairs linked | time | docs/s | note |")
    print("|---" * (12 + len(NEGATIVE_KINDS)) + "|")
    for result in results:
        s = result.scores
        joined, reruns, found, pairs = reruns_linked(records, result.labels)
        rate = len(records) / result.seconds if result.seconds else 0.0
        print(f"| {result.name} | {s.precision:.4f} | {s.recall:.4f} | {s.f1:.4f} | {s.ari:.4f} | {_merges(s)} | "
              f"{joined} of {reruns} | {found} of {pairs} | {result.seconds:.1f} s | {rate:,.0f} | {result.note} |")
    by_method = [recall_by_edit(records, result.labels) for result in results]
    edits = sorted({edit for table in by_method for edit in table})
    print("\nShare of copies joined to their original's cluster, by edit (a copy counts under each of its edits):\n")
    print("| edit | copies | " + " | ".join(r.name for r in results) + " |")
    print("|---" * (2 + len(results)) + "|")
    for edit in edits:
        total = by_method[0].get(edit, (0, 0))[1]
        shares = " | ".join(f"{t.get(edit, (0, 1))[0] / max(1, t.get(edit, (0, 1))[1]):.3f}" for t in by_method)
        print(f"| {edit} | {total} | {shares} |")


def load(corpus: str, docs: int, seed: int) -> tuple[str, list[Labelled], Path | None] | None:
    """The corpus to score: generated (own, wire, blind) or read from a JSONL file; None when its data is absent."""
    if corpus == "own":
        articles = load_paragraphs()
        if articles is None:
            print("skipped: ../shared/data/fundus-eval/ground_truth.json is absent", file=sys.stderr)
            return None
        return f"own corpus (scripts/dedupe_corpus.py, seed {seed})", labelled(
            Generator(articles, seed, 1500).generate(docs)), None
    if corpus == "wire":
        from wire_corpus import Generator as WireGenerator
        from wire_corpus import load_sources

        sources = load_sources()
        if sources is None:
            print("skipped: ../shared/data/trafilatura-eval is absent", file=sys.stderr)
            return None
        rows = WireGenerator(sources, seed).generate(docs)
        return f"wire corpus (scripts/wire_corpus.py, seed {seed})", [from_wire(asdict(r)) for r in rows], None
    if corpus == "blind":
        from blind_corpus import Generator as BlindGenerator
        from blind_corpus import load_pieces
        from eval_heldout import CACHE, HeldoutError, fetch_sdist

        try:  # newspaper4k's texts join fundus-eval's (the same tarball the held-out extraction check reads)
            pieces = load_pieces(newspaper4k=fetch_sdist(CACHE, None))
        except HeldoutError as exc:
            print(f"note: blind corpus without newspaper4k's texts: {exc}", file=sys.stderr)
            pieces = load_pieces()
        if not pieces:
            print("skipped: ../shared/data/fundus-eval is absent", file=sys.stderr)
            return None
        blind = BlindGenerator(pieces, seed).generate(docs)
        return f"blind corpus (scripts/blind_corpus.py, seed {seed})", [from_wire(asdict(r)) for r in blind], None
    path = Path(corpus)
    return f"{path.name}", read_corpus(path), path


def evaluate(name: str, records: list[Labelled], path: Path | None, args: argparse.Namespace) -> None:
    """Run wirefeed (and the baselines) on one corpus and print the tables."""
    params = json.loads(args.params)
    if args.sweep:
        for threshold in (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9):
            for penalty in (0.1, 0.15, 0.25):
                s = run_wirefeed(records, **{**params, "threshold": threshold, "conflict_penalty": penalty}).scores
                print(f"wirefeed t={threshold} pen={penalty}: P={s.precision:.4f} R={s.recall:.4f} F1={s.f1:.4f} "
                      f"false merges {s.false_merges}")
    results = [run_wirefeed_cli(records, path) if args.via_cli else run_wirefeed(records, **params)]
    if not args.no_baselines:
        results += minhash_lsh(records, [x / 100 for x in range(30, 100, 5)])
        if len(records) <= BRUTE_FORCE_LIMIT:
            results.append(brute_force(records, [x / 100 for x in range(30, 100, 5)]))
    print_tables(name, records, results)


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--docs", type=int, default=1500, help="documents to generate")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--corpus", default="own", help="own (scripts/dedupe_corpus.py), wire "
                        "(scripts/wire_corpus.py), blind (scripts/blind_corpus.py) or a JSONL file written by one")
    parser.add_argument("--both", action="store_true", help="score the own and the wire corpus, one after the other")
    parser.add_argument("--all", action="store_true", help="score the own, the wire and the blind corpus")
    parser.add_argument("--via-cli", action="store_true", help="run wirefeed as `python -m ingest.cli dedupe`")
    parser.add_argument("--sweep", action="store_true", help="sweep wirefeed's thresholds too")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--params", default="{}", help="JSON keyword arguments for Clusterer (in-process only)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Generate or read the corpora, run the methods and print the comparison; 2 when a corpus's data is absent."""
    args = build_parser().parse_args(argv)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "dedupe"], cwd=ROOT, capture_output=True,
                           text=True, check=False).stdout.strip()
    print(f"wirefeed at commit {commit or '?'}{' (dedupe/ has uncommitted changes)' if dirty else ''}")
    corpora = ("own", "wire", "blind") if args.all else ("own", "wire") if args.both else (args.corpus,)
    for corpus in corpora:
        loaded = load(corpus, args.docs, args.seed)
        if loaded is None:
            return 2
        evaluate(*loaded, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
