"""Tests for ingest.extract.clean: each rule removes its kind of block, with positive evidence only."""

from __future__ import annotations

import pytest

from ingest.extract.clean import (
    PageContext,
    clean_blocks,
    is_author_bio,
    is_byline,
    is_date_line,
    is_photo_caption,
    is_prompt,
)

BODY = [
    "Le gouvernement a présenté mercredi en Conseil des ministres un projet de loi sur l'énergie, qui prévoit "
    "la construction de six nouveaux réacteurs d'ici à 2035 et une accélération des énergies renouvelables.",
    "Le texte doit être examiné par le Sénat au printemps, avant une lecture à l'Assemblée nationale, où la "
    "majorité relative du gouvernement l'obligera à chercher des alliés.",
    "L'opposition de gauche a dénoncé un « tout-nucléaire » coûteux, tandis que la droite réclame des "
    "garanties sur le calendrier des chantiers et leur financement par l'État.",
]

MORE_BODY = [
    "Les associations de défense de l'environnement ont annoncé un recours devant le Conseil d'État si le "
    "texte était adopté sans étude d'impact complète sur les sites retenus.",
    "Les syndicats de la filière saluent au contraire une visibilité inédite sur vingt ans, qui doit permettre "
    "de former les soudeurs et les ingénieurs dont les chantiers auront besoin.",
    "Le coût total du programme reste discuté : la Cour des comptes a chiffré en janvier une dérive possible de "
    "plusieurs dizaines de milliards d'euros.",
]


class TestIsPhotoCaption:
    """Captions and credits are recognised by their credit, never by length alone."""

    @pytest.mark.parametrize(
        "block",
        [
            "Le président russe Vladimir Poutine. Sputnik/Alexei Druzhinin/Kremlin via REUTERS",
            "Des manifestants à Paris. (Photo: AFP)",
            "Getty Images",
            "Photo : AFP",
            "Foto: dpa",
            "El presidente en Madrid. Foto: EFE",
            "Joe Biden at the White House. REUTERS/Evelyn Hockstein",
            "Credit: Samir Hussein/WireImage",
            "Demonstranten in Berlin (Bild: Imago)",
            "© AFP",
        ],
    )
    def test_credit_recognised(self, block: str) -> None:
        """A block ending with a photo credit is a caption."""
        assert is_photo_caption(block, frozenset())

    @pytest.mark.parametrize(
        "block",
        [
            "Le ministre a démenti, a indiqué une source à l'AFP.",
            "He told Reuters.",
            "The image: a bridge over the river at dawn, as seen from the north bank",
            "Les deux hommes ont parlé au téléphone vendredi, selon Reuters",
            "She said the photos were taken in 2019 / 2020 by police.",
        ],
    )
    def test_body_sentence_kept(self, block: str) -> None:
        """A sentence that merely names an agency is body text."""
        assert not is_photo_caption(block, frozenset())

    def test_figcaption_text_recognised(self) -> None:
        """A block equal to a <figcaption> or alt text of the page is a caption, credit or not."""
        assert is_photo_caption("Vladimir Poutine au Kremlin", frozenset({"Vladimir Poutine au Kremlin"}))


class TestIsByline:
    """Bylines in four languages, not sentences that start with the same word."""

    @pytest.mark.parametrize(
        "block",
        ["By Jane Doe", "Par Jean Dupont", "Von Hans Müller und Eva Schmidt", "Por María López",
         "By Jane Doe, Reuters"],
    )
    def test_byline_recognised(self, block: str) -> None:
        """A short "By Name" line is a byline."""
        assert is_byline(block, ())

    @pytest.mark.parametrize(
        "block", ["By the end of the year, prices rose.", "Par ailleurs, le ministre a démenti.",
                  "Von Berlin aus reiste er weiter."],
    )
    def test_sentence_kept(self, block: str) -> None:
        """A sentence starting with "By"/"Par"/"Von" is not a byline."""
        assert not is_byline(block, ())

    def test_author_name_alone(self) -> None:
        """The page's author name alone on a line is a byline."""
        assert is_byline("Jean Dupont", ("Jean Dupont",))


class TestIsDateLine:
    """Publication and update lines, not numbers."""

    @pytest.mark.parametrize(
        "block",
        ["Publié le 31/01/2020 à 18h42", "Updated March 4, 2024 10:32 AM EST", "Mis à jour le 12 mars 2024 à 10h05",
         "Veröffentlicht am 4. März 2024", "Actualizado el 4 de marzo de 2024, 10:32", "Published: 2024-03-04 10:32"],
    )
    def test_date_line_recognised(self, block: str) -> None:
        """A line holding only a date and a published/updated word is a date line."""
        assert is_date_line(block)

    @pytest.mark.parametrize("block", ["12 | 15 | 3", "2-1", "Le 12 mars, il est parti."])
    def test_numbers_kept(self, block: str) -> None:
        """Scores, table rows and sentences with a date are kept."""
        assert not is_date_line(block)


class TestIsPrompt:
    """Share, subscribe, newsletter and related-story prompts in four languages."""

    @pytest.mark.parametrize(
        "block",
        ["Share this article", "Partager", "Abonnez-vous à notre newsletter", "Lesen Sie auch: Die Wahl in Berlin",
         "Lee también: El Gobierno aprueba el presupuesto", "Read more: Biden wins Michigan",
         "Lire aussi : Le gouvernement recule", "Sign up for our morning newsletter",
         "Subscribe to Premium to bookmark this article", "Join our commenting forum", "Newsletter abonnieren",
         "Suscríbete a nuestro boletín", "Share on Facebook", "Follow us on Twitter"],
    )
    def test_prompt_recognised(self, block: str) -> None:
        """A short call to action is a prompt."""
        assert is_prompt(block)

    @pytest.mark.parametrize(
        "block",
        ["Subscribers can read more about the plan in the report published on Tuesday.",
         "Share prices fell 3% on Tuesday.", "Lire la presse étrangère est devenu une habitude pour lui."],
    )
    def test_sentence_kept(self, block: str) -> None:
        """Sentences using the same words are body text."""
        assert not is_prompt(block)


class TestIsAuthorBio:
    """Author biographies closing an article."""

    def test_bio_recognised(self) -> None:
        """"Name is a writer for ..." is a biography."""
        assert is_author_bio("Chris Doe is a writer for Example News. Send tips to chris@example.com.", ())

    def test_sentence_kept(self) -> None:
        """A sentence about someone's former job is not a biography."""
        assert not is_author_bio("The president is a former journalist who turned to politics in 1990.", ())

    def test_opening_bio_of_the_author(self) -> None:
        """The page's own author, subject of a first sentence with a role word, opens a bio box by the byline."""
        bio = ("David Lauter is a senior editor at the Los Angeles Times, based in Washington, D.C. He began "
               "writing news in Washington in 1981 and has covered Congress and the White House.")
        kept, removed = clean_blocks([bio, *BODY], PageContext(authors=("David Lauter",)))
        assert kept == BODY
        assert [item.why for item in removed] == ["author_bio"]

    def test_opening_sentence_about_someone_else_kept(self) -> None:
        """An opening paragraph about a named person who is not the page's author stays, role word or not."""
        lede = ("Maria Lopez is a former reporter who now runs the city's largest food bank, and on Tuesday she "
                "asked the council for an emergency grant to keep its doors open through the winter.")
        blocks = [lede, *BODY, *MORE_BODY]  # beyond the closing blocks, where any "Name is a reporter" is a bio
        kept, _ = clean_blocks(blocks, PageContext(authors=("David Lauter",)))
        assert kept == blocks

    def test_opening_about_the_author_without_a_role_kept(self) -> None:
        """A first paragraph naming the author without a role word in its first sentence is not a bio."""
        lede = "Jane Hart is back in the town where she grew up. The mill that employed her father is closing."
        blocks = [lede, *BODY, *MORE_BODY]
        kept, _ = clean_blocks(blocks, PageContext(authors=("Jane Hart",)))
        assert kept == blocks


class TestCleanBlocks:
    """The whole rule set on one page's blocks."""

    def test_body_untouched(self) -> None:
        """Plain body paragraphs come out unchanged, nothing removed."""
        kept, removed = clean_blocks(BODY, PageContext(titles=("Le projet de loi sur l'énergie",)))
        assert kept == BODY
        assert removed == []

    def test_every_reason_recorded(self) -> None:
        """Each removed block carries its reason, and the body is intact."""
        blocks = [
            "Rechercher",
            "Le projet de loi sur l'énergie présenté en Conseil des ministres",
            "Par Jean Dupont",
            "Publié le 31/01/2020 à 18h42",
            "Le ministre à l'Élysée. Photo : AFP",
            *BODY,
            "Partagez cet article sur Facebook",
            BODY[0][:120] + "…",
        ]
        kept, removed = clean_blocks(
            blocks, PageContext(titles=("Le projet de loi sur l'énergie présenté en Conseil des ministres",))
        )
        assert kept == BODY
        assert [item.why for item in removed] == [
            "navigation", "title_repeated", "byline", "date_line", "photo_caption", "share_prompt",
            "repeated_teaser",
        ]

    def test_related_story_list_at_end(self) -> None:
        """A closing "More from" heading with headlines and blurbs is removed as a whole."""
        blocks = [*BODY, "More from The Daily", "A headline about something else", "Its one-line blurb.",
                  "Another story title", "Another blurb."]
        kept, removed = clean_blocks(blocks, PageContext())
        assert kept == BODY
        assert {item.why for item in removed} == {"related_stories"}

    def test_related_heading_followed_by_body_kept(self) -> None:
        """A "Popular" label followed by body paragraphs does not cut the body."""
        blocks = ["Popular", *BODY]
        kept, _ = clean_blocks(blocks, PageContext())
        assert kept == BODY

    def test_link_only_block(self) -> None:
        """A block that is exactly the text of a link elsewhere on the page is a related link."""
        link = "Man arrested after the robbery of a jewellery shop"
        kept, removed = clean_blocks([*BODY, link], PageContext(links=frozenset({link})))
        assert kept == BODY
        assert removed[0].why == "related_link"

    def test_card_blurb_from_the_markup(self) -> None:
        """A paragraph the page shows under a story card's linked headline is a related link, wherever it sits."""
        blurb = ("Birth rates have been trending downward in the U.S. for several decades and dropped precipitously "
                 "during the pandemic.")
        kept, removed = clean_blocks([BODY[0], blurb, *BODY[1:]], PageContext(card_blurbs=frozenset({blurb})))
        assert kept == BODY
        assert [item.why for item in removed] == ["related_link"]

    def test_short_repeated_list_items_kept(self) -> None:
        """Identical short lines (schedules, lists) are not teasers."""
        blocks = [*BODY, "Easter trail 23 March–7 April. example.org", "Easter trail 23 March–7 April. example.org"]
        kept, _ = clean_blocks(blocks, PageContext())
        assert kept == blocks
