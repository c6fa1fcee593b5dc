"""Tests for dedupe.cluster: relations, hard negatives, determinism, windows and anti-chaining."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe.cluster import (
    Clusterer,
    _aligned,
    _bound,
    _contained,
    _match_runs,
    _Runs,
    cluster_docs,
    compare,
    features,
    story_id,
)
from dedupe.index import KEY_MASK, InMemoryIndex
from dedupe.lineage import InMemoryLineage
from dedupe.model import Decision, Doc
from dedupe.text import text_hash, tokens

T0 = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)

STORY = [
    "The European Central Bank kept its key interest rates unchanged on Thursday, but its president "
    "Christine Lagarde signalled that a first cut could come as early as June if inflation keeps easing.",
    "Inflation in the eurozone slowed to 2.4 percent in March, close to the bank's target of two percent, "
    "after peaking above ten percent in the autumn of 2022 when energy prices soared.",
    "Speaking at a press conference in Frankfurt, Lagarde said the governing council had discussed a "
    "reduction and that a few members already felt confident enough to support one this month.",
    "Markets reacted calmly to the decision. The euro slipped slightly against the dollar while "
    "government bond yields in Germany and Italy edged lower during the afternoon session.",
    "Economists said the bank was likely to move before the US Federal Reserve, which has pushed back "
    "expectations of its own cuts after a run of stronger than expected American data.",
    "Wage growth remains the main worry for policymakers, who fear that rising pay in services could "
    "keep price pressures alive even as goods inflation fades across the single currency area.",
    "The bank will publish new staff projections at its next meeting, giving investors a clearer view "
    "of how far and how fast borrowing costs could fall during the rest of the year.",
    "Lagarde declined to commit to a series of moves, repeating that decisions would be taken meeting "
    "by meeting and would depend on the data available at the time.",
]
HISTOIRE = [
    "Le gouvernement a présenté mercredi en Conseil des ministres un projet de loi destiné à simplifier "
    "les démarches des petites entreprises, a annoncé la porte-parole de l'exécutif.",
    "Le texte prévoit notamment la suppression de plusieurs formulaires jugés redondants et la création "
    "d'un guichet numérique unique pour les déclarations sociales et fiscales des artisans.",
    "Les organisations patronales ont salué « un pas dans la bonne direction », tout en regrettant "
    "l'absence de mesures sur le coût de l'énergie, qui pèse sur les commerçants depuis deux ans.",
    "Les syndicats, eux, s'inquiètent d'un affaiblissement des contrôles et demandent à être reçus par "
    "la ministre avant l'examen du texte à l'Assemblée nationale, prévu au printemps.",
    "Selon l'entourage de la ministre, une concertation sera ouverte dès la semaine prochaine avec "
    "l'ensemble des partenaires sociaux afin d'amender le projet avant son passage au Parlement.",
]
FOOTER = (
    "Subscribe to the Daily Courier newsletter to get the day's top stories delivered to your inbox "
    "every morning, plus exclusive offers from our partners. You can unsubscribe at any time. We use "
    "cookies and similar technologies to personalise content and ads, to provide social media features "
    "and to analyse our traffic. © 2024 Daily Courier Media Group. All rights reserved. This material "
    "may not be published, broadcast, rewritten or redistributed without permission."
)


def doc(doc_id: str, text: str, *, title: str = "", hours: float = 0.0, url: str | None = None) -> Doc:
    """Build a document published `hours` after T0."""
    return Doc(doc_id, title or doc_id, text, url, T0 + timedelta(hours=hours))


def body(paragraphs: list[str]) -> str:
    """Join paragraphs the way extracted article text is joined."""
    return "\n\n".join(paragraphs)


def football(home: str, away: str, score: str, scorer: str, *, minute: int, crowd: str) -> str:
    """Write a results-service match report (template story)."""
    return body(
        [
            f"{home} beat {away} {score} in the Premier League on Saturday in front of {crowd} fans.",
            f"{scorer} scored the decisive goal in the {minute}th minute after a first half in which "
            "both sides created chances but neither goalkeeper was seriously tested.",
            "The Premier League season continues next weekend with a full programme of fixtures, and "
            "both managers will speak to the media at their post-match press conferences.",
        ]
    )


def market(index: str, change: str, level: str, gainer: str, loser: str) -> str:
    """Write an automated market report (template story)."""
    return body(
        [
            f"The {index} closed {change} percent higher at {level} points on Tuesday as investors weighed "
            "fresh economic data and comments from central bank officials.",
            f"{gainer} shares led the gains after quarterly results, while {loser} fell the most. Analysts "
            "said markets would remain sensitive to the next inflation figures due at the end of the month.",
        ]
    )


def weather(city: str, high: int, low: int, wind: int) -> str:
    """Write an automated weather report (template story)."""
    return body(
        [
            f"Weather forecast for {city} on Monday: cloudy with sunny spells, highs of {high}C and lows of "
            f"{low}C. Winds will blow at {wind} km/h in the afternoon.",
            "Forecasts are updated several times a day by the national weather service, and warnings are "
            "issued for storms, heat and flooding when needed.",
        ]
    )


def run(*docs: Doc, **params: float) -> list[Decision]:
    """Cluster documents in order with default settings unless overridden."""
    return cluster_docs(docs, **params)


class TestRelations:
    """Each copy of a story is recognised with the right relation."""

    def test_first_document_starts_a_story(self) -> None:
        """The first document is the original, with a deterministic story id from its doc id."""
        [d] = run(doc("a", body(STORY)))
        assert d == Decision("a", story_id("a"), None, 0.0, "original")
        assert d.cluster.startswith("s")
        assert len(d.cluster) == 16

    def test_exact_copy(self) -> None:
        """The same text with other spacing and quotes is an exact copy."""
        copy = body(STORY).replace("  ", " ").replace("'", "’")
        a, b = run(doc("a", body(STORY)), doc("b", copy, title="Other headline", hours=1))
        assert (b.relation, b.duplicate_of, b.cluster, b.score) == ("exact", "a", a.cluster, 1.0)

    @pytest.mark.parametrize(
        "copy",
        [
            pytest.param("PARIS (AFP) - " + body(STORY), id="dateline"),
            pytest.param(body(STORY[:4]), id="trimmed"),
            pytest.param(body(STORY) + "\n\nChristine Lagarde in Frankfurt. (Photo by Jane Doe / AFP)", id="caption"),
            pytest.param(body(STORY[:5]) + "\n\nRead more: Fed holds rates steady again", id="read-more"),
            pytest.param(" ".join(STORY[0].split()[:30]) + "…\n\nRead more", id="teaser"),
            pytest.param(body(STORY) + "\n\n" + FOOTER, id="footer"),
        ],
    )
    def test_near_duplicates(self, copy: str) -> None:
        """Republication edits keep the copy in the story of the original."""
        a, b = run(doc("a", "FRANKFURT (AFP) - " + body(STORY)), doc("b", copy, title="ECB holds", hours=2))
        assert (b.relation, b.duplicate_of, b.cluster) == ("near_duplicate", "a", a.cluster)
        assert 0.0 < b.score <= 1.0

    def test_misspelt_names_are_no_conflict(self) -> None:
        """A copy whose editor misspelt or corrected names and changed words beside them is the same story."""
        edits = {
            "Christine Lagarde signalled": "Christine Lagrade signaled",
            "in Frankfurt, Lagarde said": "in Frankfrut, Lagarde stated",
            "Germany and Italy": "Germnay and Itlay",
            "US Federal Reserve": "US Federal Reserv",
            "Lagarde declined": "Lagardee declined",
            "American data": "Amercian data",
        }
        copy = body(STORY)
        for old, new in edits.items():
            copy = copy.replace(old, new)
        a, b = run(doc("a", body(STORY)), doc("b", copy, title="ECB holds", hours=2))
        assert (b.relation, b.duplicate_of, b.cluster) == ("near_duplicate", "a", a.cluster)

    def test_a_slip_in_a_three_letter_name_of_a_long_text(self) -> None:
        """One replaced letter in a short name ("NAC" for "NBC") does not split a long article from its copy."""
        interview = "Lagarde told NBC News in an interview that the decision had been unanimous."
        text = body([*STORY[:4], interview, *STORY[4:]])
        a, b = run(doc("a", text), doc("b", text.replace("NBC", "NAC"), hours=2))
        assert (b.relation, b.cluster) == ("near_duplicate", a.cluster)

    def test_three_letter_names_in_a_short_report_differ(self) -> None:
        """In a short report the same slip may be another name: Rio and Ria are two forecasts."""
        _a, b = run(doc("a", weather("Rio", 24, 13, 20)), doc("b", weather("Ria", 24, 13, 20), hours=1))
        assert b.relation == "original"

    def test_two_slips_in_long_nouns_of_a_long_text(self) -> None:
        """German capitalises nouns: a copy of a copy with two slips in a few of them is still the story."""
        text = body(HISTOIRE + STORY)
        copy = (text.replace("Conseil", "Cnosel").replace("Frankfurt", "Frakfrut")
                .replace("Inflation", "Inflaiton", 1).replace("Germany", "Gremny"))
        a, b = run(doc("a", text), doc("b", copy, hours=2))
        assert (b.relation, b.cluster) == ("near_duplicate", a.cluster)

    def test_two_slips_in_a_short_report_are_another_name(self) -> None:
        """In a short report two slips may be another name: Slovakia and Slovenia are two forecasts."""
        _a, b = run(doc("a", weather("Slovakia", 24, 13, 20)), doc("b", weather("Slovenia", 24, 13, 20), hours=1))
        assert b.relation == "original"

    def test_reordered_paragraphs_with_a_misspelt_name(self) -> None:
        """Swapped paragraphs and a misspelt name in one of them keep the copy in the story."""
        paragraphs = [*STORY[:3], "Asked about the euro, the bank's chief economist Philip Lane pointed to 2025.",
                      "Prices of services rose by 4 percent, according to Eurostat in Luxembourg.", *STORY[3:]]
        moved = [*paragraphs[:3], paragraphs[4], paragraphs[3], *paragraphs[5:]]
        a, b = run(doc("a", body(paragraphs)), doc("b", body(moved).replace("Lane", "Lnae"), hours=1))
        assert (b.relation, b.cluster) == ("near_duplicate", a.cluster)

    def test_german_copy_with_edited_nouns_and_no_umlauts(self) -> None:
        """German capitalises nouns: an editor's synonyms and umlauts written out are no conflict in a long text."""
        paragraphs = [
            "Entwicklungsministerin Schulze hat am Montag weitere Mittel für die Bekämpfung des Hungers in "
            "Ostafrika zugesagt. Die Menschen in der Region litten unter der schwersten Dürre seit Jahrzehnten.",
            "Insgesamt stellt das Ministerium 200 Millionen Euro bereit, um die Widerstandsfähigkeit von "
            "gefährdeten Menschen zu stärken, sagte Schulze bei einem Besuch in Nairobi.",
            "Nach Angaben der Vereinten Nationen sind fast fünf Millionen Menschen in Kenia, Somalia und "
            "Äthiopien auf Nahrungsmittelhilfe angewiesen. Viele Familien haben ihr Vieh verloren.",
            "Hilfsorganisationen begrüßten die Zusage, forderten aber langfristige Programme für die Landwirtschaft, "
            "damit die Gemeinden künftige Dürren besser überstehen können.",
            *STORY,
        ]
        text = body(paragraphs)
        copy = (text.replace("Menschen", "Personen").replace("Bekämpfung", "Bekaempfung")
                .replace("Äthiopien", "Aethiopien"))
        a, b = run(doc("a", text), doc("b", copy, hours=1))
        assert (b.relation, b.cluster) == ("near_duplicate", a.cluster)

    def test_swapped_names_are_a_conflict(self) -> None:
        """The same sentences with other teams in each other's places report another match."""
        _a, b = run(
            doc("a", football("Arsenal", "Chelsea", "2-1", "Bukayo Saka", minute=78, crowd="60,000")),
            doc("b", football("Chelsea", "Arsenal", "2-1", "Bukayo Saka", minute=78, crowd="60,000"), hours=30),
        )
        assert b.relation == "original"

    def test_french_copy_with_dateline_and_trim(self) -> None:
        """A French agency story and a trimmed copy without its dateline are one story."""
        a, b = run(doc("a", "Paris (AFP) - " + body(HISTOIRE)), doc("b", body(HISTOIRE[:3]), hours=3))
        assert (b.relation, b.cluster) == ("near_duplicate", a.cluster)

    def test_updated_version(self) -> None:
        """A later version with new paragraphs on top is an update of the earlier one."""
        new_top = [
            "UPDATE: The European Central Bank said on Thursday evening that it would publish the minutes "
            "of the meeting earlier than usual, a move analysts read as a sign of an imminent rate cut.",
            "Several members of the governing council were reported to have pushed for a cut this month, "
            "according to people familiar with the discussions who asked not to be named.",
        ]
        a, b = run(doc("a", body(STORY)), doc("b", body(new_top + STORY), hours=4))
        assert (b.relation, b.duplicate_of, b.cluster) == ("updated", "a", a.cluster)

    def test_copy_of_update_joins_the_same_story(self) -> None:
        """A trimmed copy of the updated version lands in the original story too."""
        top = ["BREAKING: " + STORY[2].replace("Frankfurt", "Frankfurt on Thursday evening")]
        a, b, c = run(
            doc("a", body(STORY)),
            doc("b", body(top + STORY), hours=4),
            doc("c", body((top + STORY)[:5]), hours=5),
        )
        assert a.cluster == b.cluster == c.cluster

    def test_trimmed_update_joins_without_the_full_update(self) -> None:
        """A copy with a new top and its last half cut joins the original even when it comes first."""
        top = [
            "UPDATE: The bank said late on Thursday that two governors had voted for an immediate cut, a split "
            "that several economists described as the clearest signal yet of a move in June.",
        ]
        a, b = run(doc("a", body(STORY)), doc("b", body(top + STORY[:4]), hours=6))
        assert (b.cluster, b.duplicate_of) == (a.cluster, "a")

    def test_agency_copy_is_preferred(self) -> None:
        """Among equally good earlier copies, the one with the agency credit is duplicate_of."""
        plain = body(STORY)
        credited = "FRANKFURT (AFP) - " + body(STORY) + "\n\n© AFP"
        _, _, c = run(doc("a", plain), doc("b", credited, hours=1), doc("c", body(STORY[:6]), hours=2))
        assert c.duplicate_of == "b"


UPDATE_TOP = [
    "Update: the bank's chief economist Philip Lane told reporters on Friday that the council would look "
    "closely at services prices before deciding anything in June.",
    "Lane added that the staff projections due at the next meeting would carry particular weight in the "
    "discussion among governors.",
    "Analysts at several large banks now expect three cuts this year, starting in June, with a pause over "
    "the summer months.",
    "Bond traders moved quickly to price in the change of tone, sending two-year yields to their lowest "
    "level since January.",
]


class TestPartialCopies:
    """Copies that keep only part of their original are found and verified (wire corpus misses)."""

    def test_trimmed_copy_under_a_new_top_is_found_without_a_shared_band(self) -> None:
        """Four new paragraphs on top of the first four: no MinHash band or lead key in common, yet it joins.

        The containment keys (a value sample of the shingles) find it; before them it started a story.
        """
        clusterer = Clusterer(InMemoryIndex(), lineage=None)  # no long-term index to fall back on
        original = doc("a", body(STORY), title="ECB holds rates")
        copy = doc("b", body(UPDATE_TOP + STORY[:4]), title="Lagarde hints at June cut", hours=2)
        n_lsh = clusterer.bands + clusterer.lead_keys
        mine, theirs = clusterer.keys_for(copy.text), clusterer.keys_for(original.text)
        assert not set(mine[:n_lsh]) & set(theirs[:n_lsh])  # the case: no band or lead key shared
        assert set(mine[n_lsh:]) & set(theirs[n_lsh:])
        first = clusterer.add(original, T0)
        second = clusterer.add(copy, T0)
        assert (second.cluster, second.duplicate_of) == (first.cluster, "a")

    def test_an_update_whose_top_is_most_of_it_joins(self) -> None:
        """Eight new paragraphs over the original's first four: the top is 60 % of the copy, under two thirds."""
        more = [
            "Investors will also watch the release of wage data next week, which several council members have "
            "described as decisive for the timing of the first cut.",
            "In Paris, the finance minister welcomed the signal and said lower rates would support investment by "
            "small firms that have struggled to borrow since 2022.",
            "Mortgage lenders in Spain and Portugal, where most loans carry variable rates, said households could "
            "see lower monthly payments by the autumn.",
            "Trade unions in Germany urged the bank to look beyond headline inflation and to weigh the impact of "
            "high borrowing costs on jobs in construction.",
        ]
        first, update = run(doc("a", body(STORY)), doc("b", body(UPDATE_TOP + more + STORY[:4]), hours=5))
        assert (update.cluster, update.duplicate_of) == (first.cluster, "a")

    def test_an_update_trimmed_to_the_first_two_paragraphs_joins(self) -> None:
        """Two new paragraphs over the original's first two: 60-odd shingles of the story's own words after the
        top, fewer than a long paragraph (`_TOP_EVIDENCE`) but none of them boilerplate: an update, trimmed."""
        first, update = run(doc("a", body(STORY)), doc("b", body(UPDATE_TOP[:2] + STORY[:2]), hours=5))
        assert (update.cluster, update.duplicate_of) == (first.cluster, "a")

    def test_one_reused_sentence_is_no_copy(self) -> None:
        """A text that is only the original's first sentence (a follow-up trimmed to its reused lead) stays apart.

        Two sentences are a teaser, and join.
        """
        lead = STORY[0].split(", but ")[0] + "."
        assert 10 <= len(lead.split()) <= 13
        original, sentence = run(doc("a", body(STORY)), doc("b", lead, hours=1))
        assert sentence.cluster != original.cluster
        original, teaser = run(doc("a", body(STORY)), doc("b", STORY[0], hours=1))
        assert teaser.cluster == original.cluster

    def test_a_follow_up_reusing_the_lead_of_a_trimmed_copy_stays_apart(self) -> None:
        """A copy trimmed to the story's first two paragraphs, then a follow-up reusing them under new text.

        The follow-up contains the trimmed copy, but shares only those paragraphs with the story's first
        document: more than a lead must match the story for a longer text to join it.
        """
        original = doc("a", body(STORY))
        trimmed = doc("b", body(STORY[:2]), hours=1)
        follow_up = doc("c", body(STORY[:2] + UPDATE_TOP), hours=30)
        a, b, c = run(original, trimmed, follow_up)
        assert b.cluster == a.cluster
        assert c.cluster != a.cluster

    def test_containment_keys_of_an_outlet_footer_bring_no_candidates(self) -> None:
        """Shingles learnt as boilerplate are not looked up: their keys would find every page of the outlet."""
        clusterer = Clusterer(InMemoryIndex(), lineage=None)
        pages = [STORY[:3], HISTOIRE[:3], [football("Leeds", "Hull", "2-0", "Smith", minute=7, crowd="30,000")]]
        outlet_keys: set[int] = set()
        for i, paragraphs in enumerate(pages):
            text = body([*paragraphs, FOOTER])
            outlet_keys.update(clusterer.keys_for(text))
            clusterer.add(doc(f"p{i}", text, hours=i), T0)
        ready = clusterer.prepare(doc("new", body([weather("Oslo", 4, -3, 20), FOOTER]), hours=4))
        n_lsh = clusterer.bands + clusterer.lead_keys
        looked_up = clusterer.query_keys(ready)
        assert set(ready.keys[n_lsh:]) & outlet_keys  # the footer's sampled shingles are shared ...
        assert not set(looked_up[n_lsh:]) & outlet_keys  # ... and not looked up
        assert looked_up[:n_lsh] == ready.keys[:n_lsh]

    def test_a_dateline_the_updated_copy_lacks_is_no_conflict(self) -> None:
        """The original opens with EFE's dateline, the copy with a long new top: no name was swapped."""
        spanish = [
            "El Gobierno aprobó este martes en el Consejo de Ministros un plan de vivienda que prevé construir "
            "cien mil pisos de alquiler asequible en los próximos cinco años en todo el país.",
            "La ministra de Vivienda, Isabel Rodríguez, explicó que el plan se financiará con fondos europeos y "
            "con la colaboración de las comunidades autónomas y de los ayuntamientos.",
            "Las asociaciones de inquilinos celebraron el anuncio, aunque pidieron medidas inmediatas para "
            "frenar la subida de los alquileres en las grandes ciudades como Madrid y Barcelona.",
        ]
        top = [
            "ACTUALIZACIÓN. Los sindicatos convocaron una manifestación para el próximo sábado en Valencia y "
            "Sevilla para exigir que el plan llegue antes a los barrios con más demanda de vivienda social.",
            "Los promotores privados, por su parte, reclamaron más suelo público y una reducción de los plazos "
            "para conceder licencias, que hoy superan el año en muchos municipios del país.",
        ]
        original = doc("a", "Valencia, 23 ene (EFE).- " + body(spanish), title="Plan de vivienda")
        copy = doc("b", body(top + spanish), title="Plan de vivienda: sindicatos convocan protesta", hours=3)
        decisions = run(original, copy)
        assert decisions[1].cluster == decisions[0].cluster
        # A kicker naming a place, which no dateline rule strips, is no substitution either: the copy's
        # text there is a whole new top, not a name in its place.
        kicker = doc("k", "Comunidad Valenciana. " + body(spanish), title="Plan de vivienda")
        assert compare(features(copy), features(kicker)).conflicts == 0


class TestTemplateEnds:
    """Two template reports that differ in their places and in the figure of their last sentence."""

    def test_a_changed_last_figure_counts_as_a_substitution(self) -> None:
        """The last sentence's figure lies after the last match: it counts, and the reports stay apart."""
        report = (
            "MARSEILLE (AFP) - Un motard de 41 ans a trouvé la mort {when} dans un accident de la route sur la "
            "{road}, à {town}, a-t-on appris auprès des pompiers.\n\nPour une raison encore indéterminée, son "
            "véhicule a quitté la chaussée et s'est retourné.\n\nMalgré l'intervention de 23 sapeurs-pompiers "
            "et d'une équipe du Smur, la victime est décédée sur place.\n\nLa gendarmerie a ouvert une enquête "
            "pour déterminer les circonstances de l'accident. La circulation a été coupée pendant {hours} heures."
        )
        first = report.format(when="mardi soir", road="RD 330", town="Pontivy (Morbihan)", hours=3)
        second = report.format(when="lundi matin", road="N64", town="Oloron-Sainte-Marie (Pyrénées-Atlantiques)",
                               hours=2)
        assert compare(features(doc("b", second)), features(doc("a", first))).conflicts == 2
        a, b = run(doc("a", first), doc("b", second, hours=150))
        assert b.cluster != a.cluster
        # The same report with a site footer of its own after it is a copy: only figures count there.
        copy = doc("c", first + "\n\nSuivez Le Progrès de Bretagne sur Facebook et X.", hours=2)
        assert compare(features(copy), features(doc("a", first))).conflicts == 0


    def test_a_figure_the_other_report_states_elsewhere_is_still_a_substitution(self) -> None:
        """'de 57 ans a trouvé' against 'de 19 ans a trouvé' when the other report's passenger is 'âgé de 57 ans, a':
        the shingles around the 57 are found one by one in two places; they do not cover it."""
        report = (
            "Un {victim} de {age} ans a trouvé la mort samedi après-midi dans un accident de la route près de "
            "Pontivy, a-t-on appris auprès des pompiers.\n\nLes circonstances exactes du drame restaient à établir "
            "dimanche matin, selon un communiqué de la préfecture du département.\n\nPour une raison encore "
            "indéterminée, son véhicule a quitté la chaussée et s'est retourné dans un fossé.\n\nMalgré "
            "l'intervention de {crew} sapeurs-pompiers et d'une équipe du Smur, la victime est décédée sur place."
            "{passenger}\n\nLa gendarmerie a ouvert une enquête pour déterminer les circonstances de l'accident. "
            "La route est restée fermée pendant {hours} heures."
        )
        first = report.format(victim="automobiliste", age=57, crew=8, passenger="", hours=3)
        passenger = "\n\nSon passager, âgé de 57 ans, a été transporté dans un état grave à l'hôpital."
        second = report.format(victim="jeune conducteur", age=19, crew=12, passenger=passenger, hours=2)
        assert compare(features(doc("a", first)), features(doc("b", second))).conflicts == 3
        b, a = run(doc("b", second), doc("a", first, hours=30))
        assert a.cluster != b.cluster


    QUAKE = (
        "Un terremoto de magnitud {magnitude} se ha registrado este {day} a las {hour} horas en Atarfe (Granada), "
        "según la Red Sísmica del Instituto Geográfico Nacional (IGN).\n\nEl seísmo, con epicentro a 23 "
        "kilómetros de profundidad, ha sido sentido por la población de 16 localidades de la zona, según los "
        "datos recogidos por el organismo en su página web.\n\nEl servicio de emergencias 112 de Andalucía ha "
        "recibido varias llamadas de vecinos alarmados, aunque por el momento no constan daños personales ni "
        "materiales en ninguno de los municipios afectados.\n\nLa zona de la Vega de Granada registra cada año "
        "decenas de movimientos sísmicos de baja intensidad, la mayoría imperceptibles para la población, "
        "según recuerdan los expertos del instituto."
    )

    def test_figures_changed_in_one_sentence_count_each(self) -> None:
        """Two quake reports whose magnitude and hour differ in their first sentence state several other facts.

        One gap holds both ("3,8 ... 09:24" / "2,6 ... 23:49"): counted as one conflict, the rest of the
        template carried the second report into the first one's story.
        """
        first = self.QUAKE.format(magnitude="3,8", day="sábado", hour="09:24")
        second = self.QUAKE.format(magnitude="2,6", day="jueves", hour="23:49")
        assert compare(features(doc("b", second)), features(doc("a", first))).conflicts >= 3
        a, b = run(doc("a", first), doc("b", second, hours=60))
        assert b.cluster != a.cluster

    COUNCIL = (
        "The city council approved the new budget for public transport on Tuesday after a long debate that "
        "lasted most of the afternoon and divided the governing coalition along familiar lines.\n\n"
        "Supporters said the plan would add more buses to the northern districts, extend night services and "
        "renovate several stations that have not been modernised since the network first opened decades ago.\n\n"
        "The vote was held on {date} at {hour} and the measure passed with a narrow majority of members present.\n\n"
        "Opposition members argued that the fare increase included in the package would hit commuters on low "
        "incomes hardest, and promised to bring the issue back before the end of the year.\n\n"
        "The transport authority said it would publish a detailed timetable for the changes in the coming weeks, "
        "once the contracts with the operators have been signed and the funding has been confirmed."
    )

    def test_dates_and_hours_without_leading_zeros_are_no_further_change(self) -> None:
        """A copy writing "3/12/26 at 9:05" for "03/12/2026 at 09:05" states the same figures: it joins."""
        first = self.COUNCIL.format(date="03/12/2026", hour="09:05")
        copy = self.COUNCIL.format(date="3/12/26", hour="9:05")
        assert compare(features(doc("b", copy)), features(doc("a", first))).conflicts <= 1
        a, b = run(doc("a", first), doc("b", copy, hours=1))
        assert b.cluster == a.cluster

    def test_a_figure_written_another_way_is_one_change(self) -> None:
        """A copy that writes the hour its own way ("9.24" for "09:24") changes one figure: it still joins."""
        first = self.QUAKE.format(magnitude="3,8", day="sábado", hour="09:24")
        copy = self.QUAKE.format(magnitude="3,8", day="sábado", hour="9.24")
        assert compare(features(doc("b", copy)), features(doc("a", first))).conflicts == 1
        a, b = run(doc("a", first), doc("b", copy, hours=1))
        assert b.cluster == a.cluster


class TestHardNegatives:
    """Different stories that look alike stay apart."""

    def test_shared_footer(self) -> None:
        """Two different short articles with the same long site footer are two stories."""
        one = "The town council approved the new cycle lane on Elm Street after a two-hour debate on Monday."
        two = "Police are looking for witnesses after a van was stolen from a car park near the station."
        a, b = run(doc("a", one + "\n\n" + FOOTER), doc("b", two + "\n\n" + FOOTER, hours=1))
        assert b.relation == "original"
        assert a.cluster != b.cluster

    def test_footer_learnt_over_many_articles(self) -> None:
        """A stream of different briefs from one site never merges through the footer."""
        briefs = [f"Brief number {i}: " + " ".join(STORY[i % len(STORY)].split()[i : i + 12]) for i in range(12)]
        decisions = run(*(doc(f"d{i}", b + "\n\n" + FOOTER, hours=i) for i, b in enumerate(briefs)))
        assert all(d.relation == "original" for d in decisions)

    def test_outlets_footers_differ_in_their_names(self) -> None:
        """Copies at two outlets whose learnt footers name each outlet are one story: the names are no conflict."""

        def footer(outlet: str) -> str:
            return (f"Copyright 2026 {outlet} Media Group. All rights reserved. Our journalism depends on readers "
                    f"like you: subscribe today for unlimited access to {outlet} stories, newsletters and the e-paper.")

        others = [doc(f"{outlet}{i}", body([paragraph, footer(outlet)]), hours=i)
                  for i, paragraph in enumerate(HISTOIRE[:4]) for outlet in ("Courier", "Gazette")]
        first = doc("a", body([*STORY, footer("Courier")]), hours=5)
        sloppy = [paragraph.replace(" the ", " teh ") for paragraph in STORY[:5]]  # typos cost containment
        copy = doc("b", body([*sloppy, footer("Gazette")]), hours=6)
        decisions = run(*others, first, copy)
        assert (decisions[-1].cluster, decisions[-1].duplicate_of) == (decisions[-2].cluster, "a")

    def test_football_results(self) -> None:
        """Two match reports from one template with other teams and scores are two stories."""
        _a, b = run(
            doc("a", football("Arsenal", "Chelsea", "2-1", "Bukayo Saka", minute=78, crowd="60,000")),
            doc("b", football("Liverpool", "Everton", "3-0", "Mohamed Salah", minute=64, crowd="53,000"), hours=1),
        )
        assert b.relation == "original"

    def test_football_result_differing_in_score_only(self) -> None:
        """The same fixture with another score and scorer is another match."""
        _a, b = run(
            doc("a", football("Arsenal", "Chelsea", "2-1", "Bukayo Saka", minute=78, crowd="60,000")),
            doc("b", football("Arsenal", "Chelsea", "0-0", "Kai Havertz", minute=12, crowd="59,000"), hours=30),
        )
        assert b.relation == "original"

    def test_market_reports(self) -> None:
        """Two market reports that differ only in figures and company names are two stories."""
        _a, b = run(
            doc("a", market("FTSE 100", "0.45", "7,654", "Unilever", "Barclays")),
            doc("b", market("FTSE 100", "1.12", "7,720", "Shell", "BP"), hours=24),
        )
        assert b.relation == "original"

    def test_weather_reports(self) -> None:
        """Weather reports for two cities are two stories."""
        _a, b, c = run(
            doc("a", weather("Lyon", 24, 13, 20)),
            doc("b", weather("Nantes", 19, 11, 35), hours=0.1),
            doc("c", weather("Lyon", 26, 15, 10), hours=24),
        )
        assert [b.relation, c.relation] == ["original", "original"]

    def test_template_copy_still_joins(self) -> None:
        """A republished copy of one match report joins that report, not another match."""
        a, b, c = run(
            doc("a", football("Arsenal", "Chelsea", "2-1", "Bukayo Saka", minute=78, crowd="60,000")),
            doc("b", football("Liverpool", "Everton", "3-0", "Mohamed Salah", minute=64, crowd="53,000"), hours=1),
            doc(
                "c",
                "LONDON (AP) - " + football("Liverpool", "Everton", "3-0", "Mohamed Salah", minute=64, crowd="53,000"),
            ),
        )
        assert c.cluster == b.cluster != a.cluster

    def test_follow_up_reusing_the_lead(self) -> None:
        """A follow-up story that reuses the lead sentence is a new story."""
        follow = [
            STORY[0],
            "On Friday, bank officials briefed reporters on the technical details of the planned changes "
            "to the minimum reserve regime, which will take effect in September after a consultation.",
            "Commercial lenders had asked for more time to adapt their systems, arguing that the "
            "original timetable was too short for smaller institutions in the Baltic states.",
            "The new regime will reduce the remuneration paid on some deposits, saving the central "
            "bank several billion euros a year according to its own estimates.",
        ]
        _a, b = run(doc("a", body(STORY)), doc("b", body(follow), title=STORY[0][:60], hours=20))
        assert b.relation == "original"


class TestDeterminism:
    """Same documents in the same order give the same decisions."""

    def corpus(self) -> list[Doc]:
        """Build a small mixed corpus."""
        return [
            doc("a", body(STORY)),
            doc("b", football("Arsenal", "Chelsea", "2-1", "Bukayo Saka", minute=78, crowd="60,000"), hours=1),
            doc("c", "PARIS (AFP) - " + body(STORY[:5]), hours=2),
            doc("d", body(HISTOIRE), hours=3),
            doc("e", body(HISTOIRE[:3]) + "\n\n" + FOOTER, hours=4),
        ]

    def test_two_runs_are_identical(self) -> None:
        """Two runs in one process agree."""
        assert run(*self.corpus()) == run(*self.corpus())

    def test_runs_agree_across_processes(self) -> None:
        """A run in another interpreter (another hash seed) gives the same clusters and keys."""
        code = (
            "import sys; sys.path.insert(0, '.');"
            "from tests.test_dedupe_cluster import TestDeterminism, run, STORY;"
            "from dedupe.cluster import Clusterer; from dedupe.index import InMemoryIndex;"
            "print([d.cluster + d.relation for d in run(*TestDeterminism().corpus())]);"
            "print(Clusterer(InMemoryIndex()).keys_for(' '.join(STORY)))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": "123"},
            cwd=Path(__file__).resolve().parents[1],
        )
        keys = Clusterer(InMemoryIndex()).keys_for(" ".join(STORY))
        assert out.stdout.splitlines() == [str([d.cluster + d.relation for d in run(*self.corpus())]), str(keys)]

    def test_without_copy_diffs_only_the_diffs_go(self) -> None:
        """copy_diffs=False (the command's workers compute them) leaves every decision as it is but its diff."""
        with_diffs = run(*self.corpus())
        clusterer = Clusterer(InMemoryIndex(), lineage=InMemoryLineage(), copy_diffs=False)
        without = [clusterer.add(d, T0) for d in self.corpus()]
        assert any(d.diff is not None for d in with_diffs)
        assert all(d.diff is None for d in without)
        assert [replace(d, diff=None) for d in with_diffs] == without

    def test_keys_are_bigint_sized(self) -> None:
        """LSH keys are non-negative and fit a signed 64-bit column."""
        keys = Clusterer(InMemoryIndex()).keys_for(body(STORY))
        assert keys
        assert all(0 <= k <= KEY_MASK for k in keys)


class TestWindow:
    """The time window limits matching and evicts old entries."""

    def test_copy_outside_the_window_is_a_rerun(self) -> None:
        """A copy published after the window joins the story as a re-run; without a lineage index it starts one."""
        a, b = run(doc("a", body(STORY)), doc("b", body(STORY[:5]), hours=24 * 5), window_days=3)
        assert (b.relation, b.cluster, b.duplicate_of) == ("rerun", a.cluster, "a")
        _a, alone = cluster_docs([doc("a", body(STORY)), doc("b", body(STORY[:5]), hours=24 * 5)], lineage=None)
        assert alone.relation == "original"

    def test_old_entries_are_evicted(self) -> None:
        """Entries that arrived more than the window ago leave the index, whatever their publication dates."""
        index = InMemoryIndex()
        clusterer = Clusterer(index, window_days=1)
        clusterer.add(doc("a", body(STORY), hours=100), arrived=T0)
        clusterer.add(doc("b", body(HISTOIRE), hours=-100), arrived=T0 + timedelta(hours=2))
        assert len(index) == 2
        clusterer.add(doc("c", weather("Lyon", 24, 13, 20)), arrived=T0 + timedelta(hours=25))
        assert len(index) == 2
        assert index.by_hash(text_hash(body(STORY))) is None
        assert index.by_hash(text_hash(body(HISTOIRE))) is not None

    def test_undated_documents_match_everything(self) -> None:
        """A document without a date is compared with the whole index."""
        a = doc("a", body(STORY))
        b = Doc("b", "t", body(STORY[:5]))
        _, d = run(a, b)
        assert d.relation == "near_duplicate"


class TestAntiChaining:
    """A document joins one story, and stories do not grow by chaining."""

    def test_template_chain_does_not_grow(self) -> None:
        """A season of match reports stays one story per match."""
        teams = ["Arsenal", "Chelsea", "Liverpool", "Everton", "Fulham", "Brentford", "Wolves", "Burnley"]
        reports = [
            football(teams[i % 8], teams[(i + 3) % 8], f"{i % 4}-{i % 3}", f"Player {i}", minute=10 + i,
                     crowd=f"{40 + i},000")
            for i in range(24)
        ]  # fmt: skip
        docs = [doc(f"m{i}", report, hours=i) for i, report in enumerate(reports)]
        assert {d.relation for d in run(*docs)} == {"original"}

    def test_document_joins_one_story(self) -> None:
        """A document resembling two stories joins exactly one of them, the better match."""
        a, _b, c = run(
            doc("a", body(STORY)),
            doc("b", body(HISTOIRE), hours=1),
            doc("c", body(STORY[:6]) + "\n\n" + HISTOIRE[0], hours=2),
        )
        assert c.cluster == a.cluster
        assert c.duplicate_of == "a"

    def test_drifting_copies_need_the_story_anchor(self) -> None:
        """A copy that only resembles a late member, not the story's first document, starts a story."""
        half = len(STORY) // 2
        mixed = body(STORY[half:] + HISTOIRE)
        a, b, c = run(doc("a", body(STORY)), doc("b", mixed, hours=1), doc("c", body(HISTOIRE), hours=2))
        assert b.cluster != a.cluster or c.cluster != a.cluster


class TestLearnReplay:
    """Replaying stored decisions rebuilds the state a single long-lived clusterer would have."""

    def test_restart_with_replay_gives_the_same_decisions(self) -> None:
        """A clusterer stopped halfway and rebuilt by `learn` continues exactly like an uninterrupted one."""
        from datetime import UTC, datetime, timedelta

        from dedupe.cluster import Clusterer
        from dedupe.index import InMemoryIndex
        from dedupe.model import Doc

        base = datetime(2026, 11, 20, tzinfo=UTC)
        footer = "Subscribers get the Coastline briefing every morning with the day's top regional stories."
        bodies = [
            f"The {topic} council voted on Monday to extend the {topic} programme by {n + 2} years, after a "
            f"review found that {n * 7 + 11} families had used it since it began in the spring. {footer}"
            for n, topic in enumerate(["harbour", "school", "tram", "museum", "bridge", "market", "choir"])
        ]
        docs = [Doc(id=str(i), title=f"Story {i}", text=t, published=base + timedelta(hours=i))
                for i, t in enumerate(bodies)]
        docs += [Doc(id=f"c{i}", title=f"Copy {i}", text=t.replace(footer, "").strip(),
                     published=base + timedelta(hours=10 + i)) for i, t in enumerate(bodies[:4])]
        whole = Clusterer(InMemoryIndex())
        expected = [whole.add(d) for d in docs]

        index = InMemoryIndex()
        first = Clusterer(index)
        done = [first.add(d) for d in docs[:6]]
        restarted = Clusterer(index)
        for doc, decision in zip(docs[:6], done, strict=True):
            restarted.learn(doc, decision)
        rest = [restarted.add(d) for d in docs[6:]]
        assert done + rest == expected


class TestReplayOutOfOrder:
    """Replaying decisions whose dates go back in time rebuilds the same arrival clock."""

    def test_restart_after_a_backfill_of_old_articles(self) -> None:
        """Live articles, then a backfill of older copies: a clusterer rebuilt by `learn` continues identically."""
        live = [doc(f"live{i}", body(text), hours=24 * 400 + 5 * i)
                for i, text in enumerate([STORY, HISTOIRE, STORY[4:] + HISTOIRE[:1]])]
        backfilled = [doc("old-a", body(STORY[:6])), doc("old-b", body(HISTOIRE), hours=1),
                      doc("old-c", "ROME (Reuters) - " + body(STORY[:5]), hours=2),
                      doc("old-d", body(HISTOIRE[:4]), hours=3)]
        docs = live + backfilled
        whole = Clusterer(InMemoryIndex())
        expected = [whole.add(d) for d in docs]
        assert expected[5].duplicate_of == "old-a"  # the backfill's copies find each other
        index = InMemoryIndex()
        first = Clusterer(index)
        arrivals = [T0 + timedelta(minutes=i) for i in range(len(docs))]
        done = [first.add(d, arrived=at) for d, at in zip(docs[:5], arrivals, strict=False)]
        restarted = Clusterer(index)
        for replayed, decision, at in zip(docs[:5], done, arrivals, strict=False):
            restarted.learn(replayed, decision, arrived=at)
        assert restarted.clock == first.clock == arrivals[4]
        assert done + [restarted.add(d, arrived=at) for d, at in zip(docs[5:], arrivals[5:], strict=True)] == expected

    def test_horizon_bounds_what_a_restart_replays(self) -> None:
        """The replay horizon is a window before the start of the current hour (year 1 at the earliest)."""
        clusterer = Clusterer(InMemoryIndex(), window_days=3)
        assert clusterer.horizon(T0 + timedelta(minutes=30)) == T0 - timedelta(days=3)
        assert clusterer.horizon(datetime.min.replace(tzinfo=UTC)) == datetime.min.replace(tzinfo=UTC)

    def test_restart_within_the_window_replays_from_the_horizon(self) -> None:
        """A clusterer rebuilt from the decisions that arrived since the horizon continues like the one that ran on."""
        texts = [body(STORY), body(HISTOIRE), football("Arsenal", "Chelsea", "2-1", "Bukayo Saka", minute=78,
                                                       crowd="60,000")]
        docs = [doc(f"d{i}", text, hours=i) for i, text in enumerate(texts)]
        copies = [doc("c0", body(STORY[:5]), hours=70), doc("c1", body(HISTOIRE[:4]), hours=71)]
        arrivals = [T0, T0 + timedelta(days=2), T0 + timedelta(days=3, hours=2)]
        restart_at = T0 + timedelta(days=3, hours=5)
        first, stopped = Clusterer(InMemoryIndex(), window_days=3), Clusterer(InMemoryIndex(), window_days=3)
        done = [first.add(d, arrived=at) for d, at in zip(docs, arrivals, strict=True)]
        assert [stopped.add(d, arrived=at) for d, at in zip(docs, arrivals, strict=True)] == done
        # A new process on the stopped one's index (the store) replays what arrived since the horizon.
        horizon = first.horizon(restart_at)
        restarted = Clusterer(stopped.index, window_days=3)
        for replayed, decision, at in zip(docs, done, arrivals, strict=True):
            if at >= horizon:
                restarted.learn(replayed, decision, arrived=at)
        ran_on = [first.add(c, arrived=restart_at) for c in copies]
        assert [restarted.add(c, arrived=restart_at) for c in copies] == ran_on
        # d0 arrived more than a window before: its copy starts a story although they were published 70 h apart.
        assert [(d.relation, d.duplicate_of) for d in ran_on] == [("original", None), ("near_duplicate", "d1")]


class TestAlignedRuns:
    """Runs of matched shingles are split where two neighbours are no neighbours in the other text."""

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.sampled_from([*STORY, *HISTOIRE]), min_size=1, max_size=5), st.integers(0, 6),
           st.integers(0, 6))
    def test_runs_go_on_only_where_the_other_text_goes_on(self, paragraphs: list[str], swaps: int, cut: int) -> None:
        """A copy with words swapped or replaced: each aligned run is a run of neighbours in the original, and
        together the aligned runs cover exactly what the runs did."""
        words = body(paragraphs).split(" ")
        for i in range(swaps):  # swapped neighbours keep their shingles' words but break their order
            j = (i * 41 + 7) % max(1, len(words) - 1)
            words[j], words[j + 1] = words[j + 1], words[j]
        for i in range(cut):
            words[(i * 23) % len(words)] = str(i)
        copy, original = tokens(" ".join(words)), tokens(body(STORY))
        runs = _match_runs(copy, original)
        if runs is None:
            return
        aligned = _aligned(copy, runs[0], original)
        neighbours = set(zip(original.shingles.tolist(), original.shingles[1:].tolist(), strict=False))
        shingles = copy.shingles.tolist()
        for start, end in zip(aligned.starts, aligned.ends, strict=True):
            assert all((shingles[i - 1], shingles[i]) in neighbours for i in range(start + 1, end))
        def covered(r: _Runs) -> set[int]:
            return {i for a, b in zip(r.starts, r.ends, strict=True) for i in range(a, b)}

        assert covered(aligned) == covered(runs[0])
        assert aligned.matched == runs[0].matched
        # Split only where the other text does not go on: at each new boundary the pair is missing.
        new_bounds = set(aligned.starts) - set(runs[0].starts)
        assert all((shingles[i - 1], shingles[i]) not in neighbours for i in new_bounds)


class TestScoreBound:
    """The bound that drops hopeless candidates before their conflicts are counted is a true upper bound."""

    @settings(max_examples=300, deadline=None)
    @given(
        st.lists(st.sampled_from(STORY), min_size=1, max_size=6),
        st.lists(st.sampled_from(UPDATE_TOP + HISTOIRE), max_size=4),
        st.lists(st.sampled_from(UPDATE_TOP + HISTOIRE), max_size=3),
        st.integers(min_value=0, max_value=5),
    )
    def test_no_direction_scores_above_its_bound(
        self, kept: list[str], top: list[str], tail: list[str], typos: int
    ) -> None:
        """For a copy built of a new top, kept paragraphs (some misspelt) and a new tail, in both directions."""
        words = body(top + kept + tail).split(" ")
        for i in range(typos):  # break runs as typing slips do
            j = (i * 37) % len(words)
            words[j] = words[j][::-1] + "x"
        copy, original = tokens(" ".join(words)), tokens(body(STORY))
        small, large = (copy, original) if len(copy.shingles) <= len(original.shingles) else (original, copy)
        runs = _match_runs(small, large)
        if runs is None:
            return
        assert _contained(small, runs[0], runs[1], None) <= _bound(runs[0]) + 1e-9
        assert _contained(large, runs[1], runs[0], None) <= _bound(runs[1]) + 1e-9

    def test_a_copy_under_a_new_top_with_slips_is_not_dropped_as_hopeless(self) -> None:
        """Its score counts only what follows the top, which the plain matched share understated."""
        kept = [" ".join(w[::-1] if i % 15 == 4 else w for i, w in enumerate(p.split())) for p in STORY[:5]]
        copy, original = tokens(body(UPDATE_TOP + kept)), tokens(body(STORY))
        small, large = (copy, original) if len(copy.shingles) <= len(original.shingles) else (original, copy)
        runs = _match_runs(small, large)
        assert runs is not None
        measured = runs[0] if small is copy else runs[1]
        other = runs[1] if small is copy else runs[0]
        score = _contained(copy, measured, other, None)
        assert score >= 0.8  # a copy: scored on what follows the top
        assert measured.matched / measured.ends[-1] < 0.55  # what the bound used to say
        assert _bound(measured) >= score


# New reporting of a follow-up: what an agency's second story says after reusing the first one's lead.
NEWS = [
    "On Friday, bank officials briefed reporters on the technical details of the planned changes to the "
    "minimum reserve regime, which will take effect in September after a consultation with lenders.",
    "Commercial lenders had asked for more time to adapt their systems, arguing that the original timetable "
    "was too short for smaller institutions in the Baltic states and in southern Europe.",
    "The new regime will reduce the remuneration paid on some deposits, saving the central bank several "
    "billion euros a year according to its own estimates published alongside the decision.",
    "Officials said the change had no bearing on the monetary policy stance and was meant to bring the "
    "framework into line with the smaller balance sheet the bank expects to run in coming years.",
    "A spokesman declined to say whether the governing council had been unanimous, adding only that the "
    "details would be set out in a legal act to be published in the Official Journal next month.",
]
# More of the story above (STORY + LONGER: 12 paragraphs), and more new reporting for a long follow-up.
LONGER = [
    "Analysts at several large banks said they now expected three quarter-point reductions this year, "
    "although some warned that a renewed rise in oil prices could force the council to pause.",
    "The decision was taken at the bank's regular meeting in Frankfurt, the second this year, and was "
    "in line with the forecasts of all economists polled by news agencies before the announcement.",
    "Lagarde also said the review of the bank's operational framework was nearly complete and that its "
    "conclusions would be presented to the public in the spring, as had been planned since last year.",
    "Governments in the south of the bloc have repeatedly called for lower rates, saying the cost of "
    "servicing their debts was rising faster than their economies were growing after the pandemic.",
]
FURTHER = [
    "Smaller lenders in Latvia and Lithuania said they would need new software to report their holdings, "
    "and that the vendors they rely on had not yet been told what the reports should contain.",
    "The bank's supervisory arm is expected to write to every institution under its watch before the end "
    "of the month, setting out the reporting calendar and the penalties for missing its deadlines.",
]


class TestFollowUps:
    """An agency's follow-up reusing an earlier story's beginning, and copies of it, stay in their own story."""

    def test_a_follow_up_opening_with_most_of_a_short_story_stays_apart(self) -> None:
        """A short story's first two of three paragraphs, then more new reporting than that: another story.

        The short story is found inside the follow-up at 2/3 (over the threshold), from its lead on; but the
        follow-up drops the story's end and goes on with text of its own: no copy does that.
        """
        short, follow_up = run(doc("a", body(STORY[:3])), doc("b", body(STORY[:2] + NEWS), hours=30))
        assert follow_up.relation == "original"
        assert follow_up.cluster != short.cluster

    def test_a_follow_up_with_the_reused_lead_under_a_paragraph_of_its_own_stays_apart(self) -> None:
        """The reused paragraphs below a new first paragraph and above more new text: another story too."""
        short, follow_up = run(doc("a", body(STORY[:3])), doc("b", body(NEWS[:1] + STORY[:2] + NEWS[1:4]), hours=30))
        assert follow_up.cluster != short.cluster

    def test_a_follow_up_reusing_most_of_a_long_story_between_paragraphs_of_its_own_stays_apart(self) -> None:
        """A paragraph of its own, then most of a long story, then more of its own than a footer: another story.

        Measured under its top, the follow-up is mostly the story (reused 300 words against 220 of its own
        after them), the way an update is the story under a top; but it drops the story's end and goes on
        with its own, which no update does (seen in the blind corpus: two follow-ups joined that way).
        """
        story = doc("a", body(STORY + LONGER))
        follow_up = doc("b", body(NEWS[:1] + STORY + LONGER[:2] + NEWS[1:] + FURTHER), hours=30)
        a, b = run(story, follow_up)
        assert b.cluster != a.cluster
        assert b.relation == "original"

    def test_an_update_on_top_of_a_long_story_trimmed_with_a_footer_joins(self) -> None:
        """The same shape with a footer's worth of its own at the end, not more: an update, trimmed, joins."""
        story = doc("a", body(STORY + LONGER))
        update = doc("b", body(NEWS[:1] + STORY + LONGER[:2] + NEWS[1:2]), hours=3)
        a, b = run(story, update)
        assert (b.cluster, b.duplicate_of) == (a.cluster, "a")

    def test_a_follow_up_reusing_the_lead_a_trimmed_copy_kept_stays_apart(self) -> None:
        """A copy trimmed to the story's first four paragraphs, then a follow-up reusing those four under new text.

        The follow-up holds the trimmed copy whole and shares more than a paragraph with the story's first
        document, but set against that document it drops its end and goes on with text of its own: it is
        another story, whichever member it is found through.
        """
        original = doc("a", body(STORY))
        trimmed = doc("b", body(STORY[:4]), hours=1)
        follow_up = doc("c", body(STORY[:4] + NEWS), hours=30)
        a, b, c = run(original, trimmed, follow_up)
        assert b.cluster == a.cluster
        assert c.cluster != a.cluster
        assert c.relation == "original"

    def test_the_full_story_after_its_urgent_lead_joins(self) -> None:
        """An agency's urgent lead first, then the full story it grows into: the lead's story, through any copy."""
        urgent = doc("a", body(STORY[:4]))
        copy = doc("b", "PARIS (AFP) - " + body(STORY[:4]), hours=0.5)
        full = doc("c", body(STORY), hours=1)
        a, b, c = run(urgent, copy, full)
        assert b.cluster == a.cluster
        assert c.cluster == a.cluster

    def test_a_copy_keeping_all_of_a_short_story_and_adding_a_paragraph_joins(self) -> None:
        """A copy that keeps the whole story and adds a paragraph of its own below it still joins."""
        short, copy = run(doc("a", body(STORY[:3])), doc("b", body(STORY[:3] + NEWS[:1]), hours=2))
        assert copy.cluster == short.cluster

    def test_a_copy_of_a_follow_up_trimmed_to_its_top_and_the_reused_paragraphs_joins_the_follow_up(self) -> None:
        """Trimmed to its first paragraph and the four it reuses, a copy of the follow-up is also the story's
        update trimmed to its first paragraphs (a top of its own, then the story's beginning).

        An editor changed two words of the first paragraph, so the copy scores higher against the story
        (whose top is not counted) than against the follow-up; the story that holds it as it is, without
        a top of its own, is the simpler explanation.
        """
        story = doc("a", body(STORY), hours=0)
        follow_up = doc("b", body(NEWS[:1] + STORY[:4] + NEWS[1:]), hours=30)
        edited = NEWS[0].replace("technical", "practical").replace("after a", "following a")
        copy = doc("c", body([edited, *STORY[:4]]), hours=31)
        a, b, c = run(story, follow_up, copy)
        assert b.cluster != a.cluster
        assert (c.cluster, c.duplicate_of) == (b.cluster, "b")

    def test_a_copy_found_alike_in_two_stories_joins_the_one_holding_more_of_it(self) -> None:
        """A copy of a follow-up, trimmed to the reused lead and a promotional paragraph seen on many pages.

        Against the earlier story the paragraph is learnt boilerplate after the match and does not count;
        the follow-up holds it too. Both score 1.0: the follow-up explains more of the copy.
        """
        promo = (
            "Read more of our coverage of central banks, interest rates and the economy in our markets "
            "section, updated throughout the day by our team of reporters."
        )
        pages = [doc(f"p{i}", body([paragraph, promo]), hours=i / 10) for i, paragraph in enumerate(HISTOIRE[:3])]
        story = doc("a", body(STORY), hours=1)
        follow_up = doc("b", body([*STORY[:2], promo, *NEWS]), hours=30)
        copy = doc("c", body([*STORY[:2], promo]), hours=31)
        *_, a, b, c = run(*pages, story, follow_up, copy)
        assert b.cluster != a.cluster
        assert c.cluster == b.cluster

    def test_a_copy_that_is_only_the_shared_lead_joins_the_story_published_nearest(self) -> None:
        """The lead paragraph alone, an hour after a follow-up that reuses it a day after the story: its text is
        both stories' lead, and the follow-up (which goes on beyond the story) is the nearer in time."""
        story = doc("a", body(STORY), hours=0)
        follow_up = doc("b", body(STORY[:1] + NEWS), hours=30)
        a, b, c = run(story, follow_up, doc("c", STORY[0], hours=31))
        assert b.cluster != a.cluster
        assert (c.cluster, c.duplicate_of) == (b.cluster, "b")
        # Published an hour after the story instead, the same text is the story's teaser.
        a, b, c = run(story, doc("c", STORY[0], hours=1), follow_up)
        assert b.cluster == a.cluster

    def test_a_copy_that_is_only_the_shared_lead_joins_the_story_whose_headline_it_carries(self) -> None:
        """The same lead paragraph an hour after the follow-up, under the first story's headline: the headline
        tells which story it copies, before publication times do."""
        story = doc("a", body(STORY), title="ECB holds rates, Lagarde hints at June cut", hours=0)
        follow_up = doc("b", body(STORY[:1] + NEWS), title="ECB sets out reserve changes", hours=30)
        copy = doc("c", STORY[0], title="Lagarde hints at a June cut as ECB holds rates", hours=31)
        a, b, c = run(story, follow_up, copy)
        assert b.cluster != a.cluster
        assert (c.cluster, c.duplicate_of) == (a.cluster, "a")

    def test_a_copy_found_alike_in_two_fragments_of_one_story_joins_the_first(self) -> None:
        """Two stories neither of which goes on beyond the other (a copy that missed its story started one):
        publication times do not choose between them, the earlier-indexed one is kept."""
        story = doc("a", body(STORY[:5]), hours=0)
        fragment = doc("b", body([*STORY[:2], FOOTER]), hours=20)  # stays apart: trimmed, footer not yet learnt
        a, b, c = run(story, fragment, doc("c", body(STORY[:2]), hours=21))
        assert b.cluster != a.cluster
        assert c.cluster == a.cluster


class TestReplaySuffix:
    """A new process replays only the last 2 x max_entries decisions of the window: the same state."""

    @staticmethod
    def corpus() -> list[Doc]:
        """Stories of four documents each (an original, then copies: trimmed, with the shared footer)."""
        import random

        rng = random.Random(5)
        syllables = ["ka", "lo", "mi", "ne", "tu", "ra", "so", "vi", "de", "pa", "ri", "gu"]
        vocabulary = ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(3000)]
        docs = []
        for story in range(9):
            sentences = [" ".join(rng.choice(vocabulary) for _ in range(12)).capitalize() + "." for _ in range(16)]
            paragraphs = [" ".join(sentences[i : i + 4]) for i in range(0, 16, 4)]
            for copy_number, text in enumerate((body(paragraphs), body(paragraphs) + "\n\n" + FOOTER,
                                                body(paragraphs[:3]), body(paragraphs[:3]) + "\n\n" + FOOTER)):
                docs.append(doc(f"s{story}c{copy_number}", text, hours=(4 * story + copy_number) / 60))
        return docs

    @staticmethod
    def state(clusterer: Clusterer) -> tuple[object, ...]:
        """What a clusterer learnt: cached features (order, counted shingles), the sketch, anchors, clock."""
        cached = [(key, None if counted is None else counted.tolist()) for key, (_, _, counted)
                  in clusterer._features.items()]
        return cached, clusterer._df.tolist(), dict(clusterer._anchors), dict(clusterer._anchor_of), clusterer.clock

    def test_last_two_caches_of_decisions_give_the_whole_replay(self) -> None:
        """Replaying the last 2 x max_entries decisions leaves what replaying all of them does, and the next
        placements agree; the last max_entries alone do not (a copy is counted against the copy it joined)."""
        import copy

        docs, placed, size = self.corpus(), 31, 6
        made = Clusterer(InMemoryIndex(), max_entries=size)
        arrivals = [T0 + timedelta(minutes=i) for i in range(len(docs))]
        decisions = [made.add(d, arrivals[i]) for i, d in enumerate(docs[:placed])]
        assert decisions[placed - size].relation == "near_duplicate"  # the last cache opens with a copy

        def replayed(last: int) -> Clusterer:
            clusterer = Clusterer(copy.deepcopy(made.index), max_entries=size)
            for i in range(placed - last, placed):
                clusterer.learn(docs[i], decisions[i], arrived=arrivals[i])
            return clusterer

        whole, suffix = replayed(placed), replayed(2 * size)
        assert self.state(suffix) == self.state(whole)
        assert self.state(replayed(size)) != self.state(whole)
        later = [(d, arrivals[placed + i]) for i, d in enumerate(docs[placed:])]
        assert [suffix.add(d, at) for d, at in later] == [whole.add(d, at) for d, at in later]
