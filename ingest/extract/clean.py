"""Clean the blocks trafilatura extracted: drop repeats, captions, bylines, prompts, with reasons."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from dedupe.words import has_unspaced, text_width, word_count
from ingest.extract import furniture
from ingest.extract.boilerplate import MAX_BLOCK_CHARS, SiteBoilerplate, block_key
from ingest.extract.teaser import find_repeated_teasers, normalise, strip_marker

# Bump when a rule changes: it is part of Extracted.extractor_version, so old texts can be redone.
# 15: a long CJK paragraph closed by a wire sign-off is no caption.
CLEAN_VERSION = "15"  # 14: no tagline as standfirst, no summary in menus, cards of this site only, bios say a role

# The rules below only look at short blocks: body paragraphs are long, captions and prompts are not.
MAX_CAPTION_WORDS = 60
MAX_PROMPT_WORDS = 20
MAX_BYLINE_WORDS = 12
# How a sentence ends, in spaced scripts and in Chinese and Japanese.
_FULL_STOPS = (".", "!", "?", "。", "！", "？")
# How many leading blocks may hold the repeated title, and the chrome before it.
TITLE_WINDOW = 4
TITLE_MIN_RATIO = 92.0


@dataclass(frozen=True, slots=True)
class Removed:
    """A block taken out of the text, and why."""

    text: str
    why: str


@dataclass(frozen=True, slots=True)
class PageContext:
    """What the page says about itself, used as evidence that a block is not body text."""

    titles: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    captions: frozenset[str] = field(default_factory=frozenset)
    links: frozenset[str] = field(default_factory=frozenset)
    # The paragraph of a story card under its linked headline, as the page's markup shows it (page.py).
    card_blurbs: frozenset[str] = field(default_factory=frozenset)
    boilerplate: SiteBoilerplate | None = None


_AGENCIES = (
    r"REUTERS|Reuters|AFP|AP|AP Photo|EPA|EPA-EFE|EFE|dpa|DPA|ANSA|Getty Images|Getty|Shutterstock|"
    r"Bloomberg|Keystone|Imago|IMAGO|picture alliance|picture-alliance|SIPA|Sipa|Abaca|ABACA|"
    r"MaxPPP|Belga|BELGA|ANP|PA|PA Wire|Xinhua|XINHUA|Sputnik|TASS|Alamy|iStock|istockphoto|"
    r"Europa Press|NurPhoto|Anadolu|Anadolu Agency|Hans Lucas|Le Parisien|Wikimedia Commons|Pool|"
    r"共同通信|共同|時事通信|時事|ロイター|新华社|新華社|中新社|路透社|法新社|美联社|연합뉴스|뉴시스|"
    r"PAP|KNA|epd|APA|SDA|ČTK|Lusa|AAP|Kyodo|Yonhap|Notimex|Télam|Agencia EFE"
)
# Credit words of Chinese, Japanese, Korean and Thai captions; written without spaces, so no \b.
_CJK_CREDIT_WORDS = r"写真|撮影|図|图片来源|图片|摄影|照片|圖片來源|圖片|攝影|사진|ภาพ"
# A caption ends with its credit: "... Sputnik/Alexei Druzhinin/Kremlin via REUTERS",
# "(Photo: AFP)", "Photo : AFP", "Foto: dpa", "© Getty Images", "REUTERS/Name", "Getty Images".
CREDIT_TAIL = re.compile(
    r"(?:"
    r"(?i:[\(\[]\s*(?:photos?|fotos?|images?|pictures?|pics?|crédits?(?: photo)?|credits?|bild|"
    r"illustrations?|source|quelle|fuente)\s*:?[^()\[\]]{1,80}[\)\]]"
    r"|\b(?:photos?|fotos?|images?|pictures?|crédits? photos?|crédits?|credits?|photo credit|bild|"
    r"illustration|foto ?grafía|imagen|bildquelle|bildnachweis|quelle|zdjęcie|zdjęcia|źródło|fuente|fonte|"
    r"crédito)\s*:\s*[^.:!?]{1,60}"
    r"|\bfot\.\s*[^.!?]{1,60})"
    r"|(?:" + _CJK_CREDIT_WORDS + r")\s*[:：/／]\s*[^.!?。！？:：]{1,40}"
    r"|[（(]\s*(?:" + _CJK_CREDIT_WORDS + r")\s*[:：/／]?\s*[^（）()]{1,40}[）)]"
    r"|[=＝]\s*(?:" + _AGENCIES + r")"
    r"|©\s*[^.!?]{1,80}"
    r"|(?<=[.!?] )(?:By|Photo by|Photos by|Foto von|Fotos von|Photo par|Foto de)\s+[A-Z][A-Z.&'’/ -]{2,60}"
    r"|\bvia\s+(?:" + _AGENCIES + r")"
    r"|(?:^|[.)]\s|\s[-–—|]\s)(?:" + _AGENCIES + r")(?:\s?/\s?[\w.'’ -]{1,40})?"
    r")\s*$",
)
# A slash credit ("REUTERS/Name", "Sputnik/Name/Kremlin via REUTERS") must name an agency.
_SLASH_CREDIT = re.compile(r"/\s*[\w.'’ -]*\b(?:" + _AGENCIES + r")\b|\b(?:" + _AGENCIES + r")\s?/")
_CREDIT_WORD = re.compile(
    r"^[\(\[（]|^(?:photos?|fotos?|images?|pictures?|pics?|crédits?|credits?|photo credit|bild|illustration|"
    r"foto ?grafía|imagen|bildquelle|bildnachweis|quelle|zdjęcie|zdjęcia|źródło|fuente|fonte|crédito|fot\.|"
    r"(?-i:By|Photos? by|Fotos? von|Photo par|Foto de)\s+(?-i:[A-Z][A-Z.&'’/ -]{2,60})$)"
    r"(?!\w)|^©|^via\b|^[=＝]|^(?:" + _CJK_CREDIT_WORDS + ")",
    re.IGNORECASE,
)
_AGENCY_ONLY = re.compile(r"^(?:[.)]\s|\s?[-–—|]\s)?(?:" + _AGENCIES + r")\b")

_LABEL_WORDS = (
    # English
    r"search|menu|home|latest news|breaking news|top stories|log ?in|sign ?in|sign ?up|register|"
    r"subscribe|newsletters?|share|tweet|email|e-mail|print|comments?|advertisement|ad|"
    r"skip to (?:main )?content|close|more|related|related (?:articles|stories|content|coverage)|"
    r"most read|most popular|popular|trending|recommended|listen(?: to this article)?|"
    r"copy link|link copied|read more|see also|watch|play video|"
    # French
    r"rechercher|recherche|accueil|dernières infos|dernières nouvelles|à la une|en direct|"
    r"se connecter|connexion|s'abonner|abonnez-vous|partager|partager sur \w+|imprimer|envoyer|"
    r"commentaires?|réagir|publicité|fermer|lire aussi|à lire aussi|lire la suite|voir aussi|"
    r"sur le même sujet|les plus lus|écouter(?: cet article)?|"
    # German
    r"suche|startseite|anmelden|abonnieren|teilen|artikel teilen|drucken|kommentare?|anzeige|"
    r"schließen|weiterlesen|mehr zum thema|lesen sie auch|auch interessant|meistgelesen|"
    # Spanish
    r"buscar|inicio|iniciar sesión|suscríbete|compartir|comparte|imprimir|comentarios?|publicidad|"
    r"cerrar|leer más|lee también|lea también|te puede interesar|noticias relacionadas|lo más leído"
)
# A block that is nothing but a site's interface label.
UI_LABEL = re.compile(
    r"^(?:" + _LABEL_WORDS + "|" + furniture.alternation(furniture.LABELS) + r")\s*[:.!?»›>→]*(?:\s*\d+)?$",
    re.IGNORECASE,
)
# "Tags: Politik, Berlin", "Kategorie: News", "Etiquetas: ...": a line of topics.
TOPIC_LINE = re.compile(r"^(?:" + furniture.alternation(furniture.TOPIC_LEADS) + r")\s*:\s*\S", re.IGNORECASE)
MAX_TOPIC_WORDS = 15
# "Foto: dpa", "Beitragsbild: ...", "Fot. PAP", "Image illustrative : ...": a caption led by its credit.
CAPTION_LEAD = re.compile(
    r"^[\[(]?(?:" + furniture.alternation(furniture.CAPTION_LEADS) + r")\s*[:：]\s*\S|^fot\.\s*\S", re.IGNORECASE
)
MAX_LED_CAPTION_WORDS = 30
# A related-story or read-more prompt followed by a headline: "Read more: ...", "Lire aussi - ...".
RELATED_PROMPT = re.compile(
    r"^[\[(]?(?:read more|read also|also read|more on this(?: story)?|"
    r"related(?: (?:video|videos|story|stories|articles?|coverage|content|reading|links?))?|see also|watch|"
    r"more from \w+|lire aussi|à lire aussi|a lire aussi|lire également|à lire également|voir aussi|"
    r"sur le même sujet|à voir aussi|lesen sie auch|lesen sie mehr|mehr zum thema|auch interessant|"
    r"siehe auch|lee también|lea también|leer más|te puede interesar|también te puede interesar|"
    r"más información|noticias relacionadas|relacionado|" + furniture.alternation(furniture.RELATED_LEADS)
    + r")\s*[\])]?\s*[:>»›→|–—-]\s*\S",
    re.IGNORECASE,
)
# Subscription and sharing calls to action; they must name the newsletter, subscription or network.
CALL_TO_ACTION = re.compile(
    r"^(?:(?:sign up|subscribe|register|get|receive)\b.*\b(?:newsletter|our|updates|alerts|inbox)\b|"
    r"(?:share|partagez|partager|teilen|comparte|compartir)\b.{0,40}\b(?:facebook|twitter|x|whatsapp|"
    r"linkedin|email|e-mail|mail|article|story|artikel|artículo)\b|"
    r"follow (?:us|\w+) on\b|suivez-nous\b|folgen sie uns\b|síguenos\b|"
    r"(?:abonnez-vous|inscrivez-vous|recevez)\b.*\b(?:newsletter|lettre|offre|alertes?|abonnement)\b|"
    r"(?:jetzt )?(?:newsletter abonnieren|abonnieren sie)\b|"
    r"suscríbete\b|(?:this|the) (?:article|story) (?:was|is) (?:available|free)\b.*\bsubscri|"
    r"click here to\b|cliquez ici\b|hier klicken\b|haz clic aquí\b|subscribe to\b|"
    r"join (?:our|the) (?:commenting|comments?|discussion|conversation|community)\b|"
    r"join\b.{0,40}\b(?:conversations?|discussions?|debates?)\b.{0,60}\b(?:readers|replies|comments)\b)",
    re.IGNORECASE,
)
# A subscription pitch anywhere in a short block: "... Start your Premium subscription today."
SUBSCRIPTION_PITCH = furniture.PhraseSet(
    ("subscription", "subscribe", "abonnez", "abonnieren", "suscr"),
    r"\b(?:start|begin|get) your\b.{0,40}\bsubscription\b|\bsubscribe (?:now|today)\b|"
    r"\babonnez-vous\b|\bjetzt abonnieren\b|\bsuscr[íi]bete\b|\bnewsletter abonnieren\b",
)
MAX_PITCH_WORDS = 30
MAX_NEWSLETTER_TITLE_WORDS = 4
# Newsletters, follow-us, support and comment prompts, app downloads, in every language of furniture.py.
_NEWSLETTER = furniture.PhraseSet(
    furniture.NEWSLETTER_WORDS, r"\b(?:" + "|".join(furniture.NEWSLETTER_WORDS) + r")\b"
)
_SIGN_UP = re.compile(r"\b(?:" + "|".join(furniture.SIGN_UP_WORDS) + r")", re.IGNORECASE)
# Every follow prompt names a network: the network names are its literal triggers.
_FOLLOW = furniture.PhraseSet(
    furniture.NETWORKS,
    r"\b(?:" + "|".join(furniture.FOLLOW_WORDS) + r")\b.{0,80}\b(?:" + "|".join(furniture.NETWORKS) + r")\b"
    r"|\b(?:" + "|".join(furniture.NETWORKS) + r")\b.{0,40}\b(?:" + "|".join(furniture.FOLLOW_WORDS) + r")\b",
)
_PITCH_PHRASES = (*(p for ps in furniture.SUPPORT_PITCHES.values() for p in ps),
                  *(p for ps in furniture.COMMENT_PROMPTS.values() for p in ps), *furniture.APP_PROMPTS,
                  *furniture.EMAIL_PROMPTS, *furniture.CLICK_PROMPTS)
_PITCH = furniture.PhraseSet(_PITCH_PHRASES, r"(?:" + "|".join(_PITCH_PHRASES) + r")")
# "Facebook Twitter WhatsApp E-Mail", "Síguenos en", "Telegram,", "y Twitter": share and follow buttons.
BUTTON_ROW = re.compile(
    r"^(?:(?:" + "|".join(furniture.FOLLOW_LEADS) + r")(?=\W|$))?"
    r"(?:[\s,&/|·•:.]*(?:(?:" + "|".join(furniture.BUTTON_NETWORKS) + r")(?!\w)"
    r"|(?:" + "|".join(furniture.BUTTON_JOINERS) + r")(?=\s)))*[\s,.:!]*$",
    re.IGNORECASE,
)
MAX_BUTTON_ROW_WORDS = 12
MAX_NOTICE_WORDS = 60
# A rights line, in the languages of furniture.py: the end of the article on the sites that print one.
RIGHTS = re.compile(r"(?:" + "|".join(furniture.RIGHTS) + r")", re.IGNORECASE)
MAX_FOOTER_BLOCK_WORDS = 40
MAX_POINTER_WORDS = 12
# "Weitere Infos unter www.example.de", "Weitere Informationen zum Coronavirus:": a pointer elsewhere.
MORE_INFO = re.compile(r"^(?:" + "|".join(furniture.MORE_INFO_LEADS) + r")(?!\w)", re.IGNORECASE)
_POINTER_END = re.compile(r"(?::\s*$|\b[\w-]+\.(?:[a-z]{2,6})(?:/\S*)?\s*\.?$|https?://)", re.IGNORECASE)
CONTACT_LINE = re.compile(
    r"^(?:" + "|".join(furniture.CONTACT_LEADS) + r")(?:\s+\w+){0,3}\s*:"
    r"|^(?:" + "|".join(furniture.CONTACT_ROLES) + r")(?-i:(?:\s+[A-ZÀ-ÖØ-Þ][\w.-]*){1,3})$",
    re.IGNORECASE,
)
FILE_LINK = re.compile(furniture.FILE_LINK, re.IGNORECASE)
META_COUNT = re.compile(r"^(?:" + "|".join(furniture.META_COUNT) + r")$", re.IGNORECASE)
# A meta line: date | author | category | comments, its parts split by a bar or a dot.
_META_SPLIT = re.compile(r"\s+[|·•]\s+|\s*\|\s*")
_NAME = re.compile(r"^(?:[A-ZÀ-ÖØ-ÞŁŚŻŹĆŃ][\w'’.-]*\s?){1,3}$")
# Rights, affiliate disclosures and login walls: the notices a site puts under every article.
_NOTICE_PHRASES = tuple(p for ps in furniture.NOTICES.values() for p in ps)
NOTICE = furniture.PhraseSet(_NOTICE_PHRASES, r"(?:" + "|".join(_NOTICE_PHRASES) + r")")
# A notice led by its marker: "© 2022 ...", "Copyright ...", "*Werbung. ...", "ANZEIGE - ...".
NOTICE_LEAD = re.compile(r"^(?:©|copyright\b|\*?(?:anzeige|werbung)\s*[-:.–])", re.IGNORECASE)
_BYLINE = re.compile(
    r"^(?i:" + furniture.alternation(furniture.BYLINE_LEADS) + r")\s*:?\s+"
    r"(?:[A-ZÀ-ÖØ-Þ][\w'’.-]*(?:\s+|,\s*|\s+(?:and|et|und|y|&)\s+)?){1,8}"
    r"(?:\s*[,|–—/-]\s*[^.!?]{0,60})?$",
)
_DATE_LEAD = re.compile(
    r"^(?:published|updated|posted|last updated|first published|publié|publiée|mis à jour|modifié|"
    r"actualisé|veröffentlicht|aktualisiert|erstellt|stand|publicado|actualizado|modificado|"
    + furniture.alternation(furniture.DATE_LEADS) + r")(?!\w)",
    re.IGNORECASE,
)
_DATE_TOKEN = re.compile(
    r"\b(?:\d{1,4}(?:[-/.:h]\d{1,4}){0,3}(?:h\d{0,2})?|am|pm|a\.m\.|p\.m\.|utc|gmt|cet|cest|est|edt|"
    r"pst|pdt|bst|mez|mesz|at|à|le|um|uhr|el|de|a las|on|the|"
    r"jan(?:uary|vier)?|feb(?:ruary)?|févr(?:ier)?|mar(?:ch|s)?|märz|apr(?:il)?|avr(?:il)?|may|mai|"
    r"june?|juin|july?|juil(?:let)?|aug(?:ust)?|août|sept?(?:ember|embre)?|oct(?:ober|obre)?|"
    r"nov(?:ember|embre)?|dec(?:ember)?|déc(?:embre)?|dez(?:ember)?|januar|februar|juni|juli|oktober|"
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|"
    r"mon(?:day)?|tue(?:sday)?|wed(?:nesday)?|thu(?:rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?|"
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|montag|dienstag|mittwoch|donnerstag|"
    r"freitag|samstag|sonntag|lunes|martes|miércoles|jueves|viernes|sábado|domingo|"
    r"published|updated|posted|last|first|publié|publiée|mis|jour|modifié|actualisé|veröffentlicht|"
    r"aktualisiert|stand|publicado|actualizado|modificado|am|"
    + "|".join(furniture.MONTHS_MORE) + "|" + furniture.alternation(furniture.DATE_LEADS) + r")(?!\w)|[,.:|·•–—/()-]",
    re.IGNORECASE,
)
_HAS_DIGIT = re.compile(r"\d")
# A date line must hold a date: a month or weekday name, or a numeric date or time.
_DATE_EVIDENCE = re.compile(
    r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}[:h]\d{2}|\b(?:jan|feb|fév|mar|apr|avr|may|mai|jun|jui|jul|"
    r"aug|aoû|sep|oct|nov|dec|déc|dez|ene|abr|ago|sept|dic|mär|jän)[a-zéûä]*\b|(?<!\w)(?:"
    + "|".join(furniture.MONTHS_MORE) + r")(?!\w)",
    re.IGNORECASE,
)
# A dateline: a place, then a date ("Berlin, 12. März 2021"; "MADRID, 3 Ene.").
MAX_DATELINE_WORDS = 8
_PLACE = re.compile(r"^[A-ZÀ-ÖØ-ÞŁŚŻŹĆŃ][\w'’.-]*(?:[ -][A-ZÀ-ÖØ-ÞŁŚŻŹĆŃ][\w'’.-]*)?(?=\s*,\s*\d)")
# A signature closing a story: an editor's initials and the agency ("aja/PAP", "(dpa)", "kk/PAP").
_SIGNATURE = re.compile(
    r"^[(\[]?(?:[a-zA-ZäöüÄÖÜß]{1,5}\s?/\s?){0,3}(?:" + "|".join(furniture.SIGNING_AGENCIES) + r")"
    r"(?:\s?/\s?[a-zA-ZäöüÄÖÜß]{1,5}){0,3}[)\]]?\.?$"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")
MAX_CREDIT_WORDS = 8
CREDIT_WINDOW = 120
# A caption in Chinese, Japanese or Korean says what it shows ("撮影", "写真", "摄", "사진") or is short; a
# longer block closed by an agency's credit is a story's last paragraph with the wire's sign-off (AFPBB ends
# every story with "(c)AFP/Name").
_PHOTO_WORD = re.compile("撮影|写真|摄|图片|圖片|照片|사진|ภาพ")
MAX_SIGNED_CAPTION_WORDS = 30


@lru_cache(maxsize=8192)
def _words(text: str) -> int:
    """Count the words of a block (Chinese, Japanese, Thai... by characters: dedupe.words); each rule asks."""
    return word_count(text)


def is_photo_caption(block: str, captions: frozenset[str], spaced: str | None = None) -> bool:
    """Tell whether a block is a photo caption or credit (with positive evidence only).

    `spaced`: the block with its whitespace collapsed, if at hand."""
    if _words(block) > MAX_CAPTION_WORDS:
        return False
    if (" ".join(block.split()) if spaced is None else spaced) in captions:
        return True
    text = block.strip()
    if _words(text) <= MAX_LED_CAPTION_WORDS and CAPTION_LEAD.match(text):
        return True  # "Foto: dpa", "Beitragsbild: Titelseite der FAZ vom 2.4.2019, Ausriss."
    # "... said AFP." ends with a full stop; a credit line does not, unless bracketed.
    if text.endswith((*_FULL_STOPS, '"', "»", "”")):
        return False
    tail = _SENTENCE_END.split(text)[-1]
    if _signed_paragraph(text, tail):
        return False
    if "/" in tail and _words(tail) <= MAX_CREDIT_WORDS and _SLASH_CREDIT.search(tail):
        return True
    # Credits sit at the end: searching only the tail keeps the end-anchored regex linear.
    match = CREDIT_TAIL.search(text, max(0, len(text) - CREDIT_WINDOW))
    if match is None:
        return False
    credit = match.group(0).strip()
    if _words(credit) > MAX_CREDIT_WORDS:
        return False  # "The image: a bridge over the river at dawn ..." is a sentence, not a credit
    return bool(_CREDIT_WORD.search(credit) or _AGENCY_ONLY.search(match.group(0)))


def _signed_paragraph(text: str, tail: str) -> bool:
    """Tell whether a block of an unspaced script, closed by `tail`, is a paragraph signed off by its agency."""
    return (has_unspaced(text) and _words(text) - _words(tail) > MAX_SIGNED_CAPTION_WORDS
            and _PHOTO_WORD.search(text) is None)


def is_byline(block: str, authors: Sequence[str]) -> bool:
    """Tell whether a block is the byline: "By ...", "Par ...", or the page's author alone."""
    if _words(block) > MAX_BYLINE_WORDS:
        return False
    if _BYLINE.match(block.strip()) or _SIGNATURE.match(block.strip()):
        return True
    folded = normalise(block).strip(" .:|-")
    for author in authors:
        name = normalise(author)
        if name and (folded == name or folded in {f"by {name}", f"par {name}", f"von {name}", f"por {name}"}):
            return True
    return False


def is_date_line(block: str) -> bool:
    """Tell whether a block is only a publication or update date."""
    if _words(block) > MAX_BYLINE_WORDS or not _HAS_DIGIT.search(block) or not _DATE_EVIDENCE.search(block):
        return False
    rest = _DATE_TOKEN.sub(" ", block).strip()
    if not rest or (_DATE_LEAD.match(block.strip()) is not None and _words(rest) <= 2):
        return True
    # A dateline: a place, a comma and a date, nothing else ("Berlin, 12. März 2021").
    place = _PLACE.match(block.strip())
    return _words(block) <= MAX_DATELINE_WORDS and place is not None and rest == place.group(0)


def is_notice(block: str, lowered: str | None = None) -> bool:
    """Tell whether a block is a site notice: rights reserved, an affiliate disclosure, a login wall."""
    text = block.strip()
    return _words(text) <= MAX_NOTICE_WORDS and (NOTICE_LEAD.match(text) is not None or NOTICE.search(text, lowered))


def is_pointer(block: str) -> bool:
    """Tell whether a block only points elsewhere: "Weitere Infos unter www.x.de", "Pressekontakt: ...", a file."""
    text = block.strip()
    if _words(text) > MAX_POINTER_WORDS * 2:
        return False
    if FILE_LINK.search(text) or CONTACT_LINE.match(text):
        return True
    if _words(text) > MAX_POINTER_WORDS:
        return False
    return MORE_INFO.match(text) is not None and bool(_POINTER_END.search(text))


def _meta_part(part: str) -> str | None:
    """Name what one part of a meta line is ("date", "label", "name", ...), or None for text."""
    if not part:
        return "empty"
    if is_date_line(part) or (_HAS_DIGIT.search(part) and not _DATE_TOKEN.sub(" ", part).strip()):
        return "date"
    if META_COUNT.match(part) or UI_LABEL.match(part) or is_topic_line(part) or _BYLINE.match(part):
        return "label"
    return "name" if _NAME.match(part) else None


def is_meta_line(block: str) -> bool:
    """Tell whether a block is a post's meta line: "January 13, 2020 | categories: Python | View Comments"."""
    text = block.strip()
    if _words(text) > MAX_PROMPT_WORDS or ("|" not in text and "·" not in text and "•" not in text):
        return False
    kinds = [_meta_part(part.strip(" -–—:")) for part in _META_SPLIT.split(text)]
    return None not in kinds and ("date" in kinds or "label" in kinds)


def is_topic_line(block: str) -> bool:
    """Tell whether a block is a line of tags or categories ("Kategorie: News", "Tags: a, b")."""
    text = block.strip()
    return _words(text) <= MAX_TOPIC_WORDS and not text.endswith(_FULL_STOPS) and TOPIC_LINE.match(text) is not None


def is_prompt(block: str, *, not_label: bool = False) -> bool:
    """Tell whether a block is a share, subscribe, newsletter, read-more or related-story prompt.

    `not_label`: the caller knows UI_LABEL does not match the stripped block (it runs on every block)."""
    text = block.strip()
    if (not not_label and UI_LABEL.match(text)) or (_words(text) <= MAX_BUTTON_ROW_WORDS and BUTTON_ROW.match(text)):
        return True
    if _words(text) > MAX_PITCH_WORDS:
        return False
    low = furniture.lower_for_triggers(text)
    if _words(text) <= MAX_NEWSLETTER_TITLE_WORDS and low.rstrip(" :.!").endswith(furniture.NEWSLETTER_WORDS):
        return True  # "PC Gamer Newsletter", "Der Morgen-Newsletter"
    if SUBSCRIPTION_PITCH.search(text, low) or _FOLLOW.search(text, low) or _PITCH.search(text, low):
        return True
    if _NEWSLETTER.search(text, low) and _SIGN_UP.search(text):
        return True
    if _words(text) > MAX_PROMPT_WORDS:
        return False
    return RELATED_PROMPT.match(text) is not None or CALL_TO_ACTION.match(text) is not None


# A block without a single letter or digit: "___", "*****", "•".
_NO_WORD = re.compile(r"^\W*$")
# "Jane Doe is a reporter for ..." closing an article: the author's biography.
_BIO_ROLES = (
    r"(?i:writer|reporter|journalist|editor|correspondent|columnist|contributor|author|"
    r"producer|analyst|critic|fellow|journaliste|rédacteur|rédactrice|correspondant|correspondante|"
    r"chroniqueur|chroniqueuse|journalistin|redakteur|redakteurin|korrespondent|korrespondentin|"
    r"periodista|redactor|redactora|corresponsal|columnista|founder|co-founder|head of|gründer|gründerin|"
    r"fondateur|fondatrice|fundador|fundadora|leiter|leiterin|ceo)\b"
)
_BIO = re.compile(
    r"^(?:[A-Z][\w.&-]*['’]s\s)?(?:[A-Z][\w'’.-]*\s){0,2}[A-Z][\w'’.-]+(?:\s[A-Z][\w'’.-]+){1,3}\s(?:is|was|est|ist|es)\s"
    r"(?:a|an|the|un|une|la|le|ein|eine|el|una|currently|also|our|an award-winning)?\s?"
    r"(?:[\w-]+\s){0,4}" + _BIO_ROLES
)
# What an opening bio says after the author's name (text folded): "is a senior editor", "ist Head of", "is
# chief political correspondent": the role is what the author is, a few words on, no other article or
# preposition between ("Reuters was told by an editor ..." and "Jane Doe is not a reporter who ..." are news).
_BIO_PREDICATE = re.compile(
    r"(?:is|was|est|ist) (?:(?:a|an|the|our|un|une|la|le|ein|eine|el|una|also|currently|now) )?"
    r"(?:(?!(?:a|an|the|by|to|not|that|un|une|ein|eine|el|una|von|par|por) )[^\s.!?]+ ){0,3}" + _BIO_ROLES
)
# The heading of a closing list of other stories: "More from The Nation", "Related stories".
_RELATED_HEADING = re.compile(
    r"^(?:more from\b.{0,40}|more (?:stories|news|coverage)|related(?: (?:stories|articles|content|coverage|"
    r"reading|news))?|you (?:may|might) also like|recommended(?: for you| reading| stories)?|read next|"
    r"most (?:read|popular|viewed)|popular|trending(?: now)?|editor'?s'? picks|"
    r"à lire aussi|lire aussi|sur le même sujet|dans la même rubrique|les plus lus|nos articles|"
    r"plus d'actualités.{0,30}|mehr zum thema|mehr aus.{0,30}|das könnte sie auch interessieren|"
    r"meistgelesen|más noticias|te puede interesar|noticias relacionadas|lo más leído|"
    + furniture.alternation(furniture.RELATED_HEADINGS) + r")\s*:?$",
    re.IGNORECASE,
)
# A closing list is short blocks only; a longer block after the heading means it was not a list.
MAX_RELATED_ITEM_WORDS = 60
MAX_RELATED_SHARE = 0.5
MAX_BIO_WORDS = 90
MAX_HEADLINE_WORDS = 20
BIO_WINDOW = 5


def _doubled(text: str) -> bool:
    """Tell whether a block is one short text written twice ("Title Title"), as card links render."""
    half = len(text) // 2
    # Characters, not text_width: a short Chinese line sung twice ("想念你 想念你") is text, not a card.
    if len(text) <= 20 or _words(text) > 2 * MAX_HEADLINE_WORDS:
        return False
    return text[:half].strip() == text[half:].strip()


def _is_headline(block: str, links: frozenset[str]) -> bool:
    """Tell whether a block reads as a story card's headline: a link, or short without a full stop."""
    spaced = " ".join(block.split())
    if spaced in links or _doubled(spaced):
        return True
    return _words(block) <= MAX_HEADLINE_WORDS and not block.rstrip().endswith((*_FULL_STOPS, ":", ";"))


def _related_tail(blocks: Sequence[str], why: dict[int, str], links: frozenset[str]) -> int | None:
    """Return where a closing list of other stories starts: a heading, then headlines with blurbs."""
    total = sum(_words(b) for b in blocks)
    for index, block in enumerate(blocks):
        if why.get(index, "navigation") != "navigation" or not _RELATED_HEADING.match(block.strip()):
            continue
        tail = blocks[index + 1 :]
        if sum(_words(b) for b in tail) > MAX_RELATED_SHARE * total:
            continue
        # Each item is a headline, optionally followed by one blurb; body paragraphs do not alternate so.
        after_headline = True
        for item in tail:
            if _is_headline(item, links):
                after_headline = True
            elif after_headline and _words(item) <= MAX_RELATED_ITEM_WORDS:
                after_headline = False
            else:
                break
        else:
            return index
    return None


def _footer_after_rights(blocks: Sequence[str], why: dict[int, str]) -> int | None:
    """Return where the site's footer starts: after a rights line ("Alle Rechte vorbehalten") closing the text.

    The rights line ends the article on the sites that print one; what follows it is the site's own
    promotion. Only when the rights line sits in the second half of the page, and what follows is short
    blocks making up less than a third of the page's words.
    """
    total = sum(_words(b) for b in blocks)
    for index in range(len(blocks) // 2, len(blocks) - 1):
        if why.get(index) != "site_notice" or not RIGHTS.search(blocks[index]):
            continue
        tail = blocks[index + 1 :]
        if all(_words(b) <= MAX_FOOTER_BLOCK_WORDS for b in tail) and sum(_words(b) for b in tail) < total / 3:
            return index + 1
        return None
    return None


def is_author_bio(block: str, authors: Sequence[str], *, opening: bool = False) -> bool:
    """Tell whether a block is the author's biography ("Jane Doe is a reporter ...").

    `opening`: asked of the first blocks, where only the page's own author named as the subject and given
    a role counts ("David Lauter is a senior editor at ..."), not any name.
    """
    if _words(block) > MAX_BIO_WORDS:
        return False
    text = block.strip()
    folded = normalise(text)
    for author in authors:
        name = normalise(author)
        if name and folded.startswith((f"{name} is ", f"{name} was ", f"{name} est ", f"{name} ist ")):
            return not opening or _BIO_PREDICATE.match(folded, len(name) + 1) is not None
    return not opening and _BIO.match(text) is not None


def is_card_blurb(block: str) -> bool:
    """Tell whether a block is a story card's blurb: short and cut off ("… War Volkswagen anfangs vom ...").

    Asked only of the block right after a link to another story: the blurb under a card's headline.
    """
    return _words(block) <= MAX_RELATED_ITEM_WORDS and strip_marker(block)[1]


def _title_index(blocks: Sequence[str], titles: Sequence[str]) -> int | None:
    """Return the index of the leading block that repeats the title, if any."""
    folded_titles = [normalise(t) for t in titles if t and t.strip()]
    for index, block in enumerate(blocks[:TITLE_WINDOW]):
        folded = normalise(block)
        if text_width(folded) < 8:
            continue
        for title in folded_titles:
            if folded == title or fuzz.ratio(folded, title) >= TITLE_MIN_RATIO:
                return index
    return None


def single_cell(block: str) -> str:
    """Return the text of a table row with a single non-empty cell ("| Weitere Artikel |"), else the block."""
    text = block.strip()
    if len(text) < 2 or text[0] != "|" or text[-1] != "|":
        return block
    cells = [cell.strip() for cell in text[1:-1].split("|") if cell.strip()]
    return " ".join(cells[0].split()) if len(cells) == 1 else block


def _block_reason(row: str, context: PageContext) -> str | None:
    """Why one block is furniture, judged on its own (None: it is not, as far as this block alone tells)."""
    block = single_cell(row)  # a layout table's row with one cell is judged by that cell
    spaced = " ".join(block.split())
    if _NO_WORD.match(block):
        return "separator"
    if UI_LABEL.match(block.strip()) or is_topic_line(block) or is_pointer(block) or is_meta_line(block):
        return "navigation"
    if block is row and (spaced in context.links or _doubled(spaced)):  # a table cell may be a link
        return "related_link"
    if spaced in context.card_blurbs and _words(block) <= MAX_RELATED_ITEM_WORDS:
        return "related_link"  # a card's blurb whose headline trafilatura left out
    if is_byline(block, context.authors):
        return "byline"
    if is_date_line(block):
        return "date_line"
    if is_photo_caption(block, context.captions, spaced):
        return "photo_caption"
    if is_prompt(block, not_label=True):  # UI_LABEL was matched above
        return "share_prompt"
    if is_notice(block):
        return "site_notice"
    return None


def clean_blocks(blocks: Sequence[str], context: PageContext) -> tuple[list[str], list[Removed]]:
    """Split blocks into the kept body and the removed ones, each removal with its reason."""
    why: dict[int, str] = {}
    title_at = _title_index(blocks, context.titles)
    if title_at is not None:
        why[title_at] = "title_repeated"
        for index in range(title_at):
            # Above the headline only short chrome can sit: "Rechercher", "Dernières Infos".
            if _words(blocks[index]) <= 4 and not blocks[index].rstrip().endswith(_FULL_STOPS):
                why[index] = "navigation"
    for index, row in enumerate(blocks):
        reason = None if index in why else _block_reason(row, context)
        if reason is not None:
            why[index] = reason
    for index in range(1, len(blocks)):
        if index not in why and why.get(index - 1) == "related_link" and is_card_blurb(blocks[index]):
            why[index] = "related_link"
    # The closing bio closes the text: in a short one the last few blocks reach back to its opening,
    # where "Reuters was told ..." is news, so that window keeps to the second half.
    for index in range(max(len(blocks) // 2, len(blocks) - BIO_WINDOW), len(blocks)):
        if index not in why and is_author_bio(blocks[index], context.authors):
            why[index] = "author_bio"
    # The author's box may also open the text (it sits by the byline): there only the page's own author
    # named as the block's subject is evidence, not any capitalised name.
    for index in range(min(BIO_WINDOW, len(blocks))):
        if index not in why and is_author_bio(blocks[index], context.authors, opening=True):
            why[index] = "author_bio"
    footer_at = _footer_after_rights(blocks, why)
    if footer_at is not None:
        for index in range(footer_at, len(blocks)):
            why.setdefault(index, "site_notice")
    tail_at = _related_tail(blocks, why, context.links)
    if tail_at is not None:
        for index in range(tail_at, len(blocks)):
            why[index] = "related_stories" if why.get(index, "navigation") == "navigation" else why[index]
    remaining = [i for i in range(len(blocks)) if i not in why]
    for position in find_repeated_teasers([blocks[i] for i in remaining]):
        why[remaining[position]] = "repeated_teaser"
    if context.boilerplate is not None:
        for index, block in enumerate(blocks):
            if index not in why and text_width(block) <= MAX_BLOCK_CHARS and context.boilerplate.is_boilerplate(
                block_key(block)
            ):
                why[index] = "site_boilerplate"
    kept = [block for index, block in enumerate(blocks) if index not in why]
    removed = [Removed(text=blocks[index], why=why[index]) for index in sorted(why)]
    return kept, removed
