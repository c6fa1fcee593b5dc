"""Tests for the batched word likeness of dedupe.cluster: the same values as `_likeness` pair by pair."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe.cluster import _OTHER, _SAME, _SLIP, _WORD, _Lexicon, _likeness

# Short words over few letters, umlauts and digits: slips, swaps, folds and figures are frequent.
_WORDS = st.text(alphabet="abeorsäöüßæ19", min_size=1, max_size=7)


def _brute(word: str, others: list[str]) -> int:
    """The best likeness of a word to any of `others`, one `_likeness` call per pair."""
    return max((_likeness(word, other) for other in set(others)), default=_OTHER)


class TestLexicon:
    """`_Lexicon.best` against `_likeness` on every pair."""

    @settings(max_examples=600, deadline=None)
    @given(_WORDS, st.lists(_WORDS, max_size=12))
    def test_best_equals_the_pairwise_maximum(self, word: str, others: list[str]) -> None:
        """Any word against any small vocabulary: the batched value is the pairwise maximum."""
        assert _Lexicon(others).best(word) == _brute(word, others)

    def test_the_kinds_of_likeness(self) -> None:
        """A word present, one slip away, a swapped 3-letter word, two words, a figure."""
        lexicon = _Lexicon(["lagarde", "nbc", "york", "2024", "slovakia"])
        assert lexicon.best("lagarde") == _SAME
        assert lexicon.best("lagrade") == _SAME  # two letters swapped
        assert lexicon.best("yok") == _SAME  # a letter dropped
        assert lexicon.best("nac") == _SLIP  # a replaced letter in a 3-letter word
        assert lexicon.best("slovenia") == _SLIP  # two slips in a long word
        assert lexicon.best("merkel") == _WORD
        assert lexicon.best("2025") == _OTHER

    def test_an_empty_lexicon_knows_nothing(self) -> None:
        """No counterpart at all is the worst likeness, as `max(..., default=_OTHER)` gives."""
        assert _Lexicon([]).best("lagarde") == _OTHER
