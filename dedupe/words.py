"""Word measures that hold for every script: texts written without spaces count by characters.

Chinese, Japanese, Thai, Lao, Khmer and Burmese put no space between words, so `len(text.split())`
sees a whole paragraph as one or two "words". Here their letters count as words at a calibrated
number of characters per word, and spaced scripts (Latin, Cyrillic, Greek, Arabic, Hangul, ...) count
by whitespace exactly as `split()` does. `dedupe.text` tokenises with the same character classes, and
`ingest` imports this module (dedupe must not depend on ingest).
"""

from __future__ import annotations

import re
import unicodedata
from itertools import groupby

__all__ = ["CJK_CHARS_PER_WORD", "LATIN_CHARS_PER_WORD", "UNSPACED_LETTER", "UNSPACED_MARK", "has_unspaced",
           "text_width", "word_count"]

# Unicode blocks of the scripts written without spaces between words. Ideographs are letters
# throughout their blocks (unassigned points included: the ranges stay short); the other blocks are
# sorted into letters, marks and the rest (punctuation such as 。 or ။) code point by code point.
_IDEOGRAPH_BLOCKS = (
    (0x3400, 0x4DBF),  # CJK unified ideographs extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x323AF),  # CJK extensions B to H, compatibility supplement
)
_KANA_BLOCKS = (
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x31F0, 0x31FF),  # katakana phonetic extensions
    (0xFF66, 0xFF9F),  # halfwidth katakana
)
_BRAHMIC_BLOCKS = (
    (0x0E00, 0x0E7F),  # Thai
    (0x0E80, 0x0EFF),  # Lao
    (0x1000, 0x109F),  # Myanmar (Burmese)
    (0x1780, 0x17FF),  # Khmer
    (0x19E0, 0x19FF),  # Khmer symbols
    (0xA9E0, 0xA9FF),  # Myanmar extended-B
    (0xAA60, 0xAA7F),  # Myanmar extended-A
)
# Characters per word, measured with segmenters on news text (5 real pages of trafilatura's evaluation
# set and the pages of tests/fixtures/scripts): janome on Japanese gives 1.6-1.8 characters a word,
# jieba on Chinese 1.8-2.1; pythainlp on Thai 4.1 letters a word (vowel and tone marks not counted:
# they ride on a letter). Lao, Khmer and Burmese build syllables the way Thai does and take its
# figure. A Latin-script word is 6 characters with the space after it (6.05 on the fundus gold text).
CJK_CHARS_PER_WORD = 1.8
BRAHMIC_LETTERS_PER_WORD = 4.0
LATIN_CHARS_PER_WORD = 6.0


def _ranges(points: list[int]) -> str:
    """Return a regex character class body holding exactly the given ascending code points."""
    parts = []
    for _, run in groupby(enumerate(points), key=lambda pair: pair[1] - pair[0]):
        members = [point for _, point in run]
        first, last = chr(members[0]), chr(members[-1])
        parts.append(first if first == last else f"{first}-{last}")
    return "".join(parts)


def _points(blocks: tuple[tuple[int, int], ...]) -> list[int]:
    """Return every code point of the blocks, ascending."""
    return [point for start, end in blocks for point in range(start, end + 1)]


def _is_mark(point: int) -> bool:
    """Tell whether a code point is a combining mark (a vowel sign, tone mark, virama, voicing mark)."""
    return unicodedata.category(chr(point)).startswith("M")


_KANA_POINTS = _points(_KANA_BLOCKS)
_BRAHMIC_POINTS = _points(_BRAHMIC_BLOCKS)
# Regex class bodies: the letters of unspaced scripts (each a word character for `\w`, except
# unassigned ideographs) and the combining marks that belong to the letter before them.
_CJK_LETTER = "".join(f"{chr(start)}-{chr(end)}" for start, end in _IDEOGRAPH_BLOCKS) + _ranges(
    [p for p in _KANA_POINTS if chr(p).isalnum()]
)
_BRAHMIC_LETTER = _ranges([p for p in _BRAHMIC_POINTS if chr(p).isalnum()])
UNSPACED_LETTER = _CJK_LETTER + _BRAHMIC_LETTER
UNSPACED_MARK = _ranges([p for p in _KANA_POINTS + _BRAHMIC_POINTS if _is_mark(p)])
_UNSPACED = re.compile(f"[{UNSPACED_LETTER}]")
# One range test per character instead of dozens: most text has nothing at or above U+0E00.
_FROM_THAI_UP = re.compile("[\u0e00-\U000323af]")
_CJK = re.compile(f"[{_CJK_LETTER}]")
_BRAHMIC = re.compile(f"[{_BRAHMIC_LETTER}]")
_UNSPACED_ANY = re.compile(f"[{UNSPACED_LETTER}{UNSPACED_MARK}]+")


def has_unspaced(text: str) -> bool:
    """Tell whether a text holds a letter of a script written without spaces."""
    return _FROM_THAI_UP.search(text) is not None and _UNSPACED.search(text) is not None


def word_count(text: str) -> int:
    """Count the words of a text: by whitespace in spaced scripts, by characters in unspaced ones."""
    if not has_unspaced(text):
        return len(text.split())
    cjk = len(_CJK.findall(text))
    brahmic = len(_BRAHMIC.findall(text))
    spaced = len(_UNSPACED_ANY.sub(" ", text).split())
    return spaced + round(cjk / CJK_CHARS_PER_WORD + brahmic / BRAHMIC_LETTERS_PER_WORD)


def text_width(text: str) -> int:
    """Return a text's length in Latin-script characters: unspaced letters count as the share of a word
    they carry (a Chinese character weighs as much as 3.3 Latin ones), other characters as one."""
    if not has_unspaced(text):
        return len(text)
    cjk = len(_CJK.findall(text))
    brahmic = len(_BRAHMIC.findall(text))
    extra = cjk * (LATIN_CHARS_PER_WORD / CJK_CHARS_PER_WORD - 1) + brahmic * (
        LATIN_CHARS_PER_WORD / BRAHMIC_LETTERS_PER_WORD - 1
    )
    return len(text) + round(extra)
