"""Synthetic partner files and a large database, generated once with a fixed seed and reused.

Everything lands in benchmarks/.cache/ (git-ignored). A manifest records what generated each
file; a file is rebuilt only when it is missing or its recipe changed. The files look like what
partners send: the Albanian headers of data/reference/columns.csv, spellings varied the way
partners vary them (definite forms, capitals, missing diacritics), blanks where partners leave
them, a title row above the header and a total row below the data in the workbook.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pop_analytics import reference

CACHE = Path(__file__).resolve().parent / ".cache"
SEED = 20260101
# Bump when the recipe of any generated file changes: every cached file is then rebuilt.
RECIPE = 1

ACTIVITY_ROWS = 1_000_000
XLSX_ROWS = 100_000
PRIORITY_ROWS = 100_000
YEARS = tuple(range(2016, 2026))  # ten years of data, all in the past
FIRST_DAY, LAST_DAY = dt.date(YEARS[0], 1, 1), dt.date(YEARS[-1], 12, 31)

ACTIVITY_HEADER = ["Data", "Bashkia", "Lloji i aktivitetit", "Numri i aktiviteteve", "Pjesëmarrës gjithsej", "Gra",
                   "Burra", "Të rinj", "Tema", "Cikli", "Organizata partnere", "Shënime", "Lidhja", "Burimi"]
PRIORITY_HEADER = ["Cikli", "Bashkia", "Kodi", "Prioriteti", "Tema", "Viti i monitorimit", "Statusi", "Shënime",
                   "Burimi"]
SOURCE = "invented for the benchmark"
NOTES = ["", "", "", "Takim në lagje", "Me mbështetjen e bashkisë", "Fushatë informimi", "Raportuar nga partneri"]

PATHS = {
    "activities_csv": CACHE / "aktivitetet_1m.csv",
    "activities_xlsx": CACHE / "aktivitetet_100k.xlsx",
    "fuzzy_xlsx": CACHE / "aktivitetet_100k_shkruar_ndryshe.xlsx",
    "priorities_csv": CACHE / "prioritetet_100k.csv",
    "large_db": CACHE / "large.duckdb",
}

# The 10M database (`--only big`): one file of a million activity rows per year. A file replaces
# rows of the same municipality and calendar month only, so files of different years replace none.
BIG_ROWS_PER_YEAR = 1_000_000
BIG_ROWS = BIG_ROWS_PER_YEAR * len(YEARS)
BIG_PATHS = {
    **{f"activities_{year}_csv": CACHE / f"aktivitetet_{year}_1m.csv" for year in YEARS},
    "big_db": CACHE / "large_10m.duckdb",
}


# The 100M database (`--only huge`): the 10M database's activities ten times over. Each copy is stored
# as imports of its own, added beside the others (none replaces another), with its counts varied, so
# the data grows as a network's does: more activities in the same municipalities, years and themes.
HUGE_COPIES = 10
HUGE_ROWS = BIG_ROWS * HUGE_COPIES
HUGE_PATHS = {"huge_db": CACHE / "large_100m.duckdb"}


def _big_seed(year: int) -> int:
    return SEED + 100 + year - YEARS[0]


def _spellings(name: str, aliases: tuple[str, ...]) -> list[str]:
    """How partners write one name: as listed, in capitals, lower case, without diacritics, aliases."""
    plain = name.replace("ë", "e").replace("Ë", "E").replace("ç", "c").replace("Ç", "C")
    return list(dict.fromkeys([name, name, name, name.upper(), f" {name.lower()} ", plain, *aliases[:2]]))


def _municipality_spellings() -> tuple[list[str], list[list[str]]]:
    names, spellings = [], []
    for m in reference.municipalities():
        if m.country != "AL":
            continue
        names.append(m.name)
        spellings.append(_spellings(m.name, m.aliases))
    return names, spellings


def _term_spellings(vocabulary: str) -> dict[str, list[str]]:
    return {t.key: list(dict.fromkeys([t.label_sq, t.label_sq, t.label_sq.upper(), *t.aliases[:3]]))
            for t in reference.terms(vocabulary)}


def _pick(rng: np.random.Generator, options: list[list[str]], which: np.ndarray) -> np.ndarray:
    """One spelling per row: row i gets a random spelling of options[which[i]]."""
    table = np.array([s for group in options for s in group], dtype=object)
    starts = np.cumsum([0] + [len(g) for g in options[:-1]])
    sizes = np.array([len(g) for g in options])
    return table[starts[which] + (rng.random(len(which)) * sizes[which]).astype(np.int64)]


def activities(rows: int, seed: int, period: tuple[dt.date, dt.date] | None = None,
               municipalities: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Activity rows as columns of raw cells (None where a partner leaves a cell blank), plus the
    effective events and participants validation will compute (for the total row).

    period (first and last day) restricts the dates, municipalities (names as listed in the
    reference data) the municipalities; left out, rows span 2016–2025 and every municipality, and
    a seed gives the same rows as before these options existed."""
    rng = np.random.default_rng(seed)
    names, municipality_spellings = _municipality_spellings()
    weights = rng.gamma(2.0, 1.0, len(names))
    municipality = rng.choice(len(names), rows, p=weights / weights.sum())
    first_day, last_day = period or (FIRST_DAY, LAST_DAY)
    days = (last_day - first_day).days + 1
    offsets = rng.integers(0, days, rows)
    dates = np.array([first_day + dt.timedelta(days=int(d)) for d in range(days)], dtype=object)[offsets]
    if municipalities is not None:
        allowed = np.array([names.index(name) for name in municipalities])
        municipality = allowed[rng.integers(0, len(allowed), rows)]

    type_spellings = _term_spellings("activity_types")
    type_keys = list(type_spellings)
    type_index = rng.choice(len(type_keys), rows, p=[.3, .08, .12, .15, .15, .04, .1, .06])
    types = _pick(rng, [type_spellings[k] for k in type_keys], type_index)

    events = np.where(rng.random(rows) < .8, 1, rng.integers(2, 12, rows))
    women = rng.integers(0, 60, rows)
    men = rng.integers(0, 60, rows)
    participants = women + men + rng.integers(0, 10, rows)
    youth = (participants * rng.random(rows)).astype(np.int64)
    split_known = rng.random(rows) < .8
    youth_known = rng.random(rows) < .5
    events_written = rng.random(rows) < .7
    in_cell = (~events_written) & (~split_known) & (rng.random(rows) < .3)  # "3 fokus grupe - 45 pjesëmarrës"

    theme_spellings = _term_spellings("themes")
    theme_keys = list(theme_spellings)
    theme_count = rng.choice([0, 1, 2, 3], rows, p=[.1, .5, .3, .1])
    theme_cells = np.empty(rows, dtype=object)
    firsts = [_pick(rng, list(theme_spellings.values()), rng.integers(0, len(theme_keys), rows)) for _ in range(3)]
    separators = np.where(rng.random(rows) < .7, "; ", ", ")
    for i in range(rows):
        n = theme_count[i]
        theme_cells[i] = separators[i].join(dict.fromkeys(f[i] for f in firsts[:n])) if n else None

    new_cycle = dates >= dt.date(2023, 5, 14)
    cycle = np.where(new_cycle, "2023-2027", "2019-2023").astype(object)
    cycle[rng.random(rows) < .1] = None  # the importer derives it from the date
    partners = reference.partners()
    partner = np.array([partners.get(n, {}).get("sq") for n in names], dtype=object)[municipality]
    partner[rng.random(rows) < .7] = None
    note = np.array(NOTES, dtype=object)[rng.integers(0, len(NOTES), rows)]
    note[note == ""] = None
    link = np.where(rng.random(rows) < .05, "https://example.org/aktivitet", None).astype(object)

    type_cells = types.copy()
    plural = np.array([type_spellings[k][-1] for k in type_keys], dtype=object)
    for i in np.flatnonzero(in_cell):
        type_cells[i] = f"{events[i] if events[i] > 1 else 2} {plural[type_index[i]]} - {participants[i]} pjesëmarrës"
    effective_events = np.where(events_written, events, np.where(in_cell, np.maximum(events, 2), 1))

    def blank_where(values: np.ndarray, known: np.ndarray) -> np.ndarray:
        out = values.astype(object)
        out[~known] = None
        return out

    return {
        "Data": dates,
        "Bashkia": _pick(rng, municipality_spellings, municipality),
        "Lloji i aktivitetit": type_cells,
        "Numri i aktiviteteve": blank_where(events, events_written),
        "Pjesëmarrës gjithsej": blank_where(participants, ~in_cell),
        "Gra": blank_where(women, split_known),
        "Burra": blank_where(men, split_known),
        "Të rinj": blank_where(youth, youth_known),
        "Tema": theme_cells,
        "Cikli": cycle,
        "Organizata partnere": partner,
        "Shënime": note,
        "Lidhja": link,
        "Burimi": np.full(rows, SOURCE, dtype=object),
        "_events": effective_events,
        "_participants": participants,
        "_women": np.where(split_known, women, 0),
        "_men": np.where(split_known, men, 0),
        "_youth": np.where(youth_known, youth, 0),
    }


def priorities(rows: int, seed: int) -> dict[str, np.ndarray]:
    """Yearly status observations: every priority observed in each of the ten years."""
    rng = np.random.default_rng(seed)
    names, municipality_spellings = _municipality_spellings()
    per_year = rows // len(YEARS)
    municipality = np.sort(np.arange(per_year) % len(names))
    code_number = np.zeros(per_year, dtype=np.int64)
    for m in range(len(names)):
        mask = municipality == m
        code_number[mask] = np.arange(mask.sum()) + 1
    theme_spellings = _term_spellings("themes")
    theme_index = rng.integers(0, len(theme_spellings), per_year)
    titles = np.array([f"Prioriteti {n} i qytetarëve" for n in range(per_year)], dtype=object)
    status_spellings = _term_spellings("statuses")
    years = np.repeat(np.array(YEARS), per_year)
    tiled = np.tile(np.arange(per_year), len(YEARS))
    prefix = np.array([n[:3].upper() for n in names], dtype=object)
    codes = np.array([f"{prefix[m]}-{c:03d}" for m, c in zip(municipality, code_number)], dtype=object)
    notes = np.array(NOTES, dtype=object)[rng.integers(0, len(NOTES), rows)]
    notes[notes == ""] = None
    return {
        "Cikli": np.where(years <= 2023, "2019-2023", "2023-2027").astype(object),
        "Bashkia": _pick(rng, municipality_spellings, municipality[tiled]),
        "Kodi": codes[tiled],
        "Prioriteti": titles[tiled],
        "Tema": _pick(rng, list(theme_spellings.values()), theme_index)[tiled],
        "Viti i monitorimit": years.astype(object),
        "Statusi": _pick(rng, list(status_spellings.values()), rng.integers(0, 3, rows)),
        "Shënime": notes,
        "Burimi": np.full(rows, SOURCE, dtype=object),
    }


# Spellings no list holds, each read by the matching rule to one term: 20 distinct values, and two
# headers ("Nr i aktiviteteve", "Pjesëmarrësit gjithsej") read the same way.
NEAR_VARIANTS = {
    "Bashkia": ["Shkodr", "Durrsi", "Elbasn", "Kamzës", "Pogradecc", "Vlorra"],
    "Lloji i aktivitetit": ["Fokus grupet", "Council meeting monitored", "Workshopi", "Trajnimet", "Forume publiket",
                            "Konferenca rajonale", "Mbledhje e keshillit"],
    "Tema": ["Transprti publik", "Kopshtet", "Angazhimi qytetar dhe transparenca", "Rrugët e qytetit",
             "Drejtesia sociale e qytetit", "Zhvillimi i qendrueshem vendore i qytetit", "Uji i pishem"],
}
NEAR_VARIANT_HEADERS = {"Numri i aktiviteteve": "Nr i aktiviteteve", "Pjesëmarrës gjithsej": "Pjesëmarrësit gjithsej"}


def near_variants(columns: dict[str, np.ndarray], seed: int) -> dict[str, np.ndarray]:
    """The same rows with a fifth of each vocabulary column written as NEAR_VARIANTS, and two headers renamed."""
    rng = np.random.default_rng(seed)
    changed = dict(columns)
    for header, spellings in NEAR_VARIANTS.items():
        values = columns[header].copy()
        chosen = np.flatnonzero((rng.random(len(values)) < .2) & np.array([v is not None for v in values]))
        values[chosen] = np.array(spellings, dtype=object)[rng.integers(0, len(spellings), len(chosen))]
        changed[header] = values
    return {NEAR_VARIANT_HEADERS.get(k, k): v for k, v in changed.items()}


def municipality_names() -> list[str]:
    """The Albanian municipalities the generator draws from, as the reference data lists them."""
    return _municipality_spellings()[0]


def small_activities(path: Path, rows: int, round_number: int) -> int:
    """A small valid activities CSV for round round_number: one municipality and one calendar month
    of 2013–2015, which the generated data (2016–2025) never holds, and a different pair of
    municipality and month every round (the pair repeats only after lcm(36, 61) = 2,196 rounds),
    so no round replaces another's rows and no file is a duplicate. Returns the events the file adds
    (what the Events tile must gain)."""
    names = municipality_names()
    month_index = round_number % 36
    year, month = 2013 + month_index // 12, 1 + month_index % 12
    first = dt.date(year, month, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    columns = activities(rows, SEED + 1000 + round_number, period=(first, last),
                         municipalities=[names[round_number % len(names)]])
    write_csv(path, columns)
    return int(columns["_events"].sum())


def _public(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v for k, v in columns.items() if not k.startswith("_")}


def write_csv(path: Path, columns: dict[str, np.ndarray]) -> None:
    """UTF-8, comma-delimited, dates as dd.mm.yyyy, blanks empty: as partners' CSV exports look."""
    import duckdb
    import pyarrow as pa

    arrays = {}
    for name, values in _public(columns).items():
        first = next((v for v in values if v is not None), None)
        if values.dtype == object and len(values) and isinstance(first, dt.date):
            values = np.array([v.strftime("%d.%m.%Y") for v in values], dtype=object)
        arrays[name] = pa.array([None if v is None else str(v) for v in values], type=pa.string())
    table = pa.table(arrays)
    tmp = path.with_suffix(".tmp")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.register("generated", table)
    con.execute(f"COPY generated TO '{tmp}' (FORMAT csv, HEADER true, DELIMITER ',')")
    con.close()
    tmp.replace(path)


def write_xlsx(path: Path, columns: dict[str, np.ndarray]) -> None:
    """A workbook as partners keep one: a title, the header, rows with real Excel dates, a total row."""
    import openpyxl

    public = _public(columns)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Aktivitetet")
    sheet.append([f"Raporti i aktiviteteve {YEARS[0]}–{YEARS[-1]}"])
    sheet.append([])
    sheet.append(list(public))
    for row in zip(*(v.tolist() for v in public.values())):
        sheet.append(row)
    total = ["Gjithsej", None, None, int(columns["_events"].sum()), int(columns["_participants"].sum()),
             int(columns["_women"].sum()), int(columns["_men"].sum()), int(columns["_youth"].sum())]
    sheet.append(total)
    tmp = path.with_suffix(".tmp")
    workbook.save(tmp)
    tmp.replace(path)


def _package_digest() -> str:
    """What the stored database depends on: the code that reads, validates and writes."""
    root = Path(__file__).resolve().parent.parent / "pop_analytics"
    digest = hashlib.sha256()
    for name in ("reading.py", "validate.py", "normalise.py", "store.py", "importing.py"):
        digest.update((root / name).read_bytes())
    return digest.hexdigest()[:16]


def _reference_digest() -> str:
    """The spellings generated come from the reference data: a change there is a new recipe."""
    digest = hashlib.sha256()
    for path in sorted((Path(__file__).resolve().parent.parent / "data" / "reference").glob("*.csv")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _manifest() -> dict:
    path = CACHE / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _save_manifest(manifest: dict) -> None:
    (CACHE / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))


def _file_recipes(reference_digest: str) -> tuple[dict[str, str], dict]:
    recipes = {
        "activities_csv": f"{RECIPE}:{SEED}:{ACTIVITY_ROWS}:{reference_digest}",
        "activities_xlsx": f"{RECIPE}:{SEED + 1}:{XLSX_ROWS}:{reference_digest}",
        "fuzzy_xlsx": f"{RECIPE}:{SEED + 3}:{XLSX_ROWS}:{reference_digest}:{len(NEAR_VARIANTS)}",
        "priorities_csv": f"{RECIPE}:{SEED + 2}:{PRIORITY_ROWS}:{reference_digest}",
    }
    builders = {
        "activities_csv": lambda p: write_csv(p, activities(ACTIVITY_ROWS, SEED)),
        "activities_xlsx": lambda p: write_xlsx(p, activities(XLSX_ROWS, SEED + 1)),
        "fuzzy_xlsx": lambda p: write_xlsx(p, near_variants(activities(XLSX_ROWS, SEED + 3), SEED + 3)),
        "priorities_csv": lambda p: write_csv(p, priorities(PRIORITY_ROWS, SEED + 2)),
    }
    return recipes, builders


def _build_files(recipes: dict[str, str], builders: dict, paths: dict[str, Path], manifest: dict, log) -> None:
    for key, recipe in recipes.items():
        path = paths[key]
        if path.exists() and manifest.get(key) == recipe:
            continue
        started = time.perf_counter()
        builders[key](path)
        manifest[key] = recipe
        _save_manifest(manifest)
        log(f"generated {path.name} in {time.perf_counter() - started:.1f} s")


def ensure(log=print, big: bool = False, huge: bool = False) -> dict[str, Path]:
    """Every generated file, built when missing or stale; returns their paths. With big, also the
    ten yearly files and the 10M database (`--only big`); with huge, the 10M and 100M databases."""
    CACHE.mkdir(parents=True, exist_ok=True)
    manifest = _manifest()
    recipes, builders = _file_recipes(_reference_digest())
    _build_files(recipes, builders, PATHS, manifest, log)
    db_recipe = f"{recipes['activities_csv']}|{recipes['priorities_csv']}|{_package_digest()}"
    if not (PATHS["large_db"].exists() and manifest.get("large_db") == db_recipe):
        started = time.perf_counter()
        build_large_db(PATHS["large_db"], [PATHS["priorities_csv"], PATHS["activities_csv"]])
        manifest["large_db"] = db_recipe
        _save_manifest(manifest)
        log(f"built {PATHS['large_db'].name} in {time.perf_counter() - started:.1f} s")
    if not (big or huge):
        return dict(PATHS)
    paths = {**PATHS, **ensure_big(manifest, recipes["priorities_csv"], log)}
    return {**paths, **ensure_huge(manifest, log)} if huge else paths


def ensure_big(manifest: dict, priorities_recipe: str, log=print) -> dict[str, Path]:
    """The 10M database: ten yearly files of BIG_ROWS_PER_YEAR activity rows (each dated within its
    year), and the priorities file, imported in turn; its activity rows are counted after."""
    started = time.perf_counter()
    reference_digest = _reference_digest()
    yearly = {f"activities_{year}_csv": year for year in YEARS}
    recipes = {key: f"{RECIPE}:{_big_seed(year)}:{BIG_ROWS_PER_YEAR}:{year}:{reference_digest}"
               for key, year in yearly.items()}
    builders = {key: (lambda p, y=year: write_csv(p, activities(
        BIG_ROWS_PER_YEAR, _big_seed(y), period=(dt.date(y, 1, 1), dt.date(y, 12, 31)))))
        for key, year in yearly.items()}
    _build_files(recipes, builders, BIG_PATHS, manifest, log)
    generated = time.perf_counter() - started
    path = BIG_PATHS["big_db"]
    db_recipe = "|".join([priorities_recipe, *recipes.values(), _package_digest()])
    if not (path.exists() and manifest.get("big_db") == db_recipe):
        built = time.perf_counter()
        build_large_db(path, [PATHS["priorities_csv"], *(BIG_PATHS[key] for key in yearly)], rows=BIG_ROWS)
        manifest["big_db"] = db_recipe
        _save_manifest(manifest)
        log(f"built {path.name} ({BIG_ROWS:,} activity rows, {path.stat().st_size / 2**20:,.0f} MB) in "
            f"{time.perf_counter() - built:.1f} s" + (f", after generating its yearly files in {generated:.1f} s"
                                                      if generated > 1 else ""))
    return dict(BIG_PATHS)


def ensure_huge(manifest: dict, log=print) -> dict[str, Path]:
    """The 100M database, built from the 10M one (ensure_big first) when it is missing or either changed."""
    path = HUGE_PATHS["huge_db"]
    recipe = f"{manifest['big_db']}|{HUGE_COPIES}"
    if not (path.exists() and manifest.get("huge_db") == recipe):
        started = time.perf_counter()
        build_huge_db(BIG_PATHS["big_db"], path)
        manifest["huge_db"] = recipe
        _save_manifest(manifest)
        log(f"built {path.name} ({HUGE_ROWS:,} activity rows, {path.stat().st_size / 2**20:,.0f} MB) in "
            f"{time.perf_counter() - started:.1f} s")
    return dict(HUGE_PATHS)


def build_huge_db(source: Path, path: Path) -> None:
    """HUGE_COPIES times the source's activities, written in SQL straight into a copy of it (the
    importer would need 13 GB of files and about 20 minutes), then the sums the KPI object reads made
    afresh by the store's own statement (store.ACTIVITY_TOTALS_SQL)."""
    import shutil

    from pop_analytics import store

    tmp = _building(path)
    shutil.copy(source, tmp)
    con = store.connect(tmp)
    try:
        found = con.execute("SELECT max(id) FROM imports").fetchone()
        step = int(found[0]) if found else 0
        originals = f"SELECT DISTINCT import_id FROM activities WHERE import_id <= {step}"
        for copy in range(1, HUGE_COPIES):
            shift = copy * step
            con.execute(f"""INSERT INTO imports BY NAME SELECT * REPLACE (id + {shift} AS id,
                                file_name || ' ({copy + 1})' AS file_name, sha256 || '-{copy}' AS sha256,
                                '{store.ADD_MODE}' AS mode)
                            FROM imports WHERE id IN ({originals})""")
            con.execute(f"""INSERT INTO activities BY NAME SELECT * REPLACE (import_id + {shift} AS import_id,
                                1 + (events + {copy}) % 3 AS events, participants + {2 * copy} AS participants,
                                women + {copy} AS women, men + {copy} AS men)
                            FROM activities WHERE import_id <= {step}""")
        con.execute(f"CREATE OR REPLACE SEQUENCE import_ids START {HUGE_COPIES * step + 1}")
        con.execute("DELETE FROM activity_totals")
        con.execute(store.ACTIVITY_TOTALS_SQL.format(only="true"))
        con.execute("CHECKPOINT")
        _check_rows(con, path, HUGE_ROWS)
    finally:
        con.close()
    _put_in_place(tmp, path)


def _building(path: Path) -> Path:
    """Where path is built, nothing left there by a build that failed."""
    tmp = path.with_name(f"building-{path.stem}.duckdb")
    for stale in (tmp, tmp.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    return tmp


def _check_rows(con, path: Path, rows: int) -> None:
    """The database built must hold exactly rows current activity rows."""
    counted = con.execute("SELECT count(*) FROM current_activities").fetchone()
    if not counted or counted[0] != rows:
        raise RuntimeError(f"{path.name}: {counted and counted[0]:,} current activity rows, expected {rows:,}")


def _put_in_place(tmp: Path, path: Path) -> None:
    """The old file stays until the new one is whole: a failed build leaves the last good database."""
    path.with_suffix(".duckdb.wal").unlink(missing_ok=True)
    tmp.replace(path)


def build_large_db(path: Path, sources: list[Path], rows: int | None = None) -> None:
    """A large database, loaded through the normal importer so it is shaped as production is. The
    build owns the file, so it holds a direct connection (pop_analytics.store.connect). With rows,
    the current activity rows are counted and must be that many."""
    from pop_analytics import importing, store

    tmp = _building(path)
    con = store.connect(tmp)
    try:
        for source in sources:
            report = importing.import_path(con, source, who="benchmark")
            if report.status != "imported":
                raise RuntimeError(f"{source.name} was not imported: {report.status} "
                                   + "; ".join(p.message_en for p in report.errors[:5]))
        con.execute("CHECKPOINT")
        if rows is not None:
            _check_rows(con, path, rows)
    finally:
        con.close()
    _put_in_place(tmp, path)
