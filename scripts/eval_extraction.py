"""Score wirefeed extraction and raw trafilatura against the fundus-eval human gold, same pages, one run.

Usage: python scripts/eval_extraction.py [--data DIR] [--show-worse] [--json OUT]

Metrics (both computed here, no new dependency):
- word-shingle P/R/F1 as in the ScrapingHub article-extraction-benchmark: lowercase \\w+ tokens,
  shingles of 4 tokens, multiset overlap; P and R are the means of the per-page values (macro) and
  F1 is their harmonic mean, as that benchmark reports it; micro figures (tp/fp/fn summed over
  pages) are printed beside them.
- ROUGE-LSum P/R/F1: summary-level LCS, paragraphs as sentences, union LCS per gold paragraph,
  tokens lowercased [a-z0-9]+ (rouge_score's tokenizer, no stemming); macro over pages.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import trafilatura
from rapidfuzz.distance import LCSseq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.extract.page import extract_page

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fundus-eval"
SHINGLE = 4
WORSE_POINTS = 0.02

_WORD = re.compile(r"\w+", re.UNICODE)
_ROUGE_TOKEN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Counts:
    """Shingle matches of one page: true positives, false positives, false negatives."""

    tp: int
    fp: int
    fn: int

    def prf(self) -> tuple[float, float, float]:
        """Return precision, recall and F1 (an empty prediction of an empty gold scores 1)."""
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else float(self.fn == 0)
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1


def shingles(text: str, n: int = SHINGLE) -> Counter[str]:
    """Return the multiset of n-token shingles of a text (short texts give one shorter shingle)."""
    tokens = _WORD.findall(text.lower())
    return Counter(" ".join(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens)


def shingle_counts(gold: str, predicted: str) -> Counts:
    """Compare the shingles of a prediction with the gold."""
    truth, guess = shingles(gold), shingles(predicted)
    tp = sum((truth & guess).values())
    return Counts(tp=tp, fp=sum(guess.values()) - tp, fn=sum(truth.values()) - tp)


def _rouge_tokens(text: str) -> list[str]:
    """Tokenise as rouge_score does: lowercase alphanumeric runs."""
    return _ROUGE_TOKEN.findall(text.lower())


def rouge_lsum(gold: Sequence[str], predicted: Sequence[str]) -> tuple[float, float, float]:
    """Return summary-level ROUGE-L (LSum) precision, recall, F1 with union LCS per gold sentence."""
    refs = [t for t in (_rouge_tokens(s) for s in gold) if t]
    cands = [t for t in (_rouge_tokens(s) for s in predicted) if t]
    ref_total, cand_total = sum(map(len, refs)), sum(map(len, cands))
    if not ref_total or not cands:
        return 0.0, 0.0, 0.0
    ref_left: Counter[str] = Counter(tok for r in refs for tok in r)
    cand_left: Counter[str] = Counter(tok for c in cands for tok in c)
    cand_sets = [set(c) for c in cands]
    hits = 0
    for ref in refs:
        ref_set = set(ref)
        union: set[int] = set()
        for cand, cand_set in zip(cands, cand_sets, strict=True):
            if ref_set.isdisjoint(cand_set):
                continue
            deleted = {op.src_pos for op in LCSseq.editops(ref, cand) if op.tag == "delete"}
            union.update(i for i in range(len(ref)) if i not in deleted)
        for i in sorted(union):
            token = ref[i]
            # Clip by what is left on both sides, as rouge_score does, so a token counts once.
            if ref_left[token] > 0 and cand_left[token] > 0:
                hits += 1
                ref_left[token] -= 1
                cand_left[token] -= 1
    precision, recall = hits / cand_total, hits / ref_total
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


@dataclass(frozen=True, slots=True)
class PageScore:
    """Scores of one system on one page."""

    counts: Counts
    rouge: tuple[float, float, float]
    seconds: float


def _score(gold: list[str], predicted: str, seconds: float) -> PageScore:
    """Score one prediction against the gold paragraphs."""
    paragraphs = [p for p in predicted.split("\n") if p.strip()]
    return PageScore(shingle_counts("\n".join(gold), predicted), rouge_lsum(gold, paragraphs), seconds)


def _raw(html: bytes, url: str) -> str:
    """Raw trafilatura with default options (deduplication off, as everywhere in wirefeed)."""
    return trafilatura.extract(html.decode("utf-8"), url=url, deduplicate=False) or ""


REMOVED: list[list[tuple[str, str]]] = []  # per page, in order: (removed block, reason)


def _wirefeed(html: bytes, url: str) -> str:
    """wirefeed's extraction: trafilatura plus cleaning (its removals kept for the false-removal count)."""
    extracted = extract_page(html, url=url)
    REMOVED.append([(r.text, r.why) for r in extracted.removed])
    return extracted.text


def _normal(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def false_removals(golds: Sequence[list[str]], removed: Sequence[list[tuple[str, str]]]) -> tuple[int, int, list[str]]:
    """(removed blocks of 3+ words, those found verbatim in the human gold, examples of the latter).

    A removal is false when the human gold keeps that text: cleaning cut body text. Blocks under three
    words ("AFP", "Getty Images") are left out: they match gold text by coincidence.
    """
    counted, false, examples = 0, 0, []
    for gold, blocks in zip(golds, removed, strict=True):
        body = _normal(" ".join(gold))
        for block, why in blocks:
            norm = _normal(block)
            if len(norm.split()) < 3:
                continue
            counted += 1
            if norm in body:
                false += 1
                examples.append(f"{why}: {block[:100]}")
    return counted, false, examples


def _summary(name: str, scores: list[PageScore]) -> dict[str, float]:
    """Print and return micro and macro figures for one system."""
    tp, fp, fn = (sum(getattr(s.counts, k) for s in scores) for k in ("tp", "fp", "fn"))
    micro = Counts(tp, fp, fn).prf()
    per_page = [s.counts.prf() for s in scores]
    macro_p, macro_r = (sum(v[i] for v in per_page) / len(per_page) for i in range(2))
    # The benchmark's F1 is the harmonic mean of the averaged precision and recall.
    bench_f1 = 2 * macro_p * macro_r / (macro_p + macro_r) if macro_p + macro_r else 0.0
    rouge = tuple(sum(s.rouge[i] for s in scores) / len(scores) for i in range(3))
    seconds = sum(s.seconds for s in scores)
    print(
        f"{name:<12} shingles P {macro_p:.3f} R {macro_r:.3f} F1 {bench_f1:.3f} "
        f"(micro P {micro[0]:.3f} R {micro[1]:.3f} F1 {micro[2]:.3f}) | "
        f"ROUGE-LSum P {rouge[0]:.3f} R {rouge[1]:.3f} F1 {rouge[2]:.3f} | {seconds:.1f}s"
    )
    return {"p": macro_p, "r": macro_r, "f1": bench_f1, "micro_p": micro[0], "micro_r": micro[1],
            "micro_f1": micro[2], "rouge_p": rouge[0], "rouge_r": rouge[1],
            "rouge_f1": rouge[2], "seconds": seconds}


def main(argv: Sequence[str] | None = None) -> int:
    """Run both systems over the gold pages and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", type=Path, help="write per-page and summary figures here")
    parser.add_argument("--show-worse", action="store_true", help="print every page where wirefeed loses")
    args = parser.parse_args(argv)
    truth_file = args.data / "ground_truth.json"
    if not truth_file.exists():
        print(f"skipped: no gold data at {args.data} (expected ../shared/data/fundus-eval)")
        return 0
    truth: dict[str, dict[str, object]] = json.loads(truth_file.read_text(encoding="utf-8"))
    systems: dict[str, Callable[[bytes, str], str]] = {"trafilatura": _raw, "wirefeed": _wirefeed}
    scores: dict[str, list[PageScore]] = {name: [] for name in systems}
    names = sorted(truth)
    golds: list[list[str]] = []
    for name in names:
        html = gzip.decompress((args.data / "html" / name).read_bytes())
        entry = truth[name]
        gold = [str(p) for p in entry["body"]]  # type: ignore[attr-defined]
        golds.append(gold)
        for system, run in systems.items():
            start = time.perf_counter()
            text = run(html, str(entry["url"]))
            scores[system].append(_score(gold, text, time.perf_counter() - start))
    print(f"{len(names)} pages from {args.data}")
    summary = {system: _summary(system, pages) for system, pages in scores.items()}
    worse = []
    for index, name in enumerate(names):
        raw_f1 = scores["trafilatura"][index].counts.prf()[2]
        ours_f1 = scores["wirefeed"][index].counts.prf()[2]
        if ours_f1 < raw_f1:
            worse.append((raw_f1 - ours_f1, name, raw_f1, ours_f1))
    worse.sort(reverse=True)
    beyond = [w for w in worse if w[0] > WORSE_POINTS]
    points = WORSE_POINTS * 100
    print(f"pages where wirefeed is worse: {len(worse)} (more than {points:.0f} points: {len(beyond)})")
    for delta, name, raw_f1, ours_f1 in worse if args.show_worse else beyond:
        print(f"  {name:<28} trafilatura F1 {raw_f1:.3f}  wirefeed F1 {ours_f1:.3f}  (-{delta * 100:.1f})")
    counted, false, examples = false_removals(golds, REMOVED)
    print(f"false removals: {false} of the {counted} blocks of 3+ words that cleaning removed appear in the "
          "human gold")
    for example in examples:
        print(f"  {example}")
    if args.json:
        pages = {
            name: {system: scores[system][i].counts.prf()[2] for system in systems}
            for i, name in enumerate(names)
        }
        args.json.write_text(json.dumps({"summary": summary, "pages": pages}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
