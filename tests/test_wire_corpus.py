"""scripts/wire_corpus.py: the second dedupe corpus is deterministic, complete, consistently labelled and realistic.

The generator runs on small texts written here (no ../shared/data needed); the real sources are only read by
the script itself.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from random import Random
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "wire_corpus.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wire_corpus", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


WC = _script()

ENGLISH = [
    "The city council of Harwick voted on Tuesday to close the old Riverside bridge to heavy lorries.",
    "Engineers had warned in March that cracks in the supporting piers were spreading faster than expected.",
    "Mayor Ellen Prost said the decision was painful but that safety had to come before convenience.",
    "Local hauliers estimate the detour will add forty minutes to every delivery into the industrial estate.",
    "A replacement crossing is planned for 2029, but its funding has not yet been approved by the regional board.",
    "Shares in Calder Shipping fell sharply after the company cut its annual forecast for container volumes.",
    "Chief executive Tomas Berger blamed weak demand in Europe and rising fuel costs for the gloomier outlook.",
    "Analysts at Norbridge Capital said the warning was worse than the market had feared after a quiet summer.",
    "The group plans to retire six older vessels and to delay the delivery of two new ships until next year.",
    "Unions representing dock workers in Felmouth asked for talks about the consequences for jobs at the port.",
    "Heavy rain flooded dozens of homes in the valley villages of Ashby and Greystone overnight, firefighters said.",
    "Residents were moved to a school hall while pumps worked to clear water from the main street.",
    "The weather service kept an amber warning in place for the whole county until Thursday evening.",
    "Farmers fear that the harvest of late potatoes could be lost if the fields stay under water for long.",
    "Volunteers from the sailing club used their boats to bring food and medicine to isolated farms.",
    "The national orchestra announced that its conductor Miriam Okoye will step down after eleven seasons.",
    "Under her direction the ensemble toured Asia twice and recorded the complete symphonies of a forgotten composer.",
    "The board said a successor would be named in the spring after a search among younger conductors.",
    "Okoye told reporters she wanted to spend more time teaching at the conservatory in Lanford.",
    "Tickets for her farewell concert in June sold out within an hour of going on sale on Monday.",
    "Police in Marlow arrested two men suspected of stealing copper cable from the railway line.",
    "Train services between Marlow and Eastcombe were suspended for most of Sunday while repairs were made.",
    "The rail operator said passengers could claim compensation for journeys delayed by more than half an hour.",
    "Investigators believe the same gang is behind a series of thefts along the coastal line since January.",
    "A court in Eastcombe will decide on Wednesday whether the suspects remain in custody until trial.",
    "Scientists at the Bellmont observatory reported the discovery of a comet that will pass close to the sun.",
    "The object was first spotted by an amateur astronomer who sent his photographs to the institute.",
    "If it survives its approach, the comet could be visible to the naked eye in the evening sky in April.",
    "Researchers warned that comets often break apart when heated and that predictions remain uncertain.",
    "The observatory will open its telescopes to the public on three evenings next month for viewing.",
    "The health ministry opened a consultation on new rules for the sale of energy drinks to teenagers.",
    "Paediatricians have long argued that the caffeine content of such drinks harms sleep and concentration.",
    "Retailers said they would accept an age limit if it applied equally to online shops and supermarkets.",
    "Minister Daniel Achterberg said a decision would follow once the consultation closes in the summer.",
    "Similar restrictions were introduced in two neighbouring countries, with mixed evidence about their effect.",
    "Workers at the Dunmore paper mill began a three-day strike over pay and working hours on Friday.",
    "The company offered a rise of three percent, which the union called an insult after years of inflation.",
    "Production at the plant, which supplies packaging for food producers, came to a complete standstill.",
    "Negotiators from both sides are expected to meet again at the mediation office in Carlow next week.",
    "Customers were warned that deliveries of cardboard boxes could be delayed until the end of the month.",
]
GERMAN = [
    "Der Stadtrat von Lindenfeld hat am Dienstag den Bau einer neuen Grundschule am Nordhang beschlossen.",
    "Die Kosten für das Gebäude mit zwölf Klassenzimmern werden auf rund neun Millionen Euro geschätzt.",
    "Bürgermeisterin Hanna Wendler sprach von einer wichtigen Investition in die Zukunft der wachsenden Gemeinde.",
    "Kritik kam von der Opposition, die eine Sanierung der alten Schule im Zentrum für günstiger hält.",
    "Der erste Spatenstich ist für den kommenden Herbst geplant, der Unterricht soll zwei Jahre später beginnen.",
    "Ein heftiges Unwetter hat in der Nacht zum Sonntag im Kreis Ostwalden zahlreiche Keller überflutet.",
    "Die Feuerwehr rückte nach eigenen Angaben zu mehr als zweihundert Einsätzen in acht Ortschaften aus.",
    "Auf der Bundesstraße zwischen Brunnau und Tiefenbach stürzten mehrere Bäume auf die Fahrbahn.",
    "Verletzt wurde nach Angaben der Polizei niemand, der Sachschaden dürfte aber erheblich sein.",
    "Der Wetterdienst rechnet auch für die kommenden Tage mit kräftigen Gewittern im Süden des Landes.",
    "Der Maschinenbauer Kessler Antriebe will an seinem Stammsitz in Neuhofen rund dreihundert Stellen abbauen.",
    "Als Grund nannte Vorstandschef Markus Eberle die schwache Nachfrage aus der Automobilindustrie.",
    "Der Betriebsrat kündigte Widerstand an und forderte einen Verzicht auf betriebsbedingte Kündigungen.",
    "Die Landesregierung bot Gespräche über Hilfen für die Weiterbildung der betroffenen Beschäftigten an.",
    "Die Aktie des Unternehmens verlor nach der Ankündigung an der Börse in Frankfurt gut vier Prozent.",
    "Im Naturkundemuseum von Altenburg ist ein nahezu vollständiges Skelett eines Urzeitpferdes zu sehen.",
    "Das Fossil war vor drei Jahren bei Bauarbeiten in einer Kiesgrube am Rand der Stadt entdeckt worden.",
    "Forscher der Universität Hallstein haben die Knochen seitdem gereinigt, vermessen und zusammengesetzt.",
    "Nach ihren Schätzungen lebte das Tier vor etwa vierzig Millionen Jahren in einem sumpfigen Wald.",
    "Die Ausstellung ist ab Samstag täglich außer montags geöffnet, der Eintritt für Kinder ist frei.",
    "Die Polizei in Rabenstein sucht nach einem Einbruch in ein Juweliergeschäft nach Zeugen.",
    "Die Täter hatten in der Nacht die Schaufensterscheibe eingeschlagen und teure Uhren erbeutet.",
    "Eine Anwohnerin hörte gegen drei Uhr lautes Klirren und sah zwei dunkel gekleidete Personen davonlaufen.",
    "Die Ermittler prüfen einen Zusammenhang mit ähnlichen Taten in den Nachbarstädten Kornbach und Wiesloh.",
    "Hinweise nimmt die Kriminalpolizei unter der bekannten Telefonnummer oder jede andere Dienststelle entgegen.",
    "Der Fußballverein Blau-Weiß Sommerau hat seinen langjährigen Trainer Frank Ostermann entlassen.",
    "Nach sieben Niederlagen in Folge war die Mannschaft auf den vorletzten Tabellenplatz abgerutscht.",
    "Bis zur Verpflichtung eines Nachfolgers übernimmt Co-Trainer Ali Demir die Verantwortung für das Team.",
    "Ostermann hatte den Klub vor fünf Jahren übernommen und ihn in die dritte Liga geführt.",
    "Die Fans reagierten gespalten auf die Entscheidung des Vorstands, der lange an ihm festgehalten hatte.",
]


def _sources(sentences: list[str], lang: str, per_text: int = 5) -> list[Any]:
    """Texts of `per_text` sentences (one or two to a paragraph), each sentence in one text only."""
    out = []
    for n, start in enumerate(range(0, len(sentences), per_text)):
        chunk = sentences[start : start + per_text]
        paragraphs = (" ".join(chunk[:2]), chunk[2], chunk[3], *chunk[4:])
        out.append(WC.Source(f"{lang}-{n}.html.gz", lang, chunk[0].split(",")[0][:60], paragraphs))
    return out


SOURCES = [*_sources(ENGLISH, "en"), *_sources(GERMAN, "de")]


@pytest.fixture(scope="module")
def generator() -> Any:
    """A generator that has written 1,500 documents from the fixture texts, seed 7."""
    made = WC.Generator(SOURCES, 7)
    made.generate(1500)
    return made


@pytest.fixture(scope="module")
def corpus(generator: Any) -> list[Any]:
    """The 1,500 documents."""
    return list(generator.records)


def _when(record: Any) -> datetime:
    return datetime.fromisoformat(record.published)


class TestGenerator:
    """Generator.generate: exact size, publication order, determinism and every label it promises."""

    def test_deterministic_per_seed(self) -> None:
        """The same seed gives the same records; another seed gives others."""
        first = WC.Generator(SOURCES, 5).generate(300)
        again = WC.Generator(SOURCES, 5).generate(300)
        other = WC.Generator(SOURCES, 6).generate(300)
        assert [r.__repr__() for r in first] == [r.__repr__() for r in again]
        assert [r.text for r in first] != [r.text for r in other]

    def test_exact_size_in_publication_order(self, corpus: list[Any]) -> None:
        """Exactly the documents asked for, unique ids, sorted by publication instant."""
        assert len(corpus) == 1500
        assert len({r.id for r in corpus}) == 1500
        times = [_when(r) for r in corpus]
        assert times == sorted(times)

    def test_every_edit_and_negative_kind_appears(self, corpus: list[Any]) -> None:
        """Each edit kind labels some copy; each hard-negative kind labels some story."""
        edits = Counter(e for r in corpus for e in r.edits)
        assert set(WC.EDITS) <= set(edits), set(WC.EDITS) - set(edits)
        negatives = {r.negative for r in corpus}
        assert {"template", "followup", "footer", "same_event"} <= negatives
        assert {r.kind for r in corpus} == {"news", "template", "followup", "brief"}

    def test_every_story_has_one_original_first(self, corpus: list[Any]) -> None:
        """A story's first document carries no edit and is its only unedited one; copies come within 2 days."""
        stories: dict[str, list[Any]] = defaultdict(list)
        for record in corpus:
            stories[record.story].append(record)
        for docs in stories.values():
            original, *copies = docs
            assert original.edits == []
            for copy in copies:
                assert copy.edits, copy
                delay = _when(copy) - _when(original)
                if "rerun" in copy.edits:
                    assert timedelta(days=14) <= delay <= timedelta(days=182)
                else:
                    assert timedelta(0) < delay <= timedelta(hours=48)

    def test_copies_run_at_distinct_outlets(self, corpus: list[Any]) -> None:
        """No outlet runs one story twice."""
        outlets = Counter((r.story, r.outlet) for r in corpus)
        assert max(outlets.values()) == 1

    def test_negatives_point_at_other_stories(self, corpus: list[Any]) -> None:
        """Follow-ups and same-event stories name an earlier story of their own language, never themselves."""
        first = {}
        for record in corpus:
            first.setdefault(record.story, record)
        mimics = [r for r in corpus if r.negative in {"followup", "same_event"}]
        assert mimics
        for record in mimics:
            assert record.of != record.story
            assert record.of in first
            assert first[record.of].lang == record.lang
            assert _when(first[record.of]) < _when(first[record.story])
        families = {r.story: r.family for r in corpus if r.kind == "template"}
        assert all(families.values())

    def test_followups_reuse_the_lead(self, generator: Any) -> None:
        """A follow-up's text contains the first sentence of the story it follows, then says more."""
        stories = {s.id: s for s in generator.stories}
        followups = [s for s in stories.values() if s.kind == "followup"]
        assert followups
        for story in followups:
            lead = WC.sentences(stories[story.of].clean[0])[0]
            text = " ".join(story.clean)
            assert lead in text
            assert len(text.split()) > len(lead.split()) + 20

    def test_copy_of_copy_names_an_earlier_copy(self, corpus: list[Any]) -> None:
        """A copy of a copy says which copy it was made from: same story, published before it, its edits kept."""
        by_id = {r.id: r for r in corpus}
        made = [r for r in corpus if "copy_of_copy" in r.edits]
        assert made
        for record in made:
            parent = by_id[record.copied_from]
            assert parent.story == record.story
            assert _when(parent) < _when(record)
            kept = set(parent.edits) - {"boilerplate", "teaser", "footer"}
            assert kept <= set(record.edits)

    def test_briefs_carry_their_outlets_footer(self, generator: Any, corpus: list[Any]) -> None:
        """A brief is 40-80 words followed by its outlet's footer, which the outlet's other articles share."""
        footers = {o.domain: o.footer for group in generator.outlets.values() for o in group}
        briefs = [r for r in corpus if r.kind == "brief" and not r.edits]
        assert briefs
        for brief in briefs:
            assert brief.footers == [brief.outlet]
            footer = footers[brief.outlet]
            assert brief.text.endswith(footer)
            assert 40 <= len(brief.text[: -len(footer)].split()) <= 80
            assert any(brief.outlet in r.footers and r.story != brief.story for r in corpus)

    def test_wirefeed_dedupe_reads_the_file(self, tmp_path: Path) -> None:
        """`wirefeed dedupe` takes the corpus as written (unknown fields ignored) and decides every document."""
        records = WC.Generator(SOURCES, 3).generate(120)
        path = tmp_path / "wire.jsonl"
        WC.write_jsonl(records, path)
        out = tmp_path / "clusters.jsonl"
        done = subprocess.run([sys.executable, "-m", "ingest.cli", "dedupe", str(path), "-o", str(out)], cwd=ROOT,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        decided = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
        assert decided == [r.id for r in records]
        assert "ignored" not in done.stderr  # every published date was read


class TestEdits:
    """The editors' edits change what they say and nothing else."""

    TEXT = ("The minister said on Tuesday that the bridge would stay closed until engineers finish their work.",
            "Residents of Harwick complained about the detour, which adds forty minutes to every journey.",
            "A replacement crossing is planned, but the regional board has not yet approved its funding.")

    def test_typos_change_only_a_few_characters(self) -> None:
        """A typo edit at 4 % changes at most 4 % of the words (at least one), each by one slip."""
        rng = Random(1)
        for share in (0.01, 0.02, 0.04):
            edited, fixes = WC.add_typos(self.TEXT, rng, share)
            old_words = " ".join(self.TEXT).split()
            new_words = " ".join(edited).split()
            assert len(old_words) == len(new_words)
            changed = [(a, b) for a, b in zip(old_words, new_words, strict=True) if a != b]
            assert 1 <= len(changed) <= max(1, round(share * len(old_words)))
            assert all(Levenshtein.distance(a, b) <= 2 for a, b in changed)
            assert WC.fix_typos(edited, fixes) == list(self.TEXT)

    @given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüéñł", min_size=4, max_size=20), st.integers(0, 10**6))
    def test_misspell_is_one_slip(self, word: str, seed: int) -> None:
        """Any word of 4+ letters comes out different by one slip, its first letter kept."""
        new = WC.misspell(word, Random(seed))
        assert new != word
        assert new[0] == word[0]
        assert Levenshtein.distance(word, new) <= 2

    def test_reordered_paragraphs_are_a_permutation(self) -> None:
        """Two middle paragraphs change places; the lead and the last paragraph stay."""
        paragraphs = [f"Paragraph {i} of the story says something of its own." for i in range(7)]
        for seed in range(20):
            swapped = WC.swap_paragraphs(paragraphs, Random(seed))
            assert sorted(swapped) == sorted(paragraphs)
            assert swapped[0] == paragraphs[0]
            assert swapped[-1] == paragraphs[-1]
            assert sum(a != b for a, b in zip(swapped, paragraphs, strict=True)) == 2

    def test_merged_paragraphs_keep_every_word(self) -> None:
        """Joining two adjacent paragraphs leaves one paragraph fewer and the same words in the same order."""
        merged = WC.merge_paragraphs(self.TEXT, Random(2))
        assert len(merged) == len(self.TEXT) - 1
        assert " ".join(merged).split() == " ".join(self.TEXT).split()

    def test_trim_keeps_a_prefix(self) -> None:
        """Trimming cuts the last paragraphs and keeps the lead."""
        for seed in range(10):
            kept = WC.trim(self.TEXT, Random(seed))
            assert 1 <= len(kept) < len(self.TEXT)
            assert kept == list(self.TEXT[: len(kept)])

    def test_name_variants_are_near_spellings(self) -> None:
        """"Schultz" can become "Schulz"; every variant keeps the first letter and differs by a letter or two."""
        variants = {WC.name_variant("Schultz", Random(seed)) for seed in range(30)}
        assert "Schulz" in variants
        for name in ("Schultz", "García", "Philipp", "Kowalski", "Okoye"):
            for seed in range(10):
                new = WC.name_variant(name, Random(seed))
                assert new != name
                assert new[0] == name[0]
                assert Levenshtein.distance(name, new) <= 2

    def test_typography_round_trip(self) -> None:
        """Straight quotes become the language's curly ones, and curly ones straight again."""
        text = 'Er sagte "Wir bleiben hier" - und ging.'
        curly = WC.retype(text, WC.LANGS["de"], True, True, False)
        assert curly == "Er sagte „Wir bleiben hier“ – und ging."
        assert WC.retype(curly, WC.LANGS["de"], False, True, False) == text

    def test_teaser_is_the_lead_cut_with_an_ellipsis(self) -> None:
        """A teaser repeats the first words of the text and ends with an ellipsis."""
        block = WC.teaser(self.TEXT, Random(4))
        words = block.rstrip(".…[] ").split()
        assert " ".join(self.TEXT).startswith(" ".join(words[:-1]))
        assert block.endswith(("...", "…", "[…]"))


class TestDerivedStories:
    """Stories derived beyond the real texts share no sentence with each other or with the texts."""

    def test_no_long_sentence_shared_between_derived_stories(self) -> None:
        """Among 60 derived stories and the sources, no sentence of 8+ words occurs in two of them."""
        generator = WC.Generator(SOURCES, 11)
        owners: dict[str, set[str]] = defaultdict(set)
        texts = [(f"source {s.name}", s.paragraphs) for s in SOURCES]
        texts += [(f"derived {i} {lang}", generator.derived_text(lang)[1]) for i in range(30) for lang in ("en", "de")]
        for owner, paragraphs in texts:
            for paragraph in paragraphs:
                for sentence in WC.sentences(paragraph):
                    if len(sentence.split()) >= 8:
                        owners[sentence].add(owner)
        shared = {s: o for s, o in owners.items() if len(o) > 1}
        assert not shared

    def test_a_line_without_words_is_kept(self) -> None:
        """A long line of dashes and symbols (no word to re-draw) passes through the rewriting unchanged."""
        rewriter = WC.Rewriter(Random(1), WC.Lexicon(SOURCES[:8]))
        line = "— * — * — * — * — * —"
        assert rewriter.paragraph(line) == line

    def test_derived_stories_keep_the_shape_of_text(self) -> None:
        """A derived story has paragraphs of words, names where names were, and its language's function words."""
        generator = WC.Generator(SOURCES, 11)
        title, paragraphs = generator.derived_text("en")
        words = " ".join(paragraphs).split()
        assert title
        assert len(words) >= 40
        assert sum(w.lower() in {"the", "of", "to", "and", "in", "a"} for w in words) >= 5
        assert any(w[0].isupper() for w in words[1:])


class TestSources:
    """Reading the real texts: enough words, no site text shared between pages, no near-duplicate pages."""

    def _page(self, text: str, title: str = "A page - Site") -> dict[str, str | None]:
        return {"text": text, "title": title, "lang": "en"}

    def test_short_pages_and_shared_paragraphs_are_dropped(self) -> None:
        """A page under 150 words is no source; a paragraph two pages share (site text) leaves both."""
        shared = "Subscribe to our newsletter for the best stories of the week, delivered every Friday morning."
        first = "\n".join([*ENGLISH[:12], shared])
        second = "\n".join([*ENGLISH[12:24], shared])
        pages = {"a.html.gz": self._page(first), "b.html.gz": self._page(second),
                 "c.html.gz": self._page(" ".join(ENGLISH[30:32]))}
        sources = WC.sources_from_pages(pages)
        assert [s.name for s in sources] == ["a.html.gz", "b.html.gz"]
        assert all(shared not in s.paragraphs for s in sources)
        assert all(s.lang == "en" and s.title == "A page" for s in sources)

    def test_near_duplicate_pages_are_dropped(self) -> None:
        """A page that repeats most of an earlier one is left out."""
        original = WC.Source("a", "en", "A", tuple(ENGLISH[:10]))
        repeat = WC.Source("b", "en", "B", (*ENGLISH[:8], ENGLISH[20]))
        other = WC.Source("c", "en", "C", tuple(ENGLISH[10:20]))
        assert [s.name for s in WC.drop_near_duplicates([original, repeat, other])] == ["a", "c"]

    def test_language_detection(self) -> None:
        """German, English and Chinese texts are recognised; an unknown one falls back to what the page declares."""
        assert WC.detect_language(" ".join(GERMAN), None) == "de"
        assert WC.detect_language(" ".join(ENGLISH), "de") == "en"
        assert WC.detect_language("新华社北京电 " * 40, None) == "zh"
        assert WC.detect_language("Kxq zvw plor", "fi") == "fi"

    def test_seed_article_body_without_chrome_or_teaser(self, tmp_path: Path) -> None:
        """The seed article's body is its long paragraphs, without the menu, the caption or the repeated teaser."""
        body = [" ".join(ENGLISH[i : i + 3]) for i in (0, 3, 6)]
        page = "\n\n".join(["Search", "Latest news", "Bridge closed to lorries in Harwick",
                            "The old bridge. Photo/AFP", *body, body[0] + " " + body[1][:80] + "..."])
        path = tmp_path / "seed.txt"
        path.write_text(page, encoding="utf-8")
        source = WC.seed_source(path)
        assert source is not None
        assert source.title == "Bridge closed to lorries in Harwick"
        assert list(source.paragraphs) == body

    def test_main_skips_without_data(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Without ../shared/data the script says so and exits 2, writing nothing."""
        out = tmp_path / "corpus.jsonl"
        assert WC.main(["--docs", "10", "-o", str(out), "--data", str(tmp_path / "absent")]) == 2
        assert "skipped" in capsys.readouterr().err
        assert not out.exists()
