"""Merging trafilatura's main extraction back into the fallback text its cascade chose."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml.etree import Element, SubElement

from ingest.extract import page
from ingest.extract.merge import merge_paragraphs
from ingest.extract.page import extract_page

CHOSEN = [
    "Der Stadtrat hat am Dienstag den Haushalt für das kommende Jahr beschlossen, mit den Stimmen der Koalition.",
    "Die Opposition kritisierte vor allem die Kürzungen bei den Bibliotheken und den Jugendzentren der Stadt.",
]


class TestMergeParagraphs:
    """Paragraphs only the main extractor found come back, after their neighbour, without duplicates."""

    def test_same_text_differently_split_adds_nothing(self) -> None:
        """The chosen text in other blocks (a table row's bars, other line breaks) is not added again."""
        other = [CHOSEN[0][:50], CHOSEN[0][50:], f"| {CHOSEN[1]} |"]
        assert merge_paragraphs(CHOSEN, other) == CHOSEN

    def test_missing_paragraph_placed_after_its_neighbour(self) -> None:
        """A paragraph the fallback lost comes back between the paragraphs around it."""
        lost = "Der Kämmerer rechnet mit einem Defizit von zwölf Millionen Euro."
        assert merge_paragraphs(CHOSEN, [CHOSEN[0], lost, CHOSEN[1]]) == [CHOSEN[0], lost, CHOSEN[1]]

    def test_missing_list_at_start(self) -> None:
        """Paragraphs before anything the chosen text holds go first; short ones count by their whole words."""
        items = ["- 1 large chicken", "- 1 tablespoon ground cinnamon"]
        assert merge_paragraphs(CHOSEN, [*items, CHOSEN[1]]) == [*items, *CHOSEN]

    def test_short_words_inside_a_chosen_paragraph_not_added(self) -> None:
        """A three-word paragraph found inside a chosen paragraph is there already."""
        assert merge_paragraphs(CHOSEN, ["den Haushalt für"]) == CHOSEN

    @given(
        st.lists(st.text(min_size=1, max_size=40), max_size=6), st.lists(st.text(min_size=1, max_size=40), max_size=6)
    )
    def test_chosen_kept_in_order_and_idempotent(self, chosen: list[str], other: list[str]) -> None:
        """Every chosen paragraph stays, in order; merging the result again adds nothing."""
        merged = merge_paragraphs(chosen, other)
        rest = iter(merged)
        assert all(any(p == q for q in rest) for p in chosen)  # chosen is a subsequence of merged
        assert merge_paragraphs(merged, other) == merged


FALLBACK = [
    "Absatz aus einem langen Archivtext über die Geschichte der Stadt, ihrer Brücken, Kirchen und Märkte, "
    "die im Mittelalter entstanden und im neunzehnten Jahrhundert erweitert wurden.",
    "Noch ein Absatz dieses Archivtextes, den der Rückfallextraktor für länger und besser hielt, obwohl er "
    "mit dem Haushalt der Stadt und dem Beschluss des Stadtrats nichts zu tun hat.",
]


def _fallback_wins(cleaned_tree: Any, raw_tree: Any, body: Any, text: str, options: Any) -> tuple[Any, str]:
    """trafilatura's comparison as it ends on some real pages: readability's longer text replaces the main one."""
    replacement = Element("body")
    for paragraph in FALLBACK:
        SubElement(replacement, "p").text = paragraph
    return replacement, " ".join(FALLBACK)


class TestExtractPageMerge:
    """extract_page keeps what trafilatura's main extractor found when a fallback's text replaces it."""

    def test_main_paragraphs_kept(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The article's paragraphs stay in the text, before the fallback's, when the fallback wins."""
        monkeypatch.setattr(page, "_compare_extraction", _fallback_wins)
        article = "".join(f"<p>{p}</p>" for p in CHOSEN)
        html = (
            "<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'><title>Haushalt beschlossen</title>"
            f"</head><body><main><article>{article}</article></main></body></html>"
        )
        extracted = extract_page(html, url="https://stadt.example/haushalt")
        assert extracted.text == "\n\n".join([*CHOSEN, *FALLBACK])

    def test_main_kept_only_when_replaced(self) -> None:
        """When the cascade keeps the main extractor's text, the text is trafilatura's as it is."""
        article = "".join(f"<p>{p}</p>" for p in CHOSEN)
        html = f"<html lang='de'><body><article>{article}</article></body></html>"
        assert extract_page(html, url="https://stadt.example/haushalt").text == "\n\n".join(CHOSEN)
