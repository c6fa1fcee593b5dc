"""Generate a second, independent labelled corpus of wire stories, their republished copies and hard negatives.

Written apart from scripts/dedupe_corpus.py (tune on one corpus, report on the other). Its texts are real and
different: the body of ../shared/examples/seed-article.txt and the main text that raw `trafilatura.extract`
finds in the 990 pages of ../shared/data/trafilatura-eval (German, English, Spanish, French, Polish, ...; pages
with at least 150 words, cached in .cache/wire_corpus/). Beyond what those texts give, base stories are derived
from them without a word chain: paragraphs of two or three texts of one language whose content words are
re-drawn from that language's vocabulary (one mapping per story), so unrelated stories share function-word
phrases and common words, never whole sentences.

Each story is an agency original (with the agency's dateline in the text's language) and 0-8 copies at
distinct outlets of that language, each carrying one or several labelled edits; some stories are re-run
weeks to months later. Hard negatives: template stories, follow-ups that reuse a lead, outlets' briefs under
one long footer, and same-event stories from another agency.

    python scripts/wire_corpus.py --docs 1500 --seed 7 -o /tmp/wire-1500.jsonl
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data"
SEED_ARTICLE = SHARED / "examples" / "seed-article.txt"
CACHE = ROOT / ".cache" / "wire_corpus"
START = datetime(2026, 1, 12, 5, 0, tzinfo=UTC)
MIN_WORDS = 150  # a page is a source when its extracted text has this many words (CJK: 1.8 characters a word)
MIN_LEXICON = 6  # sources a language needs before stories are derived from its vocabulary
EDITS = (
    "typos", "words", "name", "headline", "dateline", "trimmed", "footer", "update", "boilerplate", "teaser",
    "typography", "reordered", "merged", "copy_of_copy", "rerun",
)


# ---------------------------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class Source:
    """One real text: where it came from, its language, its headline and its body paragraphs."""

    name: str
    lang: str
    title: str
    paragraphs: tuple[str, ...]


@dataclass(slots=True)
class Record:
    """One labelled document of the corpus (`wirefeed dedupe` reads id, title, text, url, published)."""

    id: str
    title: str
    text: str
    url: str
    published: str
    story: str
    kind: str  # news | template | followup | brief
    edits: list[str]
    negative: str | None  # hard-negative kind of the story: template | followup | footer | same_event
    of: str | None  # the story a follow-up follows, or the one a same-event story mimics
    lang: str
    outlet: str
    agency: str | None = None
    family: str | None = None  # template family
    copied_from: str | None = None  # the copy a copy of a copy was made from
    footers: list[str] = field(default_factory=list)  # keys of the footer blocks the text carries


# ---------------------------------------------------------------------------------------------------------------
# Languages: agencies, places, the words of site chrome, editors' synonyms, outlet names


@dataclass(frozen=True, slots=True)
class Lang:
    """What stories and outlets of one language are made of."""

    agencies: tuple[str, ...]
    cities: tuple[str, ...]
    months: tuple[str, ...]
    read_more: tuple[str, ...]
    related: tuple[str, ...]
    caption: tuple[str, ...]
    update: tuple[str, ...]
    kickers: tuple[str, ...]
    footer: tuple[str, ...]
    synonyms: dict[str, tuple[str, ...]]
    quotes: tuple[str, str]
    first: tuple[str, ...]
    last: tuple[str, ...]
    outlet: tuple[str, tuple[str, ...], tuple[str, ...]]  # format, first parts, second parts
    tlds: tuple[str, ...]
    zones: tuple[str, ...]
    sections: tuple[str, ...]


LANGS: dict[str, Lang] = {
    "de": Lang(
        agencies=("dpa", "dpa", "dpa", "AFP", "Reuters", "KNA", "epd"),
        cities=("Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Stuttgart", "Düsseldorf", "Dresden",
                "Leipzig", "Hannover", "Wien", "Zürich", "Brüssel", "Mainz", "Erfurt"),
        months=("Jan.", "Feb.", "März", "April", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."),
        read_more=("Mehr zum Thema:", "Lesen Sie auch:", "Auch interessant:", "Weiterlesen:"),
        related=("Das könnte Sie auch interessieren", "Mehr aus dem Ressort", "Weitere Artikel", "Meistgelesen"),
        caption=("Foto: {agency}/{person}", "Bild: {person}/{agency}", "© {agency}/{person}"),
        update=("Update, {hh}:{mm} Uhr: ", "Aktualisiert um {hh}.{mm} Uhr: ", "Neu: "),
        kickers=("Eilmeldung", "Aktuell", "Liveblog", "Exklusiv", "Nach Bericht"),
        footer=(
            "Sie wollen keine Nachrichten aus Ihrer Region verpassen? Abonnieren Sie jetzt den kostenlosen "
            "Newsletter von {site} und erhalten Sie jeden Morgen die wichtigsten Meldungen direkt in Ihr Postfach.",
            "Folgen Sie {site} auch auf Facebook, Instagram und WhatsApp, damit Sie keine Eilmeldung verpassen.",
            "Haben Sie einen Fehler im Text entdeckt? Schreiben Sie uns eine E-Mail an redaktion@{domain}.",
            "Mit der kostenlosen App von {site} lesen Sie alle Artikel auch unterwegs, bequem auf dem Smartphone "
            "oder Tablet.",
            "Dieser Artikel wurde mit Material der Nachrichtenagenturen erstellt und von der Redaktion geprüft.",
            "© {site} {year}. Alle Rechte vorbehalten. Vervielfältigung nur mit Genehmigung des Verlags.",
            "Unsere Berichterstattung bleibt frei zugänglich. Unterstützen Sie unabhängigen Lokaljournalismus mit "
            "einem Digital-Abo für nur 9,90 Euro im Monat.",
        ),
        synonyms={
            "sagte": ("erklärte", "betonte", "sagt"), "erklärte": ("sagte", "betonte"), "betonte": ("unterstrich",),
            "rund": ("etwa", "circa", "knapp"), "etwa": ("rund", "ungefähr"), "bisher": ("bislang",),
            "bislang": ("bisher",), "zudem": ("außerdem",), "außerdem": ("zudem", "darüber hinaus"),
            "jedoch": ("aber", "allerdings"), "allerdings": ("jedoch",), "nun": ("jetzt",), "jetzt": ("nun",),
            "schnell": ("rasch",), "wegen": ("aufgrund",), "Menschen": ("Personen",), "deshalb": ("daher",),
            "daher": ("deshalb",), "bereits": ("schon",), "schon": ("bereits",), "sehr": ("äußerst",),
            "wichtig": ("bedeutend",), "erhalten": ("bekommen",), "zunächst": ("vorerst",), "derzeit": ("aktuell",),
            "aktuell": ("derzeit",), "mehrere": ("einige",), "einige": ("mehrere",), "weitere": ("zusätzliche",),
        },
        quotes=("„", "“"),
        first=("Anna", "Lukas", "Sabine", "Jürgen", "Katrin", "Thomas", "Monika", "Stefan", "Julia", "Michael"),
        last=("Becker", "Hoffmann", "Schäfer", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Krüger", "Hartmann"),
        outlet=("{a}{b}",
                ("Rhein", "Nord", "Süd", "Ost", "West", "Main", "Elbe", "Weser", "Havel", "Isar", "Neckar", "Mosel",
                 "Spree", "Alb", "Harz", "Saale", "Ems", "Lahn", "Donau", "Ruhr"),
                ("kurier", "bote", "zeitung", "anzeiger", "post", "blatt", "rundschau", "echo", "nachrichten",
                 "tagblatt", "presse", "merkur")),
        tlds=("de", "de", "de", "at", "ch"),
        zones=("Europe/Berlin", "Europe/Berlin", "Europe/Vienna", "Europe/Zurich"),
        sections=("politik", "wirtschaft", "panorama", "sport", "lokales", "kultur"),
    ),
    "en": Lang(
        agencies=("Reuters", "Reuters", "AP", "AP", "AFP", "dpa"),
        cities=("London", "Washington", "New York", "Sydney", "Toronto", "Dublin", "Chicago", "Johannesburg",
                "Singapore", "Los Angeles", "Nairobi", "Manchester"),
        months=("Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec"),
        read_more=("Read more:", "Related:", "More on this story:", "READ MORE:", "See also:"),
        related=("Related stories", "More from this section", "You may also like", "Most read", "Recommended"),
        caption=("Photo: {person}/{agency}", "({agency} Photo/{person})", "Image: {agency}"),
        update=("Update {hh}:{mm}: ", "UPDATED {hh}:{mm} GMT: ", "Latest: "),
        kickers=("Breaking", "Live", "Exclusive", "Update", "Watch"),
        footer=(
            "Sign up for the {site} morning briefing: the day's top stories, delivered to your inbox every "
            "weekday. You can unsubscribe at any time.",
            "Follow {site} on Facebook, X and Instagram for breaking news and live coverage.",
            "Have a news tip? Email our newsroom at news@{domain} or use our secure form.",
            "Support local journalism: subscribe to {site} for unlimited digital access from just $1 a week.",
            "This article was written with material from wire services.",
            "Copyright © {year} {site}. All rights reserved. This material may not be published, broadcast, "
            "rewritten or redistributed.",
            "Download the {site} app for the latest headlines and alerts on your phone.",
        ),
        synonyms={
            "said": ("told reporters", "stated", "added"), "says": ("said",), "told": ("said to",),
            "about": ("around", "roughly"), "around": ("about",), "however": ("but",), "big": ("large",),
            "large": ("big",), "help": ("assist",), "buy": ("purchase",), "shows": ("reveals",),
            "people": ("residents", "individuals"), "officials": ("authorities",), "authorities": ("officials",),
            "percent": ("per cent",), "began": ("started",), "started": ("began",), "after": ("following",),
            "many": ("numerous",), "important": ("key",), "expected": ("anticipated",), "rise": ("increase",),
            "near": ("close to",), "while": ("whilst",), "toward": ("towards",), "towards": ("toward",),
            "organization": ("organisation",), "organisation": ("organization",), "also": ("additionally",),
        },
        quotes=("“", "”"),
        first=("James", "Sarah", "David", "Emma", "Michael", "Laura", "Daniel", "Rachel", "Andrew", "Helen"),
        last=("Walker", "Harris", "Clarke", "Turner", "Morgan", "Hughes", "Bennett", "Foster", "Reid", "Shaw"),
        outlet=("{a} {b}",
                ("Valley", "County", "Harbour", "Northern", "Capital", "Lakeside", "Metro", "Coastal", "Highland",
                 "Riverside", "Eastern", "Midland", "Bay", "Prairie"),
                ("Herald", "Gazette", "Chronicle", "Times", "Courier", "Post", "Observer", "Tribune", "Record",
                 "Journal", "Star", "Echo")),
        tlds=("com", "co.uk", "com.au", "ie"),
        zones=("Europe/London", "America/New_York", "America/Chicago", "Australia/Sydney", "Europe/Dublin"),
        sections=("news", "world", "business", "sport", "uk-news", "us-news"),
    ),
    "fr": Lang(
        agencies=("AFP", "AFP", "AFP", "Reuters"),
        cities=("Paris", "Lyon", "Marseille", "Bruxelles", "Genève", "Montréal", "Bordeaux", "Toulouse",
                "Strasbourg", "Lille", "Nantes", "Rennes"),
        months=("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
        read_more=("À lire aussi :", "Lire aussi :", "Sur le même sujet :", "LIRE AUSSI -"),
        related=("Sur le même sujet", "Les articles les plus lus", "À découvrir aussi", "Nos dernières actualités"),
        caption=("Photo {agency}/{person}", "(Crédit photo : {person} / {agency})", "© {person} / {agency}"),
        update=("Mise à jour à {hh}h{mm} : ", "MISE À JOUR - ", "Actualisé à {hh}h{mm} : "),
        kickers=("Direct", "Alerte", "Exclusif", "Vidéo", "Ce que l'on sait"),
        footer=(
            "Recevez chaque matin l'essentiel de l'actualité de {site} : inscrivez-vous gratuitement à notre "
            "newsletter.",
            "Suivez {site} sur Facebook, X et Instagram pour ne rien manquer de l'actualité de votre région.",
            "Cet article vous a été utile ? Soutenez une information locale et indépendante en vous abonnant à "
            "{site} dès 1 euro le premier mois.",
            "Une erreur dans cet article ? Signalez-la à la rédaction : redaction@{domain}.",
            "© {site} {year}. Toute reproduction, même partielle, est interdite sans autorisation.",
            "Téléchargez l'application {site} pour recevoir les alertes en temps réel sur votre smartphone.",
        ),
        synonyms={
            "selon": ("d'après",), "environ": ("près de", "quelque"), "également": ("aussi",),
            "aussi": ("également",), "toutefois": ("cependant", "néanmoins"), "cependant": ("toutefois",),
            "indiqué": ("précisé", "souligné"), "précisé": ("indiqué",), "annoncé": ("fait savoir",),
            "affirmé": ("assuré",), "assuré": ("affirmé",), "mais": ("pourtant",), "personnes": ("individus",),
            "rapidement": ("vite",), "important": ("majeur",), "notamment": ("en particulier",),
            "plusieurs": ("de nombreux",), "déclaré": ("affirmé",), "désormais": ("dorénavant",),
        },
        quotes=("«\u00a0", "\u00a0»"),
        first=("Julien", "Camille", "Nicolas", "Claire", "Thomas", "Sophie", "Antoine", "Marie", "Hugo", "Léa"),
        last=("Martin", "Bernard", "Lefebvre", "Girard", "Roux", "Fontaine", "Chevalier", "Mercier", "Blanc",
              "Garnier"),
        outlet=("{b} {a}",
                ("du Nord", "de l'Ouest", "des Alpes", "de la Loire", "du Midi", "de Provence", "de Bretagne",
                 "d'Alsace", "du Centre", "de l'Est", "du Var", "de Savoie"),
                ("Le Courrier", "L'Écho", "La Dépêche", "Le Progrès", "La Voix", "Le Réveil", "La Gazette",
                 "Le Journal", "Le Républicain", "La Tribune")),
        tlds=("fr", "fr", "be", "ch"),
        zones=("Europe/Paris", "Europe/Paris", "Europe/Brussels", "America/Montreal"),
        sections=("actualite", "monde", "economie", "sport", "faits-divers", "politique"),
    ),
    "es": Lang(
        agencies=("EFE", "EFE", "Europa Press", "AFP", "Reuters"),
        cities=("Madrid", "Barcelona", "Sevilla", "Valencia", "Bilbao", "Buenos Aires", "Ciudad de México",
                "Bogotá", "Lima", "Santiago", "Zaragoza", "Málaga"),
        months=("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
        read_more=("Lee también:", "Te puede interesar:", "Más información:", "LEA TAMBIÉN:"),
        related=("Noticias relacionadas", "Lo más leído", "Más noticias", "Te recomendamos"),
        caption=("Foto: {agency}/{person}", "Imagen de archivo. {agency}/{person}", "(Foto: {person} / {agency})"),
        update=("Actualización {hh}:{mm}: ", "Última hora: ", "ACTUALIZADO {hh}:{mm} - "),
        kickers=("Última hora", "Directo", "Exclusiva", "Vídeo", "En imágenes"),
        footer=(
            "Suscríbete a la newsletter de {site} y recibe cada mañana en tu correo las noticias más importantes "
            "del día.",
            "Síguenos en Facebook, X e Instagram y únete a nuestro canal de WhatsApp para estar al tanto de la "
            "última hora.",
            "¿Has visto un error en esta noticia? Escríbenos a redaccion@{domain}.",
            "El periodismo de calidad tiene un precio: apoya a {site} con una suscripción digital desde 1 euro "
            "al mes.",
            "© {year} {site}. Todos los derechos reservados. Queda prohibida la reproducción total o parcial sin "
            "autorización.",
            "Descarga la aplicación de {site} y recibe alertas con las noticias de tu ciudad.",
        ),
        synonyms={
            "dijo": ("afirmó", "señaló", "aseguró"), "afirmó": ("aseguró", "indicó"), "aseguró": ("afirmó",),
            "señaló": ("indicó", "apuntó"), "explicó": ("detalló",), "además": ("asimismo",),
            "también": ("además",), "según": ("de acuerdo con",), "cerca": ("alrededor",),
            "personas": ("ciudadanos",), "importante": ("relevante",), "pero": ("sin embargo",),
            "actualmente": ("en la actualidad",), "varios": ("diversos",), "rápidamente": ("con rapidez",),
        },
        quotes=("«", "»"),
        first=("Carlos", "María", "Javier", "Lucía", "Pablo", "Elena", "Andrés", "Carmen", "Diego", "Laura"),
        last=("García", "Fernández", "López", "Martínez", "Sánchez", "Romero", "Navarro", "Torres", "Ruiz", "Vidal"),
        outlet=("{b} {a}",
                ("del Sur", "de Levante", "de Castilla", "del Cantábrico", "de Aragón", "del Atlántico",
                 "de la Costa", "del Valle", "de la Sierra", "de Andalucía"),
                ("Diario", "El Correo", "La Voz", "El Heraldo", "La Crónica", "El Norte", "La Gaceta", "El Faro",
                 "La Opinión", "El Periódico")),
        tlds=("es", "es", "com.ar", "com.mx", "com.co"),
        zones=("Europe/Madrid", "Europe/Madrid", "America/Argentina/Buenos_Aires", "America/Mexico_City"),
        sections=("espana", "internacional", "economia", "deportes", "sociedad", "local"),
    ),
    "pl": Lang(
        agencies=("PAP",),
        cities=("Warszawa", "Kraków", "Gdańsk", "Wrocław", "Poznań", "Łódź", "Lublin", "Katowice", "Szczecin"),
        months=("sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru"),
        read_more=("Czytaj także:", "Zobacz też:", "Polecamy:", "CZYTAJ WIĘCEJ:"),
        related=("Zobacz także", "Najczęściej czytane", "Więcej wiadomości", "Polecane"),
        caption=("Fot. {agency}/{person}", "Zdjęcie: {person}/{agency}"),
        update=("Aktualizacja, godz. {hh}:{mm}: ", "AKTUALIZACJA: "),
        kickers=("Pilne", "Na żywo", "Tylko u nas", "Wideo"),
        footer=(
            "Zapisz się na newsletter {site} i otrzymuj najważniejsze wiadomości z regionu prosto na swoją "
            "skrzynkę pocztową.",
            "Obserwuj {site} w mediach społecznościowych: Facebook, X i Instagram.",
            "Masz temat lub zauważyłeś błąd? Napisz do nas: redakcja@{domain}.",
            "Wspieraj niezależne dziennikarstwo lokalne. Wykup prenumeratę cyfrową {site} już od 9,99 zł "
            "miesięcznie.",
            "© {year} {site}. Wszelkie prawa zastrzeżone. Kopiowanie bez zgody wydawcy zabronione.",
        ),
        synonyms={
            "powiedział": ("stwierdził", "dodał", "podkreślił"), "około": ("blisko",), "jednak": ("jednakże",),
            "także": ("również",), "również": ("także",), "ponad": ("przeszło",), "obecnie": ("teraz",),
            "teraz": ("obecnie",), "bardzo": ("niezwykle",), "dlatego": ("z tego powodu",),
        },
        quotes=("„", "”"),
        first=("Piotr", "Anna", "Tomasz", "Katarzyna", "Marcin", "Agnieszka", "Paweł", "Magdalena"),
        last=("Nowak", "Wiśniewski", "Wójcik", "Kamińska", "Lewandowski", "Zielińska", "Szymański", "Dąbrowska"),
        outlet=("{b} {a}",
                ("Pomorski", "Śląski", "Mazowiecki", "Lubelski", "Podhalański", "Bałtycki", "Wielkopolski",
                 "Podlaski", "Łódzki", "Kujawski"),
                ("Gazeta", "Kurier", "Dziennik", "Głos", "Echo", "Tygodnik", "Nowiny", "Express")),
        tlds=("pl",),
        zones=("Europe/Warsaw",),
        sections=("wiadomosci", "kraj", "swiat", "sport", "biznes", "region"),
    ),
    "it": Lang(
        agencies=("ANSA",),
        cities=("Roma", "Milano", "Napoli", "Torino", "Firenze", "Bologna", "Palermo", "Genova"),
        months=("GEN", "FEB", "MAR", "APR", "MAG", "GIU", "LUG", "AGO", "SET", "OTT", "NOV", "DIC"),
        read_more=("Leggi anche:", "Potrebbe interessarti:", "LEGGI ANCHE -"),
        related=("Articoli correlati", "I più letti", "Altre notizie"),
        caption=("Foto {agency}/{person}", "(Foto: {person}/{agency})"),
        update=("Aggiornamento ore {hh}.{mm}: ", "AGGIORNAMENTO - "),
        kickers=("Ultim'ora", "Diretta", "Esclusivo", "Video"),
        footer=(
            "Iscriviti alla newsletter di {site} per ricevere ogni mattina le notizie più importanti della "
            "giornata.",
            "Segui {site} su Facebook, X e Instagram per restare sempre aggiornato.",
            "Hai trovato un errore? Scrivi alla redazione: redazione@{domain}.",
            "© Riproduzione riservata {site} {year}. Tutti i diritti riservati.",
        ),
        synonyms={"detto": ("dichiarato",), "anche": ("inoltre",), "circa": ("quasi",), "però": ("tuttavia",),
                  "tuttavia": ("però",), "persone": ("cittadini",), "molto": ("assai",)},
        quotes=("«", "»"),
        first=("Marco", "Giulia", "Luca", "Francesca", "Andrea", "Chiara", "Matteo", "Sara"),
        last=("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
        outlet=("{b} {a}",
                ("del Nord", "di Sicilia", "del Veneto", "di Toscana", "della Sera", "dell'Adriatico", "di Puglia",
                 "delle Alpi"),
                ("Il Corriere", "La Gazzetta", "Il Giornale", "L'Eco", "La Voce", "Il Messaggero")),
        tlds=("it",),
        zones=("Europe/Rome",),
        sections=("cronaca", "politica", "economia", "sport", "esteri", "cultura"),
    ),
    "pt": Lang(
        agencies=("Lusa",),
        cities=("Lisboa", "Porto", "Coimbra", "Braga", "Faro", "Funchal", "São Paulo", "Rio de Janeiro"),
        months=("jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"),
        read_more=("Leia também:", "Veja também:", "LEIA MAIS:"),
        related=("Notícias relacionadas", "Mais lidas", "Veja também"),
        caption=("Foto: {agency}/{person}", "(Foto: {person}/{agency})"),
        update=("Atualização às {hh}h{mm}: ", "ATUALIZADO - "),
        kickers=("Última hora", "Em direto", "Exclusivo", "Vídeo"),
        footer=(
            "Subscreva a newsletter do {site} e receba todas as manhãs as principais notícias do dia no seu "
            "e-mail.",
            "Siga o {site} no Facebook, X e Instagram.",
            "Encontrou um erro? Escreva para redacao@{domain}.",
            "© {year} {site}. Todos os direitos reservados. É proibida a reprodução sem autorização.",
        ),
        synonyms={"disse": ("afirmou", "declarou"), "afirmou": ("disse",), "também": ("ainda",),
                  "cerca": ("perto",), "segundo": ("de acordo com",), "pessoas": ("cidadãos",),
                  "porém": ("contudo",), "contudo": ("porém",)},
        quotes=("“", "”"),
        first=("João", "Ana", "Pedro", "Inês", "Rui", "Marta", "Tiago", "Sofia"),
        last=("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins"),
        outlet=("{b} {a}",
                ("do Norte", "do Minho", "do Algarve", "da Beira", "do Alentejo", "de Lisboa", "do Centro",
                 "da Madeira"),
                ("Jornal", "Correio", "Diário", "Notícias", "A Voz", "O Eco")),
        tlds=("pt", "pt", "com.br"),
        zones=("Europe/Lisbon", "America/Sao_Paulo"),
        sections=("pais", "mundo", "economia", "desporto", "sociedade", "local"),
    ),
}
# Texts in other languages (a handful of pages: Russian, Arabic, Chinese, Japanese, Finnish, ...) are published
# by international outlets with English site chrome and no agency dateline.
OTHER = LANGS["en"]

DATELINES: dict[str, dict[str, str]] = {
    "dpa": {"de": "{City} (dpa) - ", "en": "{City} (dpa) - "},
    "AFP": {"fr": "{CITY} (AFP) - ", "en": "{CITY} (AFP) - ", "de": "{City} (AFP) - ",
            "es": "{City}, {d} {mon} (AFP) - ", "pt": "{City}, {d} {mon} (AFP) - "},
    "Reuters": {"en": "{CITY}, {Mon} {d} (Reuters) - ", "de": "{City} (Reuters) - ",
                "fr": "{CITY}, {d} {mon} (Reuters) - ", "es": "{CITY}, {d} {mon} (Reuters) - "},
    "AP": {"en": "{CITY} (AP) — "},
    "KNA": {"de": "{City} (KNA) "},
    "epd": {"de": "{City} (epd). "},
    "EFE": {"es": "{City}, {d} {mon} (EFE).- "},
    "Europa Press": {"es": "{CITY}, {d} (EUROPA PRESS) "},
    "PAP": {"pl": "{City} (PAP) - "},
    "ANSA": {"it": "(ANSA) - {CITY}, {d} {mon} - "},
    "Lusa": {"pt": "{City}, {d} {mon} (Lusa) - "},
    "SID": {"de": "{City} (SID) - "},
}
AGENCY_FOOTERS: dict[str, dict[str, str]] = {
    "AFP": {"fr": "© AFP {year}. Tous droits réservés.", "en": "© AFP {year}. All rights reserved.",
            "de": "© AFP {year}. Alle Rechte vorbehalten.", "es": "© AFP {year}. Todos los derechos reservados.",
            "pt": "© AFP {year}. Todos os direitos reservados."},
    "dpa": {"de": "© dpa-infocom, dpa:{code}/{k}", "en": "© dpa-infocom, dpa:{code}/{k}"},
    "Reuters": {
        "en": "(Reporting by {person}; Editing by {person2})",
        "de": "(Bericht von {person}, redigiert von {person2}. Bei Rückfragen wenden Sie sich bitte an unsere "
              "Redaktion unter berlin.newsroom@thomsonreuters.com (für Politik und Konjunktur) oder "
              "frankfurt.newsroom@thomsonreuters.com (für Unternehmen und Märkte).)",
        "fr": "(Reportage {person}, version française {person2})",
        "es": "(Información de {person}; editado en español por {person2})",
    },
    "AP": {"en": "Copyright {year} The Associated Press. All rights reserved. This material may not be published, "
                 "broadcast, rewritten or redistributed without permission."},
    "KNA": {"de": "© KNA. Alle Rechte vorbehalten."},
    "epd": {"de": "epd {ini} {ini2}"},
    "EFE": {"es": "EFE {ini}/{ini2}\n© EFE {year}. Está expresamente prohibida la redistribución y la redifusión de "
                  "todo o parte de los contenidos de los servicios de EFE, sin previo y expreso consentimiento de la "
                  "Agencia EFE S.A."},
    "Europa Press": {"es": "© {year} Europa Press. Está expresamente prohibida la redistribución y la redifusión de "
                           "este contenido sin su previo y expreso consentimiento."},
    "PAP": {"pl": "autor: {person}\n{ini}/ {ini2}/ (PAP)"},
    "ANSA": {"it": "RIPRODUZIONE RISERVATA © Copyright ANSA"},
    "Lusa": {"pt": "{ini} // {ini2}\nLusa/Fim"},
}
AGENCY_SITES = {
    "dpa": "dpa.com", "AFP": "afp.com", "Reuters": "reuters.com", "AP": "apnews.com", "KNA": "kna.de",
    "epd": "epd.de", "EFE": "efe.com", "Europa Press": "europapress.es", "PAP": "pap.pl", "ANSA": "ansa.it",
    "Lusa": "lusa.pt", "SID": "sid.de",
}


def lang_of(code: str) -> Lang:
    """The resources of a language (English chrome for the languages without their own)."""
    return LANGS.get(code, OTHER)


# ---------------------------------------------------------------------------------------------------------------
# Text helpers

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_WORD = re.compile(r"\w+")
_LETTERS = re.compile(r"[^\W\d_]+")
_UPPER = "A-ZÀ-ÖØ-ÞĄĆĘŁŃŚŹŻŠŽČŘ"
_SENTENCE_END = re.compile(
    rf"(?:(?<=[.!?…])|(?<=[.!?…][\"'»“”)]))\s+(?=[\"'«„“(]?[{_UPPER}0-9])|(?<=[。！？])"
)
_STOPWORDS = {
    "de": "der die und das ist nicht mit den von zu sich auf dem des für ein eine auch als wird werden bei nach im",
    "en": "the and of to in is that for with was on as are be this by from have it at",
    "fr": "le la les des et est une dans que pour qui sur pas par au du avec ce sont",
    "es": "el la los las de que y en un una por con para es del se su al lo como",
    "pl": "i w na nie się z do że to jest jak o po przez od są dla ale",
    "it": "il la di che e un una per non con sono del della gli le è anche",
    "pt": "o a os as de que e um uma para com não é do da dos em no na",
    "nl": "de het een van en is dat op te in zijn niet met voor ook aan",
}
_STOPSETS = {lang: frozenset(words.split()) for lang, words in _STOPWORDS.items()}


def word_count(text: str) -> int:
    """Words of a text; in Chinese, Japanese and Korean 1.8 characters count as one word (as dedupe.words does)."""
    cjk = len(_CJK.findall(text))
    return len(_CJK.sub(" ", text).split()) + round(cjk / 1.8)


def sentences(text: str) -> list[str]:
    """Split a paragraph into sentences (a capital or a digit after the end mark starts the next one)."""
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def detect_language(text: str, declared: str | None) -> str:
    """The language of a text: by script, else by the share of common function words, else as declared."""
    sample = text[:20_000]
    cjk = _CJK.findall(sample)
    if len(cjk) > 100:
        kana = sum(1 for c in cjk if "\u3040" <= c <= "\u30ff")
        hangul = sum(1 for c in cjk if c >= "\uac00")
        return "ja" if kana > len(cjk) / 10 else "ko" if hangul > len(cjk) / 2 else "zh"
    letters = _LETTERS.findall(sample)
    if sum(1 for w in letters if "\u0400" <= w[0] <= "\u04ff") > len(letters) / 2:
        return declared if declared in {"ru", "uk", "bg", "sr", "mk", "be"} else "ru"
    if sum(1 for w in letters if "\u0600" <= w[0] <= "\u06ff") > len(letters) / 2:
        return "ar"
    words = [w.lower() for w in letters]
    scores = {lang: sum(1 for w in words if w in stop) / max(1, len(words)) for lang, stop in _STOPSETS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    if scores[best] >= 0.12:
        return best
    return declared or "und"


def body_paragraphs(text: str) -> list[str]:
    """The prose lines of an extracted text (headings, menus and short list items dropped), long ones cut."""
    out: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        n = word_count(line)
        if n >= 12 or (n >= 5 and line[-1] in ".!?…。！？\"“”»)"):
            out.extend(_cut_long(line))
    return out


def _cut_long(paragraph: str, limit: int = 120) -> list[str]:
    """A paragraph of more than `limit` words as paragraphs of whole sentences of about 40-90 words."""
    if word_count(paragraph) <= limit:
        return [paragraph]
    out: list[str] = []
    current: list[str] = []
    for sentence in sentences(paragraph):
        current.append(sentence)
        if word_count(" ".join(current)) >= 60:
            out.append(" ".join(current))
            current = []
    if current:
        if out and word_count(" ".join(current)) < 25:
            out[-1] += " " + " ".join(current)
        else:
            out.append(" ".join(current))
    return out


def clean_title(title: str, fallback: str) -> str:
    """A page title without the site name after a separator; the lead's first words when there is none."""
    parts = [p.strip() for p in re.split(r"\s+[|–—-]\s+|\s+::\s+|\s+»\s+", title or "") if p.strip()]
    good = [p for p in parts if word_count(p) >= 3]
    if good:
        return good[0]
    if parts:
        return parts[0]
    words = fallback.split()[:10]
    return " ".join(words).rstrip(".,;:")


def slug(text: str, words: int = 8) -> str:
    """An ASCII URL slug of a headline's first words."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text)[:words]) or "article"


# ---------------------------------------------------------------------------------------------------------------
# Sources: the seed article and the trafilatura evaluation pages


def seed_source(path: Path) -> Source | None:
    """The seed article's headline and body paragraphs (site chrome, caption and the repeated teaser dropped)."""
    if not path.is_file():
        return None
    blocks = [" ".join(b.split()) for b in re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))]
    body = [b for b in blocks if word_count(b) >= 20 and not b.endswith(("...", "…"))]
    short = [b for b in blocks if 4 <= word_count(b) < 20 and "/" not in b]
    title = short[0] if short else clean_title("", " ".join(body))
    return Source("seed-article.txt", detect_language(" ".join(body), "fr"), title, tuple(body)) if body else None


def extract_pages(html_dir: Path, cache_dir: Path) -> dict[str, dict[str, str | None]]:
    """Raw `trafilatura.extract` text, page title and declared language of each page, cached as JSON."""
    import trafilatura

    cache = cache_dir / f"trafilatura-eval-{trafilatura.__version__}.json"
    if cache.is_file():
        cached: dict[str, dict[str, str | None]] = json.loads(cache.read_text(encoding="utf-8"))
        return cached
    pages: dict[str, dict[str, str | None]] = {}
    for path in sorted(html_dir.glob("*.html.gz")):
        raw = gzip.decompress(path.read_bytes())
        meta = trafilatura.extract_metadata(raw)
        declared = re.search(rb"<html[^>]*\blang=[\"']?([A-Za-z]{2})", raw[:20_000])
        pages[path.name] = {
            "text": trafilatura.extract(raw),
            "title": meta.title if meta is not None else None,
            "lang": declared.group(1).decode().lower() if declared else None,
        }
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(pages, ensure_ascii=False), encoding="utf-8")
    return pages


def sources_from_pages(pages: dict[str, dict[str, str | None]]) -> list[Source]:
    """Pages with at least MIN_WORDS words as sources (paragraphs shared by two pages are site text: dropped)."""
    bodies: list[tuple[str, dict[str, str | None], list[str]]] = []
    for name, page in sorted(pages.items()):
        text = page.get("text") or ""
        if word_count(text) >= MIN_WORDS:
            bodies.append((name, page, list(dict.fromkeys(body_paragraphs(text)))))
    seen = Counter(p for _, _, body in bodies for p in body)
    out: list[Source] = []
    for name, page, body in bodies:
        kept = [p for p in body if seen[p] == 1 or word_count(p) < 6]
        if word_count(" ".join(kept)) < 100:
            continue
        lang = detect_language(" ".join(kept), page.get("lang"))
        out.append(Source(name, lang, clean_title(page.get("title") or "", kept[0]), tuple(kept)))
    return drop_near_duplicates(out)


def drop_near_duplicates(sources: Sequence[Source], share: float = 0.3) -> list[Source]:
    """Keep a source only when at most `share` of its word 5-grams occur in one source kept before it."""
    owner: dict[str, int] = {}
    kept: list[Source] = []
    for source in sources:
        words = " ".join(source.paragraphs).lower().split()
        grams = list(dict.fromkeys(" ".join(words[i : i + 5]) for i in range(max(1, len(words) - 4))))
        hits = Counter(owner[g] for g in grams if g in owner)
        if hits and hits.most_common(1)[0][1] > share * len(grams):
            continue
        for gram in grams:
            owner.setdefault(gram, len(kept))
        kept.append(source)
    return kept


def load_sources(data: Path = DATA, cache_dir: Path = CACHE, seed_article: Path = SEED_ARTICLE) -> list[Source] | None:
    """The seed article and the trafilatura evaluation pages as sources, or None when the data is absent."""
    html_dir = data / "trafilatura-eval" / "html"
    if not html_dir.is_dir():
        return None
    sources = sources_from_pages(extract_pages(html_dir, cache_dir))
    seed = seed_source(seed_article)
    return [seed, *sources] if seed is not None else sources


# ---------------------------------------------------------------------------------------------------------------
# Derived texts: one language's vocabulary re-drawn, story by story


class Lexicon:
    """The words of one language's sources: the function words kept as they are, the rest pooled by shape."""

    def __init__(self, sources: Sequence[Source]) -> None:
        """Count document frequencies and pool the other words by capitalisation and length."""
        df: Counter[str] = Counter()
        for source in sources:
            df.update(list(dict.fromkeys(w.lower() for w in _LETTERS.findall(" ".join(source.paragraphs)))))
        floor = max(2, len(sources) // 5)
        ranked = sorted((w for w, n in df.items() if n >= floor), key=lambda w: (-df[w], w))
        self.keep = frozenset(ranked[:100])
        self.pools: dict[tuple[bool, int], list[str]] = {}
        for source in sources:
            for word in _LETTERS.findall(" ".join(source.paragraphs)):
                if word.lower() not in self.keep and not word.isupper():
                    self.pools.setdefault(_shape(word), []).append(word)

    def draw(self, word: str, rng: Random) -> str:
        """A word of the same shape (capitalised or not, about as long) drawn by frequency."""
        pool = self.pools.get(_shape(word)) or self.pools.get((word[:1].isupper(), 1)) or [word]
        new = rng.choice(pool)
        if word.isupper() and len(word) > 1:
            return new.upper()
        return new


def _shape(word: str) -> tuple[bool, int]:
    """Capitalised or not, and a length class (1-4, 5-8, 9+ letters)."""
    return word[:1].isupper(), 0 if len(word) <= 4 else 1 if len(word) <= 8 else 2


class Rewriter:
    """One story's mapping of content words and numbers to new ones, applied the same way throughout."""

    def __init__(self, rng: Random, lexicon: Lexicon | None, share: float = 0.95) -> None:
        """`share` of the content words are re-drawn (0: only the preset mapping applies)."""
        self.rng = rng
        self.lexicon = lexicon
        self.share = share
        self.map: dict[str, str] = {}

    def word(self, word: str) -> str:
        """The story's word for `word`."""
        if word in self.map:
            return self.map[word]
        if any(c.isdigit() for c in word):
            new = self._number(word) if self.share else word
        elif self.lexicon is None or word.lower() in self.lexicon.keep or self.rng.random() >= self.share:
            new = word
        else:
            new = self.lexicon.draw(word, self.rng)
        self.map[word] = new
        return new

    def _number(self, word: str) -> str:
        """Other digits in the same places; years stay years."""
        if re.fullmatch(r"(19|20)\d\d", word):
            return f"20{self.rng.randrange(27):02d}"
        out = []
        for i, c in enumerate(word):
            if c.isdigit():
                low = 1 if i == 0 and c != "0" else 0
                out.append(str(self.rng.randint(low, 9)))
            else:
                out.append(c)
        return "".join(out)

    def text(self, text: str) -> str:
        """Rewrite every word of a text."""
        return _WORD.sub(lambda m: self.word(m.group()), text)

    def paragraph(self, paragraph: str) -> str:
        """Rewrite a paragraph so that none of its sentences of 8+ words stays as it was."""
        out = []
        for sentence in sentences(paragraph):
            new = self.text(sentence)
            letters = _LETTERS.findall(sentence)
            if new == sentence and self.lexicon is not None and self.share and len(sentence.split()) >= 8 and letters:
                longest = max(letters, key=len)
                new = re.sub(rf"\b{re.escape(longest)}\b", self.lexicon.draw(longest, self.rng), sentence, count=1)
            out.append(new)
        return " ".join(out)


def names_of(paragraphs: Iterable[str], keep: frozenset[str] = frozenset()) -> list[str]:
    """Capitalised words that do not start a sentence (names, and in German nouns too), most frequent first."""
    counts: Counter[str] = Counter()
    for paragraph in paragraphs:
        for sentence in sentences(paragraph):
            for word in _LETTERS.findall(sentence)[1:]:
                if len(word) >= 3 and word[0].isupper() and word.lower() not in keep:
                    counts[word] += 1
    return [w for w, _ in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]


def numbers_of(paragraphs: Iterable[str]) -> list[str]:
    """The numbers of a text in order of appearance, once each."""
    return list(dict.fromkeys(n for p in paragraphs for n in re.findall(r"\d+", p)))


# ---------------------------------------------------------------------------------------------------------------
# Edits an editor makes (pure functions of a random generator and text)

_ROWS = ("qwertzuiop", "asdfghjkl", "yxcvbnm", "qwertyuiop", "zxcvbnm")


def misspell(word: str, rng: Random) -> str:
    """One typing slip inside a word of 4+ letters: two letters swapped, one dropped, doubled or mistyped."""
    for _ in range(10):
        i = rng.randrange(1, len(word) - 1)
        op = rng.choice(("swap", "drop", "double", "wrong"))
        if op == "swap":
            new = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        elif op == "drop":
            new = word[:i] + word[i + 1 :]
        elif op == "double":
            new = word[:i] + word[i] + word[i:]
        else:
            new = word[:i] + _neighbour(word[i], rng) + word[i + 1 :]
        if new != word:
            return new
    return word[:-1]


def _neighbour(char: str, rng: Random) -> str:
    """A key next to `char` on a QWERTZ/QWERTY keyboard (a random letter for other characters)."""
    low = char.lower()
    options = [row[j + d] for row in _ROWS for j, c in enumerate(row) if c == low for d in (-1, 1)
               if 0 <= j + d < len(row)]
    new = rng.choice(options) if options else rng.choice("etaoinsrhl")
    return new.upper() if char.isupper() else new


def add_typos(paragraphs: Sequence[str], rng: Random, share: float) -> tuple[list[str], dict[str, str]]:
    """Misspell `share` of the words (at least one) at random places; return the text and typo -> word."""
    words = [(i, m) for i, p in enumerate(paragraphs) for m in _LETTERS.finditer(p)]
    candidates = [(i, m) for i, m in words if len(m.group()) >= 4]
    count = min(len(candidates), max(1, round(share * len(words))))
    picked = sorted(rng.sample(candidates, count), key=lambda x: (x[0], -x[1].start()))
    out = list(paragraphs)
    fixes: dict[str, str] = {}
    for i, match in picked:  # right to left within a paragraph, so earlier offsets stay valid
        new = misspell(match.group(), rng)
        fixes[new] = match.group()
        out[i] = out[i][: match.start()] + new + out[i][match.end() :]
    return out, fixes


def fix_typos(paragraphs: Sequence[str], fixes: dict[str, str]) -> list[str]:
    """Correct the words an earlier typist got wrong."""
    if not fixes:
        return list(paragraphs)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(t) for t in sorted(fixes, key=len, reverse=True)) + r")\b")
    return [pattern.sub(lambda m: fixes[m.group()], p) for p in paragraphs]


def near_word(word: str) -> str:
    """The word with another ending, as an editor's grammar fix makes it."""
    if word.endswith("en"):
        return word[:-1]
    if word.endswith("s"):
        return word[:-1]
    if word.endswith("e"):
        return word + "n"
    return word + "s" if word[-1] in "aeiouo" else word + "e"


def substitute_words(paragraphs: Sequence[str], rng: Random, count: int, lang: Lang,
                     keep: frozenset[str]) -> list[str]:
    """Replace `count` ordinary words: by a synonym where the language has one, else by a near word."""
    spots = [(i, m) for i, p in enumerate(paragraphs) for m in _LETTERS.finditer(p)]
    synonym = [(i, m) for i, m in spots if m.group() in lang.synonyms]
    plain = [(i, m) for i, m in spots if m.group().islower() and len(m.group()) >= 5 and m.group() not in keep]
    chosen = rng.sample(synonym, min(count, len(synonym)))
    taken = {(i, m.start()) for i, m in chosen}
    rest = [x for x in plain if (x[0], x[1].start()) not in taken]
    chosen += rng.sample(rest, min(count - len(chosen), len(rest)))
    out = list(paragraphs)
    for i, match in sorted(chosen, key=lambda x: (x[0], -x[1].start())):
        word = match.group()
        new = rng.choice(lang.synonyms[word]) if word in lang.synonyms else near_word(word)
        out[i] = out[i][: match.start()] + new + out[i][match.end() :]
    return out


_NAME_RULES: tuple[tuple[str, str], ...] = (
    (r"tz", "z"), (r"(?<=[aeiou])z", "tz"), (r"ph", "f"), (r"ck", "k"), (r"y", "i"), (r"([bdfglmnprst])\1", r"\1"),
    (r"(?<=[aeiou])([lmnrst])(?=[aeiou])", r"\1\1"), (r"ä", "ae"), (r"ö", "oe"), (r"ü", "ue"), (r"ß", "ss"),
    (r"é", "e"), (r"á", "a"), (r"ó", "o"), (r"í", "i"), (r"ñ", "n"), (r"ł", "l"), (r"ś", "s"), (r"ć", "c"),
    (r"sch", "sh"), (r"ei", "ie"), (r"th", "t"), (r"ks", "x"), (r"c(?=[aou])", "k"),
)


def name_variant(name: str, rng: Random) -> str:
    """Another spelling of a name ("Schultz" -> "Schulz", "García" -> "Garcia"), first letter kept."""
    rules = list(_NAME_RULES)
    rng.shuffle(rules)
    for pattern, replacement in rules:
        matches = list(re.finditer(pattern, name[1:]))
        if matches:
            m = rng.choice(matches)
            tail = name[1:][: m.start()] + m.expand(replacement) + name[1:][m.end() :]
            if tail != name[1:]:
                return name[0] + tail
    return misspell(name, rng)


def misspell_name(paragraphs: Sequence[str], rng: Random, names: Sequence[str]) -> list[str]:
    """Spell one of the story's names another way, everywhere or at one place."""
    present = [n for n in names[:8] if len(n) >= 4 and not n.isupper() and any(n in p for p in paragraphs)]
    if not present:
        return list(paragraphs)
    name = rng.choice(present)
    new = name_variant(name, rng)
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    if rng.random() < 0.6:
        return [pattern.sub(new, p) for p in paragraphs]
    spots = [(i, m) for i, p in enumerate(paragraphs) for m in pattern.finditer(p)]
    if not spots:
        return list(paragraphs)
    i, m = rng.choice(spots)
    out = list(paragraphs)
    out[i] = out[i][: m.start()] + new + out[i][m.end() :]
    return out


def swap_paragraphs(paragraphs: Sequence[str], rng: Random) -> list[str]:
    """Two middle paragraphs (neither the first nor the last) change places."""
    out = list(paragraphs)
    if len(out) < 4:
        return out
    i, j = sorted(rng.sample(range(1, len(out) - 1), 2))
    out[i], out[j] = out[j], out[i]
    return out


def merge_paragraphs(paragraphs: Sequence[str], rng: Random) -> list[str]:
    """Two adjacent paragraphs joined into one."""
    out = list(paragraphs)
    if len(out) < 2:
        return out
    i = rng.randrange(len(out) - 1)
    return [*out[:i], out[i] + " " + out[i + 1], *out[i + 2 :]]


def trim(paragraphs: Sequence[str], rng: Random) -> list[str]:
    """The last paragraphs cut (35-90 % kept); a one-paragraph text loses its last sentences."""
    if len(paragraphs) >= 2:
        keep = min(len(paragraphs) - 1, max(1, round(len(paragraphs) * rng.uniform(0.35, 0.9))))
        return list(paragraphs[:keep])
    parts = sentences(paragraphs[0]) if paragraphs else []
    if len(parts) < 2:
        return list(paragraphs)
    keep = min(len(parts) - 1, max(1, round(len(parts) * rng.uniform(0.5, 0.85))))
    return [" ".join(parts[:keep])]


def teaser(paragraphs: Sequence[str], rng: Random) -> str:
    """The first paragraphs glued together and cut after 25-60 words, ending with an ellipsis."""
    words = " ".join(paragraphs[:2]).split()
    cut = min(len(words), rng.randint(25, 60))
    return " ".join(words[:cut]).rstrip(",;:") + rng.choice(("...", " ...", "…", " […]"))


def retype(text: str, lang: Lang, to_curly: bool, dashes: bool, ellipsis: bool) -> str:
    """A content system's typography: straight quotes curled (or curly ones straightened), dashes, ellipses."""
    if to_curly:
        opening, closing = lang.quotes
        text = re.sub(r'"([^"\n]{1,400}?)"', lambda m: opening + m.group(1) + closing, text)
        text = re.sub(r"(?<=\w)'(?=\w)", "’", text)
    else:
        text = re.sub(r"«[\u00a0\u202f ]?|[\u00a0\u202f ]?»|[„“”‟]", '"', text)
        text = text.replace("’", "'").replace("‘", "'")
    if dashes:
        text = text.replace(" - ", " – ") if " - " in text else text.replace(" – ", " - ").replace(" — ", " - ")
    if ellipsis:
        text = text.replace("...", "…") if "..." in text else text.replace("…", "...")
    return text


# ---------------------------------------------------------------------------------------------------------------
# Template stories: same wording, other names and numbers (our own families, none shared with corpus 1)

WEEKDAYS = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
             "noviembre", "diciembre")
HANDBALL = ("THW Kiel", "SG Flensburg-Handewitt", "Füchse Berlin", "SC Magdeburg", "Rhein-Neckar Löwen",
            "MT Melsungen", "TSV Hannover-Burgdorf", "HSG Wetzlar", "Frisch Auf Göppingen", "TBV Lemgo Lippe",
            "HC Erlangen", "Bergischer HC", "VfL Gummersbach", "ThSV Eisenach", "HSV Hamburg", "SC DHfK Leipzig")
HALLS = ("Wunderino Arena", "Max-Schmeling-Halle", "GETEC Arena", "SAP Arena", "Rothenbach-Halle",
         "Buderus Arena", "Phoenix Contact Arena", "Schwalbe Arena", "Sporthalle Hamburg", "Werner-Aßmann-Halle")
QUAKES = (("Hualien", "Taiwan"), ("Iwate", "Japan"), ("Sumbawa", "Indonesia"), ("Valparaiso", "Chile"),
          ("Oaxaca", "Mexico"), ("Kermadec Islands", "New Zealand"), ("Crete", "Greece"), ("Malatya", "Turkey"),
          ("Mindanao", "the Philippines"), ("Arequipa", "Peru"), ("Tonga", "the South Pacific"),
          ("Papua", "Indonesia"), ("Hokkaido", "Japan"), ("Guerrero", "Mexico"), ("Luzon", "the Philippines"))
COMPANIES = ("Norland Foods", "Brightwater Holdings", "Castell Systems", "Meridian Rail", "Aldmore Pharma",
             "Kestrel Energy", "Oakfield Retail", "Tamsin Logistics", "Vantor Semiconductors", "Halden Insurance",
             "Pellam Motors", "Quarry Lane Media", "Ostrava Mining", "Larchmont Bancorp", "Sutter Chemicals")
COMMUNES = (("Saint-Amand-les-Eaux", "Nord"), ("Villeneuve-sur-Lot", "Lot-et-Garonne"), ("Pontivy", "Morbihan"),
            ("Montbrison", "Loire"), ("Lunéville", "Meurthe-et-Moselle"), ("Issoire", "Puy-de-Dôme"),
            ("Dax", "Landes"), ("Vierzon", "Cher"), ("Sarlat-la-Canéda", "Dordogne"), ("Chinon", "Indre-et-Loire"),
            ("Millau", "Aveyron"), ("Bernay", "Eure"), ("Ancenis", "Loire-Atlantique"), ("Oloron-Sainte-Marie",
            "Pyrénées-Atlantiques"))
MUNICIPIOS = (("Lorca", "Murcia"), ("Torrevieja", "Alicante"), ("Arenas del Rey", "Granada"), ("Adra", "Almería"),
              ("Ossa de Montiel", "Albacete"), ("Vélez-Málaga", "Málaga"), ("Santa Fe", "Granada"),
              ("Alhucemas", "Mar de Alborán"), ("Tacoronte", "Santa Cruz de Tenerife"), ("Atarfe", "Granada"),
              ("Jumilla", "Murcia"), ("Cuevas del Almanzora", "Almería"))


def _person(rng: Random, lang: Lang) -> str:
    """A first and last name of the language."""
    return f"{rng.choice(lang.first)} {rng.choice(lang.last)}"


def lotto_de(rng: Random, when: datetime) -> tuple[str, list[str]]:
    """German lottery numbers of a draw."""
    day = WEEKDAYS["de"][when.weekday()]
    date = f"{when.day}.{when.month}.{when.year}"
    nums = ", ".join(str(n) for n in sorted(rng.sample(range(1, 50), 6))).rsplit(", ", 1)
    jackpot = rng.randint(1, 45)
    title = rng.choice((f"Lottozahlen vom {day}, {date}: Das sind die Gewinnzahlen",
                        f"Lotto am {day}: Die aktuellen Gewinnzahlen vom {date}",
                        f"Lotto 6aus49 am {date}: Zahlen und Quoten"))
    body = [
        f"Die Lottozahlen der Ziehung vom {day}, {date}, stehen fest. Gezogen wurden die Zahlen {nums[0]} und "
        f"{nums[1]}. Die Superzahl ist die {rng.randrange(10)}.",
        f"Im Spiel 77 lautet die Gewinnzahl {rng.randrange(10**7):07d}, bei der Super 6 wurde die "
        f"{rng.randrange(10**6):06d} gezogen.",
        rng.choice((f"Im Jackpot der ersten Gewinnklasse lagen diesmal rund {jackpot} Millionen Euro.",
                    f"Der Jackpot war zuletzt auf {jackpot} Millionen Euro angewachsen, nachdem bei der vorigen "
                    "Ziehung niemand sechs Richtige mit Superzahl getippt hatte.")),
    ]
    if rng.random() < 0.5:
        land = rng.choice(("Bayern", "Nordrhein-Westfalen", "Niedersachsen", "Hessen", "Sachsen", "Berlin"))
        body.append(f"Zuletzt hatte ein Tipper aus {land} den Jackpot geknackt und {rng.randint(2, 40)},"
                    f"{rng.randint(1, 9)} Millionen Euro gewonnen.")
    body.append("Alle Angaben ohne Gewähr. Verbindlich sind allein die amtlichen Gewinnzahlen.")
    return title, body


def handball_de(rng: Random, when: datetime) -> tuple[str, list[str]]:
    """A German handball league result."""
    home, away, next_team = rng.sample(HANDBALL, 3)
    a, b = rng.randint(22, 38), rng.randint(22, 38)
    if a == b:
        a += 1
    ha, hb = rng.randint(9, a // 2 + 3), rng.randint(9, b // 2 + 3)
    won = a > b
    lang = LANGS["de"]
    winner, loser = (home, away) if won else (away, home)
    title = rng.choice((f"{winner} {'schlägt' if rng.random() < 0.5 else 'besiegt'} {loser}",
                        f"Handball-Bundesliga: {home} {a}:{b} gegen {away}",
                        f"{winner} gewinnt gegen {loser} mit {max(a, b)}:{min(a, b)}"))
    body = [
        f"{home} hat am {rng.randint(3, 32)}. Spieltag der Handball-Bundesliga gegen {away} mit {a}:{b} "
        f"({ha}:{hb}) {'gewonnen' if won else 'verloren'}.",
        f"Vor {rng.randint(2500, 13000)} Zuschauern in der {rng.choice(HALLS)} war {_person(rng, lang)} mit "
        f"{rng.randint(5, 12)} Toren bester Werfer der Gastgeber. Für die Gäste traf {_person(rng, lang)} "
        f"{rng.randint(4, 11)} Mal.",
    ]
    if rng.random() < 0.7:
        points = rng.randint(4, 50)
        body.append(f"{winner} verbessert sich damit auf Platz {rng.randint(1, 18)} der Tabelle und hat nun "
                    f"{points}:{rng.randint(4, 50)} Punkte auf dem Konto.")
    if rng.random() < 0.6:
        quote = rng.choice(("Wir haben heute eine starke Abwehrleistung gezeigt.",
                            "Das war ein hartes Stück Arbeit, am Ende zählen die zwei Punkte.",
                            "In der ersten Halbzeit waren wir nicht wach genug.",
                            "Die Mannschaft hat nie aufgegeben, darauf bin ich stolz."))
        body.append(f"{_person(rng, lang)}, Trainer von {home}, sagte nach dem Spiel: „{quote}“")
    body.append(f"Am {WEEKDAYS['de'][rng.randrange(7)]} geht es für {home} mit dem Spiel gegen {next_team} weiter.")
    return title, body


def quake_en(rng: Random, when: datetime) -> tuple[str, list[str]]:
    """An English earthquake report."""
    region, country = rng.choice(QUAKES)
    magnitude = f"{rng.randint(45, 74) / 10:.1f}"
    centre = rng.choice(("U.S. Geological Survey (USGS)", "European-Mediterranean Seismological Centre (EMSC)",
                         "German Research Centre for Geosciences (GFZ)"))
    depth = rng.randint(5, 180)
    distance = rng.randint(8, 140)
    title = rng.choice((f"Magnitude {magnitude} earthquake strikes {region}, {country}",
                        f"Earthquake of magnitude {magnitude} hits {region} - {centre.split('(')[-1][:-1]}",
                        f"Quake of magnitude {magnitude} shakes {region}"))
    body = [
        f"An earthquake of magnitude {magnitude} struck {region}, {country}, on {WEEKDAYS['en'][when.weekday()]}, "
        f"the {centre} said.",
        f"The quake was at a depth of {depth} km ({round(depth * 0.621)} miles), and its epicentre was {distance} km "
        f"{rng.choice(('north', 'south', 'east', 'west', 'northeast', 'southwest'))} of the nearest town, the agency "
        "said.",
        rng.choice(("There were no immediate reports of damage or casualties.",
                    "Local media reported that buildings shook, but there were no immediate reports of damage.",
                    "Authorities said they were assessing the situation and had not issued a tsunami warning.")),
    ]
    if rng.random() < 0.5:
        body.append(f"{region} lies on the Pacific 'Ring of Fire', an arc of volcanoes and fault lines where "
                    "earthquakes are common.")
    return title, body


def earnings_en(rng: Random, when: datetime) -> tuple[str, list[str]]:
    """An English quarterly earnings report."""
    company = rng.choice(COMPANIES)
    quarter = rng.choice(("first", "second", "third", "fourth"))
    up = rng.random() < 0.55
    change = rng.randint(2, 48)
    net, before = rng.randint(40, 2400), rng.randint(40, 2400)
    eps, eps_before, eps_expected = rng.randint(8, 240), rng.randint(8, 240), rng.randint(8, 240)
    revenue = rng.randint(5, 290) / 10
    reason = rng.choice(("demand for its core products held up", "higher costs weighed on margins",
                         "sales in North America slowed", "a cost-cutting programme began to pay off"))
    title = f"{company} {quarter}-quarter profit {'rises' if up else 'falls'} {change}%"
    body = [
        f"{company} on {WEEKDAYS['en'][when.weekday()]} reported a {'rise' if up else 'fall'} in {quarter}-quarter "
        f"profit, as {reason}.",
        f"Net income {'rose' if up else 'fell'} to ${net} million, or {eps} cents per share, from ${before} million, "
        f"or {eps_before} cents per share, a year earlier.",
        f"Revenue {'increased' if rng.random() < 0.6 else 'declined'} {rng.randint(1, 30)}% to ${revenue:.1f} billion. "
        f"Analysts on average had expected earnings of {eps_expected} cents per share, according to LSEG data.",
    ]
    if rng.random() < 0.6:
        low = rng.randint(10, 900) / 10
        body.append(f"The company {rng.choice(('raised', 'reaffirmed', 'lowered'))} its full-year revenue forecast to "
                    f"between ${low:.1f} billion and ${low + rng.randint(5, 40) / 10:.1f} billion.")
    if rng.random() < 0.7:
        body.append(f"Shares of {company} were {'up' if up else 'down'} {rng.randint(1, 15)}% in extended trading.")
    return title, body


def accident_fr(rng: Random, when: datetime) -> tuple[str, list[str]]:
    """A French fatal road accident brief."""
    commune, dept = rng.choice(COMMUNES)
    victim, age = rng.choice((("homme", rng.randint(25, 84)), ("automobiliste", rng.randint(18, 84)),
                              ("motard", rng.randint(18, 70)), ("jeune conducteur", rng.randint(18, 24)),
                              ("septuagénaire", rng.randint(70, 79))))
    road = rng.choice((f"RD {rng.randint(2, 990)}", f"N{rng.randint(4, 165)}", f"route départementale "
                       f"{rng.randint(2, 990)}"))
    day = WEEKDAYS["fr"][when.weekday()]
    title = rng.choice((f"{commune} : un {victim} de {age} ans meurt dans un accident de la route",
                        f"Accident mortel sur la {road} à {commune}",
                        f"{dept} : un {victim} de {age} ans tué sur la {road}"))
    body = [
        f"Un {victim} de {age} ans a trouvé la mort {day} {rng.choice(('matin', 'soir', 'après-midi'))} dans un "
        f"accident de la route sur la {road}, à {commune} ({dept}), a-t-on appris auprès des pompiers.",
        "Pour une raison encore indéterminée, son véhicule a quitté la chaussée "
        + rng.choice(("avant de percuter un arbre.", "avant de finir sa course dans un fossé.", "et s'est retourné.")),
        f"Malgré l'intervention de {rng.randint(8, 30)} sapeurs-pompiers et d'une équipe du Smur, la victime est "
        "décédée sur place.",
    ]
    if rng.random() < 0.5:
        body.append(f"Son passager, âgé de {rng.randint(16, 80)} ans, a été transporté dans un état grave au centre "
                    "hospitalier le plus proche.")
    body.append(f"La gendarmerie a ouvert une enquête pour déterminer les circonstances de l'accident. La circulation "
                f"a été coupée pendant {rng.randint(2, 5)} heures.")
    return title, body


def _dotted(n: int) -> str:
    """A number with dots between thousands, as Spanish writes it."""
    return f"{n:,}".replace(",", ".")


def bonoloto_es(rng: Random, when: datetime) -> tuple[str, list[str]]:
    """A Spanish lottery draw result."""
    day = WEEKDAYS["es"][when.weekday()]
    date = f"{when.day} de {MONTHS_ES[when.month - 1]}"
    nums = ", ".join(str(n) for n in sorted(rng.sample(range(1, 50), 6))).rsplit(", ", 1)
    title = rng.choice((f"Bonoloto: comprobar resultados del sorteo del {day} {date}",
                        f"Resultado de la Bonoloto del {day}, {date}",
                        f"Bonoloto hoy: combinación ganadora del {date}"))
    body = [
        f"La combinación ganadora del sorteo de la Bonoloto celebrado este {day}, {date}, ha sido la formada por los "
        f"números {nums[0]} y {nums[1]}.",
        f"El número complementario es el {rng.randint(1, 49)} y el reintegro, el {rng.randrange(10)}.",
    ]
    if rng.random() < 0.7:
        body.append("Según la información facilitada por Loterías y Apuestas del Estado, no hay acertantes de primera "
                    f"categoría, por lo que el bote para el próximo sorteo asciende a "
                    f"{_dotted(rng.randint(5, 40) * 100_000)} euros.")
    else:
        body.append(f"Hay {rng.randint(1, 3)} acertantes de primera categoría, que cobrarán "
                    f"{_dotted(rng.randint(4, 90) * 10_000)} euros cada uno.")
    body.append(f"De segunda categoría hay {rng.randint(1, 12)} acertantes, que recibirán "
                f"{_dotted(rng.randint(20, 90) * 1000)} euros.")
    body.append("Los premios caducan a los tres meses, contados a partir del día siguiente a la fecha del sorteo.")
    return title, body


def sismo_es(rng: Random, when: datetime) -> tuple[str, list[str]]:
    """A Spanish earthquake brief of the national seismic network."""
    town, province = rng.choice(MUNICIPIOS)
    magnitude = f"{rng.randint(20, 52) / 10:.1f}".replace(".", ",")
    hour = f"{rng.randrange(24):02d}:{rng.randrange(60):02d}"
    title = rng.choice((f"Un terremoto de magnitud {magnitude} sacude {town} ({province})",
                        f"Registrado un terremoto de {magnitude} grados en {province}",
                        f"Un seísmo de magnitud {magnitude} se deja sentir en {town}"))
    body = [
        f"Un terremoto de magnitud {magnitude} se ha registrado este {WEEKDAYS['es'][when.weekday()]} a las {hour} "
        f"horas en {town} ({province}), según la Red Sísmica del Instituto Geográfico Nacional (IGN).",
        f"El seísmo, con epicentro a {rng.randint(2, 40)} kilómetros de profundidad, ha sido sentido por la población "
        f"de {rng.randint(2, 25)} localidades de la zona, con una intensidad máxima de "
        f"{rng.choice(('II', 'III', 'III-IV', 'IV'))}.",
        rng.choice(("Por el momento no se tiene constancia de daños personales ni materiales, según Emergencias.",
                    "El servicio de emergencias 112 ha recibido varias llamadas, aunque no constan daños.")),
    ]
    if rng.random() < 0.5:
        body.append(f"En las últimas {rng.choice((12, 24, 48))} horas el IGN ha registrado otros {rng.randint(2, 9)} "
                    "movimientos de menor intensidad en la misma zona.")
    return title, body


TEMPLATES: dict[str, tuple[str, tuple[str, ...], Callable[[Random, datetime], tuple[str, list[str]]]]] = {
    "lotto_de": ("de", ("dpa",), lotto_de),
    "handball_de": ("de", ("dpa", "SID"), handball_de),
    "quake_en": ("en", ("Reuters", "AP"), quake_en),
    "earnings_en": ("en", ("Reuters", "AP"), earnings_en),
    "accident_fr": ("fr", ("AFP",), accident_fr),
    "bonoloto_es": ("es", ("EFE", "Europa Press"), bonoloto_es),
    "sismo_es": ("es", ("EFE", "Europa Press"), sismo_es),
}


# ---------------------------------------------------------------------------------------------------------------
# Outlets, drafts and stories

OTHER_TLDS = {"zh": "cn", "ja": "jp", "ko": "kr", "ar": "ae", "ru": "ru", "fi": "fi", "no": "no", "hu": "hu"}
HOUR_WEIGHTS = (1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 10, 9, 9, 9, 9, 9, 8, 8, 7, 6, 5, 4, 2, 1)  # UTC, European day
# Probability of each edit on a copy, by the kind of story (the outlet's own site footer comes on top).
EDIT_ODDS: dict[str, dict[str, float]] = {
    "news": {"headline": 0.5, "dateline": 0.4, "typos": 0.2, "words": 0.25, "trimmed": 0.3, "boilerplate": 0.3,
             "teaser": 0.12, "typography": 0.3, "reordered": 0.08, "merged": 0.12, "update": 0.07, "footer": 0.25},
    "template": {"headline": 0.5, "dateline": 0.4, "typography": 0.3, "boilerplate": 0.25, "trimmed": 0.15,
                 "words": 0.1, "footer": 0.2},
    "rerun": {"headline": 0.5, "dateline": 0.4, "typography": 0.3, "trimmed": 0.2, "boilerplate": 0.3,
              "words": 0.15, "footer": 0.2},
    "brief": {"headline": 0.5, "typography": 0.3, "words": 0.2},
}
COPIES = {"news": (10, 12, 13, 13, 12, 11, 10, 10, 9), "template": (30, 30, 20, 12, 8), "brief": (80, 20)}


@dataclass(frozen=True, slots=True)
class Outlet:
    """A site that republishes agency copy in one language, with its own habits."""

    name: str
    domain: str
    lang: str
    footer: str | None  # the long block under everything it publishes, if it has one
    sep: str
    zone: str
    url_style: int


@dataclass(slots=True)
class Draft:
    """A text being edited: headline, dateline, body and the blocks a site puts around it."""

    title: str
    dateline: str
    paragraphs: list[str]
    top: list[str] = field(default_factory=list)
    bottom: list[str] = field(default_factory=list)
    footers: list[tuple[str, str]] = field(default_factory=list)  # (key, text)
    inserted: list[str] = field(default_factory=list)  # boilerplate lines put between paragraphs
    sep: str = "\n\n"

    def clone(self) -> Draft:
        """An independent copy."""
        return Draft(self.title, self.dateline, list(self.paragraphs), list(self.top), list(self.bottom),
                     list(self.footers), list(self.inserted), self.sep)

    def text(self) -> str:
        """The text as the site shows it."""
        body = list(self.paragraphs)
        if self.dateline and body:
            body[0] = self.dateline + body[0]
        return self.sep.join([*self.top, *body, *self.bottom, *(text for _, text in self.footers)])


@dataclass(slots=True)
class Story:
    """One story: its original and what copies are made of."""

    id: str
    lang: str
    agency: str
    kind: str
    when: datetime
    city: str
    clean: list[str]  # the body before the agency's own typos
    base: Draft
    names: list[str]
    fixes: dict[str, str]
    negative: str | None = None
    of: str | None = None
    family: str | None = None
    outlets: list[str] = field(default_factory=list)
    copies: list[tuple[Draft, Record, datetime, list[str]]] = field(default_factory=list)


def _pick(rng: Random, weights: Sequence[int]) -> int:
    """An index drawn with the given weights."""
    return rng.choices(range(len(weights)), weights=weights)[0]


class Generator:
    """Builds stories, copies and hard negatives, deterministically from the sources and a seed."""

    def __init__(self, sources: Sequence[Source], seed: int) -> None:
        """Group the sources by language, learn vocabularies, shuffle what is left to publish, make outlets."""
        self.rng = Random(seed)
        self.by_lang: dict[str, list[Source]] = {}
        for source in sources:
            self.by_lang.setdefault(source.lang, []).append(source)
        self.lexicons = {lang: Lexicon(group) for lang, group in self.by_lang.items()
                         if len(group) >= MIN_LEXICON and lang in LANGS}
        self.queues: dict[str, list[Source]] = {}
        for lang, group in self.by_lang.items():
            queue = list(group)
            self.rng.shuffle(queue)
            queue.sort(key=lambda s: s.name != "seed-article.txt")  # the seed article goes out first
            self.queues[lang] = queue[::-1]  # popped from the end
        self.outlets = {lang: self._outlets(lang, min(60, max(12, len(group) // 8)))
                        for lang, group in sorted(self.by_lang.items())}
        self.stories: list[Story] = []
        self.records: list[Record] = []
        self.ids: set[str] = set()
        self.period = timedelta(days=21)

    def _outlets(self, code: str, count: int) -> list[Outlet]:
        """`count` outlets of a language; about a third put one long footer under everything."""
        lang = lang_of(code)
        fmt, firsts, seconds = lang.outlet
        combos = [(a, b) for a in firsts for b in seconds]
        self.rng.shuffle(combos)
        out: list[Outlet] = []
        for a, b in combos[:count]:
            name = fmt.format(a=a, b=b)
            tld = self.rng.choice(lang.tlds) if code in LANGS else OTHER_TLDS.get(code, "net")
            domain = f"{slug(name, 6).replace('-', '')}.{tld}"
            footer = self._site_footer(lang, name, domain) if self.rng.random() < 0.35 or len(out) < 2 else None
            sep = "\n\n" if self.rng.random() < 0.6 else "\n"
            out.append(Outlet(name, domain, code, footer, sep, self.rng.choice(lang.zones), self.rng.randrange(3)))
        return out

    def _site_footer(self, lang: Lang, site: str, domain: str) -> str:
        """A site's footer block of 20-60 words, from its language's usual sentences."""
        lines = list(lang.footer)
        self.rng.shuffle(lines)
        target = self.rng.randint(20, 60)
        chosen: list[str] = []
        for line in lines:
            chosen.append(line.format(site=site, domain=domain, year=2026))
            if word_count(" ".join(chosen)) >= target:
                break
        return self.rng.choice((" ", "\n")).join(chosen)

    # ---- time and names

    def _moment(self) -> datetime:
        """A publication time in the period, by the hour of day, fewer at weekends."""
        while True:
            when = START + self.period * self.rng.random()
            weight = HOUR_WEIGHTS[when.hour] / 10 * (0.6 if when.weekday() >= 5 else 1.0)
            if self.rng.random() < weight:
                return when.replace(microsecond=0)

    def _delay(self) -> timedelta:
        """How long after its source a copy appears: minutes to two days, typically an hour or two."""
        minutes = min(2880.0, max(3.0, 90 * 2.718281828 ** self.rng.gauss(0, 1.1)))
        return timedelta(minutes=round(minutes))

    def _doc_id(self) -> str:
        """A new random document id (ids say nothing about stories or order)."""
        while True:
            doc_id = f"w{self.rng.getrandbits(44):011x}"
            if doc_id not in self.ids:
                self.ids.add(doc_id)
                return doc_id

    def _dateline(self, agency: str, code: str, city: str, when: datetime) -> str:
        """The agency's dateline in this language ('' where it writes none)."""
        fmt = DATELINES.get(agency, {}).get(code)
        if fmt is None:
            return ""
        month = lang_of(code).months[when.month - 1]
        return fmt.format(City=city, CITY=city.upper(), d=when.day, mon=month, Mon=month, MON=month.upper())

    # ---- base texts

    def _pick_lang(self) -> str:
        """A language, as often as the sources have it; one that can still give a story."""
        langs = sorted(self.by_lang)
        while True:
            lang = self.rng.choices(langs, weights=[len(self.by_lang[x]) for x in langs])[0]
            if self.queues[lang] or lang in self.lexicons:
                return lang
            if not any(self.queues.values()) and not self.lexicons:
                raise ValueError("the sources are used up and no language has enough of them to derive stories")

    def _length(self) -> int:
        """How many words an agency story runs to (150-1200, typically 500)."""
        return int(min(1200, max(150, 500 * 2.718281828 ** self.rng.gauss(0, 0.45))))

    def _cut(self, paragraphs: Sequence[str], words: int) -> list[str]:
        """The first paragraphs up to about `words` words (at least one paragraph)."""
        out: list[str] = []
        for paragraph in paragraphs:
            out.append(paragraph)
            if word_count(" ".join(out)) >= words:
                break
        return out

    def base_text(self, lang: str) -> tuple[str, list[str]]:
        """The next real text of a language, or, once they are used up, a derived one."""
        if self.queues[lang]:
            source = self.queues[lang].pop()
            return source.title, self._cut(source.paragraphs, self._length())
        return self.derived_text(lang)

    def derived_text(self, lang: str) -> tuple[str, list[str]]:
        """Paragraph runs of two or three texts of the language with their content words re-drawn."""
        pool = self.by_lang[lang]
        target = self._length()
        picked = self.rng.sample(pool, min(len(pool), self.rng.choice((2, 2, 3))))
        paragraphs: list[str] = []
        for i, source in enumerate(picked * 2):
            n = len(source.paragraphs)
            take = self.rng.randint(1, min(4, n))
            start = 0 if i == 0 and self.rng.random() < 0.5 else self.rng.randrange(n - take + 1)
            paragraphs += source.paragraphs[start : start + take]
            if i + 1 >= len(picked) and word_count(" ".join(paragraphs)) >= min(target, 150):
                break
        rewriter = Rewriter(self.rng, self.lexicons[lang])
        body = [rewriter.paragraph(p) for p in dict.fromkeys(self._cut(paragraphs, target))]
        return rewriter.text(picked[0].title), body

    def fresh_text(self, lang: str, words: int, names: Sequence[str]) -> tuple[str, list[str]]:
        """New text of about `words` words in the language that speaks of the given names."""
        pool = self.by_lang[lang]
        lexicon = self.lexicons[lang]
        paragraphs: list[str] = []
        picked = self.rng.sample(pool, min(len(pool), 3))
        for source in picked:
            start = self.rng.randrange(len(source.paragraphs))
            paragraphs += source.paragraphs[start : start + 3]
            if word_count(" ".join(paragraphs)) >= words:
                break
        rewriter = Rewriter(self.rng, lexicon)
        for new, old in zip(names_of(paragraphs, lexicon.keep)[:4], names[:4], strict=False):
            rewriter.map[new] = old
        out: list[str] = []
        for paragraph in paragraphs:
            kept: list[str] = []
            for sentence in sentences(paragraph):
                kept.append(sentence)
                if word_count(" ".join([*out, *kept])) >= words:
                    break
            out.append(rewriter.paragraph(" ".join(kept)))
            if word_count(" ".join(out)) >= words:
                break
        return rewriter.text(picked[0].title), out

    # ---- stories

    def new_story(self, lang: str, title: str, paragraphs: list[str], kind: str, when: datetime, *,
                  agency: str | None = None, city: str | None = None) -> Story:
        """A story and the agency's own text of it (its dateline, sometimes a few typos of its own)."""
        code_lang = lang_of(lang)
        agency = agency or self.rng.choice(code_lang.agencies if lang in LANGS else ("AFP", "Reuters"))
        city = city or (self.rng.choice(code_lang.cities) if lang in LANGS else "")
        local = when.astimezone(ZoneInfo(code_lang.zones[0]))
        dateline = self._dateline(agency, lang, city, local) if city and self.rng.random() < 0.85 else ""
        clean = list(paragraphs)
        fixes: dict[str, str] = {}
        if self.rng.random() < 0.12:
            paragraphs, fixes = add_typos(paragraphs, self.rng, self.rng.uniform(0.005, 0.02))
        lexicon = self.lexicons.get(lang)
        names = names_of(clean, lexicon.keep if lexicon else frozenset())
        story_id = f"ws{len(self.stories) + 1:06d}"
        base = Draft(title, dateline, list(paragraphs))
        story = Story(story_id, lang, agency, kind, when, city, clean, base, names, fixes)
        self.stories.append(story)
        return story

    def publish(self, story: Story, budget: int, copies: int, reruns: int = 0) -> None:
        """Write the original, then `copies` copies and `reruns` late re-runs, within `budget` documents."""
        site = AGENCY_SITES.get(story.agency, "afp.com")
        url = f"https://www.{site}/{story.lang}/{slug(story.base.title)}-{self.rng.randrange(10**7):07d}"
        zone = lang_of(story.lang).zones[0]
        self._emit(story, story.base, outlet=site, url=url, when=story.when, zone=zone, edits=[])
        copies = max(0, min(copies, budget - 1))
        reruns = max(0, min(reruns, budget - 1 - copies))
        for outlet in self._free_outlets(story, copies):
            self._copy(story, outlet)
        for outlet in self._free_outlets(story, reruns):
            self._rerun(story, outlet)

    def _free_outlets(self, story: Story, count: int) -> list[Outlet]:
        """`count` outlets of the story's language that have not run it yet."""
        free = [o for o in self.outlets[story.lang] if o.domain not in story.outlets]
        chosen = self.rng.sample(free, min(count, len(free)))
        story.outlets += [o.domain for o in chosen]
        return chosen

    def _emit(self, story: Story, draft: Draft, *, outlet: str, url: str, when: datetime, zone: str,
              edits: list[str], copied_from: str | None = None) -> Record:
        """Turn a draft into a record of the corpus."""
        order = {e: i for i, e in enumerate(EDITS)}
        record = Record(
            id=self._doc_id(), title=draft.title, text=draft.text(), url=url,
            published=when.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds"), story=story.id,
            kind=story.kind, edits=sorted(dict.fromkeys(edits), key=lambda e: order[e]), negative=story.negative,
            of=story.of, lang=story.lang, outlet=outlet, agency=story.agency, family=story.family,
            copied_from=copied_from, footers=list(dict.fromkeys(key for key, _ in draft.footers)),
        )
        self.records.append(record)
        return record

    def _outlet_url(self, outlet: Outlet, title: str, when: datetime) -> str:
        """A URL in the outlet's own style."""
        section = self.rng.choice(lang_of(outlet.lang).sections)
        number = self.rng.randrange(10**6, 10**8)
        if outlet.url_style == 0:
            return f"https://www.{outlet.domain}/{section}/{slug(title)}-{number}.html"
        if outlet.url_style == 1:
            return f"https://www.{outlet.domain}/{when:%Y/%m/%d}/{slug(title)}/"
        return f"https://{outlet.domain}/{section}/{slug(title)}-id{number}"

    # ---- copies

    def _pick_edits(self, kind: str) -> list[str]:
        """The edits one copy gets (at least one)."""
        odds = EDIT_ODDS[kind]
        chosen = [edit for edit, p in odds.items() if self.rng.random() < p]
        return chosen or [self.rng.choice(("headline", "dateline", "typography"))]

    def _copy(self, story: Story, outlet: Outlet) -> None:
        """A copy at an outlet, made from the original or, now and then, from an earlier copy."""
        parent = self.rng.choice(story.copies) if story.copies and self.rng.random() < 0.2 else None
        edits = self._pick_edits(story.kind if story.kind in EDIT_ODDS else "news")
        latest = story.when + timedelta(hours=48)
        if parent is None:
            draft, labels, when = story.base.clone(), list[str](), story.when + self._delay()
        else:
            draft, labels = self._inherit(parent[0], parent[1].outlet, parent[3])
            when = max(min(parent[2] + self._delay(), latest), parent[2] + timedelta(minutes=2))
            labels.append("copy_of_copy")
        if "update" in edits:
            when += timedelta(minutes=self.rng.randint(30, 600))
        floor = parent[2] + timedelta(minutes=2) if parent else story.when + timedelta(minutes=3)
        when = max(min(when, latest), floor)
        draft.sep = outlet.sep
        labels += self._apply(story, draft, edits, outlet, when)
        url = self._outlet_url(outlet, draft.title, when)
        record = self._emit(story, draft, outlet=outlet.domain, url=url, when=when, zone=outlet.zone, edits=labels,
                            copied_from=parent[1].id if parent else None)
        story.copies.append((draft, record, when, labels))

    def _inherit(self, draft: Draft, parent_outlet: str, labels: list[str]) -> tuple[Draft, list[str]]:
        """A copy of a copy keeps the first copy's edits; half the time it strips that site's own blocks."""
        out = draft.clone()
        kept = list(labels)
        if self.rng.random() < 0.5:
            out.footers = [f for f in out.footers if f[0] != parent_outlet]
            out.paragraphs = [p for p in out.paragraphs if p not in out.inserted]
            out.inserted, out.top, out.bottom = [], [], []
            dropped = {"boilerplate", "teaser"} | (set() if out.footers else {"footer"})
            kept = [label for label in kept if label not in dropped]
        return out, kept

    def _rerun(self, story: Story, outlet: Outlet) -> None:
        """The story run again 2 weeks to 6 months later, lightly edited."""
        days = int(14 * (180 / 14) ** self.rng.random()) + 1
        when = (story.when + timedelta(days=days)).replace(hour=self.rng.randint(5, 18), minute=self.rng.randrange(60))
        draft = story.base.clone()
        draft.sep = outlet.sep
        labels = ["rerun", *self._apply(story, draft, self._pick_edits("rerun"), outlet, when)]
        url = self._outlet_url(outlet, draft.title, when)
        self._emit(story, draft, outlet=outlet.domain, url=url, when=when, zone=outlet.zone, edits=labels)

    def _apply(self, story: Story, draft: Draft, edits: list[str], outlet: Outlet, when: datetime) -> list[str]:
        """Make the chosen edits on a draft; return the labels of those that changed something."""
        labels = self._edit_body(story, draft, edits, when.astimezone(ZoneInfo(outlet.zone)))
        labels += self._edit_frame(story, draft, edits, outlet, when.astimezone(ZoneInfo(outlet.zone)))
        if not labels and "headline" not in edits:
            labels += self._edit_frame(story, draft, ["headline"], outlet, when)
        return labels

    def _edit_body(self, story: Story, draft: Draft, edits: list[str], local: datetime) -> list[str]:
        """Edits of the body: typos, words and names, merged, reordered and trimmed paragraphs, an update."""
        rng, lang = self.rng, lang_of(story.lang)
        labels: list[str] = []
        before = list(draft.paragraphs)
        if "typos" in edits:
            fixed = bool(story.fixes) and rng.random() < 0.6
            if fixed:
                draft.paragraphs = fix_typos(draft.paragraphs, story.fixes)
            if draft.paragraphs == before or rng.random() < 0.3:
                draft.paragraphs, _ = add_typos(draft.paragraphs, rng, rng.uniform(0.01, 0.04))
            labels += ["typos"] if draft.paragraphs != before else []
        if "words" in edits:
            lexicon = self.lexicons.get(story.lang)
            keep = lexicon.keep if lexicon else frozenset()
            before = list(draft.paragraphs)
            draft.paragraphs = substitute_words(draft.paragraphs, rng, rng.randint(1, 5), lang, keep)
            labels += ["words"] if draft.paragraphs != before else []
            if rng.random() < 0.2:
                renamed = misspell_name(draft.paragraphs, rng, story.names)
                labels += ["words", "name"] if renamed != draft.paragraphs else []
                draft.paragraphs = renamed
        for edit, change in (("merged", merge_paragraphs), ("reordered", swap_paragraphs), ("trimmed", trim)):
            if edit in edits:
                changed = change(draft.paragraphs, rng)
                labels += [edit] if changed != draft.paragraphs else []
                draft.paragraphs = changed
        if "update" in edits and story.lang in self.lexicons:
            _, fresh = self.fresh_text(story.lang, rng.randint(40, 70) * rng.randint(1, 3), story.names)
            if rng.random() < 0.6:
                fresh[0] = rng.choice(lang.update).format(hh=f"{local.hour:02d}", mm=f"{local.minute:02d}") + fresh[0]
            draft.paragraphs = fresh + draft.paragraphs
            labels.append("update")
        return labels

    def _edit_frame(self, story: Story, draft: Draft, edits: list[str], outlet: Outlet, local: datetime) -> list[str]:
        """Edits around the body: dateline, headline, typography, teaser, boilerplate blocks, footers."""
        rng = self.rng
        labels: list[str] = []
        if "dateline" in edits and story.city:
            old = draft.dateline
            if old:
                city = story.city
                draft.dateline = "" if rng.random() < 0.7 else rng.choice(
                    (f"{city}. ", f"{city.upper()} – ", f"{city} ({story.agency}) – "))
            else:
                draft.dateline = self._dateline(story.agency, story.lang, story.city, local) or f"{story.city} – "
            labels += ["dateline"] if draft.dateline != old else []
        if "headline" in edits:
            old = draft.title
            draft.title = self._headline(story, draft, outlet)
            labels += ["headline"] if draft.title != old else []
        if "typography" in edits and self._typography(story, draft):
            labels.append("typography")
        if "teaser" in edits and draft.paragraphs:
            block = teaser(draft.paragraphs, rng)
            (draft.top.insert(0, block) if rng.random() < 0.5 else draft.bottom.append(block))
            labels.append("teaser")
        if "boilerplate" in edits:
            self._boilerplate(story, draft)
            labels.append("boilerplate")
        footers = len(draft.footers)
        if "footer" in edits and not any(key == f"agency:{story.agency}" for key, _ in draft.footers):
            draft.footers.insert(0, (f"agency:{story.agency}", self._agency_footer(story, local)))
        if outlet.footer and not any(key == outlet.domain for key, _ in draft.footers):
            draft.footers.append((outlet.domain, outlet.footer))
        labels += ["footer"] if len(draft.footers) != footers else []
        return labels

    def _headline(self, story: Story, draft: Draft, outlet: Outlet) -> str:
        """A headline an outlet's editor writes instead of the agency's."""
        rng, lang, title = self.rng, lang_of(story.lang), draft.title
        method = rng.choices(("lead", "kicker", "split", "site", "words"), weights=(3, 2, 2, 2, 2))[0]
        if method == "lead" and draft.paragraphs:
            words = sentences(draft.paragraphs[0])[0].split()[: rng.randint(6, 12)]
            new = " ".join(words).rstrip(".,;:!?\"“”»")
        elif method == "kicker":
            new = f"{rng.choice([*lang.kickers, *story.names[:3], *([story.city] if story.city else [])])}: {title}"
        elif method == "split":
            parts = [p for p in re.split(r"\s*[:|–—]\s+|\s+-\s+", title, maxsplit=1) if word_count(p) >= 3]
            words = title.split()
            new = rng.choice(parts) if len(parts) == 2 else " ".join(words[: max(3, round(len(words) * 0.7))])
        elif method == "words":
            lexicon = self.lexicons.get(story.lang)
            new = substitute_words([title], rng, rng.randint(1, 2), lang, lexicon.keep if lexicon else frozenset())[0]
        else:
            new = title
        if new == title or not new.strip():
            new = f"{title}{rng.choice((' | ', ' - ', ' – '))}{outlet.name}"
        return new

    def _typography(self, story: Story, draft: Draft) -> bool:
        """The outlet's typography on headline, dateline and body; False when nothing changed."""
        lang = lang_of(story.lang)
        curly = any(c in draft.text() for c in "“”„«»’")
        dashes, ellipsis = self.rng.random() < 0.6, self.rng.random() < 0.5
        before = (draft.title, draft.dateline, list(draft.paragraphs))
        draft.title = retype(draft.title, lang, not curly, dashes, ellipsis)
        draft.dateline = retype(draft.dateline, lang, not curly, True, False)
        draft.paragraphs = [retype(p, lang, not curly, dashes, ellipsis) for p in draft.paragraphs]
        return before != (draft.title, draft.dateline, draft.paragraphs)

    def _boilerplate(self, story: Story, draft: Draft) -> None:
        """Site blocks: a photo caption with its credit, "Read more" lines in the body, a related-links list."""
        rng, lang = self.rng, lang_of(story.lang)
        pool = self.by_lang[story.lang]
        for block in rng.sample(("caption", "read_more", "related"), rng.randint(1, 3)):
            if block == "caption":
                credit = rng.choice(lang.caption).format(agency=story.agency, person=_person(rng, lang))
                subject = (story.names[:1] or [story.city])[0]
                draft.top.append(f"{subject}. {credit}" if subject else credit)
            elif block == "read_more":
                line = f"{rng.choice(lang.read_more)} {rng.choice(pool).title}"
                draft.paragraphs.insert(rng.randint(1, max(1, len(draft.paragraphs))), line)
                draft.inserted.append(line)
            else:
                titles = [s.title for s in rng.sample(pool, min(len(pool), rng.randint(3, 5)))]
                draft.bottom.append("\n".join([rng.choice(lang.related), *titles]))

    def _agency_footer(self, story: Story, local: datetime) -> str:
        """The agency's credit line or copyright block in the story's language."""
        rng, lang = self.rng, lang_of(story.lang)
        fmt = AGENCY_FOOTERS.get(story.agency, {}).get(story.lang) or f"© {story.agency} {{year}}"
        first, second = _person(rng, lang), _person(rng, lang)
        return fmt.format(year=local.year, code=f"{story.when:%y%m%d}-99-{int(story.id[2:]):06d}",
                          k=rng.randint(2, 6), person=first, person2=second,
                          ini="".join(w[0] for w in first.split()).lower() + rng.choice("aeiklmnrst"),
                          ini2="".join(w[0] for w in second.split()).lower())

    # ---- kinds of stories

    def news(self, budget: int) -> Story:
        """An agency story, its copies and, for some, a late re-run."""
        lang = self._pick_lang()
        title, paragraphs = self.base_text(lang)
        story = self.new_story(lang, title, paragraphs, "news", self._moment())
        self.publish(story, budget, _pick(self.rng, COPIES["news"]), 1 if self.rng.random() < 0.08 else 0)
        return story

    def same_event(self, budget: int) -> None:
        """Two agencies' stories of one event: same names, numbers and place, written independently."""
        lang = self._pick_lang()
        if budget < 2 or lang not in self.lexicons:
            self.news(budget)
            return
        start = len(self.records)
        title, paragraphs = self.base_text(lang)
        first = self.new_story(lang, title, paragraphs, "news", self._moment())
        self.publish(first, budget - 1, _pick(self.rng, COPIES["news"]))
        title, paragraphs = self._same_event_text(first)
        others = [a for a in lang_of(lang).agencies if a != first.agency]
        agency = self.rng.choice(others) if others else "AFP" if first.agency != "AFP" else "Reuters"
        when = first.when + timedelta(minutes=self.rng.randint(5, 360))
        second = self.new_story(lang, title, paragraphs, "news", when, agency=agency, city=first.city)
        second.negative, second.of = "same_event", first.id
        self.publish(second, budget - (len(self.records) - start), _pick(self.rng, COPIES["news"]))

    def _same_event_text(self, first: Story) -> tuple[str, list[str]]:
        """Another text of the language carrying the first story's names and numbers."""
        title, paragraphs = self.base_text(first.lang)
        lexicon = self.lexicons[first.lang]
        rewriter = Rewriter(self.rng, lexicon, share=0.0)
        for new, old in zip(names_of(paragraphs, lexicon.keep)[:8], first.names[:8], strict=False):
            rewriter.map[new] = old
        for new, old in zip(numbers_of(paragraphs), numbers_of(first.clean), strict=False):
            rewriter.map.setdefault(new, old)
        return rewriter.text(title), [rewriter.text(p) for p in paragraphs]

    def followup(self, budget: int) -> None:
        """A later story by the same agency that reuses a recent story's lead, then says new things."""
        parents = [s for s in self.stories[-400:] if s.kind == "news" and s.lang in self.lexicons]
        if not parents:
            self.news(budget)
            return
        parent = self.rng.choice(parents)
        when = parent.when + timedelta(minutes=self.rng.randint(180, 4320))
        lead = parent.clean[0] if self.rng.random() < 0.4 else sentences(parent.clean[0])[0]
        title, fresh = self.fresh_text(parent.lang, self.rng.randint(150, 500), parent.names)
        roll = self.rng.random()
        if roll < 0.45:
            body = [f"{lead} {fresh[0]}", *fresh[1:]]
        elif roll < 0.75:
            body = [lead, *fresh]
        else:
            body = [fresh[0], lead, *fresh[1:]]
        if parent.names and self.rng.random() < 0.5:
            title = f"{parent.names[0]}: {title}"
        story = self.new_story(parent.lang, title, body, "followup", when, agency=parent.agency, city=parent.city)
        story.negative, story.of = "followup", parent.id
        self.publish(story, budget, _pick(self.rng, COPIES["news"]))

    def template(self, budget: int) -> None:
        """A template story (results, draws, quakes, earnings, accidents): other names and numbers, same words."""
        families = [f for f in sorted(TEMPLATES) if TEMPLATES[f][0] in self.outlets]
        if not families:
            self.news(budget)
            return
        family = self.rng.choice(families)
        lang, agencies, make = TEMPLATES[family]
        when = self._moment()
        title, body = make(self.rng, when.astimezone(ZoneInfo(lang_of(lang).zones[0])))
        story = self.new_story(lang, title, body, "template", when, agency=self.rng.choice(agencies))
        story.negative, story.family = "template", family
        self.publish(story, budget, _pick(self.rng, COPIES["template"]))

    def brief(self, budget: int) -> None:
        """An outlet's own short brief (40-80 words) under the long footer it puts under everything."""
        langs = [x for x in sorted(self.lexicons) if any(o.footer for o in self.outlets[x])]
        if not langs:
            self.news(budget)
            return
        lang = self.rng.choices(langs, weights=[len(self.by_lang[x]) for x in langs])[0]
        outlet = self.rng.choice([o for o in self.outlets[lang] if o.footer])
        title, paragraphs = self.fresh_text(lang, 80, [])
        words = " ".join(paragraphs).split()[: self.rng.randint(40, 80)]
        body = " ".join(words).rstrip(",;:") + ("" if words[-1][-1] in ".!?" else ".")
        story = self.new_story(lang, title, [body], "brief", self._moment(), agency=outlet.name)
        story.negative = "footer"
        story.base.dateline = ""
        draft = story.base.clone()
        draft.sep = outlet.sep
        draft.footers.append((outlet.domain, outlet.footer or ""))
        story.outlets.append(outlet.domain)
        url = self._outlet_url(outlet, title, story.when)
        self._emit(story, draft, outlet=outlet.domain, url=url, when=story.when, zone=outlet.zone, edits=[])
        copies = min(budget - 1, _pick(self.rng, COPIES["brief"]))
        for other in self._free_outlets(story, copies):
            self._copy(story, other)

    def generate(self, n_docs: int) -> list[Record]:
        """Exactly `n_docs` documents in publication order."""
        self.period = timedelta(days=max(2.0, 21 * (n_docs / 1500) ** 0.35))
        while len(self.records) < n_docs:
            budget = n_docs - len(self.records)
            roll = self.rng.random()
            if roll < 0.60 or not self.stories:
                self.news(budget)
            elif roll < 0.66:
                self.same_event(budget)
            elif roll < 0.76:
                self.followup(budget)
            elif roll < 0.88:
                self.template(budget)
            else:
                self.brief(budget)
        self.records.sort(key=lambda r: (datetime.fromisoformat(r.published), r.id))
        return self.records


def write_jsonl(records: Iterable[Record], path: Path) -> None:
    """One JSON object a line."""
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Write the corpus as JSON lines; exit 2 when ../shared/data is absent."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--docs", type=int, default=1500, help="number of documents")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where trafilatura's extraction is cached")
    args = parser.parse_args(argv)
    sources = load_sources(args.data, args.cache)
    if sources is None:
        print(f"skipped: {args.data / 'trafilatura-eval' / 'html'} is absent (the corpus needs ../shared/data)",
              file=sys.stderr)
        return 2
    records = Generator(sources, args.seed).generate(args.docs)
    write_jsonl(records, args.out)
    stories = len({r.story for r in records})
    print(f"wrote {len(records)} documents in {stories} stories ({len(sources)} source texts) to {args.out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
