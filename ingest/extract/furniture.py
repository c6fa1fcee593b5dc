"""Site furniture in many languages: the words of prompts, labels, credits, bylines and notices.

Each table lists, per language, the phrases sites put around an article (regex fragments, matched
case-insensitively); `clean.py` compiles them into its rules. The languages are those of the two
evaluation sets (German, English, French, Spanish, Polish, Italian, Portuguese, Dutch, Czech) and
Chinese, Japanese and Korean for credits. A phrase here is only evidence: every rule that uses one
also bounds the block's length, so a body paragraph that happens to contain it is kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache


def alternation(table: Mapping[str, tuple[str, ...]]) -> str:
    """Join every language's phrases into one regex alternation (longest first, so prefixes lose)."""
    phrases = {phrase for phrases in table.values() for phrase in phrases}
    return "|".join(sorted(phrases, key=lambda p: (-len(p), p)))


# "Read more: <headline>", "Lire aussi - <headline>": a lead, a separator, another story's headline.
RELATED_LEADS: dict[str, tuple[str, ...]] = {
    "en": ("read more", "read also", "also read", "read next", "more on this(?: story)?", "see also", "watch",
           "related(?: (?:video|videos|story|stories|articles?|coverage|content|reading|links?))?",
           "more from \\w+", "further reading", "recommended(?: reading)?", "listen"),
    "fr": ("lire aussi", "à lire aussi", "a lire aussi", "lire également", "à lire également", "voir aussi",
           "à voir aussi", "sur le même sujet", "lisez aussi", "à découvrir(?: aussi)?", "dans le même dossier"),
    "de": ("lesen sie auch", "lesen sie mehr", "lesen sie hier", "lies auch", "mehr zum thema", "mehr dazu",
           "auch interessant", "ebenfalls interessant", "siehe auch", "passend dazu", "zum thema",
           "das könnte sie auch interessieren", "das könnte dich auch interessieren", "lesetipp",
           "hier weiterlesen", "empfehlungen? der redaktion", "auch lesen", "zum weiterlesen", "mehr themen",
           "weiter zu", "zurück zu", "das thema könnte (?:dich|sie) auch interessieren"),
    "es": ("lee también", "lea también", "lee además", "lea además", "lea más", "lee más", "lea", "lee",
           "leer más", "te puede interesar", "le puede interesar", "también te puede interesar",
           "también le puede interesar", "puedes ver", "puede ver", "mire", "mira", "ver también", "ver más",
           "te recomendamos", "le recomendamos", "más información", "noticias relacionadas",
           "notas relacionadas", "contenido relacionado", "relacionado", "también puede leer",
           "lectura recomendada", "te podría interesar", "vea también", "vea además", "más sobre"),
    "pl": ("czytaj też", "czytaj także", "czytaj również", "czytaj więcej", "przeczytaj też", "przeczytaj także",
           "przeczytaj również", "zobacz też", "zobacz także", "zobacz również", "polecamy", "sprawdź też",
           "sprawdź także", "warto przeczytać", "dowiedz się więcej"),
    "it": ("leggi anche", "leggi pure", "potrebbe interessarti", "vedi anche", "guarda anche", "approfondisci"),
    "pt": ("leia também", "leia mais", "veja também", "veja mais", "saiba mais", "confira também"),
    "nl": ("lees ook", "lees meer", "zie ook", "bekijk ook"),
    "cs": ("čtěte také", "čtěte též", "přečtěte si také", "přečtěte si též", "související články?"),
}

# Interface labels: a block that is nothing but one of these is chrome, never body text.
LABELS: dict[str, tuple[str, ...]] = {
    "en": ("release date", "posted by", "added by", "next article", "previous article",
           "table of contents", "read more about",
           "tags", "topics", "categories", "share this(?: post| page)?", "share on \\w+",
           "like this", "related posts", "leave a (?:comment|reply)", "no comments", "comments are closed",
           "you (?:may|might) also like", "about the author", "further reading", "sponsored", "loading",
           "view comments", "post navigation", "back to top"),
    "fr": ("sujets", "thèmes", "mots-clés", "mots clés", "partager cet article", "articles similaires",
           "articles liés", "j'aime", "chargement", "à lire également", "retour en haut", "sommaire",
           "article suivant", "article précédent"),
    "de": ("weitere themen", "weitere artikel", "weitere beiträge", "weitere informationen", "weitere infos",
           "ähnliche artikel", "ähnliche beiträge", "verwandte artikel", "schon gelesen", "keine kommentare",
           "kommentar schreiben", "kommentieren", "teilen mit", "teilen sie dies mit", "diesen artikel teilen",
           "beitrag teilen", "seite teilen", "zum newsletter anmelden", "newsletter abonnieren",
           "beiträge aus dem forum", "kontakt", "werbung", "anzeige", "zurück", "nach oben", "top-themen",
           "top themen", "schlagworte", "stichworte", "kategorien?", "gefällt mir", "wird geladen",
           "quellenangaben", "zusatzinformationen", "originalpublikation", "über diese reihe", "mehr zum thema",
           "empfehlungen", "empfohlene (?:beiträge|artikel)", "kommentierte artikel", "meist-?diskutiert",
           "meistkommentiert", "inhaltsverzeichnis", "bewerten", "bild anzeigen", "kommentare insgesamt",
           "hinzugefügt von", "zum weiterlesen", "auch lesen", "mehr themen", "weitere (?:\\w+ ){0,2}(?:themen|artikel|"
           "beiträge|nachrichten|meldungen)(?: (?:zum thema|aus [\\w -]{1,40}))?",
           "(?:das|dieses?) (?:thema|artikel|themen) könnten? (?:dich|sie|euch) auch interessieren",
           "das könnte (?:dich|sie|euch) auch interessieren", "vorschau auf den nächsten artikel",
           "nächster artikel", "vorheriger artikel",
           "lesen sie auch(?: die(?:se)? (?:folgenden )?(?:beiträge|artikel))?"),
    "es": ("temas", "etiquetas", "notas relacionadas", "contenido relacionado", "artículos relacionados",
           "noticias relacionadas", "lo más visto", "más leídas", "más leído", "compartir en \\w+",
           "comparte esta noticia", "comparte esto", "síguenos", "siguenos", "me gusta", "cargando",
           "anuncio", "te recomendamos", "recomendados", "boletín", "newsletter", "vea también", "índice",
           "más sobre [\\w ]{1,40}"),
    "pl": ("dowiedz się więcej", "spis treści", "czytaj też", "czytaj także", "zobacz też", "zobacz także",
           "tagi", "udostępnij", "podziel się",
           "komentarze", "reklama", "polecamy", "najczęściej czytane", "najpopularniejsze", "kategorie",
           "kategoria", "ładowanie", "polub to"),
    "it": ("condividi", "argomenti", "leggi anche", "pubblicità", "commenti", "articoli correlati"),
    "pt": ("compartilhe", "partilhar", "leia também", "publicidade", "comentários", "notícias relacionadas"),
    "nl": ("delen", "lees ook", "advertentie", "reacties", "gerelateerde artikelen"),
}

# The heading of a closing list of other stories.
RELATED_HEADINGS: dict[str, tuple[str, ...]] = {
    "en": ("related posts", "you (?:may|might) also like", "more stories", "further reading",
           "(?:discover|explore) more\\b.{0,30}"),
    "fr": ("articles similaires", "articles liés", "sur le même thème", "à découvrir",
           "découvrez (?:aussi|d'autres|nos autres)\\b.{0,30}"),
    "de": ("weitere themen", "weitere artikel", "weitere beiträge", "ähnliche artikel", "ähnliche beiträge",
           "verwandte artikel", "das könnte dich auch interessieren", "schon gelesen\\??", "top-themen.{0,30}",
           "empfehlungen(?: der redaktion)?", "lesen sie auch.{0,30}", "entdecke (?:weitere|mehr)\\b.{0,30}",
           "entdecken sie (?:weitere|mehr)\\b.{0,30}"),
    "es": ("notas relacionadas", "contenido relacionado", "artículos relacionados", "te recomendamos",
           "lo más visto", "más leídas", "también te puede interesar", "descubre (?:más|otr[oa]s)\\b.{0,30}"),
    "pl": ("czytaj też", "czytaj także", "zobacz też", "zobacz także", "polecamy", "najczęściej czytane",
           "najpopularniejsze"),
    "it": ("leggi anche", "articoli correlati", "potrebbe interessarti"),
    "pt": ("leia também", "veja também", "notícias relacionadas"),
    "nl": ("lees ook", "gerelateerde artikelen"),
}

# The label of a summary box: a short list of the article's main points above its body ("Key Points",
# "Das Wichtigste in Kürze"). Plain lower-case text (matched as the label's whole text, colon aside).
SUMMARY_LABELS: dict[str, tuple[str, ...]] = {
    "en": ("key points", "key takeaways", "summary", "at a glance", "in brief", "in short", "the essentials"),
    "fr": ("en bref", "l'essentiel", "l’essentiel", "ce qu'il faut retenir", "ce qu’il faut retenir", "résumé"),
    "de": ("das wichtigste in kürze", "das wichtigste", "auf einen blick", "in kürze", "kurz und knapp",
           "zusammenfassung"),
    "es": ("en resumen", "lo esencial", "claves", "puntos clave", "resumen"),
    "pl": ("w skrócie", "najważniejsze informacje", "podsumowanie"),
    "it": ("in breve", "punti chiave", "in sintesi"),
    "pt": ("em resumo", "pontos-chave", "resumo"),
    "nl": ("in het kort", "kernpunten", "samenvatting"),
}

# "Tags: a, b", "Kategorie: News", "Etiquetas: ...": a line of topics, at most a few words after it.
TOPIC_LEADS: dict[str, tuple[str, ...]] = {
    "en": ("tags?", "tagged(?: with)?", "categor(?:y|ies)", "topics?", "filed under", "posted in", "keywords"),
    "fr": ("mots[- ]clés", "catégories?", "thèmes?", "sujets?", "rubriques?"),
    "de": ("kategorien?", "schlagw(?:o|ö)rte?", "stichw(?:o|ö)rte?", "themen", "rubrik", "abgelegt unter"),
    "es": ("etiquetas?", "categorías?", "temas?", "archivado en"),
    "pl": ("tagi", "kategori[ae]", "tematy?"),
    "it": ("argomenti", "categori[ae]", "tag"),
    "pt": ("categorias?", "assuntos?", "tópicos"),
    "nl": ("categorie(?:ën)?", "trefwoorden"),
}

# A caption or credit line starts with one of these, then a colon ("Foto: dpa", "Fot. PAP").
CAPTION_LEADS: dict[str, tuple[str, ...]] = {
    "en": ("photo", "photos", "image", "images", "picture", "illustration", "credit", "credits", "photo credit",
           "image credit", "pictured", "figure \\d+", "fig\\. ?\\d+", "source"),
    "fr": ("photo", "crédit", "crédits", "crédit photo", "image illustrative", "illustration", "légende", "source"),
    "de": ("foto", "fotos", "bild", "bilder", "bildquelle", "bildnachweis", "symbolbild", "beitragsbild",
           "titelbild", "headerbild", "abbildung \\d+", "abb\\. ?\\d+", "quelle", "grafik"),
    "es": ("foto", "fotos", "imagen", "imágenes", "fotografía", "crédito", "fuente", "ilustración"),
    "pl": ("zdjęcie", "zdjęcia", "źródło", "ilustracja", "fotografia"),
    "it": ("foto", "immagine", "fonte", "credito"),
    "pt": ("foto", "imagem", "fonte", "crédito"),
    "nl": ("foto", "beeld", "afbeelding", "bron"),
}

# A byline lead: "By ...", "Autor: ...", "Opracowanie: ...", followed by names.
BYLINE_LEADS: dict[str, tuple[str, ...]] = {
    "en": ("by", "written by", "reporting by", "words by", "author", "authors"),
    "fr": ("par", "texte", "auteur", "auteurs", "propos recueillis par"),
    "de": ("von", "text", "autor", "autorin", "autoren", "ein beitrag von", "text und fotos?"),
    "es": ("por", "texto", "autor", "autora", "autores", "escrito por", "redacción"),
    "pl": ("autor", "autorka", "opracowanie", "oprac\\.", "redakcja", "tekst"),
    "it": ("di", "autore", "scritto da", "testo"),
    "pt": ("por", "autor", "autora", "texto"),
    "nl": ("door", "auteur", "tekst"),
}

# News agencies that sign the end of a story ("aja/PAP", "(dpa)", "kk/PAP", "EFE").
SIGNING_AGENCIES = (
    "PAP", "dpa", "DPA", "AFP", "afp", "AP", "APA", "KNA", "kna", "epd", "EFE", "ANSA", "SDA", "sda", "Reuters",
    "rtr", "ots", "IAR", "ČTK", "TASR", "Lusa", "Europa Press", "AAP", "Belga", "ANP", "dts", "KAP",
)

# Publication and update date leads.
DATE_LEADS: dict[str, tuple[str, ...]] = {
    "en": ("published", "updated", "posted", "last updated", "first published", "last modified", "created",
           "date"),
    "fr": ("publié", "publiée", "mis à jour", "modifié", "actualisé", "dernière mise à jour", "date"),
    "de": ("veröffentlicht", "aktualisiert", "erstellt", "stand", "letzte änderung", "zuletzt aktualisiert",
           "(?:video )?verfügbar bis",
           "zuletzt geändert", "datum", "erschienen"),
    "es": ("publicado", "actualizado", "modificado", "última actualización", "fecha"),
    "pl": ("opublikowano", "aktualizacja", "ostatnia aktualizacja", "data publikacji", "data"),
    "it": ("pubblicato", "aggiornato", "ultimo aggiornamento", "data"),
    "pt": ("publicado", "atualizado", "data"),
    "nl": ("gepubliceerd", "bijgewerkt", "datum"),
}

# Month names (and their common abbreviations) beyond English, French, German and Spanish.
MONTHS_MORE = (
    "stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września",
    "października", "listopada", "grudnia", "styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec", "lipiec",
    "sierpień", "wrzesień", "październik", "listopad", "grudzień",
    "gennaio", "febbraio", "aprile", "maggio", "giugno", "luglio", "settembre", "ottobre", "dicembre",
    "janeiro", "fevereiro", "março", "maio", "junho", "julho", "setembro", "outubro", "novembro", "dezembro",
    "januari", "februari", "maart", "mei", "augustus",
)

# Notices a site puts under every article: rights, affiliate disclosures, login walls.
NOTICES: dict[str, tuple[str, ...]] = {
    "en": ("all rights reserved", "copyrighted property", "may not be (?:published|reproduced|republished)",
           "affiliate links?", "we may (?:receive|earn) (?:a )?(?:compensation|commission)",
           "contains references to products", "must be logged in", "you need to be logged in",
           "to (?:view|read|continue reading) the full (?:story|article)", "already a subscriber",
           "by signing up,? you agree", "by registering,? you agree", "by subscribing,? you agree", "licensed under",
           "this post (?:contains|may contain) (?:affiliate|sponsored)",
           "this article (?:contains|may contain) (?:affiliate|sponsored)", "trust principles",
           "to load the content", "privacy preferences"),
    "fr": ("tous droits réservés", "liens? (?:d')?affiliation", "liens? affiliés?", "vous devez être connecté",
           "pour lire la suite", "accéder en illimité", "déjà abonné", "réservé aux abonnés"),
    "de": ("alle rechte vorbehalten", "urheberrechtlich geschützt", "affiliate[- ]links?", "partnerlinks?",
           "provisionslinks?", "erhalten wir (?:eine )?provision", "müssen sie (?:eingeloggt|angemeldet) sein",
           "nicht eingeloggt", "eingeloggt sein,? um", "angemeldet sein,? um", "werbelinks?", "enthält werbung",
           "um den inhalt (?:von [\\w.-]+ )?zu laden", "externe(?:n|r)? inhalte?", "inhalt laden",
           "alle angaben ohne gewähr",
           "akzeptieren sie (?:unsere|die) datenschutz", "mit der registrierung akzeptieren", "bereits abonnent",
           "cc-by", "cc by", "lizenziert unter"),
    "es": ("todos los derechos reservados", "prohibida su reproducción", "enlaces? de afiliados?",
           "debes iniciar sesión", "ya eres suscriptor", "contenido exclusivo para suscriptores"),
    "pl": ("wszelkie prawa zastrzeżone", "chroniony prawem autorskim", "linki afiliacyjne",
           "musisz być zalogowany", "ten tekst przeczytasz", "dostęp do artykułu"),
    "it": ("tutti i diritti riservati", "riproduzione riservata", "link di affiliazione"),
    "pt": ("todos os direitos reservados", "links? de afiliados?"),
    "nl": ("alle rechten voorbehouden",),
}
# Rights lines: the last line of an article on the sites that print one.
RIGHTS = (
    "all rights reserved", "tous droits réservés", "alle rechte vorbehalten", "todos los derechos reservados",
    "wszelkie prawa zastrzeżone", "tutti i diritti riservati", "todos os direitos reservados",
    "alle rechten voorbehouden",
)
# Reproduction, cookie, browser and review notices, by language (added to NOTICES below).
_MORE_NOTICES: dict[str, tuple[str, ...]] = {
    "en": ("medically reviewed by", "fact-checked by (?:a |our )?(?:doctors?|physicians?|medical)",
           "reviewed by (?:a |our )?(?:doctors?|physicians?|medical)",
           "reproduction (?:is )?(?:prohibited|forbidden)", "(?:this (?:web)?site|we) uses? cookies",
           "your browser is (?:out of date|outdated)"),
    "fr": ("reproduction interdite", "(?:ce site|nous) utilis(?:e|ons) des cookies",
           "votre navigateur est obsolète"),
    "de": (*(f"(?:wurde|wird) von {who} (?:geprüft|überprüft)"
             for who in ("medizinern", "ärzten", "ärztinnen", "experten")),
           "vervielfältigung nur mit (?:schriftlicher )?genehmigung",
           "nachdruck nur mit (?:schriftlicher )?genehmigung",
           "(?:diese (?:web)?seite|wir) (?:verwendet|verwenden|nutzt|nutzen) cookies",
           "(?:dein|ihr) browser ist (?:leider )?veraltet"),
    "es": ("(?:este sitio(?: web)?|utilizamos|usamos) (?:utiliza |usa )?cookies",
           "tu navegador (?:está desactualizado|es antiguo)"),
    "pl": ("kopiowanie (?:i rozpowszechnianie )?(?:zabronione|bez zgody)",
           "(?:ta strona|serwis) (?:używa|wykorzystuje) (?:plików )?cookies?"),
    "it": ("questo sito (?:utilizza|usa) (?:i )?cookie",),
}
NOTICES = {
    lang: NOTICES.get(lang, ()) + _MORE_NOTICES.get(lang, ()) for lang in dict.fromkeys([*NOTICES, *_MORE_NOTICES])
}

# Calls to action: subscribe, follow, support, comment, download the app. Each needs its object too.
NEWSLETTER_WORDS = (
    "newsletter", "newsletters", "boletín", "lettre d'information", "infolettre", "biuletyn", "nieuwsbrief",
    "notiziario", "rss", "rss-feed",
)
SIGN_UP_WORDS = (
    "sign up", "signing up", "subscribe", "abonn\\w*", "anmeld\\w*", "melde dich", "registr\\w*", "inscri\\w*",
    "suscr\\w*", "zapisz", "bestell\\w*", "erhalten sie", "erhältst du", "receive", "recevez", "recibe",
    "iscriviti", "assine", "aanmelden",
)
NETWORKS = ("telegram", "whatsapp", "instagram", "facebook", "twitter", "tiktok", "youtube", "linkedin",
            "google news", "flipboard")
# A row of share or follow buttons, or one of its pieces: only network names, conjunctions and
# punctuation, led at most by a follow prompt ("Síguenos en", "Follow us on").
BUTTON_NETWORKS = (*NETWORKS, "pinterest", "reddit", "xing", "threads", "mastodon", "bluesky", "tumblr", "vk",
                   "e-?mail", "whats ?app", "messenger", "rss", "x")
BUTTON_JOINERS = ("and", "or", "und", "oder", "et", "ou", "y", "o", "i", "lub", "e", "en", "of")
FOLLOW_LEADS = ("follow us on", "find us on", "folgen sie uns auf", "folge uns auf", "folgt uns auf",
                "suivez-nous sur", "retrouvez-nous sur", "síguenos en", "siguenos en", "síganos en",
                "obserwuj nas na", "seguici su", "siga-nos no", "volg ons op")
FOLLOW_WORDS = (
    "follow us", "follow", "join", "síguenos", "siguenos", "síganos", "únete", "folgen sie uns", "folge uns",
    "folgt uns", "suivez-nous", "rejoignez", "obserwuj nas", "dołącz", "seguici", "siga-nos", "volg ons",
    "sledujte nás", "abonniere", "abonnieren sie", "tenemos canal", "jetzt auch auf", "nuestro canal",
    "unser(?:en)? kanal", "our channel", "notre chaîne", "nasz kanał",
)
SUPPORT_PITCHES: dict[str, tuple[str, ...]] = {
    "en": ("sign up here", "subscribe here", "^sign up\\b",
           "support us", "support our work", "support our journalism",
           "would you consider supporting", "become a (?:member|supporter)",
           "donate (?:now|today)", "never miss (?:the latest|a story)"),
    "fr": ("soutenez(?:-nous)?", "faites un don"),
    "de": ("hier anmelden", "unterstütze uns", "unterstützen sie (?:uns|unsere)", "jetzt unterstützen",
           "werde mitglied",
           "keine bezahlschranke", "unterstütze \\w+ (?:bereits )?mit"),
    "es": ("apóyanos", "apoya (?:nuestro|el) periodismo", "hazte (?:miembro|socio)", "haz una donación"),
    "pl": ("wesprzyj nas", "wesprzyj \\w+", "przekaż nam 1%", "zapraszamy (?:też |także )?do subskrypcji"),
    "it": ("sostienici", "disdici quando vuoi"),
    "pt": ("apoie o", "seja assinante", "cancele quando quiser"),
}
# A subscription offer's terms: "Cancel anytime", "Jederzeit kündbar", "Cancela cuando quieras".
_OFFER_TERMS: dict[str, tuple[str, ...]] = {
    "en": ("help us (?:continue|keep (?:\\w+ ){0,3}(?:free|going|independent))", "(?:new|first-time) subscribers",
           "cancel (?:at )?any ?time", "add (?:\\w+ ){0,3}to your basket", "add (?:\\w+ ){0,3}to your cart"),
    "fr": ("résiliable à tout moment", "sans engagement de durée", "ajouter au panier"),
    "de": ("jederzeit kündbar", "jederzeit kündigen", "in den warenkorb"),
    "es": ("cancela cuando quieras", "cancela en cualquier momento", "cancelar en cualquier momento",
           "añadir al carrito"),
    "pl": ("anuluj w dowolnym momencie", "zrezygnować w (?:dowolnym momencie|każdej chwili)", "dodaj do koszyka"),
}
SUPPORT_PITCHES = {
    lang: SUPPORT_PITCHES.get(lang, ()) + _OFFER_TERMS.get(lang, ())
    for lang in dict.fromkeys([*SUPPORT_PITCHES, *_OFFER_TERMS])
}
COMMENT_PROMPTS: dict[str, tuple[str, ...]] = {
    "en": ("let us know in the comments", "we want to hear what you think", "submit a letter to the editor",
           "letters? to the editor", "join the (?:discussion|conversation)"),
    "fr": ("dites-le en commentaire", "donnez votre avis", "réagissez"),
    "de": ("in den kommentaren", "schreiben sie uns", "ihre meinung ist gefragt", "kommentieren zu können"),
    "es": ("déjanos tu comentario", "deja tu comentario", "cuéntanos en los comentarios"),
    "pl": ("napisz w komentarzu", "skomentuj", "komentarze są moderowane"),
    "moderation": ("comments are moderated", "comments will (?:appear|be (?:published|visible)) (?:only )?after",
                   "kommentare erscheinen erst nach", "kommentare werden erst nach", "kommentare werden moderiert",
                   "les commentaires sont modérés", "los comentarios (?:son moderados|serán publicados tras)"),
}
# "Click here" anywhere in a short block: an interface instruction, in every language of the sets.
CLICK_PROMPTS = ("click here", "hier klicken", "klicken sie hier", "klicke hier", "cliquez ici", "haz clic aquí",
                 "pincha aquí", "haga clic aquí", "kliknij tutaj", "clicca qui", "clique aqui")
# A sign-up form's instructions: "Enter your email address", "Trage Deine beste E-Mail-Adresse ein".
EMAIL_PROMPTS = (
    "enter your (?:best |email |e-mail )?(?:email|e-mail)",
    "(?:trage|tragen sie|gib|geben sie) (?:\\w+ ){0,3}e-?mail-?adresse ein\\b",
    "(?:saisissez|entrez|indiquez) votre adresse e-?mail", "(?:saisissez|entrez|indiquez) votre e-mail",
    "(?:saisissez|entrez|indiquez) votre email", "(?:introduce|ingresa|escribe) tu correo",
    "(?:introduce|ingresa|escribe) tu e-mail", "(?:introduce|ingresa|escribe) tu email",
    "(?:podaj|wpisz) (?:swój )?adres e-?mail", "inserisci (?:la tua|il tuo) (?:indirizzo )?e-?mail",
)
APP_PROMPTS = (
    "download (?:the|our) [\\w ]{0,30}apps?\\b", "laden sie (?:die|unsere) app", "descarga (?:la|nuestra) app",
    "téléchargez (?:l'|notre )app", "pobierz aplikację", "scarica l'app", "baixe o app",
)

# "Weitere Infos unter www.example.de", "More information:": a pointer elsewhere, not the story.
MORE_INFO_LEADS = (
    "weitere info(?:s|rmationen)", "mehr info(?:s|rmationen)", "mehr zum thema", "more info(?:rmation)?",
    "for more information",
    "plus d'info(?:rmation)?s", "pour plus d'informations", "más información", "para más información",
    "więcej informacji", "maggiori informazioni", "mais informações", "meer informatie",
    # "Auch auf gofeminin.de", "More at bbc.com": the pointer must still end with the domain.
    "auch auf", "mehr auf", "more (?:on|at)", "plus sur", "más en", "więcej na",
)
# Contact lines under press releases: "Pressekontakt:", "Telefon: 030 ...", "E-Mail: ...".
CONTACT_LEADS = (
    "pressekontakt", "pressesprecher\\S*", "ansprechpartner\\S*", "kontakt", "contact(?: presse)?", "press contact",
    "media contact", "telefon", "tel\\.", "fax", "contacto", "kontakt dla mediów",
)
# Counts and reading times in a meta line: "12 Kommentare", "1120 Aufrufe", "3 min read", "Lesezeit: 4 Min."
META_COUNT = (
    "\\d+\\s*(?:comments?|kommentare?|commentaires?|comentarios?|komentarz\\w*|views|aufrufe|vues|visitas|"
    "wyświetle\\w*|likes?|shares?)",
    "(?:lesezeit|reading time|temps de lecture|tiempo de lectura|czas czytania)\\s*:?\\s*\\d+\\s*\\w*\\.?",
    "\\d+\\s*(?:min(?:ute[ns]?|utos?|\\.)?|minutes?)(?: read| lesen| lesezeit| de lecture| de lectura)?",
    "(?:view|no|keine|sans|sin|brak) (?:comments?|kommentare|commentaires?|comentarios|komentarzy)",
    "(?:aufrufe|views|comments|kommentare)\\s*:\\s*\\d+",
)
# File links: "Informationsschreiben PDF | 38 KB".
FILE_LINK = "(?<![a-z])(?:pdf|docx?|xlsx?|pptx?|zip|mp3)\\s*[|,(]?\\s*\\d+(?:[.,]\\d+)?\\s*(?:kb|mb|kib|mib|ko|mo)\\b"


_META = frozenset("\\()[]{}?*+|.^$")


def _mandatory_literals(phrase: str) -> list[str]:
    """The literal runs of a phrase that every match must contain (outside groups, not quantified)."""
    runs: list[str] = []
    current = ""
    depth = 0
    index = 0
    while index < len(phrase):
        char = phrase[index]
        if char == "\\":
            runs.append(current)
            current = ""
            index += 2
            continue
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        quantified = index + 1 < len(phrase) and phrase[index + 1] in "?*{"
        if depth == 0 and char not in _META and not quantified:
            current += char
        else:
            runs.append(current)
            current = ""
        index += 1
    runs.append(current)
    return [run for run in runs if run.strip()]


# Letters that `re.IGNORECASE` takes for i and s but str.lower() keeps apart ("ı", "ſ", "İ" -> "i̇").
_FOLD_LIKE_RE = (("ı", "i"), ("ſ", "s"), ("\u0307", ""))


def replace_each(text: str, pairs: tuple[tuple[str, str], ...]) -> str:
    """Replace each character of `pairs` by its replacement (none of which is itself replaced).

    A chain of str.replace, not str.translate: translate looks every character up in a dict, many times
    slower on real paragraphs, where the characters to replace are rare.
    """
    for char, plain in pairs:
        if char in text:
            text = text.replace(char, plain)
    return text


@lru_cache(maxsize=1024)
def lower_for_triggers(text: str) -> str:
    """Lower-case a text so that every case-insensitive regex match is also a substring match here."""
    return replace_each(text.lower(), _FOLD_LIKE_RE)


class PhraseSet:
    """A regex of many phrases, searched only when one of their literal parts is in the text.

    Python's `re` tries every alternative at every position of an unanchored search; `str.__contains__`
    is a fast scan. Each phrase's longest mandatory literal run is a necessary condition for a match,
    so the regex runs only on the few blocks that hold one (a 20x saving on body paragraphs).
    """

    def __init__(self, phrases: tuple[str, ...] | list[str], pattern: str) -> None:
        self.regex = re.compile(pattern, re.IGNORECASE)
        triggers: set[str] = set()
        self.always = False
        for phrase in phrases:
            literals = _mandatory_literals(phrase)
            if not literals:
                self.always = True  # no literal part to look for: always run the regex
                break
            # Folded as the searched text is: a phrase's "ı" would never be found in text where it became "i".
            triggers.add(lower_for_triggers(max(literals, key=len)))
        self.triggers = tuple(sorted(triggers))

    def may_occur(self, text: str, lowered: str | None = None) -> bool:
        """Tell whether a phrase may occur in the text: False when none can (no literal part of one is there)."""
        if self.always:
            return True
        low = lower_for_triggers(text) if lowered is None else lowered
        # A loop, not any() over a generator: this runs for every trigger of every block, and a
        # generator's frame switch per trigger costs more than the substring test itself.
        for trigger in self.triggers:  # noqa: SIM110 (the loop is the point, see above)
            if trigger in low:
                return True
        return False

    def search(self, text: str, lowered: str | None = None) -> bool:
        """Tell whether any phrase occurs in the text (`lowered`: `lower_for_triggers(text)`, if at hand)."""
        return self.may_occur(text, lowered) and self.regex.search(text) is not None

# A press contact named without a colon: "Pressesprecher*in Markus Ulrich".
CONTACT_ROLES = ("pressesprecher\\S*", "ansprechpartner\\S*", "pressekontakt", "press officer", "media contact")
