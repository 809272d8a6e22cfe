#!/usr/bin/env python3
"""Write the POP Analytics demo data set into data/demo/.

The files look like what partner organisations send in: CSV, UTF-8, comma-delimited, one header
row with the Albanian column labels of data/reference/columns.csv. Rows that realise a figure
published by the POP Network say so in the column "Burimi"; every other row says
"invented for the demo".

Standard library only and deterministic (random.Random(2019)): running it twice writes the same
bytes. Run from anywhere:  python scripts/make_demo_data.py
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "data" / "reference"
OUT = ROOT / "data" / "demo"

PUBLISHED = "published"
INVENTED = "invented for the demo"
NEWSLETTER = 'published: newsletter "Viti i fundit i monitorimit", 2023'
COUNT_ONLY = "published count; participants invented for the demo"

CYCLE_OLD = "2019-2023"
CYCLE_NEW = "2023-2027"

# The newsletter places Kukës's two public forums in September 2023: they presented the new
# Social Contract 2023-2027 to the candidates of the early election of 24 September 2023.
KUKES_FORUM_CYCLE = CYCLE_NEW


# --------------------------------------------------------------------------- reference data

def read_reference(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


THEMES = {r["key"]: r["label_sq"] for r in read_reference("themes.csv")}
STATUSES = {r["key"]: r["label_sq"] for r in read_reference("statuses.csv")}
TYPES = {r["key"]: r["label_sq"] for r in read_reference("activity_types.csv")}
INDICATORS = {r["key"] for r in read_reference("indicators.csv")}
OBJECTIVES = {r["key"] for r in read_reference("objectives.csv")}
TARGET_INDICATORS = {r["key"]: r for r in read_reference("target_indicators.csv")}
MUNICIPALITY_NAMES = {r["name"] for r in read_reference("municipalities.csv")}
# municipality -> the year it joined the POP Network (pop_member_since). No demo row of a
# municipality (activity, priority status, reported figure) may fall in an earlier year.
MEMBER_SINCE = {r["name"]: int(r["pop_member_since"]) for r in read_reference("municipalities.csv")
                if r["pop_member_since"]}
PARTNERS = {r["municipality"]: r["name_sq"] for r in read_reference("partners.csv")}
COLUMNS = {}
for _r in read_reference("columns.csv"):
    COLUMNS.setdefault(_r["kind"], []).append(_r["label_sq"])

THEME_KEYS = ["water", "transport", "kindergartens", "roads", "social_justice",
              "civic_engagement", "local_development"]
STATUS_RANK = ["not_addressed", "partially", "fully"]

# municipality -> (code prefix, priorities in cycle 2019-2023)
ORIGINAL = {
    "Tiranë": ("TIR", 12), "Kamëz": ("KAM", 11), "Durrës": ("DUR", 11), "Fier": ("FIE", 11),
    "Vlorë": ("VLO", 11), "Shkodër": ("SHK", 11), "Kukës": ("KUK", 11), "Pukë": ("PUK", 11),
    "Pogradec": ("POG", 11),
}
JOINED_2021 = {"Elbasan": ("ELB", 13), "Vau i Dejës": ("VAU", 12), "Korçë": ("KOR", 12)}
ALL_MUNIS = {**ORIGINAL, **JOINED_2021}
assert {**{m: 2019 for m in ORIGINAL}, **{m: 2021 for m in JOINED_2021}} == MEMBER_SINCE
MUNI_ORDER = ["Tiranë", "Durrës", "Shkodër", "Kukës", "Pukë", "Vlorë", "Fier", "Kamëz",
              "Pogradec", "Elbasan", "Korçë", "Vau i Dejës"]

# Administrative units (njësi administrative) used in the invented priority titles.
NJA = {
    "Tiranë": ["Zall-Herr", "Dajt", "Farkë", "Kashar", "Vaqarr", "Petrelë", "Baldushk", "Pezë",
               "Shëngjergj", "Zall-Bastar", "Krrabë", "Berzhitë", "Ndroq"],
    "Kamëz": ["Paskuqan", "Kamëz"],
    "Durrës": ["Ishëm", "Katund i Ri", "Manëz", "Rrashbull", "Sukth"],
    "Fier": ["Cakran", "Dërmenas", "Frakull", "Levan", "Libofshë", "Mbrostar", "Portëz", "Topojë"],
    "Vlorë": ["Orikum", "Qendër", "Shushicë", "Novoselë"],
    "Shkodër": ["Ana e Malit", "Berdicë", "Dajç", "Guri i Zi", "Postribë", "Pult", "Rrethina",
                "Shalë", "Shosh", "Velipojë"],
    "Kukës": ["Bicaj", "Kalis", "Malzi", "Shishtavec", "Surroj", "Shtiqën", "Tërthore",
              "Ujmisht", "Zapod", "Bushtricë", "Kolsh", "Arrën", "Grykë-Çajë", "Topojan"],
    "Pukë": ["Fierzë", "Gjegjan", "Qafë-Mali", "Qerret", "Rrapë"],
    "Pogradec": ["Buçimas", "Çërravë", "Dardhas", "Proptisht", "Trebinjë", "Udënisht", "Velçan"],
    "Elbasan": ["Bradashesh", "Funarë", "Gjergjan", "Gjinar", "Gracen", "Labinot-Fushë",
                "Labinot-Mal", "Papër", "Shirgjan", "Shushicë", "Tregan", "Zavalinë"],
    "Vau i Dejës": ["Bushat", "Barbullush", "Hajmel", "Shllak", "Temal", "Vig-Mnelë"],
    "Korçë": ["Drenovë", "Lekas", "Mollaj", "Qendër Bulgarec", "Voskop", "Voskopojë", "Vithkuq"],
}

TITLES = {
    "water": [
        "Rikonstruksioni i rrjetit të ujit të pijshëm në NjA {nja}",
        "Furnizim me ujë të pijshëm 24 orë në lagjet periferike",
        "Ndërtimi i depos së ujit për fshatrat e NjA {nja}",
        "Zëvendësimi i tubacioneve të amortizuara të ujësjellësit",
        "Furnizim me ujë të pijshëm për shkollat e NjA {nja}",
        "Rrjeti i kanalizimeve të ujërave të zeza në NjA {nja}",
        "Kontroll i rregullt dhe publik i cilësisë së ujit të pijshëm",
    ],
    "transport": [
        "Linjë e re e transportit publik drejt NjA {nja}",
        "Stacione të mbuluara për autobusët urbanë",
        "Rritja e frekuencës së autobusëve në linjat periferike",
        "Bileta me çmim të reduktuar për studentët dhe të moshuarit",
        "Transport falas për nxënësit e zonave rurale",
        "Sinjalistikë dhe informacion për oraret e transportit publik",
        "Autobusë të përshtatur për personat me aftësi të kufizuara",
    ],
    "kindergartens": [
        "Ndërtimi i një kopshti të ri në NjA {nja}",
        "Rikonstruksioni i shkollës 9-vjeçare në NjA {nja}",
        "Shtimi i kapaciteteve në çerdhet publike të qytetit",
        "Ngrohje për shkollat dhe kopshtet në zonat rurale",
        "Kopsht me drekë për fëmijët e prindërve që punojnë",
        "Kënd sportiv pranë shkollës në NjA {nja}",
        'Shërbimi "After School" në shkollat publike',
    ],
    "roads": [
        "Asfaltimi i rrugës kryesore të NjA {nja}",
        "Ndriçimi publik i rrugëve në NjA {nja}",
        "Trotuare dhe vendkalime të sigurta pranë shkollave",
        "Rikonstruksioni i rrugëve të brendshme në lagjet periferike",
        "Sinjalistikë rrugore pranë institucioneve arsimore",
        "Riparimi i urës në NjA {nja}",
        "Rampa për personat me aftësi të kufizuara në hapësirat publike",
    ],
    "social_justice": [
        "Qendër ditore për të moshuarit",
        "Strehim social për familjet në nevojë",
        "Shërbime të integruara për personat me aftësi të kufizuara",
        "Qendër komunitare multifunksionale në NjA {nja}",
        "Mbështetje për viktimat e dhunës në familje",
        "Banesa sociale me qira të përballueshme për çiftet e reja",
        "Mensë sociale për familjet në nevojë",
    ],
    "civic_engagement": [
        "Publikimi online i vendimeve të Këshillit Bashkiak",
        "Dëgjesa publike për buxhetin në çdo njësi administrative",
        "Transmetimi i drejtpërdrejtë i mbledhjeve të Këshillit Bashkiak",
        "Këshilli Vendor Rinor funksional",
        "Regjistër publik i ankesave të qytetarëve",
        "Buxhetim me pjesëmarrje për projektet e lagjeve",
        "Zyrë me një ndalesë për shërbimet në NjA {nja}",
        "Info-point për qytetarët në qendër të qytetit",
    ],
    "local_development": [
        "Skemë grantesh për fermerët e NjA {nja}",
        "Menaxhimi i mbetjeve dhe koshat e riciklimit në lagje",
        "Hapësira të gjelbra dhe kënde lojërash për fëmijët",
        "Treg i ri për produktet bujqësore vendore",
        "Nxitja e turizmit rural në NjA {nja}",
        "Mbështetje për sipërmarrjet e grave dhe të rinjve",
        "Rehabilitimi i kanaleve kulluese dhe vaditëse në NjA {nja}",
    ],
}

PRIORITY_NOTES = {
    "fully": ["Punimet përfunduan", "Shërbimi funksionon", "Realizuar me fonde të bashkisë",
              "Përfunduar, verifikuar në terren nga organizata"],
    "partially": ["Punimet kanë filluar por nuk kanë përfunduar",
                  "Përfshirë në buxhetin e vitit pasardhës", "Realizuar vetëm në disa lagje",
                  "Në procedurë prokurimi"],
    "not_addressed": ["Nuk ka fonde të parashikuara në buxhet", "Pa ndërhyrje nga bashkia",
                      "Bashkia nuk ka dhënë informacion"],
}

rng = random.Random(2019)


# --------------------------------------------------------------------------- helpers

def fmt(d: dt.date) -> str:
    return d.strftime("%d.%m.%Y")


def write_csv(name: str, header: list[str], rows: list[list]) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / name, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])
    return len(rows)


class TitlePicker:
    """Hands out priority titles per municipality, never the same one twice."""

    def __init__(self) -> None:
        self.used: dict[str, set[str]] = {}

    def pick(self, muni: str, theme: str) -> str:
        used = self.used.setdefault(muni, set())
        candidates = []
        for t in TITLES[theme]:
            if "{nja}" in t:
                candidates += [t.format(nja=n) for n in NJA[muni]]
            else:
                candidates.append(t)
        free = [c for c in candidates if c not in used]
        title = rng.choice(free)
        used.add(title)
        return title


TITLE_PICKER = TitlePicker()


def themes_for(n: int) -> list[str]:
    """n themes that cover all seven when n >= 7."""
    keys = THEME_KEYS[:]
    rng.shuffle(keys)
    extra = [rng.choice(THEME_KEYS) for _ in range(max(0, n - len(keys)))]
    out = (keys + extra)[:n]
    rng.shuffle(out)
    return out


def note_for(status: str, p: float = 0.3) -> str:
    return rng.choice(PRIORITY_NOTES[status]) if rng.random() < p else ""


# --------------------------------------------------------------------------- priorities 2019-2023

def path(first: int, last: int, years: int) -> list[int]:
    """Non-decreasing status ranks from first to last over `years` years."""
    ranks = [first]
    for _ in range(years - 2):
        ranks.append(rng.randint(ranks[-1], last))
    ranks.append(last)
    return ranks


def priorities_2019_2023() -> list[list]:
    F, P, N = 2, 1, 0
    # (2020 status, 2023 status) for the 100 priorities of the 9 original municipalities:
    # 2020 = 17 F / 58 P / 25 N; 2023 = 45 F / 35 P / 20 N.
    pairs_orig = [(F, F)] * 17 + [(P, F)] * 28 + [(P, P)] * 30 + [(N, P)] * 5 + [(N, N)] * 20
    # 2023 status of the 37 priorities of Elbasan, Vau i Dejës, Korçë: 15 F / 7 P / 15 N.
    # Totals 2023: 60 F / 42 P / 35 N -> 102 / 137 = 74.5 % addressed.
    finals_new = [F] * 15 + [P] * 7 + [N] * 15
    rng.shuffle(pairs_orig)
    rng.shuffle(finals_new)

    rows = []
    for muni in MUNI_ORDER:
        prefix, n = ALL_MUNIS[muni]
        original = muni in ORIGINAL
        # Monitoring starts in 2020, or in the year the municipality joined.
        years = list(range(max(2020, MEMBER_SINCE[muni]), 2024))
        for i, theme in enumerate(themes_for(n), start=1):
            # Keep the share addressed at 102/137 from 2021 on (between the published 75 % of
            # 2020 and 74.5 % of 2023): no priority leaves "not addressed" after 2021, and the
            # progress of 2021-2023 is partially -> fully.
            if original:
                first, last = pairs_orig.pop()
                ranks = [first] + path(max(first, min(last, P)), last, len(years) - 1)
            else:
                last = finals_new.pop()
                first = last if last < F else rng.choice([P, P, F])
                ranks = path(first, last, len(years))
            code = f"{prefix}-{i:02d}"
            title = TITLE_PICKER.pick(muni, theme)
            for year, rank in zip(years, ranks):
                status = STATUS_RANK[rank]
                source = PUBLISHED if year in (2020, 2023) else INVENTED
                rows.append([CYCLE_OLD, muni, code, title, THEMES[theme], year,
                             STATUSES[status], note_for(status), source])
    assert not pairs_orig and not finals_new
    return rows


# --------------------------------------------------------------------------- priorities 2023-2027

def priorities_2023_2027() -> list[list]:
    rows = []
    for muni in MUNI_ORDER:
        prefix, _ = ALL_MUNIS[muni]
        n = rng.randint(8, 12)
        for i, theme in enumerate(themes_for(n), start=1):
            r2024 = rng.choices([0, 1, 2], weights=[55, 35, 10])[0]
            r2025 = min(2, r2024 + (1 if rng.random() < 0.45 else 0))
            code = f"{prefix}-23-{i:02d}"
            title = TITLE_PICKER.pick(muni, theme)
            for year, rank in ((2024, r2024), (2025, r2025)):
                status = STATUS_RANK[rank]
                rows.append([CYCLE_NEW, muni, code, title, THEMES[theme], year,
                             STATUSES[status], note_for(status, 0.2), INVENTED])
    # Drawn for every municipality, dropped last (the random stream and every other row stay).
    return [r for r in rows if monitored(r[1], r[5])]


# --------------------------------------------------------------------------- activities

def theme_cell(keys: list[str]) -> str:
    return "; ".join(THEMES[k] for k in keys)


def random_themes() -> list[str]:
    k = rng.choices([1, 2, 3], weights=[60, 30, 10])[0]
    return rng.sample(THEME_KEYS, k)


def activity(date, muni, type_key, events, total, themes, cycle, note="", link="",
             source=INVENTED, partner=None, gender=True, youth=None):
    """One activity row as a dict (gender split invented when gender=True)."""
    women = men = None
    if gender and total is not None:
        share = rng.uniform(0.45, 0.60)
        women = round(total * share)
        while total and women < 0.45 * total:
            women += 1
        while total and women > 0.60 * total:
            women -= 1
        men = total - women
        if rng.random() < 0.08 and men > 2:          # a few participants of unknown gender
            men -= rng.randint(1, max(1, total // 10))
    if youth is None and total is not None and rng.random() < 0.4:
        youth = round(total * rng.uniform(0.2, 0.5))
    if partner is None:
        partner = PARTNERS[muni] if rng.random() < 0.33 else ""
    return {
        "Data": date, "Bashkia": muni, "Lloji i aktivitetit": TYPES[type_key],
        "Numri i aktiviteteve": events, "Pjesëmarrës gjithsej": total, "Gra": women,
        "Burra": men, "Të rinj": youth, "Tema": theme_cell(themes), "Cikli": cycle,
        "Organizata partnere": partner, "Shënime": note, "Lidhja": link, "Burimi": source,
    }


NEWSLETTER_ROWS = [
    # muni, date, type, events, participants, themes, note, category slug
    ("Tiranë", dt.date(2023, 10, 12), "focus_group", 10, 200,
     ["kindergartens", "water", "social_justice", "transport"],
     ("Çerdhe dhe kopshte në NjA rurale; furnizimi me ujë të pijshëm; shërbimi \"After School\"; "
      "sinjalistika e transportit publik"), "tirane"),
    ("Durrës", dt.date(2023, 10, 5), "focus_group", 4, 80,
     ["water", "transport", "civic_engagement"],
     ("Furnizimi me ujë të pijshëm; kanalizimet e ujërave të zeza; transporti publik; "
      "Këshilli Vendor Rinor"), "durres"),
    ("Shkodër", dt.date(2023, 10, 26), "focus_group", 5, 96,
     ["civic_engagement", "transport", "social_justice"],
     ("Mekanizmat komunitarë të përfaqësimit; linjat e autobusëve drejt fshatrave; rampa për "
      "personat me aftësi të kufizuara"), "shkoder"),
    ("Pukë", dt.date(2023, 11, 9), "focus_group", 2, 30,
     ["water", "roads", "civic_engagement"],
     "Shkolla 9-vjeçare Qerret pa ujë; mungesa e info-point; rrugët në NjA rurale", "puke"),
    ("Korçë", dt.date(2023, 11, 16), "focus_group", 4, 46,
     ["roads", "kindergartens", "civic_engagement"],
     ("Ndriçimi LED në NjA Bulgarec; shkolla \"Ismail Qemali\" në Mborje; buxhetimi me "
      "pjesëmarrje"), "korce"),
    ("Elbasan", dt.date(2023, 10, 19), "focus_group", 5, 73,
     ["transport", "kindergartens", "social_justice", "local_development"],
     ("Transporti publik dhe kopshtet në NjA rurale; qendër komunitare multifunksionale; "
      "koshat e mbetjeve"), "elbasan"),
    ("Vau i Dejës", dt.date(2023, 11, 2), "focus_group", 3, 46,
     ["local_development", "kindergartens", "transport"],
     ("Nisma për gratë dhe të rinjtë; kopsht me drekë; ngrohja e shkollave; asnjë linjë "
      "transporti publik"), "vau-dejes"),
    ("Vlorë", dt.date(2023, 10, 24), "participatory_budgeting", 7, 276,
     ["civic_engagement"],
     ("Dëgjesat e buxhetimit me pjesëmarrje për buxhetin 2024: 5 rajonet e qytetit dhe NjA "
      "Shushicë, Novoselë, Qendër"), "vlore"),
    ("Fier", dt.date(2023, 11, 14), "participatory_budgeting", 10, 310,
     ["civic_engagement", "roads", "water"],
     ("Takime për buxhetin 2024 në NjA: mjediset sportive të shkollave, rrugët rurale, "
      "furnizimi me ujë, stacionet e autobusëve"), "fier"),
    ("Kukës", dt.date(2023, 9, 14), "public_forum", 2, None,
     ["civic_engagement"],
     ("Forume me të rinjtë dhe kandidatët e zgjedhjeve të parakohshme të 24.09.2023; "
      "numri i pjesëmarrësve nuk është publikuar"), "kukes"),
]

SPRING_2023_FORUMS = {"Tiranë": 3, "Durrës": 2, "Shkodër": 2, "Elbasan": 2, "Kamëz": 1,
                      "Fier": 1, "Vlorë": 1, "Pukë": 1, "Pogradec": 1, "Korçë": 1,
                      "Vau i Dejës": 1}

# The 2025 key figures count 10 municipalities monitored (and 10 monitoring reports): Kamëz and
# Pogradec were not monitored in 2025, so no row of theirs is dated 2025, invented or published.
NOT_MONITORED_2025 = ("Kamëz", "Pogradec")
MONITORED_2025 = [m for m in MUNI_ORDER if m not in NOT_MONITORED_2025]


def monitored(municipality: str, year: int) -> bool:
    """Whether the network monitored a municipality in a year: a member by then, and not one of
    the two the 2025 key figures leave out."""
    return MEMBER_SINCE[municipality] <= year and not (year == 2025 and municipality in NOT_MONITORED_2025)

INVENTED_NOTES = {
    "focus_group": ["Fokus grup me banorët për monitorimin e Kontratës Sociale",
                    "Fokus grup me të rinjtë", "Fokus grup me gratë e zonave rurale",
                    "Fokus grup me prindërit për shkollat dhe kopshtet"],
    "training": ["Trajnim për monitorimin e buxhetit vendor",
                 "Trajnim për të drejtën e informimit",
                 "Trajnim për stafin dhe vullnetarët mbi metodologjinë POP"],
    "workshop": ["Workshop për prioritetet e qytetarëve",
                 "Workshop me të rinjtë për buxhetin e bashkisë"],
    "participatory_budgeting": ["Dëgjesë publike për buxhetin e vitit {next}",
                                "Takim për buxhetimin me pjesëmarrje në lagje"],
    "council_meeting": ["Monitorim i mbledhjeve të Këshillit Bashkiak"],
    "other": ["Takim me kryetarin e bashkisë për Kontratën Sociale",
              "Fushatë informimi në lagje"],
}
PER_EVENT = {"focus_group": (10, 25), "training": (12, 25), "workshop": (15, 35),
             "participatory_budgeting": (20, 45), "council_meeting": (3, 8), "other": (10, 30),
             "public_forum": (40, 110)}
EVENTS_PER_ROW = {"focus_group": (1, 4), "training": (1, 2), "workshop": (1, 3),
                  "participatory_budgeting": (1, 5), "council_meeting": (2, 6), "other": (1, 1)}
TYPE_THEMES = {"council_meeting": ["civic_engagement"],
               "participatory_budgeting": ["civic_engagement"]}

BLACKOUT = (dt.date(2023, 9, 1), dt.date(2023, 11, 30))  # only the newsletter rows live here


def random_date(year: int, type_key: str) -> dt.date:
    start = dt.date(2019, 7, 1) if year == 2019 else dt.date(year, 1, 1)
    end = dt.date(year, 12, 31)
    while True:
        if type_key == "participatory_budgeting" and rng.random() < 0.8:
            d = dt.date(year, rng.choice([10, 11, 12]), rng.randint(1, 28))
        else:
            d = start + dt.timedelta(days=rng.randint(0, (end - start).days))
        if d < start or BLACKOUT[0] <= d <= BLACKOUT[1]:
            continue
        if d.weekday() == 6:                     # few activities on Sundays
            continue
        return d


def cycle_of(d: dt.date) -> str:
    return CYCLE_OLD if d.year <= 2023 else CYCLE_NEW


def activities() -> list[dict]:
    rows: list[dict] = []

    # 1. Newsletter "Viti i fundit i monitorimit", September - November 2023 (published).
    for muni, d, t, events, total, themes, note, slug in NEWSLETTER_ROWS:
        cycle = KUKES_FORUM_CYCLE if muni == "Kukës" else CYCLE_OLD
        rows.append(activity(fmt(d), muni, t, events, total, themes, cycle, note=note,
                             link=f"https://popnetwork.al/category/aktivitete-{slug}/",
                             source=NEWSLETTER, partner=PARTNERS[muni], gender=False,
                             youth=""))

    # 2. National conference, 22.12.2020 (published).
    rows.append(activity(fmt(dt.date(2020, 12, 22)), "Tiranë", "conference", 1, 140,
                         ["civic_engagement"], CYCLE_OLD,
                         note="Konferenca Kombëtare \"Pjesëmarrja dhe Përgjegjësia e Shoqërisë "
                              "Civile në Proceset e Qeverisjes Vendore\"; 140 persona online nga "
                              "9 bashki",
                         source=PUBLISHED, partner=PARTNERS["Tiranë"], gender=False, youth=""))

    # 3. Public forums with candidates before the local elections of 14.05.2023 (16, published).
    for muni, k in SPRING_2023_FORUMS.items():
        days = sorted(rng.sample(range((dt.date(2023, 5, 12) - dt.date(2023, 3, 15)).days), k))
        for off in days:
            d = dt.date(2023, 3, 15) + dt.timedelta(days=off)
            rows.append(activity(fmt(d), muni, "public_forum", 1, rng.randint(*PER_EVENT["public_forum"]),
                                 ["civic_engagement"], CYCLE_NEW,
                                 note="Forum publik me kandidatët për kryetar bashkie; "
                                      "prezantimi i Kontratës Sociale 2023-2027",
                                 source=COUNT_ONLY))

    # 4. 2025 key figures (published counts): 120 council meetings, 32 workshops, 7 forums
    #    in 10 monitored municipalities.
    for muni in MONITORED_2025:
        parts = rng.choice([[3, 3, 3, 3], [6, 6], [4, 4, 4], [2, 4, 3, 3], [5, 7]])
        months = sorted(rng.sample(range(2, 13), len(parts)))
        for events, month in zip(parts, months):
            d = dt.date(2025, month, rng.randint(1, 28))
            rows.append(activity(fmt(d), muni, "council_meeting", events,
                                 sum(rng.randint(3, 8) for _ in range(events)),
                                 ["civic_engagement"], CYCLE_NEW,
                                 note=f"{events} mbledhje të Këshillit Bashkiak të monitoruara",
                                 source=COUNT_ONLY))
    workshops = {m: 3 for m in MONITORED_2025}
    for m in rng.sample(MONITORED_2025, 2):
        workshops[m] = 4
    for muni in MONITORED_2025:
        left = workshops[muni]
        while left:
            events = min(left, rng.choice([1, 1, 2, 3]))
            left -= events
            d = dt.date(2025, rng.randint(1, 12), rng.randint(1, 28))
            rows.append(activity(fmt(d), muni, "workshop", events,
                                 sum(rng.randint(*PER_EVENT["workshop"]) for _ in range(events)),
                                 random_themes(), CYCLE_NEW,
                                 note=rng.choice(INVENTED_NOTES["workshop"]), source=COUNT_ONLY))
    for muni in rng.sample(MONITORED_2025, 7):
        d = dt.date(2025, rng.randint(3, 5), rng.randint(1, 28))
        rows.append(activity(fmt(d), muni, "public_forum", 1,
                             rng.randint(*PER_EVENT["public_forum"]), ["civic_engagement"],
                             CYCLE_NEW, note="Forum publik me kandidatë dhe qytetarë",
                             source=COUNT_ONLY))

    # 5. Invented activities: every municipality, every year 2019-2025.
    for year in range(2019, 2026):
        for muni in MUNI_ORDER:
            k = rng.randint(2, 3) if year in (2019, 2025) else rng.randint(2, 4)
            for _ in range(k):
                if year == 2025:   # council meetings and workshops of 2025 are the published ones
                    t = rng.choices(["focus_group", "training", "participatory_budgeting"],
                                    weights=[50, 25, 25])[0]
                else:
                    t = rng.choices(["focus_group", "training", "workshop",
                                     "participatory_budgeting", "council_meeting", "other"],
                                    weights=[35, 15, 20, 15, 10, 5])[0]
                d = random_date(year, t)
                events = rng.randint(*EVENTS_PER_ROW[t])
                total = sum(rng.randint(*PER_EVENT[t]) for _ in range(events))
                note = rng.choice(INVENTED_NOTES[t]).format(next=d.year + 1) \
                    if rng.random() < 0.7 else ""
                rows.append(activity(fmt(d), muni, t, events, total,
                                     TYPE_THEMES.get(t) or random_themes(), cycle_of(d),
                                     note=note))

    # About 10 % of rows without the women/men split (a real gap the data quality page shows).
    already = sum(1 for r in rows if r["Gra"] is None)
    target = round(0.10 * len(rows))
    pool = [r for r in rows if r["Gra"] is not None]
    for r in rng.sample(pool, max(0, target - already)):
        r["Gra"] = r["Burra"] = None

    # No activity before the municipality joined the network (Elbasan, Vau i Dejës and Korçë in
    # 2021). The invented rows above are still drawn for every municipality and year and only
    # dropped here, last, so that the random stream and every remaining row stay as they were.
    # Kamëz and Pogradec's invented 2025 rows go the same way (NOT_MONITORED_2025).
    rows = [r for r in rows if monitored(r["Bashkia"], year_of(r["Data"]))]

    rows.sort(key=lambda r: (dt.datetime.strptime(r["Data"], "%d.%m.%Y").date(),
                             MUNI_ORDER.index(r["Bashkia"])))
    return rows


def year_of(date: str) -> int:
    return dt.datetime.strptime(date, "%d.%m.%Y").year


# --------------------------------------------------------------------------- reported figures

def figures() -> list[list]:
    key_2025 = ('Të dhëna kyçe 2025, fleta e projektit "Rrjeti POP – Përfshirja qytetare për '
                'qeverisje të mirë dhe integritet"')
    newsletter = 'Buletini "Viti i fundit i monitorimit" (shtator–nëntor 2023)'
    y25 = ("01.01.2025", "31.12.2025")
    return [
        [2023, "01.09.2023", "30.11.2023", "", "", "events", 62, PUBLISHED,
         f'{newsletter}, titulli: "62 fokus grupe të organizuara"'],
        [2023, "01.09.2023", "30.11.2023", "", "", "participants", 1000, PUBLISHED,
         f'{newsletter}: "më shumë se 1000 burra dhe gra"'],
        [2025, *y25, "", "", "unique_participants", 2984, PUBLISHED, key_2025],
        [2025, *y25, "", "", "persons_reached", 129466, PUBLISHED, key_2025],
        [2025, *y25, "", "", "candidates_engaged", 42, PUBLISHED, key_2025],
        [2025, *y25, "", "", "monitoring_reports", 10, PUBLISHED, key_2025],
        [2020, "22.12.2020", "22.12.2020", "", "", "contracts_signed", 6, PUBLISHED,
         ("Konferenca Kombëtare 22.12.2020: 6 kontrata të firmosura; pritet të firmosen edhe 3 "
          "(Shkodër, Kukës, Pukë)")],
    ]


# --------------------------------------------------------------------------- targets

# The network's targets for 2024 and 2025, per objective: all invented for the demo, set near the
# 2025 key figures (120 council meetings monitored, 32 citizen workshops, 7 public forums, 42
# candidates engaged, 2,984 unique participants, 129,466 persons reached, 10 monitoring reports), some
# above and some below them, so that the Targets page shows targets met, missed and not yet known.
# (objective, indicator, {year: target}, note on every row, or {year: note})
TARGETS = [
    ("SO1", "council_meetings", {2024: 60, 2025: 110}, ""),
    ("SO2", "citizen_workshops", {2024: 20, 2025: 30}, ""),
    ("SO2", "participants", {2024: 1800, 2025: 3500}, ""),
    ("SO2", "women_pct", {2024: 50, 2025: 50}, "Synimi është përqindje: gratë mbi gratë dhe burrat."),
    ("SO2", "unique_participants", {2024: 2000, 2025: 3000}, ""),
    ("SO2", "persons_reached", {2024: 100000, 2025: 120000}, ""),
    ("SO3", "public_forums", {2024: 0, 2025: 8},
     {2024: "Forumet publike mbahen para zgjedhjeve vendore: asnjë i planifikuar për 2024."}),
    ("SO4", "monitoring_reports", {2024: 10, 2025: 12}, ""),
    ("SO4", "candidates_engaged", {2025: 40}, ""),
]


def targets() -> list[list]:
    """One row per objective, indicator and year, for the whole network (Bashkia empty)."""
    rows = []
    for objective, indicator, by_year, note in TARGETS:
        unit = TARGET_INDICATORS[indicator]["unit_sq"]
        for year, value in sorted(by_year.items()):
            written = note.get(year, "") if isinstance(note, dict) else note
            rows.append([objective, TARGET_INDICATORS[indicator]["label_sq"], year, "", value, unit, INVENTED, written])
    return rows


# --------------------------------------------------------------------------- self-check

def self_check(prio_old, prio_new, acts, figs) -> None:
    def count(rows, year, status=None):
        return sum(1 for r in rows if r[5] == year and (status is None or r[6] == STATUSES[status]))

    assert count(prio_old, 2020) == 100
    assert [count(prio_old, 2020, s) for s in ("fully", "partially", "not_addressed")] == [17, 58, 25]
    assert count(prio_old, 2023) == 137
    assert [count(prio_old, 2023, s) for s in ("fully", "partially", "not_addressed")] == [60, 42, 35]
    for rows in (prio_old, prio_new):
        for r in rows:
            assert r[1] in MUNICIPALITY_NAMES and r[4] in THEMES.values() and r[6] in STATUSES.values()

    def day(r):
        return dt.datetime.strptime(r["Data"], "%d.%m.%Y").date()

    window = [r for r in acts if BLACKOUT[0] <= day(r) <= BLACKOUT[1]]
    assert sum(r["Numri i aktiviteteve"] for r in window) == 52
    assert sum(r["Pjesëmarrës gjithsej"] or 0 for r in window) == 1157
    for t, n in (("council_meeting", 120), ("workshop", 32), ("public_forum", 7)):
        got = sum(r["Numri i aktiviteteve"] for r in acts
                  if day(r).year == 2025 and r["Lloji i aktivitetit"] == TYPES[t])
        assert got == n, (t, got)
    spring = [r for r in acts if r["Lloji i aktivitetit"] == TYPES["public_forum"]
              and dt.date(2023, 3, 1) <= day(r) < dt.date(2023, 5, 14)]
    assert sum(r["Numri i aktiviteteve"] for r in spring) == 16
    for r in acts:
        assert dt.date(2019, 7, 1) <= day(r) <= dt.date(2025, 12, 31)
        assert r["Bashkia"] in MUNICIPALITY_NAMES
        if r["Gra"] is not None:
            assert r["Gra"] + r["Burra"] <= r["Pjesëmarrës gjithsej"]
    for year in range(2019, 2026):
        members = {m for m in MUNI_ORDER if monitored(m, year)}
        assert {r["Bashkia"] for r in acts if day(r).year == year} == members, year
    assert all(f[5] in INDICATORS for f in figs)
    for objective, indicator, by_year, _note in TARGETS:
        assert objective in OBJECTIVES and indicator in TARGET_INDICATORS, (objective, indicator)
        assert set(by_year) <= {2024, 2025} and all(v >= 0 for v in by_year.values()), indicator
    # Nothing of a municipality before it joined the network.
    for r in acts:
        assert day(r).year >= MEMBER_SINCE[r["Bashkia"]], r
    for r in prio_old + prio_new:
        assert r[5] >= MEMBER_SINCE[r[1]], r
    for f in figs:
        assert not f[3] or f[0] >= MEMBER_SINCE[f[3]], f
        assert not f[3] or year_of(f[1]) >= MEMBER_SINCE[f[3]], f
    # The 9 municipalities of the first monitoring year (2020), 12 from 2021, 10 in 2025 (key figures).
    for year, n in ((2019, 9), (2020, 9), (2021, 12), (2022, 12), (2023, 12), (2024, 12), (2025, 10)):
        assert len({r["Bashkia"] for r in acts if day(r).year == year}
                   | {r[1] for r in prio_old + prio_new if r[5] == year}) == n, year


# --------------------------------------------------------------------------- main

def main() -> None:
    prio_header = COLUMNS["priorities"]
    act_header = COLUMNS["activities"]
    fig_header = COLUMNS["figures"]
    target_header = COLUMNS["targets"]
    assert target_header == ["Objektivi", "Treguesi", "Viti", "Bashkia", "Synimi", "Njësia", "Burimi", "Shënime"]
    assert prio_header == ["Cikli", "Bashkia", "Kodi", "Prioriteti", "Tema", "Viti i monitorimit",
                           "Statusi", "Shënime", "Burimi"]
    assert fig_header == ["Viti", "Nga data", "Deri më", "Bashkia", "Lloji i aktivitetit",
                          "Treguesi", "Vlera", "Burimi", "Shënime"]
    act_header = ["Data", "Bashkia", "Lloji i aktivitetit", "Numri i aktiviteteve",
                  "Pjesëmarrës gjithsej", "Gra", "Burra", "Të rinj", "Tema", "Cikli",
                  "Organizata partnere", "Shënime", "Lidhja", "Burimi"]
    assert set(act_header) == set(COLUMNS["activities"])

    prio_old = priorities_2019_2023()
    prio_new = priorities_2023_2027()
    acts = activities()
    figs = figures()
    self_check(prio_old, prio_new, acts, figs)

    counts = {
        "prioritetet_2019_2023.csv": write_csv("prioritetet_2019_2023.csv", prio_header, prio_old),
        "prioritetet_2023_2027.csv": write_csv("prioritetet_2023_2027.csv", prio_header, prio_new),
        "aktivitetet.csv": write_csv("aktivitetet.csv", act_header,
                                     [[r[c] for c in act_header] for r in acts]),
        "shifrat.csv": write_csv("shifrat.csv", fig_header, figs),
        "synimet.csv": write_csv("synimet.csv", target_header, targets()),
    }
    for name, n in counts.items():
        print(f"{OUT.relative_to(ROOT) / name}: {n} rows")


if __name__ == "__main__":
    main()
