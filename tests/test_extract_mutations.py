"""Mutated pages: stray bytes, cut-off bodies, UTF-16 without a BOM and libxml2's limits keep the article.

Each case was found by mutating real pages of ../shared/data (bytes injected, bodies truncated, pages
re-encoded, trees nested deep) and reduced to a small page of its own; the last class replays a few of
them on the real pages themselves when that folder is present.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.extract.page import extract_page
from ingest.fetch.charset import decode_html

URL = "https://news.example/world/2024/story-1"
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# One news sentence per script, repeated into a paragraph: non-ASCII heavy, as the pages that broke were.
SENTENCES = {
    "ar": "أعلنت الحكومة اليوم عن إجراءات جديدة لدعم الاقتصاد وتوفير فرص العمل في البلاد. ",
    "el": "Η κυβέρνηση ανακοίνωσε σήμερα νέα μέτρα για την οικονομία και την απασχόληση στη χώρα. ",
    "ru": "Правительство объявило сегодня о новых мерах поддержки экономики и занятости в стране. ",
    "pl": "Rząd ogłosił dziś nowe środki wsparcia dla gospodarki i zatrudnienia w całym kraju, także dla młodzieży. ",
    "de": "Die Regierung hat heute neue Maßnahmen für die Wirtschaft angekündigt, sagte der Sprecher in Müns­ter. ",
    "ja": "政府は本日、経済と雇用を支援するための新たな措置を発表しました。",
    "ko": "정부는 오늘 경제와 고용을 지원하기 위한 새로운 조치를 발표했습니다. ",
    "zh": "一个政府今天宣布了一些支持经济和就业的新措施，并表示将继续推进改革开放。",
}
# What a byte pasted into a UTF-8 page can be: a UTF-16 surrogate, windows-1252 bytes (C1 in Latin-1),
# an overlong "/", a stray continuation byte, a lead byte with nothing after it.
BAD_BYTES = (b"\xed\xa0\x80", b"\x85\x9c", b"\xc0\xaf", b"\xe0\x80\xaf", b"\x80", b"\xe2")


def _page(lang: str, repeat: int = 8) -> str:
    """A small article page in one language with no charset declared anywhere."""
    paragraphs = "".join(f"<p>{SENTENCES[lang] * 3}</p>" for _ in range(repeat // 2))
    return (f'<html lang="{lang}"><head><title>Nachricht</title></head><body><h1>Headline</h1>'
            f"<article>{paragraphs}</article></body></html>")


def _inject(page: str, positions: list[int], bad: bytes) -> bytes:
    """The page as UTF-8 with `bad` pasted at these character positions."""
    cuts = sorted({min(p, len(page)) for p in positions})
    pieces = [page[a:b].encode() for a, b in zip([0, *cuts], [*cuts, len(page)], strict=True)]
    return bad.join(pieces)


class TestMostlyUtf8:
    """A UTF-8 page with no declaration and a few invalid bytes is still read as UTF-8, not re-detected."""

    @pytest.mark.parametrize("lang", sorted(SENTENCES))
    def test_pasted_surrogate_keeps_every_letter(self, lang: str) -> None:
        """One lone surrogate's bytes in a page used to send it to detection: Arabic came out as Thai."""
        page = _page(lang)
        body = _inject(page, [len(page) // 2], b"\xed\xa0\x80")
        assert decode_html(body).replace("\ufffd", "") == page

    @settings(max_examples=60, deadline=None)
    @given(lang=st.sampled_from(sorted(SENTENCES)), bad=st.sampled_from(BAD_BYTES),
           positions=st.lists(st.integers(min_value=0, max_value=5000), min_size=1, max_size=3))
    def test_any_few_bad_bytes_keep_the_text(self, lang: str, bad: bytes, positions: list[int]) -> None:
        """Up to three pasted invalid sequences become U+FFFD; every other character decodes as written."""
        page = _page(lang)
        assert decode_html(_inject(page, positions, bad)).replace("\ufffd", "") == page

    @settings(max_examples=60, deadline=None)
    @given(lang=st.sampled_from(sorted(SENTENCES)), data=st.data())
    def test_body_cut_inside_a_character(self, lang: str, data: st.DataObject) -> None:
        """A body cut off inside a multi-byte character (a dropped connection) is UTF-8 up to the cut."""
        body = _page(lang).encode()
        starts = [i for i, byte in enumerate(body) if byte >= 0xC2]
        cut = data.draw(st.sampled_from(starts)) + 1
        assert decode_html(body[:cut]) == body[:cut - 1].decode() + "\ufffd"

    @pytest.mark.parametrize(("lang", "codec"), [
        ("ru", "cp1251"), ("ru", "koi8-r"), ("el", "cp1253"), ("ar", "cp1256"), ("de", "cp1252"),
        ("ja", "shift_jis"), ("ja", "euc-jp"), ("zh", "gbk"), ("zh", "gb18030"), ("ko", "euc-kr"),
    ])
    def test_legacy_pages_are_still_detected(self, lang: str, codec: str) -> None:
        """A page in a legacy charset, none declared, is not mistaken for UTF-8 with bad bytes."""
        page = _page(lang)
        assert decode_html(page.encode(codec)) == page


class TestUtf16WithoutBom:
    """UTF-16 with no BOM and no declaration is recognised by its NUL bytes, whatever the script."""

    @pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
    @pytest.mark.parametrize("lang", ["ar", "ru", "pl", "de", "zh"])
    def test_read_as_utf16(self, lang: str, codec: str) -> None:
        """Arabic and Cyrillic used to pass for UTF-8 with NULs between letters, Polish for windows-1252."""
        page = _page(lang)
        assert decode_html(page.encode(codec)) == page

    @pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
    def test_header_without_byte_order(self, codec: str) -> None:
        """charset=utf-16 and no BOM: big-endian bytes used to be read little-endian, every character wrong."""
        page = _page("de")
        assert decode_html(page.encode(codec), {"Content-Type": "text/html; charset=UTF-16"}) == page

    def test_article_extracted(self) -> None:
        """The article of a BOM-less UTF-16 page is extracted as its letters, not as letters and NULs."""
        page = _page("ar")
        extracted = extract_page(page.encode("utf-16-le"), url=URL, headers={"Content-Type": "text/html"})
        assert SENTENCES["ar"].strip() in extracted.text

    def test_utf8_with_a_few_nuls_stays_utf8(self) -> None:
        """NUL bytes pasted into a UTF-8 page do not make it UTF-16."""
        page = _page("pl")
        body = _inject(page, [200, 400, 600], b"\x00")
        assert decode_html(body).replace("\x00", "") == page


def _article(marker: str) -> str:
    """An article of five distinct paragraphs, each naming `marker`."""
    return "<article>" + "".join(
        f"<p>The council met on day {n} of the {marker} session and agreed, after three hours of debate, to send "
        f"the budget back to the finance office for another review before the vote next week.</p>"
        for n in range(1, 6)) + "</article>"


class TestParserLimits:
    """libxml2 stops at 256 levels of nesting or a 10 MB text node; the rest of the page is not lost."""

    @pytest.mark.parametrize("tag", ["span", "div", "font"])
    def test_deep_widget_before_the_article(self, tag: str) -> None:
        """A sidebar nested 300 deep used to end the parse: the article after it came out empty."""
        widget = f"<aside>{f'<{tag}>' * 300}Trending{f'</{tag}>' * 300}</aside>"
        html = f"<html><head><title>Budget</title></head><body>{widget}{_article('spring')}</body></html>"
        extracted = extract_page(html.encode(), url=URL, headers={"Content-Type": "text/html; charset=utf-8"})
        assert extracted.is_article
        assert "day 5 of the spring session" in extracted.text

    def test_unclosed_tags_nest_the_article(self) -> None:
        """An article under 1,000 unclosed <div>s (a template that never closes them) is extracted."""
        html = f"<html><head><title>Budget</title></head><body>{'<div>' * 1000}{_article('autumn')}</body></html>"
        extracted = extract_page(html, url=URL)
        assert "day 1 of the autumn session" in extracted.text
        assert "day 5 of the autumn session" in extracted.text

    def test_huge_inline_script_before_the_article(self) -> None:
        """An 11 MB inline script (fetch.max_bytes raised) no longer hides the article that follows it."""
        script = "<script>window.__STATE__ = [" + "1," * (11 * 512 * 1024) + "0];</script>"
        html = f"<html><head><title>Budget</title>{script}</head><body>{_article('winter')}</body></html>"
        extracted = extract_page(html, url=URL)
        assert "day 3 of the winter session" in extracted.text


_CHARSET_META = re.compile(rb"<meta\b[^>]*?(?:charset\s*=|http-equiv\s*=\s*[\"']?content-type)[^>]*>", re.IGNORECASE)


NO_CHARSET = {"Content-Type": "text/html"}


def _real(name: str) -> bytes:
    """A trafilatura-eval page as UTF-8 with its charset declarations removed."""
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is absent: the real-page mutations need the shared evaluation data")
    raw = gzip.decompress((DATA / "trafilatura-eval" / "html" / f"{name}.html.gz").read_bytes())
    return _CHARSET_META.sub(b"", decode_html(raw).encode())


def _url(name: str) -> str:
    """The page's URL as trafilatura-eval records it."""
    return str(json.loads((DATA / "trafilatura-eval" / "ground_truth.json").read_text())[name]["url"])


class TestRealPagesMutated:
    """Mutations of real pages that lost their article, replayed when ../shared/data is present."""

    @pytest.mark.parametrize("name", ["ae51e8d9f46083f0", "f3b7e8758cfee8d2", "6241d9d676446b19"],
                             ids=["ar", "de", "pl"])
    def test_pasted_surrogates(self, name: str) -> None:
        """Four lone surrogates pasted into the text of an undeclared UTF-8 page leave its extraction unchanged."""
        body = _real(name)
        base = extract_page(body, url=_url(name), headers=NO_CHARSET)
        middle = body.index(b"</body>") // 2 if b"</body>" in body else len(body) // 2
        positions = [body.index(b" ", middle + step * 997) for step in range(4)]
        mutated = body
        for position in reversed(positions):
            mutated = mutated[:position] + b"\xed\xa0\x80" + mutated[position:]
        extracted = extract_page(mutated, url=_url(name), headers=NO_CHARSET)
        assert extracted.text.replace("\ufffd", "") == base.text

    @pytest.mark.parametrize("name", ["6241d9d676446b19", "ae51e8d9f46083f0"], ids=["pl", "ar"])
    def test_utf16_without_bom(self, name: str) -> None:
        """The page re-encoded as UTF-16LE with no BOM and no header gives the same article."""
        body = _real(name)
        base = extract_page(body, url=_url(name), headers=NO_CHARSET)
        extracted = extract_page(body.decode().encode("utf-16-le"), url=_url(name), headers=NO_CHARSET)
        assert extracted.text == base.text

    def test_nested_300_deep(self) -> None:
        """A real page's body wrapped in 300 <div>s gives the same article."""
        name = "f3b7e8758cfee8d2"
        body = _real(name)
        start = body.index(b">", body.index(b"<body")) + 1
        end = body.rindex(b"</body>")
        nested = body[:start] + b"<div>" * 300 + body[start:end] + b"</div>" * 300 + body[end:]
        base = extract_page(body, url=_url(name), headers=NO_CHARSET)
        assert extract_page(nested, url=_url(name), headers=NO_CHARSET).text == base.text
