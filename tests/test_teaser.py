"""Tests for ingest.extract.teaser: repeated teasers are found wherever they sit, body text never."""

from __future__ import annotations

import pytest

from ingest.extract.teaser import find_repeated_teasers, strip_marker

FR = [
    "La Banque centrale européenne a laissé jeudi ses taux directeurs inchangés, pour la cinquième réunion "
    "consécutive, tout en laissant entendre qu'une baisse pourrait intervenir dès le mois de juin.",
    "« Nous ne sommes pas encore assez confiants dans le reflux de l'inflation », a déclaré sa présidente, "
    "Christine Lagarde, lors d'une conférence de presse à Francfort.",
    "L'inflation en zone euro est retombée à 2,6 % sur un an en février, selon Eurostat, encore au-dessus de "
    "l'objectif de 2 % que s'est fixé l'institution.",
]
EN = [
    "Heavy rain flooded parts of the city on Tuesday, closing two metro lines and forcing the evacuation of "
    "several hundred residents from low-lying neighbourhoods near the river.",
    "The mayor said emergency crews had worked through the night and that the water was expected to recede "
    "by Thursday, although more rain is forecast for the weekend.",
    "Insurers warned that the cost of the damage could exceed last year's floods, which left thousands of "
    "homes uninhabitable for months.",
]


class TestStripMarker:
    """Ellipses and read-on links end a teaser."""

    @pytest.mark.parametrize(
        ("text", "stripped"),
        [
            ("dans le...", "dans le"),
            ("dans le…", "dans le"),
            ("dans le [...]", "dans le"),
            ("dans le (…)", "dans le"),
            ("à Francfort. Lire la suite", "à Francfort."),
            ("near the river. Read more »", "near the river."),
            ("near the…Read more", "near the"),
        ],
    )
    def test_marker_removed(self, text: str, stripped: str) -> None:
        """The marker is cut and reported."""
        assert strip_marker(text) == (stripped, True)

    @pytest.mark.parametrize("text", ["il a annoncé la suite.", "We want more", "Il a dit: « Oui »."])
    def test_no_marker(self, text: str) -> None:
        """Ordinary endings are not markers."""
        assert strip_marker(text) == (text, False)


class TestFindRepeatedTeasers:
    """Teasers at the end, the start or the middle; glued, cut, marked or not."""

    def test_glued_cut_teaser_at_end(self) -> None:
        """The seed case: the first two paragraphs glued without a space and cut mid-sentence."""
        teaser = FR[0] + FR[1][:60] + "..."
        assert find_repeated_teasers([*FR, teaser]) == [3]

    def test_teaser_at_start(self) -> None:
        """A teaser before the body is found too."""
        teaser = EN[0][:90] + "… Read more"
        assert find_repeated_teasers([teaser, *EN]) == [0]

    def test_teaser_in_middle_cut_mid_word(self) -> None:
        """A teaser between paragraphs, cut in the middle of a word, with "[...]"."""
        teaser = EN[1][:77] + " [...]"
        assert find_repeated_teasers([EN[0], teaser, EN[1], EN[2]]) == [1]

    def test_unmarked_glued_copy(self) -> None:
        """Two paragraphs glued again without any marker are a repeat."""
        assert find_repeated_teasers([*EN, EN[0] + " " + EN[1]]) == [3]

    def test_fuzzy_marked_copy(self) -> None:
        """A marked teaser with typographic differences (quotes, spacing) still matches."""
        teaser = FR[1].replace("«", '"').replace("»", '"').replace("  ", " ")[:100] + "…"
        assert find_repeated_teasers([*FR, teaser]) == [3]

    def test_long_exact_duplicate(self) -> None:
        """A long paragraph repeated word for word keeps its first occurrence only."""
        assert find_repeated_teasers([*EN, EN[2]]) == [3]

    def test_body_with_ellipsis_kept(self) -> None:
        """A paragraph ending with "..." that repeats nothing is body text."""
        trailing = "Les négociations reprendront la semaine prochaine, mais personne n'ose y croire..."
        assert find_repeated_teasers([*FR, trailing]) == []

    def test_short_repeats_kept(self) -> None:
        """Short identical lines (list items, schedules) are not teasers."""
        line = "Open daily 10am-5pm. example.org"
        assert find_repeated_teasers([*EN, line, line]) == []

    def test_paragraph_inside_teaser_kept(self) -> None:
        """The real first paragraph, contained in the glued teaser, stays."""
        teaser = EN[0] + EN[1][:40] + "..."
        removed = find_repeated_teasers([*EN, teaser])
        assert 0 not in removed
        assert removed == [3]
