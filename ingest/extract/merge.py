"""Merge two extractions of one page: the paragraphs of one that the other lacks, in document order."""

from __future__ import annotations

import re
from collections.abc import Sequence

_TOKEN = re.compile(r"\w+")
SHINGLE = 3
# A paragraph is already there when at least this share of its word shingles is in the chosen text.
MIN_COVERED = 0.5


def _tokens(text: str) -> list[str]:
    """Lower-case word tokens (markup, table bars and spacing differ between extractors; words do not)."""
    return _TOKEN.findall(text.casefold())


def _shingles(tokens: Sequence[str]) -> list[tuple[str, ...]]:
    """The word shingles of a token list (a short one is its own single shingle)."""
    if len(tokens) <= SHINGLE:
        return [tuple(tokens)] if tokens else []
    # zip of the shifted lists: the same tuples as slicing each window, without a slice per shingle.
    return list(zip(*(tokens[i:] for i in range(SHINGLE)), strict=False))  # the shifted lists are shorter


def _short_runs(paragraphs: Sequence[Sequence[str]]) -> dict[tuple[str, ...], int]:
    """Each run of fewer words than a shingle, mapped to the first paragraph that holds it."""
    runs: dict[tuple[str, ...], int] = {}
    for index, tokens in enumerate(paragraphs):
        for size in range(1, SHINGLE):
            for start in range(len(tokens) - size + 1):
                runs.setdefault(tuple(tokens[start : start + size]), index)
    return runs


def merge_paragraphs(chosen: Sequence[str], other: Sequence[str], *, unanchored: str = "start") -> list[str]:
    """Return `chosen` with the paragraphs of `other` it does not contain, each after its neighbour.

    trafilatura's cascade keeps one extractor's text whole; when a fallback's text replaces its main
    extractor's, the paragraphs only the main extractor found are lost. Those come back here, placed
    after the chosen paragraph that holds the `other` paragraph before them (in order; at the start
    if none does, or at the end with `unanchored="end"`). A paragraph of `other` counts as present
    when most of its word shingles (or, for a paragraph of three words or fewer, its whole word
    sequence) occur in `chosen`.
    """
    where: dict[tuple[str, ...], int] = {}
    chosen_tokens = [_tokens(paragraph) for paragraph in chosen]
    for index, tokens in enumerate(chosen_tokens):
        for shingle in _shingles(tokens):
            where.setdefault(shingle, index)
    # The word runs shorter than a shingle, built on the first short paragraph: looking each one up in
    # every chosen paragraph is quadratic (a live blog of 5,000 posts spent 5 s there).
    short: dict[tuple[str, ...], int] | None = None
    added: dict[int, list[str]] = {}
    anchor = -1
    for paragraph in other:
        tokens = _tokens(paragraph)
        if not tokens:
            continue
        if len(tokens) == SHINGLE:
            found = where.get(tuple(tokens))  # a shingle of a longer paragraph, or a whole one of three words
        elif len(tokens) < SHINGLE:
            if short is None:
                short = _short_runs(chosen_tokens)
            found = short.get(tuple(tokens))
        else:
            hits = [where[s] for s in _shingles(tokens) if s in where]
            found = hits[0] if len(hits) >= MIN_COVERED * (len(tokens) - SHINGLE + 1) else None
        if found is None:
            added.setdefault(anchor, []).append(paragraph)
        else:
            anchor = max(anchor, found)
    if not added:
        return list(chosen)
    merged = list(added.get(-1, ())) if unanchored == "start" else []
    for index, paragraph in enumerate(chosen):
        merged.append(paragraph)
        merged.extend(added.get(index, ()))
    return merged if unanchored == "start" else merged + added.get(-1, [])
