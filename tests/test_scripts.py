"""Scripts without spaces (Japanese, Chinese, Thai, Burmese) and Korean: measured, extracted, clustered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dedupe.cluster import cluster_docs
from dedupe.model import Doc
from dedupe.text import text_hash, tokens
from dedupe.words import text_width, word_count
from ingest.extract.page import Extracted, extract_page

PAGES = Path(__file__).parent / "fixtures" / "scripts"
T0 = datetime(2026, 7, 10, 8, 0, tzinfo=UTC)
# A mixed line of spaced scripts; its tokens were pinned before unspaced scripts were tokenised apart.
SPACED = (
    "Le président Macron a reçu 1.500 élus à Paris, lundi. Москва сообщила; Ελλάδα και ο κόσμος — 서울시는 내년 1월부터"
)


def _page(name: str) -> Extracted:
    """Extract one fixture page as the pipeline does."""
    return extract_page((PAGES / f"{name}_article.html").read_bytes(), url=f"https://news.example/{name}/1.html")


def _paragraphs(extracted: Extracted) -> list[str]:
    """Return the paragraphs of an extracted text."""
    return extracted.text.split("\n\n")


class TestWordCount:
    """dedupe.words.word_count: words by whitespace, or by characters where scripts have no spaces."""

    def test_spaced_text_counts_as_split(self) -> None:
        """Latin, Cyrillic, Greek and Korean text counts exactly as str.split does."""
        for text in (SPACED, "one two  three\nfour", "", "   ", "— « »"):
            assert word_count(text) == len(text.split())

    def test_japanese_article_counts_hundreds_of_words(self) -> None:
        """A Japanese article of about 700 characters counts as hundreds of words, not a handful."""
        text = _page("ja").text
        assert len(text.split()) < 10
        assert 300 < word_count(text) < 500

    def test_characters_per_word(self) -> None:
        """Chinese/Japanese count 1.8 characters a word, Thai 4 letters (its marks not counted)."""
        assert word_count("新能源汽车产销量同比增长") == round(12 / 1.8)
        assert word_count("ที่ประเทศไทยมีฝน") == 3  # 13 letters, 3 marks
        assert word_count("JR九州は在来線の多くで運転を見合わせ") == 1 + round(17 / 1.8)

    def test_a_stub_stays_short(self) -> None:
        """A Japanese not-found notice counts as fewer words than an article needs."""
        assert word_count("お探しのページは見つかりませんでした。トップページへ戻る") < 40


class TestTextWidth:
    """dedupe.words.text_width: a length in Latin-script characters."""

    def test_spaced_text_is_its_length(self) -> None:
        """Text without unspaced letters is as wide as it is long."""
        assert text_width(SPACED) == len(SPACED)

    def test_chinese_character_weighs_a_latin_word_share(self) -> None:
        """A Chinese character weighs 6 / 1.8 Latin characters; punctuation weighs one."""
        assert text_width("新华社") == round(3 * 6 / 1.8)
        assert text_width("新华社。") == round(3 * 6 / 1.8) + 1


class TestTokens:
    """dedupe.text.tokens: one token per letter in unspaced scripts, spaced text unchanged."""

    def test_spaced_text_keeps_its_hashes(self) -> None:
        """Spaced text gives the shingle hashes and content hash it gave before unspaced scripts were split."""
        found = tokens(SPACED)
        assert found.n_words == 19
        assert found.salient_at == (2, 5, 8, 18)
        assert found.shingles[:3].tolist() == [2275131576869107775, 17129247587611796211, 1233353727874238834]
        assert found.shingles[-1] == 10727324941908384239
        assert text_hash(SPACED) == "69f29a834126624ee8bff8ee8591ed84"

    def test_japanese_letters_are_tokens(self) -> None:
        """Each kanji and kana is a token; a number inside stays one numeric token."""
        found = tokens("気象庁は10日未明、大雨特別警報を発表した。")
        assert found.words == ("気", "象", "庁", "は", "10", "日", "未", "明", "大", "雨", "特", "別", "警", "報",
                               "を", "発", "表", "し", "た")
        assert found.numeric.tolist().index(True) == 4
        assert found.salient_at == (4,)

    def test_thai_letter_keeps_its_marks(self) -> None:
        """A Thai letter with its vowel and tone marks is one token, and no number."""
        found = tokens("ที่ประเทศไทย")
        assert found.words[0] == "ที่"
        assert found.n_words == 10
        assert not found.numeric.any()

    def test_one_edited_character_keeps_most_shingles(self) -> None:
        """Changing one character of a Chinese sentence changes only the shingles around it."""
        a = tokens("中国汽车工业协会11日发布的数据显示，今年上半年新能源汽车产销量同比增长三成。")
        b = tokens("中国汽车工业协会12日发布的数据显示，今年上半年新能源汽车产销量同比增长三成。")
        shared = len(set(a.shingle_set.tolist()) & set(b.shingle_set.tolist()))
        assert shared >= len(a.shingle_set) - 3


class TestExtractPage:
    """ingest.extract.extract_page on article pages in scripts without spaces, and Korean."""

    @pytest.mark.parametrize("name", ["ja", "zh", "th"])
    def test_unspaced_article_is_an_article(self, name: str) -> None:
        """A normal Japanese, Chinese or Thai news page is an article, not too_little_text."""
        extracted = _page(name)
        assert extracted.is_article, extracted.not_article_reason
        assert extracted.language == name

    def test_japanese_page_is_cleaned(self) -> None:
        """The Japanese page keeps its 7 paragraphs; title, photo credit and repeated teaser are removed."""
        extracted = _page("ja")
        paragraphs = _paragraphs(extracted)
        assert len(paragraphs) == 7
        assert paragraphs[0].startswith("気象庁は10日未明、福岡県と佐賀県に大雨特別警報を発表した。")
        assert paragraphs[-1].endswith("引き続き厳重な警戒が必要だとしている。")
        why = {removed.why: removed.text for removed in extracted.removed}
        assert why["photo_caption"].endswith("写真：共同通信")
        assert why["repeated_teaser"].endswith("線状降水帯が…")
        assert "title_repeated" in why

    def test_chinese_page_is_cleaned(self) -> None:
        """The Chinese page keeps its 6 paragraphs; the 图片来源 credit and the …… teaser are removed."""
        extracted = _page("zh")
        paragraphs = _paragraphs(extracted)
        assert len(paragraphs) == 6
        assert paragraphs[0].startswith("中国汽车工业协会11日发布的数据显示")
        why = {removed.why: removed.text for removed in extracted.removed}
        assert why["photo_caption"].endswith("图片来源：新华社")
        assert why["repeated_teaser"].endswith("30.5%……")

    def test_thai_page_is_cleaned(self) -> None:
        """The Thai page keeps its 6 paragraphs; the ภาพ: credit and the ... teaser are removed."""
        extracted = _page("th")
        assert len(_paragraphs(extracted)) == 6
        why = {removed.why: removed.text for removed in extracted.removed}
        assert why["photo_caption"].endswith("ภาพ: รอยเตอร์")
        assert why["repeated_teaser"].endswith("เป็นวันที่สาม...")

    @pytest.mark.parametrize(("name", "paragraphs"), [("my", 5), ("ko", 5)])
    def test_burmese_and_korean_pages(self, name: str, paragraphs: int) -> None:
        """A Burmese page (phrases spaced, words not) and a Korean page (spaced) are articles with their body."""
        extracted = _page(name)
        assert extracted.is_article, extracted.not_article_reason
        assert len(_paragraphs(extracted)) == paragraphs

    def test_korean_photo_credit_is_removed(self) -> None:
        """The Korean caption ending with "사진: 연합뉴스" is removed as a photo caption."""
        why = {removed.why: removed.text for removed in _page("ko").removed}
        assert why["photo_caption"].endswith("사진: 연합뉴스")

    def test_japanese_stub_is_too_little_text(self) -> None:
        """A Japanese page with one short sentence is still not an article."""
        html = (
            "<html lang='ja'><head><title>お知らせ</title></head><body><main>"
            "<p>お探しのページは見つかりませんでした。URLをご確認ください。</p></main></body></html>"
        )
        extracted = extract_page(html.encode(), url="https://news.example.jp/article/missing.html")
        assert extracted.not_article_reason in {"too_little_text", "no_text"}


def _copies(name: str, other: str, edit: tuple[str, str], footer: str) -> list[Doc]:
    """Return an article, a verbatim copy, an edited copy and a different article on the same topic."""
    extracted = _page(name)
    title = extracted.title or ""
    paragraphs = _paragraphs(extracted)
    old, new = edit
    assert old in paragraphs[1]
    edited = [paragraphs[0], paragraphs[1].replace(old, new), *paragraphs[3:], footer]  # paragraph 3 cut
    other_title, *other_body = (PAGES / other).read_text(encoding="utf-8").splitlines()
    return [
        Doc("a", title, extracted.text, published=T0),
        Doc("b", title, extracted.text, published=T0 + timedelta(minutes=20)),
        Doc("c", title, "\n\n".join(edited), published=T0 + timedelta(hours=1)),
        Doc("d", other_title, "\n\n".join(other_body), published=T0 + timedelta(hours=2)),
    ]


class TestClusterDocs:
    """dedupe.cluster.cluster_docs on republished Japanese and Chinese articles."""

    def test_japanese_copies_cluster_and_other_article_does_not(self) -> None:
        """Two republished copies (one cut, edited, with a footer) join the story; another rain story does not."""
        docs = _copies(
            "ja",
            "ja_other.txt",
            ("110ミリの猛烈な雨が降り", "120ミリを超える猛烈な雨が降り"),
            "この記事は共同通信の配信記事です。無断転載を禁じます。",
        )
        decisions = cluster_docs(docs)
        assert [d.relation for d in decisions] == ["original", "exact", "near_duplicate", "original"]
        assert decisions[1].cluster == decisions[2].cluster == decisions[0].cluster
        assert decisions[3].cluster != decisions[0].cluster

    def test_chinese_copies_cluster_and_other_article_does_not(self) -> None:
        """Two republished copies (one cut, edited, with a footer) join the story; another EV story does not."""
        docs = _copies(
            "zh",
            "zh_other.txt",
            ("增速明显高于纯电动车型", "增幅远超纯电动车型"),
            "（本文来源：新华社 责任编辑：李明）",
        )
        decisions = cluster_docs(docs)
        assert [d.relation for d in decisions] == ["original", "exact", "near_duplicate", "original"]
        assert decisions[1].cluster == decisions[2].cluster == decisions[0].cluster
        assert decisions[3].cluster != decisions[0].cluster
