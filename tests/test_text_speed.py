"""dedupe.text made faster gives what it gave before: a frozen copy of the old implementation is the reference.

`clean`, `text_hash`, `tokens` (every field, `words` included) and `_paragraph_codes` are compared with
the old code on generated text (hypothesis: words of many scripts, numbers with separators, datelines,
typography, invisible characters, line breaks) and on fixed multilingual strings, with the caches warm,
cold and cleared in between; tokens also survive pickling (worker processes send them back) unchanged.
"""

from __future__ import annotations

import hashlib
import pickle
import re
import unicodedata
import zlib
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe import text
from dedupe.text import SHINGLE, U64, Tokens, clean, hash_of_clean, mix64, text_hash, tokens, tokens_of_clean
from dedupe.words import UNSPACED_LETTER, UNSPACED_MARK, has_unspaced

# --- The implementation of dedupe/text.py at 3c7b946, frozen: the reference the fast one must equal. ---

_F_TYPOGRAPHY: tuple[tuple[str, str], ...] = tuple(
    [(c, "'") for c in "\u2018\u2019\u201a\u201b\u2032"]
    + [(c, '"') for c in "\u201c\u201d\u201e\u201f\u00ab\u00bb"]
    + [(c, "-") for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"]
    + [(c, "") for c in "\u00ad\u200b\u200c\u200d\ufeff"]
)
_F_THOUSANDS = re.compile(r"(\d)[,.\u202f\u00a0' ](?=\d{3}(?!\d))")
_F_WORD = re.compile(r"\w+")
_F_DATELINE = re.compile(
    r"""^\s*(?:
        [A-ZÀ-Þ][^\n().!?]{0,59}?\((?=[^()\n]*[A-Za-z])[^()\n]{1,40}\)\s*[-:]  # place, date, (agency)
      | [A-ZÀ-Þ][A-ZÀ-Þ'.,/ -]{1,40}?\s+-           # an all-capitals place then a dash
    )\s*""",
    re.VERBOSE,
)
_F_WORD_AFTER = re.compile(r'([.!?:;"\n]?)[^\w.!?:;"\n]*(\w+)')
_F_SEPARATED_WORD = re.compile(r'[.!?:;"\n]?[^\w.!?:;"\n]*\w+')
_F_UNSPACED_START = re.compile(f"[{UNSPACED_LETTER}]")
_F_TOKEN_PATTERN = f"[{UNSPACED_LETTER}][{UNSPACED_MARK}]*|[^\\W{UNSPACED_LETTER}]+"
_F_TOKEN = re.compile(_F_TOKEN_PATTERN)
_F_TOKEN_AFTER = re.compile(f'([.!?:;"\\n]?)[^\\w{UNSPACED_LETTER}.!?:;"\\n]*({_F_TOKEN_PATTERN})')
_F_SEPARATED_TOKEN = re.compile(f'[.!?:;"\\n]?[^\\w{UNSPACED_LETTER}.!?:;"\\n]*(?:{_F_TOKEN_PATTERN})')
_F_SENTENCE_END = frozenset('.!?:;"\n')
_F_CODES: dict[str, int] = {}
_F_CRC_MASK = np.int64(0xFFFFFFFF)
_F_SENTENCE_START = np.int64(1 << 34)
_F_PARAGRAPHS: dict[str, npt.NDArray[np.int64]] = {}
_F_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_F_MIX2 = np.uint64(0x94D049BB133111EB)
_F_SHINGLE_MULT = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


def frozen_clean(text: str) -> str:
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    for source, target in _F_TYPOGRAPHY:
        if source in text:
            text = text.replace(source, target)
    return _F_THOUSANDS.sub(r"\1", text)


def frozen_hash_of_clean(cleaned: str) -> str:
    normal = " ".join(cleaned.casefold().split())
    return hashlib.blake2b(normal.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def frozen_mix64(values: U64) -> U64:
    with np.errstate(over="ignore"):
        z = values ^ (values >> np.uint64(30))
        z = z * _F_MIX1
        z = z ^ (z >> np.uint64(27))
        z = z * _F_MIX2
        return np.asarray(z ^ (z >> np.uint64(31)), dtype=np.uint64)


def _f_code(separated: str) -> int:
    word = _F_WORD.search(separated).group()  # type: ignore[union-attr]
    lower = word.lower()
    code = (
        zlib.crc32(lower.encode("utf-8"))
        | (not lower.isalpha()) << 32
        | (word != lower) << 33
        | (separated[0] in _F_SENTENCE_END) << 34
    )
    _F_CODES[separated] = code
    return code


def _f_token_code(separated: str) -> int:
    word = _F_TOKEN.search(separated).group()  # type: ignore[union-attr]
    numeric = not word[0].isalpha() if _F_UNSPACED_START.match(word) else not word.isalpha()
    lower = word.lower()
    code = (
        zlib.crc32(lower.encode("utf-8"))
        | numeric << 32
        | (word != lower) << 33
        | (separated[0] in _F_SENTENCE_END) << 34
    )
    _F_CODES[separated] = code
    return code


def _f_fill(codes: list[int | None], found: list[str], code_of: Callable[[str], int]) -> None:
    at = codes.index(None)
    while True:
        code = _F_CODES.get(found[at])
        codes[at] = code_of(found[at]) if code is None else code
        try:
            at = codes.index(None, at + 1)
        except ValueError:
            return


def frozen_paragraph_codes(paragraph: str) -> npt.NDArray[np.int64]:
    packed = _F_PARAGRAPHS.get(paragraph)
    if packed is None:
        # The old code shared one word cache between lines with and without unspaced letters, which count
        # words as numbers by different rules; they differ for one letter, the dotted capital I ("İstanbul"),
        # so the code of such a word depended on which kind of line met it first, in this text or an
        # earlier one. The reference is each line's codes from an empty cache, which the new code gives.
        _F_CODES.clear()
        unspaced = has_unspaced(paragraph)
        found = (_F_SEPARATED_TOKEN if unspaced else _F_SEPARATED_WORD).findall(paragraph)
        codes = list(map(_F_CODES.get, found))
        if None in codes:
            _f_fill(codes, found, _f_token_code if unspaced else _f_code)
        packed = np.array(codes, dtype=np.int64)
        packed.flags.writeable = False
        _F_PARAGRAPHS[paragraph] = packed
    return packed


def frozen_shingles_of_ids(ids: U64) -> U64:
    if len(ids) < SHINGLE:
        ids = np.concatenate([ids, np.zeros(SHINGLE - len(ids), dtype=np.uint64)])
    n = len(ids) - SHINGLE + 1
    with np.errstate(over="ignore"):
        acc = ids[:n] * _F_SHINGLE_MULT[0] + ids[1 : n + 1] * _F_SHINGLE_MULT[1] + ids[2 : n + 2] * _F_SHINGLE_MULT[2]
    return frozen_mix64(acc)


def frozen_tokens_of_clean(cleaned: str) -> dict[str, object]:
    """The old Tokens as a dict of its fields, `words` included (computed as the old property did)."""
    body = _F_DATELINE.sub("", cleaned, count=1)
    lines = body.split("\n")
    if len(lines) == 1:
        packed = frozen_paragraph_codes(body)
    else:
        parts = [frozen_paragraph_codes(line) for line in lines]
        packed = np.concatenate(parts)
        after_break = np.cumsum([len(part) for part in parts[:-1]])
        packed[after_break[after_break < len(packed)]] |= _F_SENTENCE_START
    pattern = _F_TOKEN_AFTER if has_unspaced(body) else _F_WORD_AFTER
    words = tuple(word.lower() for _, word in pattern.findall(body))
    if len(packed) == 0:
        empty = np.zeros(0, dtype=np.bool_)
        none = np.zeros(0, dtype=np.uint64)
        return {"text": body, "n_words": 0, "salient": empty, "numeric": empty, "shingles": none,
                "shingle_set": none, "inverse": np.zeros(0, dtype=np.intp), "salient_at": (), "words": words}
    flags = packed >> 32
    numeric = (flags & 1).astype(np.bool_)
    salient = (flags & 6) == 2
    salient[0] = False
    salient |= numeric
    shingles = frozen_shingles_of_ids((packed & _F_CRC_MASK).view(np.uint64))
    order = np.argsort(shingles)
    ordered = shingles[order]
    first = np.empty(len(ordered), dtype=np.bool_)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    inverse = np.empty(len(ordered), dtype=np.intp)
    inverse[order] = np.cumsum(first) - 1
    return {"text": body, "n_words": len(packed), "salient": salient, "numeric": numeric, "shingles": shingles,
            "shingle_set": ordered[first], "inverse": inverse, "salient_at": tuple(np.flatnonzero(salient).tolist()),
            "words": words}


# --- Generated text ------------------------------------------------------------------------------------

WORDS = [
    "Paris", "paris", "AFP", "the", "The", "minister", "McDonald's", "O'Neil", "x2", "_", "a_b", "3.14",
    "1,000", "12 345", "1.234.567", "1'000", "10\u202f000", "١٬٠٠٠", "١٢٣", "１２３", "ﬁnance", "naïve", "Ærø",
    "e\u0301te", "İstanbul", "istanbul", "ΟΔΟΣ", "Σ", "σοφός", "Москва", "東京", "中文字", "ひらがな", "カタカナ",
    "ｶﾀｶﾅ", "ภาษาไทย", "ไท\u0e48", "\u0e48", "ລາວ", "ខ្មែរ", "မြန်မာ", "한국어", "العربية", "עברית", "हिन्दी",
    "2024", "9th", "COVID-19", "e-mail", "U.S.", "😀", "\ud800",
]
SEPARATORS = [
    " ", "  ", "\n", "\n\n", "\n\n\n", ". ", ", ", "! ", "? ", ": ", "; ", '"', "'", " - ", " -- ", "\t", "\r\n",
    "\u00a0", "\u202f", "\u2009", "\u3000", "\u2028", "\x1c", "\x85", "(", ")", "[", "…", "...", "\u2018", "\u2019",
    "\u201c", "\u201d", "\u00ab ", " \u00bb", "\u2013", "\u2014", "\u2212", "\u00ad", "\u200b", "\u200d", "\ufeff",
    "\u200e", "©", "•",
]
DATELINES = ["", "PARIS (AFP) - ", "WASHINGTON, Feb 28 (Reuters) - ", "BERLIN - ", "Paris (AFP) - ", "  ROME (ANSA): "]
PIECES = st.one_of(st.sampled_from(WORDS), st.sampled_from(SEPARATORS), st.text(max_size=4))
TEXTS = st.builds(lambda head, body: head + "".join(body), st.sampled_from(DATELINES), st.lists(PIECES, max_size=80))
ANY_TEXT = st.one_of(TEXTS, st.text(max_size=200))
MULTILINGUAL = [
    "東京（共同）- 日本政府は１０日、新しい経済対策を発表した。総額は１兆２０００億円に上る。",
    "北京消息：中国国家统计局周一公布，今年前三季度国内生产总值同比增长５.２％。\n\n记者 王伟 报道",
    "กรุงเทพฯ (รอยเตอร์) - นายกรัฐมนตรีไทยกล่าวเมื่อวันจันทร์ว่ารัฐบาลจะลดภาษี 1,000 ล้านบาท",
    "ວຽງຈັນ - ລັດຖະບານລາວ ປະກາດ ແຜນການ ໃໝ່ ໃນ ວັນ ຈັນ.",
    "ភ្នំពេញ៖ រដ្ឋាភិបាលកម្ពុជា បានប្រកាស នៅថ្ងៃច័ន្ទ។",
    "ရန်ကုန် - မြန်မာ အစိုးရ က ကြေညာ ခဲ့ သည်။",
    "서울 (연합뉴스) - 한국 정부는 월요일 1,000억 원 규모의 예산을 발표했다.",
    "МОСКВА (РИА Новости) - Президент России заявил в понедельник, что 12 345 человек эвакуированы.",
    "ΑΘΗΝΑ - Ο πρωθυπουργός ΜΗΤΣΟΤΑΚΗΣ δήλωσε ότι η ΕΛΛΑΔΑ θα στηρίξει το σχέδιο.",
    "İSTANBUL (AA) - İstanbul'da 1.250.000 kişi oy kullandı.\nÇarşamba günü açıklandı.",
    "القاهرة (أ ف ب) - قال الرئيس المصري يوم الاثنين إن ١٬٠٠٠ شخص قد أجلوا.",
    "ירושלים - ראש הממשלה אמר ביום שני כי 3,000 איש פונו.",
    "नई दिल्ली (पीटीआई) - प्रधानमंत्री ने सोमवार को १,००० करोड़ रुपये की घोषणा की।",
    "Bangkok (AFP) - Thai officials said ภาษาไทย İstanbul 東京 were mentioned together.\nİstanbul again.",
    "PARIS (AFP) - Le président a parlé « aujourd’hui » — devant 1 000 personnes…\n\nLire aussi : la suite",
]


def assert_same_tokens(new: Tokens, old: dict[str, object]) -> None:
    """Every field of the new tokens equals the old one: same values, same dtypes."""
    assert new.n_words == old["n_words"]
    assert new.salient_at == old["salient_at"]
    assert new.words == old["words"]
    for name in ("salient", "numeric", "shingles", "shingle_set", "inverse"):
        mine, theirs = getattr(new, name), old[name]
        assert isinstance(theirs, np.ndarray)
        assert mine.dtype == theirs.dtype, name
        assert mine.tolist() == theirs.tolist(), name


class TestSameAsBefore:
    """The fast code returns exactly what the old code returned."""

    @settings(max_examples=300)
    @given(value=ANY_TEXT)
    def test_clean_and_hash(self, value: str) -> None:
        """clean() and text_hash() are unchanged."""
        assert clean(value) == frozen_clean(value)
        assert text_hash(value) == frozen_hash_of_clean(frozen_clean(value))
        assert hash_of_clean(clean(value)) == text_hash(value)

    @settings(max_examples=300)
    @given(value=ANY_TEXT)
    def test_tokens(self, value: str) -> None:
        """tokens() and tokens_of_clean() give the old fields, with the caches as earlier examples left them."""
        old = frozen_tokens_of_clean(frozen_clean(value))
        assert_same_tokens(tokens(value), old)
        assert_same_tokens(tokens_of_clean(clean(value)), old)

    @given(lines=st.lists(ANY_TEXT.map(lambda value: value.replace("\n", " ")), min_size=1, max_size=5))
    def test_paragraph_codes(self, lines: list[str]) -> None:
        """_paragraph_codes (dedupe.diff reads lines with it) gives each line's old codes, read-only."""
        for line in lines:
            codes = text._paragraph_codes(line)
            assert codes.dtype == np.int64
            assert codes.tolist() == frozen_paragraph_codes(line).tolist()
            assert not codes.flags.writeable

    @given(value=ANY_TEXT)
    def test_pickled_tokens(self, value: str) -> None:
        """Tokens come back from a pickle equal and with writable arrays, as computed ones are."""
        original = tokens(value)
        back = pickle.loads(pickle.dumps(original, protocol=pickle.HIGHEST_PROTOCOL))
        assert_same_tokens(back, frozen_tokens_of_clean(frozen_clean(value)))
        assert all(getattr(back, name).flags.writeable for name in ("salient", "shingles", "inverse"))

    @given(values=st.lists(st.integers(0, 2**64 - 1), max_size=20))
    def test_mix64_and_shingles(self, values: list[int]) -> None:
        """The splitmix64 finaliser and the shingle hashes of word ids are unchanged (and leave the input alone)."""
        ids = np.array(values, dtype=np.uint64)
        kept = ids.copy()
        assert mix64(ids).tolist() == frozen_mix64(ids).tolist()
        assert text._shingles_of_ids(ids).tolist() == frozen_shingles_of_ids(ids).tolist()
        assert ids.tolist() == kept.tolist()


class TestScripts:
    """Multilingual text: CJK, Thai, Lao, Khmer, Burmese, Korean, Cyrillic, Greek, Turkish, Arabic, Hebrew, Hindi."""

    @pytest.mark.parametrize("value", MULTILINGUAL)
    def test_multilingual(self, value: str) -> None:
        """Each script tokenises and hashes as before, alone and glued to the others."""
        for variant in (value, value.upper(), value + "\n\n" + MULTILINGUAL[0], "\n".join(MULTILINGUAL)):
            assert clean(variant) == frozen_clean(variant)
            assert text_hash(variant) == frozen_hash_of_clean(frozen_clean(variant))
            assert_same_tokens(tokens(variant), frozen_tokens_of_clean(frozen_clean(variant)))

    def test_unspaced_letters_are_tokens(self) -> None:
        """A Chinese sentence is one token per character; its words hold no space."""
        found = tokens("中文字，日本語。")
        assert found.words == ("中", "文", "字", "日", "本", "語")
        assert found.n_words == 6


class TestCaches:
    """The caches save work only: full, cleared or met in another order, they change nothing."""

    def test_tiny_caches(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With caches of a few entries (cleared all the time) every text still tokenises as before."""
        monkeypatch.setattr(text, "_LINE_CACHE_LIMIT", 3)
        monkeypatch.setattr(text, "_CODE_CACHE_LIMIT", 5)
        for value in MULTILINGUAL * 2:
            assert_same_tokens(tokens(value), frozen_tokens_of_clean(frozen_clean(value)))

    def test_word_code_does_not_depend_on_history(self) -> None:
        """A word first met in a line with unspaced letters gets its own code in a line without them.

        "İstanbul" is a number by one rule and not by the other (its lower case holds a combining dot):
        the old shared cache gave the plain line whichever code came first, so a worker process that had
        read a Thai text gave another answer than one that had not.
        """
        forget_everything()
        alone = tokens("Yesterday İstanbul voted.")
        forget_everything()
        tokens("ภาษาไทย Yesterday İstanbul voted.")  # the same separated word, in a line with Thai letters
        after_thai = tokens("Yesterday İstanbul voted.")
        assert after_thai.numeric.tolist() == alone.numeric.tolist()
        assert after_thai.salient.tolist() == alone.salient.tolist()


def forget_everything() -> None:
    """Empty the tokeniser's caches, as in a fresh process."""
    for table in (text._CODES, text._LOWERS, text._TOKEN_CODES, text._TOKEN_LOWERS):
        table.clear()
    text._LINES.clear()
    text._LINES[""] = text._NO_LINE
