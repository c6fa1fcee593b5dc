"""Score wirefeed extraction and raw trafilatura on both shared evaluation sets, same pages, one run.

Usage: python scripts/eval_extraction.py [--set both|fundus|trafilatura] [--jobs N] [--limit N]
           [--show-worse] [--show-lost] [--json OUT] [--texts OUT] [--data DIR] [--trafilatura-data DIR]

--texts writes every page's extract_page text: a change meant to keep the texts (a faster rule) is
checked with `cmp` of two runs' files, one before the change and one after.

Sets (../shared/data, see its README.md):
- fundus-eval: 80 English news pages with the human gold paragraphs. Metrics: word-shingle P/R/F1 as
  in the ScrapingHub article-extraction-benchmark (lowercase \\w+ tokens, 4-token shingles, multiset
  overlap; P and R are per-page means and F1 their harmonic mean, micro figures beside them) and
  ROUGE-LSum (summary-level union LCS, paragraphs as sentences, rouge_score's tokenizer, no stemming).
- trafilatura-eval: 990 pages in many languages with, per page, sentences the text must contain
  (`with`) and boilerplate it must not (`without`). Scored as trafilatura's own evaluation scores it:
  whitespace-normalised substring search, a `with` sentence found is a true positive, missed a false
  negative, a `without` sentence found a false positive; P, R and F1 over the summed counts.

For every page both systems run in the same worker, one after the other (the order alternates), and
their CPU time is measured there: the CPU comparison is raw `trafilatura.extract` against
`extract_page`, page by page, in the same run. Pages are spread over --jobs processes.

Printed: per-set and per-language tables, CPU, the pages more than 2 points worse than raw, and every
page where wirefeed loses a `with` sentence that raw trafilatura keeps, with the cause: the removed
block and its reason (`cleaning:photo_caption` ...), `fast_path` (trafilatura's full cascade would
have kept it), `trafilatura_options` (our trafilatura options or decoding drop it) or `across_blocks`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import trafilatura
from rapidfuzz.distance import LCSseq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ingest.extract.page as page_module
from ingest.extract.page import TRAFILATURA_OPTIONS, Extracted, extract_page
from ingest.fetch.charset import decode_html

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DATA = SHARED / "fundus-eval"
TRAFILATURA_DATA = SHARED / "trafilatura-eval"
SHINGLE = 4
WORSE_POINTS = 0.02

_WORD = re.compile(r"\w+", re.UNICODE)
_ROUGE_TOKEN = re.compile(r"[a-z0-9]+")
_SPACE = re.compile(r"\s+")


# ---------------------------------------------------------------------------------------------- metrics


@dataclass(frozen=True, slots=True)
class Counts:
    """Matches of one page: true positives, false positives, false negatives."""

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


def norm(text: str) -> str:
    """Whitespace-normalise as trafilatura's evaluation does (so line breaks cost nothing)."""
    return _SPACE.sub(" ", text).strip()


def snippet_counts(item: dict[str, Any], text: str) -> Counts:
    """trafilatura's scoring of one page: `with` found = TP, missed = FN; `without` found = FP."""
    found = norm(text)
    tp = sum(1 for s in item["with"] if norm(s) in found)
    fp = sum(1 for s in item["without"] if norm(s) in found)
    return Counts(tp=tp, fp=fp, fn=len(item["with"]) - tp)


# ------------------------------------------------------------------------------------------- languages

# The most frequent short words of the languages of both sets: enough to name a page's language when
# it declares none (or declares its template's default).
_STOPWORDS = {
    "en": "the and of to in is that for it with was on are be this by as have from",
    "de": "der die und das ist nicht ein eine den zu mit sich auf für von dem auch im des",
    "fr": "le la les et des est une pour dans que qui pas sur du au avec en ce sont",
    "es": "el la los las que del por una con para es se no lo como más pero sus",
    "pl": "i w nie na się z do że to jest o jak po od za przez są jego ale",
    "it": "il di che la per non una sono gli della con del le si come anche nel",
    "pt": "o de que não da em um para com uma os do se por mais as dos como",
    "nl": "de het een van en is dat op te niet met voor zijn er ook aan",
    "cs": "a je se na v že to s z do jsou by jako ale pro o jeho",
    "ru": "и в не на что с по это как он к из за от",
    "tr": "ve bir bu da de için ile olarak çok daha gibi ama",
    "sv": "och att det som en på är av för med till den har inte",
}
_STOP_SETS = {lang: frozenset(words.split()) for lang, words in _STOPWORDS.items()}
_SCRIPTS = (("ja", re.compile(r"[\u3040-\u30ff]")), ("ko", re.compile(r"[\uac00-\ud7af]")),
            ("zh", re.compile(r"[\u4e00-\u9fff]")), ("ru", re.compile(r"[\u0400-\u04ff]")),
            ("el", re.compile(r"[\u0370-\u03ff]")), ("ar", re.compile(r"[\u0600-\u06ff]")),
            ("th", re.compile(r"[\u0e00-\u0e7f]")))
MIN_STOPWORD_HITS = 8


def guess_language(text: str, declared: str | None) -> str:
    """Name a text's language: by script, else by its most frequent short words, else as declared."""
    sample = text[:3000]
    for lang, pattern in _SCRIPTS:
        if len(pattern.findall(sample)) >= 20:
            return lang
    words = Counter(w for w in _WORD.findall(sample.lower()))
    hits = {lang: sum(words[w] for w in stops) for lang, stops in _STOP_SETS.items()}
    best = max(hits, key=lambda lang: hits[lang])
    if hits[best] >= MIN_STOPWORD_HITS:
        return best
    return declared or "?"


# ------------------------------------------------------------------------------------------- one page


@dataclass(frozen=True, slots=True)
class Task:
    """One page to run: which set, its key, file, URL and gold (paragraphs or with/without)."""

    dataset: str
    key: str
    path: str
    url: str
    gold: Any
    index: int


@dataclass
class Lost:
    """A `with` sentence raw trafilatura keeps and wirefeed loses, and what removed it."""

    sentence: str
    cause: str
    block: str = ""


@dataclass
class PageResult:
    """Both systems' scores on one page, their CPU time, the language, and what cleaning removed."""

    dataset: str
    key: str
    language: str
    raw: Counts
    ours: Counts
    raw_cpu: float
    ours_cpu: float
    raw_rouge: tuple[float, float, float] = (0.0, 0.0, 0.0)
    ours_rouge: tuple[float, float, float] = (0.0, 0.0, 0.0)
    removed: list[tuple[str, str]] = field(default_factory=list)
    lost: list[Lost] = field(default_factory=list)
    titled: Counts = Counts(0, 0, 0)  # wirefeed's title and text together, as `wirefeed extract --json` gives them
    cascade: bool = False
    text: str = ""  # extract_page's text, for --texts (not in --json)


def raw_extract(source: bytes | str, url: str) -> str:
    """The baseline: raw trafilatura with default options (deduplication off, as everywhere in wirefeed)."""
    return trafilatura.extract(source, url=url, deduplicate=False) or ""


def _raw(html: bytes, url: str, dataset: str) -> str:
    """The baseline on a page of one of the sets, decoded as that set needs."""
    # fundus-eval is UTF-8; trafilatura-eval is in many encodings, which trafilatura decodes itself.
    return raw_extract(html.decode("utf-8") if dataset == "fundus" else html, url)


def _timed_runs(html: bytes, task: Task) -> tuple[str, float, Extracted, float]:
    """Run both systems on a page, alternating which goes first, and time each one's CPU."""
    results: dict[str, tuple[Any, float]] = {}
    order = ("raw", "ours") if task.index % 2 == 0 else ("ours", "raw")
    for system in order:
        start = time.process_time()
        out: Any = _raw(html, task.url, task.dataset) if system == "raw" else extract_page(html, url=task.url)
        results[system] = (out, time.process_time() - start)
    return results["raw"][0], results["raw"][1], results["ours"][0], results["ours"][1]


def _our_trafilatura(html: bytes, url: str, *, fast: bool) -> str:
    """trafilatura with wirefeed's options on wirefeed's decoding: the text before cleaning."""
    text = trafilatura.extract(decode_html(html), url=url, fast=fast, **TRAFILATURA_OPTIONS)
    return norm(text or "")


def attribute(sentences: Iterable[str], html: bytes, url: str, extracted: Extracted) -> list[Lost]:
    """Say why each lost sentence is missing: a removed block (and its reason), or trafilatura's run."""
    lost: list[Lost] = []
    texts: dict[bool, str] = {}
    for sentence in sentences:
        wanted = norm(sentence)
        block = next((r for r in extracted.removed if wanted in norm(r.text)), None)
        if block is not None and block.why == "title_repeated" and wanted in norm(extracted.title or ""):
            lost.append(Lost(sentence, "moved_to_title", block.text))  # the headline, returned as the title
            continue
        if block is not None:
            lost.append(Lost(sentence, f"cleaning:{block.why}", block.text))
            continue
        for fast in (True, False):
            if fast not in texts:
                texts[fast] = _our_trafilatura(html, url, fast=fast)
        if wanted in texts[True]:
            lost.append(Lost(sentence, "across_blocks"))  # in trafilatura's text, split over removed blocks
        elif wanted in texts[False]:
            lost.append(Lost(sentence, "fast_path"))
        else:
            lost.append(Lost(sentence, "trafilatura_options"))
    return lost


def run_page(task: Task) -> PageResult:
    """Run and score both systems on one page (in a worker process)."""
    html = gzip.decompress(Path(task.path).read_bytes())
    raw_text, raw_cpu, extracted, ours_cpu = _timed_runs(html, task)
    ours_text = extracted.text
    language = guess_language(raw_text or ours_text, extracted.language)
    result = PageResult(
        dataset=task.dataset, key=task.key, language=language, raw=Counts(0, 0, 0), ours=Counts(0, 0, 0),
        raw_cpu=raw_cpu, ours_cpu=ours_cpu, removed=[(r.text, r.why) for r in extracted.removed],
        cascade=_took_cascade(extracted), text=ours_text,
    )
    if task.dataset == "fundus":
        gold = "\n".join(task.gold)
        result.raw, result.ours = shingle_counts(gold, raw_text), shingle_counts(gold, ours_text)
        result.raw_rouge = rouge_lsum(task.gold, [p for p in raw_text.split("\n") if p.strip()])
        result.ours_rouge = rouge_lsum(task.gold, [p for p in ours_text.split("\n") if p.strip()])
        return result
    result.raw, result.ours = snippet_counts(task.gold, raw_text), snippet_counts(task.gold, ours_text)
    result.titled = snippet_counts(task.gold, f"{extracted.title or ''}\n{ours_text}")
    raw_norm, ours_norm = norm(raw_text), norm(ours_text)
    missing = [s for s in task.gold["with"] if norm(s) in raw_norm and norm(s) not in ours_norm]
    if missing:
        result.lost = attribute(missing, html, task.url, extracted)
    return result


def _took_cascade(extracted: Extracted) -> bool:
    """Tell (about: from the kept and removed text) whether the page took trafilatura's full cascade."""
    threshold = page_module.FULL_CASCADE_BELOW_CHARS
    before = len(extracted.text) + sum(len(r.text) + 1 for r in extracted.removed)
    return threshold is None or before < threshold


# ------------------------------------------------------------------------------------------- the sets


def load_tasks(dataset: str, data: Path, limit: int | None) -> list[Task]:
    """Return the pages of one set (evenly spread when limited), or none when the data is absent."""
    truth_file = data / "ground_truth.json"
    if not truth_file.exists():
        print(f"skipped {dataset}: no gold data at {data}")
        return []
    truth: dict[str, dict[str, Any]] = json.loads(truth_file.read_text(encoding="utf-8"))
    keys = sorted(truth)
    if limit is not None and limit < len(keys):
        step = len(keys) / limit
        keys = [keys[int(i * step)] for i in range(limit)]
    tasks = []
    for index, key in enumerate(keys):
        entry = truth[key]
        name = key if dataset == "fundus" else f"{key}.html.gz"
        gold: Any = [str(p) for p in entry["body"]] if dataset == "fundus" else entry
        tasks.append(Task(dataset, key, str(data / "html" / name), str(entry["url"]), gold, index))
    return tasks


_WARM_PAGE = (
    b"<html><head><title>Warm</title></head><body><article><h1>Warm up</h1>"
    + b"<p>A paragraph long enough to be kept by the extractor, with a few more words in it.</p>" * 20
    + b"</article></body></html>"
)


def warm_up(full_cascade_below: str | None = None) -> None:
    """Pay the lazy imports and first-call costs of both systems before any page is timed."""
    if full_cascade_below is not None:  # a variant of the fast-path rule, to compare (--full-cascade-below)
        page_module.FULL_CASCADE_BELOW_CHARS = None if full_cascade_below == "always" else int(full_cascade_below)
    for fast_text in (True, False):
        trafilatura.extract(_WARM_PAGE, deduplicate=False, fast=fast_text)
    extract_page(_WARM_PAGE, url="https://warm.example/a/b")


def run_all(tasks: Sequence[Task], jobs: int, full_cascade_below: str | None = None) -> list[PageResult]:
    """Run every page, in --jobs worker processes (1: in this process)."""
    if jobs <= 1:
        warm_up(full_cascade_below)
        return [run_page(task) for task in tasks]
    # Largest pages first, one at a time, so a big page drawn last does not leave a worker idle.
    ordered = sorted(tasks, key=lambda t: os.path.getsize(t.path), reverse=True)
    with ProcessPoolExecutor(max_workers=jobs, initializer=warm_up, initargs=(full_cascade_below,)) as pool:
        results = list(pool.map(run_page, ordered, chunksize=1))
    position = {(t.dataset, t.key): i for i, t in enumerate(tasks)}
    return sorted(results, key=lambda r: position[(r.dataset, r.key)])


# ------------------------------------------------------------------------------------------- reports


def _snippet_row(pages: Sequence[PageResult], system: str) -> tuple[float, float, float]:
    """Micro P, R, F1 of a system over pages (trafilatura's evaluation sums the counts)."""
    tp, fp, fn = (sum(getattr(getattr(p, system), k) for p in pages) for k in ("tp", "fp", "fn"))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return precision, recall, f1


def macro_prf(counts: Sequence[Counts]) -> tuple[float, float, float]:
    """Macro P and R (per-page means) and their harmonic mean, as the ScrapingHub benchmark reports."""
    per_page = [c.prf() for c in counts]
    precision, recall = (sum(v[i] for v in per_page) / len(per_page) for i in range(2))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def micro_prf(counts: Sequence[Counts]) -> tuple[float, float, float]:
    """P, R and F1 of the pages' counts summed."""
    return Counts(*(sum(getattr(c, k) for c in counts) for k in ("tp", "fp", "fn"))).prf()


def _shingle_row(pages: Sequence[PageResult], system: str) -> tuple[float, float, float]:
    """Macro shingle P, R, F1 of a system over pages."""
    return macro_prf([getattr(p, system) for p in pages])


def losing(page: PageResult) -> bool:
    """Tell whether a page loses a `with` sentence raw keeps (a headline kept in the title is not lost)."""
    return any(lost.cause != "moved_to_title" for lost in page.lost)


def page_f1(page: PageResult, system: str) -> float:
    """One page's F1 for a system (trafilatura-eval: 2TP / (2TP + FP + FN); fundus: shingle F1)."""
    counts: Counts = getattr(page, system)
    if page.dataset == "fundus":
        return counts.prf()[2]
    total = 2 * counts.tp + counts.fp + counts.fn
    return 2 * counts.tp / total if total else 1.0


def worse_pages(pages: Sequence[PageResult]) -> list[tuple[float, PageResult]]:
    """Pages where wirefeed's F1 is below raw trafilatura's, worst first."""
    worse = [(page_f1(p, "raw") - page_f1(p, "ours"), p) for p in pages]
    return sorted([w for w in worse if w[0] > 1e-9], key=lambda w: (-w[0], w[1].key))


def language_table(pages: Sequence[PageResult]) -> list[dict[str, Any]]:
    """Per-language rows (the whole set first): both systems' P/R/F1, pages losing or worse."""
    row_of = _shingle_row if pages and pages[0].dataset == "fundus" else _snippet_row
    groups: dict[str, list[PageResult]] = defaultdict(list)
    for page in pages:
        groups[page.language].append(page)
    ordered = [("all", list(pages)), *sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
    rows = []
    for name, group in ordered:
        worse = worse_pages(group)
        rows.append({
            "language": name, "pages": len(group), "raw": row_of(group, "raw"), "ours": row_of(group, "ours"),
            "losing": sum(1 for p in group if losing(p)),
            "worse": len(worse), "worse_2pts": sum(1 for w in worse if w[0] > WORSE_POINTS),
        })
    return rows


def print_table(title: str, rows: Sequence[dict[str, Any]], min_pages: int) -> None:
    """Print per-language rows (languages with fewer pages are summed into "other")."""
    print(title)
    print(f"  {'language':<9}{'pages':>6} | {'raw P':>6} {'R':>6} {'F1':>6} | {'ours P':>6} {'R':>6} {'F1':>6} |"
          f" {'dF1':>6} | losing a with | worse (>2 pts)")
    for row in rows:
        if row["pages"] < min_pages and row["language"] != "all":
            continue
        raw, ours = row["raw"], row["ours"]
        print(f"  {row['language']:<9}{row['pages']:>6} | {raw[0]:6.3f} {raw[1]:6.3f} {raw[2]:6.3f} | "
              f"{ours[0]:6.3f} {ours[1]:6.3f} {ours[2]:6.3f} | {ours[2] - raw[2]:+6.3f} | {row['losing']:>13} |"
              f" {row['worse']} ({row['worse_2pts']})")
    small = [r for r in rows if r["pages"] < min_pages and r["language"] != "all"]
    if small:
        listed = ", ".join(f"{r['language']} {r['pages']}" for r in small)
        print(f"  languages under {min_pages} pages (in 'all'): {listed}")


def false_removals(pages: Sequence[PageResult], golds: dict[str, list[str]]) -> tuple[int, list[str]]:
    """Removed blocks of 3+ words on fundus-eval, and those found verbatim in the human gold."""
    counted, examples = 0, []
    for page in pages:
        body = " ".join(_WORD.findall(" ".join(golds[page.key]).lower()))
        for block, why in page.removed:
            words = " ".join(_WORD.findall(block.lower()))
            if len(words.split()) < 3:
                continue
            counted += 1
            if words in body:
                examples.append(f"{page.key} {why}: {block[:100]}")
    return counted, examples


def print_cpu(pages: Sequence[PageResult]) -> dict[str, float]:
    """Print the CPU time of both systems over the same pages, measured page by page in the same run."""
    raw, ours = sum(p.raw_cpu for p in pages), sum(p.ours_cpu for p in pages)
    cascade = sum(1 for p in pages if p.cascade)
    print(f"CPU over {len(pages)} pages: raw trafilatura.extract {raw:.1f}s, wirefeed extract_page {ours:.1f}s "
          f"({(ours / raw - 1) * 100:+.1f}%; limit +15%); about {cascade} pages took the full cascade")
    return {"raw_cpu": raw, "ours_cpu": ours, "ratio": ours / raw if raw else 0.0}


def print_lost(pages: Sequence[PageResult], show: bool) -> dict[str, int]:
    """Print the pages where wirefeed loses a `with` sentence raw trafilatura keeps, and why."""
    listed = [p for p in pages if p.lost]
    causes = Counter(lost.cause for p in listed for lost in p.lost)
    moved = sum(1 for p in listed if not losing(p))
    print(f"pages losing a `with` sentence raw trafilatura keeps: {len(listed) - moved} (and {moved} whose only "
          "missing sentence is the headline, returned in `title`); sentences by cause: "
          + ", ".join(f"{c} {n}" for c, n in causes.most_common()))
    if show:
        for page in listed:
            for lost in page.lost:
                print(f"  {page.key} [{page.language}] {lost.cause}: {lost.sentence[:90]!r}")
                if lost.block:
                    print(f"      removed block: {lost.block[:160]!r}")
    return dict(causes)


def print_worse(pages: Sequence[PageResult], show_all: bool) -> None:
    """Print the pages where wirefeed is worse than raw trafilatura (all, or those by > 2 points)."""
    worse = worse_pages(pages)
    beyond = [w for w in worse if w[0] > WORSE_POINTS]
    print(f"pages where wirefeed is worse than raw: {len(worse)} (more than {WORSE_POINTS * 100:.0f} points: "
          f"{len(beyond)})")
    for delta, page in worse if show_all else beyond:
        print(f"  {page.key:<28} [{page.language}] raw F1 {page_f1(page, 'raw'):.3f} "
              f"wirefeed F1 {page_f1(page, 'ours'):.3f} (-{delta * 100:.1f})")


def report_fundus(pages: Sequence[PageResult], golds: dict[str, list[str]], show_worse: bool) -> dict[str, Any]:
    """Print the fundus-eval figures: shingles (macro and micro) and ROUGE-LSum, per language."""
    summary: dict[str, Any] = {}
    for system, name in (("raw", "trafilatura"), ("ours", "wirefeed")):
        p, r, f1 = _shingle_row(pages, system)
        micro = micro_prf([getattr(x, system) for x in pages])
        rouge = tuple(sum(getattr(x, f"{system}_rouge")[i] for x in pages) / len(pages) for i in range(3))
        print(f"  {name:<12} shingles P {p:.3f} R {r:.3f} F1 {f1:.3f} (micro P {micro[0]:.3f} R {micro[1]:.3f} "
              f"F1 {micro[2]:.3f}) | ROUGE-LSum P {rouge[0]:.3f} R {rouge[1]:.3f} F1 {rouge[2]:.3f}")
        summary[system] = {"p": p, "r": r, "f1": f1, "micro_f1": micro[2], "rouge_f1": rouge[2]}
    rows = language_table(pages)
    print_table("  per language (shingle P/R/F1):", rows, 1)
    print_worse(pages, show_worse)
    counted, examples = false_removals(pages, golds)
    print(f"false removals: {len(examples)} of the {counted} blocks of 3+ words that cleaning removed appear "
          "in the human gold")
    for example in examples:
        print(f"  {example}")
    summary["languages"] = rows
    return summary


def report_snippets(pages: Sequence[PageResult], show_worse: bool, show_lost: bool) -> dict[str, Any]:
    """Print the trafilatura-eval figures: snippet P/R/F1 per language, worse pages, lost sentences."""
    rows = language_table(pages)
    print_table("  per language (snippets, summed counts):", rows, 5)
    raw, ours = rows[0]["raw"], rows[0]["ours"]
    print(f"target: F1 {ours[2]:.3f} >= raw {raw[2]:.3f} + 0.03 = {raw[2] + 0.03:.3f}: "
          f"{'met' if ours[2] >= raw[2] + 0.03 else 'NOT met'}; recall {ours[1]:.3f} >= raw {raw[1]:.3f}: "
          f"{'met' if ours[1] >= raw[1] else 'NOT met'}")
    titled = _snippet_row(pages, "titled")
    print(f"  wirefeed title + text (what `wirefeed extract --json` returns): P {titled[0]:.3f} R {titled[1]:.3f} "
          f"F1 {titled[2]:.3f}")
    print_worse(pages, show_worse)
    causes = print_lost(pages, show_lost)
    return {"languages": rows, "lost_causes": causes, "title_and_text": titled}


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--set", choices=("both", "fundus", "trafilatura"), default="both")
    parser.add_argument("--data", type=Path, default=DATA, help="fundus-eval folder")
    parser.add_argument("--trafilatura-data", type=Path, default=TRAFILATURA_DATA, help="trafilatura-eval folder")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: CPUs)")
    parser.add_argument("--limit", type=int, help="at most this many pages of each set, evenly spread")
    parser.add_argument("--full-cascade-below", metavar="CHARS|always",
                        help="variant: run trafilatura's full cascade when the fast text is shorter than this")
    parser.add_argument("--json", type=Path, help="write per-page and summary figures here")
    parser.add_argument("--texts", type=Path,
                        help="write each page's extract_page text here (JSON), to diff two versions' outputs")
    parser.add_argument("--show-worse", action="store_true", help="print every page where wirefeed loses")
    parser.add_argument("--show-lost", action="store_true", help="print each lost `with` sentence and its block")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run both systems over the selected sets and print the comparison."""
    args = _arguments(argv)
    tasks: list[Task] = []
    if args.set in {"both", "fundus"}:
        tasks += load_tasks("fundus", args.data, args.limit)
    if args.set in {"both", "trafilatura"}:
        tasks += load_tasks("trafilatura", args.trafilatura_data, args.limit)
    if not tasks:
        return 0
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{len(tasks)} pages, {args.jobs} jobs, {os.cpu_count()} CPUs, load average {load}, "
          f"trafilatura {trafilatura.__version__}")
    start = time.perf_counter()
    results = run_all(tasks, args.jobs, args.full_cascade_below)
    summary: dict[str, Any] = {}
    golds = {t.key: t.gold for t in tasks if t.dataset == "fundus"}
    for dataset, title in (("fundus", "fundus-eval"), ("trafilatura", "trafilatura-eval")):
        pages = [r for r in results if r.dataset == dataset]
        if not pages:
            continue
        print(f"\n== {title}: {len(pages)} pages ==")
        if dataset == "fundus":
            summary[title] = report_fundus(pages, golds, args.show_worse)
        else:
            summary[title] = report_snippets(pages, args.show_worse, args.show_lost)
        summary[title]["cpu"] = print_cpu(pages)
    print()
    summary["cpu"] = print_cpu(results)
    print(f"wall {time.perf_counter() - start:.0f}s")
    if args.json:
        # "pages" and the summary's "trafilatura"/"wirefeed" keep the fundus-eval fields of earlier versions.
        fundus = summary.get("fundus-eval", {})
        summary.update({"trafilatura": fundus.get("raw", {}), "wirefeed": fundus.get("ours", {})})
        f1s = {r.key: {"trafilatura": page_f1(r, "raw"), "wirefeed": page_f1(r, "ours")}
               for r in results if r.dataset == "fundus"}
        rows = [{k: v for k, v in asdict(r).items() if k != "text"} for r in results]
        payload = {"summary": summary, "pages": f1s, "page_results": rows}
        args.json.write_text(json.dumps(payload, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    if args.texts:
        texts = {f"{r.dataset}/{r.key}": r.text for r in results}
        args.texts.write_text(json.dumps(texts, indent=0, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
