"""Shared fixtures: real DuckDB files, real Excel and CSV files written per test."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import chdir, contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import argon2
import duckdb
import openpyxl
import pytest
from streamlit.components.v2 import manifest_scanner

from pop_analytics import accounts, cli, demo, importing, store
from pop_analytics import filters as _filters
from pop_analytics import kpis as _kpis
from pop_analytics.database import Database
from pop_analytics.settings import DEMO_DIR
from pop_analytics.stores import open_database

# One Chromium per test worker for every browser test file (browser_support's session fixture).
pytest_plugins = ("browser_support", "postgres_support")

# Each AppTest scans every installed package's metadata for Streamlit components before its first
# run (0.14 s, over a thousand AppTests in the suite). The packages do not change during a run: the
# scan's real answer is kept from the first one.
manifest_scanner.scan_component_manifests = cache(manifest_scanner.scan_component_manifests)

# The longest files first (measured with --durations=0): with --dist loadfile the run ends when its
# last file does, and a long file handed out last keeps one worker busy while the other waits.
LONGEST_FIRST = ("test_browser_views.py", "test_app_roles.py", "test_processes.py", "test_browser_language.py",
                 "test_browser_roles.py", "test_hostile.py", "test_api.py", "test_app.py", "test_browser.py",
                 "test_browser_layout.py", "test_pages.py", "test_app_sessions.py", "test_app_review.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a file keeps its own order

# Validation compares dates with "today"; tests fix it so that results never drift.
TODAY = dt.date(2026, 11, 21)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "pop.duckdb"


@pytest.fixture
def con(db_path: Path):
    connection = store.connect(db_path)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A database with the demo data loaded once per session; copy it before writing to it."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    connection = store.connect(path)
    reports = demo.load(connection)
    connection.close()
    assert [r.status for r in reports] == ["imported"] * len(reports)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None) -> Path:
    """A real workbook: sheet name → rows of cell values (dates stay Excel dates)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cell_range in (merges or {}).get(name, []):
            sheet.merge_cells(cell_range)
    workbook.save(path)
    return path


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


# ---------------------------------------------------------------------------------------------
# Shared by the data-foundation tests: headers as partners write them, a copy of the demo
# database to write to, the KPI state that must not move, and the CLI (in this process, or a real one).

ROOT = Path(__file__).resolve().parent.parent

PRIORITY_HEADERS = ["Cikli", "Bashkia", "Kodi", "Prioriteti", "Tema", "Viti i monitorimit", "Statusi", "Shënime"]
ACTIVITY_HEADERS = ["Data", "Bashkia", "Lloji i aktivitetit", "Numri i aktiviteteve", "Pjesëmarrës gjithsej", "Gra",
                    "Burra", "Të rinj", "Tema"]

# Filter sets whose KPI objects must not move when nothing should have changed.
KPI_FILTER_SETS = (
    {},
    {"year": 2020},
    {"year": 2023, "cycle": "2019-2023"},
    {"municipality": "Tiranë", "year": [2023]},
    {"municipality": "Durrës,Fier", "theme": "Uji i pijshëm"},
    {"cycle": "2023-2027", "year": [2024, 2025]},
    {"theme": "roads"},
)


def kpi_state(con: duckdb.DuckDBPyConnection) -> dict:
    """Everything a reader of the database sees: the KPI objects of several filter sets and every current row."""
    return {
        "kpis": [_kpis.kpis(con, _filters.resolve(**chosen)) for chosen in KPI_FILTER_SETS],
        "snapshot": store.snapshot(con),
    }


def import_file(con: duckdb.DuckDBPyConnection, path: Path, **options) -> importing.ImportReport:
    """Import one file as the partners' upload does, with today fixed."""
    return importing.import_path(con, path, today=TODAY, **options)


def located(problems) -> list[tuple]:
    """Problems as (code, sheet, row, column, value): what a partner needs to find the cell."""
    return [(p.code, p.sheet, p.row, p.column, p.value) for p in problems]


# argon2id with small costs for tests that add users or sign in many times: the checks are the same,
# only each hash takes a millisecond instead of a tenth of a second (test_accounts checks the real costs).
QUICK = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def quick_hashes(monkeypatch) -> None:
    monkeypatch.setattr(accounts, "_hasher", QUICK)
    monkeypatch.setattr(accounts, "_nobody", lambda: QUICK.hash("no user has this password"))


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the session's demo database, safe to write to."""
    path = tmp_path / "demo_copy.duckdb"
    shutil.copy(demo_db, path)
    return path


@pytest.fixture
def app_db(demo_copy: Path, monkeypatch) -> Path:
    """A private demo copy that the app (through $POP_DB) opens."""
    monkeypatch.setenv("POP_DB", str(demo_copy))
    return demo_copy


@pytest.fixture(params=["duckdb", "postgresql"])
def demo_store(request, demo_db: Path, tmp_path: Path) -> str:
    """The demo data in each store: a copy of the session's DuckDB file, or a fresh PostgreSQL
    database (its own replica in this process) copied from the session's demo database."""
    if request.param == "duckdb":
        path = tmp_path / "demo_copy.duckdb"
        shutil.copy(demo_db, path)
        return str(path)
    return request.getfixturevalue("new_postgres")()


@pytest.fixture(scope="module")
def app_reader_db(demo_db: Path, tmp_path_factory) -> Iterator[Path]:
    """A demo copy the app opens ($POP_DB) for a module's tests that only read: the queries it caches
    serve test after test, as a running server's serve reader after reader. A test that wrote to it
    would change what the next one reads, so the module ends by checking that none did."""
    path = tmp_path_factory.mktemp("app_reader") / "demo.duckdb"
    shutil.copy(demo_db, path)
    before = Database(path).version()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POP_DB", str(path))
        yield path
    assert Database(path).version() == before, "a test given app_reader_db wrote to it: give it app_db"


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def demo_reader(request, demo_db: Path):
    """A read-only connection to the demo data in each store: the session's DuckDB file, or a
    snapshot of a PostgreSQL database's replica (so every query is checked on both)."""
    if request.param == "duckdb":
        connection = duckdb.connect(str(demo_db), read_only=True)
        yield connection
        connection.close()
        return
    with postgres_snapshot(request, request.getfixturevalue("postgres_demo")) as connection:
        yield connection


@contextmanager
def postgres_snapshot(request, template: str | None, fill=None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh PostgreSQL database (a template's copy, or filled by fill(Database)) read through one
    snapshot of this process's replica; dropped afterwards."""
    cluster = request.getfixturevalue("postgres_cluster")
    url = cluster.create(template=template)
    try:
        if fill is not None:
            fill(open_database(url))
        snapshot = open_database(url).snapshot()
        try:
            yield snapshot.connection()
        finally:
            snapshot.close()
    finally:
        cluster.drop(url)


@pytest.fixture
def demo_con(demo_copy: Path):
    connection = store.connect(demo_copy)
    yield connection
    connection.close()


@dataclass(frozen=True)
class CliResult:
    """What a command line run left: its exit code and everything it printed (as a CompletedProcess has them)."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


@contextmanager
def _environment(changes: dict[str, str]) -> Iterator[None]:
    """os.environ with changes for the duration, then exactly as it was."""
    before = {name: os.environ.get(name) for name in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _standard_input(text: str) -> Iterator[None]:
    """Standard input piped from text (never a terminal, so a password is read from its first line)."""
    before, sys.stdin = sys.stdin, io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = before


def run_cli(*args: str | Path, db: Path | None = None, env: dict | None = None, stdin: str = "") -> CliResult:
    """`python -m pop_analytics ARGS` run in this process, as sqlite-utils' CliRunner runs a command:
    cli.main with standard input piped from stdin, standard output and error captured, env added to
    the environment for the run only, in the repository as its working directory; database given by --db."""
    argv = [*(["--db", str(db)] if db else []), *map(str, args)]
    out, err = io.StringIO(), io.StringIO()
    with _environment(env or {}), chdir(ROOT), _standard_input(stdin), redirect_stdout(out), redirect_stderr(err):
        code = cli.main(argv)
    return CliResult(argv, code, out.getvalue(), err.getvalue())


def run_cli_process(*args: str | Path, db: Path | None = None, env: dict | None = None,
                    stdin: str = "") -> subprocess.CompletedProcess:
    """`python -m pop_analytics ARGS` as a real process in the repository, for tests where the process
    itself matters (another process's locks and writes, exit codes of the interpreter)."""
    command = [sys.executable, "-m", "pop_analytics", *(["--db", str(db)] if db else []), *map(str, args)]
    environment = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run(command, cwd=ROOT, input=stdin, capture_output=True, text=True, encoding="utf-8",
                          env=environment, timeout=120, check=False)


def cli_json(result: CliResult | subprocess.CompletedProcess):
    assert result.stderr == "", result.stderr
    return json.loads(result.stdout)


# ---------------------------------------------------------------------------------------------
# Files shaped like partners' real ones, written into a directory.

def tirane_activities(directory: Path) -> Path:
    """Tiranë's quarterly report: a merged title, the municipality merged down, Excel dates (one typed as a
    serial number), several themes in one cell, ten focus groups in one row, and a total row that is off."""
    return write_xlsx(directory / "Raporti_Tirane_T3_2023.xlsx", {"Aktivitetet T3": [
        ["RAPORTI I AKTIVITETEVE – BASHKIA TIRANË (korrik–shtator 2023)"],
        ["Përgatitur nga: Qendra \"Aleanca Gjinore për Zhvillim\""],
        [],
        ACTIVITY_HEADERS,
        [dt.datetime(2023, 7, 4), "TIRANA", "Fokus grupe", 3, 57, 27, 30, 12, "Uji i pijshëm; Rrugët"],
        [dt.datetime(2023, 8, 17), None, "10 fokus grupe - 200 gra dhe burra", None, None, None, None, None,
         "Kopshte, Transport publik"],
        [45189, None, "Dëgjesë publike për buxhetin", 1, 64, 40, 24, None, "Angazhim qytetar"],
        [],
        ["GJITHSEJ", None, None, 14, 300, 70, 54, 12, None],
    ]}, merges={"Aktivitetet T3": ["A1:I1", "A2:I2", "B5:B7"]})


def korce_priorities(directory: Path) -> Path:
    """Korçë's monitoring table exported from Excel as CSV: Windows-1250, ';', a title and a total row."""
    return write_csv(directory / "Monitorimi_Korce_2021.csv", [
        ["Monitorimi i Kontratës Sociale – Bashkia Korçë, viti 2021", "", "", "", "", "", ""],
        ["Cikli", "Bashkia", "Kodi", "Prioriteti", "Tema", "Viti i monitorimit", "Statusi"],
        ["2019-2023", "KORÇA", "KOR-01", "Çerdhe në lagjen nr. 5", "Çerdhe dhe kopshte", "2021",
         "Realizuar pjesërisht"],
        ["2019-2023", "Korce", "KOR-02", "Ujë i pijshëm 24 orë në Drenovë", "Ujë i pijshëm", "2021",
         "NUK ËSHTË REALIZUAR"],
        ["2019-2023", "Korçë ", "KOR-03", "Asfaltimi i rrugës së Mborjes", "Rrugët", "2021", "plotesisht"],
        ["Totali", "", "", "3", "", "", ""],
    ], encoding="cp1250", delimiter=";")


def durres_english(directory: Path) -> Path:
    """A partner working from an English form: English headers, text numbers with thousands separators,
    dates as Excel serials in text."""
    return write_csv(directory / "durres_activities.csv", [
        ["Date", "Municipality", "Activity type", "Number of events", "Participants total", "Women", "Men", "Themes"],
        ["45183", "Durres", "focus groups", "4", "1,157", "600", "557", "water; roads"],
        ["2023-10-02", "Durrësi", "public forum", "", "80", "", "", ""],
    ])


def messy_errors(future: str) -> list[tuple]:
    """Where messy_refused_file's errors are: (code, sheet, Excel row, column, value); future is how
    its date in the future is shown."""
    return [
        ("unknown_municipality", "Aktivitetet", 4, "Bashkia", "Tyranna"),
        ("negative_count", "Aktivitetet", 5, "Numri i aktiviteteve", "-2"),
        ("parts_exceed_total", "Aktivitetet", 6, "Pjesëmarrës gjithsej", "30"),
        ("unknown_type", "Aktivitetet", 7, "Lloji i aktivitetit", "Piknik me të rinjtë"),
        ("date_in_future", "Aktivitetet", 8, "Data", future),
        ("date_too_early", "Aktivitetet", 9, "Data", "01.05.2012"),
        ("unknown_theme", "Aktivitetet", 10, "Tema", "Sporti; Uji i pijshëm"),
    ]


def messy_refused_file(directory: Path, future: dt.datetime = dt.datetime(2026, 12, 1)) -> Path:
    """One of every row-level error a partner makes, under a title, with a total row that is not data.
    future is the date in the future (after TODAY; the CLI, which uses the real date, needs a later one)."""
    def row(day=dt.datetime(2023, 9, 12), place="Tiranë", kind="Fokus grup", events=2, total=40, women=20, men=20,
            youth=None, themes="Uji i pijshëm"):
        return [day, place, kind, events, total, women, men, youth, themes]
    return write_xlsx(directory / "gabime.xlsx", {"Aktivitetet": [
        ["Raporti i aktiviteteve 2023"],
        ACTIVITY_HEADERS,
        row(),                                      # 3: fine
        row(place="Tyranna"),                         # 4
        row(events=-2),                             # 5
        row(total=30, women=20, men=15),            # 6
        row(kind="Piknik me të rinjtë"),            # 7
        row(day=future),                            # 8
        row(day=dt.datetime(2012, 5, 1)),           # 9
        row(themes="Sporti; Uji i pijshëm"),        # 10
        ["Gjithsej", None, None, 14, 280, 140, 135, None, None],
    ]})


def corrected_tirane_2023(directory: Path) -> Path:
    """Tiranë's 2023 monitoring rows as the demo has them, re-sent with three statuses corrected."""
    corrections = {"TIR-05": "Pjesërisht", "TIR-06": "Pjesërisht", "TIR-12": "Plotësisht"}
    with open(DEMO_DIR / "prioritetet_2019_2023.csv", encoding="utf-8", newline="") as handle:
        demo_rows = [r for r in csv.DictReader(handle)
                     if r["Bashkia"] == "Tiranë" and r["Viti i monitorimit"] == "2023"]
    assert len(demo_rows) == 12
    rows = [[r["Cikli"], r["Bashkia"], r["Kodi"], r["Prioriteti"], r["Tema"], 2023,
             corrections.get(r["Kodi"], r["Statusi"]), "korrigjuar"] for r in demo_rows]
    return write_xlsx(directory / "Tirane_2023_korrigjuar.xlsx",
                      {"Prioritetet": [["Monitorimi 2023 – Tiranë (version i korrigjuar)"], PRIORITY_HEADERS, *rows]})


def refused_priorities(directory: Path) -> Path:
    """A priorities sheet with a status nobody can place and a monitoring year before monitoring began."""
    return write_xlsx(directory / "Prioritetet_Vlore.xlsx", {"Prioritetet": [
        ["Monitorimi i Kontratës Sociale – Vlorë"],
        PRIORITY_HEADERS,
        ["2019-2023", "Vlora", "VLO-01", "Ndriçimi i rrugëve në Skelë", "Rrugët", 2021, "Pjesërisht", None],
        ["2019-2023", "Vlora", "VLO-02", "Ujë i pijshëm në Babicë", "Uji i pijshëm", 2021, "Në proces", None],
        ["2019-2023", "Vlora", "VLO-03", "Kopsht në Uji i Ftohtë", "Kopshte", 2012, "Plotësisht", None],
    ]})


def missing_status_column(directory: Path) -> Path:
    """A priorities sheet whose partner left out the status column."""
    return write_xlsx(directory / "Prioritetet_Puke.xlsx", {"Prioritetet": [
        ["Bashkia", "Kodi", "Prioriteti", "Tema", "Viti i monitorimit", "Komente"],
        ["Pukë", "PUK-01", "Ujë i pijshëm në Qerret", "Uji i pijshëm", 2021, "në proces"],
    ]})
