"""Site furniture in other languages: each rule on a real-looking page in its language, body text intact."""

from __future__ import annotations

import html

import pytest

from ingest.extract.clean import (
    PageContext,
    clean_blocks,
    is_author_bio,
    is_byline,
    is_date_line,
    is_meta_line,
    is_notice,
    is_photo_caption,
    is_pointer,
    is_prompt,
    is_topic_line,
)
from ingest.extract.page import extract_page


def _page(lang: str, title: str, blocks: list[str]) -> str:
    """A news page: head with the title, an article with the headline and one <p> per block."""
    paragraphs = "\n".join(f"<p>{html.escape(block)}</p>" for block in blocks)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta property="og:title" content="{html.escape(title)}"><meta property="og:type" content="article">'
        f"</head><body><header><nav><a href='/'>Start</a></nav></header><main><article>"
        f"<h1>{html.escape(title)}</h1>\n{paragraphs}</article></main><footer>Impressum</footer></body></html>"
    )


# Each page: language, title, body paragraphs, and the furniture blocks with the reason each is removed.
PAGES: dict[str, tuple[str, str, list[str], list[tuple[str, str]]]] = {
    "de": (
        "de", "BVG erhöht die Preise für Monatskarten",
        [
            "Die Berliner Verkehrsbetriebe erhöhen zum 1. April die Preise für Monatskarten im Tarifbereich AB um "
            "durchschnittlich acht Prozent. Das teilte das Unternehmen am Dienstag nach einer Sitzung des "
            "Aufsichtsrats mit.",
            "Als Grund nannte die BVG gestiegene Kosten für Energie und Personal. Der Senat hatte die Erhöhung "
            "bereits im Februar gebilligt, die Opposition im Abgeordnetenhaus kritisiert sie als unsozial.",
            "Fahrgastverbände fordern nun, dass das Deutschlandticket als günstige Alternative erhalten bleibt. "
            "Dessen Finanzierung ist nach Angaben des Verkehrsministeriums bis Ende des Jahres gesichert.",
        ],
        [
            ("Berlin, 12. März 2024", "date_line"),
            ("Ein Bus der BVG am Alexanderplatz. Foto: dpa/Kay Nietfeld", "photo_caption"),
            ("Beitragsbild: Fahrgäste am Bahnhof Zoo, Archivaufnahme.", "photo_caption"),
            ("Lesen Sie auch: Streik bei der Bahn geht in die zweite Woche", "share_prompt"),
            ("Folgen Sie uns auf Facebook und Instagram", "share_prompt"),
            ("Mit unserem Newsletter erhalten Sie jeden Morgen die wichtigsten Nachrichten aus Berlin.",
             "share_prompt"),
            ("Schlagworte: Berlin, Verkehr, BVG", "navigation"),
            ("Weitere Infos unter www.bvg.de", "navigation"),
            ("Anzeige, enthält Affiliate-Links", "site_notice"),
            ("Trage Deine beste E-Mail-Adresse ein und klicke auf „Weiter“", "share_prompt"),
            ("Dein Browser ist leider veraltet.", "site_notice"),
            ("Vervielfältigung nur mit Genehmigung", "site_notice"),
            ("Dieser Text wurde von Medizinern geprüft.", "site_notice"),
            ("Einfach hier klicken und für das digitale Heft registrieren!", "share_prompt"),
            ("Kommentare erscheinen erst nach unserer Freigabe.", "share_prompt"),
            ("Digital lesen für 4,99 € im Monat, jederzeit kündbar.", "share_prompt"),
            ("Auch auf bvg.de", "navigation"),
            ("Facebook Twitter WhatsApp E-Mail", "share_prompt"),
            ("Alle Rechte vorbehalten.", "site_notice"),
        ],
    ),
    "es": (
        "es", "El metro de Madrid amplía su horario nocturno",
        [
            "El metro de Madrid ampliará su horario los viernes y sábados hasta las dos y media de la madrugada a "
            "partir del próximo mes, según anunció este martes la Consejería de Transportes de la Comunidad.",
            "La medida, que se aplicará de forma experimental durante seis meses, responde a una petición de los "
            "vecinos y de los hosteleros del centro, que llevaban años reclamando más servicio nocturno.",
            "Los sindicatos han pedido que la ampliación se cubra con nuevas contrataciones y no con horas extra de "
            "la plantilla actual, que consideran insuficiente para atender la demanda.",
        ],
        [
            ("Por María López", "byline"),
            ("Madrid, 12 de marzo de 2024", "date_line"),
            ("Un tren en la estación de Sol. Foto: EFE/Juan Carlos Hidalgo", "photo_caption"),
            ("Lea también: El Gobierno aprueba el nuevo abono joven", "share_prompt"),
            ("Te puede interesar: Así será la nueva línea 11", "share_prompt"),
            ("Síguenos en Telegram, Instagram, Facebook y Twitter", "share_prompt"),
            ("Este sitio web utiliza cookies para mejorar su experiencia.", "site_notice"),
            ("Tú también puedes hacer periodismo. Cancela cuando quieras.", "share_prompt"),
            ("Siguenos en", "share_prompt"),
            ("Telegram,", "share_prompt"),
            ("y Twitter", "share_prompt"),
            ("Etiquetas: Madrid, Metro, Transporte", "navigation"),
            ("Todos los derechos reservados.", "site_notice"),
        ],
    ),
    "pl": (
        "pl", "Sejm przyjął ustawę o ochronie ludności",
        [
            "Sejm przyjął w piątek ustawę o ochronie ludności i obronie cywilnej. Za głosowało 431 posłów, nikt nie "
            "był przeciw, a dwie osoby wstrzymały się od głosu.",
            "Ustawa przewiduje budowę schronów w nowych budynkach użyteczności publicznej oraz stworzenie systemu "
            "ostrzegania obywateli przez telefony komórkowe i syreny alarmowe.",
            "Teraz ustawą zajmie się Senat. Rząd chce, aby nowe przepisy weszły w życie jeszcze w tym roku, a "
            "pierwsze pieniądze trafiły do samorządów już w przyszłym budżecie.",
        ],
        [
            ("Warszawa, 12 marca 2024", "date_line"),
            ("Posłowie na sali plenarnej. Fot. PAP/Leszek Szymański", "photo_caption"),
            ("Czytaj też: Senat zajmie się budżetem w przyszłym tygodniu", "share_prompt"),
            ("Wesprzyj nas darowizną lub przekaż nam 1% podatku", "share_prompt"),
            ("Tagi: Sejm, ustawa, obrona cywilna", "navigation"),
            ("Materiał chroniony prawem autorskim - zasady przedruków określa regulamin.", "site_notice"),
            ("aja/PAP", "byline"),
        ],
    ),
    "fr": (
        "fr", "La SNCF annonce de nouveaux TGV pour l'été",
        [
            "La SNCF mettra en circulation cet été douze rames supplémentaires sur les lignes à grande vitesse "
            "vers le sud-est, a annoncé mardi le président de l'entreprise lors d'une conférence de presse.",
            "Ces trains doivent absorber la hausse de la fréquentation attendue pendant les Jeux olympiques et les "
            "vacances scolaires, alors que de nombreux voyageurs se plaignent de prix trop élevés.",
            "Les syndicats de cheminots ont salué l'annonce mais réclament des embauches pour assurer le service "
            "à bord et l'entretien des rames dans les technicentres.",
        ],
        [
            ("Paris, 12 mars 2024", "date_line"),
            ("Crédit photo : Reuters/Benoit Tessier", "photo_caption"),
            ("À lire aussi : Les prix des billets de train augmentent encore", "share_prompt"),
            ("Suivez-nous sur Facebook et Instagram", "share_prompt"),
            ("Mots-clés : SNCF, TGV, transports", "navigation"),
            ("Saisissez votre adresse e-mail pour recevoir nos alertes", "share_prompt"),
            ("Reproduction interdite sans autorisation", "site_notice"),
            ("Pour lire la suite, abonnez-vous à partir de 1 € le premier mois.", "share_prompt"),
        ],
    ),
    "en": (
        "en", "City council approves new cycle lanes",
        [
            "The city council on Tuesday approved a plan to build 40 kilometres of protected cycle lanes over the "
            "next three years, after a debate that lasted most of the afternoon.",
            "Supporters said the lanes would cut traffic deaths and help the city meet its climate targets, while "
            "shop owners on the main streets worried about losing parking spaces for their customers.",
            "Work on the first section, along the river, is expected to begin in the spring and will be paid for "
            "by a regional transport grant and the city's own road maintenance budget.",
        ],
        [
            ("January 13, 2024 at 08:45 AM | categories: Transport, Council | View Comments", "navigation"),
            ("Tags: Transport, Council, Cycling", "navigation"),
            ("This post contains affiliate links.", "site_notice"),
            ("Download the Example News app for iOS and Android.", "share_prompt"),
            ("This website uses cookies to improve your experience.", "site_notice"),
            ("Enter your email address to get the morning briefing", "share_prompt"),
            ("Like this recipe? Add the ingredients to your basket.", "share_prompt"),
            ("We need your help. Help us continue to spread the word to readers everywhere. Donate", "share_prompt"),
            ("First-time subscribers also receive a welcome gift.", "share_prompt"),
            ("To read the full story, please subscribe to Example News.", "site_notice"),
        ],
    ),
    "it-pt-nl": (
        "it", "Il governo approva il decreto sulle bollette",
        [
            "Il Consiglio dei ministri ha approvato giovedì sera il decreto che proroga gli aiuti sulle bollette "
            "di luce e gas per le famiglie con un reddito basso fino alla fine di giugno.",
            "Secondo il ministero dell'Economia, la misura costerà circa due miliardi di euro e sarà finanziata "
            "con le maggiori entrate fiscali registrate nei primi mesi dell'anno.",
            "Le associazioni dei consumatori hanno accolto il provvedimento, ma chiedono interventi strutturali "
            "per ridurre il peso delle bollette sui bilanci delle famiglie italiane.",
        ],
        [
            ("Leggi anche: Benzina, il prezzo torna sopra i due euro", "share_prompt"),
            ("Leia também: Governo aprova novo salário mínimo", "share_prompt"),
            ("Lees ook: Kabinet presenteert nieuwe klimaatplannen", "share_prompt"),
            ("Tutti i diritti riservati.", "site_notice"),
        ],
    ),
}


class TestFurniturePages:
    """A page per language: the furniture goes, each with its reason; the body comes out exactly."""

    @pytest.mark.parametrize("name", sorted(PAGES))
    def test_page(self, name: str) -> None:
        """Body paragraphs are kept as they are; every furniture block is removed with its reason."""
        lang, title, body, furniture = PAGES[name]
        # Furniture above, between and below the body, as sites place it.
        blocks = [furniture[0][0], body[0], *(text for text, _ in furniture[1:-1]), body[1], body[2],
                  furniture[-1][0]]
        extracted = extract_page(_page(lang, title, blocks), url=f"https://news.example/{name}/article-1")
        assert extracted.text == "\n\n".join(body)
        removed = {item.text: item.why for item in extracted.removed}
        for text, why in furniture:
            assert removed.get(text) == why, text


class TestRulesKeepSentences:
    """Sentences that use the same words as furniture are body text."""

    @pytest.mark.parametrize(
        "block",
        [
            "Die Polizei bat Zeugen, sich zu melden; Fotos des Täters wurden am Abend veröffentlicht.",
            "Foto-Ausstellungen sind in diesem Jahr besonders beliebt, sagte die Direktorin des Museums.",
            "El fotógrafo mostró las imágenes del incendio a los periodistas en Madrid.",
        ],
    )
    def test_caption_words_in_sentences(self, block: str) -> None:
        """A sentence about photos is not a caption."""
        assert not is_photo_caption(block, frozenset())

    @pytest.mark.parametrize(
        "block",
        [
            "Die Gruppe rief ihre Anhänger auf Telegram zu Protesten auf, berichtete die Zeitung.",
            "The newsletter, which has 40,000 readers, was sold to a media group last year.",
            "Lea Müller, 34, hat das Geschäft im Jahr 2019 von ihrem Vater übernommen und seither erweitert.",
            "Czytaj też uważnie umowy, radzą prawnicy, bo drobny druk potrafi kosztować wiele pieniędzy.",
            "Wer sich beschwert, muss seine E-Mail-Adresse und eine Telefonnummer angeben, teilte das Amt mit.",
            "Facebook und Twitter sperren das Konto des früheren Präsidenten.",
            "Die Polizei bittet, nicht auf Links in der Mail zu klicken, hier klicke man sonst eine Falle an.",
        ],
    )
    def test_prompt_words_in_sentences(self, block: str) -> None:
        """A sentence naming a network, a newsletter or a reader is not a prompt."""
        assert not is_prompt(block)

    @pytest.mark.parametrize(
        "block",
        [
            "Creative Commons provides free copyright licenses to make sharing easier for creators everywhere.",
            "The company's affiliate programme was reorganised last year, and several partners left it.",
            "Datenschützer kritisieren seit Jahren, wie viele Händler Cookies verwenden, ohne die Kunden zu fragen.",
        ],
    )
    def test_notice_words_in_sentences(self, block: str) -> None:
        """A sentence about licences or affiliates is not a site notice."""
        assert not is_notice(block)

    @pytest.mark.parametrize(
        "block",
        ["Update: February 29, 2024", "Termin: 29.02.2020, 19 Uhr", "Einsendeschluss: 03.11.2019 (Poststempel)",
         "Der Vertrag läuft bis zum 31. März 2025, sagte er."],
    )
    def test_labelled_dates_are_not_datelines(self, block: str) -> None:
        """A labelled date ("Termin: ...") or a sentence with a date is not a dateline."""
        assert not is_date_line(block)

    @pytest.mark.parametrize(
        "block",
        ["Update | Deceased Clarendon crash victims identified", "Politik | Wirtschaft | Kultur",
         "Weitere Informationen finden Sie in unserem Bericht, der am Montag erschienen ist.",
         "Kategorie: Die Regierung hat beschlossen, die Steuern zu senken, wie am Montag bekannt wurde."],
    )
    def test_lines_with_bars_or_leads_kept(self, block: str) -> None:
        """A headline with a bar, a menu of names, or a sentence after a lead is not a meta, pointer or topic line."""
        assert not is_meta_line(block)
        assert not is_pointer(block)
        assert not is_topic_line(block)

    @pytest.mark.parametrize("block", ["Von Anfang an war klar, dass es schwierig wird.", "PAP zgłosiła wniosek."])
    def test_bylines_need_names(self, block: str) -> None:
        """A sentence starting with a byline word, or naming an agency, is not a byline."""
        assert not is_byline(block, ())


class TestCapsCredits:
    """A credit in capitals after the caption's sentence: "... By U.S. CUSTOMS AND BORDER PROTECTION"."""

    @pytest.mark.parametrize(
        "block",
        ["Agents found 475 pounds of cocaine inside a vessel in Las Croabas. By U.S. CUSTOMS AND BORDER PROTECTION",
         "Der Bürgermeister bei der Eröffnung. Foto von ANNA SCHMIDT"],
    )
    def test_credit_recognised(self, block: str) -> None:
        """A capitalised "By"/"Foto von" credit closing a caption is a caption."""
        assert is_photo_caption(block, frozenset())

    @pytest.mark.parametrize("block", ["He was hired by NASA in 2019", "Ein Text. By the way, it rained"])
    def test_sentences_kept(self, block: str) -> None:
        """"by" inside a sentence, or followed by ordinary words, is no credit."""
        assert not is_photo_caption(block, frozenset())


class TestCjkCredits:
    """Japanese and Korean photo credits."""

    @pytest.mark.parametrize(
        "block", ["記者会見する首相（写真：共同通信）", "写真：ロイター", "기자회견하는 대통령 사진=연합뉴스",
                  "사진: 뉴시스"],
    )
    def test_credit_recognised(self, block: str) -> None:
        """写真 and 사진 credits are captions."""
        assert is_photo_caption(block, frozenset())

    def test_body_kept(self) -> None:
        """A Japanese body sentence that mentions photos is kept."""
        body = "首相は記者会見で、写真を撮影した記者の質問に答え、来年度の予算案について説明した。"
        kept, _ = clean_blocks([body], PageContext())
        assert kept == [body]

    # AFPBB (AFP's Japanese service) closes every story's last paragraph with its sign-off "(c)AFP/Name".
    SIGNED = ("政府はボコ・ハラムが劣勢にあると繰り返し主張しているが、あるアナリストは「ボコ・ハラムは"
              "ナイジェリア北東部で大量の死傷者を出す攻撃を行う意図と作戦能力を維持している」と指摘している。"
              "(c)AFP/Aminu ABUBAKAR")

    def test_wire_signoff_closing_a_paragraph_kept(self) -> None:
        """A long paragraph ending in the agency's sign-off is the story's last paragraph, not a caption."""
        lead = "【6月18日 AFP】ナイジェリア北東部ボルノ州で16日夜、少女を使った自爆攻撃が起き、31人が死亡した。"
        middle = ("地元当局者と民兵指導者が17日、AFPに明らかにした。"
                  "攻撃は市場の近くで起き、多数の負傷者が病院に運ばれた。")
        assert not is_photo_caption(self.SIGNED, frozenset())
        extracted = extract_page(_page("ja", "ナイジェリアで自爆攻撃、31人死亡", [lead, middle, self.SIGNED]),
                                 url="https://www.afpbb.com/articles/-/3178894")
        assert extracted.text.split("\n\n")[-1] == self.SIGNED

    @pytest.mark.parametrize(
        "block",
        ["ナイジェリア北東部ボルノ州マイドゥグリの市場で、警備に当たる兵士（2017年6月7日撮影、資料写真）。"
         "(c)AFP/Aminu ABUBAKAR",
         "市場で警備に当たる兵士。(c)AFP/Aminu ABUBAKAR",
         "尼日利亚东北部博尔诺州的市场，士兵在巡逻（2017年6月7日摄）。(c)AFP/Aminu ABUBAKAR"],
    )
    def test_signed_captions_still_captions(self, block: str) -> None:
        """A caption says it is one (撮影, 写真, 摄) or is short: the sign-off rule leaves it a caption."""
        assert is_photo_caption(block, frozenset())


class TestSectionHeadings:
    """A page with several <h1>s: a section heading is body text, not the repeated headline."""

    def test_section_h1_kept(self) -> None:
        """Only a lone <h1> is a headline candidate; the others are the article's own headings."""
        body = (
            "Seit 2009 stehen die beiden Kabarettisten gemeinsam auf der Bühne und haben mehr als 800 Vorstellungen "
            "in Deutschland, Österreich und der Schweiz gespielt, zuletzt mit ihrem vierten Programm."
        )
        page = (
            '<html lang="de"><head><title>Über uns – 2gewinnt | Kabarett</title>'
            '<meta property="og:title" content="Über uns"></head><body>'
            "<header><h1>2gewinnt | Kabarett</h1><h1>Über uns</h1></header><article>"
            f"<h1>Künstlerischer Lebenslauf</h1><p>{body}</p><p>{body.replace('2009', '2010')}</p></article>"
            "</body></html>"
        )
        extracted = extract_page(page, url="https://kabarett.example/ueber-uns/")
        assert "Künstlerischer Lebenslauf" in extracted.text.split("\n\n")
        assert [r.why for r in extracted.removed if r.text == "Künstlerischer Lebenslauf"] == []


class TestClosingLists:
    """A closing "discover more" heading and the cards after it, in their languages."""

    @pytest.mark.parametrize(
        ("lang", "heading"),
        [("de", "Entdecke weitere Homestorys"), ("en", "Discover more stories"), ("es", "Descubre más recetas"),
         ("fr", "Découvrez aussi nos reportages")],
    )
    def test_discover_more_list_removed(self, lang: str, heading: str) -> None:
        """The heading, a blurb and a card title after the body go as related stories; the body stays."""
        _lang, title, body, _furniture = PAGES[lang]
        tail = [heading, "Wie wohnt die Community? Klicke dich durch die Homestorys.", "Mehr Homestorys"]
        kept, removed = clean_blocks([*body, *tail], PageContext(titles=(title,)))
        assert kept == body
        assert [item.why for item in removed] == ["related_stories"] * 3


class TestLinksToOtherSites:
    """A block that is only a link's text is another story of the site; a link to another site is content."""

    def _extract(self, href: str) -> list[str]:
        """Extract a German page whose body has a line that is a whole link, and return the removal reasons."""
        _lang, title, body, _furniture = PAGES["de"]
        link = "Hier geht es zur Veranstaltung auf Facebook"
        blocks = "".join(f"<p>{html.escape(b)}</p>" for b in body)
        # The line in the body, the same text as a link in the page's teaser box.
        page = (
            f"<html lang='de'><head><title>{html.escape(title)}</title></head><body><article><h1>{title}</h1>"
            f"{blocks}<p>{link}</p></article><aside><a href='{href}'>{link}</a></aside></body></html>"
        )
        extracted = extract_page(page, url="https://www.zeitung.example/berlin/bvg-preise")
        return [item.why for item in extracted.removed if item.text == link]

    def test_link_to_another_site_kept(self) -> None:
        """A line linking to another site (an event, a shop, a source) stays in the text."""
        assert self._extract("https://www.facebook.com/events/123") == []

    def test_link_to_the_same_site_removed(self) -> None:
        """A line linking to another page of the same site (its sub-domains included) is a related link."""
        assert self._extract("https://m.zeitung.example/berlin/andere-meldung") == ["related_link"]


class TestAuthorBios:
    """The author's biography closing a page, whatever the author's role, in its language."""

    @pytest.mark.parametrize(
        "block",
        [
            "Inga Muster ist Head of Social & Community bei Example. Wenn sie nicht schreibt, testet sie Gadgets.",
            "Jane Doe is the Founder & Principal Consultant at Spark, a marketing consultancy for small brands.",
            "Marie Dupont est fondatrice du blog Cuisine facile et autrice de deux livres de recettes.",
        ],
    )
    def test_bio_recognised(self, block: str) -> None:
        """A name, a verb of being and a role ("Head of", "Founder", "fondatrice") open a biography."""
        assert is_author_bio(block, ())

    @pytest.mark.parametrize(
        "block",
        ["Angela Merkel ist am Dienstag nach Paris gereist, um mit dem Präsidenten zu sprechen.",
         "The head of the agency said the findings would be published next week."],
    )
    def test_sentences_kept(self, block: str) -> None:
        """A closing sentence about a person is not a biography."""
        assert not is_author_bio(block, ())

    def test_bio_removed_at_the_end_of_a_page(self) -> None:
        """On a German page the closing bio goes, the body stays."""
        _lang, title, body, _furniture = PAGES["de"]
        bio = "Inga Muster ist Head of Social & Community bei Example. Sie testet gern neue Gadgets."
        kept, removed = clean_blocks([*body, bio], PageContext(titles=(title,)))
        assert kept == body
        assert [item.why for item in removed] == ["author_bio"]


class TestFooterAfterRights:
    """A rights line closing the article ends it: the site's promotion after it goes."""

    PROMO = ("Die digitale Welt der Nachrichten.", "Mit interaktiven Grafiken und Videos.",
             "Einmal anmelden, auf jedem Gerät lesen - auch offline.")

    def test_promotion_after_rights_line_removed(self) -> None:
        """Short blocks after "Alle Rechte vorbehalten" at the end are the site's footer."""
        _lang, title, body, _furniture = PAGES["de"]
        kept, removed = clean_blocks([*body, "Alle Rechte vorbehalten", *self.PROMO], PageContext(titles=(title,)))
        assert kept == body
        assert [item.why for item in removed] == ["site_notice"] * 4

    def test_text_after_rights_line_in_first_half_kept(self) -> None:
        """A rights line above most of the text (a photo's licence, say) cuts nothing."""
        _lang, title, body, _furniture = PAGES["de"]
        blocks = ["Alle Rechte vorbehalten", *body, *self.PROMO]
        kept, _ = clean_blocks(blocks, PageContext(titles=(title,)))
        assert kept == [*body, *self.PROMO]


class TestCardBlurbs:
    """A story card: a link to another story of the site, then its blurb cut off with an ellipsis."""

    CARD = "VW Golf 8 GTI: Gereifter Fahrspaß auf der Landstraße"

    def _extract(self, blurb: str, *, linked: bool = True) -> list[tuple[str, str]]:
        """Extract a German page whose body is followed by a card, and return what was removed."""
        _lang, title, body, _furniture = PAGES["de"]
        blocks = "".join(f"<p>{html.escape(b)}</p>" for b in body)
        card = f"<a href='/autonews/6485972'>{self.CARD}</a>" if linked else self.CARD
        page = (
            f"<html lang='de'><head><title>{html.escape(title)}</title></head><body><article><h1>{title}</h1>"
            f"{blocks}<h2>{card}</h2><p>{html.escape(blurb)}</p></article></body></html>"
        )
        extracted = extract_page(page, url="https://www.zeitung.example/berlin/bvg-preise")
        return [(item.text, item.why) for item in extracted.removed if item.why == "related_link"]

    @pytest.mark.parametrize(
        "blurb",
        ["Die Zusatzbuchstaben GTI des VW Golf sind seit jeher Garant für dynamische Fortbewegung. War Volkswagen "
         "anfangs vom ...",
         "Husum (iwr-pressedienst) - Eine zunehmend digitalisierte Energieerzeugung bietet neue Angriffspunkte. "
         "Die Sicherheit ist deshalb wichtig für Firmen jeder Größe und entscheidend für die e... weiter...",
         "Heizjacken sind im Grunde […]"],
    )
    def test_blurb_after_story_link_removed(self, blurb: str) -> None:
        """The headline link and the cut-off blurb under it go together as a related link."""
        assert self._extract(blurb) == [(self.CARD, "related_link"), (blurb, "related_link")]

    def test_cut_off_paragraph_after_plain_heading_kept(self) -> None:
        """A paragraph ending with an ellipsis under a heading that links nowhere is body text."""
        blurb = "Und dann kam alles ganz anders, als die Fahrgäste es sich am Montagmorgen vorgestellt hatten ..."
        assert self._extract(blurb, linked=False) == []

    def test_full_paragraph_after_story_link_kept(self) -> None:
        """A paragraph that is not cut off after a linked subheading stays."""
        blurb = "Die Zusatzbuchstaben GTI des VW Golf sind seit jeher Garant für dynamische Fortbewegung."
        assert self._extract(blurb) == [(self.CARD, "related_link")]
