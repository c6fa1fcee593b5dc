"""Write a labelled wire-copy corpus of real texts, built blind to wirefeed's own generators and code.

The third corpus for scripts/eval_dedupe.py (`--corpus FILE`): written without reading dedupe/,
scripts/wire_corpus.py or scripts/dedupe_corpus.py, from one idea of how outlets republish agency copy.
Originals are real article texts written by others (fundus-eval's human gold paragraphs, newspaper4k's
expected test texts when its source archive is at hand), cut into pieces of at most ~520 words; each piece
is used once. Copies carry 1-4 edits drawn at random (EDIT_KINDS); hard negatives are template families
(own templates, numbers and places differ), follow-ups that reuse an earlier story's opening paragraphs,
same-event texts of another agency (same names and a shared quote, other sentences) and long outlet footers
shared by unrelated stories. One JSON object per line, in publication order (see `Row`).

    python scripts/blind_corpus.py --docs 1500 --seed 1 -o /tmp/blind-1500.jsonl
    python scripts/eval_dedupe.py --corpus /tmp/blind-1500.jsonl
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import math
import random
import re
import sys
import tarfile
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
# Where scripts/eval_heldout.py keeps newspaper4k's sdist (`python scripts/eval_heldout.py` fetches it there).
NEWSPAPER4K = Path.home() / ".cache" / "wirefeed" / "heldout" / "newspaper4k-0.9.6.tar.gz"
EDIT_KINDS = ("typos", "words", "headline", "dateline", "trimmed", "footer", "update", "boilerplate", "teaser",
              "typography", "reordered", "merged", "copy_of_copy", "rerun")
# How often an editor does each thing to wire copy, as this author sees outlets work (relative weights).
EDIT_WEIGHTS = (8, 6, 12, 9, 10, 8, 4, 7, 4, 10, 3, 4, 5, 2)
PIECE_MAX_WORDS = 520
ORIGINAL_MIN_WORDS = 150
BRIEF_WORDS = (40, 150)
START = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
WINDOW_DAYS = 45
NP4K_LANGS = {"arabic": "ar", "bengali": "bn", "burmese": "my", "chinese": "zh", "hindi": "hi", "japanese": "ja",
              "korean": "ko", "latvian": "lv", "nepali": "ne", "spanish": "es", "thai": "th"}
# newspaper4k's summary of cnn_article.txt is a second text of one story: not an independent original.
NP4K_SKIP = {"cnn_summary.txt"}
DENSE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]")
ABUGIDA = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")
DATELINE = re.compile(
    r"^(?:[^a-z()\n]{2,45}|[^()\n]{2,30}, [A-Z][a-z]{2,8}\.? \d{1,2})\s*\([^()\n]{2,30}\)\s*(?:--|[-—–])\s*"
    r"|^(?:\(|（)[^()（）\n]{2,20}(?:=|＝)[^()（）\n]{2,10}(?:\)|）)\s*"
    r"|^【[^】\n]{2,20}】\s*"
    r"|^(?:新华社|中新社|新华网)[^\n，。]{2,16}电\s*")
QUOTE = re.compile(r"[\"“«「][^\"”»」]{15,200}[\"”»」]")


@dataclass(frozen=True, slots=True)
class Piece:
    """A real text of at most PIECE_MAX_WORDS words, one piece of a source article."""

    source: str
    part: int
    lang: str
    title: str
    paragraphs: tuple[str, ...]

    @property
    def key(self) -> str:
        """Where the text comes from, e.g. fundus:APNews_2#0."""
        return f"{self.source}#{self.part}"


@dataclass(slots=True)
class Draft:
    """A text being edited: its headline, its body paragraphs, and the footer blocks after them (with their ids).

    Edits of the paragraphs never reach the footers, so a footer label always names a block the text ends with.
    """

    title: str
    paragraphs: list[str]
    footers: list[str] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)

    def copy(self) -> Draft:
        """An independent copy to edit."""
        return Draft(self.title, list(self.paragraphs), list(self.footers), list(self.tail))

    def text(self) -> str:
        """The body and its footer blocks, paragraphs apart."""
        return "\n\n".join(p for p in [*self.paragraphs, *self.tail] if p.strip())


@dataclass(frozen=True, slots=True)
class Row:
    """One document of the corpus as written (the fields eval_dedupe.from_wire reads, and a few more)."""

    id: str
    title: str
    text: str
    url: str
    published: str
    story: str
    kind: str
    edits: list[str]
    negative: str | None
    of: str | None
    family: str | None
    footers: list[str]
    lang: str
    outlet: str
    agency: str
    source: str | None
    copied_from: str | None


def count_words(text: str) -> int:
    """Words of a text; Chinese/Japanese/Korean characters count as 1/1.7 word, Thai/Burmese/Khmer as 1/4."""
    words = 0
    for token in text.split():
        dense, abugida = len(DENSE.findall(token)), len(ABUGIDA.findall(token))
        words += max(1, round(dense / 1.7 + abugida / 4)) if dense or abugida else 1
    return words


def sentences(paragraph: str) -> list[str]:
    """A paragraph's sentences (a plain split at end punctuation)."""
    return [s for s in SENTENCE_END.split(paragraph) if s.strip()]


def guess_lang(text: str) -> str:
    """en, fr, es or de by a handful of function words (the fundus set is English with one French page)."""
    words = Counter(re.findall(r"\w+", text.lower()))
    marks = {"en": ("the", "and", "of", "to"), "fr": ("le", "les", "des", "et"), "es": ("el", "los", "del", "y"),
             "de": ("der", "die", "und", "das")}
    return max(marks, key=lambda lang: sum(words[w] for w in marks[lang]))


# ---------------------------------------------------------------------------------------------- sources


def _og_title(path: Path) -> str:
    """The page's og:title (or <title>) from a gzipped HTML file."""
    page = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
    found = re.search(r'<meta[^>]+property="og:title"[^>]+content="([^"]+)"', page) or re.search(
        r"<title[^>]*>([^<]+)</title>", page)
    return html.unescape(found.group(1)).strip() if found else ""


def load_fundus(root: Path) -> list[tuple[str, str, str, list[str]]]:
    """(name, lang, title, paragraphs) of fundus-eval's gold bodies; [] when the folder is absent."""
    truth = root / "ground_truth.json"
    if not truth.exists():
        return []
    articles = []
    for name, entry in sorted(json.loads(truth.read_text(encoding="utf-8")).items()):
        # Gold paragraphs in [brackets] are the page's summary or subheading; their words are the page's own.
        paragraphs = [p.strip().removeprefix("[").removesuffix("]").strip() for p in entry["body"]]
        paragraphs = [p for p in paragraphs if p]
        title = _og_title(root / "html" / name) or sentences(paragraphs[0])[0]
        articles.append((f"fundus:{name.removesuffix('.html.gz')}", guess_lang(" ".join(paragraphs)), title,
                         paragraphs))
    return articles


def load_newspaper4k(tarball: Path) -> list[tuple[str, str, str, list[str]]]:
    """(name, lang, title, paragraphs) of newspaper4k's expected texts, read from its sdist; [] when absent."""
    if not tarball.exists():
        return []
    texts: dict[str, str] = {}
    titles: dict[str, dict[str, str]] = {}
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            name = Path(member.name).name
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is None or "/tests/data/" not in member.name:
                continue
            if "/txt/" in member.name and name.endswith(".txt") and name not in NP4K_SKIP:
                texts[name.removesuffix(".txt")] = handle.read().decode("utf-8")
            elif "/metadata/" in member.name and name.endswith(".json"):
                titles[name.removesuffix(".json")] = json.loads(handle.read())
    articles = []
    for name, text in sorted(texts.items()):
        paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
        meta = titles.get(name, {})
        lang = NP4K_LANGS.get(name.split("_")[0]) or guess_lang(text)
        title = str(meta.get("title") or sentences(paragraphs[0])[0] if paragraphs else "")
        if paragraphs:
            articles.append((f"newspaper4k:{name}", lang, title, paragraphs))
    return articles


def _shingles(text: str) -> set[int]:
    """CRC32s of the text's character 12-grams at every position (script-independent, the same in every run)."""
    flat = re.sub(r"\s+", " ", text.lower())
    return {zlib.crc32(flat[i : i + 12].encode()) for i in range(max(1, len(flat) - 11))}


def distinct(articles: list[tuple[str, str, str, list[str]]]) -> list[tuple[str, str, str, list[str]]]:
    """Drop an article whose text largely repeats an earlier one's (two test files of one page)."""
    kept: list[tuple[tuple[str, str, str, list[str]], set[int]]] = []
    for article in articles:
        grams = _shingles(" ".join(article[3]))
        if all(len(grams & other) < 0.5 * min(len(grams), len(other)) for _, other in kept):
            kept.append((article, grams))
    return [article for article, _ in kept]


def _split_long(paragraphs: list[str]) -> list[list[str]]:
    """Consecutive runs of paragraphs of at most PIECE_MAX_WORDS words (a longer paragraph stays whole)."""
    runs: list[list[str]] = [[]]
    for paragraph in paragraphs:
        if runs[-1] and count_words(" ".join([*runs[-1], paragraph])) > PIECE_MAX_WORDS:
            runs.append([])
        runs[-1].append(paragraph)
    # A short tail joins the run before it when that stays readable, rather than being lost.
    if len(runs) > 1 and count_words(" ".join(runs[-1])) < ORIGINAL_MIN_WORDS:
        tail = runs.pop()
        runs[-1].extend(tail)
    return runs


def _headline(paragraph: str) -> str:
    """A headline for a later piece: its first sentence, cut to 14 words (40 characters in dense scripts)."""
    first = sentences(paragraph)[0].strip()
    if DENSE.search(first) or ABUGIDA.search(first):
        return first[:40]
    words = first.split()
    return " ".join(words[:14]).rstrip(",;:")


def load_pieces(data: Path = DATA, newspaper4k: Path = NEWSPAPER4K) -> list[Piece]:
    """Every source text cut into pieces; a source's first piece keeps its real headline."""
    articles = distinct(load_fundus(data / "fundus-eval") + load_newspaper4k(newspaper4k))
    pieces = []
    for source, lang, title, paragraphs in articles:
        for part, run in enumerate(_split_long(paragraphs)):
            head = title if part == 0 else _headline(run[0])
            pieces.append(Piece(source, part, lang, head, tuple(run)))
    return pieces


def long_enough(piece: Piece) -> bool:
    """A piece that can be a news original."""
    return count_words(" ".join(piece.paragraphs)) >= ORIGINAL_MIN_WORDS


def short(piece: Piece) -> bool:
    """A piece only long enough for a brief."""
    return BRIEF_WORDS[0] <= count_words(" ".join(piece.paragraphs)) < ORIGINAL_MIN_WORDS


# ---------------------------------------------------------------------------------------------- edits

Edit = Callable[[random.Random, Draft, "Context"], Draft | None]


@dataclass(frozen=True, slots=True)
class Context:
    """What an edit may know beyond the text: its language, the outlet, other stories' headlines."""

    lang: str
    outlet: Outlet
    headlines: tuple[str, ...]
    when: datetime


QWERTY = {c: n for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm") for i, c in enumerate(row)
          for n in [row[max(0, i - 1)] + row[min(len(row) - 1, i + 1)]]}


def _typo(rng: random.Random, word: str) -> str:
    """One character-level slip in a word: a swap, a drop, a doubled letter or a neighbouring key."""
    i = rng.randrange(len(word) - 1)
    kind = rng.choice(("swap", "drop", "double", "key") if word[i].lower() in QWERTY else ("swap", "drop", "double"))
    if kind == "swap" and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "key":
        key = rng.choice(QWERTY[word[i].lower()].replace(word[i].lower(), "") or "e")
        return word[:i] + (key.upper() if word[i].isupper() else key) + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def edit_typos(rng: random.Random, draft: Draft, ctx: Context) -> Draft | None:
    """1-6 character-level typos in words of the body."""
    out = draft.copy()
    for _ in range(rng.randint(1, 6)):
        p = rng.randrange(len(out.paragraphs))
        tokens = out.paragraphs[p].split(" ")
        spots = [i for i, t in enumerate(tokens) if len(t) >= 4 and t.isalpha()]
        if not spots:
            dense = [i for i, t in enumerate(tokens) if len(t) >= 3]
            spots = dense
        if not spots:
            continue
        i = rng.choice(spots)
        tokens[i] = _typo(rng, tokens[i])
        out.paragraphs[p] = " ".join(tokens)
    return out if out.paragraphs != draft.paragraphs else None


def _swap_word(text: str, old: str, new: str) -> str:
    """Replace the first whole-word occurrence of `old` (keeping a capital) by `new`."""
    if DENSE.search(old) or ABUGIDA.search(old) or re.search(r"[\u0600-\u06ff\u0900-\u09ff]", old):
        return text.replace(old, new, 1)
    pattern = re.compile(rf"(?<![\w’'-]){re.escape(old)}(?![\w’'-])", re.IGNORECASE)
    return pattern.sub(lambda m: new[0].upper() + new[1:] if m.group(0)[0].isupper() else new, text, count=1)


def edit_words(rng: random.Random, draft: Draft, ctx: Context) -> Draft | None:
    """An editor's 1-5 word substitutions from the language's synonym list (no names, no numbers)."""
    table = SYNONYMS.get(ctx.lang, {})
    body = "\n".join(draft.paragraphs)
    found = [w for w in table if _swap_word(body, w, table[w]) != body]
    if not found:
        return None
    out = draft.copy()
    for word in rng.sample(found, min(len(found), rng.randint(1, 5))):
        spots = [i for i, p in enumerate(out.paragraphs) if _swap_word(p, word, table[word]) != p]
        if spots:
            i = rng.choice(spots)
            out.paragraphs[i] = _swap_word(out.paragraphs[i], word, table[word])
    return out if out.paragraphs != draft.paragraphs else None


def edit_headline(rng: random.Random, draft: Draft, ctx: Context) -> Draft | None:
    """A rewritten headline: cut, relabelled, turned around a colon, or given the outlet's suffix."""
    title = draft.title
    dense = bool(DENSE.search(title) or ABUGIDA.search(title))
    words = title.split()
    moves = ["label", "suffix", "synonym"] + (["cut"] if dense or len(words) > 6 else []) + (
        ["colon"] if ":" in title else [])
    move = rng.choice(moves)
    if move == "cut":
        new = title[: max(8, len(title) * 2 // 3)] if dense else " ".join(words[: max(4, len(words) * 2 // 3)])
    elif move == "colon":
        head, _, tail = title.partition(":")
        new = f"{tail.strip()}: {head.strip()}"
    elif move == "suffix":
        new = f"{title} | {ctx.outlet.name}" if rng.random() < 0.5 else f"{title} - {ctx.outlet.name}"
    elif move == "synonym":
        table = SYNONYMS.get(ctx.lang, {})
        hits = [w for w in table if _swap_word(title, w, table[w]) != title]
        word = rng.choice(hits) if hits else ""
        new = _swap_word(title, word, table[word]) if hits else f"{title} ({ctx.when:%d.%m.})"
    else:
        new = f"{rng.choice(BOILERPLATE[_lang(ctx.lang)]['labels'])} {title}"
    return replace(draft, title=new, paragraphs=list(draft.paragraphs)) if new != title else None


def _lang(lang: str) -> str:
    """The language whose site furniture and templates to use (English where none is written)."""
    return lang if lang in BOILERPLATE else "en"


def dateline_for(rng: random.Random, lang: str, when: datetime) -> str:
    """A dateline in the language's style: city, agency and the dash or bracket its wires use."""
    city = rng.choice(CITIES.get(lang, CITIES["en"]))
    agency = rng.choice(AGENCIES.get(lang, AGENCIES["en"]))
    if lang == "zh":
        return f"{agency}{city}{when.month}月{when.day}日电 "
    if lang == "ja":
        return f"【{city}{agency}】"
    if lang == "ko":
        return f"({city}={agency}) "
    if lang == "en":
        return f"{city.upper()} ({agency}) — " if rng.random() < 0.7 else f"{city.upper()}, {when:%B} {when.day} " \
            f"({agency}) - "
    return f"{city} ({agency}) - "


def edit_dateline(rng: random.Random, draft: Draft, ctx: Context) -> Draft | None:
    """Drop the dateline the text opens with, or add one in its language."""
    out = draft.copy()
    first = out.paragraphs[0]
    found = DATELINE.match(first)
    if found:
        rest = first[found.end() :]
        out.paragraphs[0] = rest[:1].upper() + rest[1:]
    else:
        out.paragraphs[0] = dateline_for(rng, ctx.lang, ctx.when) + first
    return out if out.paragraphs[0] != first and out.paragraphs[0] else None


def edit_trimmed(rng: random.Random, draft: Draft, ctx: Context) -> Draft | None:
    """The last 1-N paragraphs cut for space, keeping at least 40 % of the words."""
    total = count_words(" ".join(draft.paragraphs))
    keep_options = [k for k in range(1, len(draft.paragraphs))
                    if count_words(" ".join(draft.paragraphs[:k])) >= 0.4 * total]
    if not keep_options:
        return None
    # Most trims take a paragraph or two off the end; a few cut the story near the minimum.
    keep = max(keep_options) if rng.random() < 0.6 else rng.choice(keep_options)
    return replace(draft, paragraphs=draft.paragraphs[:keep])


def edit_footer(rng: random.Random, draft: Draft, ctx: Context) -> Draft | None:
    """The outlet's own footer block appended (the same block on all of its copies)."""
    if ctx.outlet.footer is None or ctx.outlet.footer_id in draft.footers:
        return None
    return replace(draft, footers=[*draft.footers, ctx.outlet.footer_id],
                   tail=[*draft.tail, *ctx.outlet.footer.split("\n")])


def _names(text: str) -> list[str]:
    """Capitalised word runs inside sentences (people, places, bodies), two-word names first, most frequent first."""
    runs = Counter(re.findall(r"(?<=[a-z,] )([A-Z][a-z]+(?: [A-Z][a-z]+)*)", text))
    return [name for name, _ in sorted(runs.items(), key=lambda item: (" " not in item[0], -item[1]))][:8]


def edit_update(rng: random.Random, draft: Draft, ctx: Context) -> Draft | None:
    """1-3 new paragraphs on top: an update note and new lines about the story's people."""
    lines = UPDATE_LINES[_lang(ctx.lang)]
    names = _names(" ".join(draft.paragraphs)) or [ctx.outlet.name]
    fill = {"name": rng.choice(names), "hour": f"{rng.randint(7, 22)}:{rng.choice(('05', '20', '40', '55'))}",
            "weekday": ctx.when.strftime("%A"), "outlet": ctx.outlet.name, "n": rng.randint(2, 90)}
    new = [line.format(**fill) for line in rng.sample(lines, min(len(lines), rng.randint(1, 3)))]
    return replace(draft, paragraphs=[*new, *draft.paragraphs])


def edit_boilerplate(rng: random.Random, draft: Draft, ctx: Context) -> Draft | None:
    """Site blocks ('Read more: <headline>', 'Advertisement', share prompts) put between paragraphs."""
    if len(draft.paragraphs) < 2:
        return None
    furniture = BOILERPLATE[_lang(ctx.lang)]
    out = draft.copy()
    for _ in range(rng.randint(1, 3)):
        block = rng.choice(("read", "read", "ad", "share"))
        text = (f"{furniture['read'][0]} {rng.choice(ctx.headlines)}" if block == "read" and ctx.headlines
                else rng.choice(furniture["ad"] if block == "ad" else furniture["share"]))
        out.paragraphs.insert(rng.randint(1, len(out.paragraphs) - 1), text)
    return out


def edit_teaser(rng: random.Random, draft: Draft, ctx: Context) -> Draft | None:
    """A standfirst on top repeating the first sentence (whole, or cut with an ellipsis)."""
    first = sentences(DATELINE.sub("", draft.paragraphs[0], count=1))[0].strip()
    words = first.split()
    if rng.random() < 0.4 and len(words) > 12:
        first = " ".join(words[: rng.randint(8, len(words) - 2)]) + "…"
    return replace(draft, paragraphs=[first, *draft.paragraphs]) if first else None


TYPOGRAPHY = (("“", '"'), ("”", '"'), ("’", "'"), ("‘", "'"), (" — ", " - "), ("—", "--"), ("…", "..."),
              ("«", "« "), ("，", ", "), ("。", ". "), ("「", "“"), ("」", "”"))
# The other way round, as a CMS that "smartens" typography writes it (straight quotes are handled in pairs).
SMARTEN = (('"', "“"), ("'", "’"), (" - ", " – "), ("...", "…"), ("--", "—"))


def edit_typography(rng: random.Random, draft: Draft, ctx: Context) -> Draft | None:
    """Quotes, dashes, apostrophes, ellipses and spaces changed as another CMS writes them."""
    body = "\n\n".join(draft.paragraphs)
    moves = [(a, b) for a, b in (*TYPOGRAPHY, *SMARTEN) if a in body]
    moves += [(" ", "\u00a0")] if re.search(r"\d \S", body) else []
    if not moves:
        return None
    for old, new in rng.sample(moves, min(len(moves), rng.randint(1, 3))):
        if old == " ":
            body = re.sub(r"(\d) (?=\S)", "\\1\u00a0", body)
        elif old == '"' and new == "“":
            body = re.sub(r'"([^"\n]*)"', "“\\1”", body)
        else:
            body = body.replace(old, new)
    out = [p for p in body.split("\n\n") if p.strip()]
    return replace(draft, paragraphs=out) if out != draft.paragraphs else None


def edit_reordered(rng: random.Random, draft: Draft, ctx: Context) -> Draft | None:
    """Two adjacent paragraphs swapped, or a paragraph moved further down."""
    n = len(draft.paragraphs)
    if n < 3:
        return None
    out = draft.copy()
    if rng.random() < 0.6:
        i = rng.randrange(1, n - 1)
        out.paragraphs[i], out.paragraphs[i + 1] = out.paragraphs[i + 1], out.paragraphs[i]
    else:
        moved = out.paragraphs.pop(rng.randrange(1, n - 1))
        out.paragraphs.insert(rng.randrange(1, n), moved)
    return out if out.paragraphs != draft.paragraphs else None


def edit_merged(rng: random.Random, draft: Draft, ctx: Context) -> Draft | None:
    """Two paragraphs joined into one, or one split at a sentence end."""
    out = draft.copy()
    splittable = [i for i, p in enumerate(out.paragraphs) if len(sentences(p)) > 1]
    if splittable and (rng.random() < 0.5 or len(out.paragraphs) < 2):
        i = rng.choice(splittable)
        parts = sentences(out.paragraphs[i])
        cut = rng.randrange(1, len(parts))
        joiner = "" if DENSE.search(out.paragraphs[i]) else " "
        out.paragraphs[i : i + 1] = [joiner.join(parts[:cut]).strip(), joiner.join(parts[cut:]).strip()]
    elif len(out.paragraphs) >= 2:
        i = rng.randrange(len(out.paragraphs) - 1)
        out.paragraphs[i : i + 2] = [f"{out.paragraphs[i]} {out.paragraphs[i + 1]}"]
    return out if out.paragraphs != draft.paragraphs else None


TEXT_EDITS: dict[str, Edit] = {
    "typos": edit_typos, "words": edit_words, "headline": edit_headline, "dateline": edit_dateline,
    "trimmed": edit_trimmed, "footer": edit_footer, "update": edit_update, "boilerplate": edit_boilerplate,
    "teaser": edit_teaser, "typography": edit_typography, "reordered": edit_reordered, "merged": edit_merged,
}


# ---------------------------------------------------------------------------------------------- stories


@dataclass(slots=True)
class Story:
    """A story's documents as they are built: the original first, then copies in time order."""

    id: str
    kind: str
    lang: str
    rows: list[Row]
    drafts: list[Draft]


class Generator:
    """Builds the corpus from the pieces, the outlets and one seeded random generator."""

    def __init__(self, pieces: list[Piece], seed: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.pieces = list(pieces)
        self.rng.shuffle(self.pieces)
        self.used: set[str] = set()
        self.outlets = make_outlets(sorted({p.lang for p in self.pieces} | {"en", "es", "fr", "de"}))
        self.stories: list[Story] = []
        self.headlines: list[str] = []
        self.count = 0
        self.families = sorted(TEMPLATES)
        self.rng.shuffle(self.families)
        self.family_count = 0

    # ----------------------------------------------------------------- pieces and outlets

    def take(self, want: Callable[[Piece], bool]) -> Piece | None:
        """The next unused piece that fits, marked used."""
        for piece in self.pieces:
            if piece.key not in self.used and want(piece):
                self.used.add(piece.key)
                return piece
        return None

    def outlet(self, lang: str, *, footer: bool | None = None, long_footer: bool = False) -> Outlet:
        """An outlet publishing in the language (an international one where none does)."""
        fit = [o for o in self.outlets if lang in o.langs and (footer is None or (o.footer is not None) == footer)
               and (not long_footer or o.long_footer)]
        fit = fit or [o for o in self.outlets if "*" in o.langs and (footer is None or (o.footer is not None)
                                                                     == footer)]
        return self.rng.choice(fit)

    def row(self, story: Story, draft: Draft, outlet: Outlet, when: datetime, **labels: object) -> Row:
        """A document of the story as published by the outlet at that time."""
        self.count += 1
        ident = f"{outlet.id}-{self.seed}-{self.count:06d}"
        local = when.astimezone(timezone(timedelta(hours=outlet.utc_offset)))
        text = draft.text()
        base: dict[str, Any] = {"negative": None, "of": None, "family": None, "source": None, "copied_from": None,
                "edits": [], "agency": outlet.agency}
        base.update(labels)
        return Row(ident, draft.title, text, outlet.url(draft.title, local, self.count), local.isoformat(),
                   story.id, story.kind, lang=story.lang, outlet=outlet.id, footers=list(draft.footers),
                   **base)

    def new_story(self, kind: str, lang: str) -> Story:
        """An empty story with the next id."""
        story = Story(f"s{self.seed}-{len(self.stories):05d}", kind, lang, [], [])
        self.stories.append(story)
        return story

    def when(self) -> datetime:
        """A publication time within the corpus window."""
        return START + timedelta(minutes=self.rng.uniform(0, WINDOW_DAYS * 24 * 60))

    # ----------------------------------------------------------------- copies

    def copy_count(self, scale: float) -> int:
        """Copies of one story: mostly 0-8, a few 9-15, and a few big ones of 20-40."""
        roll = self.rng.random()
        if roll < 0.03:
            return self.rng.randint(20, 40)
        if roll < 0.08:
            return self.rng.randint(9, 15)
        base = self.rng.choices(range(9), weights=(12, 18, 16, 13, 10, 8, 6, 5, 4))[0]
        return round(base * scale)

    def draw_edits(self, can_copy_copy: bool) -> list[str]:
        """1-4 distinct edit kinds, drawn by EDIT_WEIGHTS."""
        n = self.rng.choices((1, 2, 3, 4), weights=(35, 33, 21, 11))[0]
        kinds: list[str] = []
        while len(kinds) < n:
            kind = self.rng.choices(EDIT_KINDS, weights=EDIT_WEIGHTS)[0]
            if kind not in kinds and (kind != "copy_of_copy" or can_copy_copy):
                kinds.append(kind)
        return kinds

    def apply(self, draft: Draft, kinds: list[str], ctx: Context) -> tuple[Draft, list[str]]:
        """Apply the text edits in turn; one that cannot change this text is replaced by another kind."""
        done: list[str] = []
        spare = [k for k in TEXT_EDITS if k not in kinds]
        self.rng.shuffle(spare)
        for wanted in [k for k in kinds if k in TEXT_EDITS]:
            kind = wanted
            edited = TEXT_EDITS[kind](self.rng, draft, ctx)
            while edited is None and spare:
                kind = spare.pop()
                edited = TEXT_EDITS[kind](self.rng, draft, ctx)
            if edited is not None:
                draft = edited
                done.append(kind)
        return draft, done

    def copy_plan(self, start: datetime, n: int) -> list[tuple[datetime, list[str]]]:
        """When each of n copies appears (minutes to days later, re-runs 30-200 days) and its edits, in time order."""
        plan = []
        for _ in range(n):
            kinds = self.draw_edits(can_copy_copy=True)
            delay = timedelta(minutes=math.exp(self.rng.uniform(math.log(2), math.log(4 * 24 * 60))))
            if "rerun" in kinds:
                delay = timedelta(days=self.rng.uniform(30, 200))
            plan.append((start + delay, kinds))
        plan.sort(key=lambda item: item[0])
        return plan

    def add_copies(self, story: Story, n: int) -> None:
        """n copies of the story's original; a copy of a copy takes an earlier copy's text, edits and all."""
        first = story.rows[0]
        for when, planned in self.copy_plan(datetime.fromisoformat(first.published), n):
            # A copy of a copy takes one published before it (top_up adds copies to stories that have later ones).
            earlier = [i for i in range(1, len(story.rows)) if datetime.fromisoformat(story.rows[i].published) < when]
            kinds = planned if earlier else [k for k in planned if k != "copy_of_copy"]
            kinds = kinds or ["typography"]
            parent = self.rng.choice(earlier) if "copy_of_copy" in kinds else 0
            outlet = self.outlet(story.lang, footer=True if "footer" in kinds else None)
            ctx = Context(story.lang, outlet, tuple(self.rng.sample(self.headlines, min(3, len(self.headlines)))),
                          when)
            draft, done = self.apply(story.drafts[parent].copy(), kinds, ctx)
            own = [k for k in kinds if k not in TEXT_EDITS] + done
            inherited = [k for k in story.rows[parent].edits if k not in own]
            story.rows.append(self.row(story, draft, outlet, when, edits=[*own, *inherited],
                                       negative=first.negative, of=first.of, family=first.family,
                                       source=first.source, copied_from=story.rows[parent].id))
            story.drafts.append(draft)

    # ----------------------------------------------------------------- stories of each kind

    def original(self, story: Story, draft: Draft, outlet: Outlet, when: datetime, **labels: object) -> Row:
        """The story's first document (no edits), which its copies start from."""
        row = self.row(story, draft, outlet, when, **labels)
        story.rows.append(row)
        story.drafts.append(draft)
        self.headlines.append(draft.title)
        return row

    def news(self, piece: Piece, kind: str = "news") -> Story:
        """A story whose original is a real piece; some outlets publish their own with their long footer."""
        story = self.new_story(kind, piece.lang)
        draft = Draft(piece.title, list(piece.paragraphs))
        outlet = self.outlet(piece.lang)
        if self.rng.random() < 0.15:
            outlet = self.outlet(piece.lang, footer=True, long_footer=True)
            draft = edit_footer(self.rng, draft, Context(piece.lang, outlet, (), START)) or draft
        self.original(story, draft, outlet, self.when(), source=piece.key)
        return story

    def brief(self, piece: Piece) -> Story:
        """A short story: the piece's opening cut to 40-150 words at a sentence end."""
        kept: list[str] = []
        goal = self.rng.randint(*BRIEF_WORDS)
        for sentence in (s for p in piece.paragraphs for s in sentences(p)):
            if count_words(" ".join([*kept, sentence])) > BRIEF_WORDS[1]:
                break
            kept.append(sentence.strip())
            if count_words(" ".join(kept)) >= goal:
                break
        joiner = "" if DENSE.search(piece.paragraphs[0]) else " "
        half = max(1, len(kept) // 2) if len(kept) > 3 else len(kept)
        paragraphs = [joiner.join(kept[:half]), joiner.join(kept[half:])]
        story = self.new_story("brief", piece.lang)
        self.original(story, Draft(piece.title, [p for p in paragraphs if p]), self.outlet(piece.lang),
                      self.when(), source=piece.key)
        return story

    def followup(self, earlier: Story, piece: Piece) -> Story:
        """A new story that opens with (or soon gives) the earlier story's first 1-2 paragraphs as background."""
        background = [DATELINE.sub("", p, count=1) if i == 0 else p
                      for i, p in enumerate(earlier.drafts[0].paragraphs[: self.rng.randint(1, 2)])]
        new = list(piece.paragraphs)
        while len(new) < 3:
            longest = max(range(len(new)), key=lambda i: len(sentences(new[i])))
            parts = sentences(new[longest])
            if len(parts) < 2:
                break
            new[longest : longest + 1] = [" ".join(parts[: len(parts) // 2]), " ".join(parts[len(parts) // 2 :])]
        body = [*background, *new] if self.rng.random() < 0.6 else [new[0], *background, *new[1:]]
        story = self.new_story("followup", earlier.lang)
        start = datetime.fromisoformat(earlier.rows[0].published)
        self.original(story, Draft(piece.title, body), self.outlet(earlier.lang),
                      start + timedelta(hours=self.rng.uniform(4, 96)), negative="followup", of=earlier.id,
                      source=piece.key)
        return story

    def same_event(self, target: Story, piece: Piece) -> Story | None:
        """Another agency's text on the target's event: its names, numbers and a quote, other sentences."""
        leads = SAME_EVENT_LEADS.get(target.lang)
        original = " ".join(target.drafts[0].paragraphs)
        names = _names(original)
        if not leads or len(names) < 2:
            return None
        numbers = re.findall(r"\b\d[\d,.]*\b", original) or [str(self.rng.randint(3, 40))]
        fill = {"a": names[0], "b": names[1], "n": self.rng.choice(numbers[:6]),
                "weekday": datetime.fromisoformat(target.rows[0].published).strftime("%A")}
        body = [line.format(**fill) for line in self.rng.sample(leads, 2)]
        quotes = QUOTE.findall(original)
        if quotes:
            body.append(f"{self.rng.choice(quotes)}, {names[0]} said.")
        body += list(piece.paragraphs)
        title = piece.title
        story = self.new_story("same_event", target.lang)
        start = datetime.fromisoformat(target.rows[0].published)
        agency = self.outlet(target.lang)
        self.original(story, Draft(title, body), agency, start + timedelta(minutes=self.rng.uniform(5, 240)),
                      negative="same_event", of=target.id, source=piece.key)
        return story

    def template_family(self, family: str) -> list[Story]:
        """3-10 stories from one of our templates: the same wording, other names, numbers and places."""
        lang, title, paragraphs, slots = TEMPLATES[family]
        stories = []
        outlet = self.outlet(lang)
        for _ in range(self.rng.randint(3, 10)):
            values: dict[str, object] = {name: self.rng.choice(choices) for name, choices in slots.items()}
            values.update({f"n{i}": self.rng.randint(2, 99) for i in range(6)})
            values.update({f"x{i}": f"{self.rng.uniform(0.1, 9.9):.2f}" for i in range(4)})
            story = self.new_story("template", lang)
            draft = Draft(title.format(**values), [p.format(**values) for p in paragraphs])
            self.original(story, draft, outlet, self.when(), family=f"{family}-{self.seed}-{len(self.stories)}")
            stories.append(story)
        # One family id for all of them (the first story's number).
        family_id = stories[0].rows[0].family
        for story in stories:
            story.rows[0] = replace(story.rows[0], family=family_id)
        return stories

    # ----------------------------------------------------------------- the corpus

    def copy_scale(self, docs: int) -> float:
        """How much to stretch copy counts so that the real pieces left, each used once, reach `docs` documents."""
        left = sum(1 for p in self.pieces if p.key not in self.used and count_words(" ".join(p.paragraphs)) >= 40)
        # About 5 documents a story at scale 1 (2.96 ordinary copies on average, plus the big stories).
        return max(1.0, (docs - self.total()) / max(1, left) / 5.0)

    def top_up(self, docs: int) -> None:
        """When the real texts ran out: more copies of news stories picked at random, up to `docs` documents."""
        news = [s for s in self.stories if s.kind == "news"]
        while news and self.total() < docs:
            story = self.rng.choice(news)
            self.add_copies(story, min(self.rng.randint(1, 3), docs - self.total()))

    def with_copies(self, story: Story | None, docs: int, scale: float) -> None:
        """Give a new story its copies, never past `docs` documents in all."""
        if story is not None:
            # Copy in the smaller languages is scarce here: each such story gets at least one copy.
            least = 0 if story.lang == "en" else 1
            self.add_copies(story, max(0, min(max(least, self.copy_count(scale)), docs - self.total())))

    def total(self) -> int:
        """Documents built so far."""
        return sum(len(s.rows) for s in self.stories)

    def news_with_relatives(self, piece: Piece, docs: int, scale: float) -> None:
        """A news story with its copies, and sometimes a follow-up or a same-event text from the same source."""
        story = self.news(piece)
        self.with_copies(story, docs, scale)

        def sibling(other: Piece) -> bool:
            return other.source == piece.source and count_words(" ".join(other.paragraphs)) >= 60

        roll = self.rng.random()
        if roll < 0.3 and self.total() < docs and (later := self.take(sibling)):
            self.with_copies(self.followup(story, later), docs, scale)
        elif roll < 0.5 and self.total() < docs and (later := self.take(sibling)):
            self.with_copies(self.same_event(story, later) or self.news(later), docs, scale)

    def generate(self, docs: int) -> list[Row]:
        """`docs` documents in publication order; copy counts stretch when the real texts would not reach it."""
        while self.total() < docs:
            roll, scale = self.rng.random(), self.copy_scale(docs)
            if roll < 0.04:
                family = self.families[self.family_count % len(self.families)]
                self.family_count += 1
                for story in self.template_family(family):
                    self.add_copies(story, min(self.rng.choice((0, 0, 1, 1, 2, 3)), docs - self.total()))
            elif roll < 0.17 and (piece := self.take(short) or self.take(long_enough)):
                self.with_copies(self.brief(piece), docs, scale)
            elif piece := self.take(long_enough):
                self.news_with_relatives(piece, docs, scale)
            elif not any(p.key not in self.used for p in self.pieces if short(p) or long_enough(p)):
                print(f"note: real texts ran out at {self.total()} documents; more copies of news stories",
                      file=sys.stderr)
                self.top_up(docs)
                break
        rows = [row for story in self.stories for row in story.rows][:docs]
        return sorted(rows, key=lambda r: (datetime.fromisoformat(r.published), r.story))


def summary(rows: list[Row]) -> str:
    """Stories, kinds, languages, negatives and edit counts of a corpus, for a person to check."""
    stories = Counter(r.story for r in rows)
    sizes = Counter(min(n - 1, 20) for n in stories.values())
    lines = [f"{len(rows)} documents, {len(stories)} stories; copies per story (20 = 20+): "
             f"{dict(sorted(sizes.items()))}",
             f"kinds: {dict(Counter(r.kind for r in rows))}",
             f"stories by kind: {dict(Counter(k for k, _ in {(r.kind, r.story) for r in rows}))}",
             f"template families: {len({r.family for r in rows if r.family})}",
             f"languages: {dict(Counter(r.lang for r in rows).most_common())}",
             f"edits (per copy, accumulated): {dict(Counter(e for r in rows for e in r.edits).most_common())}",
             f"edits per copy: {dict(sorted(Counter(len(r.edits) for r in rows if r.edits).items()))}",
             f"documents with a footer: {sum(1 for r in rows if r.footers)} "
             f"(footer blocks: {len({f for r in rows for f in r.footers})})",
             f"outlets: {len({r.outlet for r in rows})}"]
    return "\n".join(lines)


def write(rows: list[Row], path: Path) -> None:
    """One JSON object per line."""
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Write the corpus and print its summary; 2 when no source text is at hand."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--docs", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder (fundus-eval/ in it)")
    parser.add_argument("--newspaper4k", type=Path, default=NEWSPAPER4K, help="newspaper4k's sdist (skipped if absent)")
    args = parser.parse_args(argv)
    pieces = load_pieces(args.data, args.newspaper4k)
    if not pieces:
        print(f"no source texts: {args.data / 'fundus-eval'} is absent", file=sys.stderr)
        return 2
    rows = Generator(pieces, args.seed).generate(args.docs)
    write(rows, args.output)
    print(f"{len(pieces)} real pieces from {len({p.source for p in pieces})} articles")
    print(summary(rows))
    return 0


# ---------------------------------------------------------------------------------------------- outlets


@dataclass(frozen=True, slots=True)
class Outlet:
    """A site that publishes or republishes copy, with its URL pattern, clock and (maybe) footer."""

    id: str
    name: str
    domain: str
    langs: tuple[str, ...]  # "*": an international aggregator taking any language
    agency: str
    utc_offset: int
    pattern: str
    footer: str | None = None
    long_footer: bool = False

    @property
    def footer_id(self) -> str:
        """The footer block's label in the corpus."""
        return f"footer:{self.id}"

    def url(self, title: str, local: datetime, n: int) -> str:
        """The article's address in this outlet's pattern."""
        ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
        slug = "-".join(re.findall(r"[a-z0-9]+", ascii_title)[:8]) or f"article-{n}"
        return self.pattern.format(d=self.domain, y=local.year, m=f"{local.month:02d}", day=f"{local.day:02d}",
                                   slug=slug, n=n, id=f"{(n * 7919) % 1000003:07d}")


URL_PATTERNS = ("https://{d}/{y}/{m}/{day}/{slug}/", "https://{d}/news/{slug}-{id}.html", "https://{d}/article/{n}",
                "https://{d}/world/{slug}?ref=wire", "https://{d}/story.php?id={id}", "https://{d}/wire/{y}{m}{day}/{slug}",
                "https://{d}/{y}/{m}/{slug}.amp")
# (id, name, domain, languages, agency, UTC offset, footer kind)
OUTLET_TABLE = (
    ("ledger", "The Valley Ledger", "valleyledger.com", ("en",), "AP", -5, "copyright"),
    ("courier", "Harbour Courier", "harbourcourier.co.uk", ("en",), "PA", 0, "long"),
    ("gazette", "Midland Gazette", "midlandgazette.com", ("en",), "Reuters", -6, "credit"),
    ("dispatch", "Coastal Dispatch", "coastaldispatch.com.au", ("en",), "AAP", 10, None),
    ("tribune", "North Tribune", "northtribune.ca", ("en",), "CP", -4, "newsletter"),
    ("herald", "Daily Herald Online", "dailyherald-online.com", ("en",), "AP", -8, "long"),
    ("post", "The Morning Post", "morningpost.in", ("en",), "PTI", 5, None),
    ("wirehub", "WireHub", "wirehub.news", ("*",), "AFP", 1, "copyright"),
    ("newsnow", "Newsnow Aggregate", "newsnow-aggregate.net", ("*",), "Reuters", 0, None),
    ("worldfeed", "World Feed", "worldfeed.org", ("*",), "AFP", 2, "long"),
    ("diario", "Diario del Sur", "diariodelsur.es", ("es",), "EFE", 1, "copyright"),
    ("cronica", "La Crónica", "lacronica.com.mx", ("es",), "EFE", -6, "long"),
    ("voz", "La Voz Libre", "lavozlibre.com.ar", ("es",), "Europa Press", -3, None),
    ("quotidien", "Le Quotidien", "lequotidien.fr", ("fr",), "AFP", 1, "long"),
    ("matin", "Le Matin du Lac", "matindulac.ch", ("fr",), "ATS", 1, None),
    ("zeitung", "Neue Tageszeitung", "neue-tageszeitung.de", ("de",), "dpa", 1, "copyright"),
    ("akhbar", "Al-Akhbar Daily", "akhbar-daily.com", ("ar",), "رويترز", 3, "copyright"),
    ("shibao", "东方时报", "dongfangshibao.cn", ("zh",), "新华社", 8, "copyright"),
    ("xinwen", "华文新闻网", "huawenxinwen.com", ("zh",), "中新社", 8, None),
    ("shimbun", "北海新聞", "hokkai-shimbun.jp", ("ja",), "共同", 9, "copyright"),
    ("ilbo", "한빛일보", "hanbitilbo.co.kr", ("ko",), "연합뉴스", 9, "copyright"),
    ("thainews", "ข่าวสยาม", "khaosiam.co.th", ("th",), "สำนักข่าวไทย", 7, None),
    ("samachar", "दैनिक समाचार", "dainiksamachar.in", ("hi", "ne"), "भाषा", 5, None),
    ("bartaman", "দৈনিক বার্তা", "dainikbarta.com", ("bn",), "পিটিআই", 6, None),
    ("myanmar", "ရွှေသတင်း", "shwethadin.com.mm", ("my",), "MNA", 6, None),
    ("rigas", "Rīgas Ziņas", "rigaszinas.lv", ("lv",), "LETA", 2, "copyright"),
)
FOOTERS = {
    "copyright": "© 2024 {name}. All rights reserved. This material may not be published, broadcast, rewritten or "
                 "redistributed.",
    "credit": "(Reporting by Dana Whitfield and Omar Castell; Additional reporting by Lena Brooks; Editing by Mark "
              "Pottinger)",
    "newsletter": "Sign up for {name}'s morning newsletter: the day's top stories, delivered to your inbox before 7 "
                  "a.m. Sign up here.",
    "long": "{name} is an independent, reader-funded newsroom. We rely on our readers to keep our journalism free to "
            "read for everyone, wherever they are.\nIf you value what we do, please consider supporting us with a "
            "monthly contribution. It takes less than a minute, and every contribution, however big or small, keeps "
            "our reporters in the field and our archive open.\nGot a story tip? Write to our newsdesk in confidence. "
            "Follow us on social media for breaking news alerts, and sign up for our free daily briefing.\n"
            "© 2024 {name}. All rights reserved.",
}
FOOTERS_LOCAL = {
    "es": "© 2024 {name}. Todos los derechos reservados. Prohibida su reproducción total o parcial sin autorización.",
    "fr": "© 2024 {name}. Tous droits de reproduction et de représentation réservés. Abonnez-vous à notre lettre "
          "d'information quotidienne pour ne rien manquer de l'actualité.",
    "de": "© 2024 {name}. Alle Rechte vorbehalten. Weiterverbreitung nur mit schriftlicher Genehmigung.",
    "ar": "© 2024 {name}. جميع الحقوق محفوظة. يمنع النسخ أو إعادة النشر دون إذن مسبق.",
    "zh": "（来源：{name}）版权所有，未经授权不得转载。责任编辑：王晓明",
    "ja": "Copyright © 2024 {name}. 記事・写真の無断転載を禁じます。",
    "ko": "<저작권자 ⓒ {name}, 무단 전재 및 재배포 금지>",
    "lv": "© 2024 {name}. Visas tiesības aizsargātas. Materiālu pārpublicēšana bez atļaujas aizliegta.",
}
FOOTERS_LOCAL_LONG = {
    "es": "{name} es un medio independiente financiado por sus lectores. Si valoras nuestro periodismo, "
          "considera apoyarnos con una suscripción mensual.\nSíguenos en redes sociales y suscríbete a nuestro "
          "boletín diario para recibir las noticias más importantes cada mañana.\n© 2024 {name}. Todos los "
          "derechos reservados.",
    "fr": "{name} est un journal indépendant, financé par ses lecteurs. Si vous aimez notre travail, soutenez-nous "
          "en vous abonnant : cela prend moins d'une minute.\nSuivez-nous sur les réseaux sociaux et inscrivez-vous "
          "à notre lettre quotidienne pour recevoir l'essentiel de l'actualité chaque matin.\n© 2024 {name}.",
}


def _footer(kind: str | None, lang: str, name: str) -> str | None:
    """The footer block an outlet of that language and kind appends."""
    if kind is None:
        return None
    if lang not in {"en", "*"}:
        text = (FOOTERS_LOCAL_LONG.get(lang) if kind == "long" else None) or FOOTERS_LOCAL.get(lang)
        return text.format(name=name) if text else None
    return FOOTERS[kind].format(name=name)


def make_outlets(langs: list[str]) -> list[Outlet]:
    """The outlets of OUTLET_TABLE, each with a URL pattern; one per language added where the table has none."""
    outlets = []
    for i, (ident, name, domain, served, agency, offset, footer) in enumerate(OUTLET_TABLE):
        text = _footer(footer, served[0], name)
        outlets.append(Outlet(ident, name, domain, served, agency, offset, URL_PATTERNS[i % len(URL_PATTERNS)],
                              text, footer == "long" and text is not None and "\n" in text))
    covered = {lang for o in outlets for lang in o.langs}
    for i, lang in enumerate(sorted(set(langs) - covered)):
        outlets.append(Outlet(f"local-{lang}", f"{lang.upper()} Local News", f"{lang}-localnews.net", (lang,),
                              AGENCIES.get(lang, ["AFP"])[0], 0, URL_PATTERNS[i % len(URL_PATTERNS)]))
    return outlets


# ---------------------------------------------------------------------------------------------- language furniture

AGENCIES = {"en": ["AP", "Reuters", "AFP", "PA Media"], "es": ["EFE", "Europa Press"], "fr": ["AFP", "Belga"],
            "de": ["dpa", "AFP"], "ar": ["رويترز", "أ ف ب"], "zh": ["新华社", "中新社"], "ja": ["共同", "時事"],
            "ko": ["연합뉴스", "뉴시스"], "th": ["รอยเตอร์", "สำนักข่าวไทย"], "hi": ["भाषा", "पीटीआई"],
            "ne": ["रासस"], "bn": ["পিটিআই"], "my": ["MNA"], "lv": ["LETA"]}
CITIES = {"en": ["Washington", "London", "Brussels", "Geneva", "Nairobi", "Singapore", "Chicago", "Sydney"],
          "es": ["Madrid", "Buenos Aires", "Bogotá", "Ciudad de México"], "fr": ["Paris", "Bruxelles", "Genève"],
          "de": ["Berlin", "Wien", "Hamburg"], "ar": ["القاهرة", "بيروت", "دبي"], "zh": ["北京", "上海", "香港"],
          "ja": ["東京", "大阪", "ワシントン"], "ko": ["서울", "부산", "워싱턴"], "th": ["กรุงเทพฯ", "เชียงใหม่"],
          "hi": ["नई दिल्ली", "मुंबई"], "ne": ["काठमाडौं"], "bn": ["কলকাতা", "ঢাকা"], "my": ["ရန်ကုန်"],
          "lv": ["Rīga", "Liepāja"]}
BOILERPLATE: dict[str, dict[str, list[str]]] = {
    "en": {"read": ["Read more:"], "ad": ["Advertisement", "ADVERTISEMENT", "Story continues below advertisement"],
           "share": ["Share this article", "Share on Facebook Share on X Email", "Click here to share this story"],
           "labels": ["BREAKING:", "UPDATE 1-", "WATCH:", "Live:", "EXCLUSIVE:"]},
    "es": {"read": ["Lea también:"], "ad": ["Publicidad", "PUBLICIDAD"], "share": ["Comparte esta noticia"],
           "labels": ["ÚLTIMA HORA:", "VIDEO:", "Directo:"]},
    "fr": {"read": ["Lire aussi :"], "ad": ["Publicité", "PUBLICITÉ"], "share": ["Partager cet article"],
           "labels": ["DIRECT.", "INFO", "VIDÉO."]},
    "de": {"read": ["Lesen Sie auch:"], "ad": ["Anzeige", "ANZEIGE"], "share": ["Artikel teilen"],
           "labels": ["EILMELDUNG:", "Liveblog:"]},
    "ar": {"read": ["اقرأ أيضا:"], "ad": ["إعلان"], "share": ["شارك هذا المقال"], "labels": ["عاجل:", "فيديو:"]},
    "zh": {"read": ["延伸阅读："], "ad": ["广告"], "share": ["分享到微信 微博"], "labels": ["快讯：", "独家："]},
    "ja": {"read": ["あわせて読みたい："], "ad": ["広告"], "share": ["この記事をシェアする"],
           "labels": ["速報：", "動画："]},
    "ko": {"read": ["관련기사:"], "ad": ["광고"], "share": ["기사 공유하기"], "labels": ["[속보]", "[단독]"]},
    "th": {"read": ["อ่านเพิ่มเติม:"], "ad": ["โฆษณา"], "share": ["แชร์ข่าวนี้"], "labels": ["ด่วน:"]},
    "hi": {"read": ["यह भी पढ़ें:"], "ad": ["विज्ञापन"], "share": ["यह खबर शेयर करें"], "labels": ["ब्रेकिंग:"]},
    "lv": {"read": ["Lasiet arī:"], "ad": ["Reklāma"], "share": ["Dalīties ar rakstu"], "labels": ["ZIŅA:"]},
}
SYNONYMS: dict[str, dict[str, str]] = {
    "en": {"said": "stated", "says": "states", "told": "informed", "announced": "unveiled", "began": "started",
           "big": "large", "large": "big", "also": "additionally", "however": "but", "because": "since",
           "people": "individuals", "buy": "purchase", "bought": "purchased", "need": "require",
           "needs": "requires", "tried": "attempted", "try": "attempt", "enough": "sufficient",
           "many": "numerous", "important": "significant", "quickly": "rapidly", "decided": "chose",
           "asked": "questioned", "before": "prior to", "after": "following", "near": "close to",
           "children": "kids", "main": "principal", "often": "frequently",
           "described": "characterized", "warned": "cautioned", "noted": "pointed out", "think": "believe",
           "believes": "thinks", "expected": "anticipated",
           "hard": "difficult", "difficult": "tough", "problem": "issue", "issues": "problems",
           "official": "spokesperson", "officials": "authorities", "meeting": "talks", "rules": "regulations",
           "law": "legislation", "claimed": "alleged", "injured": "hurt", "increase": "rise", "fell": "dropped",
           "percent": "per cent",
           "statement": "release", "reporters": "journalists", "whether": "if",
           "including": "among them", "nearly": "almost", "almost": "nearly", "recently": "lately"},
    "es": {"dijo": "afirmó", "afirmó": "aseguró", "gobierno": "Ejecutivo", "también": "además", "pero": "sin embargo",
           "según": "de acuerdo con", "explicó": "detalló", "ahora": "actualmente", "casi": "prácticamente",
           "importante": "relevante", "decidió": "optó por", "personas": "ciudadanos"},
    "fr": {"a déclaré": "a affirmé", "aussi": "également", "mais": "toutefois", "selon": "d'après",
           "important": "majeur", "maintenant": "désormais", "presque": "quasiment", "personnes": "individus"},
    "de": {"sagte": "erklärte", "auch": "ebenfalls", "aber": "jedoch", "jetzt": "nun", "wichtig": "bedeutend"},
    "lv": {"sacīja": "pastāstīja", "arī": "tāpat", "bet": "taču", "tagad": "pašlaik", "svarīgi": "būtiski"},
    "zh": {"表示": "称", "目前": "当前", "已经": "已", "进行": "开展", "重要": "关键", "认为": "指出",
           "记者": "本报记者", "发展": "推进", "合作": "协作", "国家": "国"},
    "ja": {"述べた": "語った", "発表した": "明らかにした", "現在": "今", "しかし": "だが", "約": "およそ",
           "によると": "によれば"},
    "ko": {"밝혔다": "말했다", "말했다": "전했다", "주장": "입장", "지난": "앞선", "그러나": "하지만",
           "또한": "아울러"},
    "ar": {"قال": "أكد", "أعلن": "ذكر", "أكدت": "قالت", "مصادر": "جهات", "حيث": "إذ", "أيضا": "كذلك"},
    "th": {"กล่าว": "ระบุ", "ตำรวจ": "เจ้าหน้าที่ตำรวจ", "เมื่อ": "เมื่อวันที่"},
    "hi": {"कहा": "बताया", "लेकिन": "परंतु", "भी": "साथ ही", "अब": "फिलहाल", "लोग": "लोगों"},
    "ne": {"भने": "बताए", "पनि": "समेत", "तर": "तथापि"},
    "bn": {"বলেন": "জানান", "কিন্তু": "তবে"},
    "my": {"သည်": "၏"},
}
UPDATE_LINES = {
    "en": ["(Updates with comment from {name} in paragraph {n})", "UPDATED at {hour} GMT on {weekday}.",
           "{name} did not immediately respond to a request for comment on {weekday}.",
           "This is a developing story and will be updated as more information becomes available.",
           "Corrects spelling of name in paragraph {n} of story first published at {hour} GMT.",
           "Speaking to reporters late on {weekday}, {name} declined to give further details."],
    "es": ["(Actualiza con declaraciones de {name})", "Actualizado a las {hour} horas del {weekday}.",
           "Noticia en desarrollo: esta información se actualizará en breve."],
    "fr": ["(Actualisé avec la réaction de {name})", "Mis à jour à {hour}.",
           "Cette information est en cours d'actualisation."],
    "de": ["(Aktualisiert um {hour} Uhr mit Reaktion von {name})", "Diese Meldung wird laufend aktualisiert."],
    "ar": ["(تحديث بتصريحات {name})", "خبر عاجل: يجري تحديث هذا الخبر تباعا."],
    "zh": ["【更新】本文于{hour}更新，补充了最新进展。", "（本报记者持续关注此事）"],
    "ja": ["（{hour}更新）", "この記事は随時更新します。"],
    "ko": ["(종합2보) {hour} 기사 보강", "이 기사는 추후 업데이트될 예정이다."],
    "th": ["อัปเดตล่าสุดเวลา {hour} น.", "ข่าวนี้อยู่ระหว่างการติดตาม"],
    "hi": ["(अपडेट {hour})", "यह खबर अपडेट की जा रही है।"],
    "lv": ["(Papildināta {hour})", "Ziņa tiek papildināta."],
}
SAME_EVENT_LEADS = {
    "en": ["{a} was at the centre of the latest turn on {weekday}, according to people familiar with the matter.",
           "The developments involving {a} and {b} drew swift reactions, with the figure of {n} cited repeatedly.",
           "Questions about {b}'s role remained unanswered late on {weekday}.",
           "{b} had not commented publicly by the time of publication, while {a} gave a brief account of events."],
    "es": ["{a} estuvo en el centro de la polémica el {weekday}, según fuentes cercanas al caso.",
           "Las reacciones a lo ocurrido con {a} y {b} no se hicieron esperar; la cifra de {n} se repitió."],
    "fr": ["{a} s'est retrouvé au cœur de l'actualité ce {weekday}, selon des sources proches du dossier.",
           "Les réactions à l'affaire impliquant {a} et {b} ont été rapides ; le chiffre de {n} a été avancé."],
}
PLACES_EN = ["Leeds", "Denver", "Cork", "Adelaide", "Halifax", "Tucson", "Dundee", "Spokane", "Perth", "Omaha"]
TEAMS_EN = ["Rovers", "United", "Athletic", "City", "Wanderers", "Rangers", "Albion", "Harriers"]
FIRMS_EN = ["Norland Foods", "Calder Mining", "Brightwell Energy", "Tessaro Motors", "Kestrel Software",
            "Marlow Retail", "Oakridge Pharma", "Penwith Logistics"]
TEMPLATES: dict[str, tuple[str, str, list[str], dict[str, list[str]]]] = {
    "weather-en": ("en", "{place} weather: {sky} with highs of {n0}C expected on {day}", [
        "Forecasters expect {sky} across {place} on {day}, with temperatures climbing to a high of {n0}C in the "
        "afternoon before falling to {n1}C overnight.",
        "Winds from the {wind} will reach speeds of up to {n2} mph at times, the regional weather office said in "
        "its morning outlook, and there is a {n3} per cent chance of rain later in the day.",
        "Residents are advised to check the latest forecast before travelling. Drivers on higher routes should "
        "allow extra time, and anyone spending time outdoors should dress for changing conditions.",
        "The outlook for the rest of the week remains mixed, with {sky2} likely from {day2} onwards and "
        "temperatures close to the seasonal average for {place}."],
        {"place": PLACES_EN, "sky": ["sunny spells", "heavy showers", "thick cloud", "light drizzle", "clear skies"],
         "sky2": ["brighter weather", "more rain", "stronger winds", "colder nights"],
         "wind": ["north", "south-west", "east", "north-west"], "day": ["Monday", "Tuesday", "Friday", "Sunday"],
         "day2": ["Wednesday", "Thursday", "Saturday"]}),
    "weather-es": ("es", "El tiempo en {place}: {sky} y máximas de {n0} grados el {day}", [
        "La Agencia de Meteorología prevé {sky} en {place} el {day}, con temperaturas máximas de {n0} grados por "
        "la tarde y mínimas de {n1} grados durante la noche.",
        "El viento soplará del {wind} con rachas de hasta {n2} kilómetros por hora, y la probabilidad de "
        "precipitaciones se sitúa en el {n3} por ciento, según el parte matinal.",
        "Las autoridades recomiendan consultar la previsión antes de desplazarse y extremar la precaución en las "
        "carreteras de montaña, donde la visibilidad podría reducirse a primera hora.",
        "Para el resto de la semana se esperan {sky2} a partir del {day2}, con temperaturas en torno a la media "
        "habitual para estas fechas en {place}."],
        {"place": ["Sevilla", "Valencia", "Zaragoza", "Bilbao", "Málaga", "Murcia", "Oviedo", "Granada"],
         "sky": ["cielos despejados", "chubascos fuertes", "nubosidad abundante", "lluvias débiles"],
         "sky2": ["más lluvias", "cielos más abiertos", "vientos fuertes"], "wind": ["norte", "suroeste", "este"],
         "day": ["lunes", "martes", "viernes", "domingo"], "day2": ["miércoles", "jueves", "sábado"]}),
    "weather-fr": ("fr", "Météo à {place} : {sky} et jusqu'à {n0} degrés {day}", [
        "Météo-France annonce {sky} sur {place} {day}, avec des températures maximales de {n0} degrés l'après-midi "
        "et des minimales de {n1} degrés pendant la nuit.",
        "Le vent de {wind} soufflera jusqu'à {n2} km/h en rafales, et le risque d'averses est estimé à {n3} % "
        "selon le bulletin du matin.",
        "Les automobilistes sont invités à la prudence sur les routes de montagne et à consulter les prévisions "
        "avant tout déplacement.",
        "Pour la suite de la semaine, {sky2} sont attendus à partir de {day2}, avec des températures proches des "
        "normales de saison à {place}."],
        {"place": ["Lyon", "Lille", "Nantes", "Toulouse", "Rennes", "Dijon", "Nice", "Metz"],
         "sky": ["un grand soleil", "des averses orageuses", "un ciel très nuageux", "de la bruine"],
         "sky2": ["des nuages", "des éclaircies", "des pluies"], "wind": ["nord", "sud-ouest", "est"],
         "day": ["lundi", "mardi", "vendredi", "dimanche"], "day2": ["mercredi", "jeudi", "samedi"]}),
    "markets-en": ("en", "Stocks {move} as {sector} shares {verb}; index ends at {n0},{n1}1", [
        "Stocks {move} on {day} as shares of {sector} companies {verb}, with the benchmark index closing at "
        "{n0},{n1}1 points, a change of {x0} per cent on the session.",
        "{firm} was among the biggest movers, its shares ending {x1} per cent {dir} after the company updated "
        "investors on its outlook. Trading volumes were close to their 30-day average.",
        "Government bond yields {dir2}, with the 10-year yield at {x2} per cent, while the dollar traded at "
        "{x3} against a basket of major currencies.",
        "Investors are now looking ahead to inflation figures due next week, which analysts say could shape "
        "expectations for interest rates for the rest of the year."],
        {"move": ["rose", "fell", "edged higher", "slipped"], "sector": ["technology", "energy", "banking",
         "retail", "mining"], "verb": ["rallied", "slumped", "recovered", "weakened"], "firm": FIRMS_EN,
         "dir": ["higher", "lower"], "dir2": ["rose", "eased"], "day": ["Monday", "Tuesday", "Thursday"]}),
    "markets-de": ("de", "Börse: {index} schließt {move} - {sector} im Fokus", [
        "Der {index} hat am {day} {move} geschlossen und stand zum Handelsschluss bei {n0}.{n1}4 Punkten, ein "
        "Minus oder Plus von {x0} Prozent gegenüber dem Vortag.",
        "Im Fokus standen Werte aus dem Bereich {sector}. Die Aktie von {firm} veränderte sich um {x1} Prozent, "
        "nachdem das Unternehmen neue Zahlen vorgelegt hatte.",
        "Der Euro kostete zuletzt {x2} US-Dollar. Die Rendite zehnjähriger Bundesanleihen lag bei {x3} Prozent.",
        "Händler verwiesen auf die anstehenden Inflationsdaten, die in der kommenden Woche veröffentlicht werden "
        "und die Erwartungen an die Zinspolitik prägen dürften."],
        {"index": ["Dax", "MDax", "SDax", "TecDax"], "move": ["fester", "schwächer", "kaum verändert"],
         "sector": ["Technologie", "Energie", "Banken", "Autos"], "firm": ["Nordwerk", "Rheinmetall-Textil",
         "Hansa Logistik", "Alpen Energie", "Brenner Bau"], "day": ["Montag", "Dienstag", "Freitag"]}),
    "sports-en": ("en", "{home} {n0}-{n1} {away}: {scorer} on target as {home} {verb}", [
        "{scorer} scored in the {n2}th minute as {home} {verb} against {away} on {day}, finishing the match "
        "{n0}-{n1} in front of a crowd of {n3},{n4}00.",
        "{away} had the better of the opening half and hit the woodwork twice before the break, but {home} "
        "grew into the game after the interval.",
        "{keeper} made {n5} saves for {away}, while {home}'s manager said afterwards that the result was "
        "\"exactly what we needed at this stage of the season\".",
        "{home} now sit {pos} in the table and travel to {place} next weekend, while {away} host their local "
        "rivals in midweek."],
        {"home": [f"{p} {t}" for p, t in zip(PLACES_EN, TEAMS_EN * 2, strict=False)],
         "away": [f"{t} {p}" for p, t in zip(reversed(PLACES_EN), TEAMS_EN * 2, strict=False)],
         "scorer": ["Jamie Holt", "Luca Ferreira", "Sam Okafor", "Ryan Doyle", "Tom Bakker"],
         "keeper": ["Ben Carver", "Alex Moreau", "Chris Nolan"], "verb": ["won", "drew", "held on"],
         "pos": ["third", "fifth", "eighth", "top"], "place": PLACES_EN,
         "day": ["Saturday", "Sunday", "Tuesday"]}),
    "sports-es": ("es", "El {home} vence {n0}-{n1} al {away} con gol de {scorer}", [
        "El {home} se impuso {n0}-{n1} al {away} el {day} gracias a un gol de {scorer} en el minuto {n2}, ante "
        "unos {n3}.{n4}00 espectadores.",
        "El {away} dominó la primera parte y estrelló dos balones en el palo antes del descanso, pero el {home} "
        "mejoró tras el paso por los vestuarios.",
        "El portero {keeper} realizó {n5} paradas, y el entrenador local declaró que el resultado era "
        "\"justo lo que necesitábamos\".",
        "Con esta victoria, el {home} es {pos} en la clasificación y visitará {place} la próxima jornada."],
        {"home": ["Real Olmedo", "Atlético Sierra", "Deportivo Costa", "CD Alameda", "UD Ribera"],
         "away": ["Racing Vega", "Sporting Valle", "CF Lomas", "Unión Norte", "Betis Sur"],
         "scorer": ["Javi Ortega", "Marcos Gil", "Dani Prieto", "Iker Sanz"], "keeper": ["Pablo Ruiz", "Sergio Mata"],
         "pos": ["tercero", "quinto", "líder"], "place": ["Vigo", "Cádiz", "Elche"], "day": ["sábado", "domingo"]}),
    "earnings-en": ("en", "{firm} {verb} forecasts as quarterly profit reaches {x0} billion", [
        "{firm} reported a quarterly net profit of {x0} billion dollars on {day}, {verb} analysts' forecasts, as "
        "revenue rose {n0} per cent to {x1} billion dollars.",
        "Earnings per share came in at {x2} dollars, compared with {x3} dollars a year earlier. The company "
        "kept its full-year guidance unchanged.",
        "Chief executive {ceo} said demand had been {demand} in the period and that the group would continue to "
        "invest in its core markets while keeping costs under control.",
        "Shares in {firm} moved {n1} per cent in early trading. The company will hold a call with analysts later "
        "in the day."],
        {"firm": FIRMS_EN, "verb": ["beating", "missing", "matching"], "ceo": ["Anna Lindqvist", "Marcus Reed",
         "Priya Nair", "Olu Adeyemi"], "demand": ["resilient", "softer", "strong", "uneven"],
         "day": ["Tuesday", "Wednesday", "Thursday"]}),
    "earnings-fr": ("fr", "{firm} : bénéfice trimestriel de {x0} milliards, {verb} les attentes", [
        "{firm} a publié {day} un bénéfice net trimestriel de {x0} milliards d'euros, {verb} les attentes des "
        "analystes, pour un chiffre d'affaires en hausse de {n0} % à {x1} milliards.",
        "Le bénéfice par action s'établit à {x2} euros, contre {x3} euros un an plus tôt. Le groupe a maintenu "
        "ses objectifs annuels.",
        "Le directeur général, {ceo}, a jugé la demande {demand} sur la période et indiqué que le groupe "
        "poursuivrait ses investissements tout en maîtrisant ses coûts.",
        "L'action {firm} évoluait de {n1} % en début de séance à la Bourse de Paris."],
        {"firm": ["Groupe Valmont", "Lactalis Nord", "Orsay Industries", "Celtis Énergie", "Arvor Télécom"],
         "verb": ["dépassant", "manquant", "conforme à"], "ceo": ["Claire Dubois", "Hugo Martin", "Inès Karim"],
         "demand": ["solide", "plus faible", "contrastée"], "day": ["mardi", "mercredi", "jeudi"]}),
    "lottery-en": ("en", "{game} results for {day}: winning numbers and {x0} million jackpot", [
        "The winning numbers for {day}'s {game} draw were {n0}, {n1}, {n2}, {n3}, {n4} and {n5}, the operator "
        "said, with a jackpot of {x0} million up for grabs.",
        "Players who matched five numbers will each receive a share of the second prize fund. Tickets can be "
        "checked online, in the app or at any authorised retailer.",
        "If nobody claims the top prize, the jackpot rolls over to the next draw on {day2}, when it is expected "
        "to rise to around {x1} million.",
        "Prizes must be claimed within 180 days of the draw. The operator reminds players to play responsibly."],
        {"game": ["Lotto", "Powerball", "EuroMillions", "Mega Millions", "Thunderball"],
         "day": ["Wednesday", "Saturday", "Friday", "Tuesday"], "day2": ["Saturday", "Wednesday", "Tuesday"]}),
    "lottery-es": ("es", "Resultados de la {game} del {day}: combinación ganadora y bote de {x0} millones", [
        "La combinación ganadora del sorteo de la {game} celebrado el {day} está formada por los números {n0}, "
        "{n1}, {n2}, {n3}, {n4} y {n5}, con un bote de {x0} millones de euros.",
        "Los acertantes de cinco números recibirán una parte del fondo de la segunda categoría. Los boletos "
        "pueden comprobarse en la web oficial o en cualquier administración.",
        "Si no hay acertantes de primera categoría, el bote se acumulará para el próximo sorteo del {day2}, que "
        "rondará los {x1} millones.",
        "Los premios caducan a los tres meses de la celebración del sorteo."],
        {"game": ["Primitiva", "Bonoloto", "Euromillones", "Lotería Nacional"], "day": ["jueves", "sábado", "lunes"],
         "day2": ["sábado", "martes", "viernes"]}),
}


if __name__ == "__main__":
    raise SystemExit(main())
