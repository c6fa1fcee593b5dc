"""Tests for dedupe.text: normalisation, hashing, datelines, shingles, names and numbers."""

from __future__ import annotations

import random
import re
import subprocess
import sys

from dedupe.text import (
    clean,
    names,
    normalise,
    numbers,
    shingle_hashes,
    strip_dateline,
    text_hash,
    tokens,
)


class TestNormalise:
    """normalise() and text_hash()."""

    def test_typography_and_spacing_do_not_matter(self) -> None:
        """Curly quotes, dashes, non-breaking spaces and case normalise to one form."""
        a = "The minister said “we will act” — today,\u00a0in  Paris."
        b = 'the minister said "we will act" - today, in Paris.'
        assert normalise(a) == normalise(b)
        assert text_hash(a) == text_hash(b)

    def test_thousands_separators_are_removed(self) -> None:
        """1,000 and 1 000 and 1000 are the same number."""
        assert normalise("1,000 people") == normalise("1\u202f000 people") == "1000 people"

    def test_hash_is_stable_across_processes(self) -> None:
        """The content hash does not depend on the interpreter's hash seed."""
        code = "from dedupe.text import text_hash; print(text_hash('Bonjour à tous'))"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == text_hash("Bonjour à tous")
        assert len(text_hash("x")) == 32


class TestStripDateline:
    """strip_dateline()."""

    def test_agency_datelines_are_removed(self) -> None:
        """English and French agency datelines go, the sentence stays."""
        assert strip_dateline("PARIS (AFP) - Le président a parlé.") == "Le président a parlé."
        assert strip_dateline("Paris (AFP) - Le président a parlé.") == "Le président a parlé."
        assert strip_dateline("WASHINGTON, Feb 28 (Reuters) - The U.S. said.") == "The U.S. said."
        assert strip_dateline("BERLIN - Die Regierung hat beschlossen.") == "Die Regierung hat beschlossen."

    def test_efe_and_typographic_dashes(self) -> None:
        """EFE's "Madrid, 23 ene (EFE).-" and datelines with an en or em dash go too."""
        assert strip_dateline("Valencia, 23 ene (EFE).- El Nacional crea un espacio.") == "El Nacional crea un espacio."
        assert strip_dateline("Madrid (EFE) – El Gobierno aprobó.") == "El Gobierno aprobó."
        assert strip_dateline("LONDON — Shares fell.") == "Shares fell."

    def test_ordinary_sentences_are_kept(self) -> None:
        """A sentence with brackets and a dash is not a dateline."""
        text = "The man (42) - a teacher - was arrested."
        assert strip_dateline(text) == text


class TestTokens:
    """tokens(), shingle_hashes(), names() and numbers()."""

    def test_salient_words_are_names_and_numbers(self) -> None:
        """Capitalised words inside a sentence and numbers are salient; sentence starts are not."""
        t = tokens("The mayor of Lyon met 12 people. Then she left.")
        salient = {w for w, s in zip(t.words, t.salient.tolist(), strict=True) if s}
        assert salient == {"lyon", "12"}

    def test_shingles_follow_word_order(self) -> None:
        """Each position has one shingle hash, equal words give equal hashes."""
        a = shingle_hashes(["a", "b", "c", "d"])
        b = shingle_hashes(["b", "c", "d"])
        assert len(a) == 2
        assert a[1] == b[0]

    def test_names_and_numbers(self) -> None:
        """names() and numbers() extract proper-name candidates and figures."""
        text = "Arsenal beat Chelsea 2-1 on Saturday in front of 60,000 fans."
        assert numbers(text) == {"2", "1", "60000"}
        assert {"chelsea", "saturday"} <= names(text)


# The tokeniser as first written: one regex pass over the whole body, one word at a time. The cached,
# line-by-line tokeniser must give exactly the same words, flags and shingles (they feed stored keys).
_REFERENCE_WORD = re.compile(r'([.!?:;"\n]?)[^\w.!?:;"\n]*(\w+)')
_PIECES = (
    "The", "mayor", "of", "Lyon", "met", "12", "people", "İstanbul", "ÉTÉ", "été", "x_1", "3rd", "A",
    " ", "  ", ". ", "! ", '"', "« ", " »", ": ", "; ", ", ", "\n", "\n\n", "\r\n", " \n ", "(", ")",
    "—", "-", "'", "…", "\t", "1,000", "PARIS (AFP) - ",
)  # fmt: skip


def _reference(text: str) -> tuple[list[str], list[bool], list[bool]]:
    """Return words, salient and numeric flags the way the first tokeniser computed them."""
    pairs = _REFERENCE_WORD.findall(strip_dateline(clean(text)))
    words = [word.lower() for _, word in pairs]
    numeric = [not word.isalpha() for word in words]
    salient = [
        (i > 0 and found != word and not end) or digit
        for i, ((end, found), word, digit) in enumerate(zip(pairs, words, numeric, strict=True))
    ]
    return words, salient, numeric


class TestTokeniserEquivalence:
    """tokens() against the reference tokeniser."""

    def test_random_texts_tokenise_as_the_reference(self) -> None:
        """Line breaks, quotes, sentence ends, capitals, digits and odd letters give the reference tokens."""
        rng = random.Random(5)
        texts = ["", "\n", "word", "\nWord", "Word\n\nNext", " . Word", "x\n\u2014\nY z"]
        texts += ["".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 40))) for _ in range(3000)]
        for text in texts:
            t = tokens(text)
            words, salient, numeric = _reference(text)
            assert list(t.words) == words, text
            assert t.n_words == len(words)
            assert t.salient.tolist() == salient, text
            assert t.numeric.tolist() == numeric, text
            assert t.salient_at == tuple(i for i, s in enumerate(salient) if s)
            assert t.shingles.tolist() == shingle_hashes(words).tolist(), text
            assert t.shingle_set.tolist() == sorted(set(t.shingles.tolist()))
            assert t.shingle_set[t.inverse].tolist() == t.shingles.tolist()
