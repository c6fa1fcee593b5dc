"""Tests for dedupe.diff: what a republished copy changed against the copy it joined."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedupe.diff import copy_diff, headline_rewritten
from dedupe.model import CopyDiff, Doc
from dedupe.text import clean
from tests.test_dedupe_cluster import HISTOIRE, STORY, body

TITLE = "ECB holds rates but signals June cut"
UPDATE = [
    "UPDATE: The bank's chief economist said on Friday that the June cut was now all but certain, "
    "according to two people familiar with the governing council's discussions.",
    "Bond markets rallied on the comments, pushing the yield on the German ten-year note to its lowest "
    "level in three months.",
]
AGENCY_FOOTER = "Copyright 2024 The Daily Courier. All rights reserved. Reporting by Jane Doe; editing by John Roe."
ZH = [
    "欧洲中央银行周四宣布维持关键利率不变，但行长拉加德表示，如果通胀继续放缓，最早可能在六月降息。",
    "欧元区三月份通胀率降至百分之二点四，接近该行百分之二的目标，此前在二零二二年秋季能源价格飙升时曾超过百分之十。",
    "拉加德在法兰克福举行的新闻发布会上说，管理委员会已经讨论了降息问题，少数成员已有足够信心支持本月降息。",
    "市场对这一决定反应平静。欧元兑美元小幅下跌，德国和意大利的政府债券收益率在下午交易时段小幅走低。",
]
JA = [
    "欧州中央銀行は木曜日、主要政策金利を据え置くと発表した。ラガルド総裁は六月の利下げの可能性を示唆した。",
    "ユーロ圏の三月の物価上昇率は二・四パーセントに鈍化し、中銀が目標とする二パーセントに近づいた。",
    "市場の反応は落ち着いており、ユーロは対ドルでわずかに下落し、ドイツとイタリアの国債利回りは低下した。",
]


def diff(copy: str, original: str, *, title: str = TITLE, original_title: str = TITLE) -> CopyDiff:
    """The diff of a copy against an original, both given as texts."""
    return copy_diff(Doc("copy", title, copy), Doc("original", original_title, original))


def words(paragraphs: list[str]) -> int:
    """How many words some English paragraphs hold (as the diff counts them)."""
    return sum(len(clean(p).replace("'", " ").replace(".", " ").split()) for p in paragraphs)


def with_typo(paragraph: str, at: int) -> str:
    """A paragraph with two letters swapped in its first word of 4 letters or more from word number `at` on."""
    found = paragraph.split(" ")
    at = next(i for i in range(at, len(found)) if len(found[i]) >= 4)
    word = found[at]
    found[at] = word[0] + word[2] + word[1] + word[3:]
    return " ".join(found)


class TestParagraphs:
    """Paragraphs cut, added and where, across the edits copies carry."""

    def test_trimmed_copy_cuts_the_last_paragraphs(self) -> None:
        """A copy that keeps the first five of eight paragraphs cut three and added none."""
        found = diff(body(STORY[:5]), body(STORY))
        assert (found.paragraphs_cut, found.paragraphs_added, found.added_at) == (3, 0, ())
        assert found.reused == pytest.approx(words(STORY[:5]) / words(STORY), abs=0.01)
        assert found.own == 0.0

    def test_update_on_top(self) -> None:
        """Two new paragraphs before the original text are added at the top; the rest is reused whole."""
        found = diff(body(UPDATE + STORY), "PARIS (AFP) - " + body(STORY))
        assert (found.paragraphs_cut, found.paragraphs_added, found.added_at) == (0, 2, ("top",))
        assert found.reused == 1.0
        # At most the update's share: a phrase it shares with the story ("the governing council") is found.
        share = words(UPDATE) / words(UPDATE + STORY)
        assert 0.8 * share <= found.own <= share

    def test_footer_is_added_at_the_bottom(self) -> None:
        """A site or agency footer is one paragraph added at the bottom."""
        found = diff(body([*STORY, AGENCY_FOOTER]), body(STORY))
        assert (found.paragraphs_cut, found.paragraphs_added, found.added_at) == (0, 1, ("bottom",))
        assert found.reused == 1.0
        assert 0.0 < found.own < 0.1

    def test_places_in_text_order(self) -> None:
        """Added paragraphs on top, between kept ones and at the end give each place once, in that order."""
        copy = body([UPDATE[0], *STORY[:3], "Advertisement - scroll to continue reading", *STORY[3:], AGENCY_FOOTER,
                     UPDATE[1]])
        found = diff(copy, body(STORY))
        assert (found.paragraphs_added, found.added_at) == (4, ("top", "middle", "bottom"))

    def test_typos_and_substitutions_keep_every_paragraph(self) -> None:
        """A typo in every paragraph and an editor's substituted word cut and add nothing; reuse stays near 1."""
        edited = [with_typo(p, 5) for p in STORY]
        edited[3] = edited[3].replace("calmly", "quietly")
        found = diff(body(edited), body(STORY))
        assert (found.paragraphs_cut, found.paragraphs_added) == (0, 0)
        assert found.reused > 0.95
        assert found.own < 0.05

    def test_dense_typos_in_a_short_paragraph(self) -> None:
        """A short line with three typos in five words is the same line, edited (paired by its characters)."""
        original = body([*STORY[:3], "The mayor declined to comment.", *STORY[3:]])
        copy = body([*STORY[:3], "The mayr declned to coment.", *STORY[3:]])
        found = diff(copy, original)
        assert (found.paragraphs_cut, found.paragraphs_added) == (0, 0)

    def test_reordered_paragraphs_are_neither_cut_nor_added(self) -> None:
        """Moving paragraphs around changes nothing but their order."""
        moved = [STORY[0], STORY[4], STORY[1], STORY[2], STORY[3], STORY[7], STORY[5], STORY[6]]
        found = diff(body(moved), body(STORY))
        assert (found.paragraphs_cut, found.paragraphs_added, found.reused, found.own) == (0, 0, 1.0, 0.0)

    def test_merged_paragraphs_are_neither_cut_nor_added(self) -> None:
        """Two paragraphs joined into one, with the copy trimmed too: only the trimmed one is cut."""
        merged = [STORY[0], STORY[1] + " " + STORY[2], *STORY[3:7]]
        found = diff(body(merged), body(STORY))
        assert (found.paragraphs_cut, found.paragraphs_added, found.own) == (1, 0, 0.0)

    def test_split_paragraph_is_neither_cut_nor_added(self) -> None:
        """A paragraph split in two is kept as both halves, with a caption added in the middle."""
        first, second = STORY[3].split(". ", 1)
        caption = "Christine Lagarde in Frankfurt. (Photo by Jane Doe / AFP)"
        found = diff(body([*STORY[:3], first + ".", caption, second, *STORY[4:]]), body(STORY))
        assert (found.paragraphs_cut, found.paragraphs_added, found.added_at) == (0, 1, ("middle",))

    def test_typography_and_dateline_are_no_edit(self) -> None:
        """Curly quotes, dashes and a dropped dateline change no paragraph and lose no word."""
        original = 'PARIS (AFP) - ' + body(HISTOIRE)
        copy = body([p.replace("« ", "“").replace(" »", "”").replace("-", "\u2011") for p in HISTOIRE])
        found = diff(copy, original)
        assert (found.paragraphs_cut, found.paragraphs_added, found.reused, found.own) == (0, 0, 1.0, 0.0)

    def test_chinese_without_spaces(self) -> None:
        """Chinese text counts characters as words: a trimmed copy with an update on top."""
        update = "更新：欧洲央行首席经济学家周五表示，六月降息几乎已成定局。"
        found = diff("\n".join([update, *ZH[:3]]), "\n".join(ZH))
        assert (found.paragraphs_cut, found.paragraphs_added, found.added_at) == (1, 1, ("top",))
        assert 0.6 < found.reused < 0.9
        assert 0.1 < found.own < 0.3

    def test_japanese_with_a_substituted_character(self) -> None:
        """A changed character in a Japanese paragraph keeps the paragraph."""
        copy = "\n".join([JA[0].replace("木曜日", "金曜日"), *JA[1:]])
        found = diff(copy, "\n".join(JA))
        assert (found.paragraphs_cut, found.paragraphs_added) == (0, 0)
        assert found.reused > 0.95

    def test_unrelated_copy_is_all_added_on_top(self) -> None:
        """A copy that keeps nothing has cut everything and added everything, placed on top."""
        found = diff(body(HISTOIRE), body(STORY))
        assert (found.paragraphs_cut, found.paragraphs_added, found.added_at) == (8, 5, ("top",))
        assert found.reused < 0.05
        assert found.own > 0.95

    def test_exact_copy_is_an_empty_diff(self) -> None:
        """The same text is an empty diff: nothing cut or added, everything reused, nothing of its own."""
        assert diff(body(STORY), body(STORY)) == CopyDiff(False, 0, 0, (), 1.0, 0.0)

    def test_as_dict(self) -> None:
        """The JSON form rounds the shares and lists the places."""
        found = diff(body(UPDATE + STORY[:5]), body(STORY), title="Markets rally as ECB nears first cut")
        assert found.as_dict() == {
            "headline_rewritten": True,
            "paragraphs_cut": 3,
            "paragraphs_added": 2,
            "added_at": ["top"],
            "reused": round(found.reused, 3),
            "own": round(found.own, 3),
        }


class TestHeadline:
    """headline_rewritten()."""

    @pytest.mark.parametrize(
        "copy",
        [
            pytest.param("ECB HOLDS RATES BUT SIGNALS JUNE CUT", id="recased"),
            pytest.param("ECB holds rates, but signals June cut!", id="punctuation"),
            pytest.param("  ECB  holds rates but signals “June” cut ", id="spacing-typography"),
            pytest.param("ECB holds rates but sginals June cut", id="typo"),
        ],
    )
    def test_same_headline(self, copy: str) -> None:
        """Case, punctuation, spacing, typography and a small typo do not rewrite a headline."""
        assert not headline_rewritten(copy, TITLE)

    def test_rewritten_headline(self) -> None:
        """Another headline for the same story is rewritten."""
        assert headline_rewritten("Lagarde hints at first rate cut in June", TITLE)

    def test_empty_headline_is_never_rewritten(self) -> None:
        """A missing headline (or one of punctuation only) says nothing about a rewrite."""
        assert not headline_rewritten("", TITLE)
        assert not headline_rewritten(TITLE, " -- ")


# Texts of paragraphs drawn from a few scripts, with blank lines, datelines and odd characters.
WORD = st.sampled_from(["rates", "bank", "the", "said", "Lagarde", "June", "2.4", "1,000", "欧洲", "銀行", "ธนาคาร",
                        "«", "—", "PARIS (AFP) -", "\u00ad", "\ud800", "x"])
PARAGRAPH = st.lists(WORD, min_size=0, max_size=12).map(" ".join)
TEXT = st.lists(PARAGRAPH, max_size=10).map("\n".join)
ANY_TEXT = st.one_of(TEXT, st.text(), st.text(alphabet=st.characters(codec="utf-8"), max_size=300))


def paragraph_count(text: str) -> int:
    """How many non-blank lines a text has once cleaned (the most paragraphs the diff can see)."""
    return sum(1 for line in clean(text).split("\n") if line.strip())


class TestProperties:
    """Properties over any input."""

    @given(ANY_TEXT, ANY_TEXT, st.text(max_size=40), st.text(max_size=40))
    def test_never_raises_and_stays_in_bounds(self, copy: str, original: str, title: str, other: str) -> None:
        """Any texts and titles give a diff with shares in [0, 1] and counts bounded by the paragraphs."""
        found = diff(copy, original, title=title, original_title=other)
        assert 0.0 <= found.reused <= 1.0
        assert 0.0 <= found.own <= 1.0
        assert 0 <= found.paragraphs_cut <= paragraph_count(original)
        assert 0 <= found.paragraphs_added <= paragraph_count(copy)
        assert found.added_at == tuple(p for p in ("top", "middle", "bottom") if p in found.added_at)
        assert (found.paragraphs_added == 0) == (found.added_at == ())

    @given(ANY_TEXT, st.text(max_size=40))
    def test_a_text_against_itself_is_an_empty_diff(self, text: str, title: str) -> None:
        """A text against itself, or against itself with other line breaks, is an empty diff."""
        empty = CopyDiff(False, 0, 0, (), 1.0, 0.0)
        assert diff(text, text, title=title, original_title=title) == empty
        assert diff(text.replace("\n", "\n\n") + "\n", text, title=title, original_title=title) == empty

    @given(st.lists(st.lists(WORD, min_size=3, max_size=12).map(" ".join), min_size=1, max_size=10), st.data())
    def test_dropped_and_moved_paragraphs_add_nothing(self, paragraphs: list[str], data: st.DataObject) -> None:
        """A copy made of some of the original's paragraphs, in any order, adds nothing and has nothing of its own."""
        chosen = data.draw(st.permutations(range(len(paragraphs))))
        keep = data.draw(st.integers(min_value=1, max_value=len(paragraphs)))
        found = diff("\n".join(paragraphs[i] for i in chosen[:keep]), "\n".join(paragraphs))
        assert (found.paragraphs_added, found.added_at) == (0, ())
        assert found.paragraphs_cut <= len(paragraphs) - keep
