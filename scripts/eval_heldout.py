"""Held-out extraction check: raw trafilatura and wirefeed on the real news pages of newspaper4k's sdist.

Usage: python scripts/eval_heldout.py [--sdist FILE] [--cache DIR] [--json OUT] [--show-lost] [--rounds N]

newspaper4k's source distribution (MIT licence) ships real news pages (tests/data/html/*.html: CNN, Wired,
Time, Fox13, cleveland.com, and Arabic, Chinese, Japanese, Thai, Burmese, Latvian, Spanish ones...) with the
article text its tests expect beside most of them (tests/data/txt/*.txt). Those texts are newspaper4k's own
output as checked by its maintainers, not human gold: they keep what newspaper4k keeps ("Read more: ..."
lines, related links, follow prompts), which wirefeed removes by design. The set is held out: wirefeed's
cleaning rules were tuned on fundus-eval and trafilatura-eval, never on these pages, and are not to be
changed to fit them (docs/decisions.md). It is for reporting only.

The sdist is fetched with `pip download` into --cache (default ~/.cache/wirefeed/heldout) unless --sdist
names one. Each html page is paired with the txt of the same name; pages without one (site front pages,
meta-refresh stubs, an RSS file) and pages whose HTML repeats an earlier page byte for byte are skipped and
listed. Both systems run on the page's bytes in this process, one after the other (the order alternates),
with their CPU time measured around each call; every page is run --rounds times (default 3): the scores
are the first run's (both systems are deterministic), the CPU is given for the first run, where the one
that goes first on a page pays the first use of its language (justext's stoplist), and for the later ones.
Scoring is eval_extraction's fundus-eval scorer (lowercase \\w+ tokens, 4-token shingles, multiset
overlap), imported from there: macro P and R are per-page means and F1 their harmonic mean; micro figures
sum the counts. In scripts written without spaces (Chinese, Japanese, Thai, Burmese) a \\w+ token is a run
of letters between punctuation or combining marks, so those pages are scored coarsely (the same way for
both systems).

A page on which wirefeed crashes or returns an empty text is scored as such (that page alone) and its
exception recorded.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

# The repository (for ingest) and this folder (for eval_extraction, whose scorer is reused, not copied).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import trafilatura
from eval_extraction import (
    Counts,
    Lost,
    PageResult,
    attribute,
    guess_language,
    macro_prf,
    micro_prf,
    norm,
    raw_extract,
    shingle_counts,
    warm_up,
)

from ingest.extract.page import Extracted, extract_page

REQUIREMENT = "newspaper4k==0.9.6"
SDIST_NAME = "newspaper4k-0.9.6.tar.gz"
# The sdist measured when this script was written (pip download, 2026-12-03): a different file is reported.
SDIST_SHA256 = "a3f2f0e017dddb6f1019ee77aaa8980e13e6ecea0b949abc7167aae4770d2d0e"
CACHE = Path.home() / ".cache" / "wirefeed" / "heldout"
PIP_DOWNLOAD = (sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", REQUIREMENT)
DATA_DIR = re.compile(r"^[^/]+/tests/data/(html|txt|metadata)/([^/]+)\.(html|txt|json)$")
TEST_SOURCE = re.compile(r"^[^/]+/tests/.+\.py$")
WORSE_POINTS = 0.02

T = TypeVar("T")


class HeldoutError(Exception):
    """The held-out set cannot be had: no tarball given or cached, and pip download failed."""


# ------------------------------------------------------------------------------------------- the sdist


def fetch_sdist(cache: Path, sdist: Path | None, pip: Sequence[str] = PIP_DOWNLOAD) -> Path:
    """Return the sdist to read: --sdist when given, else the cached one, else one pip downloads into cache."""
    if sdist is not None:
        if not sdist.is_file():
            raise HeldoutError(f"--sdist {sdist}: no such file")
        return sdist
    cached = cache / SDIST_NAME
    if cached.is_file():
        return cached
    cache.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([*pip, "-d", str(cache)], capture_output=True, text=True, check=False)
    if cached.is_file():
        return cached
    last = (done.stderr.strip().splitlines() or ["no output"])[-1]
    raise HeldoutError(
        f"pip download of {REQUIREMENT} into {cache} failed (exit {done.returncode}: {last}); "
        f"pass the tarball with --sdist FILE"
    )


def sha256(path: Path) -> str:
    """Return a file's SHA-256 in hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True, slots=True)
class Page:
    """One html page with its expected text, its URL and language when newspaper4k gives them."""

    key: str
    html: bytes
    expected: str
    url: str | None
    language: str | None
    tested: bool  # named in newspaper4k's test sources (its text is asserted, or its page used, by a test)


@dataclass
class Pairing:
    """The pages to score, the html pages skipped (with the reason) and the texts without a page."""

    pages: list[Page] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    text_only: list[str] = field(default_factory=list)


def read_sdist(path: Path) -> Pairing:
    """Read the test pages, texts, metadata and test sources of an sdist (nothing is extracted to disk)."""
    files: dict[str, dict[str, bytes]] = {"html": {}, "txt": {}, "metadata": {}}
    sources: list[str] = []
    try:
        with tarfile.open(path) as tar:
            for member in tar:
                data_match, is_test = DATA_DIR.match(member.name), TEST_SOURCE.match(member.name)
                if not member.isfile() or not (data_match or is_test):
                    continue
                handle = tar.extractfile(member)
                content = handle.read() if handle is not None else b""
                if data_match:
                    files[data_match.group(1)][data_match.group(2)] = content
                else:
                    sources.append(content.decode("utf-8", "replace"))
    except (tarfile.TarError, OSError) as exc:
        raise HeldoutError(f"{path}: not a readable tarball ({exc})") from exc
    return pair_pages(files, "\n".join(sources))


def pair_pages(files: dict[str, dict[str, bytes]], tests: str) -> Pairing:
    """Pair each html page with its expected text (by name); list what cannot be paired and repeats."""
    pairing = Pairing()
    seen: dict[bytes, str] = {}
    for key in sorted(files["html"]):
        html = files["html"][key]
        if key not in files["txt"]:
            pairing.skipped.append((key, "no expected text"))
            continue
        digest = hashlib.sha256(html).digest()
        if digest in seen:
            pairing.skipped.append((key, f"same HTML as {seen[digest]}"))
            continue
        seen[digest] = key
        meta = _metadata(files["metadata"].get(key))
        pairing.pages.append(Page(
            key=key, html=html, expected=files["txt"][key].decode("utf-8"),
            url=_url(key, meta, tests), language=meta.get("language") or None,
            tested=f'"{key}"' in tests or f"'{key}'" in tests,
        ))
    pairing.text_only = sorted(set(files["txt"]) - set(files["html"]))
    return pairing


def _metadata(raw: bytes | None) -> dict[str, Any]:
    """A page's metadata json as newspaper4k stores it (empty when absent or unreadable)."""
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _url(key: str, meta: dict[str, Any], tests: str) -> str | None:
    """The page's URL: its metadata's, else the one a newspaper4k test gives beside its name, else none."""
    for value in (meta.get("url"), meta.get("canonical_link")):
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return value
    found = re.search(rf"""["']{re.escape(key)}["'],\s*["'](https?://[^"']+)["']""", tests)
    return found.group(1) if found else None


# ------------------------------------------------------------------------------------------- one page


@dataclass
class PageScore:
    """Both systems on one page: eval_extraction's result row, and how each call ended."""

    result: PageResult
    script: str
    url: str | None
    tested: bool
    expected_chars: int
    raw_chars: int
    raw_error: str = ""
    ours_error: str = ""
    later_cpu: tuple[float, float] = (0.0, 0.0)  # mean CPU of raw and of ours over the later --rounds

    @property
    def ours_status(self) -> str:
        """'crashed', 'empty' or 'ok' for wirefeed's call."""
        return "crashed" if self.ours_error else "empty" if not self.result.text.strip() else "ok"


def timed(call: Callable[[], T]) -> tuple[T | None, float, str]:
    """Run a call, timing its CPU; an exception is returned as 'Type: message' (it costs this page alone)."""
    start = time.process_time()
    try:
        value, error = call(), ""
    except Exception as exc:  # any failure is this page's result, recorded with its type
        value, error = None, f"{type(exc).__name__}: {exc}"
    return value, time.process_time() - start, error


def dominant_script(text: str) -> str:
    """Name the Unicode script most of a text's letters are in ('LATIN', 'ARABIC', 'CJK+KANA', ...)."""
    names: Counter[str] = Counter()
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "UNKNOWN").split()[0]
            names["KANA" if name in {"HIRAGANA", "KATAKANA"} else name] += 1
    if not names:
        return "?"
    top = names.most_common(1)[0][0]
    if top in {"CJK", "KANA"} and names["KANA"] >= 0.05 * sum(names.values()):
        return "CJK+KANA"
    return top


def _both(page: Page, index: int) -> dict[str, tuple[Any, float, str]]:
    """Run raw trafilatura and extract_page on a page, the order alternating with the index."""
    calls: dict[str, Callable[[], Any]] = {
        "raw": lambda: raw_extract(page.html, page.url or ""),
        "ours": lambda: extract_page(page.html, url=page.url),
    }
    return {name: timed(calls[name]) for name in (("raw", "ours") if index % 2 == 0 else ("ours", "raw"))}


def time_page(page: Page, index: int) -> tuple[float, float]:
    """CPU seconds of raw trafilatura and of extract_page on a page, in one more run of both."""
    ran = _both(page, index)
    return ran["raw"][1], ran["ours"][1]


def run_page(page: Page, index: int) -> PageScore:
    """Run both systems on one page, alternating which goes first, and score them against its text."""
    ran = _both(page, index)
    raw_text: str = ran["raw"][0] or ""
    extracted: Extracted | None = ran["ours"][0]
    ours_text = extracted.text if extracted is not None else ""
    declared = extracted.language if extracted is not None else None
    result = PageResult(
        dataset="newspaper4k", key=page.key, language=page.language or guess_language(page.expected, declared),
        raw=shingle_counts(page.expected, raw_text), ours=shingle_counts(page.expected, ours_text),
        raw_cpu=ran["raw"][1], ours_cpu=ran["ours"][1], text=ours_text,
        removed=[(r.text, r.why) for r in extracted.removed] if extracted is not None else [],
    )
    if extracted is not None:
        result.lost = _lost(page, raw_text, extracted)
    return PageScore(
        result=result, script=dominant_script(page.expected), url=page.url, tested=page.tested,
        expected_chars=len(page.expected), raw_chars=len(raw_text), raw_error=ran["raw"][2],
        ours_error=ran["ours"][2],
    )


def _lost(page: Page, raw_text: str, extracted: Extracted) -> list[Lost]:
    """Expected lines raw trafilatura gives verbatim and wirefeed does not, with what removed each."""
    raw_norm, ours_norm = norm(raw_text), norm(extracted.text)
    lines = [line for line in page.expected.splitlines() if line.strip()]
    missing = [line for line in lines if norm(line) in raw_norm and norm(line) not in ours_norm]
    return attribute(missing, page.html, page.url or "", extracted) if missing else []


# ------------------------------------------------------------------------------------------- reports


def f1(counts: Counts) -> float:
    """One page's shingle F1."""
    return counts.prf()[2]


def totals(scores: Sequence[PageScore], system: str) -> dict[str, float]:
    """Macro (eval_extraction's fundus row) and micro (summed counts) P, R, F1 of one system."""
    counts = [getattr(s.result, system) for s in scores]
    macro, micro = macro_prf(counts), micro_prf(counts)
    return {"p": macro[0], "r": macro[1], "f1": macro[2], "micro_p": micro[0], "micro_r": micro[1],
            "micro_f1": micro[2], "mean_page_f1": sum(f1(c) for c in counts) / len(counts)}


def _status(score: PageScore) -> str:
    """How wirefeed's and raw trafilatura's calls ended, for the table."""
    parts = [] if score.ours_status == "ok" else [f"ours {score.ours_status.upper()} {score.ours_error}".strip()]
    if score.raw_error or not score.raw_chars:
        parts.append(f"raw {'CRASHED ' + score.raw_error if score.raw_error else 'EMPTY'}")
    return "; ".join(parts) or "ok"


def print_pages(scores: Sequence[PageScore]) -> None:
    """Print one row a page: language, script, both systems' P/R/F1, the difference, how each call ended."""
    print(f"  {'page':<21}{'lang':<5}{'script':<10}{'test':<5}| {'raw P':>5} {'R':>5} {'F1':>5} | "
          f"{'ours P':>6} {'R':>5} {'F1':>5} | {'dF1':>6} | wirefeed")
    for score in scores:
        result = score.result
        raw, ours = result.raw.prf(), result.ours.prf()
        print(f"  {result.key:<21}{result.language:<5}{score.script[:9]:<10}{'yes' if score.tested else 'no':<5}| "
              f"{raw[0]:5.3f} {raw[1]:5.3f} {raw[2]:5.3f} | {ours[0]:6.3f} {ours[1]:5.3f} {ours[2]:5.3f} | "
              f"{ours[2] - raw[2]:+6.3f} | {_status(score)}")


def print_totals(scores: Sequence[PageScore]) -> dict[str, dict[str, float]]:
    """Print macro and micro P/R/F1 of both systems over all pages, then Latin and other scripts apart."""
    summary = {}
    groups = (("all", list(scores)), ("Latin", [s for s in scores if s.script == "LATIN"]),
              ("non-Latin", [s for s in scores if s.script != "LATIN"]))
    for name, group in groups:
        if not group:
            continue
        for system, label in (("raw", "trafilatura"), ("ours", "wirefeed")):
            row = totals(group, system)
            summary[f"{name}/{label}"] = row
            print(f"  {name:<9} {len(group):>2} pages  {label:<11} macro P {row['p']:.3f} R {row['r']:.3f} "
                  f"F1 {row['f1']:.3f} | micro P {row['micro_p']:.3f} R {row['micro_r']:.3f} "
                  f"F1 {row['micro_f1']:.3f} | mean page F1 {row['mean_page_f1']:.3f}")
    failed = [s for s in scores if s.ours_status != "ok"]
    print(f"  wirefeed crashed on {sum(s.ours_status == 'crashed' for s in scores)} pages, returned an empty text "
          f"on {sum(s.ours_status == 'empty' for s in scores)}" + (": " + ", ".join(
              f"{s.result.key} ({s.ours_status}{', raw ' + str(s.raw_chars) + ' chars' if s.raw_chars else ''})"
              for s in failed) if failed else ""))
    return summary


def print_worse(scores: Sequence[PageScore], show_lost: bool) -> list[str]:
    """Print the pages where wirefeed's F1 is below raw's, worst first, with what cleaning removed."""
    worse = [(f1(s.result.raw) - f1(s.result.ours), s) for s in scores if f1(s.result.ours) < f1(s.result.raw)]
    worse.sort(key=lambda pair: (-pair[0], pair[1].result.key))
    print(f"pages where wirefeed is worse than raw: {len(worse)} "
          f"(more than {WORSE_POINTS * 100:.0f} points: {sum(1 for d, _ in worse if d > WORSE_POINTS)})")
    for delta, score in worse:
        causes = Counter(lost.cause for lost in score.result.lost)
        print(f"  {score.result.key:<21} -{delta * 100:.1f} points; expected lines raw keeps and wirefeed drops: "
              + (", ".join(f"{cause} {n}" for cause, n in causes.most_common()) or "none verbatim"))
        for lost in score.result.lost if show_lost else ():
            print(f"      {lost.cause}: {lost.sentence[:110]!r}")
    return [score.result.key for _, score in worse]


def print_cpu(scores: Sequence[PageScore], warm: Sequence[Sequence[tuple[float, float]]]) -> dict[str, Any]:
    """Print both systems' CPU over the same pages, call by call in this process: the first run of each page
    (which pays first-use costs such as a language's stoplist) and the mean of the later runs."""
    rows: dict[str, Any] = {}
    cold = (sum(s.result.raw_cpu for s in scores), sum(s.result.ours_cpu for s in scores))
    runs = [("first run", cold)]
    if warm:
        means = tuple(sum(sum(times[i] for times in rnd) for rnd in warm) / len(warm) for i in (0, 1))
        runs.append((f"mean of {len(warm)} later runs", (means[0], means[1])))
    for name, (raw, ours) in runs:
        ratio = ours / raw if raw else 0.0
        print(f"CPU over {len(scores)} pages, {name}: raw trafilatura.extract {raw:.2f}s, wirefeed extract_page "
              f"{ours:.2f}s ({(ratio - 1) * 100:+.1f}%)")
        rows[name] = {"raw_cpu": raw, "ours_cpu": ours, "ratio": ratio}
    return rows


def _load() -> str:
    """The load average, as a string for the report."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _page_row(score: PageScore) -> dict[str, Any]:
    """One page's figures for --json."""
    result = score.result
    return {
        "key": result.key, "url": score.url, "language": result.language, "script": score.script,
        "tested_by_newspaper4k": score.tested, "raw": {**asdict(result.raw), "prf": result.raw.prf()},
        "ours": {**asdict(result.ours), "prf": result.ours.prf()}, "delta_f1": f1(result.ours) - f1(result.raw),
        "raw_cpu": result.raw_cpu, "ours_cpu": result.ours_cpu, "later_cpu": score.later_cpu,
        "ours_status": score.ours_status,
        "ours_error": score.ours_error, "raw_error": score.raw_error, "chars": {
            "expected": score.expected_chars, "raw": score.raw_chars, "ours": len(result.text)},
        "removed": result.removed, "lost": [asdict(lost) for lost in result.lost],
    }


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sdist", type=Path, help=f"use this {SDIST_NAME} instead of pip download")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where pip download puts the sdist")
    parser.add_argument("--json", type=Path, help="write the per-page and total figures here")
    parser.add_argument("--show-lost", action="store_true", help="print each expected line wirefeed drops")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of every page (scores from the first; CPU of the first and of the later ones)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Fetch the sdist, pair its pages, run both systems and print the comparison."""
    args = _arguments(argv)
    try:
        path = fetch_sdist(args.cache, args.sdist)
        pairing = read_sdist(path)
    except HeldoutError as exc:
        print(f"eval_heldout: {exc}", file=sys.stderr)
        return 2
    digest = sha256(path)
    print(f"{path} sha256 {digest}" + ("" if digest == SDIST_SHA256 else " (NOT the sdist measured before)"))
    print(f"{len(pairing.pages)} pages paired; skipped: "
          + ", ".join(f"{key} ({why})" for key, why in pairing.skipped)
          + f"; texts without a page: {', '.join(pairing.text_only) or 'none'}")
    if not pairing.pages:
        return 0
    load_before = _load()
    print(f"trafilatura {trafilatura.__version__}, one process, {os.cpu_count()} CPUs, load average {load_before}")
    warm_up()
    scores = [run_page(page, index) for index, page in enumerate(pairing.pages)]
    warm = [[time_page(page, index + rnd) for index, page in enumerate(pairing.pages)]
            for rnd in range(1, args.rounds)]
    for index, score in enumerate(scores):
        if warm:
            score.later_cpu = (sum(rnd[index][0] for rnd in warm) / len(warm),
                               sum(rnd[index][1] for rnd in warm) / len(warm))
    print("\nper page (word-shingle P/R/F1 against newspaper4k's expected text; test: named in its tests)")
    print_pages(scores)
    print("\ntotals")
    summary: dict[str, Any] = {"totals": print_totals(scores)}
    summary["worse"] = print_worse(scores, args.show_lost)
    summary["cpu"] = {**print_cpu(scores, warm), "load_before": load_before, "load_after": _load()}
    print(f"load average before {load_before}, after {summary['cpu']['load_after']}")
    if args.json:
        payload = {"sdist": {"path": str(path), "sha256": digest}, "summary": summary,
                   "skipped": pairing.skipped, "text_only": pairing.text_only,
                   "pages": [_page_row(s) for s in scores]}
        args.json.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
