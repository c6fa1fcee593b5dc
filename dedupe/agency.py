"""Recognise the news agency credited by a text: datelines, bylines and copyright lines."""

from __future__ import annotations

import re

# Canonical name -> spellings as they appear in credits. Order matters only for readability.
AGENCIES: dict[str, tuple[str, ...]] = {
    "AFP": ("AFP", "Agence France-Presse", "Agence France Presse"),
    "Reuters": ("Reuters", "Thomson Reuters"),
    "AP": ("AP", "Associated Press", "The Associated Press"),
    "dpa": ("dpa", "DPA", "Deutsche Presse-Agentur"),
    "ANSA": ("ANSA",),
    "EFE": ("EFE", "Agencia EFE"),
    "Xinhua": ("Xinhua", "Xinhua News Agency"),
    "Bloomberg": ("Bloomberg", "Bloomberg News"),
    "PA": ("PA", "PA Media", "Press Association"),
    "Kyodo": ("Kyodo", "Kyodo News"),
    "Yonhap": ("Yonhap",),
    "TASS": ("TASS",),
    "Anadolu": ("Anadolu", "Anadolu Agency", "AA"),
    "UPI": ("UPI", "United Press International"),
    "Belga": ("Belga",),
    "APA": ("APA",),
    "Keystone-SDA": ("Keystone-SDA", "Keystone-ATS", "SDA", "ATS"),
    "Europa Press": ("Europa Press",),
    "Lusa": ("Lusa",),
    "ANP": ("ANP",),
    "PTI": ("PTI", "Press Trust of India"),
    "IANS": ("IANS",),
    "AAP": ("AAP", "Australian Associated Press"),
    "CP": ("The Canadian Press", "Canadian Press"),
    "Jiji": ("Jiji", "Jiji Press"),
}

_CANONICAL: dict[str, str] = {spelling.lower(): name for name, spellings in AGENCIES.items() for spelling in spellings}
# Longest spelling first so "Associated Press" wins over "AP" inside one alternation.
_NAMES = "|".join(re.escape(s) for s in sorted({s for ss in AGENCIES.values() for s in ss}, key=len, reverse=True))
_DASH = r"[-‐‑‒–—―]"

# Credits that name an agency unambiguously; each pattern captures the spelling in group "name".
_CREDITS: tuple[re.Pattern[str], ...] = (
    # "(AFP)", "(Reuters)", "(AP)", "(dpa/AFP)" -- a parenthesised agency credit near a dateline.
    re.compile(rf"\((?:[^()\n]{{0,40}}[/,]\s*)?(?P<name>{_NAMES})(?:\s*[/,][^()\n]{{0,40}})?\)"),
    # "© AFP", "© 2024 AFP", "(c) Reuters", "Copyright 2024 The Associated Press".
    re.compile(rf"(?:©|\([cC]\)|[Cc]opyright|COPYRIGHT)\s*(?:\d{{4}}\s*)?(?P<name>{_NAMES})\b"),
    # "— AP" or "- AFP" closing a line, and "Source: AFP", "avec AFP", "with Reuters".
    re.compile(rf"{_DASH}\s*(?P<name>{_NAMES})\s*$", re.MULTILINE),
    re.compile(
        rf"(?:\b[Ss]ource\s*:|\b[Aa]vec\b|\b[Ww]ith\b|\b[Bb]y\b|\b[Pp]ar\b)\s*(?:l'|[Tt]he\s+)?(?P<name>{_NAMES})"
        r"\s*\)?\s*$",
        re.MULTILINE,
    ),
    # Full agency names are credits wherever they stand ("Agence France-Presse", "Associated Press").
    re.compile(
        r"\b(?P<name>Agence France-Presse|Agence France Presse|Associated Press|Deutsche Presse-Agentur"
        r"|Xinhua News Agency|Press Trust of India|Australian Associated Press|Canadian Press)\b"
    ),
)


_SPELLINGS = tuple(spelling for spellings in AGENCIES.values() for spelling in spellings)
_COPYRIGHT = ("©", "(c)", "(C)", "opyright", "COPYRIGHT")
_FULL_NAMES = (
    "Agence France",
    "Associated Press",
    "Deutsche Presse-Agentur",
    "Xinhua News Agency",
    "Press Trust of India",
    "Canadian Press",
)


def _name_ends_a_line(text: str) -> bool:
    """Tell whether a line ends with an agency spelling, maybe followed by ")" (sign-off credits)."""
    for line in text.split("\n"):
        end = line.rstrip()
        if end.endswith(")"):
            end = end[:-1].rstrip()
        if end.endswith(_SPELLINGS):
            return True
    return False


def agency_of(text: str) -> str | None:
    """Return the canonical name of the agency credited by `text` (earliest credit wins), or None."""
    best: tuple[int, str] | None = None
    if len(text) > 1200:
        # Credits stand at the top (dateline) or the bottom (copyright, sign-off) of a text.
        text = text[:600] + "\n" + text[-600:]
    # A pattern is scanned only when the text passes a cheap test that each of its matches passes.
    sign_off = _name_ends_a_line(text)  # the dash and "with"/"source" credits end at a line end
    possible = (
        True,
        any(part in text for part in _COPYRIGHT),
        sign_off,
        sign_off,
        any(part in text for part in _FULL_NAMES),
    )
    for pattern, maybe in zip(_CREDITS, possible, strict=True):
        if not maybe:
            continue
        for match in pattern.finditer(text):
            spelling = match.group("name")
            name = _CANONICAL.get(spelling.lower())
            if name is None:
                continue
            # Short all-caps credits ("AP", "PA", "AA") must be written in capitals to count.
            if len(spelling) <= 3 and spelling != spelling.upper() and name not in ("dpa",):
                continue
            if best is None or match.start() < best[0]:
                best = (match.start(), name)
            break
    return None if best is None else best[1]
