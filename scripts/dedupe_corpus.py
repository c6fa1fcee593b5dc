"""Generate a labelled, seeded corpus of republished news copies and hard negatives for dedupe.

Real text comes from the gold paragraphs of ../shared/data/fundus-eval/ground_truth.json; more stories
are drawn from a word Markov chain trained on them (fresh names and numbers injected), so 100k
documents stay realistic without repeating. Every document carries its true story id and the kind of
story it belongs to, so the scorer can break false merges down by hard-negative kind.

    python scripts/dedupe_corpus.py --docs 2000 --out /tmp/dedupe-2k.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared/data"
GROUND_TRUTH = DATA / "fundus-eval" / "ground_truth.json"
_DATELINE = re.compile(r"^[A-Z][^()\n]{0,60}\([A-Za-z. ]{1,20}\)\s*[-–—]\s*")
START = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)

AGENCIES = [
    ("AFP", "afp.com"),
    ("Reuters", "reuters.com"),
    ("AP", "apnews.com"),
    ("dpa", "dpa.com"),
    ("ANSA", "ansa.it"),
    ("EFE", "efe.com"),
    ("Xinhua", "news.cn"),
    ("Bloomberg", "bloomberg.com"),
]
CITIES = [
    "PARIS",
    "LONDON",
    "WASHINGTON",
    "BERLIN",
    "ROME",
    "MADRID",
    "BEIJING",
    "NEW YORK",
    "BRUSSELS",
    "GENEVA",
    "TOKYO",
    "NAIROBI",
    "CAIRO",
    "KYIV",
    "MOSCOW",
    "SYDNEY",
    "OTTAWA",
    "LAGOS",
    "DUBAI",
]
FIRST = [
    "Anna",
    "Marc",
    "Sofia",
    "Jonas",
    "Leila",
    "Tomás",
    "Ingrid",
    "Kofi",
    "Mei",
    "Rahul",
    "Olga",
    "Pierre",
    "Hannah",
    "Diego",
    "Yuki",
    "Amara",
    "Lukas",
    "Chloé",
    "Omar",
    "Greta",
    "Ivan",
    "Nadia",
    "Paolo",
    "Zoe",
]
LAST = [
    "Keller",
    "Moreau",
    "Okafor",
    "Lindqvist",
    "Tanaka",
    "Rossi",
    "Novak",
    "Haddad",
    "Brennan",
    "Sato",
    "Dubois",
    "Mensah",
    "Kowalski",
    "Ferreira",
    "Nguyen",
    "Schmidt",
    "Petrov",
    "García",
    "Olsen",
    "Byrne",
]
PLACES = [
    "Marseille",
    "Leeds",
    "Dortmund",
    "Turin",
    "Seville",
    "Porto",
    "Lyon",
    "Glasgow",
    "Utrecht",
    "Basel",
    "Gdansk",
    "Bruges",
    "Bilbao",
    "Naples",
    "Leipzig",
    "Nantes",
    "Cork",
    "Malmo",
    "Graz",
    "Split",
]
TEAMS = [
    "Arsenal",
    "Chelsea",
    "Liverpool",
    "Everton",
    "Tottenham",
    "Newcastle",
    "Brighton",
    "Fulham",
    "Aston Villa",
    "Wolves",
    "Brentford",
    "Crystal Palace",
    "West Ham",
    "Nottingham Forest",
    "Bournemouth",
    "Burnley",
    "Luton",
    "Sheffield United",
    "Manchester City",
    "Manchester United",
]
CLUBS_FR = ["Lyon", "Marseille", "Lille", "Rennes", "Nice", "Lens", "Nantes", "Brest", "Reims", "Monaco"]
STADIUMS = ["the Emirates", "Stamford Bridge", "Anfield", "Goodison Park", "Villa Park", "Craven Cottage"]
INDICES = [
    ("FTSE 100", "London"),
    ("CAC 40", "Paris"),
    ("DAX", "Frankfurt"),
    ("Nikkei 225", "Tokyo"),
    ("Dow Jones", "New York"),
    ("IBEX 35", "Madrid"),
    ("FTSE MIB", "Milan"),
    ("AEX", "Amsterdam"),
]
COMPANIES = [
    "Unilever",
    "Siemens",
    "TotalEnergies",
    "Shell",
    "BASF",
    "Airbus",
    "Renault",
    "Barclays",
    "Enel",
    "Iberdrola",
    "Toyota",
    "Sony",
    "Philips",
    "Heineken",
    "Nestlé",
    "Novartis",
    "Danone",
    "Bayer",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
JOURS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
VILLES = ["Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Strasbourg", "Lille", "Bordeaux", "Nice"]

# Own French texts: news stories used as they are (with copies), beside the English real text.
FRENCH_STORIES = [
    [
        "Le gouvernement a présenté mercredi en Conseil des ministres un projet de loi destiné à "
        "simplifier les démarches des petites entreprises, a annoncé la porte-parole de l'exécutif.",
        "Le texte prévoit notamment la suppression de plusieurs formulaires jugés redondants et la "
        "création d'un guichet numérique unique pour les déclarations sociales et fiscales.",
        "Les organisations patronales ont salué « un pas dans la bonne direction », tout en regrettant "
        "l'absence de mesures sur le coût de l'énergie, qui pèse sur les artisans depuis deux ans.",
        "Les syndicats, eux, s'inquiètent d'un affaiblissement des contrôles et demandent à être reçus "
        "par la ministre avant l'examen du texte à l'Assemblée nationale, prévu au printemps.",
        "Selon l'entourage de la ministre, une concertation sera ouverte dès la semaine prochaine avec "
        "l'ensemble des partenaires sociaux, afin d'amender le projet avant son passage au Parlement.",
    ],
    [
        "Des pluies diluviennes se sont abattues dans la nuit de dimanche à lundi sur le sud-est de la "
        "France, provoquant des inondations dans plusieurs communes et l'évacuation de centaines "
        "d'habitants.",
        "Les pompiers sont intervenus à plus de quatre cents reprises, principalement pour des caves "
        "inondées et des routes coupées, selon un bilan communiqué lundi matin par la préfecture.",
        "Aucune victime n'était à déplorer en début de matinée, mais deux automobilistes ont dû être "
        "hélitreuillés après avoir été surpris par la montée des eaux sur une route départementale.",
        "Météo-France a maintenu la vigilance orange pour trois départements jusqu'à mardi, en "
        "prévenant que de nouveaux orages pourraient éclater dans l'après-midi sur les reliefs.",
        "Le ministre de l'Intérieur doit se rendre sur place dans la journée pour rencontrer les élus "
        "et les services de secours mobilisés depuis la veille au soir.",
    ],
]


@dataclass(slots=True)
class Record:
    """One labelled document of the corpus."""

    id: str
    title: str
    text: str
    url: str
    published: str
    story: str
    kind: str  # news | brief | template | followup
    outlet: str
    edits: list[str] = field(default_factory=list)
    family: str | None = None  # template family for template stories
    followup_of: str | None = None  # story whose lead sentence a follow-up reuses


class Markov:
    """Word chain (order 2, backing off to order 1) over real paragraphs that writes fresh sentences."""

    def __init__(self, paragraphs: list[str], rng: random.Random) -> None:
        """Train on paragraphs; `rng` drives generation."""
        self.rng = rng
        self.chain: dict[tuple[str, str], list[str]] = {}
        self.follow: dict[str, list[str]] = {}
        self.starts: list[tuple[str, str]] = []
        for paragraph in paragraphs:
            words = paragraph.split()
            if len(words) < 6:
                continue
            sentence_start = True
            for i in range(len(words) - 2):
                key = (words[i], words[i + 1])
                if sentence_start and words[i][:1].isupper():
                    self.starts.append(key)
                self.chain.setdefault(key, []).append(words[i + 2])
                self.follow.setdefault(words[i + 1], []).append(words[i + 2])
                sentence_start = words[i].endswith((".", "!", "?"))

    def sentence(self, limit: int = 40) -> list[str]:
        """Write one sentence of at most `limit` words, with its names and numbers replaced."""
        a, b = self.rng.choice(self.starts)
        words = [a, b]
        while len(words) < limit and not words[-1].endswith((".", "!", "?")):
            # Back off to a one-word context now and then, so stories do not replay the source's
            # word triples (real articles share few 3-shingles with each other).
            backoff = self.rng.random() < 0.4
            options = self.follow.get(words[-1]) if backoff else self.chain.get((words[-2], words[-1]))
            if not options:
                break
            words.append(self.rng.choice(options))
        if not words[-1].endswith((".", "!", "?")):
            words[-1] += "."
        return [self._fresh(w, i) for i, w in enumerate(words)]

    def _fresh(self, word: str, position: int) -> str:
        """Swap some names and every number for new ones so stories differ in their facts."""
        core = word.strip(".,;:!?\"'’”“()")
        if not core:
            return word
        if core.isdigit():
            return word.replace(core, str(self.rng.randint(2, 999)))
        if position > 0 and core[0].isupper() and core.isalpha() and self.rng.random() < 0.5:
            return word.replace(core, self.rng.choice(LAST + PLACES))
        return word

    def paragraph(self) -> str:
        """Write a paragraph of one to three sentences."""
        return " ".join(w for _ in range(self.rng.randint(1, 3)) for w in self.sentence())


def load_paragraphs() -> list[list[str]] | None:
    """Return the gold paragraphs of the Fundus evaluation set, or None when the data is absent."""
    if not GROUND_TRUTH.exists():
        return None
    truth = json.loads(GROUND_TRUTH.read_text(encoding="utf-8"))
    articles = [[p.strip() for p in item["body"] if p.strip()] for _, item in sorted(truth.items())]
    # The originals get our own agency dateline, so drop the one some gold bodies start with.
    return [[_DATELINE.sub("", a[0], count=1), *a[1:]] for a in articles if a]


class Generator:
    """Builds stories and their republished copies, in time order, deterministically from a seed."""

    def __init__(self, articles: list[list[str]], seed: int, docs_per_day: int) -> None:
        """Prepare outlets, footers and the Markov chain."""
        self.rng = random.Random(seed)
        self.articles = [a for a in articles if sum(len(p.split()) for p in a) >= 60]
        self.markov = Markov([p for a in articles for p in a], random.Random(seed + 1))
        self.step = timedelta(days=1) / docs_per_day
        self.seq = 0
        self.outlets = [f"outlet{i:02d}" for i in range(40)]
        # A third of the outlets append one long boilerplate footer to everything they publish.
        self.footers = {o: self._footer(o) for o in self.outlets if int(o[-2:]) % 3 == 0}
        self.stories: list[tuple[str, list[str], str]] = []  # (story id, paragraphs, title) for follow-ups

    def _footer(self, outlet: str) -> str:
        """Write an outlet's long footer block."""
        rng = random.Random(outlet)
        extra = " ".join(rng.choice(["news", "daily", "local", "updates", "alerts", "stories"]) for _ in range(6))
        return (
            f"Subscribe to the {outlet.title()} newsletter to get the day's top stories delivered to your "
            f"inbox every morning, plus {extra} and exclusive offers from our partners. You can "
            "unsubscribe at any time. We use cookies and similar technologies to personalise content and "
            f"ads, to provide social media features and to analyse our traffic. © 2024 {outlet.title()} "
            "Media Group. All rights reserved. This material may not be published, broadcast, rewritten "
            "or redistributed without permission. Have a news tip? Contact our newsroom by email or "
            "through the secure form on our website, and follow us on social media for live coverage."
        )

    def _id(self) -> str:
        """Return the next document id."""
        self.seq += 1
        return f"d{self.seq:07d}"

    def _title(self, paragraphs: list[str]) -> str:
        """Make a headline from a window of the lead's words."""
        words = re.sub(r"^[^a-zA-Z]+", "", " ".join(paragraphs[:2])).split()
        size = self.rng.randint(6, 11)
        start = self.rng.randint(0, max(0, min(len(words) - size, 25)))
        title = " ".join(words[start : start + size]).strip(".,;:")
        return title[:1].upper() + title[1:]

    def _url(self, outlet: str, title: str) -> str:
        """Make an outlet URL for a headline."""
        slug = "-".join(re.findall(r"[a-z0-9]+", title.lower())[:8])
        return f"https://{outlet}.example/{slug}-{self.rng.randrange(10**6):06d}"

    def _typography(self, text: str) -> str:
        """Change quotes, dashes, spaces and ellipses the way CMSes do."""
        table = [("'", "’"), ('"', "“"), (" - ", " – "), ("...", "…"), (". ", ".  "), (", ", ",\u00a0")]
        for old, new in self.rng.sample(table, 3):
            text = text.replace(old, new)
        return text

    def news(
        self,
        paragraphs: list[str],
        time: datetime,
        out: list[Record],
        *,
        kind: str = "news",
        family: str | None = None,
        followup_of: str | None = None,
        copies: int | None = None,
    ) -> str:
        """Emit an agency original and its republished copies; return the story id."""
        story = f"t{len(self.stories):06d}"
        agency, domain = self.rng.choice(AGENCIES)
        city = self.rng.choice(CITIES)
        dateline = f"{city} ({agency}) - "
        title = self._title(paragraphs)
        self.stories.append((story, paragraphs, title))
        original = [dateline + paragraphs[0], *paragraphs[1:]]
        credit = self.rng.random() < 0.3
        text = "\n\n".join(original) + (f"\n\n© {agency}" if credit else "")
        first = Record(
            self._id(),
            title,
            text,
            self._url(domain, title),
            time.isoformat(),
            story,
            kind,
            domain,
            [],
            family,
            followup_of,
        )
        out.append(first)
        versions = [(original, time)]
        if kind == "news" and len(paragraphs) >= 4 and self.rng.random() < 0.15:
            added = [self.markov.paragraph() for _ in range(self.rng.randint(1, 3))]
            later = time + timedelta(hours=self.rng.uniform(1, 10))
            update = [dateline + added[0], *added[1:], *paragraphs]
            out.append(
                Record(
                    self._id(),
                    "UPDATE 1-" + title,
                    "\n\n".join(update),
                    self._url(domain, title),
                    later.isoformat(),
                    story,
                    kind,
                    domain,
                    ["updated"],
                    family,
                    followup_of,
                )
            )
            versions.append((update, later))
        n = copies if copies is not None else self.rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 8])
        for _ in range(n):
            source, base = self.rng.choice(versions)
            out.append(
                self._copy(
                    source,
                    base,
                    story,
                    kind=kind,
                    family=family,
                    followup_of=followup_of,
                    paragraphs=paragraphs,
                )
            )
        return story

    def _copy(
        self,
        source: list[str],
        base: datetime,
        story: str,
        *,
        kind: str,
        family: str | None,
        followup_of: str | None,
        paragraphs: list[str],
    ) -> Record:
        """Republish a version at another outlet with that outlet's edits."""
        rng = self.rng
        outlet = rng.choice(self.outlets)
        body = list(source)
        edits = ["headline"]
        roll = rng.random()
        if roll < 0.08 and kind == "news":
            edits.append("teaser")
            words = re.sub(r"^.*? - ", "", " ".join(body[:2])).split()
            body = [" ".join(words[: rng.randint(25, 60)]) + "…", "Read more"]
        elif roll < 0.16:
            edits.append("exact")
        else:
            if rng.random() < 0.5:
                edits.append("no_dateline")
                body[0] = re.sub(r"^.*? - ", "", body[0], count=1)
            if len(body) > 3 and rng.random() < 0.35:
                edits.append("trimmed")
                body = body[: max(2, int(len(body) * rng.uniform(0.4, 0.85)))]
            if rng.random() < 0.2:
                edits.append("caption")
                caption = (
                    f"{rng.choice(FIRST)} {rng.choice(LAST)} speaks in {rng.choice(PLACES)} on "
                    f"{rng.choice(DAYS)}. (Photo by {rng.choice(FIRST)} {rng.choice(LAST)} / AFP)"
                )
                body = [caption, *body] if rng.random() < 0.3 else [*body, caption]
            if rng.random() < 0.2:
                edits.append("read_more")
                other = self.stories[rng.randrange(len(self.stories))][2]
                body.append(f"Read more: {other}")
            if rng.random() < 0.1 and len(body) > 2:
                edits.append("joined_paragraphs")
                body = [body[0] + " " + body[1], *body[2:]]
            if rng.random() < 0.4:
                edits.append("typography")
                body = [self._typography(p) for p in body]
        text = "\n\n".join(body)
        if outlet in self.footers and "exact" not in edits:
            edits.append("footer")
            text += "\n\n" + self.footers[outlet]
        title = self._title(paragraphs)
        time = base + timedelta(hours=rng.uniform(0.1, 30))
        return Record(
            self._id(),
            title,
            text,
            self._url(outlet, title),
            time.isoformat(),
            story,
            kind,
            outlet,
            edits,
            family,
            followup_of,
        )

    def brief(self, time: datetime, out: list[Record]) -> None:
        """Emit a short local brief from a footer outlet (shares the footer with its other briefs)."""
        outlet = self.rng.choice(sorted(self.footers))
        paragraphs = [self.markov.paragraph() for _ in range(self.rng.randint(1, 2))]
        story = f"t{len(self.stories):06d}"
        title = self._title(paragraphs)
        self.stories.append((story, paragraphs, title))
        text = "\n\n".join(paragraphs) + "\n\n" + self.footers[outlet]
        out.append(
            Record(
                self._id(),
                title,
                text,
                self._url(outlet, title),
                time.isoformat(),
                story,
                "brief",
                outlet,
                ["footer"],
            )
        )

    def template(self, time: datetime, out: list[Record]) -> None:
        """Emit a template story (results, markets, weather) and a few copies of it."""
        family = self.rng.choice(["football", "football_fr", "markets", "weather", "meteo"])
        paragraphs = getattr(self, "_" + family)(time)
        self.news(paragraphs, time, out, kind="template", family=family, copies=self.rng.choice([0, 1, 2]))

    def _football(self, time: datetime) -> list[str]:
        """Write a football result."""
        r = self.rng
        home, away = r.sample(TEAMS, 2)
        hs, as_ = r.randint(0, 5), r.randint(0, 5)
        s1, s2 = f"{r.choice(FIRST)} {r.choice(LAST)}", f"{r.choice(FIRST)} {r.choice(LAST)}"
        day = DAYS[time.weekday()]
        return [
            f"{home} and {away} finished {hs}-{as_} at {r.choice(STADIUMS)} on {day} in front of a crowd "
            f"of {r.randint(20, 75)},{r.randint(100, 999)}.",
            f"{s1} opened the scoring in the {r.randint(2, 44)}th minute and {s2} added another goal in "
            f"the {r.randint(46, 90)}th minute, after a first half in which both sides had chances.",
            f"The result leaves {home} in {r.randint(1, 20)}th place in the Premier League with "
            f"{r.randint(10, 80)} points from {r.randint(20, 38)} games, while {away} stay on "
            f"{r.randint(10, 80)} points.",
            "The Premier League season continues next weekend with a full programme of fixtures, and "
            "both managers will give their post-match press conferences on the club channels.",
        ]

    def _football_fr(self, time: datetime) -> list[str]:
        """Write a French football result."""
        r = self.rng
        home, away = r.sample(CLUBS_FR, 2)
        return [
            f"{home} et {away} se sont quittés sur le score de {r.randint(0, 4)} à {r.randint(0, 4)} "
            f"{JOURS[time.weekday()]} soir, lors de la {r.randint(5, 34)}e journée de Ligue 1.",
            f"{r.choice(FIRST)} {r.choice(LAST)} a ouvert le score à la {r.randint(2, 44)}e minute, avant "
            f"que {r.choice(FIRST)} {r.choice(LAST)} ne réplique à la {r.randint(46, 90)}e minute.",
            f"Au classement, {home} occupe la {r.randint(1, 18)}e place avec {r.randint(10, 70)} points, "
            f"tandis que {away} compte {r.randint(10, 70)} points.",
            "Le championnat reprend la semaine prochaine avec une journée complète, et les deux "
            "entraîneurs s'exprimeront en conférence de presse sur les chaînes des clubs.",
        ]

    def _markets(self, time: datetime) -> list[str]:
        """Write a market report."""
        r = self.rng
        index, city = r.choice(INDICES)
        c1, c2 = r.sample(COMPANIES, 2)
        return [
            f"The {index} closed {r.uniform(0.1, 2.5):.2f} percent higher at {r.randint(3000, 40000)} "
            f"points on {DAYS[time.weekday()]}, as investors in {city} weighed fresh economic data.",
            f"{c1} shares rose {r.uniform(0.5, 6):.1f} percent after results, while {c2} lost "
            f"{r.uniform(0.5, 6):.1f} percent. Brent crude traded at {r.uniform(70, 95):.2f} dollars a "
            f"barrel and the euro at {r.uniform(1.02, 1.15):.4f} dollars.",
            "Analysts said markets would remain sensitive to central bank comments and to the next "
            "inflation figures, which are due at the end of the month.",
        ]

    def _weather(self, time: datetime) -> list[str]:
        """Write a weather report."""
        r = self.rng
        city = r.choice(PLACES + VILLES)
        return [
            f"Weather forecast for {city} on {DAYS[time.weekday()]}: cloudy with sunny spells, highs of "
            f"{r.randint(5, 35)}C and lows of {r.randint(-5, 20)}C.",
            f"Winds will blow at {r.randint(5, 60)} km/h with gusts of up to {r.randint(30, 110)} km/h, "
            f"and the chance of rain is {r.randint(0, 100)} percent. Sunrise is at 6:{r.randint(10, 59)} "
            f"and sunset at 19:{r.randint(10, 59)}.",
            "Forecasts are updated several times a day by the national weather service, and warnings "
            "are issued for storms, heat and flooding when needed.",
        ]

    def _meteo(self, time: datetime) -> list[str]:
        """Write a French weather report."""
        r = self.rng
        ville = r.choice(VILLES)
        return [
            f"Prévisions météo pour {ville} ce {JOURS[time.weekday()]} : temps nuageux avec des éclaircies, "
            f"{r.randint(5, 35)} degrés l'après-midi et {r.randint(-5, 20)} degrés au lever du jour.",
            f"Le vent soufflera à {r.randint(5, 60)} km/h avec des rafales jusqu'à {r.randint(30, 110)} "
            f"km/h, et le risque de pluie est de {r.randint(0, 100)} %.",
            "Les prévisions sont mises à jour plusieurs fois par jour par le service météorologique "
            "national, qui émet des vigilances en cas d'orages, de canicule ou d'inondations.",
        ]

    def followup(self, time: datetime, out: list[Record]) -> None:
        """Emit a follow-up story that reuses the lead sentence of a recent story."""
        recent = [s for s in self.stories[-200:] if len(s[1]) >= 3]
        if not recent:
            return
        parent, paragraphs, title = self.rng.choice(recent)
        lead = re.split(r"(?<=[.!?])\s+", paragraphs[0])[0]
        body = [lead + " " + " ".join(self.markov.sentence()), *(self.markov.paragraph() for _ in range(5))]
        self.news(body, time, out, kind="followup", followup_of=parent)
        self.stories[-1] = (self.stories[-1][0], body, title + ": what happens next")

    def generate(self, n_docs: int) -> list[Record]:
        """Return about `n_docs` documents sorted by publication time."""
        out: list[Record] = []
        time = START
        sources: Iterator[list[str]] = iter([*self.articles, *FRENCH_STORIES])
        while len(out) < n_docs:
            roll = self.rng.random()
            time += self.step * (len(out) and 1) * 4
            if roll < 0.55:
                paragraphs = next(sources, None)
                if paragraphs is None:
                    paragraphs = [self.markov.paragraph() for _ in range(self.rng.randint(4, 14))]
                self.news(paragraphs, time, out)
            elif roll < 0.75:
                self.template(time, out)
            elif roll < 0.87:
                self.brief(time, out)
            else:
                self.followup(time, out)
        out.sort(key=lambda r: (r.published, r.id))
        return out[:n_docs]


def main(argv: list[str] | None = None) -> int:
    """Write the corpus as JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000, help="number of documents")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--docs-per-day", type=int, default=1500, help="publication rate of the timeline")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    articles = load_paragraphs()
    if articles is None:
        print(f"skipped: {GROUND_TRUTH} is absent (the corpus needs ../shared/data)", file=sys.stderr)
        return 0
    records = Generator(articles, args.seed, args.docs_per_day).generate(args.docs)
    with args.out.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
    print(f"wrote {len(records)} documents to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
