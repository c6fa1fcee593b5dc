"""Score wirefeed's story clustering against two baselines on the labelled dedupe corpus.

Prints pairwise precision, recall, F1, adjusted Rand index and false merges by hard-negative kind for
wirefeed, brute-force rapidfuzz fuzz.ratio over all pairs and plain MinHash LSH (word 3-shingles with
a Jaccard check); both baselines get their best threshold from a sweep and the same greedy policy
(a document joins the story of its best earlier match above the threshold).

    python scripts/eval_dedupe.py --docs 1500
    python scripts/eval_dedupe.py --docs 1500 --sweep --no-baselines
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dedupe_corpus import Generator, Record, load_paragraphs

from dedupe.cluster import cluster_docs
from dedupe.model import Doc


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


def negative_kind(x: Record, y: Record) -> str:
    """Name the hard-negative kind of two documents of different stories."""
    if x.family is not None and x.family == y.family:
        return "template"
    if y.story == x.followup_of or x.story == y.followup_of or (x.followup_of and x.followup_of == y.followup_of):
        return "followup"
    if "footer" in x.edits and "footer" in y.edits and x.outlet == y.outlet:
        return "boilerplate"
    return "other"


def score(records: Sequence[Record], pred: Sequence[str]) -> Scores:
    """Compare predicted story labels with the gold ones."""
    gold = [r.story for r in records]
    tp = sum(_pairs(c) for c in Counter(zip(gold, pred, strict=True)).values())
    predicted = sum(_pairs(c) for c in Counter(pred).values())
    actual = sum(_pairs(c) for c in Counter(gold).values())
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    members: dict[str, list[Record]] = defaultdict(list)
    for record, label in zip(records, pred, strict=True):
        members[label].append(record)
    merges: Counter[str] = Counter()
    for group in members.values():
        for i, x in enumerate(group):
            for y in group[i + 1 :]:
                if x.story != y.story:
                    merges[negative_kind(x, y)] += 1
    return Scores(
        precision,
        recall,
        f1,
        adjusted_rand_index(gold, pred),
        dict(merges),
        len(members),
        max(len(g) for g in members.values()),
    )


def recall_by_edit(records: Sequence[Record], pred: Sequence[str]) -> dict[str, float]:
    """Return, per edit, the share of copies that landed in their story's first document's cluster."""
    first: dict[str, str] = {}
    hit: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for record, label in zip(records, pred, strict=True):
        if record.story not in first:
            first[record.story] = label
            continue
        for edit in record.edits or ["none"]:
            seen[edit] += 1
            hit[edit] += label == first[record.story]
    return {edit: hit[edit] / seen[edit] for edit in sorted(seen)}


def greedy(n: int, best_match: Callable[[int], tuple[int, float]], threshold: float) -> list[str]:
    """Assign each document to the story of its best earlier match at or above the threshold."""
    labels: list[str] = []
    for i in range(n):
        j, s = best_match(i)
        labels.append(labels[j] if j >= 0 and s >= threshold else f"c{i}")
    return labels


def brute_force(records: Sequence[Record], thresholds: Sequence[float]) -> tuple[float, Scores, float]:
    """Sweep fuzz.ratio thresholds over all earlier pairs; return (best threshold, scores, seconds)."""
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
    results = [
        (t, score(records, greedy(len(texts), lambda i: (int(best_j[i]), float(best_s[i])), t))) for t in thresholds
    ]
    t, s = max(results, key=lambda x: x[1].f1)
    return t, s, seconds


def minhash_lsh(records: Sequence[Record], thresholds: Sequence[float]) -> tuple[float, Scores, float]:
    """Sweep datasketch MinHashLSH thresholds with an exact Jaccard check; return the best."""
    from datasketch import MinHash, MinHashLSH

    started = time.perf_counter()
    shingles: list[set[bytes]] = []
    hashes: list[MinHash] = []
    for record in records:
        words = record.text.lower().split()
        grams = {" ".join(words[i : i + 3]).encode() for i in range(max(1, len(words) - 2))}
        m = MinHash(num_perm=128, seed=1)
        m.update_batch(list(grams))
        shingles.append(grams)
        hashes.append(m)
    results = []
    for t in thresholds:
        lsh = MinHashLSH(threshold=t, num_perm=128)
        best: list[tuple[int, float]] = []
        for i, m in enumerate(hashes):
            match = (-1, 0.0)
            for j in sorted(lsh.query(m)):
                jac = len(shingles[i] & shingles[j]) / len(shingles[i] | shingles[j])
                if jac > match[1]:
                    match = (j, jac)
            best.append(match)
            lsh.insert(i, m)
        results.append((t, score(records, greedy(len(records), lambda i, b=best: b[i], t))))  # type: ignore[misc]
    seconds = (time.perf_counter() - started) / len(thresholds)
    t, s = max(results, key=lambda x: x[1].f1)
    return t, s, seconds


def to_docs(records: Sequence[Record]) -> list[Doc]:
    """Convert corpus records into dedupe documents."""
    return [Doc(r.id, r.title, r.text, r.url, datetime.fromisoformat(r.published)) for r in records]


def run_wirefeed(records: Sequence[Record], **params: Any) -> tuple[Scores, list[str], float]:
    """Cluster with wirefeed; return scores, labels and seconds."""
    started = time.perf_counter()
    decisions = cluster_docs(to_docs(records), **params)
    seconds = time.perf_counter() - started
    labels = [d.cluster for d in decisions]
    return score(records, labels), labels, seconds


def line(name: str, s: Scores, extra: str) -> str:
    """Format one result row."""
    merges = ", ".join(f"{k}={v}" for k, v in sorted(s.false_merges.items())) or "none"
    return (
        f"{name:<28} P={s.precision:.4f} R={s.recall:.4f} F1={s.f1:.4f} ARI={s.ari:.4f} "
        f"clusters={s.clusters} largest={s.largest} false-merge pairs: {merges} {extra}"
    )


def main(argv: list[str] | None = None) -> int:
    """Generate the corpus, run the methods and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--corpus", type=Path, help="score this JSONL corpus instead of generating one")
    parser.add_argument("--sweep", action="store_true", help="sweep wirefeed's thresholds too")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--params", default="{}", help="JSON keyword arguments for Clusterer")
    args = parser.parse_args(argv)
    if args.corpus:
        records = [Record(**json.loads(x)) for x in args.corpus.read_text(encoding="utf-8").splitlines()]
    else:
        articles = load_paragraphs()
        if articles is None:
            print("skipped: ../shared/data/fundus-eval/ground_truth.json is absent", file=sys.stderr)
            return 0
        records = Generator(articles, args.seed, 1500).generate(args.docs)
    kinds = Counter(r.kind for r in records)
    print(f"corpus: {len(records)} docs, {len({r.story for r in records})} stories, {dict(kinds)}")
    params = json.loads(args.params)
    if args.sweep:
        for threshold in (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9):
            for penalty in (0.1, 0.15, 0.25):
                s, _, _ = run_wirefeed(records, **{**params, "threshold": threshold, "conflict_penalty": penalty})
                print(line(f"wirefeed t={threshold} pen={penalty}", s, ""))
    s, labels, seconds = run_wirefeed(records, **params)
    print(line("wirefeed (defaults)", s, f"{len(records) / seconds:.0f} docs/s"))
    print("  recall by edit:", ", ".join(f"{k}={v:.3f}" for k, v in recall_by_edit(records, labels).items()))
    if not args.no_baselines:
        grid = [x / 100 for x in range(30, 100, 5)]
        t, s, seconds = minhash_lsh(records, grid)
        print(line(f"MinHash LSH (best t={t})", s, f"{seconds:.1f}s per threshold"))
        t, s, seconds = brute_force(records, grid)
        print(line(f"fuzz.ratio all pairs (t={t})", s, f"{seconds:.1f}s"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
